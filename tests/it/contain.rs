//! Containment: whatever a spreadsheet reader does inside its worker process (abort, a 10 GB
//! allocation, an endless loop, a stack overflow), the run reports that file, quarantines it,
//! and publishes every other file. The faults are injected inside the worker
//! (`CLUSTERKPI_FAULT`, built with the `fault-injection` feature): in process, any of them
//! would take the whole run down, so these tests cannot pass by parsing in process.

use clusterkpi::write::tables;

use crate::outputs::{observation_rows, strings, table};
use crate::util::{clusterkpi, clusterkpi_env, root};

/// The sample spreadsheet the faults hit; the samples hold other spreadsheets read after it.
const VICTIM: &str = "basque-net-zero.ods";

/// Run the samples with `fault` injected for the victim; check what was published.
fn contained(fault: &str, code: &str, says: &str) {
    let dir = tempfile::tempdir().unwrap();
    let reference = dir.path().join("reference");
    let r = clusterkpi(&["run", "pipelines/sample.toml", "--output", reference.to_str().unwrap()]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let expected: Vec<_> = observation_rows(&reference).into_iter().filter(|(f, _)| f != VICTIM).collect();
    assert!(expected.len() > 50 && expected.len() < observation_rows(&reference).len(), "the victim has observations");

    let pipeline = dir.path().join("p.toml");
    let sample = root().join("sample_data");
    std::fs::write(
        &pipeline,
        format!(
            "[input]\ndir = {sample:?}\n[output]\ndir = \"out\"\n[quarantine]\ndir = \"quarantine\"\n[limits]\nread_seconds = 3\n"
        ),
    )
    .unwrap();
    let r =
        clusterkpi_env(&["run", pipeline.to_str().unwrap()], &[(clusterkpi::fault::ENV, &format!("{fault}:{VICTIM}"))]);
    assert_eq!(r.code, 1, "{fault}: the run completes, with the victim rejected\n{}", r.stderr);
    let out = dir.path().join("out");

    let mut published = observation_rows(&out);
    let mut expected = expected;
    published.sort();
    expected.sort();
    assert!(published == expected, "{fault}: every other file's observations are published, and none of the victim's");

    let subs = table(&out, &tables::SUBMISSIONS);
    let i = strings(&subs, "path").iter().position(|p| p.as_deref() == Some(VICTIM)).unwrap();
    assert_eq!(strings(&subs, "status")[i].as_deref(), Some("unreadable"), "{fault}");
    let findings = table(&out, &tables::FINDINGS);
    let (files, codes, messages) =
        (strings(&findings, "source_file"), strings(&findings, "code"), strings(&findings, "message"));
    let reason = (0..files.len()).find(|&j| files[j].as_deref() == Some(VICTIM)).unwrap();
    assert_eq!(codes[reason].as_deref(), Some(code), "{fault}");
    let message = messages[reason].clone().unwrap();
    assert!(message.contains(says), "{fault}: `{message}` does not say `{says}`");
    assert!(dir.path().join("quarantine").join(VICTIM).is_file(), "{fault}: the victim is quarantined");
}

#[test]
fn a_worker_that_aborts_loses_only_its_file() {
    contained("abort", "E_FILE_UNREADABLE", "the spreadsheet reader failed on this file");
}

#[test]
fn a_worker_that_allocates_10_gb_is_stopped_by_its_memory_limit() {
    contained("alloc", "E_FILE_LIMIT", "`worker_memory_mb`");
}

#[test]
fn a_worker_that_never_returns_is_stopped_by_its_time_limit() {
    contained("loop", "E_FILE_LIMIT", "`read_seconds`");
}

#[test]
fn a_worker_that_overflows_its_stack_loses_only_its_file() {
    contained("stack", "E_FILE_UNREADABLE", "overflowed its stack");
}

#[test]
fn validate_reports_a_crashed_reader_and_checks_the_other_files() {
    let r = clusterkpi_env(
        &["validate", "--format", "json", "sample_data"],
        &[(clusterkpi::fault::ENV, &format!("abort:{VICTIM}"))],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let files = doc["files"].as_array().unwrap();
    assert_eq!(files.len(), 31);
    for f in files {
        let crashed = f["findings"].as_array().unwrap().iter().any(|x| x["code"] == "E_FILE_UNREADABLE");
        let victim = f["file"].as_str().unwrap().ends_with(VICTIM);
        assert_eq!(crashed, victim, "{}", f["file"]);
        assert!(victim || f["rows_read"].as_u64().unwrap() > 0, "{} was read", f["file"]);
    }
}

/// A sheet larger than one batch of rows (64 Ki cells) comes back from its worker exactly as
/// it is read in process: every reported value the same to the last bit (the shortest text of
/// an `f64` names its bits), every location the same.
#[test]
fn a_sheet_streamed_from_its_worker_in_batches_is_bit_exact() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.xlsx");
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (c, h) in ["cluster", "country", "year", "kpi", "value", "unit", "facility"].iter().enumerate() {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    let rows = 12_000u32;
    for r in 1..=rows {
        let value = f64::from(r) * 1.1 + 1e-7 / f64::from(r) + 47_357_830.7;
        sheet.write_string(r, 0, "Humber").unwrap();
        sheet.write_string(r, 1, "GBR").unwrap();
        sheet.write_number(r, 2, 2023).unwrap();
        sheet.write_string(r, 3, "ghg_emissions").unwrap();
        sheet.write_number(r, 4, value).unwrap();
        sheet.write_string(r, 5, "kt CO2e").unwrap();
        sheet.write_string(r, 6, format!("site {r}")).unwrap();
    }
    book.save(&path).unwrap();

    let r = clusterkpi(&["validate", "--format", "json", path.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let from_worker = doc["files"][0]["observations"].as_array().unwrap();
    let in_process = crate::util::check_as(&path, path.to_str().unwrap());
    assert_eq!(from_worker.len(), rows as usize);
    assert_eq!(in_process.observations.len(), rows as usize);
    for (w, o) in from_worker.iter().zip(&in_process.observations) {
        assert_eq!(w["reported_value"].to_string(), serde_json::to_string(&o.reported_value).unwrap());
        assert_eq!(w["value"].to_string(), serde_json::to_string(&o.value).unwrap());
        assert_eq!(w["location"], serde_json::to_value(o.value_loc(&in_process.file)).unwrap());
    }
}
