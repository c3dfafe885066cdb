//! Benchmark: an idle nightly run (nothing new) against a full one, on the sample data.
//!
//! `cargo bench --bench idle` prints both timings and asserts that the idle run is at least 20×
//! faster: it must do no parsing, only a stat and a ledger lookup per file.

use std::path::Path;
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
    let dir = tempfile::tempdir().expect("temp dir");
    let overrides = Overrides { output: Some(dir.path().join("out")), ..Overrides::default() };
    let plan = plan::load(Some(&root.join("pipelines/sample.toml")), &overrides).expect("the sample pipeline loads");
    let full = Options { full: true, retract: None };
    let idle = Options::default();

    run::run(&plan, &full, &no_progress).expect("a first run");
    let full_time = time(5, || {
        let outcome = run::run(&plan, &full, &no_progress).expect("a full run");
        assert_eq!(outcome.reports.len(), 31, "a full run reads every file");
    });
    let idle_time = time(50, || {
        let outcome = run::run(&plan, &idle, &no_progress).expect("an idle run");
        assert!(outcome.reports.is_empty() && outcome.summary.is_none(), "an idle run reads nothing");
    });
    let ratio = full_time.as_secs_f64() / idle_time.as_secs_f64();
    println!("full run: {full_time:?}   idle run: {idle_time:?}   ratio: {ratio:.0}×");
    assert!(ratio >= 20.0, "an idle run must be at least 20× faster than a full one (it is {ratio:.1}×)");
}
