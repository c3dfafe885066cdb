//! Helpers: run the binary from the project root, check a file through the library.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use clusterkpi::pipeline::{FileReport, Input, check_file};
use clusterkpi::schema::Schema;

pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// What a CLI run printed, and its exit status.
pub struct Run {
    pub stdout: String,
    pub stderr: String,
    pub code: i32,
}

/// Run `clusterkpi ARGS…` from the project root, so paths in its output are stable.
pub fn clusterkpi(args: &[&str]) -> Run {
    clusterkpi_env(args, &[])
}

pub fn clusterkpi_env(args: &[&str], env: &[(&str, &str)]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_clusterkpi"))
        .args(args)
        .current_dir(root())
        .env_remove("CLUSTERKPI_LOG")
        .env_remove(clusterkpi::fault::ENV)
        .envs(env.iter().copied())
        .output()
        .expect("clusterkpi runs");
    Run {
        stdout: String::from_utf8(out.stdout).expect("UTF-8 stdout"),
        stderr: String::from_utf8(out.stderr).expect("UTF-8 stderr"),
        code: out.status.code().expect("exit status"),
    }
}

pub fn schema() -> Schema {
    Schema::bundled().expect("bundled schema loads")
}

/// Check one file through the library, reporting it under `name`.
pub fn check_as(path: &Path, name: &str) -> FileReport {
    check_file(&Input { path: path.to_path_buf(), name: Arc::from(name) }, &schema())
}

/// Check a committed fixture, reporting it under its path relative to the project root.
pub fn check_fixture(rel: &str) -> FileReport {
    check_as(&root().join(rel), rel)
}

/// Write `content` to a file called `name` in a fresh temporary folder.
pub fn temp_file(name: &str, content: &[u8]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join(name);
    std::fs::write(&path, content).expect("write temp file");
    (dir, path)
}

/// `(code, location)` of every finding, in report order.
pub fn findings(report: &FileReport) -> Vec<(String, String)> {
    report.findings.iter().map(|f| (f.code.to_string(), f.location.to_string())).collect()
}

/// Rows read must be rows accepted plus rows rejected, and each count must match its list.
pub fn assert_accounted(report: &FileReport) {
    assert_eq!(
        report.rows_read,
        report.rows_accepted + report.rows_rejected,
        "{}: read = accepted + rejected",
        report.file
    );
    assert_eq!(report.rows_accepted, report.observations.len(), "{}", report.file);
    assert_eq!(report.rows_rejected, report.rejects.len(), "{}", report.file);
}
