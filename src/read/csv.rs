//! CSV and TSV through the csv crate.
//!
//! UTF-8 with or without a byte-order mark. The delimiter (`,`, `;` or tab) is detected from the
//! first records: the one that splits them into the same number of fields, most often, wins.
//! Each kept row records the physical line its record starts on, so a quoted cell that spans
//! lines does not shift the line numbers of the rows after it.
//!
//! A large file is parsed in pieces on every core: the pass that checks it against the limits
//! follows the csv crate's quoting, so it knows where records start and cuts there; the pieces'
//! rows, put end to end, are the rows of the file read whole (a property test says so).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use super::{Content, Exceeded, Grid, GridKind, Limits, Packed, ReadError, Sheet, Unpack, decode_text};
use crate::diag::{Code, Finding, Loc};

const CANDIDATES: [u8; 3] = [b',', b';', b'\t'];
/// How many records the delimiter is judged on.
const SNIFF_RECORDS: usize = 25;

pub(super) fn read(
    bytes: &[u8],
    delimiter: Option<u8>,
    file: &Arc<str>,
    limits: &Limits,
    unpack: Unpack,
) -> Result<Content, ReadError> {
    read_in_pieces(bytes, delimiter, file, limits, PIECE_BYTES, unpack)
}

/// [`read`], parsing pieces of about `piece_bytes` apart.
pub(super) fn read_in_pieces(
    bytes: &[u8],
    delimiter: Option<u8>,
    file: &Arc<str>,
    limits: &Limits,
    piece_bytes: usize,
    unpack: Unpack,
) -> Result<Content, ReadError> {
    let (text, encoding) = decode_text(bytes)?;
    let text = text.as_ref();
    let delimiter = delimiter.unwrap_or_else(|| sniff_delimiter(text));
    let pieces = prescan(text.as_bytes(), delimiter, limits, piece_bytes)?;
    // Each piece starts a record, so the pieces parse apart, on every core, to the same rows.
    let counts = Counts::default();
    let parse = |(start, end, line): (usize, usize, u64)| records(&text[start..end], line, delimiter, limits, &counts);
    let parsed: Vec<Result<Packed, ReadError>> = if pieces.len() == 1 {
        pieces.into_iter().map(parse).collect()
    } else {
        use rayon::prelude::*;
        pieces.into_par_iter().map(parse).collect()
    };
    let mut grid = Grid::of(GridKind::Lines, 0, Vec::new());
    for piece in parsed {
        grid.rest.push(piece?);
    }
    grid.unpack_head(unpack);
    let mut sheets = Vec::with_capacity(2);
    if let Some(encoding) = encoding {
        sheets.push(Sheet::Note(Finding::new(
            Code::Encoding,
            Loc::file(file),
            format!("the file is not UTF-8; it was read as {encoding}"),
            "nothing to do if the names read right; to be sure, save the file as CSV UTF-8",
        )));
    }
    sheets.push(Sheet::Grid(grid));
    Ok(Content::Sheets(sheets))
}

/// What the pieces of one file have read so far, against the limits: the file's non-empty
/// fields, its records and its widest record.
#[derive(Default)]
struct Counts {
    cells: AtomicU64,
    rows: AtomicU64,
    width: AtomicU64,
}

/// Records counted by a piece before they are added to the file's [`Counts`].
const COUNT_EVERY: u64 = 1024;

impl Counts {
    /// Add a piece's records since its last call, and check the file's totals.
    fn add(&self, rows: u64, cells: u64, width: u64, limits: &Limits) -> Result<(), Exceeded> {
        let cells = self.cells.fetch_add(cells, Ordering::Relaxed) + cells;
        let rows = self.rows.fetch_add(rows, Ordering::Relaxed) + rows;
        let width = self.width.fetch_max(width, Ordering::Relaxed).max(width);
        Limits::check("cells", "the file's non-empty fields", cells, limits.cells)?;
        Limits::check("rows", "the file's records", rows, limits.rows)?;
        Limits::check("grid_cells", "the table's grid (records × fields)", rows * width, limits.grid_cells)
    }
}

/// The non-blank records of `text`, a piece of a file whose first line is `line`.
fn records(text: &str, line: u64, delimiter: u8, limits: &Limits, counts: &Counts) -> Result<Packed, ReadError> {
    let mut reader = reader(text, delimiter);
    // The piece's text bounds its fields': the rows' text is never grown by copying.
    let mut rows = Packed::with_capacity(text.len());
    let mut record = csv::StringRecord::new();
    let mut lines = LineCounter::new(text, line);
    let (mut rows_read, mut cells_read, mut width) = (0u64, 0u64, 0u64);
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => return Err(ReadError::Csv(e)),
        }
        let line = lines.line_of_record(record.position().map_or(0, |p| p.byte() as usize));
        if record.iter().all(crate::trim::is_blank) {
            continue;
        }
        rows_read += 1;
        width = width.max(record.len() as u64);
        cells_read += record.iter().filter(|f| !f.is_empty()).count() as u64;
        if rows_read == COUNT_EVERY {
            counts.add(rows_read, cells_read, width, limits)?;
            (rows_read, cells_read) = (0, 0);
        }
        rows.push(line, &record)?;
    }
    counts.add(rows_read, cells_read, width, limits)?;
    Ok(rows)
}

/// Physical line numbers of records. The csv crate's own line count misses skipped blank lines
/// and lines ended by a lone `\r`, and its byte offset points before blank lines, so both are
/// corrected here: the record starts at the first byte after the offset that is not a line
/// break, and the lines before it are counted by [`super::lines`].
struct LineCounter<'a> {
    text: &'a [u8],
    pos: usize,
    line: u64,
}

impl<'a> LineCounter<'a> {
    /// Lines of `text`, whose first line is `line`.
    fn new(text: &'a str, line: u64) -> Self {
        LineCounter { text: text.as_bytes(), pos: 0, line }
    }

    /// The 1-based line of the record whose reported start is `offset` (offsets only grow).
    fn line_of_record(&mut self, offset: usize) -> u64 {
        let mut start = offset.min(self.text.len());
        while matches!(self.text.get(start), Some(b'\r' | b'\n')) {
            start += 1;
        }
        self.line += super::lines::ended(self.text, self.pos.min(start), start);
        self.pos = self.pos.max(start);
        self.line
    }
}

fn reader(text: &str, delimiter: u8) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new().has_headers(false).flexible(true).delimiter(delimiter).from_reader(text.as_bytes())
}

/// A file is cut into pieces of about this many bytes, parsed apart. A long table's rows are
/// mapped a packed piece per core at a time: the size bounds what is held of them unpacked.
const PIECE_BYTES: usize = 1 << 20;

/// Where the csv crate's parser stands after a byte: the states of `csv_core` with the default
/// quoting (a `"` opens a quoted field only at the start of a field; `""` inside one is a quote).
#[derive(Clone, Copy, PartialEq)]
enum State {
    /// At the start of a field, or of a record after a line break.
    Start,
    /// In a field that did not open with a quote: quotes in it are literal.
    Unquoted,
    Quoted,
    /// Just after a quote in a quoted field: its end, or the first half of `""`.
    QuoteInQuoted,
}

/// Field sizes and record widths against the limits, in one pass over the bytes that allocates
/// nothing, before the csv crate buffers a 64 MB field or a record of 200,000 fields. It follows
/// the csv crate's parsing, so it also finds where records start: the file is returned as
/// pieces of about `piece_bytes` that each start a record, as (start, end, first line).
fn prescan(
    bytes: &[u8],
    delimiter: u8,
    limits: &Limits,
    piece_bytes: usize,
) -> Result<Vec<(usize, usize, u64)>, Exceeded> {
    let (most, widest) = (limits.field_bytes(), limits.columns);
    let (mut state, mut len, mut fields, mut line) = (State::Start, 0usize, 1u64, 1u64);
    let mut pieces = Vec::new();
    let mut piece = (0usize, 1u64);
    let field_too_long = |line: u64| {
        let kb = limits.field_kb;
        Exceeded::new("field_kb", format!("a field (line {line})"), format!("more than {kb} KiB"), format!("{kb} KiB"))
    };
    let mut i = 0;
    while i < bytes.len() {
        // Inside a field, the bytes that change nothing are skipped in one step: all but the
        // delimiter and line breaks in an unquoted field, all but quotes and line breaks in a
        // quoted one (a line break counts a line). Each adds to the field's length.
        let plain = match state {
            State::Unquoted => memchr::memchr3(delimiter, b'\n', b'\r', &bytes[i..]),
            State::Quoted => memchr::memchr3(b'"', b'\n', b'\r', &bytes[i..]),
            State::Start | State::QuoteInQuoted => Some(0),
        }
        .unwrap_or(bytes.len() - i);
        len += plain;
        i += plain;
        if len > most {
            return Err(field_too_long(line));
        }
        let Some(&b) = bytes.get(i) else { break };
        let ends_record = matches!(b, b'\n' | b'\r');
        let ends_line = super::lines::ends_line(bytes, i);
        (state, len) = match (state, b) {
            (State::Quoted, b'"') => (State::QuoteInQuoted, len),
            (State::Quoted, _) => (State::Quoted, len + 1),
            (State::QuoteInQuoted, b'"') => (State::Quoted, len + 1),
            (State::Start, b'"') => (State::Quoted, len),
            (_, b) if b == delimiter => {
                fields += 1;
                if fields > widest {
                    let what = format!("the fields of the record at line {line}");
                    return Err(Exceeded::new("columns", what, format!("more than {widest}"), widest));
                }
                (State::Start, 0)
            }
            _ if ends_record => {
                fields = 1;
                // A record starts after the line break: a place to cut, once a piece is long.
                if ends_line && i + 1 - piece.0 >= piece_bytes {
                    pieces.push((piece.0, i + 1, piece.1));
                    piece = (i + 1, line + 1);
                }
                (State::Start, 0)
            }
            _ => (State::Unquoted, len + 1),
        };
        line += u64::from(ends_line);
        if len > most {
            return Err(field_too_long(line));
        }
        i += 1;
    }
    pieces.push((piece.0, bytes.len(), piece.1));
    Ok(pieces)
}

/// How much of a file the delimiter is judged on, at most.
const SNIFF_BYTES: usize = 1 << 16;

/// The candidate delimiter whose most common field count (above one) is the most common,
/// judged on the first records (and at most the first 64 KiB).
pub(crate) fn sniff_delimiter(text: &str) -> u8 {
    let mut end = text.len().min(SNIFF_BYTES);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let text = &text[..end];
    // A delimiter the text does not hold splits no record: each is one field, and no delimiter
    // wins with that. Its parser is not made (making one builds its state machine, more work
    // than reading the sample).
    sniff_among(text, CANDIDATES.into_iter().filter(|&d| memchr::memchr(d, text.as_bytes()).is_some()))
}

/// The delimiter among `candidates` (in order) that [`sniff_delimiter`] judges best on `text`.
fn sniff_among(text: &str, candidates: impl Iterator<Item = u8>) -> u8 {
    let mut best = (0usize, 0usize, b',');
    for delimiter in candidates {
        let mut counts: Vec<usize> = reader(text, delimiter)
            .records()
            .take(SNIFF_RECORDS)
            .filter_map(Result::ok)
            .filter(|r| r.iter().any(|f| !crate::trim::is_blank(f)))
            .map(|r| r.len())
            .collect();
        counts.sort_unstable();
        let (mode, freq) = mode(&counts);
        if mode > 1 && (freq, mode) > (best.0, best.1) {
            best = (freq, mode, delimiter);
        }
    }
    best.2
}

fn mode(sorted: &[usize]) -> (usize, usize) {
    let mut best = (0, 0);
    for run in sorted.chunk_by(|a, b| a == b) {
        if run.len() > best.1 || (run.len() == best.1 && run[0] > best.0) {
            best = (run[0], run.len());
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::read::Cell;

    #[test]
    fn sniffs_the_delimiter_that_splits_consistently() {
        assert_eq!(sniff_delimiter("a,b,c\n1,2,3\n"), b',');
        assert_eq!(sniff_delimiter("a;b;c\n1,5;2;3\n4;5,25;6\n"), b';');
        assert_eq!(sniff_delimiter("a\tb\tc\n1\t2\t3\n"), b'\t');
        // Quoted commas inside a semicolon file do not fool it.
        assert_eq!(sniff_delimiter("name;value\n\"Humber, UK\";1\n\"A, B, C\";2\n"), b';');
        // A one-column file falls back to a comma.
        assert_eq!(sniff_delimiter("value\n1\n2\n"), b',');
    }

    fn grid(content: Content) -> Grid {
        match content {
            Content::Sheets(mut sheets) => match sheets.remove(0) {
                Sheet::Grid(g) => g,
                Sheet::Note(f) => panic!("{f:?}"),
            },
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn rows_keep_their_physical_line_across_multiline_cells() {
        let lines = |text: &[u8]| {
            grid(read(text, None, &Arc::from("t.csv"), &Limits::default(), Unpack::All).unwrap())
                .rows
                .iter()
                .map(|r| r.at)
                .collect::<Vec<u64>>()
        };
        assert_eq!(lines(b"a,b\n\"multi\nline\",1\n\nx,2\n"), vec![1, 2, 5]);
        assert_eq!(lines(b"a,b\n\nx,2\n\n\ny,3\n"), vec![1, 3, 6]);
        assert_eq!(lines(b"a,b\r\n\r\nx,2\r\n\"q\r\nq\",3\r\nz,4"), vec![1, 3, 4, 6]);
        assert_eq!(lines(b"a,b\n,\n,,\nx,1\n"), vec![1, 4], "rows of empty fields are blank");
        assert_eq!(
            grid(read(b"\xEF\xBB\xBFa,b\n1,2\n", None, &Arc::from("t.csv"), &Limits::default(), Unpack::All).unwrap())
                .rows[0]
                .cells[0],
            Cell::Text("a".into()),
            "BOM stripped"
        );
    }

    proptest::proptest! {
        /// Sniffing only the candidates the text holds picks what trying every one picks.
        #[test]
        fn a_delimiter_absent_from_the_text_never_wins(
            parts in proptest::collection::vec(
                proptest::sample::select(vec!["a", " ", ",", ";", "\t", "\"", "\n", "\r\n", "1,5", "x;y", "\"q,q\""]),
                0..80,
            ),
        ) {
            let text: String = parts.concat();
            proptest::prop_assert_eq!(sniff_delimiter(&text), sniff_among(&text, CANDIDATES.into_iter()));
        }
    }

    proptest::proptest! {
        /// Cut anywhere the parser stands at a record's start, pieces parse to the rows of the
        /// whole file: quotes that open a field, quotes inside unquoted fields, doubled quotes,
        /// line breaks inside quoted fields, blank lines and CRLF.
        #[test]
        fn pieces_parse_to_the_same_rows_as_the_whole(
            parts in proptest::collection::vec(
                proptest::sample::select(vec!["a", "1,5", ",", ";", "\"", "\"\"", "\n", "\r\n", "\r", "\n\n", " ", "x\"y", "\"q\nq\"", "\"q\rq\""]),
                0..60,
            ),
            piece in 1usize..12,
        ) {
            let text = format!("k,v\n{}", parts.concat());
            let file: Arc<str> = Arc::from("t.csv");
            let rows = |piece_bytes, unpack| match read_in_pieces(text.as_bytes(), Some(b','), &file, &Limits::default(), piece_bytes, unpack) {
                Ok(content) => {
                    let mut grid = grid(content);
                    grid.unpack();
                    Ok(grid.rows)
                }
                Err(e) => Err(e.to_string()),
            };
            let whole = rows(usize::MAX, Unpack::All);
            proptest::prop_assert_eq!(&rows(piece, Unpack::All), &whole);
            // Left packed, then unpacked: the same rows.
            proptest::prop_assert_eq!(&rows(piece, Unpack::Head(0)), &whole);
        }
    }

    proptest::proptest! {
        /// Each row keeps the physical line it is on, whatever ends the lines (`\n`, `\r\n`,
        /// a lone `\r` as in Excel's "CSV (Macintosh)", or a mix), blank lines between, read
        /// whole or in pieces: line `k` of the text is the row's line `k`, by construction.
        #[test]
        fn rows_keep_their_line_whatever_ends_the_lines(
            lines in proptest::collection::vec(
                (proptest::sample::select(vec!["a,1", "b,2", " ", " , "]), proptest::sample::select(vec!["\n", "\r\n", "\r"])),
                1..40,
            ),
            piece in 1usize..12,
        ) {
            let text: String = lines.iter().map(|(line, end)| format!("{line}{end}")).collect();
            let expected: Vec<u64> =
                (1..).zip(&lines).filter(|(_, (line, _))| line.contains(char::is_alphanumeric)).map(|(k, _)| k).collect();
            let file: Arc<str> = Arc::from("t.csv");
            for piece_bytes in [piece, usize::MAX] {
                let rows = match read_in_pieces(text.as_bytes(), Some(b','), &file, &Limits::default(), piece_bytes, Unpack::All) {
                    Ok(content) => grid(content).rows,
                    // All blank: nothing to read.
                    Err(ReadError::Empty) => Vec::new(),
                    Err(e) => return Err(proptest::test_runner::TestCaseError::fail(e.to_string())),
                };
                let found: Vec<u64> = rows.iter().map(|r| r.at).collect();
                proptest::prop_assert_eq!(&found, &expected, "pieces of {} bytes", piece_bytes);
            }
        }
    }

    proptest::proptest! {
        /// The pass over the bytes refuses a file exactly when the csv crate would read a
        /// field longer than the limit from it: quoted or not, with doubled quotes, line
        /// breaks inside quotes, and text after a closing quote.
        #[test]
        fn the_field_limit_is_the_csv_crates_field_length(
            parts in proptest::collection::vec(
                proptest::sample::select(vec![
                    "a".to_owned(), ",".to_owned(), "\"".to_owned(), "\"\"".to_owned(), "\n".to_owned(),
                    "\r\n".to_owned(), "\r".to_owned(), "x\"y".to_owned(),
                    "a".repeat(400),
                    format!("\"{}\n{},\"\"{}\"", "q".repeat(300), "q".repeat(200), "q".repeat(100)),
                ]),
                0..40,
            ),
        ) {
            let text = parts.concat();
            let limits = Limits { field_kb: 1, ..Limits::default() };
            let longest = reader(&text, b',')
                .records()
                .filter_map(Result::ok)
                .flat_map(|r| r.iter().map(str::len).collect::<Vec<_>>())
                .max()
                .unwrap_or(0);
            let refused = matches!(prescan(text.as_bytes(), b',', &limits, 7), Err(e) if e.key == "field_kb");
            proptest::prop_assert_eq!(refused, longest > limits.field_bytes(), "{:?}", text);
        }
    }

    #[test]
    fn binary_is_a_read_error_and_other_encodings_are_decoded() {
        let f: Arc<str> = Arc::from("t.csv");
        assert!(matches!(
            read(b"PK\x03\x04\x00\x00binary", None, &f, &Limits::default(), Unpack::All),
            Err(ReadError::Binary { .. })
        ));
        assert!(matches!(read(b"  \n\n", None, &f, &Limits::default(), Unpack::All), Err(ReadError::Empty)));
        // Windows-1252: `\xe7` is `ç`, and a note says how the file was read.
        let Content::Sheets(sheets) =
            read(b"a;b\nPorto do A\xe7u;1\n", None, &f, &Limits::default(), Unpack::All).unwrap()
        else {
            panic!()
        };
        assert!(matches!(&sheets[0], Sheet::Note(n) if n.code == Code::Encoding));
        let Sheet::Grid(g) = &sheets[1] else { panic!() };
        assert_eq!(g.rows[1].cells[0], Cell::Text("Porto do Açu".into()));
        // UTF-16 with a byte-order mark.
        let utf16: Vec<u8> =
            [0xFF, 0xFE].into_iter().chain("a,b\nKöln,2\n".encode_utf16().flat_map(u16::to_le_bytes)).collect();
        let Content::Sheets(sheets) = read(&utf16, None, &f, &Limits::default(), Unpack::All).unwrap() else {
            panic!()
        };
        let Sheet::Grid(g) = &sheets[1] else { panic!() };
        assert_eq!(g.rows[1].cells[0], Cell::Text("Köln".into()));
        assert_eq!(g.rows[1].at, 2);
    }
}
