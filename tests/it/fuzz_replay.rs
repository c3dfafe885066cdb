//! The fuzzing campaign's regression run: every input of the committed corpus and every crash
//! input the campaign found, replayed through every fuzz target (the same functions the
//! targets call, `fuzz/targets.rs`) in this process; and every input of the `check` target
//! through `clusterkpi validate`, as a file of its format, which must exit 0 or 1.

use std::path::PathBuf;

use crate::util::root;

#[path = "../../fuzz/targets.rs"]
mod targets;

/// The committed inputs of a target: its corpus, then its crash inputs.
fn inputs(target: &str) -> Vec<PathBuf> {
    let mut all = Vec::new();
    for dir in ["fuzz/corpus", "fuzz/regressions"] {
        let Ok(entries) = std::fs::read_dir(root().join(dir).join(target)) else { continue };
        let mut paths: Vec<_> = entries.flatten().map(|e| e.path()).collect();
        paths.sort();
        all.extend(paths);
    }
    all
}

#[test]
#[allow(clippy::print_stdout)] // how much was replayed, for the log
fn the_fuzz_corpus_and_every_crash_input_replay_through_every_target() {
    let mut replayed = 0;
    for (name, target) in targets::ALL {
        let paths = inputs(name);
        assert!(!paths.is_empty(), "no committed inputs for the fuzz target `{name}`");
        for path in &paths {
            target(&std::fs::read(path).unwrap());
        }
        replayed += paths.len();
    }
    println!("{replayed} fuzz inputs replayed");
}

#[test]
fn validate_of_every_fuzz_input_as_a_file_exits_0_or_1() {
    let dir = tempfile::tempdir().unwrap();
    let mut written = 0;
    for path in inputs("check") {
        let data = std::fs::read(&path).unwrap();
        let Some((format, bytes)) = targets::check_file(&data) else { continue };
        let name = format!("{}.{}", path.file_name().unwrap().to_string_lossy(), format.as_str());
        std::fs::write(dir.path().join(name), bytes).unwrap();
        written += 1;
    }
    assert!(written > 0);
    let r = crate::util::clusterkpi(&["validate", "--format", "json", dir.path().to_str().unwrap()]);
    assert!(matches!(r.code, 0 | 1), "validate exited {}\n{}", r.code, r.stderr);
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(doc["files"].as_array().unwrap().len(), written, "every file is reported");
}
