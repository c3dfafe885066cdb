//! The main job, `clusterkpi run`: new and changed submissions under the input folder are
//! checked (concurrently), and the results of every submission ever read are written as
//! Parquet tables plus summary statistics. The write path is in steps, each its own module:
//!
//! 1. [`plan`]: what to read and what changed, from the ledger (or what to retract);
//! 2. [`execute`]: check the files, and record them in the state;
//! 3. [`commit`]: supersede, then build the new version, whole, beside the published one, from
//!    the rows just read and those of the published version ([`previous`]);
//! 4. [`publish`]: the atomic switch to it (the output layout is [`crate::store`]'s);
//! 5. [`manifest`]: the stage times and the run's manifest.
//!
//! Guarantees:
//! - **Incremental.** An unchanged file costs a stat and a lookup. A run with nothing new
//!   publishes nothing.
//! - **Resubmissions supersede** (see [`commit`]); a deleted input file keeps its data; a
//!   retraction removes it.
//! - **Atomic.** A run killed at any moment leaves `current` as it was; the next run removes
//!   the remains.
//! - **Deterministic.** Apart from the columns that say when and by which run, a version's
//!   bytes depend only on the submissions it holds, not on which run read them.
//! - **Accounted.** Every row read is accepted or rejected; the run checks it and records it.

pub mod commit;
pub mod execute;
pub mod manifest;
pub mod plan;
mod previous;
pub mod publish;

use std::path::PathBuf;
use std::sync::Arc;

use serde::Serialize;

use crate::lock;
use crate::pipeline::{DiscoverError, FileReport};
use crate::plan::Plan;
use crate::state::{Held, State, StateError};
use crate::store::{Store, StoreError};
use crate::summary::{Summary, SummaryError};
use crate::write::WriteError;

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
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Lock(#[from] lock::LockError),
    #[error(transparent)]
    State(#[from] StateError),
    #[error(transparent)]
    Retract(#[from] plan::RetractError),
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
    /// The submission a retraction withdrew.
    pub retracted: Option<plan::Retracted>,
    /// Rows of the files read by this run.
    pub accounting: Accounting,
    pub output: PathBuf,
}

/// Called with the number of files to check; returns what to call as each one is done.
pub type Progress<'a> = &'a dyn Fn(usize) -> Arc<dyn Fn() + Send + Sync>;

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
    let store = Store::new(&plan.output);
    let _lock = lock::acquire(&plan.output)?;
    store.clean();
    let mut stages = manifest::Stages::start();
    let rebuild = |e: StateError| {
        if !options.full {
            return Err(e);
        }
        tracing::warn!("{e}: rebuilding it from the input files, as `--full` asks");
        Ok(State::empty())
    };
    let mut state = State::load(&store).or_else(rebuild)?;

    // 1. Plan.
    let changes = match &options.retract {
        None => plan::changes(&plan.input, &mut state, options.full)?,
        Some(_) => plan::Changes::default(),
    };
    stages.lap("discover");
    let idle = changes.to_check.is_empty() && options.retract.is_none() && !options.full;
    if idle && store.is_published() {
        tracing::info!(run_id, unchanged = changes.unchanged.len(), "nothing new: nothing to publish");
        let accounting = Accounting { balanced: true, ..Accounting::default() };
        let record = manifest::Record {
            run_id: &run_id,
            started,
            reports: &[],
            unchanged: &changes.unchanged,
            skipped: &changes.skipped,
            accounting: &accounting,
            superseded: 0,
        };
        manifest::write(plan, &store, &stages, &record)?;
        return Ok(Outcome {
            run_id,
            reports: Vec::new(),
            unchanged: changes.unchanged,
            summary: None,
            retracted: None,
            accounting,
            output: plan.output.clone(),
        });
    }
    let mut previous = None;
    match state.load_submissions(&store).and_then(|()| previous::Previous::load(&store, &state.submissions)) {
        Ok(p) => previous = p,
        Err(e) => state = rebuild(e)?,
    }
    let retracted = match &options.retract {
        Some(wanted) => Some(plan::retraction(&mut state, wanted, now)?),
        None => None,
    };

    // 2. Execute.
    tracing::info!(run_id, files = changes.to_check.len(), unchanged = changes.unchanged.len(), "checking submissions");
    let done = progress(changes.to_check.len());
    let mut checked = execute::check(changes.to_check, plan.schema.clone(), done);
    stages.lap("check");
    let accounting = account(checked.reports.iter().map(Held::of));
    if !accounting.balanced {
        return Err(RunError::Unbalanced {
            read: accounting.rows_read,
            accepted: accounting.rows_accepted,
            rejected: accounting.rows_rejected,
        });
    }
    let stamp = started.to_string();
    let reading = execute::Reading { run_id: &run_id, stamp: &stamp, now, full: options.full };
    execute::record(&mut state, &mut checked, &reading);

    // 3. Commit.
    let committed =
        commit::commit(&mut state, previous.as_ref(), plan, &store, &run_id, started, &mut |stage| stages.lap(stage))?;

    // 4. Publish.
    publish::publish(&store, &run_id)?;
    stages.lap("publish");
    publish::keep_copies(plan, &run_id, &checked);

    // 5. The manifest.
    let record = manifest::Record {
        run_id: &run_id,
        started,
        reports: &checked.reports,
        unchanged: &changes.unchanged,
        skipped: &changes.skipped,
        accounting: &accounting,
        superseded: committed.superseded,
    };
    manifest::write(plan, &store, &stages, &record)?;
    tracing::info!(
        run_id,
        rows_read = accounting.rows_read,
        accepted = accounting.rows_accepted,
        rejected = accounting.rows_rejected,
        superseded = committed.superseded,
        "run published"
    );
    Ok(Outcome {
        run_id,
        reports: checked.reports,
        unchanged: changes.unchanged,
        summary: Some(committed.summary),
        retracted,
        accounting,
        output: plan.output.clone(),
    })
}

fn account<H: std::borrow::Borrow<Held>>(submissions: impl IntoIterator<Item = H>) -> Accounting {
    let mut a = Accounting { balanced: true, ..Accounting::default() };
    for r in submissions {
        let r = r.borrow();
        a.files += 1;
        a.rows_read += r.rows_read;
        a.rows_accepted += r.rows_accepted;
        a.rows_rejected += r.rows_rejected;
        a.errors += r.errors;
        a.warnings += r.warnings;
        a.balanced &= r.rows_read == r.rows_accepted + r.rows_rejected;
    }
    a.balanced &= a.rows_read == a.rows_accepted + a.rows_rejected;
    a
}
