//! Execute: check the planned files (concurrently, see [`crate::pipeline`]), and record what
//! was read in the state: the ledger entry of each file, and each new submission.

use std::path::PathBuf;
use std::sync::Arc;

use crate::pipeline::{self, FileReport, Input};
use crate::schema::Schema;
use crate::state::{Held, LedgerEntry, Rows, State, Submission};

/// The files checked by this run, in the planned order.
pub struct Checked {
    pub reports: Vec<FileReport>,
    /// The names under the input folder.
    pub names: Vec<String>,
    pub paths: Vec<PathBuf>,
    /// Size and modification time when planned.
    stats: Vec<Option<(u64, i128)>>,
}

/// Check each file; `done` is called as each one is.
pub fn check(inputs: Vec<Input>, schema: Arc<Schema>, done: Arc<dyn Fn() + Send + Sync>) -> Checked {
    let stats = inputs.iter().map(|i| super::plan::stat(&i.path)).collect();
    let names = inputs.iter().map(|i| i.name.to_string()).collect();
    let paths = inputs.iter().map(|i| i.path.clone()).collect();
    let reports = pipeline::check_files_with(inputs, schema, done);
    Checked { reports, names, paths, stats }
}

/// When and by which run the files were read.
pub struct Reading<'a> {
    pub run_id: &'a str,
    /// RFC 3339.
    pub stamp: &'a str,
    /// Microseconds since the epoch.
    pub now: i64,
    /// Everything is being reprocessed: a submission read before takes its new report.
    pub full: bool,
}

/// Record each file read in the ledger, and each submission not seen before. The same content
/// seen again (a copy under another path, a file changed back) is the same submission: it keeps
/// its first reading (its path, its results), and only its arrival moves. Reprocessing
/// replaces a submission's results with those of the same bytes at the same path.
///
/// A report's rows and findings move into the state, not copied, until they are written: the
/// reports left in `checked` keep their counts and, for the run's manifest, their findings.
pub fn record(state: &mut State, checked: &mut Checked, reading: &Reading<'_>) {
    for ((report, name), seen) in checked.reports.iter_mut().zip(&checked.names).zip(&checked.stats) {
        let (size, modified_ns) = seen.unwrap_or_default();
        let first_seen = state.entry(name).map_or_else(|| reading.stamp.to_owned(), |e| e.first_seen.clone());
        let entry = LedgerEntry {
            path: name.clone(),
            size,
            modified_ns,
            sha256: report.sha256.clone(),
            first_seen: first_seen.clone(),
            last_seen: reading.stamp.to_owned(),
            status: report.status().as_str().to_owned(),
            run_id: reading.run_id.to_owned(),
        };
        match state.files.iter_mut().find(|e| e.path == *name) {
            Some(e) => *e = entry,
            None => state.files.push(entry),
        }
        let id = report.submission_id();
        // Reprocessing reads every file again but nothing arrives: the order stays the ledger's.
        let arrived_at = (!reading.full).then_some(reading.now);
        match state.submissions.iter_mut().find(|s| s.id == id) {
            // The same content at the path it was first recorded from: its new reading.
            Some(existing) if reading.full && existing.report.file == report.file => {
                existing.report = Held::of(report);
                existing.rows = Some(rows_of(report));
            }
            Some(existing) => existing.arrived_at = arrived_at.or(existing.arrived_at),
            None => state.submissions.push(Submission {
                id,
                first_seen,
                run_id: reading.run_id.to_owned(),
                ingested_at: reading.now,
                retracted_at: None,
                arrived_at,
                report: Held::of(report),
                rows: Some(rows_of(report)),
            }),
        }
    }
}

/// The report's rows for the state, leaving `report` its counts and findings.
fn rows_of(report: &mut FileReport) -> Rows {
    let rows = Rows::take(report);
    report.findings.clone_from(&rows.findings);
    rows
}
