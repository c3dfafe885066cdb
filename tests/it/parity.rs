//! Format parity: the same logical submission as xlsx, xls, ods, csv, json and jsonl gives the
//! same observations, equal to a hand-written expectation.

use crate::util::{assert_accounted, check_fixture};

/// (cluster, country, year, kpi, canonical value, canonical unit, reported unit, scope, gas, facility, notes)
type Obs = (
    String,
    String,
    i32,
    String,
    f64,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

fn s(v: &str) -> Option<String> {
    Some(v.to_owned())
}

fn expected() -> Vec<Obs> {
    let acu = |year, kpi: &str, value, unit: &str, reported: Option<String>| {
        (
            "port-of-acu".to_owned(),
            "BRA".to_owned(),
            year,
            kpi.to_owned(),
            value,
            unit.to_owned(),
            reported,
            None,
            None,
            None,
            None,
        )
    };
    let mut rows = vec![
        acu(2022, "ghg_emissions", 1_234_567.5, "tCO2e", s("tCO2e")),
        acu(2023, "ghg_emissions", 1_200_000.0, "tCO2e", s("tCO2e")),
        acu(2023, "jobs", 8500.0, "jobs", None),
        // BRL at the 2024 annual average, 5.39 per USD.
        acu(2024, "gdp_contribution", 2_500_000_000.0 / 5.39, "USD", s("BRL")),
        acu(2024, "hydrogen_production", 0.25, "t", s("t")),
        acu(2024, "renewable_electricity", 12_345.678, "MWh", s("MWh")),
    ];
    rows[0].7 = s("1");
    (rows[1].7, rows[1].8, rows[1].9, rows[1].10) = (s("1"), s("CO2"), s("Açu Thermal Complex"), s("verified"));
    rows[4].9 = s("Açu H2 pilot");
    rows[5].10 = s("solar, wind");
    rows
}

fn observations(rel: &str) -> Vec<Obs> {
    let report = check_fixture(rel);
    assert!(report.findings.is_empty(), "{rel}: {:#?}", report.findings);
    assert_accounted(&report);
    report
        .observations
        .into_iter()
        .map(|o| {
            let text = |t: Option<clusterkpi::memo::SharedStr>| t.map(|t| t.to_string());
            (
                o.cluster_id.to_string(),
                o.country.to_string(),
                o.year,
                o.kpi.to_string(),
                o.value,
                o.unit.to_string(),
                text(o.reported_unit),
                text(o.scope),
                text(o.gas),
                text(o.facility),
                o.notes.map(|n| String::from(*n)),
            )
        })
        .collect()
}

#[test]
fn every_format_gives_the_same_observations() {
    let want = expected();
    for ext in ["xlsx", "xls", "ods", "csv", "json", "jsonl"] {
        let got = observations(&format!("tests/fixtures/parity/submission.{ext}"));
        assert_eq!(got, want, "submission.{ext}");
    }
}

#[test]
fn locations_follow_each_format() {
    let value_loc = |ext: &str| {
        let report = check_fixture(&format!("tests/fixtures/parity/submission.{ext}"));
        report.observations[0].value_loc(&report.file).to_string()
    };
    // The xlsx table starts at B3, so its first value sits in F4, not E2.
    assert_eq!(value_loc("xlsx"), "tests/fixtures/parity/submission.xlsx:KPIs!F4");
    assert_eq!(value_loc("xls"), "tests/fixtures/parity/submission.xls:KPIs!E2");
    assert_eq!(value_loc("ods"), "tests/fixtures/parity/submission.ods:KPIs!E2");
    assert_eq!(value_loc("csv"), "tests/fixtures/parity/submission.csv:line 2");
    assert_eq!(value_loc("json"), "tests/fixtures/parity/submission.json:/observations/0/value");
    assert_eq!(value_loc("jsonl"), "tests/fixtures/parity/submission.jsonl:line 1");
}
