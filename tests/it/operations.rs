//! Operating the nightly run: the lock, the run manifest, machine-readable logs.

use crate::util::clusterkpi;

fn run_into(out: &std::path::Path, extra: &[&str]) -> crate::util::Run {
    let mut args = vec!["run", "pipelines/sample.toml", "--output", out.to_str().unwrap()];
    args.extend_from_slice(extra);
    clusterkpi(&args)
}

#[test]
fn a_second_run_on_the_same_output_is_refused_while_the_first_holds_the_lock() {
    let dir = tempfile::tempdir().unwrap();
    // This test process is alive: its lock is held.
    let lock = serde_json::json!({"pid": std::process::id(), "host": host(), "started_at": "2026-11-28T00:00:00Z"});
    std::fs::write(dir.path().join(clusterkpi::lock::LOCK_FILE), lock.to_string()).unwrap();
    let run = run_into(dir.path(), &[]);
    assert_eq!(run.code, 4, "{}{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("another run"), "{}", run.stderr);
    assert!(!dir.path().join("current").exists(), "nothing published");
}

#[test]
fn a_stale_lock_is_taken_over_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let lock = serde_json::json!({"pid": u32::MAX - 7, "host": host(), "started_at": "2026-11-27T02:00:00Z"});
    std::fs::write(dir.path().join(clusterkpi::lock::LOCK_FILE), lock.to_string()).unwrap();
    let run = run_into(dir.path(), &[]);
    assert_eq!(run.code, 1, "completed, with the sample's rejected rows\n{}", run.stderr);
    assert!(run.stderr.contains("taking over a stale lock"), "{}", run.stderr);
    assert!(!dir.path().join(clusterkpi::lock::LOCK_FILE).exists(), "released at the end");
}

#[test]
fn each_run_leaves_a_manifest() {
    let dir = tempfile::tempdir().unwrap();
    let run = run_into(dir.path(), &[]);
    let runs: Vec<_> = std::fs::read_dir(dir.path().join("_runs")).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(runs.len(), 1);
    let m: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&runs[0]).unwrap()).unwrap();
    assert!(run.stdout.contains(m["run_id"].as_str().unwrap()));
    assert_eq!(m["files_processed"].as_array().unwrap().len(), 31);
    assert_eq!(m["files_skipped"], serde_json::json!(["README.md"]));
    assert_eq!(m["rows"]["balanced"], true);
    assert!(m["findings_by_code"]["E_CELL_ERROR"].as_u64() == Some(1));
    for stage in ["discover", "check", "supersede", "write", "publish"] {
        assert!(m["stage_ms"][stage].is_u64(), "{stage}");
    }
    let sources = m["sources"].as_array().unwrap();
    assert!(sources.iter().all(|s| s["sha256"].as_str().is_some_and(|h| h.len() == 64)));
    assert_eq!(m["clusterkpi_version"], env!("CARGO_PKG_VERSION"));
}

#[test]
fn json_logs_are_one_object_a_line() {
    let dir = tempfile::tempdir().unwrap();
    let run = run_into(dir.path(), &["-v", "--log-format", "json"]);
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert!(!lines.is_empty());
    for line in lines {
        let v: serde_json::Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{line}: {e}"));
        assert!(v["fields"]["message"].is_string());
    }
}

fn host() -> String {
    std::fs::read_to_string("/etc/hostname").map(|h| h.trim().to_owned()).unwrap_or_else(|_| "this host".to_owned())
}
