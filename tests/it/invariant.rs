//! Nothing is silently dropped: inside every table found, every non-empty cell is the source of
//! an observation, a rejected value, a not-reported marker, a header or label that was read, or
//! named by a finding, over every fixture, sample and example.
//!
//! The non-empty cells are listed by reading each file directly (`cells.rs`: calamine, csv,
//! serde_json), not through clusterkpi's reading and mapping, so the check cannot agree with a
//! bug in them. The tables' places (where each starts) and the cells mapping accounted for come
//! from the report.

use std::path::Path;

use clusterkpi::diag::Place;
use clusterkpi::pipeline::FileReport;

use crate::cells::nonempty_cells;
use crate::util::{assert_accounted, check_fixture, root};

/// Whether `place` lies inside a table that starts at one of `tables`: at or below its header
/// row or line, on the same sheet; anywhere in a JSON document whose root is a table.
fn in_table(place: &Place, tables: &[Place]) -> bool {
    tables.iter().any(|t| match (t, place) {
        (Place::Row { sheet: ts, row: tr }, Place::Cell { sheet, row, .. }) => ts == sheet && row >= tr,
        (Place::Line { line: tl, .. }, Place::Line { line, .. }) => line >= tl,
        (Place::Pointer { pointer: tp }, Place::Pointer { pointer }) => pointer.starts_with(tp.as_str()),
        _ => false,
    })
}

/// Whether mapping accounted for `place`: exactly, or (a JSON leaf) through a pointer above it
/// that a finding names as a whole.
fn accounted(place: &Place, report: &FileReport) -> bool {
    if report.accounted.contains(place) {
        return true;
    }
    let Place::Pointer { pointer } = place else { return false };
    let mut p = pointer.as_str();
    while let Some(at) = p.rfind('/') {
        p = &p[..at];
        if report.accounted.contains(&Place::Pointer { pointer: p.to_owned() }) {
            return true;
        }
    }
    false
}

fn files_under(rel: &str, out: &mut Vec<String>) {
    let dir = root().join(rel);
    let Ok(entries) = std::fs::read_dir(&dir) else { return };
    let mut names: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    names.sort();
    for path in names {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let rel = format!("{rel}/{name}");
        if rel == "tests/fixtures/hostile" {
            // Files made to break readers: checked through the CLI, each in a worker
            // (tests/it/hostile.rs), never in this process.
            continue;
        }
        if path.is_dir() {
            files_under(&rel, out);
        } else if is_submission(&path) {
            out.push(rel);
        }
    }
}

fn is_submission(path: &Path) -> bool {
    let ext = path.extension().map(|e| e.to_string_lossy().to_lowercase()).unwrap_or_default();
    matches!(ext.as_str(), "xlsx" | "xlsm" | "xls" | "ods" | "csv" | "tsv" | "json" | "jsonl" | "ndjson")
}

#[test]
#[allow(clippy::print_stdout)] // how much was checked, for the log
fn every_nonempty_cell_of_every_table_is_accounted_for() {
    let mut files = Vec::new();
    files_under("tests/fixtures", &mut files);
    files_under("sample_data", &mut files);
    assert!(files.len() >= 60, "found only {} files", files.len());
    let mut checked_cells = 0;
    let mut tables = 0;
    let mut lost: Vec<String> = Vec::new();
    for rel in &files {
        let report = check_fixture(rel);
        assert_accounted(&report);
        if report.tables.is_empty() {
            // No table: the file is refused as a whole, and a finding says so.
            assert!(!report.findings.is_empty() || report.rows_read == 0, "{rel}: no table and no finding");
            continue;
        }
        tables += report.tables.len();
        for cell in nonempty_cells(&root().join(rel)) {
            if !in_table(&cell.place, &report.tables) {
                continue;
            }
            checked_cells += 1;
            if !accounted(&cell.place, &report) {
                lost.push(format!("{rel}:{} `{}`", cell.place, cell.text));
            }
        }
    }
    println!("{} files, {tables} tables, {checked_cells} cells checked", files.len());
    assert!(checked_cells > 1000, "too few cells checked: {checked_cells}");
    assert!(lost.is_empty(), "cells neither read nor reported:\n{lost:#?}");
}

/// A long CSV table large enough to be parsed in several pieces and mapped in several chunks on
/// every core: its rows, their lines, its findings in reading order, and every cell accounted
/// for, as if it had been read in one go. The expectations are counted as the file is written.
#[test]
fn a_table_read_in_pieces_and_mapped_in_chunks_keeps_every_row_line_and_cell() {
    use clusterkpi::diag::Code;
    let rows: usize = 50_000;
    let mut text = String::from("cluster,country,year,kpi,value,unit,facility,notes\n");
    let (mut line, mut shifted_lines, mut not_reported) = (1u64, Vec::new(), 0);
    for i in 1..=rows {
        line += 1;
        let value = if i % 1000 == 0 { "n/a".to_owned() } else { i.to_string() };
        not_reported += usize::from(i % 1000 == 0);
        // A note that spans two physical lines moves every later row one line down.
        let note = if i % 2500 == 1 {
            "\"a note written\nover two lines\"".to_owned()
        } else {
            format!("row {i}, padded so that the file is cut into pieces of a few MiB")
        };
        let note = if note.starts_with('"') { note } else { format!("\"{note}\"") };
        text.push_str(&format!("Port of Rotterdam,NLD,2020,jobs,{value},jobs,site-{i},{note}"));
        // One field too many: the row's values cannot be trusted (`E_ROW_SHAPE`).
        if i % 997 == 0 && i % 1000 != 0 {
            text.push_str(",stray");
            shifted_lines.push(line);
        }
        text.push('\n');
        line += u64::from(i % 2500 == 1);
    }
    assert!(text.len() > 5 << 20, "the file is several pieces long ({} bytes)", text.len());
    let (_dir, path) = crate::util::temp_file("large.csv", text.as_bytes());
    let report = crate::util::check_as(&path, "large.csv");

    assert_accounted(&report);
    assert_eq!(report.rows_read, rows - not_reported);
    assert_eq!(report.not_reported, not_reported);
    assert_eq!(report.rows_rejected, shifted_lines.len());
    let found: Vec<u64> = report
        .findings
        .iter()
        .filter(|f| f.code == Code::RowShape)
        .map(|f| match f.location.place {
            Place::Line { line, .. } => line,
            ref other => panic!("a row shape finding at {other}"),
        })
        .collect();
    assert_eq!(found, shifted_lines, "row shape findings at the rows' lines, in reading order");
    let rejected: Vec<u64> = report
        .rejects
        .iter()
        .map(|r| match r.loc.place {
            Place::Line { line, .. } => line,
            ref other => panic!("a reject at {other}"),
        })
        .collect();
    assert_eq!(rejected, shifted_lines);
    let last = report.observations.last().expect("observations");
    // The last row is not reported; the one before it is the last observation.
    let before_last = Place::Line { line: line - 1, field: None };
    assert_eq!((last.reported_value, &last.value_place()), ((rows - 1) as f64, &before_last));

    let lost: Vec<String> = nonempty_cells(&path)
        .into_iter()
        .filter(|cell| !accounted(&cell.place, &report))
        .map(|cell| format!("{} `{}`", cell.place, cell.text))
        .take(10)
        .collect();
    assert!(lost.is_empty(), "cells neither read nor reported: {lost:#?}");
}

/// A large table's rows are checked while the rest of it is still being mapped, but its value
/// column's decimal convention is settled by all of its values, wherever they are: `1,234` at the
/// top of a column whose other values, far below, are written `2,5` is 1.234; above values
/// written `2.5`, it is 1234. Worked out by hand from the convention, not from a run.
#[test]
fn a_decimal_convention_is_settled_by_the_whole_column_of_a_large_table() {
    let (ambiguous, evident): (usize, usize) = (70_000, 500);
    for (evidence, first_value) in [("2,5", 1.234), ("2.5", 1234.0)] {
        let mut text = String::from("cluster,country,year,kpi,value,unit,facility\n");
        for i in 0..ambiguous {
            text.push_str(&format!("Port of Rotterdam,NLD,2020,jobs,\"1,234\",jobs,site-{i}\n"));
        }
        for i in 0..evident {
            text.push_str(&format!("Port of Rotterdam,NLD,2021,jobs,\"{evidence}\",jobs,site-{i}\n"));
        }
        let (_dir, path) = crate::util::temp_file("decimals.csv", text.as_bytes());
        let report = crate::util::check_as(&path, "decimals.csv");
        assert_eq!(
            (report.rows_read, report.rows_accepted),
            (ambiguous + evident, ambiguous + evident),
            "beside `{evidence}`: {:?}",
            report.findings.first()
        );
        let (first, last) = (&report.observations[0], &report.observations[ambiguous + evident - 1]);
        assert_eq!(first.reported_value, first_value, "`1,234` beside `{evidence}`");
        assert_eq!(last.reported_value, 2.5);
    }
}
