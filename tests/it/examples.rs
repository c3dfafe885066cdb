//! The shared examples: one real-looking file per layout, each giving exactly its expected
//! observations (same keys, values within 1e-9 relative), its count of not-reported cells, and
//! no error.

use crate::util::{assert_accounted, check_fixture, root};

type Key = (String, i32, String, String, Option<String>, Option<String>);

#[test]
fn every_example_gives_exactly_its_expected_observations() {
    let expected: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(root().join("tests/fixtures/examples.expected.json")).unwrap())
            .unwrap();
    let files = expected["files"].as_object().unwrap();
    assert_eq!(files.len(), 11);
    for (name, case) in files {
        let report = check_fixture(&format!("tests/fixtures/examples/{name}"));
        assert_accounted(&report);
        let errors: Vec<_> = report.findings.iter().filter(|f| f.is_error()).collect();
        assert!(errors.is_empty(), "{name}: {errors:#?}");
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
                ((o.cluster_id.clone(), o.year, o.kpi.clone(), o.unit.clone(), o.scope.clone(), o.gas.clone()), o.value)
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
