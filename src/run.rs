//! The main job, `clusterkpi run`: every submission under the input folder is checked
//! (concurrently), and the results are written as Parquet tables plus summary statistics.
//!
//! Everything is first written to a staging folder inside the output folder, then the tables
//! are moved into place; a reader never sees a table half written. The run checks that every
//! row read was accepted or rejected, and records it in `summary/summary.json`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Serialize;

use crate::diag::Severity;
use crate::lock;
use crate::pipeline::{self, DiscoverError, FileReport};
use crate::plan::{Plan, SourceInfo};
use crate::summary::{self, Stats, Summary, SummaryError};
use crate::write::batches::{self, RunInfo};
use crate::write::tables::{self, TableDef};
use crate::write::{Footer, WriteError, write_parquet};

/// The folders a run publishes under the output folder.
pub const PUBLISHED: [&str; 5] = ["observations", "rejects", "findings", "submissions", "summary"];

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("the input folder `{}` does not exist", path.display())]
    NoInput { path: PathBuf },
    #[error(transparent)]
    Discover(#[from] DiscoverError),
    #[error(transparent)]
    Write(#[from] WriteError),
    #[error(transparent)]
    Summary(#[from] SummaryError),
    #[error("cannot publish into `{}`", path.display())]
    Publish {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Lock(#[from] lock::LockError),
    #[error("rows were lost: {read} read but {accepted} accepted and {rejected} rejected")]
    Unbalanced { read: usize, accepted: usize, rejected: usize },
}

/// The run's accounting: every row read is accepted or rejected.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Accounting {
    pub files: usize,
    pub rows_read: usize,
    pub rows_accepted: usize,
    pub rows_rejected: usize,
    pub errors: usize,
    pub warnings: usize,
    /// `rows_read == rows_accepted + rows_rejected`, for every file and in total.
    pub balanced: bool,
}

/// What a run did.
#[derive(Debug)]
pub struct Outcome {
    pub run_id: String,
    pub reports: Vec<FileReport>,
    pub summary: Summary,
    pub accounting: Accounting,
    pub output: PathBuf,
}

/// `summary/summary.json`.
#[derive(Serialize)]
struct SummaryJson<'a> {
    schema_version: &'static str,
    run_id: &'a str,
    started_at: String,
    clusterkpi_version: &'static str,
    gwp_set: &'static str,
    registry: Counts,
    submitted: Counts,
    accounting: &'a Accounting,
    headline: &'a [Stats],
    sources: &'a [SourceInfo],
}

#[derive(Serialize)]
struct Counts {
    clusters: usize,
    countries: usize,
}

/// Called with the number of files to check; returns what to call as each one is done.
pub type Progress<'a> = &'a dyn Fn(usize) -> Arc<dyn Fn() + Send + Sync>;

pub fn run(plan: &Plan, progress: Progress<'_>) -> Result<Outcome, RunError> {
    let started = jiff::Timestamp::now();
    let run_id = format!("{}-{:04x}", started.strftime("%Y%m%dT%H%M%SZ"), std::process::id() & 0xffff);
    if !plan.input.is_dir() {
        return Err(RunError::NoInput { path: plan.input.clone() });
    }
    let _lock = lock::acquire(&plan.output)?;
    let mut stages = Stages::start();
    let (inputs, skipped) = pipeline::discover_under(&plan.input)?;
    stages.lap("discover");
    tracing::info!(run_id, files = inputs.len(), input = %plan.input.display(), "checking submissions");
    let done = progress(inputs.len());
    let reports = pipeline::check_files_with(inputs, plan.schema.clone(), done);
    stages.lap("check");

    let accounting = account(&reports);
    if !accounting.balanced {
        return Err(RunError::Unbalanced {
            read: accounting.rows_read,
            accepted: accounting.rows_accepted,
            rejected: accounting.rows_rejected,
        });
    }

    let schema = &plan.schema;
    let rows: Vec<summary::Row<'_>> = reports
        .iter()
        .flat_map(|r| &r.observations)
        .map(|obs| summary::Row {
            obs,
            region: schema.clusters.find(&obs.cluster_id).map_or("", |c| c.region.as_str()),
        })
        .collect();
    let summary = summary::compute(&rows)?;
    stages.lap("summary");

    let run = RunInfo { run_id: run_id.clone(), ingested_at: started.as_microsecond() };
    let value_units: std::collections::BTreeMap<&str, &str> =
        schema.kpis.iter().map(|k| (k.id.as_str(), k.canonical_unit.as_str())).collect();
    let footer =
        Footer { run_id: run_id.clone(), value_units: serde_json::to_string(&value_units).unwrap_or_default() };

    let staging = plan.output.join(format!(".staging-{run_id}"));
    let write = |def: &'static TableDef, batch: arrow::array::RecordBatch| {
        write_parquet(&staging.join(def.path), def.name, &batch, &footer)
    };
    write(&tables::OBSERVATIONS, batches::observations(&reports, schema, &run)?)?;
    write(&tables::REJECTS, batches::rejects(&reports, &run)?)?;
    write(&tables::FINDINGS, batches::findings(&reports, &run)?)?;
    write(&tables::SUBMISSIONS, batches::submissions(&reports, &run)?)?;
    write(&tables::KPI_TOTALS, batches::stats(&tables::KPI_TOTALS, &summary.kpi_totals)?)?;
    write(&tables::BY_COUNTRY, batches::stats(&tables::BY_COUNTRY, &summary.by_country)?)?;
    write(&tables::BY_REGION, batches::stats(&tables::BY_REGION, &summary.by_region)?)?;
    write(&tables::COVERAGE, batches::coverage(&summary.coverage)?)?;

    let submitted: BTreeSet<&str> = rows.iter().map(|r| r.obs.cluster_id.as_str()).collect();
    let countries: BTreeSet<&str> = rows.iter().map(|r| r.obs.country.as_str()).collect();
    let registry_countries: BTreeSet<&str> = schema.clusters.iter().map(|c| c.country.as_str()).collect();
    let json = SummaryJson {
        schema_version: crate::write::SCHEMA_VERSION,
        run_id: &run_id,
        started_at: started.to_string(),
        clusterkpi_version: env!("CARGO_PKG_VERSION"),
        gwp_set: schema.gwp_set.as_str(),
        registry: Counts { clusters: schema.clusters.len(), countries: registry_countries.len() },
        submitted: Counts { clusters: submitted.len(), countries: countries.len() },
        accounting: &accounting,
        headline: &summary.kpi_totals,
        sources: &plan.sources,
    };
    let json_path = staging.join("summary/summary.json");
    let text = serde_json::to_string_pretty(&json).unwrap_or_default() + "\n";
    fs_err::write(&json_path, text).map_err(|source| RunError::Publish { path: json_path.clone(), source })?;

    stages.lap("write");
    publish(&staging, &plan.output, &run_id)?;
    stages.lap("publish");
    write_manifest(plan, &run_id, started, &stages, &reports, &skipped, &accounting)?;
    tracing::info!(
        run_id,
        rows_read = accounting.rows_read,
        accepted = accounting.rows_accepted,
        rejected = accounting.rows_rejected,
        "run published"
    );
    Ok(Outcome { run_id, reports, summary, accounting, output: plan.output.clone() })
}

/// How long each stage took.
struct Stages {
    last: std::time::Instant,
    laps: Vec<(&'static str, u128)>,
}

impl Stages {
    fn start() -> Self {
        Stages { last: std::time::Instant::now(), laps: Vec::new() }
    }

    fn lap(&mut self, stage: &'static str) {
        let now = std::time::Instant::now();
        self.laps.push((stage, now.duration_since(self.last).as_millis()));
        self.last = now;
    }
}

/// `_runs/<run_id>.json`: what the run did, for operators and log shippers.
#[derive(Serialize)]
struct Manifest<'a> {
    run_id: &'a str,
    clusterkpi_version: &'static str,
    started_at: String,
    finished_at: String,
    stage_ms: std::collections::BTreeMap<&'static str, u128>,
    input: String,
    output: String,
    pipeline: Option<String>,
    files_processed: Vec<ManifestFile<'a>>,
    files_skipped: &'a [String],
    rows: &'a Accounting,
    rows_superseded: usize,
    findings_by_code: std::collections::BTreeMap<&'static str, usize>,
    sources: &'a [SourceInfo],
    gwp_set: &'static str,
}

#[derive(Serialize)]
struct ManifestFile<'a> {
    path: &'a str,
    submission_id: String,
    status: &'static str,
    rows_read: usize,
    rows_accepted: usize,
    rows_rejected: usize,
    not_reported: usize,
}

fn write_manifest(
    plan: &Plan,
    run_id: &str,
    started: jiff::Timestamp,
    stages: &Stages,
    reports: &[FileReport],
    skipped: &[String],
    accounting: &Accounting,
) -> Result<(), RunError> {
    let mut findings_by_code = std::collections::BTreeMap::new();
    for f in reports.iter().flat_map(|r| &r.findings) {
        *findings_by_code.entry(f.code.as_str()).or_insert(0) += 1;
    }
    let manifest = Manifest {
        run_id,
        clusterkpi_version: env!("CARGO_PKG_VERSION"),
        started_at: started.to_string(),
        finished_at: jiff::Timestamp::now().to_string(),
        stage_ms: stages.laps.iter().copied().collect(),
        input: plan.input.display().to_string(),
        output: plan.output.display().to_string(),
        pipeline: plan.pipeline.as_ref().map(|p| p.display().to_string()),
        files_processed: reports
            .iter()
            .map(|r| ManifestFile {
                path: &r.file,
                submission_id: r.submission_id(),
                status: r.status().as_str(),
                rows_read: r.rows_read,
                rows_accepted: r.rows_accepted,
                rows_rejected: r.rows_rejected,
                not_reported: r.not_reported,
            })
            .collect(),
        files_skipped: skipped,
        rows: accounting,
        rows_superseded: 0,
        findings_by_code,
        sources: &plan.sources,
        gwp_set: plan.schema.gwp_set.as_str(),
    };
    let dir = plan.output.join("_runs");
    let err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| RunError::Publish { path, source }
    };
    fs_err::create_dir_all(&dir).map_err(err(&dir))?;
    let path = dir.join(format!("{run_id}.json"));
    let tmp = dir.join(format!(".{run_id}.json.tmp"));
    fs_err::write(&tmp, serde_json::to_string_pretty(&manifest).unwrap_or_default() + "\n").map_err(err(&tmp))?;
    fs_err::rename(&tmp, &path).map_err(err(&path))?;
    Ok(())
}

fn account(reports: &[FileReport]) -> Accounting {
    let mut a = Accounting { files: reports.len(), balanced: true, ..Accounting::default() };
    for r in reports {
        a.rows_read += r.rows_read;
        a.rows_accepted += r.rows_accepted;
        a.rows_rejected += r.rows_rejected;
        a.errors += r.count(Severity::Error);
        a.warnings += r.count(Severity::Warning);
        a.balanced &= r.rows_read == r.rows_accepted + r.rows_rejected;
    }
    a.balanced &= a.rows_read == a.rows_accepted + a.rows_rejected;
    a
}

/// Move the staged tables into place, replacing the previous run's.
fn publish(staging: &Path, output: &Path, run_id: &str) -> Result<(), RunError> {
    let err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| RunError::Publish { path, source }
    };
    let old = output.join(format!(".previous-{run_id}"));
    fs_err::create_dir_all(&old).map_err(err(&old))?;
    for name in PUBLISHED {
        let live = output.join(name);
        if live.exists() {
            fs_err::rename(&live, old.join(name)).map_err(err(&live))?;
        }
        fs_err::rename(staging.join(name), &live).map_err(err(&live))?;
    }
    fs_err::remove_dir_all(&old).map_err(err(&old))?;
    fs_err::remove_dir_all(staging).map_err(err(staging))?;
    Ok(())
}
