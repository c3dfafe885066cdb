//! Numbers a 64-bit float cannot hold (`1e99999999999`, `1e400`, `1e-400`) are refused where
//! they are written, with `E_VALUE_NOT_NUMBER`, in every format: never read as 1, 0 or
//! infinity, and never the cause of a whole file refused. Through the CLI, as users see it.

use std::path::Path;

use serde_json::{Value, json};

use crate::util::{clusterkpi, temp_file};

const CODE: &str = "E_VALUE_NOT_NUMBER";

/// The written values of the rows that must be refused, with their year (one a row, so that
/// no two rows are the same observation) and whether each is too large or too small.
const REFUSED: [(&str, i32, &str); 5] = [
    ("1e99999999999", 2018, "too large"),
    ("1e400", 2019, "too large"),
    ("1e-400", 2020, "too small"),
    ("-1e-400", 2021, "too small"),
    // A subnormal: 1e-310 lies below the smallest normal double, 2.2250738585072014e-308.
    ("1e-310", 2022, "too small"),
];

/// `clusterkpi validate --format json PATH`: its exit status and its one file's report.
fn validate(path: &Path) -> (i32, Value) {
    let path = path.to_str().expect("UTF-8 temp path");
    let run = clusterkpi(&["validate", "--format", "json", path]);
    let report: Value = serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}", run.stdout));
    let file = report["files"][0].clone();
    assert_eq!(file["file"], path, "{file}");
    (run.code, file)
}

/// Each refused row has exactly one finding, `E_VALUE_NOT_NUMBER` at its value, saying what
/// was written and why; the row of `1.5e3` is accepted as 1500.
fn assert_refused_where_written(path: &Path, location: impl Fn(usize) -> Value, accepted_at: Value) {
    let (code, file) = validate(path);
    assert_eq!(code, 1, "an error finding exits 1: {file}");
    assert_eq!(file["rows_read"], 6, "{file}");
    assert_eq!(file["rows_accepted"], 1, "{file}");
    assert_eq!(file["rows_rejected"], 5, "{file}");
    let findings = file["findings"].as_array().expect("findings");
    assert_eq!(findings.len(), REFUSED.len(), "one finding a refused row: {findings:#?}");
    for (i, ((written, _, why), f)) in REFUSED.iter().zip(findings).enumerate() {
        assert_eq!(f["code"], CODE, "{written}: {f}");
        assert_eq!(f["severity"], "error", "{written}: {f}");
        let mut want = location(i);
        want["file"] = json!(path.to_str());
        assert_eq!(f["location"], want, "{written}: {f}");
        let message = f["message"].as_str().expect("message");
        let prefix = format!("value `{written}` is {why} to be represented");
        assert!(message.starts_with(&prefix), "{written}: {message}");
        let hint = f["hint"].as_str().expect("hint");
        if *why == "too small" {
            assert!(hint.starts_with("write 0 if you mean zero"), "{written}: {hint}");
        } else {
            assert!(hint.contains("exponent"), "{written}: {hint}");
        }
    }
    let observations = file["observations"].as_array().expect("observations");
    assert_eq!(observations.len(), 1, "{observations:#?}");
    let o = &observations[0];
    assert_eq!(
        (&o["year"], &o["kpi"], &o["value"], &o["unit"]),
        (&json!(2024), &json!("jobs"), &json!(1500.0), &json!("jobs"))
    );
    let mut want = accepted_at;
    want["file"] = json!(path.to_str());
    assert_eq!(o["location"], want);
}

#[test]
fn csv_numbers_out_of_range_are_refused_at_their_cell() {
    let mut csv = "cluster,country,year,kpi,value,unit\n".to_owned();
    for (written, year, _) in REFUSED {
        csv.push_str(&format!("Humber,GBR,{year},jobs,{written},\n"));
    }
    csv.push_str("Humber,GBR,2024,jobs,1.5e3,\n");
    let (_dir, path) = temp_file("numbers.csv", csv.as_bytes());
    // The header is line 1: the refused rows are lines 2 to 6, `1.5e3` line 7.
    assert_refused_where_written(
        &path,
        |i| json!({"line": i + 2, "column": "value"}),
        json!({"line": 7, "column": "value"}),
    );
}

#[test]
fn json_numbers_out_of_range_are_refused_at_their_pointer() {
    let mut records: Vec<String> = REFUSED
        .iter()
        .map(|(written, year, _)| format!(r#"    {{"year": {year}, "kpi": "jobs", "value": {written}}}"#))
        .collect();
    records.push(r#"    {"year": 2024, "kpi": "jobs", "value": 1.5e3}"#.to_owned());
    let json = format!(
        "{{\n  \"cluster\": \"Humber\",\n  \"country\": \"GBR\",\n  \"observations\": [\n{}\n  ]\n}}\n",
        records.join(",\n")
    );
    let (_dir, path) = temp_file("numbers.json", json.as_bytes());
    assert_refused_where_written(
        &path,
        |i| json!({"pointer": format!("/observations/{i}/value"), "column": "value"}),
        json!({"pointer": "/observations/5/value", "column": "value"}),
    );
}

#[test]
fn json_lines_numbers_out_of_range_are_refused_at_their_line() {
    let mut lines = String::new();
    for (written, year, _) in REFUSED.iter().copied().chain([("1.5e3", 2024, "")]) {
        lines.push_str(&format!(
            r#"{{"cluster": "Humber", "country": "GBR", "year": {year}, "kpi": "jobs", "value": {written}}}"#
        ));
        lines.push('\n');
    }
    let (_dir, path) = temp_file("numbers.jsonl", lines.as_bytes());
    assert_refused_where_written(
        &path,
        |i| json!({"line": i + 1, "column": "value"}),
        json!({"line": 6, "column": "value"}),
    );
}

#[test]
fn spreadsheet_text_numbers_out_of_range_are_refused_at_their_cell() {
    use rust_xlsxwriter::Workbook;
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("KPIs").expect("sheet name");
    for (c, header) in ["cluster", "country", "year", "kpi", "value", "unit"].into_iter().enumerate() {
        sheet.write_string(0, c as u16, header).expect("write");
    }
    for (r, (written, year, _)) in REFUSED.iter().copied().chain([("1.5e3", 2024, "")]).enumerate() {
        let r = r as u32 + 1;
        sheet.write_string(r, 0, "Humber").expect("write");
        sheet.write_string(r, 1, "GBR").expect("write");
        sheet.write_number(r, 2, year).expect("write");
        sheet.write_string(r, 3, "jobs").expect("write");
        // Typed as text, as a number too large for a spreadsheet's own cells can only be.
        sheet.write_string(r, 4, written).expect("write");
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("numbers.xlsx");
    book.save(&path).expect("save");
    // The header is row 1 and `value` column E: the refused values are E2 to E6, `1.5e3` E7.
    assert_refused_where_written(
        &path,
        |i| json!({"sheet": "KPIs", "cell": format!("E{}", i + 2), "row": i + 2, "column": "value"}),
        json!({"sheet": "KPIs", "cell": "E7", "row": 7, "column": "value"}),
    );
}

/// Text around a number that cannot be a unit (markup, code, an open bracket) makes the cell
/// text, not the number inside it: `alert(1)` is not the accounting `(1)`, i.e. -1. Accounting
/// brackets themselves stay negative, and are said as written.
#[test]
fn markup_and_code_around_a_number_are_text_not_a_value() {
    let csv = "cluster,country,year,kpi,value,unit\n\
               Solent,GBR,2019,jobs,<script>alert(1)</script>,jobs\n\
               Solent,GBR,2020,jobs,abc(12)def,jobs\n\
               Solent,GBR,2021,jobs,<b>12</b>,jobs\n\
               Solent,GBR,2022,jobs,(12),jobs\n\
               Solent,GBR,2023,jobs,12 (jobs),\n";
    let (_dir, path) = temp_file("markup.csv", csv.as_bytes());
    let (_, file) = validate(&path);
    let found: Vec<(String, String)> = file["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["code"].as_str().unwrap().to_owned(), f["message"].as_str().unwrap().to_owned()))
        .collect();
    let codes: Vec<&str> = found.iter().map(|(c, _)| c.as_str()).collect();
    assert_eq!(codes, [CODE, CODE, CODE, "E_VALUE_NEGATIVE"], "{found:?}");
    assert!(found[0].1.contains("`<script>alert(1)</script>` is text"), "{found:?}");
    assert!(found[3].1.contains("`(12)` reads as -12"), "{found:?}");
    assert_eq!(file["rows_accepted"], 1, "`12 (jobs)`: 12 with its unit in brackets");
}
