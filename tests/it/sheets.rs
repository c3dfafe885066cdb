//! Workbook features: error cells, dates, formulas, hidden sheets, tables away from A1.

use rust_xlsxwriter::{Formula, Workbook};

use crate::util::{assert_accounted, check_as, check_fixture, findings};

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter().map(|(c, l)| (c.to_string(), l.to_string())).collect()
}

#[test]
fn error_cells_stay_errors_and_dates_stay_dates() {
    let f = "tests/fixtures/sheets/cell_values.xlsx";
    let report = check_fixture(f);
    assert_accounted(&report);
    assert_eq!(
        findings(&report),
        pairs(&[
            ("E_CELL_ERROR", &format!("{f}:KPIs!E3")),
            ("E_YEAR_FORMAT", &format!("{f}:KPIs!C4")),
            ("E_VALUE_NOT_NUMBER", &format!("{f}:KPIs!E5")),
            ("E_CELL_ERROR", &format!("{f}:KPIs!E6")),
        ])
    );
    let messages: Vec<&str> = report.findings.iter().map(|f| f.message.as_str()).collect();
    assert!(messages[0].contains("`#N/A`"), "{messages:?}");
    assert!(messages[1].contains("`2023-01-01` is a date"), "{messages:?}");
    assert!(messages[2].contains("`2024-03-01` is a date"), "{messages:?}");
    assert!(messages[3].contains("`#DIV/0!`"), "{messages:?}");
    assert_eq!(report.observations.len(), 1, "only the good row");
    assert_eq!((report.rows_read, report.rows_rejected), (5, 4));
}

#[test]
fn every_visible_table_sheet_is_read_and_hidden_ones_never() {
    let f = "tests/fixtures/sheets/many_sheets.xlsx";
    let report = check_fixture(f);
    assert_eq!(
        findings(&report),
        pairs(&[
            ("I_SHEET_SKIPPED", &format!("{f}:'Read me'")),
            ("W_SHEET_HIDDEN", &format!("{f}:calc")),
            ("W_SHEET_HIDDEN", &format!("{f}:old")),
        ])
    );
    let values: Vec<(i32, f64)> = report.observations.iter().map(|o| (o.year, o.value)).collect();
    assert_eq!(values, vec![(2023, 1200.0), (2024, 1300.0)]);
    assert_eq!(report.observations[1].value_loc(&report.file).to_string(), format!("{f}:'More KPIs'!E2"));

    let f = "tests/fixtures/sheets/many_sheets.xls";
    let report = check_fixture(f);
    assert_eq!(findings(&report), pairs(&[("W_SHEET_HIDDEN", &format!("{f}:calc"))]));
    assert_eq!(report.observations.len(), 1);
}

#[test]
fn formulas_give_their_cached_value_and_offsets_are_absolute() {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet().set_name("Data").unwrap();
    // The table starts at C5: calamine's range starts there, the locations must not.
    for (c, h) in ["cluster", "country", "year", "kpi", "value", "unit"].iter().enumerate() {
        sheet.write_string(4, 2 + c as u16, *h).unwrap();
    }
    sheet.write_string(5, 2, "Solent").unwrap();
    sheet.write_string(5, 3, "GBR").unwrap();
    sheet.write_number(5, 4, 2023).unwrap();
    sheet.write_string(5, 5, "ghg_emissions").unwrap();
    sheet.write_formula(5, 6, Formula::new("=1000+234").set_result("1234")).unwrap();
    sheet.write_string(5, 7, "tCO2e").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("formula.xlsx");
    book.save(&path).unwrap();

    let report = check_as(&path, "formula.xlsx");
    assert!(report.findings.is_empty(), "{:#?}", report.findings);
    let obs = &report.observations[0];
    assert_eq!(obs.value, 1234.0);
    assert_eq!(obs.value_loc(&report.file).to_string(), "formula.xlsx:Data!G6");
    assert_eq!(obs.row_loc(&report.file).to_string(), "formula.xlsx:Data!row 6");
}

/// The streaming reader (xlsx and xlsb cell by cell, ods and xls by range, rows sent in
/// batches) against the independent lister of `cells.rs`: every non-empty cell of every
/// spreadsheet fixture is in its grid, at its place, and a grid holds no other non-blank cell.
#[test]
fn every_spreadsheet_cell_is_in_its_grid_at_its_place() {
    use clusterkpi::read::{Cell, Content, Format, Limits, Sheet, read_workbook};
    let mut files = Vec::new();
    for dir in ["tests/fixtures", "sample_data"] {
        for e in walkdir::WalkDir::new(crate::util::root().join(dir)).into_iter().flatten() {
            let hostile = e.path().components().any(|c| c.as_os_str() == "hostile");
            if let Some(format) = Format::from_path(e.path())
                && format.is_spreadsheet()
                && !hostile
            {
                files.push((e.path().to_path_buf(), format));
            }
        }
    }
    assert!(files.len() >= 40, "{} spreadsheets", files.len());
    for (path, format) in files {
        let bytes = std::fs::read(&path).unwrap();
        let Ok(Content::Sheets(sheets)) = read_workbook(&bytes, format, &"f".into(), &Limits::default()) else {
            continue; // an unreadable fixture: the lister cannot read it either
        };
        let mut read = std::collections::HashMap::new();
        for sheet in sheets {
            let Sheet::Grid(grid) = sheet else { continue };
            for row in &grid.rows {
                assert!(row.cells.len() == grid.rows[0].cells.len(), "{}: rows of one width", path.display());
                for (i, cell) in row.cells.iter().enumerate() {
                    if !cell.is_blank() {
                        read.insert(grid.cell_place(row, i), cell.clone());
                    }
                }
            }
        }
        let listed = crate::cells::nonempty_cells(&path);
        for raw in &listed {
            let cell = read.get(&raw.place).unwrap_or_else(|| panic!("{}: {} not read", path.display(), raw.place));
            if let Cell::Text(t) = cell {
                assert_eq!(t, &raw.text, "{}: {}", path.display(), raw.place);
            }
        }
        assert_eq!(read.len(), listed.len(), "{}: cells read that the lister does not list", path.display());
    }
}

/// A workbook of one sheet `Data` of `rows` rows of jobs, each its own series (200 facilities
/// over 100 years), the value of the `i`-th 1000 + i: large enough to come from its reader in
/// batches (its 140,000 cells are more than two of about 65,000). `late` writes texts over
/// values: (row, text), rows counted from 0 below the header.
fn large_sheet(rows: u32, late: &[(u32, &str)]) -> (tempfile::TempDir, std::path::PathBuf) {
    large_sheet_with(rows, late, |_| {})
}

/// [`large_sheet`], with more done to its sheet by `more`.
fn large_sheet_with(
    rows: u32,
    late: &[(u32, &str)],
    more: impl FnOnce(&mut rust_xlsxwriter::Worksheet),
) -> (tempfile::TempDir, std::path::PathBuf) {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet().set_name("Data").unwrap();
    for (c, h) in ["cluster", "country", "year", "kpi", "value", "unit", "facility"].iter().enumerate() {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    for i in 0..rows {
        let r = i + 1;
        sheet.write_string(r, 0, "Port of Rotterdam").unwrap();
        sheet.write_string(r, 1, "NLD").unwrap();
        sheet.write_number(r, 2, 1990 + i % 100).unwrap();
        sheet.write_string(r, 3, "jobs").unwrap();
        match late.iter().find(|(at, _)| *at == i) {
            Some((_, text)) => sheet.write_string(r, 4, *text).unwrap(),
            None => sheet.write_number(r, 4, 1000 + i).unwrap(),
        };
        sheet.write_string(r, 5, "jobs").unwrap();
        sheet.write_string(r, 6, format!("site-{}", i / 100)).unwrap();
    }
    more(sheet);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("large.xlsx");
    book.save(&path).unwrap();
    (dir, path)
}

/// `validate --format json` of one file, with the debug log: the file's report, and the log.
fn validate_logged(path: &std::path::Path) -> (serde_json::Value, String) {
    let run = crate::util::clusterkpi_env(
        &["validate", "--format", "json", path.to_str().unwrap()],
        &[("CLUSTERKPI_LOG", "clusterkpi=debug")],
    );
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).expect("one JSON document");
    (doc["files"][0].clone(), run.stderr)
}

/// The observations' values by their cell.
fn values(file: &serde_json::Value) -> std::collections::HashMap<String, f64> {
    let observations = file["observations"].as_array().expect("observations");
    observations
        .iter()
        .map(|o| (o["location"]["cell"].as_str().unwrap().to_owned(), o["value"].as_f64().unwrap()))
        .collect()
}

/// A large sheet is mapped and checked as its rows come from the reader: every row is read,
/// a finding in a late row is at its cell.
#[test]
fn a_large_sheet_is_checked_as_its_rows_come() {
    let (_dir, path) = large_sheet(20_000, &[(15_000, "twelve")]);
    let (file, log) = validate_logged(&path);
    assert!(log.contains("mapped and checked as they came"), "{log}");
    assert_eq!((file["rows_read"].as_u64(), file["rows_accepted"].as_u64()), (Some(20_000), Some(19_999)));
    let findings = file["findings"].as_array().unwrap();
    let at: Vec<(&str, &str)> =
        findings.iter().map(|f| (f["code"].as_str().unwrap(), f["location"]["cell"].as_str().unwrap())).collect();
    // Row 15,000 below the header is the sheet's row 15,002.
    assert_eq!(at, [("E_VALUE_NOT_NUMBER", "E15002")]);
    let values = values(&file);
    assert_eq!(values.len(), 19_999);
    assert_eq!((values["E2"], values["E20001"]), (1000.0, 20_999.0));
}

/// A late row that changes what the first rows said of the table (here, the value column's
/// decimal convention: `12,5` says a comma is the decimal point, so `1.234` groups thousands)
/// sends the workbook to be read whole: its values are those it holds.
#[test]
fn a_large_sheet_whose_late_rows_change_its_convention_is_read_whole() {
    let (_dir, path) = large_sheet(20_000, &[(18_000, "12,5"), (18_001, "1.234")]);
    let (file, log) = validate_logged(&path);
    assert!(log.contains("declined"), "{log}");
    assert_eq!((file["rows_read"].as_u64(), file["rows_accepted"].as_u64()), (Some(20_000), Some(20_000)));
    let values = values(&file);
    assert_eq!((values["E18002"], values["E18003"]), (12.5, 1234.0));
    assert_eq!(values["E20001"], 20_999.0);
}

/// A reader that dies while a sheet's rows are being taken as they come loses that file
/// (reported unreadable, nothing of it kept) and only that file.
#[test]
fn a_reader_that_dies_while_its_rows_are_taken_loses_only_its_file() {
    let (dir, _path) = large_sheet(20_000, &[]);
    let other = dir.path().join("other.csv");
    std::fs::write(&other, "cluster,country,year,kpi,value,unit\nSolent,GBR,2023,jobs,100,jobs\n").unwrap();
    let run = crate::util::clusterkpi_env(
        &["validate", "--format", "json", dir.path().to_str().unwrap()],
        &[(clusterkpi::fault::ENV, "late:large.xlsx"), ("CLUSTERKPI_LOG", "clusterkpi=debug")],
    );
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).expect("one JSON document");
    let files = doc["files"].as_array().unwrap();
    let large = files.iter().find(|f| f["file"].as_str().unwrap().ends_with("large.xlsx")).unwrap();
    let codes: Vec<&str> = large["findings"].as_array().unwrap().iter().map(|f| f["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["E_FILE_UNREADABLE"], "{}", run.stderr);
    assert_eq!((large["rows_read"].as_u64(), large["observations"].as_array().map(Vec::len)), (Some(0), Some(0)));
    let small = files.iter().find(|f| f["file"].as_str().unwrap().ends_with("other.csv")).unwrap();
    assert_eq!(small["rows_accepted"].as_u64(), Some(1));
    assert!(!run.stderr.contains("mapped and checked as they came"), "{}", run.stderr);
}

/// A sheet whose declared columns go past its cells (a styled empty cell in column K, as a
/// spreadsheet program leaves one) is still checked as its rows come: the columns past its
/// cells hold nothing.
#[test]
fn a_large_sheet_declared_wider_than_its_cells_is_checked_as_its_rows_come() {
    let styled = rust_xlsxwriter::Format::new().set_bold();
    let (_dir, path) = large_sheet_with(20_000, &[], |sheet| {
        sheet.write_blank(3, 10, &styled).unwrap();
    });
    let (file, log) = validate_logged(&path);
    assert!(log.contains("mapped and checked as they came"), "{log}");
    assert_eq!((file["rows_read"].as_u64(), file["rows_accepted"].as_u64()), (Some(20_000), Some(20_000)));
    assert_eq!(file["findings"].as_array().map(Vec::len), Some(0), "{}", file["findings"]);
    let values = values(&file);
    assert_eq!((values["E2"], values["E20001"]), (1000.0, 20_999.0));
}
