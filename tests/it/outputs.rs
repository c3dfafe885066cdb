//! `clusterkpi run`: the Parquet tables read back, against the data dictionary, the accounting
//! identity and the initiative's headline; an empty run; determinism; the pipeline file.

use std::collections::HashMap;
use std::path::Path;

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Float64Type, Int64Type};
use clusterkpi::write::tables::{self, TableDef};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use crate::util::{clusterkpi, root};

fn read(path: &Path) -> (RecordBatch, HashMap<String, String>) {
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).unwrap();
    let meta: HashMap<String, String> = builder
        .metadata()
        .file_metadata()
        .key_value_metadata()
        .into_iter()
        .flatten()
        .map(|kv| (kv.key.clone(), kv.value.clone().unwrap_or_default()))
        .collect();
    let schema = builder.schema().clone();
    let batches: Vec<RecordBatch> = builder.build().unwrap().map(Result::unwrap).collect();
    let batch = arrow::compute::concat_batches(&schema, &batches).unwrap();
    (batch, meta)
}

/// (name, type, nullable) of every column: what a reader sees, footer metadata aside.
fn shape(schema: &arrow::datatypes::Schema) -> Vec<(String, DataType, bool)> {
    schema.fields().iter().map(|f| (f.name().clone(), f.data_type().clone(), f.is_nullable())).collect()
}

/// A table of the run published under `out`.
pub fn table(out: &Path, def: &TableDef) -> RecordBatch {
    read(&out.join(clusterkpi::store::CURRENT).join(def.path)).0
}

/// The published observations as rows of text, every column but the run's id and time, each
/// with its source file: what two runs of the same files must agree on.
pub fn observation_rows(out: &Path) -> Vec<(String, Vec<Option<String>>)> {
    let batch = table(out, &tables::OBSERVATIONS);
    let files = strings(&batch, "source_file");
    let columns: Vec<Vec<Option<String>>> = tables::OBSERVATIONS
        .schema()
        .fields()
        .iter()
        .filter(|f| !matches!(f.name().as_str(), "run_id" | "ingested_at"))
        .map(|f| strings(&batch, f.name()))
        .collect();
    (0..batch.num_rows())
        .map(|i| (files[i].clone().unwrap_or_default(), columns.iter().map(|c| c[i].clone()).collect()))
        .collect()
}

pub fn strings(batch: &RecordBatch, name: &str) -> Vec<Option<String>> {
    let c = cast(batch.column_by_name(name).unwrap(), &DataType::Utf8).unwrap();
    let a = c.as_string::<i32>();
    (0..a.len()).map(|i| a.is_valid(i).then(|| a.value(i).to_owned())).collect()
}

fn ints(batch: &RecordBatch, name: &str) -> Vec<i64> {
    batch.column_by_name(name).unwrap().as_primitive::<Int64Type>().values().to_vec()
}

fn run_sample(out: &Path) -> crate::util::Run {
    clusterkpi(&["run", "pipelines/sample.toml", "--output", out.to_str().unwrap()])
}

#[test]
fn sample_run_writes_every_table_with_the_documented_schema() {
    let dir = tempfile::tempdir().unwrap();
    let run = run_sample(dir.path());
    assert_eq!(run.code, 1, "the sample has planted mistakes\n{}{}", run.stdout, run.stderr);
    for def in tables::ALL {
        let (batch, meta) = read(&dir.path().join(clusterkpi::store::CURRENT).join(def.path));
        assert_eq!(shape(&batch.schema()), shape(&def.schema()), "{}: columns, types and nullability", def.name);
        assert_eq!(meta.get("clusterkpi.schema_version").map(String::as_str), Some("2"), "{}", def.name);
        assert!(meta.get("clusterkpi.run_id").is_some_and(|r| run.stdout.contains(r.as_str())), "{}", def.name);
        let units: serde_json::Value = serde_json::from_str(&meta["clusterkpi.value_units"]).unwrap();
        assert_eq!(units["gdp_contribution"], "USD");
        assert_eq!(units["ghg_emissions"], "tCO2e");
    }
    // The README's data dictionary is the one the code declares.
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    assert!(
        readme.contains(&tables::dictionary_markdown()),
        "README.md's data dictionary is stale: run `clusterkpi dictionary`"
    );
}

#[test]
fn every_row_read_is_accounted_for() {
    let dir = tempfile::tempdir().unwrap();
    run_sample(dir.path());
    let out = dir.path();
    let subs = table(out, &tables::SUBMISSIONS);
    let (read, accepted, rejected) =
        (ints(&subs, "rows_read"), ints(&subs, "rows_accepted"), ints(&subs, "rows_rejected"));
    for i in 0..subs.num_rows() {
        assert_eq!(read[i], accepted[i] + rejected[i], "submission {i}");
    }
    assert_eq!(subs.num_rows(), 31, "one submission per registry cluster");
    assert_eq!(table(out, &tables::OBSERVATIONS).num_rows() as i64, accepted.iter().sum::<i64>());
    let rejects = table(out, &tables::REJECTS);
    assert_eq!(rejects.num_rows() as i64, rejected.iter().sum::<i64>());
    assert!(rejects.num_rows() >= 5, "the planted mistakes end up in rejects/");
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("current/summary/summary.json")).unwrap()).unwrap();
    assert_eq!(summary["accounting"]["balanced"], true);
    assert_eq!(summary["accounting"]["rows_read"], read.iter().sum::<i64>());
    assert_eq!(summary["registry"]["clusters"], 31);
    assert_eq!(summary["registry"]["countries"], 16);
    assert_eq!(summary["submitted"]["clusters"], 31);
    let statuses = strings(&subs, "status");
    assert!(statuses.iter().any(|s| s.as_deref() == Some("partial")));
    assert!(statuses.iter().any(|s| s.as_deref() == Some("accepted")));
}

/// Every published value is its reported value through its recorded conversion, exactly: the
/// arithmetic an auditor would do from the row alone (`reported_value × factor × gwp ÷ fx_rate`)
/// gives the same bits, so no value was computed another way anywhere.
#[test]
fn every_value_is_its_recorded_conversion_bit_for_bit() {
    let dir = tempfile::tempdir().unwrap();
    run_sample(dir.path());
    let obs = table(dir.path(), &tables::OBSERVATIONS);
    let column = |name: &str| obs.column_by_name(name).unwrap().as_primitive::<Float64Type>().clone();
    let (value, reported, factor, gwp, fx) =
        (column("value"), column("reported_value"), column("factor"), column("gwp"), column("fx_rate"));
    let (mut with_gwp, mut with_fx) = (0, 0);
    for i in 0..obs.num_rows() {
        let mut redone = reported.value(i) * factor.value(i);
        if gwp.is_valid(i) {
            redone *= gwp.value(i);
            with_gwp += 1;
        }
        if fx.is_valid(i) {
            redone /= fx.value(i);
            with_fx += 1;
        }
        assert_eq!(redone.to_bits(), value.value(i).to_bits(), "row {i}: {redone} against {}", value.value(i));
    }
    // The sample holds no mass of a gas other than CO2e; the GWP step is the units tests'.
    assert!(obs.num_rows() > 300 && with_fx > 50, "{} rows, {with_gwp} with a GWP, {with_fx} with FX", obs.num_rows());
}

#[test]
fn sample_data_reproduces_the_initiative_headline() {
    let dir = tempfile::tempdir().unwrap();
    run_sample(dir.path());
    let totals = table(dir.path(), &tables::KPI_TOTALS);
    let (kpi, scope) = (strings(&totals, "kpi"), strings(&totals, "scope"));
    let total = totals.column_by_name("total").unwrap().as_primitive::<Float64Type>().values().to_vec();
    let headline = |id: &str| {
        let i = (0..kpi.len()).find(|&i| kpi[i].as_deref() == Some(id) && scope[i].is_none()).unwrap();
        total[i]
    };
    // Published: 832 MtCO2e of reduction potential, USD 492 bn of GDP, 4.3 million jobs.
    for (id, published) in [("ghg_reduction_potential", 832e6), ("gdp_contribution", 492e9), ("jobs", 4.3e6)] {
        let got = headline(id);
        assert!((got / published - 1.0).abs() < 0.005, "{id}: {got} is not within 0.5% of {published}");
    }
    // Never added together: one row per KPI and unit.
    let units = strings(&totals, "unit");
    let mut seen = std::collections::HashSet::new();
    for i in 0..kpi.len() {
        assert!(seen.insert((kpi[i].clone(), scope[i].clone(), units[i].clone())), "row {i} repeats a group");
    }
}

#[test]
fn summary_reads_the_headline_back() {
    let dir = tempfile::tempdir().unwrap();
    run_sample(dir.path());
    let text = clusterkpi(&["summary", dir.path().to_str().unwrap()]);
    assert_eq!(text.code, 0, "{}", text.stderr);
    insta::assert_snapshot!("summary_text", text.stdout);
    let json = clusterkpi(&["summary", "--format", "json", dir.path().to_str().unwrap()]);
    let doc: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let rows = doc["headline"].as_array().unwrap();
    assert!(rows.iter().any(|r| r["kpi"] == "jobs" && r["unit"] == "jobs"));

    let missing = clusterkpi(&["summary", "no/such/run"]);
    assert_eq!(missing.code, 2);
    assert!(missing.stderr.contains("holds no finished run"), "{}", missing.stderr);
}

#[test]
fn an_empty_input_folder_gives_empty_tables_not_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in");
    std::fs::create_dir(&input).unwrap();
    let out = dir.path().join("out");
    let run = clusterkpi(&[
        "run",
        "--input",
        input.to_str().unwrap(),
        "--output",
        out.to_str().unwrap(),
        "pipelines/sample.toml",
    ]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    for def in tables::ALL {
        let batch = table(&out, def);
        assert_eq!(batch.num_rows(), 0, "{}", def.name);
        assert_eq!(shape(&batch.schema()), shape(&def.schema()), "{}", def.name);
    }
    assert!(run.stdout.contains("No accepted observations."));
}

#[test]
fn the_same_inputs_give_the_same_rows_whatever_the_scheduling() {
    // Run ids and timestamps aside (`run_id`, `ingested_at`, `first_seen`, `superseded_at`).
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    run_sample(&a);
    run_sample(&b);
    for def in tables::ALL {
        let (x, y) = (table(&a, def), table(&b, def));
        assert_eq!(x.num_rows(), y.num_rows(), "{}", def.name);
        for field in def.schema().fields() {
            if matches!(field.name().as_str(), "run_id" | "ingested_at" | "first_seen" | "superseded_at") {
                continue;
            }
            let (cx, cy) = (x.column_by_name(field.name()).unwrap(), y.column_by_name(field.name()).unwrap());
            assert_eq!(cx.to_data(), cy.to_data(), "{}.{}", def.name, field.name());
        }
    }
}

#[test]
fn pipeline_files_are_validated_and_resolved_against_their_folder() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p
    };
    let unknown = write("unknown.toml", "[input]\ndir = \"in\"\n[outptu]\ndir = \"out\"\n");
    let r = clusterkpi(&["run", unknown.to_str().unwrap()]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("outptu"), "{}", r.stderr);

    let wrong_type = write("type.toml", "[reference]\ngwp_set = 6\n");
    let r = clusterkpi(&["run", wrong_type.to_str().unwrap()]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("gwp_set"), "{}", r.stderr);

    let bad_set = write("set.toml", "[reference]\ngwp_set = \"AR9\"\n");
    let r = clusterkpi(&["run", bad_set.to_str().unwrap()]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("AR9"), "{}", r.stderr);

    let missing = write("missing.toml", "[reference]\nfx_rates = \"rates/fx.csv\"\n");
    let r = clusterkpi(&["run", missing.to_str().unwrap()]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("reference.fx_rates") && r.stderr.contains("rates/fx.csv"), "{}", r.stderr);

    // Relative paths resolve against the pipeline's folder, wherever it is run from.
    std::fs::create_dir(dir.path().join("in")).unwrap();
    std::fs::copy(root().join("tests/fixtures/cli/good.csv"), dir.path().join("in/good.csv")).unwrap();
    let ok = write("ok.toml", "[input]\ndir = \"in\"\n[output]\ndir = \"out\"\n");
    let r = clusterkpi(&["run", ok.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(dir.path().join("out/current").join(tables::OBSERVATIONS.path).is_file());
}

#[test]
fn validate_uses_the_pipelines_reference_data() {
    let dir = tempfile::tempdir().unwrap();
    let fx = dir.path().join("fx.csv");
    std::fs::write(&fx, "currency,year,units_per_usd\nGBP,2023,0.5\n").unwrap();
    let pipeline = dir.path().join("p.toml");
    std::fs::write(&pipeline, "[reference]\nfx_rates = \"fx.csv\"\ngwp_set = \"AR5\"\n").unwrap();
    let csv = dir.path().join("s.csv");
    std::fs::write(&csv, "cluster,country,year,kpi,value,unit\nSolent,GBR,2023,gdp_contribution,1,GBP m\nSolent,GBR,2023,ghg_emissions,1,t CH4\n").unwrap();
    let r =
        clusterkpi(&["validate", "--format", "json", "--pipeline", pipeline.to_str().unwrap(), csv.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let obs = doc["files"][0]["observations"].as_array().unwrap();
    assert_eq!(obs[0]["value"], 2e6, "the pipeline's FX table: 1 GBP m at 0.5 GBP/USD");
    assert_eq!(obs[1]["value"], 28.0, "the pipeline's GWP set: AR5 methane");
    assert_eq!(obs[1]["conversion"]["gwp_set"], "AR5");
}
