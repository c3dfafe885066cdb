//! Read: turn one file into cells that remember where they came from.
//!
//! One module per input format. Every reader takes the file's bytes and returns either a list of
//! [`Grid`]s (spreadsheets: one per readable sheet; CSV: one) or a parsed JSON document. Nothing
//! here knows the canonical columns: finding the table and its header is the map stage's job.
//! A file that cannot be read at all is a [`ReadError`]; sheets passed over are findings.
//!
//! Spreadsheets are parsed by a library we do not control, so when the command line has
//! started a [`worker`] pool they are parsed in a child process under memory and time limits:
//! whatever the parser does there, only that file is lost. Every reader checks the file against
//! the [`Limits`] before committing memory to it.

mod cell;
mod csv;
mod json;
pub(crate) mod lines;
mod package;
mod packed;
pub mod sheet;
pub mod streamed;
pub mod worker;
mod xls;

pub use crate::limits::{Exceeded, Limits};
pub use cell::{Cell, format_grouped, format_number};
pub use packed::Packed;

use std::path::Path;
use std::sync::Arc;

use crate::diag::{Code, Finding, Place, Relative};

/// The submission formats clusterkpi reads, by file extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Xlsx,
    Xlsm,
    Xlsb,
    Xls,
    Ods,
    Csv,
    Tsv,
    Json,
    JsonLines,
}

impl Format {
    /// Every format.
    pub const ALL: [Format; 9] = [
        Format::Xlsx,
        Format::Xlsm,
        Format::Xlsb,
        Format::Xls,
        Format::Ods,
        Format::Csv,
        Format::Tsv,
        Format::Json,
        Format::JsonLines,
    ];

    /// The file extensions read, each with its format: the one list of what a submission may be.
    pub const EXTENSIONS: [(&'static str, Format); 11] = [
        ("xlsx", Format::Xlsx),
        ("xlsm", Format::Xlsm),
        ("xlsb", Format::Xlsb),
        ("xls", Format::Xls),
        ("ods", Format::Ods),
        ("csv", Format::Csv),
        ("tsv", Format::Tsv),
        ("tab", Format::Tsv),
        ("json", Format::Json),
        ("jsonl", Format::JsonLines),
        ("ndjson", Format::JsonLines),
    ];

    /// The format a path's extension names, ignoring case.
    pub fn from_path(path: &Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        Format::EXTENSIONS.iter().find(|(e, _)| *e == ext).map(|(_, f)| *f)
    }

    /// The extensions read, for people: `xlsx, xlsm, … or ndjson`.
    pub fn extensions_listed() -> String {
        let all: Vec<&str> = Format::EXTENSIONS.iter().map(|(e, _)| *e).collect();
        match all.split_last() {
            Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
            None => String::new(),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Format::Xlsx => "xlsx",
            Format::Xlsm => "xlsm",
            Format::Xlsb => "xlsb",
            Format::Xls => "xls",
            Format::Ods => "ods",
            Format::Csv => "csv",
            Format::Tsv => "tsv",
            Format::Json => "json",
            Format::JsonLines => "jsonl",
        }
    }

    pub fn is_spreadsheet(self) -> bool {
        matches!(self, Format::Xlsx | Format::Xlsm | Format::Xlsb | Format::Xls | Format::Ods)
    }
}

/// Where the rows of a grid sit: a sheet of a workbook, or the lines of a text file.
#[derive(Clone, Debug, PartialEq)]
pub enum GridKind {
    Sheet(Arc<str>),
    Lines,
}

/// A rectangle of cells. Blank rows are dropped; every kept row knows its position.
#[derive(Clone, Debug, PartialEq)]
pub struct Grid {
    pub kind: GridKind,
    /// Absolute 0-based column of `cells[0]` (a calamine range need not start at column A).
    pub first_col: u32,
    pub rows: Vec<GridRow>,
    /// The rows after `rows`, still packed, a piece at a time (a long text file read with
    /// [`Unpack::Head`]); empty once the grid is unpacked.
    pub rest: Vec<Packed>,
}

/// How many of a text file's rows [`read`] unpacks into grid rows. The others wait packed in
/// [`Grid::rest`], for the map to unpack a piece at a time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unpack {
    /// Every row: the grid as the file holds it.
    All,
    /// The first pieces, holding at least this many rows (or all there are).
    Head(usize),
}

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct GridRow {
    /// Sheets: the absolute 0-based row. Text files: the 1-based physical line the record starts on.
    pub at: u64,
    pub cells: Vec<Cell>,
}

impl Grid {
    /// A grid of these rows, none of them packed.
    pub fn of(kind: GridKind, first_col: u32, rows: Vec<GridRow>) -> Grid {
        Grid { kind, first_col, rows, rest: Vec::new() }
    }

    /// Unpack the packed rows `unpack` asks for (at least the first `n`, or all) into `rows`.
    pub fn unpack_head(&mut self, unpack: Unpack) {
        let wanted = match unpack {
            Unpack::All => usize::MAX,
            Unpack::Head(n) => n,
        };
        let mut pieces = 0;
        let mut rows = self.rows.len();
        while rows < wanted && pieces < self.rest.len() {
            rows += self.rest[pieces].len();
            pieces += 1;
        }
        for piece in self.rest.drain(..pieces) {
            self.rows.extend(piece.unpack());
        }
    }

    /// Unpack every packed row into `rows`.
    pub fn unpack(&mut self) {
        self.unpack_head(Unpack::All);
    }

    /// Every row's cell `col` from row `from` down, packed rows included, in order: `None` for a
    /// row with no such cell.
    pub fn column(&self, col: usize, from: usize) -> impl Iterator<Item = Option<std::borrow::Cow<'_, Cell>>> {
        let unpacked = self.rows.get(from..).unwrap_or_default().iter();
        let unpacked = unpacked.map(move |r| r.cells.get(col).map(std::borrow::Cow::Borrowed));
        let packed = self.rest.iter().flat_map(move |p| (0..p.len()).map(move |i| p.cell(i, col)));
        unpacked.chain(packed.skip(from.saturating_sub(self.rows.len())))
    }

    /// The place of cell `col` (an index into `row.cells`).
    pub fn cell_place(&self, row: &GridRow, col: usize) -> Place {
        match &self.kind {
            GridKind::Sheet(sheet) => {
                Place::Cell { sheet: sheet.clone(), row: row.at as u32, col: self.first_col + col as u32 }
            }
            GridKind::Lines => Place::Line { line: row.at, field: None },
        }
    }

    /// The place of cell `col` of a row, given by the row's own ([`Grid::row_place`]): what
    /// [`Grid::cell_place`] says, without building it (a row's every cell asks).
    pub fn cell_in_row(&self, col: usize) -> Relative {
        match &self.kind {
            GridKind::Sheet(_) => Relative::Column(self.first_col + col as u32),
            GridKind::Lines => Relative::Row,
        }
    }

    /// The exact place of cell `col`, naming the field of a text line too: for wide tables,
    /// whose columns are not canonical ones a finding could name instead.
    pub fn exact_place(&self, row: &GridRow, col: usize) -> Place {
        match &self.kind {
            GridKind::Lines => Place::Line { line: row.at, field: Some(col as u32 + 1) },
            GridKind::Sheet(_) => self.cell_place(row, col),
        }
    }

    /// The place of a whole row.
    pub fn row_place(&self, row: &GridRow) -> Place {
        match &self.kind {
            GridKind::Sheet(sheet) => Place::Row { sheet: sheet.clone(), row: row.at as u32 },
            GridKind::Lines => Place::Line { line: row.at, field: None },
        }
    }

    /// The place of the grid as a whole.
    pub fn place(&self) -> Place {
        match &self.kind {
            GridKind::Sheet(sheet) => Place::Sheet { sheet: sheet.clone() },
            GridKind::Lines => Place::File,
        }
    }
}

/// One line of a JSON Lines file: its 1-based line number and its parsed value.
#[derive(Clone, Debug, PartialEq)]
pub struct JsonLine {
    pub line: u64,
    pub value: Result<serde_json::Value, String>,
}

/// One sheet of a workbook (or the one table of a text file), in file order: read into a grid,
/// or passed over with the finding that says why (hidden, not a worksheet).
#[derive(Clone, Debug, PartialEq)]
pub enum Sheet {
    Grid(Grid),
    /// A finding about the file or a sheet that was passed over, in file order.
    Note(Finding),
}

/// What a reader found in a file.
#[derive(Clone, Debug, PartialEq)]
pub enum Content {
    Sheets(Vec<Sheet>),
    Json(serde_json::Value),
    JsonLines(Vec<JsonLine>),
}

/// Why a file could not be read at all.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("cannot read the file")]
    Io(#[source] std::io::Error),
    #[error("cannot read the file: it is {0}, not a regular file")]
    NotRegular(&'static str),
    #[error("the file is empty")]
    Empty,
    #[error("the file looks binary (it holds NUL bytes), not {expected} text")]
    Binary { expected: &'static str },
    #[error("the file is not valid UTF-8: invalid byte at line {line}")]
    Encoding { line: u64 },
    #[error("the file cannot be opened as {format}")]
    Workbook {
        format: &'static str,
        #[source]
        source: calamine::Error,
    },
    #[error("the {format} reader failed on this file ({message})")]
    ReaderPanic { format: &'static str, message: String },
    #[error(transparent)]
    Limit(#[from] Exceeded),
    /// An error already described where it happened (in a worker process).
    #[error("{message}")]
    Reported { code: Code, message: String, hint: String },
    #[error("the CSV is malformed")]
    Csv(#[source] ::csv::Error),
    #[error("the JSON is malformed at line {line}, column {column}")]
    Json {
        line: usize,
        column: usize,
        #[source]
        source: serde_json::Error,
    },
}

/// A file's bytes, never more than the `file_mb` limit: a FIFO or a device is refused before it
/// is opened (opening a FIFO waits for a writer), and a file that grows past the limit while it
/// is read is refused when it does.
pub fn read_file(path: &Path, limits: &Limits) -> Result<Vec<u8>, ReadError> {
    use std::io::Read;
    use std::os::unix::fs::FileTypeExt;
    let meta = fs_err::metadata(path).map_err(ReadError::Io)?;
    let kind = meta.file_type();
    if !kind.is_file() {
        let what = if kind.is_fifo() {
            "a FIFO"
        } else if kind.is_char_device() || kind.is_block_device() {
            "a device"
        } else if kind.is_socket() {
            "a socket"
        } else {
            "a folder"
        };
        return Err(ReadError::NotRegular(what));
    }
    limits.check_file_size(meta.len())?;
    let file = fs_err::File::open(path).map_err(ReadError::Io)?;
    let len = usize::try_from(meta.len()).unwrap_or(0);
    if len >= HALVES_FROM
        && let Some(bytes) = in_halves(file.file(), len)
    {
        return Ok(bytes);
    }
    let mut bytes = Vec::with_capacity(len);
    file.take(limits.file_bytes().saturating_add(1)).read_to_end(&mut bytes).map_err(ReadError::Io)?;
    limits.check_file_size(bytes.len() as u64)?;
    Ok(bytes)
}

/// A file at least this large is read in two halves at once ([`in_halves`]).
const HALVES_FROM: usize = 16 << 20;

/// The `len` bytes of a large file, read in two halves on two cores: copying a file into
/// memory the process has not touched yet is mostly the kernel's faulting in of its pages, one
/// at a time, which two cores do in half the time. `None` when the file is not `len` bytes
/// long as it is read (it is changing): it is then read from start to end, as any other.
fn in_halves(file: &std::fs::File, len: usize) -> Option<Vec<u8>> {
    use std::os::unix::fs::FileExt;
    let mut bytes = vec![0u8; len];
    let (first, second) = bytes.split_at_mut(len / 2);
    let (a, b) = rayon::join(|| file.read_exact_at(first, 0), || file.read_exact_at(second, (len / 2) as u64));
    let mut past = [0u8; 1];
    let ended = matches!(file.read_at(&mut past, len as u64), Ok(0));
    (a.is_ok() && b.is_ok() && ended).then_some(bytes)
}

impl ReadError {
    /// The code, message and hint of the finding this error is reported with.
    pub fn describe(&self) -> (Code, String, String) {
        let message = match (self, std::error::Error::source(self)) {
            // serde_json's message ends with its own position, counted by `\n` alone: the
            // error's line and column are the editor's (`lines::position`).
            (ReadError::Json { source, .. }, _) => format!("{self}: {}", json::without_position(source)),
            (_, Some(cause)) => format!("{self}: {cause}"),
            (_, None) => self.to_string(),
        };
        let (code, hint) = match self {
            ReadError::Limit(e) => (Code::FileLimit, e.hint()),
            ReadError::Reported { code, hint, .. } => (*code, hint.clone()),
            other => {
                let (code, hint) = other.code_and_hint();
                (code, hint.to_owned())
            }
        };
        (code, message, hint)
    }

    fn code_and_hint(&self) -> (Code, &'static str) {
        match self {
            ReadError::Io(_) | ReadError::NotRegular(_) => {
                (Code::FileUnreadable, "check that the file exists, is readable, and is a plain file")
            }
            ReadError::Empty => (Code::FileEmpty, "the file has no content: export the submission again"),
            ReadError::Binary { .. } | ReadError::Encoding { .. } => (
                Code::FileEncoding,
                "save the file as CSV UTF-8 (in Excel: File > Save As > \"CSV UTF-8\"), or submit the spreadsheet itself",
            ),
            ReadError::Workbook { .. } | ReadError::ReaderPanic { .. } | ReadError::Reported { .. } => {
                (Code::FileUnreadable, UNREADABLE_WORKBOOK)
            }
            ReadError::Limit(_) => (Code::FileLimit, ""),
            ReadError::Csv(_) => {
                (Code::FileUnreadable, "check the file's quoting: every opening `\"` needs a closing `\"`")
            }
            ReadError::Json { .. } => {
                (Code::FileUnreadable, "check the JSON syntax at that position (a validator such as `jq .` shows it)")
            }
        }
    }
}

/// The hint of a workbook the spreadsheet reader could not read.
pub const UNREADABLE_WORKBOOK: &str = "the file may be truncated, password-protected or another format under this name: open it in a spreadsheet program and save it again";

/// Read a file's bytes as `format` under `limits`; `file` is the name findings are reported
/// under. Spreadsheets go to the worker pool when one was started.
/// A text file's rows are unpacked into grid rows as `unpack` says.
pub fn read(
    bytes: &[u8],
    format: Format,
    file: &Arc<str>,
    limits: &Limits,
    unpack: Unpack,
) -> Result<Content, ReadError> {
    if bytes.is_empty() {
        return Err(ReadError::Empty);
    }
    limits.check_file_size(bytes.len() as u64)?;
    match format {
        Format::Xlsx | Format::Xlsm | Format::Xlsb | Format::Xls | Format::Ods => match worker::pool() {
            Some(pool) => pool.read(bytes, format, file, limits),
            None => read_workbook(bytes, format, file, limits),
        },
        Format::Csv => csv::read(bytes, None, file, limits, unpack),
        Format::Tsv => csv::read(bytes, Some(b'\t'), file, limits, unpack),
        Format::Json => json::read_document(bytes, limits),
        Format::JsonLines => json::read_lines(bytes, limits),
    }
}

/// A CSV file read as [`read`] reads it, cut in pieces of about `piece_bytes` (not 1 MiB), so
/// that a test's small text has packed pieces.
#[cfg(test)]
pub(crate) fn read_csv_in_pieces(
    bytes: &[u8],
    file: &Arc<str>,
    piece_bytes: usize,
    unpack: Unpack,
) -> Result<Content, ReadError> {
    csv::read_in_pieces(bytes, None, file, &Limits::default(), piece_bytes, unpack)
}

/// Read a workbook in this process (a worker does this for its parent).
pub fn read_workbook(bytes: &[u8], format: Format, file: &Arc<str>, limits: &Limits) -> Result<Content, ReadError> {
    let mut assembler = sheet::Assembler::new(file, limits);
    contain_panic(format, || sheet::stream(bytes, format, limits, &mut |event| assembler.push(event)))?;
    Ok(assembler.finish())
}

/// Run a spreadsheet reader, turning its panic into a [`ReadError`]: calamine asserts on some
/// damaged files instead of returning an error, and a damaged file is only an unreadable file.
pub fn contain_panic<T>(format: Format, read: impl FnOnce() -> Result<T, ReadError>) -> Result<T, ReadError> {
    EXPECTED_PANIC.set(true);
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(read));
    EXPECTED_PANIC.set(false);
    result.unwrap_or_else(|panic| {
        let message = panic
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "panic".to_owned());
        Err(ReadError::ReaderPanic { format: format.as_str(), message })
    })
}

thread_local! {
    static EXPECTED_PANIC: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// True while a reader that may panic on a damaged file runs on this thread: such a panic is
/// caught and reported as an unreadable file, so a panic hook need not shout about it.
pub fn panic_is_expected() -> bool {
    EXPECTED_PANIC.get()
}

/// The text of a CSV file and the encoding it was decoded from, when not UTF-8: a byte-order
/// mark names UTF-8 or UTF-16; text that is not valid UTF-8 is Windows-1252 (which includes
/// Latin-1's printable characters), the encoding spreadsheet programs save "CSV" in.
fn decode_text<'a>(bytes: &'a [u8]) -> Result<(std::borrow::Cow<'a, str>, Option<&'static str>), ReadError> {
    let (text, encoding) = if let Some((enc, bom)) = encoding_rs::Encoding::for_bom(bytes)
        && enc != encoding_rs::UTF_8
    {
        let (text, _) = enc.decode_without_bom_handling(&bytes[bom..]);
        (text, Some(enc.name()))
    } else {
        let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        if body.iter().take(8192).any(|&b| b == 0) {
            return Err(ReadError::Binary { expected: "CSV" });
        }
        match std::str::from_utf8(body) {
            Ok(t) => (std::borrow::Cow::Borrowed(t), None),
            Err(_) => {
                let (text, _) = encoding_rs::WINDOWS_1252.decode_without_bom_handling(body);
                (text, Some(encoding_rs::WINDOWS_1252.name()))
            }
        }
    };
    if text.trim().is_empty() {
        return Err(ReadError::Empty);
    }
    Ok((text, encoding))
}

/// The text of a JSON file: UTF-8, with or without a byte-order mark; never binary.
fn utf8_text<'a>(bytes: &'a [u8], expected: &'static str) -> Result<&'a str, ReadError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if bytes.iter().take(8192).any(|&b| b == 0) {
        return Err(ReadError::Binary { expected });
    }
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let line = lines::line_at(bytes, e.valid_up_to());
        ReadError::Encoding { line }
    })?;
    if text.trim().is_empty() {
        return Err(ReadError::Empty);
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cell_given_by_its_row_is_the_cell() {
        let row = GridRow { at: 7, cells: Vec::new() };
        for kind in [GridKind::Sheet(Arc::from("KPIs")), GridKind::Lines] {
            let grid = Grid::of(kind, 2, Vec::new());
            for col in [0, 3] {
                let by_row = grid.cell_in_row(col).place(&grid.row_place(&row));
                assert_eq!(by_row, grid.cell_place(&row, col));
                assert_eq!(Relative::of(&grid.row_place(&row), grid.cell_place(&row, col)), grid.cell_in_row(col));
            }
        }
    }

    /// A large file read in halves is its bytes, each in its place (every 4 bytes their
    /// offset), odd length and all; a file not as long as it was said to be is not read so.
    #[test]
    fn a_large_file_read_in_halves_is_its_bytes() {
        let len = HALVES_FROM + 7;
        let bytes: Vec<u8> = (0..len).map(|i| ((i / 4) as u32).to_le_bytes()[i % 4]).collect();
        let mut file = tempfile::NamedTempFile::new().unwrap();
        std::io::Write::write_all(&mut file, &bytes).unwrap();
        let read = read_file(file.path(), &Limits::default()).unwrap();
        assert_eq!(read.len(), len);
        assert!(read == bytes, "the bytes read are the file's");
        assert!(in_halves(file.as_file(), len).is_some_and(|b| b == bytes));
        assert!(in_halves(file.as_file(), len - 1).is_none(), "the file is longer than said");
        assert!(in_halves(file.as_file(), len + 1).is_none(), "the file is shorter than said");
    }
}
