//! The bundled sample data: every planted mistake is reported at its exact place, and nothing
//! else is reported.

use std::collections::BTreeSet;
use std::sync::Arc;

use clusterkpi::pipeline::{check_files, discover};

use crate::util::{assert_accounted, root, schema};

#[test]
fn sample_data_reports_exactly_the_planted_mistakes() {
    let expected: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("tests/fixtures/sample_data.expected.json")).unwrap(),
    )
    .unwrap();
    let want: BTreeSet<(String, String)> = expected["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["code"].as_str().unwrap().to_owned(), f["location"].as_str().unwrap().to_owned()))
        .collect();

    // Report paths relative to the project root, as the generator wrote them.
    let inputs = discover(&[root().join("sample_data")]).unwrap();
    let prefix = format!("{}/", root().display());
    let inputs = inputs
        .into_iter()
        .map(|mut i| {
            i.name = Arc::from(i.name.strip_prefix(&prefix).unwrap_or(&i.name));
            i
        })
        .collect();
    let reports = check_files(inputs, Arc::new(schema()));

    assert_eq!(reports.len() as u64, expected["files"].as_u64().unwrap(), "one file per registry cluster");
    let got: BTreeSet<(String, String)> =
        reports.iter().flat_map(|r| r.findings.iter().map(|f| (f.code.to_string(), f.location.to_string()))).collect();
    assert_eq!(got, want);
    let total: usize = reports.iter().map(|r| r.findings.len()).sum();
    assert_eq!(total, want.len(), "no finding twice");

    for r in &reports {
        assert_accounted(r);
    }
    let read: usize = reports.iter().map(|r| r.rows_read).sum();
    assert_eq!(read as u64, expected["rows_read"].as_u64().unwrap());
}
