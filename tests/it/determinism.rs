//! Determinism of what a run publishes, through the CLI: an output built run by run (new files,
//! resubmissions, retractions, deleted inputs) is what `--full` rebuilds from it; without
//! retractions, deletions or conflicting keys, it is what a fresh run of the same inputs
//! publishes; and one corrected value changes exactly one row. "The same" is bit for bit: every
//! Parquet file under `OUTPUT/current/` (footer, schema, row groups, the bytes of every column
//! chunk, every value, floats by their bits) and `summary/summary.json` byte for byte, except
//! what records when and by which run: the columns `run_id`, `ingested_at`, `superseded_at`
//! (whose nulls must still agree) and `first_seen`, the footer's `clusterkpi.run_id`, and the
//! summary's `run_id` and `started_at`.
#![cfg(unix)]

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Float64Type};
use arrow::util::display::{ArrayFormatter, FormatOptions};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::file::metadata::ParquetMetaData;
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::TestCaseError;

use crate::util::{Run, clusterkpi, root};

/// Columns that record when and by which run, and nothing else: left out of every comparison.
const RUN_COLUMNS: [&str; 4] = ["run_id", "ingested_at", "superseded_at", "first_seen"];
/// The footer key holding the run id.
const FOOTER_RUN_ID: &str = "clusterkpi.run_id";
/// The summary's keys that record the run.
const SUMMARY_RUN_KEYS: [&str; 2] = ["run_id", "started_at"];

// ---------------------------------------------------------------------------------------------
// Submissions: what a coordinator uploads, generated.

/// A KPI as one series of a cluster (scope and gas are part of the key), with units it may
/// come in.
struct Measure {
    kpi: &'static str,
    scope: &'static str,
    gas: &'static str,
    units: &'static [&'static str],
}

const MEASURES: [Measure; 8] = [
    Measure { kpi: "ghg_emissions", scope: "", gas: "", units: &["tCO2e", "kt CO2e", "Mt CO2e", "MtCO2e"] },
    Measure { kpi: "ghg_emissions", scope: "Scope 1", gas: "", units: &["kt CO2e", "tCO2e"] },
    Measure { kpi: "ghg_emissions", scope: "", gas: "CH4", units: &["t", "kt"] },
    Measure { kpi: "hydrogen_production", scope: "", gas: "", units: &["kt", "t", "kg"] },
    Measure { kpi: "co2_captured", scope: "", gas: "", units: &["Mt", "kt", "t"] },
    Measure { kpi: "gdp_contribution", scope: "", gas: "", units: &["GBP m", "EUR bn", "USD"] },
    Measure { kpi: "jobs", scope: "", gas: "", units: &["", "jobs"] },
    Measure { kpi: "energy_consumption", scope: "", gas: "", units: &["TJ", "GWh", "MWh"] },
];

/// Facility of a row: the first is the cluster total.
const FACILITIES: [&str; 4] = ["", "Site A", "Usine Émile", "Plant 3"];

/// Registry clusters (`schemas/reference/clusters.csv`).
const CLUSTERS: [&str; 6] = ["solent", "jubail", "port-of-rotterdam", "kwinana", "gopalpur", "cartagena"];

/// Figures whose decimal text has no exact binary value, or that stress reading numbers.
const TRICKY: [&str; 12] = [
    "47357830.7",
    "0.1",
    "1e-3",
    "0.3",
    "2.675",
    "1.005",
    "0.000123456789",
    "123456789.123456789",
    "9007199254740993",
    "33.333333333333336",
    "1E3",
    "0.7",
];

#[derive(Clone, Copy, Debug, PartialEq)]
enum Format {
    Csv,
    Json,
    Xlsx,
}

/// One row of a submission.
#[derive(Clone, Debug)]
struct Row {
    kpi: &'static str,
    scope: &'static str,
    gas: &'static str,
    year: i32,
    facility: &'static str,
    value: String,
    unit: &'static str,
}

/// One submission file.
#[derive(Clone, Debug)]
struct Submission {
    format: Format,
    cluster: &'static str,
    /// Day of 2025 it says it was submitted (a `Date:` line, `submitted_at`), if it says.
    date: Option<u16>,
    /// Under a subfolder of the input folder.
    nested: bool,
    rows: Vec<Row>,
}

/// The decimal text of `mantissa / 10^places`.
fn decimal(mantissa: u64, places: u32) -> String {
    let digits = format!("{mantissa:0>width$}", width = places as usize + 1);
    let (int, frac) = digits.split_at(digits.len() - places as usize);
    if frac.is_empty() { int.to_owned() } else { format!("{int}.{frac}") }
}

fn number() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(TRICKY.to_vec()).prop_map(str::to_owned),
        (1u64..1_000_000_000_000_000, 0u32..12).prop_map(|(m, p)| decimal(m, p)),
        (1u64..100_000, 1u32..8).prop_map(|(m, e)| format!("{m}e-{e}")),
    ]
}

/// 1 to 3 (measure, year) groups, each some of: a cluster total, facility rows.
fn rows() -> impl Strategy<Value = Vec<Row>> {
    let cells = prop::collection::vec((any::<Index>(), number()), FACILITIES.len());
    prop::collection::btree_map((0..MEASURES.len(), 2020..=2024i32), (1u8..16, cells), 1..=3).prop_map(|groups| {
        let mut rows = Vec::new();
        for ((m, year), (mask, cells)) in groups {
            let measure = &MEASURES[m];
            for (f, (unit, value)) in cells.into_iter().enumerate() {
                if mask & (1 << f) != 0 {
                    rows.push(Row {
                        kpi: measure.kpi,
                        scope: measure.scope,
                        gas: measure.gas,
                        year,
                        facility: FACILITIES[f],
                        value,
                        unit: measure.units[unit.index(measure.units.len())],
                    });
                }
            }
        }
        rows
    })
}

fn format() -> impl Strategy<Value = Format> {
    prop_oneof![2 => Just(Format::Csv), 2 => Just(Format::Json), 1 => Just(Format::Xlsx)]
}

/// A submission of one of the first `clusters` clusters, dated or not.
fn submission(clusters: usize) -> impl Strategy<Value = Submission> {
    (format(), 0..clusters, prop::option::of(0u16..300), any::<bool>(), rows())
        .prop_map(|(format, c, date, nested, rows)| Submission { format, cluster: CLUSTERS[c], date, nested, rows })
}

fn date_text(day: u16) -> String {
    format!("2025-{:02}-{:02}", 1 + day / 28, 1 + day % 28)
}

fn xlsx_bytes(s: &Submission) -> Vec<u8> {
    use rust_xlsxwriter::{DocProperties, ExcelDateTime, Workbook};
    let mut book = Workbook::new();
    // A fixed creation time, so the same submission is the same bytes.
    book.set_properties(&DocProperties::new().set_creation_datetime(&ExcelDateTime::from_ymd(2025, 1, 1).unwrap()));
    let sheet = book.add_worksheet();
    sheet.set_name("KPIs").unwrap();
    let mut r = 0;
    if let Some(day) = s.date {
        sheet.write_string(0, 0, "Date:").unwrap();
        sheet.write_string(0, 1, date_text(day)).unwrap();
        r = 2;
    }
    for (c, h) in ["cluster", "year", "kpi", "value", "unit", "scope", "gas", "facility"].iter().enumerate() {
        sheet.write_string(r, c as u16, *h).unwrap();
    }
    for (i, row) in s.rows.iter().enumerate() {
        let r = r + 1 + i as u32;
        sheet.write_string(r, 0, s.cluster).unwrap();
        sheet.write_number(r, 1, row.year).unwrap();
        sheet.write_string(r, 2, row.kpi).unwrap();
        // Numbers as numeric cells and as text, alternately.
        if i % 2 == 0 {
            sheet.write_number(r, 3, row.value.parse::<f64>().unwrap()).unwrap();
        } else {
            sheet.write_string(r, 3, &row.value).unwrap();
        }
        for (c, text) in [(4, row.unit), (5, row.scope), (6, row.gas), (7, row.facility)] {
            if !text.is_empty() {
                sheet.write_string(r, c, text).unwrap();
            }
        }
    }
    book.save_to_buffer().unwrap()
}

fn csv_bytes(s: &Submission) -> Vec<u8> {
    let mut out = String::new();
    if let Some(day) = s.date {
        out += &format!("Date: {}\n\n", date_text(day));
    }
    out += "cluster,year,kpi,value,unit,scope,gas,facility\n";
    for r in &s.rows {
        out += &format!(
            "{},{},{},{},{},{},{},{}\n",
            s.cluster, r.year, r.kpi, r.value, r.unit, r.scope, r.gas, r.facility
        );
    }
    out.into_bytes()
}

fn json_bytes(s: &Submission) -> Vec<u8> {
    let quote = |t: &str| serde_json::to_string(t).unwrap();
    let records: Vec<String> = s
        .rows
        .iter()
        .enumerate()
        .map(|(i, r)| {
            // Figures as JSON numbers (the text as written) and as strings.
            let value = if i % 3 == 2 { quote(&r.value) } else { r.value.clone() };
            let mut fields = vec![format!("\"year\": {}", r.year), format!("\"kpi\": {}", quote(r.kpi))];
            fields.push(format!("\"value\": {value}"));
            for (k, v) in [("unit", r.unit), ("scope", r.scope), ("gas", r.gas), ("facility", r.facility)] {
                if !v.is_empty() {
                    fields.push(format!("{}: {}", quote(k), quote(v)));
                }
            }
            if s.date.is_none() && s.rows.len() % 2 == 1 {
                fields.insert(0, format!("\"cluster\": {}", quote(s.cluster)));
            }
            format!("{{{}}}", fields.join(", "))
        })
        .collect();
    let text = if s.date.is_none() && s.rows.len() % 2 == 1 {
        // A top-level array of records.
        format!("[\n{}\n]\n", records.join(",\n"))
    } else {
        let date = s.date.map(|d| format!("\"submitted_at\": \"{}\",\n", date_text(d))).unwrap_or_default();
        format!("{{\"cluster\": {},\n{date}\"observations\": [\n{}\n]}}\n", quote(s.cluster), records.join(",\n"))
    };
    text.into_bytes()
}

fn bytes_of(s: &Submission) -> Vec<u8> {
    match s.format {
        Format::Csv => csv_bytes(s),
        Format::Json => json_bytes(s),
        Format::Xlsx => xlsx_bytes(s),
    }
}

/// The path of the `n`th file added, under the input folder.
fn file_name(n: usize, s: &Submission) -> String {
    let ext = match s.format {
        Format::Csv => "csv",
        Format::Json => "json",
        Format::Xlsx => "xlsx",
    };
    if s.nested { format!("sub/f{n}.{ext}") } else { format!("f{n}.{ext}") }
}

// ---------------------------------------------------------------------------------------------
// Running the binary.

fn run(input: &Path, output: &Path, extra: &[&str]) -> Run {
    let mut args = vec!["run", "pipelines/sample.toml", "--input", input.to_str().unwrap()];
    args.extend(["--output", output.to_str().unwrap()]);
    args.extend_from_slice(extra);
    clusterkpi(&args)
}

/// The run completed (1: with rejected rows, which are published too, and compared).
fn expect_completed(what: &str, r: &Run) -> Result<(), String> {
    if matches!(r.code, 0 | 1) { Ok(()) } else { Err(format!("{what}: exit {}\n{}\n{}", r.code, r.stdout, r.stderr)) }
}

/// Copy a folder, keeping symbolic links (`current`) as links.
fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for e in fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let (kind, dst) = (e.file_type().unwrap(), to.join(e.file_name()));
        if kind.is_symlink() {
            std::os::unix::fs::symlink(fs::read_link(e.path()).unwrap(), &dst).unwrap();
        } else if kind.is_dir() {
            copy_tree(&e.path(), &dst);
        } else {
            fs::copy(e.path(), &dst).unwrap();
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Reading and comparing what was published.

fn read_parquet(path: &Path) -> (std::sync::Arc<ParquetMetaData>, RecordBatch) {
    let file = fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).unwrap();
    let meta = builder.metadata().clone();
    let schema = builder.schema().clone();
    let batches: Vec<RecordBatch> = builder.build().unwrap().map(Result::unwrap).collect();
    (meta, arrow::compute::concat_batches(&schema, &batches).unwrap())
}

/// A float as text, with its bits.
fn exact(v: f64) -> String {
    format!("{v:?} ({:#018x})", v.to_bits())
}

/// Every value of a column as exact text: floats with their bits, strings quoted, lists
/// element by element, dictionaries by their values.
fn cells(a: &dyn Array) -> Vec<String> {
    let null = || "null".to_owned();
    match a.data_type() {
        DataType::Dictionary(_, values) => cells(cast(a, values).unwrap().as_ref()),
        DataType::Float64 => {
            let p = a.as_primitive::<Float64Type>();
            (0..p.len()).map(|i| if p.is_null(i) { null() } else { exact(p.value(i)) }).collect()
        }
        // Widening is exact.
        DataType::Float32 => cells(cast(a, &DataType::Float64).unwrap().as_ref()),
        DataType::Utf8 => {
            let s = a.as_string::<i32>();
            (0..s.len()).map(|i| if s.is_null(i) { null() } else { format!("{:?}", s.value(i)) }).collect()
        }
        DataType::List(_) => {
            let l = a.as_list::<i32>();
            (0..l.len())
                .map(|i| if l.is_null(i) { null() } else { format!("[{}]", cells(l.value(i).as_ref()).join(", ")) })
                .collect()
        }
        _ => {
            let f = ArrayFormatter::try_new(a, &FormatOptions::default()).unwrap();
            (0..a.len()).map(|i| if a.is_null(i) { null() } else { f.value(i).to_string() }).collect()
        }
    }
}

/// Which row this is, for a message: its key columns, where the table has them.
fn row_context(batch: &RecordBatch, row: usize) -> String {
    ["cluster_id", "kpi", "scope", "gas", "year", "facility", "source_file", "path", "code", "location"]
        .iter()
        .filter_map(|c| batch.column_by_name(c).map(|a| format!("{c}={}", cells(a.slice(row, 1).as_ref())[0])))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Compare two published Parquet files: everything but the run's columns and footer run id.
fn compare_parquet(rel: &str, a: &Path, b: &Path) -> Result<(), String> {
    let ((ma, ta), (mb, tb)) = (read_parquet(a), read_parquet(b));
    let (fa, fb) = (ma.file_metadata(), mb.file_metadata());
    let footer = |m: &parquet::file::metadata::FileMetaData| -> BTreeMap<String, Option<String>> {
        m.key_value_metadata()
            .into_iter()
            .flatten()
            .filter(|kv| kv.key != FOOTER_RUN_ID)
            .map(|kv| (kv.key.clone(), kv.value.clone()))
            .collect()
    };
    if footer(fa) != footer(fb) {
        return Err(format!("{rel}: footer metadata differs:\n  {:?}\n  {:?}", footer(fa), footer(fb)));
    }
    for m in [fa, fb] {
        let has_run_id = m.key_value_metadata().into_iter().flatten().any(|kv| kv.key == FOOTER_RUN_ID);
        if !has_run_id {
            return Err(format!("{rel}: no `{FOOTER_RUN_ID}` in the footer"));
        }
    }
    if (fa.version(), fa.created_by(), fa.schema()) != (fb.version(), fb.created_by(), fb.schema()) {
        return Err(format!("{rel}: Parquet version, writer or schema differs"));
    }
    if ta.schema().fields() != tb.schema().fields() {
        return Err(format!(
            "{rel}: Arrow schema differs:\n  {:?}\n  {:?}",
            ta.schema().fields(),
            tb.schema().fields()
        ));
    }
    // Every value, column by column.
    let compared = |name: &str| !RUN_COLUMNS.contains(&name);
    let names: Vec<String> = ta.schema().fields().iter().map(|f| f.name().clone()).collect();
    let rendered = |t: &RecordBatch| -> Vec<Vec<String>> {
        names.iter().filter(|n| compared(n)).map(|n| cells(t.column_by_name(n).unwrap().as_ref())).collect()
    };
    let (ca, cb) = (rendered(&ta), rendered(&tb));
    if ca != cb {
        let rows = |c: &Vec<Vec<String>>, n: usize| -> Vec<Vec<String>> {
            (0..n).map(|i| c.iter().map(|col| col[i].clone()).collect()).collect()
        };
        let (mut ra, mut rb) = (rows(&ca, ta.num_rows()), rows(&cb, tb.num_rows()));
        let mut msg = format!("{rel}: {} rows against {}", ta.num_rows(), tb.num_rows());
        let kept: Vec<&String> = names.iter().filter(|n| compared(n)).collect();
        let mut shown = 0;
        for i in 0..ra.len().min(rb.len()) {
            for (c, name) in kept.iter().enumerate() {
                if ra[i][c] != rb[i][c] && shown < 5 {
                    shown += 1;
                    msg += &format!(
                        "\n  row {i}, `{name}`: {} against {}\n    ({})\n    ({})",
                        ra[i][c],
                        rb[i][c],
                        row_context(&ta, i),
                        row_context(&tb, i)
                    );
                }
            }
        }
        ra.sort();
        rb.sort();
        msg += if ra == rb { "\n  the same rows, in another order" } else { "\n  not the same rows in any order" };
        return Err(msg);
    }
    // `superseded_at` is when; whether a row is superseded at all must agree.
    if let (Some(x), Some(y)) = (ta.column_by_name("superseded_at"), tb.column_by_name("superseded_at")) {
        let nulls = |a: &dyn Array| (0..a.len()).map(|i| a.is_null(i)).collect::<Vec<_>>();
        if nulls(x.as_ref()) != nulls(y.as_ref()) {
            return Err(format!("{rel}: `superseded_at` is null on different rows"));
        }
    }
    // And the bytes: row groups, and every column chunk of a compared column.
    let (ba, bb) = (fs::read(a).unwrap(), fs::read(b).unwrap());
    if ma.num_row_groups() != mb.num_row_groups() {
        return Err(format!("{rel}: {} row groups against {}", ma.num_row_groups(), mb.num_row_groups()));
    }
    for (g, (ga, gb)) in ma.row_groups().iter().zip(mb.row_groups()).enumerate() {
        if ga.num_rows() != gb.num_rows() || ga.num_columns() != gb.num_columns() {
            return Err(format!("{rel}: row group {g} differs in shape"));
        }
        for (xa, xb) in ga.columns().iter().zip(gb.columns()) {
            let path = xa.column_path().string();
            if xa.column_path() != xb.column_path() {
                return Err(format!("{rel}: row group {g}: column {path} against {}", xb.column_path().string()));
            }
            if !compared(&xa.column_path().parts()[0]) {
                continue;
            }
            let describe = |x: &parquet::file::metadata::ColumnChunkMetaData| {
                format!(
                    "{:?} {:?} values={} compressed={} uncompressed={} stats={:?}",
                    x.compression(),
                    x.encodings().collect::<Vec<_>>(),
                    x.num_values(),
                    x.compressed_size(),
                    x.uncompressed_size(),
                    x.statistics()
                )
            };
            if describe(xa) != describe(xb) {
                return Err(format!(
                    "{rel}: row group {g}, column chunk {path}:\n  {}\n  {}",
                    describe(xa),
                    describe(xb)
                ));
            }
            let chunk = |bytes: &[u8], (start, len): (u64, u64)| bytes[start as usize..(start + len) as usize].to_vec();
            if chunk(&ba, xa.byte_range()) != chunk(&bb, xb.byte_range()) {
                return Err(format!("{rel}: row group {g}, column chunk {path}: the same values, other bytes"));
            }
        }
    }
    Ok(())
}

/// Compare two `summary.json`: byte for byte once the run's id and start time are masked.
fn compare_summary(rel: &str, a: &Path, b: &Path) -> Result<(), String> {
    let masked = |p: &Path| -> Result<String, String> {
        let mut text = fs::read_to_string(p).unwrap();
        let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
        for key in SUMMARY_RUN_KEYS {
            let value = doc.get(key).filter(|v| v.is_string()).ok_or(format!("{rel}: no string `{key}`"))?;
            text = text.replace(&value.to_string(), &format!("\"<{key}>\""));
        }
        Ok(text)
    };
    let (ta, tb) = (masked(a)?, masked(b)?);
    if ta == tb {
        return Ok(());
    }
    let line =
        ta.lines().zip(tb.lines()).position(|(x, y)| x != y).unwrap_or(ta.lines().count().min(tb.lines().count()));
    Err(format!(
        "{rel}: differs from line {}:\n  {}\n  {}",
        line + 1,
        ta.lines().nth(line).unwrap_or("(end)"),
        tb.lines().nth(line).unwrap_or("(end)")
    ))
}

/// Every file of the published version, by its path under `current/`; the run state
/// (`_state/`, the ledger with its timestamps) aside.
fn published_files(out: &Path) -> BTreeMap<String, PathBuf> {
    let current = out.join("current");
    let mut files = BTreeMap::new();
    let mut dirs = vec![current.clone()];
    while let Some(dir) = dirs.pop() {
        for e in fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let p = e.unwrap().path();
            if p.is_dir() {
                dirs.push(p);
            } else {
                let rel = p.strip_prefix(&current).unwrap().to_string_lossy().into_owned();
                if !rel.starts_with("_state/") {
                    files.insert(rel, p);
                }
            }
        }
    }
    files
}

/// Everything published under `a/current/` and `b/current/` agrees, run columns aside.
fn compare_published(a: &Path, b: &Path) -> Result<(), String> {
    let (fa, fb) = (published_files(a), published_files(b));
    if fa.keys().ne(fb.keys()) {
        return Err(format!("different files published: {:?} against {:?}", fa.keys(), fb.keys()));
    }
    if !fa.keys().any(|k| k.ends_with(".parquet")) || !fa.contains_key("summary/summary.json") {
        return Err(format!("tables missing: {:?}", fa.keys()));
    }
    let mut errors = Vec::new();
    for (rel, pa) in &fa {
        let pb = &fb[rel];
        let result = if rel.ends_with(".parquet") {
            compare_parquet(rel, pa, pb)
        } else if rel == "summary/summary.json" {
            compare_summary(rel, pa, pb)
        } else if fs::read(pa).unwrap() != fs::read(pb).unwrap() {
            Err(format!("{rel}: bytes differ"))
        } else {
            Ok(())
        };
        errors.extend(result.err());
    }
    if errors.is_empty() { Ok(()) } else { Err(errors.join("\n")) }
}

/// A row of the published `submissions` table.
#[derive(Debug)]
struct Published {
    id: String,
    path: String,
    status: String,
    rows_superseded: i64,
}

fn submissions(out: &Path) -> Vec<Published> {
    let (_, t) = read_parquet(&out.join("current/submissions/part-00000.parquet"));
    let col = |n: &str| cast(t.column_by_name(n).unwrap(), &DataType::Utf8).unwrap();
    let (id, path, status) = (col("submission_id"), col("path"), col("status"));
    let superseded = t.column_by_name("rows_superseded").unwrap().as_primitive::<arrow::datatypes::Int64Type>();
    let s = |a: &arrow::array::ArrayRef, i: usize| a.as_string::<i32>().value(i).to_owned();
    (0..t.num_rows())
        .map(|i| Published {
            id: s(&id, i),
            path: s(&path, i),
            status: s(&status, i),
            rows_superseded: superseded.value(i),
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// 1. Incremental == full.

#[derive(Clone, Debug)]
enum Change {
    /// One figure rewritten.
    Value { row: Index, value: String },
    /// Other rows altogether (keys the new version does not repeat may stay published).
    Rows(Vec<Row>),
    /// Another submission date, or none.
    Date(Option<u16>),
    /// The same bytes written again (a new modification time).
    Touch,
}

#[derive(Clone, Debug)]
enum Op {
    /// A new file in the input folder.
    Add(Submission),
    /// An existing file rewritten.
    Resubmit(Index, Change),
    /// `clusterkpi retract` of a published submission not yet retracted.
    Retract(Index),
    /// An input file removed.
    Delete(Index),
    /// A new file holding the bytes of an existing one (the same upload under another name).
    Duplicate(Index),
    /// A deleted file's path written again, with other contents.
    Recreate(Index, Submission),
}

fn change() -> impl Strategy<Value = Change> {
    prop_oneof![
        3 => (any::<Index>(), number()).prop_map(|(row, value)| Change::Value { row, value }),
        2 => rows().prop_map(Change::Rows),
        1 => prop::option::of(0u16..300).prop_map(Change::Date),
        1 => Just(Change::Touch),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => submission(3).prop_map(Op::Add),
        3 => (any::<Index>(), change()).prop_map(|(i, c)| Op::Resubmit(i, c)),
        2 => any::<Index>().prop_map(Op::Retract),
        1 => any::<Index>().prop_map(Op::Delete),
        1 => any::<Index>().prop_map(Op::Duplicate),
        1 => (any::<Index>(), submission(3)).prop_map(|(i, s)| Op::Recreate(i, s)),
    ]
}

/// An input file as the test last wrote it.
struct Present {
    path: String,
    submission: Submission,
    bytes: Vec<u8>,
}

fn write_input(input: &Path, rel: &str, bytes: &[u8]) {
    let path = input.join(rel);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, bytes).unwrap();
}

/// Apply `first` then each step (running after those that say so, and after the last), then
/// rebuild a copy of the output with `--full` and compare.
fn incremental_equals_full(first: &Submission, steps: &[(Op, bool)]) -> Result<(), String> {
    let dir = tempfile::tempdir().unwrap();
    let (input, output, copy) = (dir.path().join("in"), dir.path().join("out"), dir.path().join("copy"));
    fs::create_dir(&input).unwrap();
    let mut present: Vec<Present> = Vec::new();
    let mut deleted: Vec<(String, Format)> = Vec::new();
    let mut added = 0;
    let mut log: Vec<String> = Vec::new();
    let mut published = false;
    let all: Vec<(Op, bool)> = std::iter::once((Op::Add(first.clone()), false)).chain(steps.iter().cloned()).collect();
    for (n, (op, run_after)) in all.iter().enumerate() {
        match op {
            Op::Add(s) => {
                let path = file_name(added, s);
                added += 1;
                let bytes = bytes_of(s);
                write_input(&input, &path, &bytes);
                log.push(format!("add {path}: {} {} rows, date {:?}", s.cluster, s.rows.len(), s.date));
                present.push(Present { path, submission: s.clone(), bytes });
            }
            Op::Resubmit(i, c) if !present.is_empty() => {
                let k = i.index(present.len());
                let p = &mut present[k];
                match c {
                    Change::Value { row, value } => {
                        let r = row.index(p.submission.rows.len());
                        log.push(format!("resubmit {}: row {r} {} -> {value}", p.path, p.submission.rows[r].value));
                        p.submission.rows[r].value.clone_from(value);
                        p.bytes = bytes_of(&p.submission);
                    }
                    Change::Rows(rows) => {
                        log.push(format!("resubmit {}: {} other rows", p.path, rows.len()));
                        p.submission.rows.clone_from(rows);
                        p.bytes = bytes_of(&p.submission);
                    }
                    Change::Date(date) => {
                        log.push(format!("resubmit {}: date {:?} -> {date:?}", p.path, p.submission.date));
                        p.submission.date = *date;
                        p.bytes = bytes_of(&p.submission);
                    }
                    Change::Touch => log.push(format!("touch {}", p.path)),
                }
                write_input(&input, &p.path, &p.bytes);
            }
            Op::Retract(i) if published => {
                let open: Vec<_> = submissions(&output).into_iter().filter(|s| s.status != "retracted").collect();
                if !open.is_empty() {
                    let Published { id, path, .. } = &open[i.index(open.len())];
                    log.push(format!("retract {} ({path})", &id[..12]));
                    let r = clusterkpi(&[
                        "retract",
                        id,
                        "--pipeline",
                        "pipelines/sample.toml",
                        "--output",
                        output.to_str().unwrap(),
                    ]);
                    if r.code != 0 {
                        return Err(format!("{log:#?}: exit {}\n{}\n{}", r.code, r.stdout, r.stderr));
                    }
                }
            }
            Op::Delete(i) if !present.is_empty() => {
                let p = present.remove(i.index(present.len()));
                log.push(format!("delete {}", p.path));
                fs::remove_file(input.join(&p.path)).unwrap();
                deleted.push((p.path, p.submission.format));
            }
            Op::Duplicate(i) if !present.is_empty() => {
                let p = &present[i.index(present.len())];
                let path = file_name(added, &p.submission);
                added += 1;
                write_input(&input, &path, &p.bytes);
                log.push(format!("duplicate {} as {path}", p.path));
                present.push(Present { path, submission: p.submission.clone(), bytes: p.bytes.clone() });
            }
            Op::Recreate(i, s) if !deleted.is_empty() => {
                let (path, format) = deleted.remove(i.index(deleted.len()));
                let s = Submission { format, ..s.clone() };
                let bytes = bytes_of(&s);
                write_input(&input, &path, &bytes);
                log.push(format!("recreate {path}: {} {} rows, date {:?}", s.cluster, s.rows.len(), s.date));
                present.push(Present { path, submission: s, bytes });
            }
            _ => {}
        }
        if *run_after || n + 1 == all.len() {
            log.push("run".into());
            expect_completed(&format!("{log:#?}"), &run(&input, &output, &[]))?;
            published = true;
        }
    }
    copy_tree(&output, &copy);
    expect_completed(&format!("{log:#?}\n--full on a copy"), &run(&input, &copy, &["--full"]))?;
    compare_published(&output, &copy).map_err(|e| format!("{log:#?}\nincremental against --full:\n{e}"))
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 64,
        max_shrink_time: 30_000,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    /// Whatever happened to the input folder and between runs, the incremental output is
    /// what `--full` rebuilds from it.
    #[test]
    fn incremental_runs_publish_what_a_full_rebuild_does(
        first in submission(3),
        steps in prop::collection::vec((op(), prop::bool::weighted(0.4)), 1..=4),
    ) {
        incremental_equals_full(&first, &steps).map_err(TestCaseError::fail)?;
    }
}

// ---------------------------------------------------------------------------------------------
// 2. Fresh == incremental, where the order of arrival settles nothing.

/// Files added over several runs (each with whether a run follows it), whose keys no order of
/// arrival can settle: either each file is of its own cluster, or each is dated, a different
/// day, and they share two clusters (so later dates supersede, whenever they arrive).
fn additions() -> impl Strategy<Value = Vec<(Submission, bool)>> {
    let clusters = Just((0..CLUSTERS.len()).collect::<Vec<_>>()).prop_shuffle();
    let days = Just((0..40u16).collect::<Vec<_>>()).prop_shuffle();
    (any::<bool>(), prop::collection::vec((submission(2), any::<bool>()), 2..=4), clusters, days).prop_map(
        |(own_cluster, mut files, clusters, days)| {
            for (i, (s, _)) in files.iter_mut().enumerate() {
                if own_cluster {
                    s.cluster = CLUSTERS[clusters[i]];
                } else {
                    s.date = Some(days[i] * 7);
                }
            }
            files
        },
    )
}

fn fresh_equals_incremental(files: &[(Submission, bool)]) -> Result<(), String> {
    let dir = tempfile::tempdir().unwrap();
    let (input, output, fresh) = (dir.path().join("in"), dir.path().join("out"), dir.path().join("fresh"));
    fs::create_dir(&input).unwrap();
    let mut log = Vec::new();
    for (n, (s, run_after)) in files.iter().enumerate() {
        let path = file_name(n, s);
        write_input(&input, &path, &bytes_of(s));
        log.push(format!("add {path}: {} {} rows, date {:?}", s.cluster, s.rows.len(), s.date));
        if *run_after || n + 1 == files.len() {
            log.push("run".into());
            expect_completed(&format!("{log:#?}"), &run(&input, &output, &[]))?;
        }
    }
    expect_completed(&format!("{log:#?}\nfresh run"), &run(&input, &fresh, &[]))?;
    compare_published(&output, &fresh).map_err(|e| format!("{log:#?}\nincremental against fresh:\n{e}"))
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 24,
        max_shrink_time: 30_000,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    /// Without retractions, deletions or keys whose winner depends on when files arrived, the
    /// output built run by run is the output of one run of the final input folder.
    #[test]
    fn a_fresh_run_publishes_what_incremental_runs_did(files in additions()) {
        fresh_equals_incremental(&files).map_err(TestCaseError::fail)?;
    }
}

// ---------------------------------------------------------------------------------------------
// 3. One corrected value changes one row.

/// SplitMix64: reproducible figures without a dependency.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A figure of 15 significant digits, 4 to 9 of them decimals.
    fn figure(&mut self) -> String {
        decimal(100_000_000_000_000 + self.next() % 900_000_000_000_000, 4 + (self.next() % 6) as u32)
    }
}

/// The series key of each current observation, with its numeric columns (`year` is in the key).
fn observation_values(out: &Path) -> Result<BTreeMap<String, Vec<(String, String)>>, String> {
    let (_, t) = read_parquet(&out.join("current/observations/part-00000.parquet"));
    let col = |n: &str| cells(t.column_by_name(n).unwrap().as_ref());
    let keys: Vec<Vec<String>> =
        ["cluster_id", "facility", "year", "kpi", "scope", "gas"].iter().map(|n| col(n)).collect();
    let numeric: Vec<(String, Vec<String>)> = t
        .schema()
        .fields()
        .iter()
        .filter(|f| f.data_type().is_numeric() && f.name() != "year")
        .map(|f| (f.name().clone(), col(f.name())))
        .collect();
    let mut out = BTreeMap::new();
    for i in 0..t.num_rows() {
        let key = keys.iter().map(|k| k[i].as_str()).collect::<Vec<_>>().join(" | ");
        let values = numeric.iter().map(|(n, v)| (n.clone(), v[i].clone())).collect();
        if out.insert(key.clone(), values).is_some() {
            return Err(format!("two current observations of one series: {key}"));
        }
    }
    Ok(out)
}

#[test]
fn one_corrected_value_changes_exactly_one_row() {
    let registry = fs::read_to_string(root().join("schemas/reference/clusters.csv")).unwrap();
    let clusters: Vec<&str> = registry.lines().skip(1).map(|l| l.split(',').next().unwrap()).collect();
    // (kpi, unit): no money, so every year from 2018 converts.
    let kpis = [
        ("ghg_emissions", "kt CO2e"),
        ("hydrogen_production", "t"),
        ("energy_consumption", "GWh"),
        ("co2_captured", "kt"),
        ("jobs", ""),
    ];
    let mut rng = SplitMix(0x00c1_u64 << 40 | 0x5eed);
    let dir = tempfile::tempdir().unwrap();
    let (input, output, copy) = (dir.path().join("in"), dir.path().join("out"), dir.path().join("copy"));
    fs::create_dir(&input).unwrap();
    // 200 files, each one cluster and year (so no key is in two files): two KPIs, each a
    // cluster total and, in two files of three, two facility rows.
    let mut files: Vec<(String, Vec<Vec<String>>)> = Vec::new();
    for i in 0..200 {
        let (cluster, year) = (clusters[i % clusters.len()], 2018 + i / clusters.len());
        let mut rows = Vec::new();
        for (kpi, unit) in [kpis[i % 5], kpis[(i + 2) % 5]] {
            let facilities: &[&str] = if i % 3 == 0 { &[""] } else { &["", "Site A", "Site B"] };
            for facility in facilities {
                let cells = [cluster, &year.to_string(), kpi, &rng.figure(), unit, facility];
                rows.push(cells.iter().map(|c| (*c).to_owned()).collect());
            }
        }
        files.push((format!("s{i:03}.csv"), rows));
    }
    let csv = |rows: &[Vec<String>]| {
        let body: String = rows.iter().map(|r| r.join(",") + "\n").collect();
        format!("cluster,year,kpi,value,unit,facility\n{body}")
    };
    for (name, rows) in &files {
        fs::write(input.join(name), csv(rows)).unwrap();
    }
    let first = run(&input, &output, &[]);
    assert_eq!(first.code, 0, "{}\n{}", first.stdout, first.stderr);
    let before = observation_values(&output).unwrap();
    assert_eq!(before.len(), files.iter().map(|f| f.1.len()).sum::<usize>(), "one current row per row submitted");

    // File 137 corrects the value of its second row (a facility's) and nothing else.
    let (name, rows) = &mut files[137];
    let corrected = "98765432.1234567";
    rows[1][3] = corrected.to_owned();
    fs::write(input.join(&*name), csv(rows)).unwrap();
    let expected_key = format!("{:?} | {:?} | {} | {:?} | null | null", rows[1][0], rows[1][5], rows[1][1], rows[1][2]);
    let second = run(&input, &output, &[]);
    assert_eq!(second.code, 0, "{}\n{}", second.stdout, second.stderr);
    let summary: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(output.join("current/summary/summary.json")).unwrap()).unwrap();
    let manifest: serde_json::Value = serde_json::from_str(
        &fs::read_to_string(output.join("_runs").join(format!("{}.json", summary["run_id"].as_str().unwrap())))
            .unwrap(),
    )
    .unwrap();
    let processed: Vec<&str> =
        manifest["files_processed"].as_array().unwrap().iter().map(|f| f["path"].as_str().unwrap()).collect();
    assert_eq!(processed, [name.as_str()], "only the corrected file is read again");

    let after = observation_values(&output).unwrap();
    assert!(before.keys().eq(after.keys()), "the same series are current");
    let mut failures = Vec::new();
    let changed: Vec<&String> = before.keys().filter(|k| before[*k] != after[*k]).collect();
    if changed != [&expected_key] {
        failures.push(format!("series whose values changed: {changed:#?}, not exactly [{expected_key}]"));
    }
    let reported = after[&expected_key].iter().find(|(n, _)| n == "reported_value").unwrap().1.clone();
    let want = exact(corrected.parse().unwrap());
    if reported != want {
        failures.push(format!("the corrected series' reported_value is {reported}, not {want}"));
    }
    // The file's two versions: the corrected one (its id is the SHA-256 of what the file now
    // holds) replaces every row of the first, since it repeats all their keys.
    let versions: Vec<Published> = submissions(&output).into_iter().filter(|s| s.path == *name).collect();
    let now = {
        use sha2::Digest;
        let digest = sha2::Sha256::digest(fs::read(input.join(&*name)).unwrap());
        digest.iter().map(|b| format!("{b:02x}")).collect::<String>()
    };
    let superseded = |v: &Published| if v.id == now { 0 } else { rows.len() as i64 };
    if versions.len() != 2 || versions.iter().any(|v| v.rows_superseded != superseded(v)) {
        failures.push(format!(
            "the corrected version of {name} ({now}) should replace all {} rows of the first: {versions:#?}",
            rows.len()
        ));
    }

    // And `--full` rebuilds the same.
    copy_tree(&output, &copy);
    let full = run(&input, &copy, &["--full"]);
    assert_eq!(full.code, 0, "{}\n{}", full.stdout, full.stderr);
    if let Err(e) = compare_published(&output, &copy) {
        failures.push(format!("incremental against --full after the correction:\n{e}"));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
