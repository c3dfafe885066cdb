//! What each fuzz target does with its input, in one place: the fuzz targets under
//! `fuzz_targets/` call these, and the test suite replays the committed corpus and every
//! crash input through the same functions (`tests/it/fuzz_replay.rs`).
//!
//! The first byte of an input picks the format; the rest is the file.

use std::sync::{Arc, OnceLock};

use clusterkpi::pipeline::check_bytes;
use clusterkpi::read::{Format, Limits, Unpack, read, read_workbook};
use clusterkpi::schema::Schema;

/// A fuzz target: what it does with one input.
pub type Target = fn(&[u8]);

/// The targets, by name (the folder names under `fuzz/corpus/` and `fuzz/regressions/`).
#[allow(dead_code)]
pub const ALL: [(&str, Target); 4] = [("sheet", sheet), ("csv", csv), ("json", json), ("check", check)];

const SHEETS: [Format; 4] = [Format::Xlsx, Format::Xlsb, Format::Xls, Format::Ods];
const EVERY: [Format; 9] = Format::ALL;

/// The input's format and file. On first use, the panic hook libfuzzer-sys installs (abort on
/// any panic) is replaced by a quiet one, as the command line's is: a reader's panic that
/// clusterkpi catches and reports is no crash, and one it does not catch still reaches
/// libfuzzer-sys, which aborts.
fn pick<'a, T: Copy>(data: &'a [u8], choices: &[T]) -> Option<(T, &'a [u8])> {
    static QUIET: OnceLock<()> = OnceLock::new();
    QUIET.get_or_init(|| std::panic::set_hook(Box::new(|_| {})));
    let (&first, rest) = data.split_first()?;
    Some((choices[usize::from(first) % choices.len()], rest))
}

/// The spreadsheet reader (calamine behind our limits), in process.
pub fn sheet(data: &[u8]) {
    let Some((format, bytes)) = pick(data, &SHEETS) else { return };
    let _ = read_workbook(bytes, format, &Arc::from("fuzz"), &Limits::default());
}

/// The CSV and TSV reader.
pub fn csv(data: &[u8]) {
    let Some((format, bytes)) = pick(data, &[Format::Csv, Format::Tsv]) else { return };
    let _ = read(bytes, format, &Arc::from("fuzz"), &Limits::default(), Unpack::All);
}

/// The JSON and JSON Lines reader.
pub fn json(data: &[u8]) {
    let Some((format, bytes)) = pick(data, &[Format::Json, Format::JsonLines]) else { return };
    let _ = read(bytes, format, &Arc::from("fuzz"), &Limits::default(), Unpack::All);
}

/// The file an input of the `check` target stands for: its format and its bytes.
#[allow(dead_code)]
pub fn check_file(data: &[u8]) -> Option<(Format, &[u8])> {
    pick(data, &EVERY)
}

/// The whole check of one file's bytes, as `validate` runs it: every row it reads is accepted
/// or rejected.
pub fn check(data: &[u8]) {
    static SCHEMA: OnceLock<Schema> = OnceLock::new();
    let schema = SCHEMA.get_or_init(|| Schema::bundled().expect("the bundled schema loads"));
    let Some((format, bytes)) = pick(data, &EVERY) else { return };
    let report = check_bytes(bytes, format, &Arc::from("fuzz"), schema);
    assert_eq!(report.rows_read, report.rows_accepted + report.rows_rejected, "read = accepted + rejected");
    assert_eq!(report.rows_accepted, report.observations.len());
    assert_eq!(report.rows_rejected, report.rejects.len());
}
