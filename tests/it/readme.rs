//! The README's sample outputs are real outputs: each block the README marks with
//! `<!-- output: NAME -->` is the body of the snapshot `NAME`, which a test here pins. When a
//! snapshot changes (`cargo insta review`), `UPDATE_README=1 cargo test --features
//! fault-injection --test it readme` writes the new outputs into the README.

use std::path::Path;
use std::process::Command;

use crate::util::{clusterkpi, root};

/// `clusterkpi ARGS…` from `dir`, with no pipeline file there.
fn clusterkpi_in(dir: &Path, args: &[&str]) -> crate::util::Run {
    let out = Command::new(env!("CARGO_BIN_EXE_clusterkpi"))
        .args(args)
        .current_dir(dir)
        .env_remove("CLUSTERKPI_LOG")
        .env_remove(clusterkpi::fault::ENV)
        .output()
        .expect("clusterkpi runs");
    crate::util::Run {
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
        code: out.status.code().unwrap(),
    }
}

#[test]
fn validate_of_a_sample_file() {
    let run = clusterkpi(&["validate", "sample_data/ohio-clean-hydrogen-hub.xlsx"]);
    assert_eq!(run.code, 1, "the file has one planted error");
    insta::assert_snapshot!("readme_validate", run.stdout);
}

/// `run --input --output` needs no pipeline file: from an empty folder, the flags are enough.
/// A second run has nothing new, and still shows the standing headline.
#[test]
fn run_from_an_empty_folder_then_an_idle_rerun() {
    let dir = tempfile::tempdir().unwrap();
    let input = root().join("sample_data");
    let args = ["run", "--input", input.to_str().unwrap(), "--output", "output"];
    let first = clusterkpi_in(dir.path(), &args);
    assert_eq!(first.code, 1, "planted mistakes are rejected rows: {}", first.stderr);
    assert!(dir.path().join("output/current/observations/part-00000.parquet").is_file());
    let again = clusterkpi_in(dir.path(), &args);
    assert_eq!(again.code, 0, "{}", again.stderr);

    // The idle run's headline is the published one, the first run's, line for line.
    let headline = |s: &str| s.lines().skip_while(|l| !l.starts_with("KPI")).collect::<Vec<_>>().join("\n");
    assert!(headline(&first.stdout).lines().count() > 5, "{}", first.stdout);
    assert_eq!(headline(&again.stdout), headline(&first.stdout));
    assert!(again.stdout.contains("nothing new (31 files unchanged"), "{}", again.stdout);

    let mut settings = insta::Settings::clone_current();
    settings.add_filter(r"\d{8}T\d{6}Z-[0-9a-f]{4}", "20261130T023000Z-4f2a");
    settings.bind(|| {
        insta::assert_snapshot!("readme_run", first.stdout);
        insta::assert_snapshot!("readme_run_idle", again.stdout);
    });

    // Without the folders, and without a pipeline file, it says what to do.
    let bare = clusterkpi_in(dir.path(), &["run"]);
    assert_eq!(bare.code, 2);
    assert!(bare.stderr.contains("--input DIR --output DIR"), "{}", bare.stderr);
}

const MARK: &str = "<!-- output: ";

/// The body of a committed snapshot: what follows its header.
fn snapshot_body(name: &str) -> String {
    let path = root().join("tests/it/snapshots").join(format!("it__readme__{name}.snap"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let body = text.splitn(3, "---\n").nth(2).unwrap_or_else(|| panic!("{} has no header", path.display()));
    body.trim_end_matches('\n').to_owned() + "\n"
}

/// The README with each marked block replaced by its snapshot, and the names marked.
fn readme_from_snapshots(readme: &str) -> (String, Vec<String>) {
    let mut out = String::new();
    let mut names = Vec::new();
    let mut rest = readme;
    while let Some(at) = rest.find(MARK) {
        let (before, marked) = rest.split_at(at);
        out.push_str(before);
        let end_of_mark = marked.find(" -->\n").expect("a mark ends with ` -->` and a line break");
        let name = &marked[MARK.len()..end_of_mark];
        let after_mark = &marked[end_of_mark + " -->\n".len()..];
        let fence_end = after_mark.find('\n').expect("a fence line follows the mark") + 1;
        assert!(after_mark.starts_with("```"), "the mark `{name}` must stand right above a fenced block");
        let close = after_mark[fence_end..].find("\n```\n").expect("the block is closed") + fence_end + 1;
        out.push_str(&marked[..end_of_mark + " -->\n".len()]);
        out.push_str(&after_mark[..fence_end]);
        out.push_str(&snapshot_body(name));
        rest = &after_mark[close..];
        names.push(name.to_owned());
    }
    out.push_str(rest);
    (out, names)
}

#[test]
fn the_readmes_sample_outputs_are_the_snapshots() {
    let path = root().join("README.md");
    let readme = std::fs::read_to_string(&path).unwrap();
    let (expected, names) = readme_from_snapshots(&readme);
    for name in ["readme_validate", "readme_run", "readme_run_idle"] {
        assert!(names.iter().any(|n| n == name), "README.md shows no `{name}` output");
    }
    if expected != readme && std::env::var_os("UPDATE_README").is_some() {
        std::fs::write(&path, &expected).unwrap();
        return;
    }
    assert!(
        expected == readme,
        "README.md's sample outputs differ from their snapshots: run `UPDATE_README=1 cargo test --features fault-injection --test it readme`"
    );
}
