//! Limits: how much one file may ask of the machine, checked before a parser commits memory
//! and while it streams.
//!
//! Every limit is a key of the pipeline file's `[limits]` section, with a generous default that
//! admits every real submission and the benchmark corpora. A file over a limit is refused with
//! `E_FILE_LIMIT`, naming the limit, what the file asked for and the key that raises it; the run
//! goes on with the other files.

use serde::{Deserialize, Serialize};

/// The limits one file is read under.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, validator::Validate)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Size of a submission file, in MiB; at most 4 GiB (a text file's pieces index their
    /// bytes with 32 bits, [`crate::read::Packed`]).
    #[validate(range(min = 1, max = 4096))]
    pub file_mb: u64,
    /// Uncompressed size of one part of an xlsx/xlsm/xlsb/ods package, in MiB.
    #[validate(range(min = 1))]
    pub zip_entry_mb: u64,
    /// Uncompressed over compressed size of one package part (checked for parts over 1 MiB).
    #[validate(range(min = 1))]
    pub zip_ratio: u64,
    /// Parts in a package.
    #[validate(range(min = 1))]
    pub zip_entries: u64,
    /// Non-empty cells in one file; fewer than 2^32, as are its rows: a file's observations are
    /// numbered with 32 bits (`validate::series::Ids`). A text file's are fewer anyway,
    /// its size being at most 4 GiB and each of its values taking 2 bytes or more.
    #[validate(range(min = 1, max = 4_294_967_295_u64))]
    pub cells: u64,
    /// Rows holding something, in one sheet or text file.
    #[validate(range(min = 1, max = 4_294_967_295_u64))]
    pub rows: u64,
    /// Columns a sheet spans, from its first used column to its last (a text file: fields in a
    /// record).
    #[validate(range(min = 1))]
    pub columns: u64,
    /// Cells of a sheet as read: rows holding something times the columns the sheet spans.
    #[validate(range(min = 1))]
    pub grid_cells: u64,
    /// Cells of an xls sheet's rectangle, declared or used: calamine reads an xls sheet whole,
    /// at some 70 bytes a cell, from its first used cell to its last.
    #[validate(range(min = 1))]
    pub xls_cells: u64,
    /// Times an ODS row or cell that holds a value may repeat (ODS writes a run of identical
    /// rows as one row and a count).
    #[validate(range(min = 1))]
    pub repeats: u64,
    /// Bytes of one CSV field or JSON string, in KiB.
    #[validate(range(min = 1))]
    pub field_kb: u64,
    /// Nesting of JSON arrays and objects.
    #[validate(range(min = 1, max = 1000))]
    pub json_depth: u64,
    /// Address space of the process that parses one spreadsheet, in MiB.
    #[validate(range(min = 64))]
    pub worker_memory_mb: u64,
    /// Time to parse one spreadsheet, in seconds.
    #[validate(range(min = 1))]
    pub read_seconds: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            file_mb: 256,
            zip_entry_mb: 512,
            zip_ratio: 200,
            zip_entries: 10_000,
            cells: 20_000_000,
            rows: 5_000_000,
            columns: 16_384,
            grid_cells: 20_000_000,
            xls_cells: 2_000_000,
            repeats: 10_000,
            field_kb: 1024,
            json_depth: 64,
            worker_memory_mb: 448,
            read_seconds: 60,
        }
    }
}

/// A limit a file went over: which, how far, and the key that raises it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, thiserror::Error)]
#[error("the file was not read: {what}: {found} (the limit `{key}` is {allowed})")]
pub struct Exceeded {
    /// The `[limits]` key.
    pub key: String,
    /// What was over the limit, in words (`a sheet's columns`, `part xl/worksheets/sheet1.xml`).
    pub what: String,
    pub found: String,
    pub allowed: String,
}

impl Exceeded {
    #[allow(clippy::needless_pass_by_value)] // numbers and texts alike, rendered once
    pub fn new(key: &str, what: impl Into<String>, found: impl ToString, allowed: impl ToString) -> Self {
        Exceeded { key: key.to_owned(), what: what.into(), found: found.to_string(), allowed: allowed.to_string() }
    }

    /// The hint of the finding: how to raise the limit, and when not to.
    pub fn hint(&self) -> String {
        format!(
            "if the file is a genuine submission, raise `{}` in the pipeline file's `[limits]` section; otherwise ask the sender for the file as a spreadsheet program saves it",
            self.key
        )
    }
}

impl Limits {
    pub fn file_bytes(&self) -> u64 {
        self.file_mb.saturating_mul(1 << 20)
    }

    pub fn field_bytes(&self) -> usize {
        usize::try_from(self.field_kb.saturating_mul(1 << 10)).unwrap_or(usize::MAX)
    }

    /// `found` against the limit `key` = `allowed`.
    pub fn check(key: &str, what: &str, found: u64, allowed: u64) -> Result<(), Exceeded> {
        if found > allowed { Err(Exceeded::new(key, what, found, allowed)) } else { Ok(()) }
    }

    /// The file's size, before anything reads it.
    pub fn check_file_size(&self, bytes: u64) -> Result<(), Exceeded> {
        if bytes > self.file_bytes() {
            return Err(Exceeded::new("file_mb", "the file's size", mib(bytes), format!("{} MiB", self.file_mb)));
        }
        Ok(())
    }
}

/// Bytes as MiB, for messages.
pub fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / f64::from(1u32 << 20))
}

#[cfg(test)]
mod tests {
    use validator::Validate;

    use super::Limits;

    /// A file's observations are numbered with 32 bits: a pipeline file allowing a file more
    /// cells or rows than that is refused.
    #[test]
    fn cells_and_rows_stay_below_two_to_the_32() {
        let most = u64::from(u32::MAX);
        assert!(Limits { cells: most, rows: most, ..Limits::default() }.validate().is_ok());
        assert!(Limits { cells: most + 1, ..Limits::default() }.validate().is_err());
        assert!(Limits { rows: most + 1, ..Limits::default() }.validate().is_err());
    }
}
