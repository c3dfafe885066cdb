//! Metrics and the manifest: how long each stage took, and `_runs/<run_id>.json`, what the run
//! did, for operators and log shippers. Every run leaves one, an idle one too.

use std::collections::BTreeMap;

use serde::Serialize;

use super::Accounting;
use crate::pipeline::FileReport;
use crate::plan::{Plan, SourceInfo};
use crate::store::{self, Store, StoreError};

/// How long each stage took.
pub struct Stages {
    last: std::time::Instant,
    laps: Vec<(&'static str, u128)>,
}

impl Stages {
    pub fn start() -> Self {
        Stages { last: std::time::Instant::now(), laps: Vec::new() }
    }

    pub fn lap(&mut self, stage: &'static str) {
        let now = std::time::Instant::now();
        self.laps.push((stage, now.duration_since(self.last).as_millis()));
        self.last = now;
    }
}

#[derive(Serialize)]
struct Manifest<'a> {
    run_id: &'a str,
    clusterkpi_version: &'static str,
    started_at: String,
    finished_at: String,
    stage_ms: BTreeMap<&'static str, u128>,
    input: String,
    output: String,
    pipeline: Option<String>,
    files_processed: Vec<ManifestFile<'a>>,
    /// Unchanged since an earlier run: not read again.
    files_unchanged: &'a [String],
    /// Not submission files.
    files_skipped: &'a [String],
    rows: &'a Accounting,
    rows_superseded: usize,
    findings_by_code: BTreeMap<&'static str, usize>,
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

/// What a run did, besides its stages.
pub struct Record<'a> {
    pub run_id: &'a str,
    pub started: jiff::Timestamp,
    pub reports: &'a [FileReport],
    pub unchanged: &'a [String],
    pub skipped: &'a [String],
    pub accounting: &'a Accounting,
    pub superseded: usize,
}

pub fn write(plan: &Plan, store: &Store, stages: &Stages, record: &Record<'_>) -> Result<(), StoreError> {
    let mut findings_by_code = BTreeMap::new();
    for f in record.reports.iter().flat_map(|r| &r.findings) {
        *findings_by_code.entry(f.code.as_str()).or_insert(0) += 1;
    }
    let manifest = Manifest {
        run_id: record.run_id,
        clusterkpi_version: env!("CARGO_PKG_VERSION"),
        started_at: record.started.to_string(),
        finished_at: jiff::Timestamp::now().to_string(),
        stage_ms: stages.laps.iter().copied().collect(),
        input: plan.input.display().to_string(),
        output: plan.output.display().to_string(),
        pipeline: plan.pipeline.as_ref().map(|p| p.display().to_string()),
        files_processed: record
            .reports
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
        files_unchanged: record.unchanged,
        files_skipped: record.skipped,
        rows: record.accounting,
        rows_superseded: record.superseded,
        findings_by_code,
        sources: &plan.sources,
        gwp_set: plan.schema.gwp_set.as_str(),
    };
    let json = serde_json::to_string_pretty(&manifest).unwrap_or_default() + "\n";
    store::write_renamed(&store.manifest(record.run_id), json.as_bytes())
}
