//! One series key everywhere: spellings of one scope, gas or facility that differ in case,
//! accents or punctuation (`Scope 1`, `SCOPE-1`, `scope 1`; `Raffinerie Süd`, `raffinerie sud`)
//! are one (cluster, facility, year, KPI, scope, gas) for duplicates, plausibility, facility
//! totals, supersession and the headline. Expectations are worked out by hand.

use crate::outputs::{strings, table};
use crate::util::{clusterkpi, temp_file};
use arrow::array::AsArray;
use arrow::datatypes::{Float64Type, Int64Type};
use clusterkpi::write::tables;

const HEADER: &str = "cluster,country,year,kpi,value,unit,scope,gas,facility\n";

fn check(csv: &str) -> (String, Vec<String>) {
    let (_dir, path) = temp_file("series.csv", format!("{HEADER}{csv}").as_bytes());
    let run = clusterkpi(&["validate", "--format", "json", path.to_str().unwrap()]);
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).expect(&run.stderr);
    let findings = doc["files"][0]["findings"].as_array().unwrap();
    let codes = findings.iter().map(|f| f["code"].as_str().unwrap().to_owned()).collect();
    (run.stdout, codes)
}

#[test]
fn duplicates_fold_case_accents_and_punctuation() {
    let (out, codes) = check(concat!(
        "Solent,GBR,2023,ghg_emissions,100,tCO2e,Scope 1,,Raffinerie Süd\n",
        "Solent,GBR,2023,ghg_emissions,100,tCO2e,SCOPE-1,,raffinerie sud\n",
    ));
    assert_eq!(codes, ["W_DUPLICATE_ROW"], "{out}");
}

#[test]
fn interleaved_repeats_and_conflicts_are_each_reported_at_their_own_row() {
    // Keys a, b, a, b: the second a repeats the first exactly (dropped, a warning at its line);
    // the two b's differ (both dropped, an error at each). One row of four is kept.
    let (_dir, path) = temp_file(
        "interleaved.csv",
        concat!(
            "cluster,country,year,kpi,value,unit\n",
            "Solent,GBR,2023,jobs,5,jobs\n",
            "Solent,GBR,2022,jobs,7,jobs\n",
            "Solent,GBR,2023,jobs,5,jobs\n",
            "Solent,GBR,2022,jobs,8,jobs\n",
        )
        .as_bytes(),
    );
    let run = clusterkpi(&["validate", "--format", "json", path.to_str().unwrap()]);
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).expect(&run.stderr);
    let file = &doc["files"][0];
    let seen: Vec<(&str, u64)> = file["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["code"].as_str().unwrap(), f["location"]["line"].as_u64().unwrap()))
        .collect();
    assert_eq!(
        seen,
        [("E_DUPLICATE_CONFLICT", 3), ("W_DUPLICATE_ROW", 4), ("E_DUPLICATE_CONFLICT", 5)],
        "{}",
        run.stdout
    );
    assert_eq!((file["rows_accepted"].as_u64(), file["rows_rejected"].as_u64()), (Some(1), Some(3)));
    assert_eq!(file["observations"][0]["location"]["line"].as_u64(), Some(2), "{}", run.stdout);
}

#[test]
fn year_on_year_jumps_follow_one_series_across_spellings() {
    // 100 t in 2022, 100,000 t in 2023: 1,000× up, in one series however the scope is written.
    let (out, codes) = check(concat!(
        "Solent,GBR,2022,ghg_emissions,100,tCO2e,Scope 1,,\n",
        "Solent,GBR,2023,ghg_emissions,100000,tCO2e,scope 1,,\n",
    ));
    assert!(codes.iter().any(|c| c == "W_YEAR_JUMP"), "{out}");
    // Two different scopes are two series: no jump.
    let (out, codes) = check(concat!(
        "Solent,GBR,2022,ghg_emissions,100,tCO2e,Scope 1,,\n",
        "Solent,GBR,2023,ghg_emissions,100000,tCO2e,Scope 2,,\n",
    ));
    assert!(!codes.iter().any(|c| c == "W_YEAR_JUMP"), "{out}");
}

#[test]
fn facility_rows_meet_their_total_across_spellings() {
    // Total 300; facilities 100 + 200 = 300: they agree.
    let (out, codes) = check(concat!(
        "Solent,GBR,2023,ghg_emissions,300,tCO2e,Scope 1,,\n",
        "Solent,GBR,2023,ghg_emissions,100,tCO2e,scope 1,,Plant A\n",
        "Solent,GBR,2023,ghg_emissions,200,tCO2e,SCOPE-1,,Plant B\n",
    ));
    assert_eq!(codes, ["W_FACILITY_TOTAL"], "{out}");
    assert!(out.contains("the sum of its 2 facility rows, 300 tCO2e, agrees with it"), "{out}");
}

fn document(date: &str, cluster: &str, country: &str, value: u32, scope: &str) -> String {
    format!(
        r#"{{"submitted_at": "{date}", "observations": [{{"cluster": "{cluster}", "country": "{country}", "year": 2023, "kpi": "ghg_emissions", "value": {value}, "unit": "tCO2e", "scope": "{scope}"}}]}}"#
    )
}

#[test]
fn supersession_and_the_headline_see_one_key() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in");
    std::fs::create_dir(&input).unwrap();
    // Solent's figure, resubmitted later with the scope spelled otherwise; Humber's, spelled a
    // third way.
    std::fs::write(input.join("solent-jan.json"), document("2024-01-01", "Solent", "GBR", 1000, "Scope 1")).unwrap();
    std::fs::write(input.join("solent-jun.json"), document("2024-06-01", "Solent", "GBR", 2000, "scope-1")).unwrap();
    std::fs::write(input.join("humber.json"), document("2024-03-01", "Humber", "GBR", 500, "SCOPE 1")).unwrap();
    let out = dir.path().join("out");
    let run = clusterkpi(&["run", "--input", input.to_str().unwrap(), "--output", out.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);

    // Supersession: Solent's June figure replaced January's.
    let obs = table(&out, &tables::OBSERVATIONS);
    let values = obs.column_by_name("value").unwrap().as_primitive::<Float64Type>().clone();
    let mut current: Vec<(String, f64)> =
        strings(&obs, "cluster_id").into_iter().zip(values.values().iter()).map(|(c, v)| (c.unwrap(), *v)).collect();
    current.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(current, [("solent".to_owned(), 2000.0), ("zero-carbon-humber".to_owned(), 500.0)]);
    let history = table(&out, &tables::OBSERVATIONS_HISTORY);
    let superseded = strings(&history, "superseded_by").into_iter().flatten().count();
    assert_eq!(superseded, 1, "January's row is superseded");

    // The headline: one row for scope 1, two clusters, 2,000 + 500; shown in the first of its
    // spellings in byte order (`SCOPE 1` < `scope-1`).
    let totals = table(&out, &tables::KPI_TOTALS);
    let scopes = strings(&totals, "scope");
    assert_eq!(scopes, [Some("SCOPE 1".to_owned())]);
    assert_eq!(totals.column_by_name("clusters").unwrap().as_primitive::<Int64Type>().value(0), 2);
    assert_eq!(totals.column_by_name("total").unwrap().as_primitive::<Float64Type>().value(0), 2500.0);
}
