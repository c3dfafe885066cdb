//! The run's state: the ledger of every input file seen, and every submission ever accepted
//! with its results, so a run parses only new or changed files and never loses what earlier
//! runs read (a deleted input file does not delete its data).
//!
//! The state is published with the tables it describes, inside the same version folder
//! (`OUTPUT/current/_state/ledger.json` and `submissions.json`, see [`crate::store`]), so both
//! switch together: they can never disagree,
//! whatever moment a run is killed at. A state that is missing or unreadable while published
//! tables exist is refused with instructions (`--full` rebuilds it from the inputs), never
//! silently started afresh, which would duplicate rows.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::pipeline::FileReport;
use crate::store::{LEDGER, SUBMISSIONS, Store};

pub const STATE_VERSION: u32 = 1;

/// One input file as last seen.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LedgerEntry {
    pub path: String,
    pub size: u64,
    /// Modification time, nanoseconds since the epoch; with the size, what lets an unchanged file
    /// cost a stat and a lookup.
    pub modified_ns: i128,
    pub sha256: Option<String>,
    pub first_seen: String,
    pub last_seen: String,
    pub status: String,
    /// The run that last read it.
    pub run_id: String,
}

/// Why an observation is no longer current.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Superseded {
    /// The submission that replaced it, or `retracted`.
    pub by: String,
    /// When (microseconds since the epoch, UTC).
    pub at: i64,
}

/// One submission, with what checking it gave.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Submission {
    pub id: String,
    pub first_seen: String,
    pub run_id: String,
    /// Microseconds since the epoch of the run that read it.
    pub ingested_at: i64,
    /// When it was retracted (`clusterkpi retract`), if it was.
    pub retracted_at: Option<i64>,
    /// When its content last arrived at a path that held something else (microseconds since
    /// the epoch): what orders undated resubmissions, so a corrected file written over the old
    /// one is newer than it, and a file changed back to an earlier content is newest again.
    /// `None` in states written before it was kept: `first_seen` stands in.
    #[serde(default)]
    pub arrived_at: Option<i64>,
    /// Supersession of its observations, by index, as last published.
    #[serde(default)]
    pub superseded: BTreeMap<usize, Superseded>,
    pub report: FileReport,
}

#[derive(Debug, Default)]
pub struct State {
    pub version: u32,
    pub files: Vec<LedgerEntry>,
    pub submissions: Vec<Submission>,
}

#[derive(Serialize, Deserialize)]
struct LedgerFile {
    version: u32,
    files: Vec<LedgerEntry>,
}

#[derive(Serialize, Deserialize)]
struct SubmissionsFile {
    version: u32,
    submissions: Vec<Submission>,
}

#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error(
        "the run state `{}` is {problem}, so clusterkpi cannot tell which files it has read; run again with `--full` to rebuild it from the input files (data of input files since deleted is then lost)",
        path.display()
    )]
    Corrupt { path: PathBuf, problem: String },
}

fn read<T: serde::de::DeserializeOwned>(path: &Path, version: impl Fn(&T) -> u32) -> Result<T, StateError> {
    let corrupt = |problem: String| StateError::Corrupt { path: path.to_path_buf(), problem };
    let text = std::fs::read_to_string(path).map_err(|e| corrupt(format!("unreadable ({e})")))?;
    let value: T = serde_json::from_str(&text).map_err(|e| corrupt(format!("damaged ({e})")))?;
    match version(&value) {
        STATE_VERSION => Ok(value),
        v => Err(corrupt(format!("of version {v}, not {STATE_VERSION}"))),
    }
}

impl State {
    /// The ledger published under `output` (empty when nothing was published yet); the
    /// submissions wait for [`State::load_submissions`], since a run with nothing new never
    /// needs them.
    pub fn load(store: &Store) -> Result<State, StateError> {
        if !store.is_published() {
            return Ok(State::empty());
        }
        let ledger: LedgerFile = read(&store.current().join(LEDGER), |l: &LedgerFile| l.version)?;
        Ok(State { version: ledger.version, files: ledger.files, submissions: Vec::new() })
    }

    /// The submissions published under `output`, with their results.
    pub fn load_submissions(&mut self, store: &Store) -> Result<(), StateError> {
        if store.is_published() {
            let subs: SubmissionsFile = read(&store.current().join(SUBMISSIONS), |s: &SubmissionsFile| s.version)?;
            self.submissions = subs.submissions;
        }
        Ok(())
    }

    /// The ledger file of a version.
    pub fn ledger_json(&self) -> String {
        #[derive(Serialize)]
        struct Ledger<'a> {
            version: u32,
            files: &'a [LedgerEntry],
        }
        serde_json::to_string(&Ledger { version: STATE_VERSION, files: &self.files }).unwrap_or_default()
    }

    /// The submissions file of a version.
    pub fn submissions_json(&self) -> String {
        #[derive(Serialize)]
        struct Submissions<'a> {
            version: u32,
            submissions: &'a [Submission],
        }
        serde_json::to_string(&Submissions { version: STATE_VERSION, submissions: &self.submissions })
            .unwrap_or_default()
    }

    /// The state before any run.
    pub fn empty() -> State {
        State { version: STATE_VERSION, ..State::default() }
    }

    pub fn entry(&self, path: &str) -> Option<&LedgerEntry> {
        self.files.iter().find(|e| e.path == path)
    }
}
