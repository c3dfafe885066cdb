//! The main job, `clusterkpi run`: new and changed submissions under the input folder are
//! checked (concurrently), and the results of every submission ever read are written as
//! Parquet tables plus summary statistics.
//!
//! - **Incremental.** The ledger in the run state says which files were read; an unchanged
//!   file costs a stat and a lookup. A run with nothing new publishes nothing.
//! - **Resubmissions supersede.** For each (cluster, facility, year, KPI, scope, gas), the
//!   newest submission's observation is current; earlier ones stay in `observations_history`
//!   with `superseded_by`. A retracted submission's observations are all superseded.
//! - **Atomic.** Each run writes a complete version under `.versions/<run_id>/` (tables, summary
//!   and the run state together), then switches the `current` link to it in one rename. A run
//!   killed at any moment leaves `current` as it was; the next run removes the remains.
//! - **Accounted.** Every row read is accepted or rejected; the run checks it and records it.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Serialize;

use crate::diag::Severity;
use crate::lock;
use crate::pipeline::{self, DiscoverError, FileReport};
use crate::plan::{Plan, SourceInfo};
use crate::state::{LedgerEntry, STATE_PATH, STATE_VERSION, SUBMISSIONS_PATH, State, Submission, Superseded};
use crate::summary::{self, Stats, Summary, SummaryError};
use crate::write::batches::{self, ObsView, SubView};
use crate::write::tables::{self, TableDef};
use crate::write::{Footer, WriteError, write_parquet};

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
    #[error(transparent)]
    State(#[from] crate::state::StateError),
    #[error("cannot retract `{id}`: {problem}")]
    Retract { id: String, problem: &'static str },
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
    /// The files read by this run (new or changed ones).
    pub reports: Vec<FileReport>,
    /// The files passed over as unchanged since an earlier run.
    pub unchanged: Vec<String>,
    /// The published summary, or none when there was nothing new to publish.
    pub summary: Option<Summary>,
    /// Rows of the files read by this run.
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

/// The published version readers look at: a symbolic link switched atomically to each run's
/// folder under `.versions/`.
pub const CURRENT: &str = "current";
const VERSIONS: &str = ".versions";

/// What a run is asked to do beyond reading new files.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Reprocess every input file, not only new and changed ones.
    pub full: bool,
    /// Retract this submission (an id or a unique prefix of one) instead of reading files.
    pub retract: Option<String>,
}

pub fn run(plan: &Plan, options: &Options, progress: Progress<'_>) -> Result<Outcome, RunError> {
    let started = jiff::Timestamp::now();
    let now = started.as_microsecond();
    let run_id = format!("{}-{:04x}", started.strftime("%Y%m%dT%H%M%SZ"), std::process::id() & 0xffff);
    if options.retract.is_none() && !plan.input.is_dir() {
        return Err(RunError::NoInput { path: plan.input.clone() });
    }
    let _lock = lock::acquire(&plan.output)?;
    clean_orphans(&plan.output);
    let mut stages = Stages::start();
    let mut state = match State::load(&plan.output) {
        Ok(state) => state,
        Err(e) if options.full => {
            tracing::warn!("{e}: rebuilding it from the input files, as `--full` asks");
            State { version: STATE_VERSION, ..State::default() }
        }
        Err(e) => return Err(e.into()),
    };
    let published = plan.output.join(CURRENT).exists();

    // Which files are new or changed: an unchanged file costs a stat and a lookup.
    let (mut to_check, mut unchanged, mut skipped) = (Vec::new(), Vec::new(), Vec::new());
    if options.retract.is_none() {
        let (inputs, passed_over) = pipeline::discover_under(&plan.input)?;
        skipped = passed_over;
        for input in inputs {
            let seen = stat(&input.path);
            let entry = state.entry(&input.name);
            let same_stat = entry.is_some_and(|e| Some((e.size, e.modified_ns)) == seen);
            if !options.full && same_stat {
                unchanged.push(input.name.to_string());
                continue;
            }
            if !options.full
                && let Some(e) = entry
                && e.sha256.is_some()
                && e.sha256 == fs_err::read(&input.path).ok().map(|b| crate::plan::sha256_hex(&b))
            {
                // Touched, not changed: remember the new stat so the next run skips it cheaply.
                let (size, modified_ns) = seen.unwrap_or_default();
                if let Some(e) = state.files.iter_mut().find(|e| e.path == *input.name) {
                    (e.size, e.modified_ns) = (size, modified_ns);
                }
                unchanged.push(input.name.to_string());
                continue;
            }
            to_check.push(input);
        }
    }
    stages.lap("discover");

    if to_check.is_empty() && options.retract.is_none() && published && !options.full {
        tracing::info!(run_id, unchanged = unchanged.len(), "nothing new: nothing to publish");
        let accounting = Accounting { balanced: true, ..Accounting::default() };
        write_manifest(plan, &run_id, started, &stages, &[], &unchanged, &skipped, &accounting, 0)?;
        return Ok(Outcome {
            run_id,
            reports: Vec::new(),
            unchanged,
            summary: None,
            accounting,
            output: plan.output.clone(),
        });
    }

    if let Err(e) = state.load_submissions(&plan.output) {
        if !options.full {
            return Err(e.into());
        }
        tracing::warn!("{e}: rebuilding it from the input files, as `--full` asks");
        state = State { version: STATE_VERSION, ..State::default() };
    }
    tracing::info!(run_id, files = to_check.len(), unchanged = unchanged.len(), "checking submissions");
    let stats: Vec<Option<(u64, i128)>> = to_check.iter().map(|i| stat(&i.path)).collect();
    let names: Vec<String> = to_check.iter().map(|i| i.name.to_string()).collect();
    let paths: Vec<PathBuf> = to_check.iter().map(|i| i.path.clone()).collect();
    let done = progress(to_check.len());
    let reports = pipeline::check_files_with(to_check, plan.schema.clone(), done);
    stages.lap("check");

    let accounting = account(&reports);
    if !accounting.balanced {
        return Err(RunError::Unbalanced {
            read: accounting.rows_read,
            accepted: accounting.rows_accepted,
            rejected: accounting.rows_rejected,
        });
    }

    // Record what was read.
    let stamp = started.to_string();
    for ((report, name), seen) in reports.iter().zip(&names).zip(stats) {
        let (size, modified_ns) = seen.unwrap_or_default();
        let first_seen = state.entry(name).map_or_else(|| stamp.clone(), |e| e.first_seen.clone());
        let entry = LedgerEntry {
            path: name.clone(),
            size,
            modified_ns,
            sha256: report.sha256.clone(),
            first_seen: first_seen.clone(),
            last_seen: stamp.clone(),
            status: report.status().as_str().to_owned(),
            run_id: run_id.clone(),
        };
        match state.files.iter_mut().find(|e| e.path == *name) {
            Some(e) => *e = entry,
            None => state.files.push(entry),
        }
        let id = report.submission_id();
        match state.submissions.iter_mut().find(|s| s.id == id) {
            // The same content again (a copy, a touched file): the first reading stands, unless
            // everything is being reprocessed.
            Some(existing) if options.full => existing.report = report.clone(),
            Some(_) => {}
            None => state.submissions.push(Submission {
                id,
                first_seen,
                run_id: run_id.clone(),
                ingested_at: now,
                retracted_at: None,
                superseded: Default::default(),
                report: report.clone(),
            }),
        }
    }
    if let Some(wanted) = &options.retract {
        let matching: Vec<usize> = state
            .submissions
            .iter()
            .enumerate()
            .filter(|(_, s)| s.id.starts_with(wanted.as_str()))
            .map(|(i, _)| i)
            .collect();
        match matching.as_slice() {
            [i] => state.submissions[*i].retracted_at = Some(now),
            [] => return Err(RunError::Retract { id: wanted.clone(), problem: "no published submission has this id" }),
            _ => {
                return Err(RunError::Retract {
                    id: wanted.clone(),
                    problem: "several submissions start with this id: give more of it",
                });
            }
        }
    }
    state.files.sort_by(|a, b| a.path.cmp(&b.path));
    state.submissions.sort_by(|a, b| (&*a.report.file, &a.id).cmp(&(&*b.report.file, &b.id)));
    let superseded = supersede(&mut state, now);

    let schema = &plan.schema;
    let subs: Vec<SubView<'_>> = state
        .submissions
        .iter()
        .map(|s| SubView {
            id: &s.id,
            report: &s.report,
            run_id: &s.run_id,
            ingested_at: s.ingested_at,
            first_seen: &s.first_seen,
            retracted: s.retracted_at.is_some(),
            superseded: s.superseded.len(),
        })
        .collect();
    let all: Vec<ObsView<'_>> = subs
        .iter()
        .zip(&state.submissions)
        .flat_map(|(view, s)| {
            s.report.observations.iter().enumerate().map(move |(i, obs)| ObsView {
                sub: view,
                obs,
                superseded: s.superseded.get(&i),
            })
        })
        .collect();
    let current: Vec<ObsView<'_>> = all
        .iter()
        .filter(|o| o.superseded.is_none())
        .map(|o| ObsView { sub: o.sub, obs: o.obs, superseded: None })
        .collect();

    let rows: Vec<summary::Row<'_>> = current
        .iter()
        .map(|o| summary::Row {
            obs: o.obs,
            region: schema.clusters.find(&o.obs.cluster_id).map_or("", |c| c.region.as_str()),
        })
        .collect();
    let summary = summary::compute(&rows)?;
    stages.lap("summary");

    let value_units: std::collections::BTreeMap<&str, &str> =
        schema.kpis.iter().map(|k| (k.id.as_str(), k.canonical_unit.as_str())).collect();
    let footer =
        Footer { run_id: run_id.clone(), value_units: serde_json::to_string(&value_units).unwrap_or_default() };

    let version = plan.output.join(VERSIONS).join(&run_id);
    let write = |def: &'static TableDef, batch: arrow::array::RecordBatch| {
        write_parquet(&version.join(def.path), def.name, &batch, &footer)
    };
    write(&tables::OBSERVATIONS, batches::observations(&current, schema)?)?;
    write(&tables::OBSERVATIONS_HISTORY, batches::history(&all, schema)?)?;
    write(&tables::REJECTS, batches::rejects(&subs)?)?;
    write(&tables::FINDINGS, batches::findings(&subs)?)?;
    write(&tables::SUBMISSIONS, batches::submissions(&subs)?)?;
    write(&tables::KPI_TOTALS, batches::stats(&tables::KPI_TOTALS, &summary.kpi_totals)?)?;
    write(&tables::BY_COUNTRY, batches::stats(&tables::BY_COUNTRY, &summary.by_country)?)?;
    write(&tables::BY_REGION, batches::stats(&tables::BY_REGION, &summary.by_region)?)?;
    write(&tables::COVERAGE, batches::coverage(&summary.coverage)?)?;

    let submitted: BTreeSet<&str> = rows.iter().map(|r| r.obs.cluster_id.as_str()).collect();
    let countries: BTreeSet<&str> = rows.iter().map(|r| r.obs.country.as_str()).collect();
    let registry_countries: BTreeSet<&str> = schema.clusters.iter().map(|c| c.country.as_str()).collect();
    let totals = account(state.submissions.iter().map(|s| &s.report));
    let json = SummaryJson {
        schema_version: crate::write::SCHEMA_VERSION,
        run_id: &run_id,
        started_at: started.to_string(),
        clusterkpi_version: env!("CARGO_PKG_VERSION"),
        gwp_set: schema.gwp_set.as_str(),
        registry: Counts { clusters: schema.clusters.len(), countries: registry_countries.len() },
        submitted: Counts { clusters: submitted.len(), countries: countries.len() },
        accounting: &totals,
        headline: &summary.kpi_totals,
        sources: &plan.sources,
    };
    write_file(
        &version.join("summary/summary.json"),
        &(serde_json::to_string_pretty(&json).unwrap_or_default() + "\n"),
    )?;
    let (ledger, submissions) = state.to_json();
    write_file(&version.join(SUBMISSIONS_PATH), &submissions)?;
    write_file(&version.join(STATE_PATH), &ledger)?;
    drop(subs);
    stages.lap("write");

    crate::fault::pause("publish");
    publish(&plan.output, &run_id)?;
    stages.lap("publish");
    keep_copies(plan, &run_id, &reports, &names, &paths);
    write_manifest(plan, &run_id, started, &stages, &reports, &unchanged, &skipped, &accounting, superseded)?;
    tracing::info!(
        run_id,
        rows_read = accounting.rows_read,
        accepted = accounting.rows_accepted,
        rejected = accounting.rows_rejected,
        superseded,
        "run published"
    );
    Ok(Outcome { run_id, reports, unchanged, summary: Some(summary), accounting, output: plan.output.clone() })
}

/// Copy each file read into the archive, and each unreadable one into the quarantine with a
/// report beside it, as the pipeline asks. Input files themselves are never touched. A copy
/// that fails is logged; it does not undo the published run.
fn keep_copies(plan: &Plan, run_id: &str, reports: &[FileReport], names: &[String], paths: &[PathBuf]) {
    let copy = |from: &Path, to: &Path| -> std::io::Result<()> {
        if let Some(dir) = to.parent() {
            fs_err::create_dir_all(dir)?;
        }
        fs_err::copy(from, to).map(|_| ())
    };
    for ((report, name), path) in reports.iter().zip(names).zip(paths) {
        if let Some(archive) = &plan.archive
            && let Err(e) = copy(path, &archive.join(run_id).join(name))
        {
            tracing::warn!("cannot archive `{}`: {e}", path.display());
        }
        if let Some(quarantine) = &plan.quarantine
            && report.status() == pipeline::Status::Unreadable
        {
            let to = quarantine.join(name);
            let sidecar = quarantine.join(format!("{name}.report.json"));
            let findings = serde_json::to_string_pretty(&report.findings).unwrap_or_default();
            if let Err(e) = copy(path, &to).and_then(|()| fs_err::write(&sidecar, findings + "\n")) {
                tracing::warn!("cannot quarantine `{}`: {e}", path.display());
            }
        }
    }
}

/// Size and modification time of a file, if it can be read.
fn stat(path: &Path) -> Option<(u64, i128)> {
    let meta = std::fs::metadata(path).ok()?;
    let modified = meta.modified().ok()?.duration_since(std::time::UNIX_EPOCH).ok()?;
    Some((meta.len(), i128::try_from(modified.as_nanos()).ok()?))
}

fn write_file(path: &Path, text: &str) -> Result<(), RunError> {
    let err = |source| RunError::Publish { path: path.to_path_buf(), source };
    if let Some(dir) = path.parent() {
        fs_err::create_dir_all(dir).map_err(err)?;
    }
    let mut f = std::fs::File::create(path).map_err(err)?;
    std::io::Write::write_all(&mut f, text.as_bytes()).map_err(err)?;
    f.sync_all().map_err(err)
}

/// Mark each observation superseded by the newest submission giving the same key (cluster,
/// facility, year, KPI, scope, gas), or retracted; returns how many are. Newer is the
/// submission's own date where it gives one, else when the file was first seen; ties go by path.
fn supersede(state: &mut State, now: i64) -> usize {
    let order = |s: &Submission| {
        let date = s
            .report
            .submitted_at
            .as_deref()
            .and_then(parse_date)
            .unwrap_or_else(|| parse_date(&s.first_seen).unwrap_or(0));
        (date, s.report.file.to_string(), s.id.clone())
    };
    let mut ranked: Vec<usize> = (0..state.submissions.len()).collect();
    ranked.sort_by_key(|&i| order(&state.submissions[i]));
    let mut newest = std::collections::HashMap::new();
    for &i in &ranked {
        let s = &state.submissions[i];
        if s.retracted_at.is_some() {
            continue;
        }
        for o in &s.report.observations {
            newest.insert(crate::validate::observation_key(o), i);
        }
    }
    let ids: Vec<String> = state.submissions.iter().map(|s| s.id.clone()).collect();
    let mut count = 0;
    for (i, s) in state.submissions.iter_mut().enumerate() {
        let mut next = std::collections::BTreeMap::new();
        for (j, o) in s.report.observations.iter().enumerate() {
            let by = match s.retracted_at {
                Some(_) => Some("retracted".to_owned()),
                None => newest.get(&crate::validate::observation_key(o)).filter(|&&w| w != i).map(|&w| ids[w].clone()),
            };
            if let Some(by) = by {
                let at = match s.superseded.get(&j) {
                    Some(previous) if previous.by == by => previous.at,
                    _ => s.retracted_at.unwrap_or(now),
                };
                next.insert(j, Superseded { by, at });
            }
        }
        count += next.len();
        s.superseded = next;
    }
    count
}

/// Microseconds since the epoch of an RFC 3339 timestamp or a plain date.
fn parse_date(s: &str) -> Option<i64> {
    if let Ok(t) = s.trim().parse::<jiff::Timestamp>() {
        return Some(t.as_microsecond());
    }
    let date: jiff::civil::Date = s.trim().parse().ok()?;
    Some(date.in_tz("UTC").ok()?.timestamp().as_microsecond())
}

/// Switch `current` to the new version at once, then drop versions no reader can be using.
fn publish(output: &Path, run_id: &str) -> Result<(), RunError> {
    let err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| RunError::Publish { path, source }
    };
    let link = output.join(CURRENT);
    let previous = std::fs::read_link(&link).ok();
    let tmp = output.join(format!(".{CURRENT}-{run_id}"));
    let target = Path::new(VERSIONS).join(run_id);
    #[cfg(unix)]
    std::os::unix::fs::symlink(&target, &tmp).map_err(err(&tmp))?;
    #[cfg(not(unix))]
    return Err(RunError::Publish {
        path: tmp,
        source: std::io::Error::other("publishing needs symbolic links (Unix)"),
    });
    std::fs::rename(&tmp, &link).map_err(err(&link))?;
    if let Ok(dir) = std::fs::File::open(output) {
        let _ = dir.sync_all();
    }
    // Keep the version just replaced: a reader may have opened it a moment ago.
    let keep: Vec<PathBuf> = [Some(target), previous].into_iter().flatten().collect();
    if let Ok(entries) = std::fs::read_dir(output.join(VERSIONS)) {
        for e in entries.flatten() {
            if !keep.iter().any(|k| k.file_name() == Some(e.file_name().as_os_str())) {
                let _ = std::fs::remove_dir_all(e.path());
            }
        }
    }
    Ok(())
}

/// Remove what a killed run left: temporary links, and versions that were never published
/// (readers only ever look at `current`, so none of these was visible).
fn clean_orphans(output: &Path) {
    let current = std::fs::read_link(output.join(CURRENT)).ok();
    if let Ok(entries) = std::fs::read_dir(output) {
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.starts_with(&format!(".{CURRENT}-")) || name.starts_with(".staging-") {
                let _ = std::fs::remove_file(e.path()).or_else(|_| std::fs::remove_dir_all(e.path()));
            }
        }
    }
    if let Ok(entries) = std::fs::read_dir(output.join(VERSIONS)) {
        for e in entries.flatten() {
            let published = current.as_ref().is_some_and(|c| c.file_name() == Some(e.file_name().as_os_str()));
            let complete = e.path().join(STATE_PATH).is_file();
            if !published && !complete {
                tracing::info!(version = %e.path().display(), "removing the remains of an interrupted run");
                let _ = std::fs::remove_dir_all(e.path());
            }
        }
    }
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
    /// Unchanged since an earlier run: not read again.
    files_unchanged: &'a [String],
    /// Not submission files.
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

#[allow(clippy::too_many_arguments)]
fn write_manifest(
    plan: &Plan,
    run_id: &str,
    started: jiff::Timestamp,
    stages: &Stages,
    reports: &[FileReport],
    unchanged: &[String],
    skipped: &[String],
    accounting: &Accounting,
    superseded: usize,
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
        files_unchanged: unchanged,
        files_skipped: skipped,
        rows: accounting,
        rows_superseded: superseded,
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

fn account<'a>(reports: impl IntoIterator<Item = &'a FileReport>) -> Accounting {
    let mut a = Accounting { balanced: true, ..Accounting::default() };
    for r in reports {
        a.files += 1;
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
