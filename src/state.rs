//! The run's state: the ledger of every input file seen, and every submission ever accepted
//! with its results, so a run parses only new or changed files and never loses what earlier
//! runs read (a deleted input file does not delete its data).
//!
//! The state is published with the tables it describes, inside the same version folder
//! (`OUTPUT/current/_state/state.json`), so both switch together: they can never disagree,
//! whatever moment a run is killed at. A state that is missing or unreadable while published
//! tables exist is refused with instructions (`--full` rebuilds it from the inputs), never
//! silently started afresh, which would duplicate rows.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::pipeline::FileReport;

pub const STATE_VERSION: u32 = 1;
/// Where the state sits inside a published version.
pub const STATE_PATH: &str = "_state/state.json";

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
    /// Supersession of its observations, by index, as last published.
    #[serde(default)]
    pub superseded: BTreeMap<usize, Superseded>,
    pub report: FileReport,
}

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct State {
    pub version: u32,
    pub files: Vec<LedgerEntry>,
    pub submissions: Vec<Submission>,
}

#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error(
        "the run state `{}` is {problem}, so clusterkpi cannot tell which files it has read; run again with `--full` to rebuild it from the input files (data of input files since deleted is then lost)",
        path.display()
    )]
    Corrupt { path: PathBuf, problem: String },
}

impl State {
    /// The state published under `output`: empty when nothing was published yet.
    pub fn load(output: &Path) -> Result<State, StateError> {
        let current = output.join(crate::run::CURRENT);
        if !current.exists() {
            return Ok(State { version: STATE_VERSION, ..State::default() });
        }
        let path = current.join(STATE_PATH);
        let corrupt = |problem: String| StateError::Corrupt { path: path.clone(), problem };
        let text = std::fs::read_to_string(&path).map_err(|e| corrupt(format!("unreadable ({e})")))?;
        let state: State = serde_json::from_str(&text).map_err(|e| corrupt(format!("damaged ({e})")))?;
        if state.version != STATE_VERSION {
            return Err(corrupt(format!("of version {}, not {STATE_VERSION}", state.version)));
        }
        Ok(state)
    }

    pub fn entry(&self, path: &str) -> Option<&LedgerEntry> {
        self.files.iter().find(|e| e.path == path)
    }
}
