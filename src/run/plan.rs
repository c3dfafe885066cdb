//! Plan: what a run has to do, from the input folder and the ledger, before anything is read.
//!
//! - [`changes`]: the new and changed files under the input folder. An unchanged file (same
//!   size and modification time as the ledger says) costs a stat and a lookup; a touched file
//!   with the same bytes is recognised by its hash and not read again.
//! - [`retraction`]: the submission a `retract` withdraws, marked in the state; it reads no file.
//!
//! Both feed the same commit and publish steps.

use std::path::Path;

use crate::pipeline::{self, DiscoverError, Input};
use crate::state::State;

/// The input folder against the ledger.
#[derive(Debug, Default)]
pub struct Changes {
    /// New or changed files: to check.
    pub to_check: Vec<Input>,
    /// Unchanged since an earlier run: not read again.
    pub unchanged: Vec<String>,
    /// Not submission files.
    pub skipped: Vec<String>,
}

/// The files to check under `input`; with `full`, every one of them.
pub fn changes(input: &Path, state: &mut State, full: bool) -> Result<Changes, DiscoverError> {
    let (inputs, skipped) = pipeline::discover_under(input)?;
    let mut changes = Changes { skipped, ..Changes::default() };
    for input in inputs {
        let seen = stat(&input.path);
        let entry = state.entry(&input.name);
        let same_stat = entry.is_some_and(|e| Some((e.size, e.modified_ns)) == seen);
        if !full && same_stat {
            changes.unchanged.push(input.name.to_string());
            continue;
        }
        if !full
            && let Some(e) = entry
            && e.sha256.is_some()
            && e.sha256 == fs_err::read(&input.path).ok().map(|b| crate::plan::sha256_hex(&b))
        {
            // Touched, not changed: remember the new stat so the next run skips it cheaply.
            let (size, modified_ns) = seen.unwrap_or_default();
            if let Some(e) = state.files.iter_mut().find(|e| e.path == *input.name) {
                (e.size, e.modified_ns) = (size, modified_ns);
            }
            changes.unchanged.push(input.name.to_string());
            continue;
        }
        changes.to_check.push(input);
    }
    Ok(changes)
}

/// Why a retraction cannot be done.
#[derive(Debug, thiserror::Error)]
#[error("cannot retract `{id}`: {problem}")]
pub struct RetractError {
    pub id: String,
    pub problem: &'static str,
}

/// A submission withdrawn by a retraction.
#[derive(Clone, Debug, PartialEq)]
pub struct Retracted {
    pub id: String,
    /// The file it was read from.
    pub file: String,
    /// Its observations, all of which leave `observations/`.
    pub observations: usize,
}

/// Mark the one submission whose id is or starts with `wanted` as retracted at `now`. A
/// submission retracted before keeps its first retraction time.
pub fn retraction(state: &mut State, wanted: &str, now: i64) -> Result<Retracted, RetractError> {
    let error = |problem| RetractError { id: wanted.to_owned(), problem };
    if wanted.is_empty() {
        return Err(error("give the submission's id, or the start of it"));
    }
    let mut matching = state.submissions.iter_mut().filter(|s| s.id.starts_with(wanted));
    let found = matching.next().ok_or_else(|| error("no published submission has this id"))?;
    if matching.next().is_some() {
        return Err(error("several submissions start with this id: give more of it"));
    }
    found.retracted_at = found.retracted_at.or(Some(now));
    Ok(Retracted {
        id: found.id.clone(),
        file: found.report.file.to_string(),
        observations: found.report.rows_accepted,
    })
}

/// Size and modification time of a file, if it can be read.
pub fn stat(path: &Path) -> Option<(u64, i128)> {
    let meta = std::fs::metadata(path).ok()?;
    let modified = meta.modified().ok()?.duration_since(std::time::UNIX_EPOCH).ok()?;
    Some((meta.len(), i128::try_from(modified.as_nanos()).ok()?))
}
