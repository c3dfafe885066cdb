//! Benchmark: the nightly run at scale, on corpora of the benchmark kit's three shapes,
//! generated here (no Python, nothing outside the project):
//!
//! - `S`: 200 files × 500 rows (100 CSV, 60 xlsx, 40 JSON submissions);
//! - `L`: 1 CSV × 1,000,000 rows;
//! - `XS`: 1 xlsx × 200,000 rows, with a shared-strings table as Excel writes it.
//!
//! Every row is a canonical long-table row naming a facility (so no key repeats), in one of the
//! unit spellings clusters use; 1 % are planted errors (an unknown unit, a value that is not a
//! number, a year out of range). `cargo bench --bench scale [-- S L XS] [--scale F]` runs
//! `clusterkpi run` on each as a user would (a new process, spreadsheets parsed in its workers)
//! and prints the wall time, rows/s, CPU time ÷ wall time, the peak memory of the process tree
//! (the clusterkpi process and its workers together, sampled from `/proc` every 5 ms; Linux
//! only) and the run manifest's per-stage split. It fails if the run's counts are not the
//! generated ones: a fast wrong answer is not a result. `--scale 0.1` makes every corpus ten
//! times smaller.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use clusterkpi::schema::Schema;

/// A deterministic generator (xorshift64*): the same corpus on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }

    fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// One row as written: cluster, country, year, kpi, value, unit, scope, gas, facility, notes.
type Row = [String; 10];

const HEADER: [&str; 10] = ["Cluster", "Country", "Year", "KPI", "Value", "Unit", "Scope", "Gas", "Facility", "Notes"];

/// A valid row of a KPI, in a unit spelling clusters use.
fn valid(rng: &mut Rng, cluster: (&str, &str), facility: &str) -> Row {
    let kpis = [
        "ghg_emissions",
        "ghg_emissions",
        "ghg_reduction_potential",
        "gdp_contribution",
        "jobs",
        "renewable_electricity",
        "energy_consumption",
        "hydrogen_production",
        "co2_captured",
    ];
    let kpi = rng.pick(&kpis);
    let mut year = 1990 + rng.below(35);
    let (mut scope, mut gas) = ("", "");
    let (unit, value) = match kpi {
        "ghg_emissions" if rng.below(7) == 0 => {
            gas = rng.pick(&["CH4", "N2O", "SF6"]);
            scope = rng.pick(&["1", "2", "3", "1+2"]);
            (rng.pick(&["t", "kt"]), format!("{:.3}", rng.uniform(1.0, 500.0)))
        }
        "ghg_emissions" | "ghg_reduction_potential" => {
            if kpi == "ghg_emissions" {
                scope = rng.pick(&["1", "2", "3", "1+2"]);
            }
            let unit = rng.pick(&["tCO2e", "t CO2e", "ktCO2e", "kt CO2e", "MtCO2e", "Mt CO2e", "thousand tonnes CO2e"]);
            let scale = if unit.starts_with('M') {
                1e6
            } else if unit.starts_with('t') && unit.len() < 7 {
                1.0
            } else {
                1e3
            };
            (unit, format!("{:.1}", rng.uniform(1e4, 3e7) / scale))
        }
        "co2_captured" => (rng.pick(&["tCO2", "ktCO2", "MtCO2"]), format!("{:.3}", rng.uniform(1.0, 900.0))),
        "gdp_contribution" => {
            year = 2020 + rng.below(5);
            (rng.pick(&["USD m", "USD million", "million USD", "USD bn"]), format!("{:.2}", rng.uniform(1.0, 900.0)))
        }
        "jobs" => (rng.pick(&["jobs", "employees", "thousand jobs"]), format!("{}", 50 + rng.below(30_000))),
        "hydrogen_production" => (rng.pick(&["t H2", "kt H2"]), format!("{:.2}", rng.uniform(1.0, 900.0))),
        _ => (rng.pick(&["MWh", "GWh", "TJ"]), format!("{:.2}", rng.uniform(10.0, 90_000.0))),
    };
    let notes = if rng.below(10) == 0 { rng.pick(&["estimate", "verified by third party"]) } else { "" };
    [cluster.0, cluster.1, &year.to_string(), kpi, &value, unit, scope, gas, facility, notes].map(str::to_owned)
}

/// A row with one planted error.
fn plant(rng: &mut Rng, mut row: Row) -> Row {
    match rng.below(3) {
        0 => row[5] = rng.pick(&["furlongs", "bananas", "tCO2e per widget"]).to_owned(),
        1 => row[4] = rng.pick(&["approx. lots", "12..5"]).to_owned(),
        _ => row[2] = rng.pick(&["1850", "2150"]).to_owned(),
    }
    row
}

/// What a corpus holds: its files' rows, and how many are valid.
struct Corpus {
    rows: usize,
    bad: usize,
}

/// `n` rows of file `file`, for one cluster (`Some`) or any.
fn rows(
    rng: &mut Rng,
    clusters: &[(String, String)],
    file: usize,
    one: Option<usize>,
    n: usize,
    c: &mut Corpus,
) -> Vec<Row> {
    (0..n)
        .map(|i| {
            let (id, country) = &clusters[one.unwrap_or_else(|| rng.below(clusters.len()))];
            let row = valid(rng, (id, country), &format!("{id}-site-{file:03}-{i:07}"));
            c.rows += 1;
            if rng.below(100) == 0 {
                c.bad += 1;
                plant(rng, row)
            } else {
                row
            }
        })
        .collect()
}

fn write_csv(path: &Path, rows: &[Row]) {
    let mut w = csv::Writer::from_path(path).expect("create csv");
    w.write_record(HEADER).expect("write csv");
    for r in rows {
        w.write_record(r).expect("write csv");
    }
    w.flush().expect("write csv");
}

fn write_xlsx(path: &Path, rows: &[Row]) {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    let cell = |sheet: &mut rust_xlsxwriter::Worksheet, r: u32, c: u16, text: &str| {
        let written = match text.parse::<f64>() {
            Ok(n) if c == 2 || c == 4 => sheet.write_number(r, c, n).map(|_| ()),
            _ if text.is_empty() => Ok(()),
            _ => sheet.write_string(r, c, text).map(|_| ()),
        };
        written.expect("write xlsx cell");
    };
    for (c, h) in HEADER.iter().enumerate() {
        cell(sheet, 0, c as u16, h);
    }
    for (r, row) in rows.iter().enumerate() {
        for (c, text) in row.iter().enumerate() {
            cell(sheet, r as u32 + 1, c as u16, text);
        }
    }
    book.save(path).expect("save xlsx");
}

fn write_json(path: &Path, rows: &[Row]) {
    let observations: Vec<serde_json::Value> = rows
        .iter()
        .map(|r| {
            let number = |s: &str| s.parse::<f64>().map_or_else(|_| serde_json::json!(s), |n| serde_json::json!(n));
            serde_json::json!({
                "year": number(&r[2]), "kpi": r[3], "value": number(&r[4]), "unit": r[5],
                "scope": r[6], "gas": r[7], "facility": r[8], "notes": r[9],
            })
        })
        .collect();
    let doc = serde_json::json!({ "cluster": rows[0][0], "country": rows[0][1], "observations": observations });
    std::fs::write(path, doc.to_string()).expect("write json");
}

/// Write corpus `name` under `dir`.
fn generate(name: &str, dir: &Path, scale: f64, clusters: &[(String, String)]) -> Corpus {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ name.len() as u64);
    let mut c = Corpus { rows: 0, bad: 0 };
    let n = |rows: usize| ((rows as f64 * scale) as usize).max(1);
    match name {
        "S" => {
            for file in 0..200 {
                match file % 10 {
                    0..5 => write_csv(
                        &dir.join(format!("s{file:03}.csv")),
                        &rows(&mut rng, clusters, file, None, n(500), &mut c),
                    ),
                    5..8 => write_xlsx(
                        &dir.join(format!("s{file:03}.xlsx")),
                        &rows(&mut rng, clusters, file, None, n(500), &mut c),
                    ),
                    _ => {
                        let one = Some(file % clusters.len());
                        write_json(
                            &dir.join(format!("s{file:03}.json")),
                            &rows(&mut rng, clusters, file, one, n(500), &mut c),
                        );
                    }
                }
            }
        }
        "L" => write_csv(&dir.join("l.csv"), &rows(&mut rng, clusters, 0, None, n(1_000_000), &mut c)),
        "XS" => write_xlsx(&dir.join("xs.xlsx"), &rows(&mut rng, clusters, 0, None, n(200_000), &mut c)),
        other => panic!("no corpus `{other}`: S, L or XS"),
    }
    c
}

/// What sampling a process tree saw.
#[derive(Default)]
struct Sampled {
    /// The largest sum of resident memory over the tree, in bytes.
    peak_tree: u64,
    /// The largest resident memory of any one process of it.
    peak_one: u64,
    /// CPU time (user + system) last seen per process.
    cpu: HashMap<u32, Duration>,
}

/// The pids of `root` and its descendants, from `/proc/*/stat`.
fn tree(root: u32) -> Vec<u32> {
    let mut parents = Vec::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else { continue };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else { continue };
        let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
        if let Some(ppid) = after.split_whitespace().nth(1).and_then(|p| p.parse::<u32>().ok()) {
            parents.push((pid, ppid));
        }
    }
    let mut found = vec![root];
    let mut i = 0;
    while i < found.len() {
        let parent = found[i];
        found.extend(parents.iter().filter(|(_, pp)| *pp == parent).map(|(p, _)| *p));
        i += 1;
    }
    found
}

fn sample(root: u32, s: &mut Sampled) {
    let tick = 100.0; // USER_HZ on Linux
    let mut total = 0;
    for pid in tree(root) {
        let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) else { continue };
        let rss = status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .unwrap_or(0)
            * 1024;
        total += rss;
        s.peak_one = s.peak_one.max(rss);
        if let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) {
            let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
            let fields: Vec<&str> = after.split_whitespace().collect();
            let ticks: f64 = [11, 12].iter().filter_map(|&i| fields.get(i)?.parse::<f64>().ok()).sum();
            s.cpu.insert(pid, Duration::from_secs_f64(ticks / tick));
        }
    }
    s.peak_tree = s.peak_tree.max(total);
}

/// `clusterkpi run` on `input`, sampled; the wall time, what sampling saw, and the manifest.
fn run(exe: &Path, pipeline: &Path, input: &Path, output: &Path) -> (Duration, Sampled, serde_json::Value) {
    let start = Instant::now();
    let mut child = Command::new(exe)
        .args(["run", &pipeline.to_string_lossy(), "--input", &input.to_string_lossy(), "--output"])
        .arg(output)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("clusterkpi starts");
    let mut s = Sampled::default();
    let status = loop {
        sample(child.id(), &mut s);
        if let Some(status) = child.try_wait().expect("wait for clusterkpi") {
            break status;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let wall = start.elapsed();
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().expect("stderr"), &mut stderr).ok();
    assert!(status.code().is_some_and(|c| c <= 1), "clusterkpi run failed: {stderr}");
    let runs = output.join("_runs");
    let mut manifests: Vec<PathBuf> =
        std::fs::read_dir(&runs).expect("a run manifest").map(|e| e.expect("manifest").path()).collect();
    manifests.sort();
    let text = std::fs::read_to_string(manifests.last().expect("a run manifest")).expect("read manifest");
    (wall, s, serde_json::from_str(&text).expect("the manifest is JSON"))
}

fn mb(bytes: u64) -> String {
    format!("{:.0} MB", bytes as f64 / 1e6)
}

#[allow(clippy::print_stdout)] // a benchmark reports on stdout
fn main() {
    let mut names = Vec::new();
    let mut scale = 1.0;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--scale" => scale = args.next().and_then(|s| s.parse().ok()).expect("--scale takes a number"),
            "S" | "L" | "XS" => names.push(a),
            _ => {} // cargo's own flags (`--bench`)
        }
    }
    if names.is_empty() {
        names = ["S", "L", "XS"].map(str::to_owned).to_vec();
    }
    let exe = PathBuf::from(env!("CARGO_BIN_EXE_clusterkpi"));
    let schema = Schema::bundled().expect("the bundled schema loads");
    let clusters: Vec<(String, String)> = schema.clusters.iter().map(|c| (c.id.clone(), c.country.clone())).collect();
    let dir = tempfile::tempdir().expect("temp dir");
    let pipeline = dir.path().join("bench.toml");
    std::fs::write(&pipeline, "# every key at its default\n").expect("write pipeline");

    let mut report = String::new();
    writeln!(report, "| corpus | rows | wall | rows/s | CPU/wall | peak memory (tree / largest process) | stages |")
        .ok();
    writeln!(report, "|---|--:|--:|--:|--:|--:|---|").ok();
    for name in &names {
        let input = dir.path().join(name);
        std::fs::create_dir_all(&input).expect("corpus folder");
        let generated = Instant::now();
        let corpus = generate(name, &input, scale, &clusters);
        println!(
            "{name}: {} rows ({} planted errors) generated in {:.1?}",
            corpus.rows,
            corpus.bad,
            generated.elapsed()
        );
        let output = dir.path().join(format!("{name}-out"));
        let (wall, sampled, manifest) = run(&exe, &pipeline, &input, &output);
        let rows = &manifest["rows"];
        let count = |k: &str| rows[k].as_u64().unwrap_or(u64::MAX) as usize;
        assert_eq!(
            (count("rows_read"), count("rows_accepted"), count("rows_rejected")),
            (corpus.rows, corpus.rows - corpus.bad, corpus.bad),
            "{name}: the run's counts are not the corpus'"
        );
        let cpu: Duration = sampled.cpu.values().sum();
        let stages: Vec<String> = manifest["stage_ms"]
            .as_object()
            .map(|m| m.iter().filter(|(_, v)| v.as_u64() > Some(0)).map(|(k, v)| format!("{k} {v} ms")).collect())
            .unwrap_or_default();
        writeln!(
            report,
            "| {name} | {} | {:.2} s | {:.0} | {:.2} | {} / {} | {} |",
            corpus.rows,
            wall.as_secs_f64(),
            corpus.rows as f64 / wall.as_secs_f64(),
            cpu.as_secs_f64() / wall.as_secs_f64(),
            mb(sampled.peak_tree),
            mb(sampled.peak_one),
            stages.join(", "),
        )
        .ok();
        std::fs::remove_dir_all(&input).ok();
        std::fs::remove_dir_all(&output).ok();
    }
    println!("\n{report}");
}
