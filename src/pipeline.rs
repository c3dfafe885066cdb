//! The stages chained for one file (read → map → validate), and many files processed
//! concurrently.
//!
//! A file that cannot be read gets one file-level error and the others go on; a panic inside
//! a stage is caught and reported as `E_INTERNAL` for that file alone. Reports come back in
//! input order whatever the scheduling, so output is deterministic.
//!
//! A file's bytes are dropped once read. A text file's rows stay packed until they are mapped
//! ([`read::Unpack`]), and the rows of a file of one long table are checked as they are mapped
//! ([`crate::map::Sink`], [`validate::Checker`]), so a large long table is never held whole as
//! cells or as raw rows (a table of another layout is unpacked whole). A workbook of one sheet
//! is mapped and checked as its rows come from its worker ([`read::streamed`]); its bytes are
//! kept until then, to be read again, whole, if the map declines them.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio::sync::Semaphore;

use crate::diag::{Code, Finding, Loc, Severity};
use crate::read::{self, Format};
use crate::schema::Schema;
use crate::validate::{self, Observation, Reject, SeriesKey};

/// One input file: where it is, and the name it is reported under.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Input {
    pub path: PathBuf,
    pub name: Arc<str>,
}

/// What became of a submission.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// Every row accepted (an empty but readable file too).
    Accepted,
    /// Some rows accepted, some rejected.
    Partial,
    /// Rows read, none accepted.
    Rejected,
    /// Nothing could be read.
    Unreadable,
}

impl Status {
    /// The status of a submission from its row counts and its number of errors.
    pub fn of(rows_read: usize, rows_accepted: usize, rows_rejected: usize, errors: usize) -> Status {
        if rows_read == 0 && errors > 0 {
            Status::Unreadable
        } else if rows_rejected == 0 {
            Status::Accepted
        } else if rows_accepted == 0 {
            Status::Rejected
        } else {
            Status::Partial
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Accepted => "accepted",
            Status::Partial => "partial",
            Status::Rejected => "rejected",
            Status::Unreadable => "unreadable",
        }
    }
}

/// Everything learned about one file.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct FileReport {
    pub file: Arc<str>,
    pub format: Option<Format>,
    /// Size of the file; 0 when it could not be read.
    pub bytes: u64,
    /// SHA-256 of the file's bytes, when they could be read.
    pub sha256: Option<String>,
    pub rows_read: usize,
    pub rows_accepted: usize,
    pub rows_rejected: usize,
    /// Cells where a figure belongs holding a missing-value marker or nothing: not rows.
    pub not_reported: usize,
    /// How the layout was read, for `validate --explain`.
    #[serde(skip)]
    pub explanation: Vec<String>,
    /// The submission's own date, when it gives one (a JSON `submitted_at`, a `Date:` line).
    pub submitted_at: Option<String>,
    pub findings: Vec<Finding>,
    pub observations: crate::chunks::Chunks<Observation>,
    /// The series key of each observation, as the check worked it out.
    #[serde(skip)]
    pub keys: Vec<SeriesKey>,
    pub rejects: Vec<Reject>,
    /// The cells mapping read or reported (see [`crate::map::Mapped::accounted`]).
    #[serde(skip)]
    pub accounted: std::collections::HashSet<crate::diag::Place>,
    /// Where each table found starts.
    #[serde(skip)]
    pub tables: Vec<crate::diag::Place>,
}

impl FileReport {
    fn failed(file: &Arc<str>, format: Option<Format>, finding: Finding) -> Self {
        FileReport {
            file: file.clone(),
            format,
            bytes: 0,
            sha256: None,
            rows_read: 0,
            rows_accepted: 0,
            rows_rejected: 0,
            not_reported: 0,
            explanation: Vec::new(),
            submitted_at: None,
            findings: vec![finding],
            observations: Default::default(),
            keys: Vec::new(),
            rejects: Vec::new(),
            accounted: Default::default(),
            tables: Vec::new(),
        }
    }

    pub fn count(&self, severity: Severity) -> usize {
        self.findings.iter().filter(|f| f.severity == severity).count()
    }

    /// The submission's id: the SHA-256 of its bytes, or of its name when it could not be read.
    pub fn submission_id(&self) -> String {
        self.sha256.clone().unwrap_or_else(|| crate::plan::sha256_hex(self.file.as_bytes()))
    }

    /// The one cluster all accepted rows belong to, if they belong to one.
    pub fn cluster_id(&self) -> Option<&str> {
        let first = self.observations.first()?.cluster_id.as_str();
        self.observations.iter().all(|o| o.cluster_id == first).then_some(first)
    }

    pub fn status(&self) -> Status {
        Status::of(self.rows_read, self.rows_accepted, self.rows_rejected, self.count(Severity::Error))
    }

    /// `13 rows read, 12 accepted, 1 rejected; 1 error`: the file's rows and findings in words.
    pub fn tally(&self) -> String {
        format!(
            "{} rows read, {} accepted, {} rejected{}{}",
            self.rows_read,
            self.rows_accepted,
            self.rows_rejected,
            if self.not_reported > 0 { format!(", {} not reported", self.not_reported) } else { String::new() },
            crate::diag::render::counts(
                self.count(Severity::Error),
                self.count(Severity::Warning),
                self.count(Severity::Info)
            ),
        )
    }

    /// True when something inside clusterkpi failed on this file.
    pub fn internal_fault(&self) -> bool {
        self.findings.iter().any(|f| f.code == Code::Internal)
    }
}

/// A text file's rows are left packed: the map unpacks them a piece at a time as it needs them.
const UNPACK: read::Unpack = read::Unpack::Head(0);

/// Read, map and validate one file, keeping the places of the cells it accounted for.
pub fn check_file(input: &Input, schema: &Schema) -> FileReport {
    check_path(input, schema, true)
}

/// Read, map and validate one file; with `track`, keep the places of the cells it accounted for
/// ([`FileReport::accounted`]).
fn check_path(input: &Input, schema: &Schema, track: bool) -> FileReport {
    let file = &input.name;
    crate::fault::inject("check", file);
    let Some(format) = Format::from_path(&input.path) else {
        let ext = input.path.extension().map_or_else(String::new, |e| e.to_string_lossy().into_owned());
        return FileReport::failed(
            file,
            None,
            Finding::new(
                Code::FileFormat,
                Loc::file(file),
                format!("`.{ext}` is not a submission format clusterkpi reads"),
                format!("submit {}", Format::extensions_listed()),
            ),
        );
    };
    let bytes = match read::read_file(&input.path, &schema.limits) {
        Ok(b) => b,
        Err(e) => {
            let (code, message, hint) = e.describe();
            return FileReport::failed(file, Some(format), Finding::new(code, Loc::file(file), message, hint));
        }
    };
    let checking = Checking { file, format, schema, track, started: std::time::Instant::now() };
    let digest = || crate::plan::sha256_hex(&bytes);
    if format.is_spreadsheet()
        && let Some(pool) = read::worker::pool()
    {
        let sha256 = digest();
        let mut report = checking.workbook(pool, &bytes);
        report.bytes = bytes.len() as u64;
        report.sha256 = Some(sha256);
        return report;
    }
    let read = || read::read(&bytes, format, file, &schema.limits, UNPACK);
    // A text file's digest is taken on another core while it is parsed (a spreadsheet read in
    // this process, with no worker pool, after it).
    let (sha256, content) = if format.is_spreadsheet() { (digest(), read()) } else { rayon::join(digest, read) };
    let size = bytes.len() as u64;
    // The bytes are not needed once read: a large file is not held beside its cells.
    drop(bytes);
    let mut report = checking.content(content, None);
    report.bytes = size;
    report.sha256 = Some(sha256);
    report
}

/// Read, map and validate a file's bytes, reported under the name `file`.
pub fn check_bytes(bytes: &[u8], format: Format, file: &Arc<str>, schema: &Schema) -> FileReport {
    let checking = Checking { file, format, schema, track: true, started: std::time::Instant::now() };
    let mut report = checking.content(read::read(bytes, format, file, &schema.limits, UNPACK), None);
    report.bytes = bytes.len() as u64;
    report
}

/// One file being checked: its name and format, the schema, whether the places of the cells it
/// accounts for are kept ([`FileReport::accounted`]), and when its check started.
#[derive(Clone, Copy)]
struct Checking<'a> {
    file: &'a Arc<str>,
    format: Format,
    schema: &'a Schema,
    track: bool,
    started: std::time::Instant,
}

impl Checking<'_> {
    /// Read the workbook `bytes` in a worker of `pool`, then map and validate it: a table of
    /// one sheet as its rows come ([`read::streamed`]), unless the map declines them, when the
    /// workbook is read and mapped again, whole.
    fn workbook(&self, pool: &'static read::worker::Pool, bytes: &[u8]) -> FileReport {
        let (file, format, limits) = (self.file, self.format, &self.schema.limits);
        match read::streamed::open(pool, bytes, format, file, limits) {
            Ok(read::streamed::Opened::Whole(content)) => self.content(Ok(content), None),
            Ok(read::streamed::Opened::Streaming(head, mut rest)) => {
                let report = self.content(Ok(head), Some(&mut *rest));
                match rest.outcome() {
                    Ok(read::streamed::Outcome::Taken) => {
                        tracing::debug!(file = %file, "the sheet's rows were mapped and checked as they came");
                        report
                    }
                    Ok(read::streamed::Outcome::Declined) => {
                        tracing::debug!(file = %file, "the rows still coming were declined: the workbook is read whole");
                        self.content(pool.read(bytes, format, file, limits), None)
                    }
                    Err(e) => self.content(Err(e), None),
                }
            }
            Err(e) => self.content(Err(e), None),
        }
    }

    /// Map and validate what reading the file gave; `coming`, the rows of its last grid still
    /// coming ([`crate::map::map`]).
    fn content(
        &self,
        content: Result<read::Content, read::ReadError>,
        coming: Option<&mut dyn read::streamed::Coming>,
    ) -> FileReport {
        let Checking { file, format, schema, track, started } = *self;
        let content = match content {
            Ok(r) => r,
            Err(e) => {
                let (code, message, hint) = e.describe();
                return FileReport::failed(file, Some(format), Finding::new(code, Loc::file(file), message, hint));
            }
        };
        let read_at = started.elapsed();
        // A long table's rows are checked as they are mapped: the map time includes their check.
        let mut checker = validate::Checker::new(schema, file);
        let mut mapped = crate::map::map(content, file, schema, track, &mut checker, coming);
        let mapped_at = started.elapsed();
        let not_reported = mapped.not_reported;
        let explanation = std::mem::take(&mut mapped.explanation);
        let mapped_submitted = mapped.submitted_at.take();
        let accounted = std::mem::take(&mut mapped.accounted);
        let tables = std::mem::take(&mut mapped.tables);
        crate::map::Sink::take(&mut checker, std::mem::take(&mut mapped.entries));
        let validated = checker.finish();
        tracing::debug!(
            file = %file,
            read_ms = read_at.as_millis() as u64,
            map_ms = (mapped_at - read_at).as_millis() as u64,
            validate_ms = (started.elapsed() - mapped_at).as_millis() as u64,
            "file checked"
        );
        FileReport {
            file: file.clone(),
            format: Some(format),
            bytes: 0,
            sha256: None,
            rows_read: validated.rows_read,
            rows_accepted: validated.observations.len(),
            rows_rejected: validated.rejects.len(),
            not_reported,
            explanation,
            submitted_at: mapped_submitted,
            findings: validated.findings,
            observations: validated.observations,
            keys: validated.keys,
            rejects: validated.rejects,
            accounted,
            tables,
        }
    }
}

/// Check files concurrently, three small files or one large one per available core (a small
/// file's thread spends much of its time waiting: for a spreadsheet's worker process, for its
/// share of the cores' work); reports in input order.
pub fn check_files(inputs: Vec<Input>, schema: Arc<Schema>) -> Vec<FileReport> {
    check_files_with(inputs, schema, Arc::new(|| {}))
}

/// Like [`check_files`], calling `done` as each file is finished (for a progress bar).
pub fn check_files_with(inputs: Vec<Input>, schema: Arc<Schema>, done: Arc<dyn Fn() + Send + Sync>) -> Vec<FileReport> {
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
    let room = workers.saturating_mul(LARGE as usize);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .max_blocking_threads(room)
        .build()
        .expect("the tokio runtime starts");
    runtime.block_on(async move {
        let permits = Arc::new(Semaphore::new(room));
        let tasks: Vec<_> = inputs
            .into_iter()
            .map(|input| {
                let schema = schema.clone();
                let permits = permits.clone();
                let name = input.clone();
                let done = done.clone();
                // The room a file takes, by its size: a spreadsheet's cells are many times its
                // size, and it is parsed in a process of its own (a file that cannot be sized is
                // reported by its check, and takes a large one's room).
                let size = std::fs::metadata(&input.path).map_or(u64::MAX, |m| m.len());
                let spreadsheet = Format::from_path(&input.path).is_some_and(Format::is_spreadsheet);
                let small = if spreadsheet { SMALL_SPREADSHEET } else { SMALL_FILE };
                let weight = if size <= small { 1 } else { LARGE };
                let task = tokio::spawn(async move {
                    let _permit = permits.acquire_many_owned(weight).await;
                    let report = tokio::task::spawn_blocking(move || check_path(&input, &schema, false)).await;
                    done();
                    report
                });
                (name, task)
            })
            .collect();
        let mut reports = Vec::with_capacity(tasks.len());
        for (input, task) in tasks {
            let report = match task.await {
                Ok(Ok(report)) => report,
                Ok(Err(e)) | Err(e) => internal(&input, &e.to_string()),
            };
            reports.push(report);
        }
        reports
    })
}

/// A text file of at most this many bytes is small ([`check_files_with`]).
const SMALL_FILE: u64 = 1 << 20;
/// A spreadsheet of at most this many bytes is small.
const SMALL_SPREADSHEET: u64 = 256 << 10;
/// The room a large file takes, in small files: a core's. (With two small files a core, S's
/// 200 files kept the cores busy 1.72 times the wall time, with three 1.78, and took 5 % less
/// time: a small spreadsheet's thread mostly waits for its worker.)
const LARGE: u32 = 3;

fn internal(input: &Input, what: &str) -> FileReport {
    let format = Format::from_path(&input.path);
    tracing::error!(file = %input.name, "internal fault: {what}");
    FileReport::failed(
        &input.name,
        format,
        Finding::new(
            Code::Internal,
            Loc::file(&input.name),
            format!("clusterkpi failed while reading this file ({what})"),
            "this is a bug in clusterkpi, not in the file: please report it with the file attached",
        ),
    )
}

/// Why the inputs could not be listed: a usage error.
#[derive(Debug, thiserror::Error)]
pub enum DiscoverError {
    #[error("`{}` does not exist", path.display())]
    Missing { path: PathBuf },
    #[error("`{}` is a folder: name one file", path.display())]
    NotAFile { path: PathBuf },
    #[error("cannot list `{}`", path.display())]
    Walk {
        path: PathBuf,
        #[source]
        source: walkdir::Error,
    },
}

/// The files to check: files named directly, and the submission files under folders, searched
/// recursively in name order. Hidden files and office lock files (`~$…`) in folders are passed
/// over, and so are files of other formats (a README beside the submissions, say). Files are
/// reported under their path as found (a folder's files under the folder's path).
pub fn discover(paths: &[PathBuf]) -> Result<Vec<Input>, DiscoverError> {
    walk(paths).map(|(inputs, _)| inputs)
}

/// The submission files under `dir`, reported under their path relative to `dir`, and the
/// other files found there (passed over: not a submission format, or not a regular file, which
/// the name then says).
pub fn discover_under(dir: &Path) -> Result<(Vec<Input>, Vec<String>), DiscoverError> {
    let (mut inputs, others) = walk(&[dir.to_path_buf()])?;
    let relative = |p: &Path| p.strip_prefix(dir).unwrap_or(p).to_string_lossy().into_owned();
    for i in &mut inputs {
        i.name = Arc::from(relative(&i.path));
    }
    Ok((inputs, others.iter().map(|(p, note)| format!("{}{note}", relative(p))).collect()))
}

/// A file of a folder that is not read, and a note saying why when the name does not.
type PassedOver = (PathBuf, &'static str);

/// One pass over the paths: the submission files, and the other files of the folders with a
/// note for those that are not regular files. A path named directly that exists but is no
/// folder is checked, whatever it is: its report says what is wrong with it.
fn walk(paths: &[PathBuf]) -> Result<(Vec<Input>, Vec<PassedOver>), DiscoverError> {
    let (mut inputs, mut others) = (Vec::new(), Vec::new());
    for path in paths {
        if path.is_dir() {
            let walker = walkdir::WalkDir::new(path)
                .sort_by_file_name()
                .into_iter()
                .filter_entry(|e| e.depth() == 0 || !is_hidden(e.path()));
            for entry in walker {
                let entry = entry.map_err(|source| DiscoverError::Walk { path: path.clone(), source })?;
                let kind = entry.file_type();
                if kind.is_dir() {
                    continue;
                }
                // A link to a regular file is read; a FIFO, a device, or a link to one is not.
                let regular = kind.is_file() || std::fs::metadata(entry.path()).is_ok_and(|m| m.is_file());
                if !regular {
                    tracing::warn!(path = %entry.path().display(), "not a regular file, passed over");
                    others.push((entry.path().to_path_buf(), " (not a regular file)"));
                } else if Format::from_path(entry.path()).is_some() {
                    inputs.push(input(entry.path()));
                } else {
                    tracing::debug!(path = %entry.path().display(), "not a submission format, passed over");
                    others.push((entry.path().to_path_buf(), ""));
                }
            }
        } else if std::fs::symlink_metadata(path).is_ok() {
            inputs.push(input(path));
        } else {
            return Err(DiscoverError::Missing { path: path.clone() });
        }
    }
    Ok((inputs, others))
}

fn input(path: &Path) -> Input {
    Input { path: path.to_path_buf(), name: Arc::from(path.to_string_lossy().as_ref()) }
}

fn is_hidden(path: &Path) -> bool {
    path.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with('.') || n.starts_with("~$"))
}
