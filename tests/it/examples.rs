//! Heterogeneous layouts against their expected observations: the shared examples (one
//! real-looking file per layout) and a corpus built from the same layouts in other languages,
//! positions, encodings and formats. Each file gives exactly its expected observations (same
//! keys, values within 1e-9 relative), its count of not-reported cells, and exactly its
//! expected errors (none for the examples): nothing lost, nothing invented.

use crate::util::{assert_accounted, check_fixture, root};

type Key = (String, i32, String, String, Option<String>, Option<String>);

fn check_corpus(expected: &str, folder: &str, files: usize) {
    let expected: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(root().join(expected)).unwrap()).unwrap();
    let cases = expected["files"].as_object().unwrap();
    assert_eq!(cases.len(), files);
    for (name, case) in cases {
        let rel = format!("{folder}/{name}");
        let report = check_fixture(&rel);
        assert_accounted(&report);
        let errors: Vec<(String, String)> = report
            .findings
            .iter()
            .filter(|f| f.is_error())
            .map(|f| (f.code.to_string(), f.location.to_string()))
            .collect();
        let want_errors: Vec<(String, String)> = case["errors"]
            .as_array()
            .map(|list| {
                list.iter().map(|e| (e[0].as_str().unwrap().to_owned(), e[1].as_str().unwrap().to_owned())).collect()
            })
            .unwrap_or_default();
        assert_eq!(errors, want_errors, "{name}: errors");
        let pairs = |key: &str| -> Option<Vec<(String, String)>> {
            case[key].as_array().map(|list| {
                list.iter().map(|e| (e[0].as_str().unwrap().to_owned(), e[1].as_str().unwrap().to_owned())).collect()
            })
        };
        if let Some(want) = pairs("warnings") {
            let got: Vec<(String, String)> = report
                .findings
                .iter()
                .filter(|f| f.code.as_str() == "W_VALUE_QUALIFIED")
                .map(|f| (f.code.to_string(), f.location.to_string()))
                .collect();
            assert_eq!(got, want, "{name}: qualified values");
        }
        if let Some(n) = case["rows_rejected"].as_u64() {
            assert_eq!(report.rows_rejected as u64, n, "{name}: rows rejected");
        }
        // Every name the case says a reader should understand is read as what it says.
        if let Some(read_as) = case["read_as"].as_object() {
            let schema = crate::util::schema();
            for (spelling, want) in read_as {
                let want = want.as_str().unwrap();
                let (bare, _) = clusterkpi::map::split_unit(spelling, &schema);
                let got = schema
                    .read_field(spelling)
                    .entry()
                    .map(|f| f.as_str().to_owned())
                    .or_else(|| schema.read_kpi(bare).entry().map(|k| k.id.clone()));
                assert_eq!(got.as_deref(), Some(want), "{name}: `{spelling}`");
            }
        }
        assert_eq!(report.not_reported as u64, case["not_reported"].as_u64().unwrap(), "{name}: not reported");

        let mut want: Vec<(Key, f64)> = case["observations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| {
                let s = |k: &str| o[k].as_str().map(str::to_owned);
                let key = (
                    s("cluster_id").unwrap(),
                    o["year"].as_i64().unwrap() as i32,
                    s("kpi").unwrap(),
                    s("unit").unwrap(),
                    s("scope"),
                    s("gas"),
                );
                (key, o["value"].as_f64().unwrap())
            })
            .collect();
        let mut got: Vec<(Key, f64)> = report
            .observations
            .iter()
            .map(|o| {
                let text = |t: &Option<clusterkpi::memo::SharedStr>| t.as_ref().map(|t| t.to_string());
                (
                    (
                        o.cluster_id.to_string(),
                        o.year,
                        o.kpi.to_string(),
                        o.unit.to_string(),
                        text(&o.scope),
                        text(&o.gas),
                    ),
                    o.value,
                )
            })
            .collect();
        want.sort_by(|a, b| a.0.cmp(&b.0));
        got.sort_by(|a, b| a.0.cmp(&b.0));
        let keys = |v: &[(Key, f64)]| v.iter().map(|(k, _)| k.clone()).collect::<Vec<_>>();
        assert_eq!(keys(&got), keys(&want), "{name}: observation keys");
        for ((k, g), (_, w)) in got.iter().zip(&want) {
            assert!((g - w).abs() <= 1e-9 * w.abs().max(1.0), "{name} {k:?}: {g} ≠ {w}");
        }
    }
}

#[test]
fn every_shared_example_gives_exactly_its_expected_observations() {
    check_corpus("tests/fixtures/examples.expected.json", "tests/fixtures/examples", 11);
}

#[test]
fn the_same_layouts_in_other_languages_positions_and_formats() {
    check_corpus("tests/fixtures/layouts.expected.json", "tests/fixtures/layouts", 9);
}

#[test]
fn submissions_written_as_coordinators_write_them() {
    check_corpus("tests/fixtures/unseen.expected.json", "tests/fixtures/unseen", 36);
}

#[test]
fn a_finding_in_a_wide_table_points_at_the_value_cell() {
    let report = check_fixture("tests/fixtures/examples/wide_years_saraburi-sandbox.xlsx");
    let jobs_2024 = report.observations.iter().find(|o| o.kpi == "jobs" && o.year == 2024).unwrap();
    assert_eq!(
        jobs_2024.value_loc(&report.file).to_string(),
        "tests/fixtures/examples/wide_years_saraburi-sandbox.xlsx:KPIs!E10"
    );
    let report = check_fixture("tests/fixtures/examples/wide_kpis_brightlands-circular-space.csv");
    let gdp_2022 = report.observations.iter().find(|o| o.kpi == "gdp_contribution" && o.year == 2022).unwrap();
    assert_eq!(
        gdp_2022.value_loc(&report.file).to_string(),
        "tests/fixtures/examples/wide_kpis_brightlands-circular-space.csv:line 3, field 5"
    );
    let report = check_fixture("tests/fixtures/examples/nested_json_kwinana.json");
    let jobs_2023 = report.observations.iter().find(|o| o.kpi == "jobs" && o.year == 2023).unwrap();
    assert_eq!(
        jobs_2023.value_loc(&report.file).to_string(),
        "tests/fixtures/examples/nested_json_kwinana.json:/kpis/jobs/2023/value"
    );
}
