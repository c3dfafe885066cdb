//! The nightly run: incremental, resubmissions supersede, retraction, and faults (killed
//! mid-write, a full disk, a damaged state). Each test works on its own input and output
//! folders.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use clusterkpi::write::tables::{self, TableDef};

use crate::outputs::{strings, table};
use crate::util::{clusterkpi, root};

struct Folders {
    _dir: tempfile::TempDir,
    input: PathBuf,
    output: PathBuf,
}

/// An input folder holding these sample files, and an output folder.
fn folders(files: &[&str]) -> Folders {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in");
    std::fs::create_dir(&input).unwrap();
    for f in files {
        std::fs::copy(root().join("sample_data").join(f), input.join(f)).unwrap();
    }
    let output = dir.path().join("out");
    Folders { input, output, _dir: dir }
}

/// `run` of the sample pipeline on these folders.
fn run_args(f: &Folders) -> Vec<&str> {
    vec!["run", "pipelines/sample.toml", "--input", f.input.to_str().unwrap(), "--output", f.output.to_str().unwrap()]
}

fn run(f: &Folders, extra: &[&str]) -> crate::util::Run {
    let mut args = run_args(f);
    args.extend_from_slice(extra);
    clusterkpi(&args)
}

pub(crate) fn latest_manifest(out: &Path) -> serde_json::Value {
    let mut runs: Vec<PathBuf> = std::fs::read_dir(out.join("_runs")).unwrap().map(|e| e.unwrap().path()).collect();
    runs.sort();
    serde_json::from_str(&std::fs::read_to_string(runs.last().unwrap()).unwrap()).unwrap()
}

/// Every column but run ids and timestamps, for comparing two runs' tables.
fn comparable(out: &Path, def: &TableDef) -> Vec<(String, arrow::array::ArrayData)> {
    let batch = table(out, def);
    def.schema()
        .fields()
        .iter()
        .filter(|f| !matches!(f.name().as_str(), "run_id" | "ingested_at" | "first_seen" | "superseded_at"))
        .map(|f| (f.name().clone(), batch.column_by_name(f.name()).unwrap().to_data()))
        .collect()
}

const TWO: [&str; 2] = ["solent.tsv", "jubail.json"];

#[test]
fn a_second_run_with_nothing_new_reads_no_file() {
    let f = folders(&TWO);
    assert_eq!(run(&f, &[]).code, 0);
    let again = run(&f, &[]);
    assert_eq!(again.code, 0);
    assert!(again.stdout.contains("nothing new"), "{}", again.stdout);
    let m = latest_manifest(&f.output);
    assert_eq!(m["files_processed"].as_array().unwrap().len(), 0, "nothing parsed");
    assert_eq!(m["files_unchanged"].as_array().unwrap().len(), 2);
    // `--full` reads everything again, and publishes the same rows.
    let before = comparable(&f.output, &tables::OBSERVATIONS);
    let full = run(&f, &["--full"]);
    assert_eq!(full.code, 0, "{}", full.stderr);
    assert_eq!(latest_manifest(&f.output)["files_processed"].as_array().unwrap().len(), 2);
    assert_eq!(comparable(&f.output, &tables::OBSERVATIONS), before);
}

#[test]
fn a_resubmission_replaces_exactly_its_keys_and_history_keeps_both() {
    let f = folders(&TWO);
    assert_eq!(run(&f, &[]).code, 0);
    let before = table(&f.output, &tables::OBSERVATIONS);
    // Solent corrects its 2024 emissions in a new file.
    let original = std::fs::read_to_string(f.input.join("solent.tsv")).unwrap();
    let header = original.lines().next().unwrap();
    let ghg_2024 = original.lines().find(|l| l.contains("\t2024\tghg_emissions")).expect("a 2024 emissions row");
    let mut cells: Vec<&str> = ghg_2024.split('\t').collect();
    cells[4] = "7500";
    std::fs::write(f.input.join("solent-corrected.tsv"), format!("{header}\n{}\n", cells.join("\t"))).unwrap();
    let r = run(&f, &[]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert_eq!(latest_manifest(&f.output)["files_processed"].as_array().unwrap().len(), 1, "only the new file is read");

    let after = table(&f.output, &tables::OBSERVATIONS);
    assert_eq!(after.num_rows(), before.num_rows(), "one row replaced, none added or lost");
    let (clusters, kpis, files) =
        (strings(&after, "cluster_id"), strings(&after, "kpi"), strings(&after, "source_file"));
    use arrow::array::AsArray;
    let years = after.column_by_name("year").unwrap().as_primitive::<arrow::datatypes::Int32Type>().values().to_vec();
    let values =
        after.column_by_name("value").unwrap().as_primitive::<arrow::datatypes::Float64Type>().values().to_vec();
    let ghg = (0..after.num_rows())
        .find(|&i| {
            clusters[i].as_deref() == Some("solent") && kpis[i].as_deref() == Some("ghg_emissions") && years[i] == 2024
        })
        .unwrap();
    assert_eq!(values[ghg], 7_500_000.0, "7500 ktCO2e");
    assert_eq!(files[ghg].as_deref(), Some("solent-corrected.tsv"));
    // Jubail's rows did not move.
    let jubail = |b: &arrow::array::RecordBatch| {
        strings(b, "cluster_id").iter().filter(|c| c.as_deref() == Some("jubail")).count()
    };
    assert_eq!(jubail(&after), jubail(&before));

    let history = table(&f.output, &tables::OBSERVATIONS_HISTORY);
    assert_eq!(history.num_rows(), before.num_rows() + 1, "both versions are kept");
    let superseded: Vec<_> = strings(&history, "superseded_by").into_iter().flatten().collect();
    assert_eq!(superseded.len(), 1);
    let subs = table(&f.output, &tables::SUBMISSIONS);
    let corrected = strings(&subs, "path").iter().position(|p| p.as_deref() == Some("solent-corrected.tsv")).unwrap();
    assert_eq!(Some(superseded[0].clone()), strings(&subs, "submission_id")[corrected]);
}

#[test]
fn a_deleted_input_keeps_its_data_and_a_retraction_removes_it() {
    let f = folders(&TWO);
    assert_eq!(run(&f, &[]).code, 0);
    let rows = table(&f.output, &tables::OBSERVATIONS).num_rows();
    std::fs::remove_file(f.input.join("jubail.json")).unwrap();
    std::fs::copy(root().join("sample_data/gopalpur.xlsx"), f.input.join("gopalpur.xlsx")).unwrap();
    assert_eq!(run(&f, &[]).code, 0);
    let with_gopalpur = table(&f.output, &tables::OBSERVATIONS);
    assert!(
        strings(&with_gopalpur, "cluster_id").iter().any(|c| c.as_deref() == Some("jubail")),
        "jubail's data stays"
    );
    assert!(with_gopalpur.num_rows() > rows);

    let subs = table(&f.output, &tables::SUBMISSIONS);
    let id = strings(&subs, "submission_id")
        [strings(&subs, "path").iter().position(|p| p.as_deref() == Some("jubail.json")).unwrap()]
    .clone()
    .unwrap();
    let r = clusterkpi(&[
        "retract",
        &id[..12],
        "--pipeline",
        "pipelines/sample.toml",
        "--output",
        f.output.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let jubail_rows = strings(&with_gopalpur, "cluster_id").iter().filter(|c| c.as_deref() == Some("jubail")).count();
    let said = format!("submission {id} (`jubail.json`) retracted: its {jubail_rows} observations left");
    assert!(r.stdout.contains(&said), "{}", r.stdout);
    let now = table(&f.output, &tables::OBSERVATIONS);
    assert!(!strings(&now, "cluster_id").iter().any(|c| c.as_deref() == Some("jubail")), "retracted");
    let history = table(&f.output, &tables::OBSERVATIONS_HISTORY);
    assert!(strings(&history, "superseded_by").iter().any(|s| s.as_deref() == Some("retracted")));
    let subs = table(&f.output, &tables::SUBMISSIONS);
    assert!(strings(&subs, "status").iter().any(|s| s.as_deref() == Some("retracted")));
    let unknown = clusterkpi(&[
        "retract",
        "ffffffffffff",
        "--pipeline",
        "pipelines/sample.toml",
        "--output",
        f.output.to_str().unwrap(),
    ]);
    assert_eq!(unknown.code, 2);
}

/// Start a run that pauses at `point`, wait until it does, and kill it with SIGKILL.
fn kill_at(f: &Folders, point: &str) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_clusterkpi"))
        .args(run_args(f))
        .current_dir(root())
        .env(clusterkpi::fault::ENV, format!("pause:{point}"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let paused = BufReader::new(stderr).lines().map_while(Result::ok).any(|l| l.contains("paused at"));
    assert!(paused, "the run never reached `{point}`");
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn killed_mid_write_at_any_point_the_outputs_stay_readable_and_a_rerun_completes() {
    let reference = folders(&["solent.tsv", "jubail.json", "gopalpur.xlsx"]);
    assert_eq!(run(&reference, &[]).code, 0);
    for point in ["write:observations", "write:findings", "write:coverage", "publish"] {
        let f = folders(&TWO);
        assert_eq!(run(&f, &[]).code, 0);
        let published = comparable(&f.output, &tables::OBSERVATIONS);
        std::fs::copy(root().join("sample_data/gopalpur.xlsx"), f.input.join("gopalpur.xlsx")).unwrap();
        kill_at(&f, point);
        // The previous outputs are intact, and nothing half-written is where a reader looks.
        assert_eq!(comparable(&f.output, &tables::OBSERVATIONS), published, "{point}");
        let rerun = run(&f, &[]);
        assert_eq!(rerun.code, 0, "{point}: {}", rerun.stderr);
        assert!(rerun.stderr.contains("stale lock"), "{point}: the killed run's lock is taken over");
        for def in tables::ALL {
            assert_eq!(comparable(&f.output, def), comparable(&reference.output, def), "{point}: {}", def.name);
        }
        let versions = std::fs::read_dir(f.output.join(".versions")).unwrap().count();
        assert!(versions <= 2, "{point}: {versions} versions left");
    }
}

#[test]
fn a_full_disk_fails_the_run_and_leaves_the_previous_outputs() {
    let f = folders(&TWO);
    assert_eq!(run(&f, &[]).code, 0);
    let published = comparable(&f.output, &tables::OBSERVATIONS);
    std::fs::copy(root().join("sample_data/gopalpur.xlsx"), f.input.join("gopalpur.xlsx")).unwrap();
    let r = crate::util::clusterkpi_env(&run_args(&f), &[(clusterkpi::fault::ENV, "fail:write:findings")]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(r.stderr.contains("no space left on device"), "{}", r.stderr);
    assert_eq!(comparable(&f.output, &tables::OBSERVATIONS), published);
    assert!(!f.output.join(clusterkpi::lock::LOCK_FILE).exists(), "the lock is released");
    assert_eq!(run(&f, &[]).code, 0, "the next run completes");
}

#[test]
fn a_damaged_state_is_refused_with_instructions_and_rebuilt_by_full() {
    let f = folders(&TWO);
    assert_eq!(run(&f, &[]).code, 0);
    let rows = table(&f.output, &tables::OBSERVATIONS).num_rows();
    let state = f.output.join("current").join(clusterkpi::store::LEDGER);
    std::fs::write(&state, "{ not json").unwrap();
    let refused = run(&f, &[]);
    assert_eq!(refused.code, 2);
    assert!(refused.stderr.contains("--full"), "{}", refused.stderr);
    std::fs::remove_file(&state).unwrap();
    assert_eq!(run(&f, &[]).code, 2, "a missing state too");
    let rebuilt = run(&f, &["--full"]);
    assert_eq!(rebuilt.code, 0, "{}", rebuilt.stderr);
    assert_eq!(table(&f.output, &tables::OBSERVATIONS).num_rows(), rows, "no row duplicated");

    // The rows of earlier submissions are read back from the published tables: a damaged one
    // is refused the same way when a new file needs them.
    let history = f.output.join("current").join(tables::OBSERVATIONS_HISTORY.path);
    let bytes = std::fs::read(&history).unwrap();
    std::fs::write(&history, &bytes[..bytes.len() / 2]).unwrap();
    std::fs::copy(root().join("sample_data/hunter-region.csv"), f.input.join("hunter-region.csv")).unwrap();
    let refused = run(&f, &[]);
    assert_eq!(refused.code, 2, "{}", refused.stderr);
    assert!(refused.stderr.contains("observations_history") && refused.stderr.contains("--full"), "{}", refused.stderr);
    assert_eq!(run(&f, &["--full"]).code, 0);
}

#[test]
fn processed_files_are_archived_and_unreadable_ones_quarantined_with_a_report() {
    let f = folders(&["solent.tsv"]);
    std::fs::write(f.input.join("broken.xlsx"), b"PK\x03\x04 not a workbook").unwrap();
    let pipeline = f.input.parent().unwrap().join("p.toml");
    std::fs::write(&pipeline, "[input]\ndir = \"in\"\n[output]\ndir = \"out\"\n[archive]\ndir = \"archive\"\n[quarantine]\ndir = \"quarantine\"\n").unwrap();
    let r = clusterkpi(&["run", pipeline.to_str().unwrap()]);
    assert_eq!(r.code, 1, "the broken file is an error\n{}", r.stderr);
    let base = f.input.parent().unwrap();
    let archived: Vec<_> = walk(&base.join("archive"));
    assert!(
        archived.iter().any(|p| p.ends_with("solent.tsv")) && archived.iter().any(|p| p.ends_with("broken.xlsx")),
        "{archived:?}"
    );
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(base.join("quarantine/broken.xlsx.report.json")).unwrap())
            .unwrap();
    assert_eq!(report[0]["code"], "E_FILE_UNREADABLE");
    assert!(base.join("quarantine/broken.xlsx").is_file());
    assert!(!base.join("quarantine/solent.tsv").exists(), "only unreadable files are quarantined");
    assert!(f.input.join("broken.xlsx").is_file() && f.input.join("solent.tsv").is_file(), "inputs are left in place");
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        if e.path().is_dir() {
            out.extend(walk(&e.path()));
        } else {
            out.push(e.path());
        }
    }
    out
}

/// The run state's files (ledger and submissions) after one run over a CSV of `rows` rows.
fn state_after(rows: usize) -> (u64, usize) {
    let f = folders(&[]);
    let mut csv = String::from("cluster,country,year,kpi,value,unit,facility\n");
    for i in 0..rows {
        csv += &format!("hunter-region,AUS,{},ghg_reduction_potential,{}.5,ktCO2e,site {i}\n", 2000 + i % 20, i + 1);
    }
    std::fs::write(f.input.join("hunter.csv"), csv).unwrap();
    let r = run(&f, &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let published = table(&f.output, &tables::OBSERVATIONS).num_rows();
    let state = f.output.join("current/_state");
    let bytes = std::fs::read_dir(&state).unwrap().map(|e| e.unwrap().metadata().unwrap().len()).sum();
    (bytes, published)
}

#[test]
fn the_run_state_does_not_grow_with_the_rows() {
    let (small, few) = state_after(10);
    let (large, many) = state_after(5000);
    assert_eq!((few, many), (10, 5000), "every row is published");
    // The same one file and submission: only the digits of its counts differ.
    assert!(large <= small + 16, "the state grew from {small} to {large} bytes with 500 times the rows");
}

#[test]
fn a_state_of_version_1_is_read_and_keeps_the_rows_it_held() {
    // A workbook too: its rows' value cells are cells of their rows.
    let old = [TWO[0], TWO[1], "zero-carbon-humber.xlsx"];
    let f = folders(&old);
    assert_eq!(run(&f, &[]).code, 0);
    let before = table(&f.output, &tables::OBSERVATIONS);
    let placed = |t: &arrow::array::RecordBatch| {
        let mut rows: Vec<_> = strings(t, "source_file").into_iter().zip(strings(t, "source_location")).collect();
        rows.sort();
        rows
    };
    // Write the state as version 1 kept it: each submission with its report, rows and all.
    let state = f.output.join("current/_state");
    let mut subs: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(state.join("submissions.json")).unwrap()).unwrap();
    for s in subs["submissions"].as_array_mut().unwrap() {
        let file = s["report"]["file"].as_str().unwrap().to_owned();
        let report = crate::util::check_as(&f.input.join(&file), &file);
        assert!(!report.observations.is_empty());
        s["report"] = serde_json::to_value(&report).unwrap();
        // Version 1 kept each observation's row and value cell as whole locations, their file named.
        for o in s["report"]["observations"].as_array_mut().unwrap() {
            o["row"]["file"] = file.clone().into();
            o["value_loc"]["file"] = file.clone().into();
        }
        s["superseded"] = serde_json::json!({});
    }
    subs["version"] = 1.into();
    std::fs::write(state.join("submissions.json"), subs.to_string()).unwrap();
    let mut ledger: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(state.join("ledger.json")).unwrap()).unwrap();
    ledger["version"] = 1.into();
    std::fs::write(state.join("ledger.json"), ledger.to_string()).unwrap();

    // Inputs deleted, one added: the deleted ones' rows come from the old state.
    std::fs::remove_file(f.input.join(TWO[0])).unwrap();
    std::fs::remove_file(f.input.join(old[2])).unwrap();
    std::fs::copy(root().join("sample_data/hunter-region.csv"), f.input.join("hunter-region.csv")).unwrap();
    let r = run(&f, &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let after = table(&f.output, &tables::OBSERVATIONS);
    let files = strings(&after, "source_file");
    for name in old.iter().chain(&["hunter-region.csv"]) {
        assert!(files.iter().any(|s| s.as_deref() == Some(*name)), "{name} is published");
    }
    let added = crate::util::check_as(&f.input.join("hunter-region.csv"), "hunter-region.csv").rows_accepted;
    assert_eq!(after.num_rows(), before.num_rows() + added, "the old rows kept, the new file's added");
    // Each kept row's value cell as it was published: a sheet's cells (`Sheet!E2`) among them.
    let mut kept = placed(&after);
    kept.retain(|(file, _)| file.as_deref() != Some("hunter-region.csv"));
    assert_eq!(kept, placed(&before));
    assert!(kept.iter().any(|(_, at)| at.as_deref().is_some_and(|at| at.contains('!'))), "{kept:?}");
    let version: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(state.join("submissions.json")).unwrap()).unwrap();
    assert_eq!(version["version"], 2, "the state is written as the current version");
    assert!(version["submissions"][0]["report"].get("observations").is_none(), "without rows");
}
