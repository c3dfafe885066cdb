//! At least one test per finding code: each case is a small submission with one planted
//! problem, and the finding must appear with that code at exactly that location.

use clusterkpi::diag::Code;

use crate::util::{assert_accounted, check_as, check_fixture, clusterkpi_env, findings, temp_file};

const HEAD: &str = "cluster,country,year,kpi,value,unit\n";

#[derive(Clone, Copy)]
enum Src {
    /// A file written to a temporary folder, reported under its bare name.
    Text(&'static str, &'static str),
    Bytes(&'static str, &'static [u8]),
    /// A committed fixture, reported under its path from the project root.
    Fixture(&'static str),
    /// A committed fixture checked by the CLI with a fault injected.
    Fault(&'static str),
}

fn run_case(code: &str, src: Src, location: &str) {
    let found = match src {
        Src::Text(name, text) => in_temp(name, text.as_bytes()),
        Src::Bytes(name, bytes) => in_temp(name, bytes),
        Src::Fixture(rel) => {
            let report = check_fixture(rel);
            assert_accounted(&report);
            findings(&report)
        }
        Src::Fault(rel) => {
            let run = clusterkpi_env(
                &["validate", "--format", "json", rel],
                &[(clusterkpi::fault::ENV, &format!("check:{rel}"))],
            );
            let doc: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON report");
            doc["files"][0]["findings"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| (f["code"].as_str().unwrap().to_owned(), f["location"]["file"].as_str().unwrap().to_owned()))
                .collect()
        }
    };
    assert!(found.iter().any(|(c, l)| c == code && l == location), "expected {code} at {location}, found:\n{found:#?}");
}

fn in_temp(name: &str, bytes: &[u8]) -> Vec<(String, String)> {
    let (_dir, path) = temp_file(name, bytes);
    let report = check_as(&path, name);
    assert_accounted(&report);
    findings(&report)
}

macro_rules! cases {
    ($( $test:ident: $code:literal in $src:expr => $loc:literal; )*) => {
        $( #[test] fn $test() { run_case($code, $src, $loc) } )*
        const COVERED: &[&str] = &[$($code),*];
    };
}

cases! {
    file_unreadable: "E_FILE_UNREADABLE" in Src::Fixture("tests/fixtures/cli/truncated.xlsx") => "tests/fixtures/cli/truncated.xlsx";
    file_unreadable_json: "E_FILE_UNREADABLE" in Src::Text("s.json", "{\"observations\": [") => "s.json";
    file_limit: "E_FILE_LIMIT" in Src::Fixture("tests/fixtures/hostile/deep.json") => "tests/fixtures/hostile/deep.json";
    file_empty: "E_FILE_EMPTY" in Src::Text("empty.csv", "") => "empty.csv";
    encoding_latin1: "I_ENCODING" in Src::Bytes("latin1.csv", b"cluster,country,year,kpi,value,unit\nPorto do A\xe7u,BRA,2023,jobs,5,\n") => "latin1.csv";
    file_encoding_binary: "E_FILE_ENCODING" in Src::Bytes("binary.csv", b"\x7fELF\x02\x01\x01\x00\x00\x00") => "binary.csv";
    file_format: "E_FILE_FORMAT" in Src::Text("submission.pdf", "%PDF-1.4") => "submission.pdf";
    no_table_sheets: "E_NO_TABLE" in Src::Fixture("tests/fixtures/sheets/no_table.xlsx") => "tests/fixtures/sheets/no_table.xlsx";
    no_table_json: "E_NO_TABLE" in Src::Text("k.json", "{\"cluster\": \"Kwinana\", \"figures\": {\"a\": 1}}") => "k.json";
    missing_column: "E_MISSING_COLUMN" in Src::Text("m.csv", "country,year,kpi,value,unit\nGBR,2023,jobs,5,jobs\n") => "m.csv:line 1";
    duplicate_column: "E_DUPLICATE_COLUMN" in Src::Text("d.csv", "cluster,country,year,kpi,value,Value ,unit\nSolent,GBR,2023,jobs,5,6,jobs\n") => "d.csv:line 1, field 6";
    row_shape: "E_ROW_SHAPE" in Src::Text("s.csv", "cluster,country,year,kpi,value,unit\nSolent,GBR,2023,ghg_emissions,12,5,tCO2e\n") => "s.csv:line 2";
    json_record: "E_JSON_RECORD" in Src::Text("r.json", "[{\"cluster\": \"Solent\"}, [1, 2]]") => "r.json:/1";
    json_record_line: "E_JSON_RECORD" in Src::Text("r.jsonl", "{\"cluster\": \"Solent\"}\n{oops}\n") => "r.jsonl:line 2";
    required_missing: "E_REQUIRED_MISSING" in Src::Text("q.csv", "cluster,country,year,kpi,value,unit\nSolent,GBR,,ghg_emissions,5,tCO2e\n") => "q.csv:line 2";
    required_missing_json: "E_REQUIRED_MISSING" in Src::Text("q.json", "[{\"cluster\": \"Solent\", \"country\": \"GBR\", \"year\": 2023, \"value\": 5, \"unit\": \"t\"}]") => "q.json:/0";
    cell_error: "E_CELL_ERROR" in Src::Fixture("tests/fixtures/sheets/cell_values.xlsx") => "tests/fixtures/sheets/cell_values.xlsx:KPIs!E3";
    year_format: "E_YEAR_FORMAT" in Src::Text("y.csv", "cluster,country,year,kpi,value,unit\nSolent,GBR,2023.5,jobs,5,jobs\n") => "y.csv:line 2";
    year_format_date: "E_YEAR_FORMAT" in Src::Fixture("tests/fixtures/sheets/cell_values.xlsx") => "tests/fixtures/sheets/cell_values.xlsx:KPIs!C4";
    year_range: "E_YEAR_RANGE" in Src::Text("y.jsonl", "{\"cluster\": \"Solent\", \"country\": \"GBR\", \"year\": 2101, \"kpi\": \"jobs\", \"value\": 5}\n") => "y.jsonl:line 1";
    value_not_number: "E_VALUE_NOT_NUMBER" in Src::Text("v.csv", "cluster,country,year,kpi,value,unit\nSolent,GBR,2023,ghg_emissions,twelve,tCO2e\n") => "v.csv:line 2";
    number_ambiguous: "E_NUMBER_AMBIGUOUS" in Src::Text("v.csv", "cluster,country,year,kpi,value,unit\nSolent,GBR,2023,ghg_emissions,\"1,234\",tCO2e\n") => "v.csv:line 2";
    unit_conflict: "E_UNIT_CONFLICT" in Src::Text("v.csv", "cluster,country,year,kpi,value,unit\nSolent,GBR,2023,ghg_emissions,12 kt CO2e,tCO2e\n") => "v.csv:line 2";
    value_not_number_date: "E_VALUE_NOT_NUMBER" in Src::Fixture("tests/fixtures/sheets/cell_values.xlsx") => "tests/fixtures/sheets/cell_values.xlsx:KPIs!E5";
    value_negative: "E_VALUE_NEGATIVE" in Src::Text("n.json", "[{\"cluster\": \"Solent\", \"country\": \"GBR\", \"year\": 2023, \"kpi\": \"jobs\", \"value\": -3}]") => "n.json:/0/value";
    kpi_unknown: "E_KPI_UNKNOWN" in Src::Text("k.csv", "cluster,country,year,kpi,value,unit\nSolent,GBR,2023,turnover,5,tCO2e\n") => "k.csv:line 2";
    kpi_unknown_column: "E_KPI_UNKNOWN" in Src::Text("k.csv", "cluster,year,Jobs,Ship movements\nSolent,2023,5,31000\n") => "k.csv:line 1, field 4";
    name_matched: "I_NAME_MATCHED" in Src::Text("n.csv", "cluster,country,year,kpi,value,unit\nSolent,GBR,2023,Total CO2-equivalent emissions,5,tCO2e\n") => "n.csv:line 2";
    name_matched_header: "I_NAME_MATCHED" in Src::Text("h.csv", "cluster,country,Reported year,kpi,value,unit\nSolent,GBR,2023,jobs,5,jobs\n") => "h.csv:line 1, field 3";
    column_inferred: "I_COLUMN_INFERRED" in Src::Text("i.csv", "A,B,C,D,E\nSolent,2023,ghg_emissions,5,tCO2e\nSolent,2024,gdp_contribution,7,GBP m\n") => "i.csv:line 1, field 1";
    column_contents: "W_COLUMN_CONTENTS" in Src::Text("w.csv", "cluster,country,year,unit,value,kpi\nSolent,GBR,2023,ghg_emissions,5,tCO2e\nSolent,GBR,2024,gdp_contribution,5,GBP m\n") => "w.csv:line 1, field 4";
    column_unread: "W_COLUMN_UNREAD" in Src::Text("c.csv", "cluster,country,year,kpi,value,unit,Emissions target\nSolent,GBR,2023,jobs,5,jobs,120\n") => "c.csv:line 1, field 7";
    cell_unread: "I_CELL_UNREAD" in Src::Text("n.csv", "cluster,country,year,kpi,value,unit\nSolent,GBR,2023,jobs,5,jobs\nSource: national statistics,,,,,\n") => "n.csv:line 3";
    number_unread: "W_NUMBER_UNREAD" in Src::Text("w.csv", "cluster,year,Jobs,\nSolent,2023,5,7\n") => "w.csv:line 2";
    value_qualified: "W_VALUE_QUALIFIED" in Src::Text("q.csv", "cluster,country,year,kpi,value,unit\nSolent,GBR,2023,jobs,~1200,jobs\n") => "q.csv:line 2";
    value_bound: "E_VALUE_BOUND" in Src::Text("b.csv", "cluster,country,year,kpi,value,unit\nSolent,GBR,2023,jobs,>500,jobs\n") => "b.csv:line 2";
    cluster_unknown: "E_CLUSTER_UNKNOWN" in Src::Text("c.json", "{\"cluster\": \"Atlantis\", \"country\": \"GBR\", \"observations\": [{\"year\": 2023, \"kpi\": \"jobs\", \"value\": 5}]}") => "c.json:/cluster";
    country_unknown: "E_COUNTRY_UNKNOWN" in Src::Text("c.csv", "cluster,country,year,kpi,value,unit\nSolent,Wessex,2023,jobs,5,jobs\n") => "c.csv:line 2";
    country_mismatch: "E_COUNTRY_MISMATCH" in Src::Text("c.jsonl", "{\"cluster\": \"Solent\", \"country\": \"FR\", \"year\": 2023, \"kpi\": \"jobs\", \"value\": 5}\n") => "c.jsonl:line 1";
    duplicate_conflict: "E_DUPLICATE_CONFLICT" in Src::Text("d.csv", "cluster,country,year,kpi,value,unit\nSolent,GBR,2023,jobs,5,jobs\nsolent,GBR,2023,jobs,6,jobs\n") => "d.csv:line 3";
    duplicate_row: "W_DUPLICATE_ROW" in Src::Text("d.csv", "cluster,country,year,kpi,value,unit\nSolent,GBR,2023,jobs,5,jobs\nThe Solent Cluster,GB,2023,jobs,5.0,jobs\n") => "d.csv:line 3";
    unit_missing: "E_UNIT_MISSING" in Src::Text("u.csv", "cluster,country,year,kpi,value,unit\nSolent,GBR,2023,ghg_emissions,5,\n") => "u.csv:line 2";
    unit_unknown: "E_UNIT_UNKNOWN" in Src::Text("u.csv", "cluster,country,year,kpi,value,unit\nSolent,GBR,2023,ghg_emissions,5,furlongs\n") => "u.csv:line 2";
    unit_dimension: "E_UNIT_DIMENSION" in Src::Text("u.json", "[{\"cluster\": \"Solent\", \"country\": \"GBR\", \"year\": 2023, \"kpi\": \"ghg_reduction_potential\", \"value\": 5, \"unit\": \"MWh\"}]") => "u.json:/0/unit";
    unit_ambiguous: "E_UNIT_AMBIGUOUS" in Src::Text("u.csv", "cluster,country,year,kpi,value,unit\nSolent,GBR,2023,ghg_emissions,5,MTCO2e\n") => "u.csv:line 2";
    unit_ambiguous_dollar: "E_UNIT_AMBIGUOUS" in Src::Text("u.csv", "cluster,country,year,kpi,value,unit\nSolent,GBR,2023,gdp_contribution,5,$\n") => "u.csv:line 2";
    unit_assumed: "W_UNIT_ASSUMED" in Src::Text("u.csv", "cluster,country,year,kpi,value,unit\nCartagena,COL,2023,gdp_contribution,5,$ bn\n") => "u.csv:line 2";
    currency_unknown: "E_CURRENCY_UNKNOWN" in Src::Text("u.csv", "cluster,country,year,kpi,value,unit\nSolent,GBR,2023,gdp_contribution,5,XYZ m\n") => "u.csv:line 2";
    fx_missing: "E_FX_MISSING" in Src::Text("u.csv", "cluster,country,year,kpi,value,unit\nSolent,GBR,2019,gdp_contribution,5,GBP m\n") => "u.csv:line 2";
    gas_unknown: "E_GAS_UNKNOWN" in Src::Text("u.csv", "cluster,country,year,kpi,value,unit,gas\nSolent,GBR,2023,ghg_emissions,5,t,CO9\n") => "u.csv:line 2";
    gas_mismatch: "E_GAS_MISMATCH" in Src::Text("u.csv", "cluster,country,year,kpi,value,unit,gas\nSolent,GBR,2023,ghg_emissions,5,t CH4,N2O\n") => "u.csv:line 2";
    implausible: "W_IMPLAUSIBLE" in Src::Text("u.csv", "cluster,country,year,kpi,value,unit\nSolent,GBR,2023,ghg_emissions,4000,MtCO2e\n") => "u.csv:line 2";
    year_jump: "W_YEAR_JUMP" in Src::Text("u.csv", "cluster,country,year,kpi,value,unit\nSolent,GBR,2022,ghg_emissions,4.1,MtCO2e\nSolent,GBR,2023,ghg_emissions,4200,ktCO2e\nSolent,GBR,2024,ghg_emissions,4.3,GtCO2e\n") => "u.csv:line 4";
    facility_total: "W_FACILITY_TOTAL" in Src::Text("f.csv", "cluster,country,year,kpi,value,unit,facility\nRotterdam,NLD,2024,ghg_emissions,10,MtCO2e,\nRotterdam,NLD,2024,ghg_emissions,6,MtCO2e,Shell Pernis\nRotterdam,NLD,2024,ghg_emissions,3,MtCO2e,Uniper\n") => "f.csv:line 2";
    internal: "E_INTERNAL" in Src::Fault("tests/fixtures/cli/good.csv") => "tests/fixtures/cli/good.csv";
    sheet_hidden: "W_SHEET_HIDDEN" in Src::Fixture("tests/fixtures/sheets/many_sheets.xlsx") => "tests/fixtures/sheets/many_sheets.xlsx:calc";
    sheet_very_hidden: "W_SHEET_HIDDEN" in Src::Fixture("tests/fixtures/sheets/many_sheets.xlsx") => "tests/fixtures/sheets/many_sheets.xlsx:old";
    sheet_skipped: "I_SHEET_SKIPPED" in Src::Fixture("tests/fixtures/sheets/many_sheets.xlsx") => "tests/fixtures/sheets/many_sheets.xlsx:'Read me'";
    unknown_column: "I_UNKNOWN_COLUMN" in Src::Text("u.csv", "cluster,country,year,kpi,value,unit,source\nSolent,GBR,2023,jobs,5,jobs,survey\n") => "u.csv:line 1, field 7";
}

/// One cause, one finding: a malformed value gives exactly one finding, never a second one that
/// only follows from the first.
#[test]
fn each_malformed_value_gives_exactly_one_finding() {
    for (value, code) in [
        ("~1200", "W_VALUE_QUALIFIED"),
        ("c. 1200", "W_VALUE_QUALIFIED"),
        ("1234*", "W_VALUE_QUALIFIED"),
        ("1234 (e)", "W_VALUE_QUALIFIED"),
        ("1 200 (est.)", "W_VALUE_QUALIFIED"),
        ("1200 p", "W_VALUE_QUALIFIED"),
        (">500", "E_VALUE_BOUND"),
        ("<0.1", "E_VALUE_BOUND"),
        ("500+", "E_VALUE_BOUND"),
        ("twelve", "E_VALUE_NOT_NUMBER"),
        ("12 kt CO2e", "E_UNIT_CONFLICT"),
        ("-5", "E_VALUE_NEGATIVE"),
    ] {
        let text = format!("{HEAD}Solent,GBR,2023,jobs,\"{value}\",jobs\n");
        let found = in_temp("one.csv", text.as_bytes());
        assert_eq!(found, vec![(code.to_owned(), "one.csv:line 2".to_owned())], "value `{value}`");
    }
}

#[test]
fn every_code_has_a_case() {
    for code in Code::ALL {
        assert!(COVERED.contains(&code.as_str()), "no test case for {code}");
    }
}

#[test]
fn a_file_without_findings_has_no_error_codes_at_all() {
    let (_dir, path) = temp_file("ok.csv", format!("{HEAD}Solent,GBR,2023,jobs,5,jobs\n").as_bytes());
    let report = check_as(&path, "ok.csv");
    assert!(report.findings.is_empty(), "{:#?}", report.findings);
    assert_eq!((report.rows_read, report.rows_accepted), (1, 1));
}

#[test]
fn readme_documents_every_code() {
    let readme = std::fs::read_to_string(crate::util::root().join("README.md")).unwrap();
    for code in Code::ALL {
        assert!(readme.contains(&format!("| `{code}` |")), "README.md does not document {code}");
    }
}
