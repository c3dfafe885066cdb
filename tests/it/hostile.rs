//! Hostile files never stop the night: a run over the samples and every file of
//! `tests/fixtures/hostile/` (plus the large ones made here, a FIFO, a link to `/dev/zero` and a
//! file that grows while it is read) publishes every sample observation and reports each hostile
//! file; and `validate` of each hostile file alone exits 0 or 1 within 5 s and 512 MB, counting
//! the process and its workers together.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use clusterkpi::write::tables;

use crate::nightly::latest_manifest;
use crate::outputs::{observation_rows, strings, table};
use crate::util::{clusterkpi, root};

/// The hostile files, made in `dir`: the committed ones, and the ones too large to commit.
fn hostile_files(dir: &Path) -> Vec<PathBuf> {
    std::fs::create_dir_all(dir).unwrap();
    let mut files = Vec::new();
    for e in std::fs::read_dir(root().join("tests/fixtures/hostile")).unwrap().flatten() {
        let to = dir.join(e.file_name());
        std::fs::copy(e.path(), &to).unwrap();
        files.push(to);
    }
    // A 64 MB field in an otherwise fine CSV.
    let mut big = b"cluster,country,year,kpi,value,unit\nHumber,GBR,2023,jobs,5,\"".to_vec();
    big.resize(big.len() + (64 << 20), b'x');
    big.extend_from_slice(b"\"\n");
    std::fs::write(dir.join("field_64mb.csv"), big).unwrap();
    // 200,000 columns.
    let header: Vec<String> = (0..200_000).map(|i| format!("c{i}")).collect();
    std::fs::write(dir.join("columns_200k.csv"), header.join(",") + "\n").unwrap();
    files.push(dir.join("field_64mb.csv"));
    files.push(dir.join("columns_200k.csv"));
    files.sort();
    files
}

/// A FIFO, a link to `/dev/zero` under two extensions: not files to read.
fn special_files(dir: &Path) -> Vec<PathBuf> {
    let fifo = dir.join("fifo.csv");
    let made = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo runs");
    assert!(made.success());
    let zero_csv = dir.join("zero.csv");
    let zero_xlsx = dir.join("zero.xlsx");
    std::os::unix::fs::symlink("/dev/zero", &zero_csv).unwrap();
    std::os::unix::fs::symlink("/dev/zero", &zero_xlsx).unwrap();
    vec![fifo, zero_csv, zero_xlsx]
}

/// A CSV that grows by a line a millisecond until `stop` is set.
fn growing(path: &Path, stop: Arc<AtomicBool>) -> std::thread::JoinHandle<()> {
    let mut f = std::fs::File::create(path).unwrap();
    f.write_all(b"cluster,country,year,kpi,value,unit\n").unwrap();
    std::thread::spawn(move || {
        while !stop.load(Ordering::Relaxed) {
            let _ = f.write_all(b"Humber,GBR,2023,jobs,5,jobs\n");
            std::thread::sleep(Duration::from_millis(1));
        }
    })
}

/// The peak memory of a process and its descendants together, sampled every 10 ms from
/// `/proc` (the resident set of each, summed), and its wall time.
fn measure(mut child: std::process::Child) -> (std::process::ExitStatus, Duration, u64) {
    let start = Instant::now();
    let mut peak = 0;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return (status, start.elapsed(), peak);
        }
        peak = peak.max(tree_rss(child.id()));
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn tree_rss(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let own = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .unwrap_or(0)
        * 1024;
    let children = std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children")).unwrap_or_default();
    own + children.split_whitespace().filter_map(|c| c.parse().ok()).map(tree_rss).sum::<u64>()
}

#[test]
fn each_hostile_file_alone_is_reported_within_5_s_and_512_mb() {
    let dir = tempfile::tempdir().unwrap();
    let mut files = hostile_files(&dir.path().join("h"));
    files.extend(special_files(dir.path()));
    let mut slow = Vec::new();
    for file in &files {
        let child = Command::new(env!("CARGO_BIN_EXE_clusterkpi"))
            .args(["validate", "--format", "json"])
            .arg(file)
            .current_dir(root())
            .env_remove(clusterkpi::fault::ENV)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let (status, took, peak) = measure(child);
        let name = file.file_name().unwrap().to_string_lossy();
        assert!(matches!(status.code(), Some(0 | 1)), "{name}: validate ended with {status}");
        if took > Duration::from_secs(5) || peak > 512 << 20 {
            slow.push(format!("{name}: {took:?}, {} MiB", peak >> 20));
        }
    }
    assert!(slow.is_empty(), "over 5 s or 512 MB:\n{slow:#?}");
}

#[test]
fn a_run_over_the_samples_and_every_hostile_file_publishes_every_sample_observation() {
    let dir = tempfile::tempdir().unwrap();
    // The samples alone, as the reference.
    let alone = dir.path().join("alone");
    let r = clusterkpi(&["run", "pipelines/sample.toml", "--output", alone.to_str().unwrap()]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let expected = observation_rows(&alone);

    let input = dir.path().join("in");
    copy_dir(&root().join("sample_data"), &input);
    let hostile = hostile_files(&input.join("hostile"));
    let specials = special_files(&input.join("hostile"));
    let stop = Arc::new(AtomicBool::new(false));
    let grower = growing(&input.join("hostile/growing.csv"), stop.clone());
    let output = dir.path().join("out");
    let r = clusterkpi(&[
        "run",
        "pipelines/sample.toml",
        "--input",
        input.to_str().unwrap(),
        "--output",
        output.to_str().unwrap(),
    ]);
    stop.store(true, Ordering::Relaxed);
    grower.join().unwrap();
    assert_eq!(r.code, 1, "the run completes, with rejects\n{}", r.stderr);

    // Every sample observation is published, unchanged.
    let published = observation_rows(&output);
    for o in &expected {
        assert!(published.contains(o), "sample observation missing: {o:?}");
    }
    // Every hostile file is a submission, unreadable or rejected, with an error that says why.
    let subs = table(&output, &tables::SUBMISSIONS);
    let (paths, statuses) = (strings(&subs, "path"), strings(&subs, "status"));
    let found = table(&output, &tables::FINDINGS);
    let (files, severities, messages) =
        (strings(&found, "source_file"), strings(&found, "severity"), strings(&found, "message"));
    for file in &hostile {
        let name = format!("hostile/{}", file.file_name().unwrap().to_string_lossy());
        let i = paths
            .iter()
            .position(|p| p.as_deref() == Some(&name))
            .unwrap_or_else(|| panic!("{name} is not in submissions"));
        let status = statuses[i].as_deref().unwrap();
        let reason = (0..files.len())
            .find(|&j| files[j].as_deref() == Some(&name) && severities[j].as_deref() == Some("error"))
            .and_then(|j| messages[j].clone());
        match file.file_name().unwrap().to_str().unwrap() {
            // Readable, with a cell far away or a dimension that lies: read as what they are.
            "far_cell.xlsx" | "lying_dimension.xlsx" => assert!(status == "accepted", "{name}: {status}"),
            _ => assert!(
                matches!(status, "unreadable" | "rejected") && reason.is_some(),
                "{name}: {status}, reason {reason:?}"
            ),
        }
    }
    // The FIFO and the links to /dev/zero are passed over, and the manifest says so.
    let manifest = latest_manifest(&output);
    let skipped = manifest["files_skipped"].to_string();
    for s in &specials {
        let name = format!("hostile/{} (not a regular file)", s.file_name().unwrap().to_string_lossy());
        assert!(skipped.contains(&name), "{name} not noted in {skipped}");
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        if e.path().is_file() {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

#[test]
fn the_readme_states_every_limit_with_its_default() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let defaults = serde_json::to_value(clusterkpi::read::Limits::default()).unwrap();
    for (key, value) in defaults.as_object().unwrap() {
        let row = format!("| `{key}` | {value} |");
        assert!(readme.contains(&row), "README.md has no row `{row}`");
    }
}

/// One key on every row, with a different value each time: every row is a conflict, and each
/// finding names three of the others and counts the rest, so that the report of a file that
/// repeats one key does not grow as the square of its rows.
#[test]
fn one_key_on_every_row_names_a_few_others_and_counts_the_rest() {
    let mut csv = String::from("cluster,country,year,kpi,value,unit\n");
    for i in 0..2000 {
        csv.push_str(&format!("Humber,GBR,2023,jobs,{},jobs\n", 100 + i));
    }
    let (_dir, path) = crate::util::temp_file("one_key.csv", csv.as_bytes());
    let report = crate::util::check_as(&path, "one_key.csv");
    assert_eq!((report.rows_read, report.rows_rejected), (2000, 2000));
    let conflicts: Vec<&str> = report
        .findings
        .iter()
        .filter(|f| f.code.to_string() == "E_DUPLICATE_CONFLICT")
        .map(|f| f.message.as_str())
        .collect();
    assert_eq!(conflicts.len(), 2000);
    // Line 2 holds 100 jobs; the others named are lines 3, 4 and 5; 1999 - 3 = 1996 are counted.
    assert_eq!(
        conflicts[0],
        "`jobs` of `zero-carbon-humber` for 2023 is given as 100 jobs here but as 101 jobs at line 3 and 102 jobs at line 4 and 103 jobs at line 5 and 1996 more"
    );
    assert!(conflicts.iter().all(|m| m.matches(" at line ").count() == 3 && m.ends_with("and 1996 more")));
}
