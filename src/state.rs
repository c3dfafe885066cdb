//! The run's state: the ledger of every input file seen, and every submission ever read with
//! what checking it gave (its counts, status and dates), so a run parses only new or changed
//! files and never loses what earlier runs read (a deleted input file does not delete its data).
//!
//! The state does not hold a submission's rows: they are in the published tables, and a run
//! reads them back from there ([`crate::run::commit`]). Its size grows with the number of files,
//! never with the number of rows. Only the rows a run has just read are held in memory with
//! their submission ([`Submission::rows`]) until they are written.
//!
//! The state is published with the tables it describes, inside the same version folder
//! (`OUTPUT/current/_state/ledger.json` and `submissions.json`, see [`crate::store`]), so both
//! switch together: they can never disagree,
//! whatever moment a run is killed at. A state that is missing or unreadable while published
//! tables exist is refused with instructions (`--full` rebuilds it from the inputs), never
//! silently started afresh, which would duplicate rows. A state of version 1, which held the
//! rows too, is read and its rows written out as the next version's tables.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::diag::{Finding, Severity};
use crate::pipeline::{FileReport, Status};
use crate::read::Format;
use crate::store::{LEDGER, SUBMISSIONS, Store};
use crate::validate::{Observation, Reject, SeriesKey};

pub const STATE_VERSION: u32 = 2;
/// The version that held every submission's rows in `submissions.json`; still read.
const STATE_V1: u32 = 1;

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

/// What checking a submission gave, without its rows: what the `submissions` table shows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Held {
    /// The name it was read under.
    pub file: std::sync::Arc<str>,
    pub format: Option<Format>,
    pub bytes: u64,
    pub sha256: Option<String>,
    pub rows_read: usize,
    pub rows_accepted: usize,
    pub rows_rejected: usize,
    pub not_reported: usize,
    pub errors: usize,
    pub warnings: usize,
    /// The one cluster all its accepted rows belong to, if they belong to one.
    pub cluster_id: Option<String>,
    /// The submission's own date, when it gives one.
    pub submitted_at: Option<String>,
}

impl Held {
    pub fn of(report: &FileReport) -> Held {
        Held {
            file: report.file.clone(),
            format: report.format,
            bytes: report.bytes,
            sha256: report.sha256.clone(),
            rows_read: report.rows_read,
            rows_accepted: report.rows_accepted,
            rows_rejected: report.rows_rejected,
            not_reported: report.not_reported,
            errors: report.count(Severity::Error),
            warnings: report.count(Severity::Warning),
            cluster_id: report.cluster_id().map(str::to_owned),
            submitted_at: report.submitted_at.clone(),
        }
    }

    pub fn status(&self) -> Status {
        Status::of(self.rows_read, self.rows_accepted, self.rows_rejected, self.errors)
    }
}

/// The rows of a submission read by this run, until they are written.
#[derive(Clone, Debug, Default)]
pub struct Rows {
    pub observations: crate::chunks::Chunks<Observation>,
    /// The series key of each observation.
    pub keys: Vec<SeriesKey>,
    pub rejects: Vec<Reject>,
    pub findings: Vec<Finding>,
}

impl Rows {
    /// The report's rows and findings, moved out of it.
    pub fn take(report: &mut FileReport) -> Rows {
        Rows {
            observations: std::mem::take(&mut report.observations),
            keys: std::mem::take(&mut report.keys),
            rejects: std::mem::take(&mut report.rejects),
            findings: std::mem::take(&mut report.findings),
        }
    }
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
    pub report: Held,
    /// Its rows, when this run read them (or a state of version 1 held them); otherwise they
    /// are in the published tables.
    #[serde(skip)]
    pub rows: Option<Rows>,
}

/// A submission as a state of version 1 kept it: with its rows, and the supersession of its
/// observations by index.
#[derive(Deserialize)]
struct SubmissionV1 {
    id: String,
    first_seen: String,
    run_id: String,
    ingested_at: i64,
    retracted_at: Option<i64>,
    #[serde(default)]
    arrived_at: Option<i64>,
    report: FileReport,
}

impl From<SubmissionV1> for Submission {
    fn from(mut v1: SubmissionV1) -> Submission {
        let held = Held::of(&v1.report);
        Submission {
            id: v1.id,
            first_seen: v1.first_seen,
            run_id: v1.run_id,
            ingested_at: v1.ingested_at,
            retracted_at: v1.retracted_at,
            arrived_at: v1.arrived_at,
            report: held,
            rows: Some(Rows::take(&mut v1.report)),
        }
    }
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

#[derive(Deserialize)]
struct Versioned {
    version: u32,
}

#[derive(Deserialize)]
struct SubmissionsFile<S> {
    submissions: Vec<S>,
}

#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error(
        "the run state `{}` is {problem}, so clusterkpi cannot tell which files it has read; run again with `--full` to rebuild it from the input files (data of input files since deleted is then lost)",
        path.display()
    )]
    Corrupt { path: PathBuf, problem: String },
}

/// A state file's text, and the version it declares, if it is one of `known`.
fn read(path: &Path, known: &[u32]) -> Result<(String, u32), StateError> {
    let text = std::fs::read_to_string(path).map_err(|e| corrupt(path, format!("unreadable ({e})")))?;
    let v: Versioned = serde_json::from_str(&text).map_err(|e| corrupt(path, format!("damaged ({e})")))?;
    match known.contains(&v.version) {
        true => Ok((text, v.version)),
        false => Err(corrupt(path, format!("of version {}, not {STATE_VERSION}", v.version))),
    }
}

fn parse<T: serde::de::DeserializeOwned>(path: &Path, text: &str) -> Result<T, StateError> {
    serde_json::from_str(text).map_err(|e| corrupt(path, format!("damaged ({e})")))
}

fn corrupt(path: &Path, problem: String) -> StateError {
    StateError::Corrupt { path: path.to_path_buf(), problem }
}

impl State {
    /// The ledger published under `output` (empty when nothing was published yet); the
    /// submissions wait for [`State::load_submissions`], since a run with nothing new never
    /// needs them.
    pub fn load(store: &Store) -> Result<State, StateError> {
        if !store.is_published() {
            return Ok(State::empty());
        }
        let path = store.current().join(LEDGER);
        let (text, version) = read(&path, &[STATE_VERSION, STATE_V1])?;
        let ledger: LedgerFile = parse(&path, &text)?;
        Ok(State { version, files: ledger.files, submissions: Vec::new() })
    }

    /// The submissions published under `output`, with what checking them gave (their rows too,
    /// from a state of version 1).
    pub fn load_submissions(&mut self, store: &Store) -> Result<(), StateError> {
        if store.is_published() {
            let path = store.current().join(SUBMISSIONS);
            self.submissions = match read(&path, &[STATE_VERSION, STATE_V1])? {
                (text, STATE_V1) => {
                    let subs: SubmissionsFile<SubmissionV1> = parse(&path, &text)?;
                    subs.submissions.into_iter().map(Submission::from).collect()
                }
                (text, _) => parse::<SubmissionsFile<Submission>>(&path, &text)?.submissions,
            };
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
