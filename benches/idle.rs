//! Benchmark: what the nightly run costs, on the sample data.
//!
//! `cargo bench --bench idle` prints, and asserts where there is a bar:
//! - a full run with spreadsheets parsed in this process, and with them parsed in worker
//!   processes (as `validate` and `run` do): what containment costs;
//! - an idle run (nothing new) against a full one: at least 20× faster, since it does no
//!   parsing, only a stat and a ledger lookup per file;
//! - `clusterkpi validate sample_data` as a user runs it (a new process, its workers started
//!   cold): well under a second for the 31 samples.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use clusterkpi::plan::{self, Overrides};
use clusterkpi::run::{self, Options};

fn no_progress(_: usize) -> Arc<dyn Fn() + Send + Sync> {
    Arc::new(|| {})
}

fn time(n: u32, mut f: impl FnMut()) -> Duration {
    let start = Instant::now();
    for _ in 0..n {
        f();
    }
    start.elapsed() / n
}

#[allow(clippy::print_stdout)] // a benchmark reports on stdout
fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let exe = PathBuf::from(env!("CARGO_BIN_EXE_clusterkpi"));
    let dir = tempfile::tempdir().expect("temp dir");
    let overrides = Overrides { output: Some(dir.path().join("out")), ..Overrides::default() };
    let plan = plan::load(Some(&root.join("pipelines/sample.toml")), &overrides).expect("the sample pipeline loads");
    let full = Options { full: true, retract: None };
    let idle = Options::default();
    let full_run = || {
        let outcome = run::run(&plan, &full, &no_progress).expect("a full run");
        assert_eq!(outcome.reports.len(), 31, "a full run reads every file");
        assert!(outcome.reports.iter().all(|r| !r.internal_fault()), "no reader failed");
    };

    run::run(&plan, &full, &no_progress).expect("a first run");
    let in_process = time(5, full_run);
    clusterkpi::read::worker::start(exe.clone());
    full_run(); // the pool's workers start
    let contained = time(5, full_run);
    let idle_time = time(50, || {
        let outcome = run::run(&plan, &idle, &no_progress).expect("an idle run");
        assert!(outcome.reports.is_empty() && outcome.summary.is_none(), "an idle run reads nothing");
    });
    let validate = time(5, || {
        let status = Command::new(&exe)
            .args(["validate", "sample_data"])
            .current_dir(root)
            .stdout(Stdio::null())
            .status()
            .expect("clusterkpi runs");
        assert_eq!(status.code(), Some(1), "the samples hold planted mistakes");
    });

    let ratio = contained.as_secs_f64() / idle_time.as_secs_f64();
    let cost = (contained.as_secs_f64() - in_process.as_secs_f64()) * 1e3;
    println!("full run, spreadsheets parsed in process: {in_process:?}");
    println!("full run, spreadsheets parsed in workers: {contained:?}   ({cost:+.1} ms for 31 files)");
    println!("idle run: {idle_time:?}   ratio to a full run: {ratio:.0}×");
    println!("`clusterkpi validate sample_data`, a new process: {validate:?}");
    assert!(ratio >= 20.0, "an idle run must be at least 20× faster than a full one (it is {ratio:.1}×)");
    assert!(validate < Duration::from_millis(700), "validate of the samples must stay well under a second");
}
