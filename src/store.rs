//! The output folder's layout, owned here and nowhere else.
//!
//! ```text
//! OUTPUT/
//!   current -> .versions/<run_id>     the published version (a symbolic link)
//!   .versions/<run_id>/               one complete version: tables, summary, run state
//!     observations/part-00000.parquet …
//!     summary/summary.json
//!     _state/ledger.json              the files seen (read by every run)
//!     _state/submissions.json         the submissions and their results
//!   _runs/<run_id>.json               one manifest a run
//!   .clusterkpi.lock                  while a run writes (see [`crate::lock`])
//! ```
//!
//! A version is written whole under `.versions/`, then [`Store::switch`] points `current` at it
//! in one rename: readers see the old version or the new one, never a mix. A version without
//! its ledger was never finished; [`Store::clean`] removes it, and any temporary link.

use std::path::{Path, PathBuf};

/// The published version readers look at.
pub const CURRENT: &str = "current";
const VERSIONS: &str = ".versions";
const RUNS: &str = "_runs";
/// The ledger inside a version: small, read by every run. Its presence marks a finished version.
pub const LEDGER: &str = "_state/ledger.json";
/// The submissions and their results inside a version: read only by a run with work to do.
pub const SUBMISSIONS: &str = "_state/submissions.json";
/// The run summary inside a version.
pub const SUMMARY_JSON: &str = "summary/summary.json";

#[derive(Debug, thiserror::Error)]
#[error("cannot write `{}`", path.display())]
pub struct StoreError {
    pub path: PathBuf,
    #[source]
    pub source: std::io::Error,
}

fn at(path: &Path) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
    move |source| StoreError { path: path.to_path_buf(), source }
}

/// An output folder.
#[derive(Clone, Debug)]
pub struct Store {
    root: PathBuf,
}

impl Store {
    pub fn new(root: &Path) -> Store {
        Store { root: root.to_path_buf() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The published version (through the `current` link).
    pub fn current(&self) -> PathBuf {
        self.root.join(CURRENT)
    }

    /// Whether a version has been published.
    pub fn is_published(&self) -> bool {
        self.current().exists()
    }

    /// The folder a run writes its version into.
    pub fn version(&self, run_id: &str) -> PathBuf {
        self.root.join(VERSIONS).join(run_id)
    }

    /// The manifest of a run.
    pub fn manifest(&self, run_id: &str) -> PathBuf {
        self.root.join(RUNS).join(format!("{run_id}.json"))
    }

    /// Switch `current` to a run's version at once, then drop versions no reader can be using.
    pub fn switch(&self, run_id: &str) -> Result<(), StoreError> {
        let link = self.current();
        let previous = std::fs::read_link(&link).ok();
        let tmp = self.root.join(format!(".{CURRENT}-{run_id}"));
        let target = Path::new(VERSIONS).join(run_id);
        #[cfg(unix)]
        std::os::unix::fs::symlink(&target, &tmp).map_err(at(&tmp))?;
        #[cfg(not(unix))]
        return Err(StoreError { path: tmp, source: std::io::Error::other("publishing needs symbolic links (Unix)") });
        std::fs::rename(&tmp, &link).map_err(at(&link))?;
        if let Ok(dir) = std::fs::File::open(&self.root) {
            let _ = dir.sync_all();
        }
        // Keep the version just replaced: a reader may have opened it a moment ago.
        let keep: Vec<PathBuf> = [Some(target), previous].into_iter().flatten().collect();
        if let Ok(entries) = std::fs::read_dir(self.root.join(VERSIONS)) {
            for e in entries.flatten() {
                if !keep.iter().any(|k| k.file_name() == Some(e.file_name().as_os_str())) {
                    let _ = std::fs::remove_dir_all(e.path());
                }
            }
        }
        Ok(())
    }

    /// Remove what a killed run left: temporary links, and versions that were never finished
    /// (readers only ever look at `current`, so none of these was visible).
    pub fn clean(&self) {
        let current = std::fs::read_link(self.current()).ok();
        if let Ok(entries) = std::fs::read_dir(&self.root) {
            for e in entries.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                if name.starts_with(&format!(".{CURRENT}-")) || name.starts_with(".staging-") {
                    let _ = std::fs::remove_file(e.path()).or_else(|_| std::fs::remove_dir_all(e.path()));
                }
            }
        }
        if let Ok(entries) = std::fs::read_dir(self.root.join(VERSIONS)) {
            for e in entries.flatten() {
                let published = current.as_ref().is_some_and(|c| c.file_name() == Some(e.file_name().as_os_str()));
                let complete = e.path().join(LEDGER).is_file();
                if !published && !complete {
                    tracing::info!(version = %e.path().display(), "removing the remains of an interrupted run");
                    let _ = std::fs::remove_dir_all(e.path());
                }
            }
        }
    }
}

/// Write a file whole and flush it to disk (its folder is created).
pub fn write_synced(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    if let Some(dir) = path.parent() {
        fs_err::create_dir_all(dir).map_err(at(path))?;
    }
    let mut f = std::fs::File::create(path).map_err(at(path))?;
    std::io::Write::write_all(&mut f, bytes).map_err(at(path))?;
    f.sync_all().map_err(at(path))
}

/// Write a file under a temporary name, then rename it into place.
pub fn write_renamed(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.tmp"));
    if let Some(dir) = path.parent() {
        fs_err::create_dir_all(dir).map_err(at(dir))?;
    }
    fs_err::write(&tmp, bytes).map_err(at(&tmp))?;
    fs_err::rename(&tmp, path).map_err(at(path))
}
