//! The output folder's lock: one run writes an output folder at a time.
//!
//! The lock is a file, `.clusterkpi.lock`, created exclusively, holding the owner's process id,
//! host and start time. A second run finds it and stops at once. A lock whose owner is no longer
//! alive on this host (killed, crashed) is stale: it is taken over, with a warning. Dropping the
//! [`Lock`] removes the file.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub const LOCK_FILE: &str = ".clusterkpi.lock";

#[derive(Debug, Serialize, Deserialize)]
struct Owner {
    pid: u32,
    host: String,
    started_at: String,
}

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error(
        "another run (process {pid} on {host}, started {started_at}) is writing `{}`; wait for it to finish, or remove `{}` if that process is gone",
        dir.display(), path.display()
    )]
    Held { dir: PathBuf, path: PathBuf, pid: u32, host: String, started_at: String },
    #[error("cannot lock `{}`", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// A held lock; released when dropped.
#[derive(Debug)]
pub struct Lock {
    path: PathBuf,
}

impl Drop for Lock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

fn host() -> String {
    std::fs::read_to_string("/etc/hostname").map(|h| h.trim().to_owned()).unwrap_or_else(|_| "this host".to_owned())
}

/// Is process `pid` alive on this host? Where that cannot be told, assume it is.
fn alive(pid: u32) -> bool {
    if cfg!(target_os = "linux") { Path::new(&format!("/proc/{pid}")).exists() } else { true }
}

/// Take the lock of `dir` (created if need be).
pub fn acquire(dir: &Path) -> Result<Lock, LockError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| LockError::Io { path, source }
    };
    fs_err::create_dir_all(dir).map_err(io(dir))?;
    let path = dir.join(LOCK_FILE);
    let me = Owner { pid: std::process::id(), host: host(), started_at: jiff::Timestamp::now().to_string() };
    for _ in 0..2 {
        match std::fs::OpenOptions::new().write(true).create_new(true).open(&path) {
            Ok(mut f) => {
                let text = serde_json::to_string(&me).unwrap_or_default();
                f.write_all(text.as_bytes()).and_then(|()| f.sync_all()).map_err(io(&path))?;
                return Ok(Lock { path });
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                let owner: Option<Owner> =
                    std::fs::read_to_string(&path).ok().and_then(|t| serde_json::from_str(&t).ok());
                match owner {
                    Some(o) if o.host == me.host && !alive(o.pid) => {
                        tracing::warn!(
                            "taking over a stale lock `{}`: process {} (started {}) is gone",
                            path.display(),
                            o.pid,
                            o.started_at
                        );
                    }
                    None => tracing::warn!("taking over an unreadable lock `{}`", path.display()),
                    Some(o) => {
                        return Err(LockError::Held {
                            dir: dir.to_path_buf(),
                            path,
                            pid: o.pid,
                            host: o.host,
                            started_at: o.started_at,
                        });
                    }
                }
                std::fs::remove_file(&path).map_err(io(&path))?;
            }
            Err(e) => return Err(io(&path)(e)),
        }
    }
    Err(LockError::Io { path, source: std::io::Error::other("the lock changed hands while it was taken over") })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_live_lock_is_refused_and_a_stale_one_taken_over() {
        let dir = tempfile::tempdir().unwrap();
        let first = acquire(dir.path()).unwrap();
        assert!(matches!(acquire(dir.path()), Err(LockError::Held { .. })), "a second run is refused");
        drop(first);
        assert!(!dir.path().join(LOCK_FILE).exists(), "released on drop");

        // A lock left by a process that no longer exists.
        let stale = Owner { pid: u32::MAX - 1, host: host(), started_at: "2026-01-01T00:00:00Z".into() };
        std::fs::write(dir.path().join(LOCK_FILE), serde_json::to_string(&stale).unwrap()).unwrap();
        let taken = acquire(dir.path()).unwrap();
        let now: Owner = serde_json::from_str(&std::fs::read_to_string(dir.path().join(LOCK_FILE)).unwrap()).unwrap();
        assert_eq!(now.pid, std::process::id());
        drop(taken);
    }
}
