//! `clusterkpi validate` as a coordinator sees it: output snapshots and exit statuses.

use crate::util::clusterkpi;

#[test]
fn human_report_lists_every_finding_then_a_summary_per_file() {
    let run = clusterkpi(&["validate", "tests/fixtures/cli"]);
    assert_eq!(run.code, 1, "errors were found");
    insta::assert_snapshot!("validate_human", run.stdout);
    assert_eq!(run.stderr, "", "nothing but the report; logs only when asked");
}

#[test]
fn json_report_has_the_documented_shape() {
    let run = clusterkpi(&["validate", "--format", "json", "tests/fixtures/cli"]);
    assert_eq!(run.code, 1);
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).expect("stdout is one JSON document");
    let files = doc["files"].as_array().expect("a `files` array");
    assert_eq!(files.len(), 5);
    for f in files {
        let read = f["rows_read"].as_u64().unwrap();
        assert_eq!(read, f["rows_accepted"].as_u64().unwrap() + f["rows_rejected"].as_u64().unwrap());
    }
    insta::assert_snapshot!("validate_json", run.stdout);
}

#[test]
fn a_clean_file_exits_zero() {
    let run = clusterkpi(&["validate", "tests/fixtures/cli/good.csv"]);
    assert_eq!(run.code, 0);
    insta::assert_snapshot!("validate_clean", run.stdout);
}

#[test]
fn warnings_alone_exit_zero() {
    let (_dir, path) = crate::util::temp_file(
        "repeat.csv",
        b"cluster,country,year,kpi,value,unit\nSolent,GBR,2023,jobs,100,jobs\nSolent,GBR,2023,jobs,100,jobs\n",
    );
    let run = clusterkpi(&["validate", path.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert!(run.stdout.contains("warning[W_DUPLICATE_ROW]"), "{}", run.stdout);
}

#[test]
fn usage_errors_exit_two() {
    let none = clusterkpi(&["validate"]);
    assert_eq!(none.code, 2);
    assert!(none.stderr.contains("<PATH>"), "{}", none.stderr);

    let missing = clusterkpi(&["validate", "no/such/folder"]);
    assert_eq!(missing.code, 2);
    insta::assert_snapshot!("validate_missing_path", missing.stderr);

    let bad_format = clusterkpi(&["validate", "--format", "xml", "sample_data"]);
    assert_eq!(bad_format.code, 2);
}

#[test]
fn an_internal_fault_is_reported_for_its_file_and_exits_three() {
    let run = crate::util::clusterkpi_env(
        &["validate", "tests/fixtures/cli/good.csv", "tests/fixtures/cli/mistakes.json"],
        &[(clusterkpi::fault::ENV, "check:good.csv")],
    );
    assert_eq!(run.code, 3);
    assert!(run.stdout.contains("error[E_INTERNAL]"), "{}", run.stdout);
    assert!(run.stdout.contains("--> tests/fixtures/cli/good.csv\n"), "{}", run.stdout);
    // The other file is still checked.
    assert!(run.stdout.contains("tests/fixtures/cli/mistakes.json (json): 7 rows read"), "{}", run.stdout);
}

#[test]
fn help_and_version_exit_zero() {
    assert_eq!(clusterkpi(&["--version"]).code, 0);
    let help = clusterkpi(&["validate", "--help"]);
    assert_eq!(help.code, 0);
    assert!(help.stdout.contains("--format"));
}

#[test]
fn explain_says_how_each_layout_was_read() {
    let run = clusterkpi(&[
        "validate",
        "--explain",
        "tests/fixtures/examples/wide_years_saraburi-sandbox.xlsx",
        "tests/fixtures/examples/two_row_header_gbr.xlsx",
        "tests/fixtures/examples/multi_sheet_dunkerque-dkarbonation.xlsx",
        "tests/fixtures/examples/nested_json_kwinana.json",
    ]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    let explanation = run.stdout.split("\n\ninfo[").next().unwrap_or_default();
    insta::assert_snapshot!("validate_explain", explanation);
}

#[test]
fn an_unrecognised_layout_says_what_was_looked_for_and_found() {
    let (_dir, path) = crate::util::temp_file("notes.csv", b"Our cluster did well this year\nTotal,5\n");
    let run = clusterkpi(&["validate", path.to_str().unwrap()]);
    assert_eq!(run.code, 1);
    assert!(run.stdout.contains("error[E_NO_TABLE]"), "{}", run.stdout);
    assert!(run.stdout.contains("no header row naming `kpi` and `value`"), "{}", run.stdout);
    assert!(run.stdout.contains("found line 1: `Our cluster did well this year`"), "{}", run.stdout);
}

/// A file whose lines end with a lone carriage return (classic Mac OS, Excel's "CSV
/// (Macintosh)"): each row and finding is at the line an editor shows it on, counted by hand:
/// the header on line 1, a blank line 3, the error on line 4, and a quoted note over lines 5
/// and 6 that puts the last row on line 7.
#[test]
fn lines_ended_by_a_lone_carriage_return_are_counted() {
    let run = clusterkpi(&["validate", "--format", "json", "tests/fixtures/lines/mac_classic.csv"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).expect("a JSON report");
    let file = &report["files"][0];
    fn at(item: &serde_json::Value) -> (Option<u64>, Option<&str>) {
        (item["location"]["line"].as_u64(), item["location"]["column"].as_str())
    }
    let findings: Vec<_> =
        file["findings"].as_array().expect("findings").iter().map(|f| (f["code"].as_str(), at(f))).collect();
    assert_eq!(findings, [(Some("E_VALUE_NOT_NUMBER"), (Some(4), Some("value")))]);
    let rows: Vec<_> = file["observations"].as_array().expect("observations").iter().map(|o| at(o).0).collect();
    assert_eq!(rows, [Some(2), Some(5), Some(7)]);
    assert_eq!((file["rows_read"].as_u64(), file["rows_accepted"].as_u64()), (Some(4), Some(3)));
}
