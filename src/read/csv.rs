//! CSV and TSV through the csv crate.
//!
//! UTF-8 with or without a byte-order mark. The delimiter (`,`, `;` or tab) is detected from the
//! first records: the one that splits them into the same number of fields, most often, wins.
//! Each kept row records the physical line its record starts on, so a quoted cell that spans
//! lines does not shift the line numbers of the rows after it.

use std::sync::Arc;

use super::{Cell, Content, Exceeded, Grid, GridKind, GridRow, Limits, ReadError, Sheet, decode_text};
use crate::diag::{Code, Finding, Loc};

const CANDIDATES: [u8; 3] = [b',', b';', b'\t'];
/// How many records the delimiter is judged on.
const SNIFF_RECORDS: usize = 25;

pub(super) fn read(
    bytes: &[u8],
    delimiter: Option<u8>,
    file: &Arc<str>,
    limits: &Limits,
) -> Result<Content, ReadError> {
    let (text, encoding) = decode_text(bytes)?;
    let text = text.as_ref();
    let delimiter = delimiter.unwrap_or_else(|| sniff_delimiter(text));
    prescan(text.as_bytes(), delimiter, limits)?;
    let mut reader = reader(text, delimiter);
    let mut rows = Vec::new();
    let mut record = csv::StringRecord::new();
    let mut lines = LineCounter::new(text);
    let (mut cells_read, mut width) = (0u64, 0u64);
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => return Err(ReadError::Csv(e)),
        }
        let line = lines.line_of_record(record.position().map_or(0, |p| p.byte() as usize));
        if record.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        width = width.max(record.len() as u64);
        cells_read += record.iter().filter(|f| !f.is_empty()).count() as u64;
        Limits::check("cells", "the file's non-empty fields", cells_read, limits.cells)?;
        Limits::check("rows", "the file's records", rows.len() as u64 + 1, limits.rows)?;
        Limits::check(
            "grid_cells",
            "the table's grid (records × fields)",
            (rows.len() as u64 + 1) * width,
            limits.grid_cells,
        )?;
        let cells = record.iter().map(|f| if f.is_empty() { Cell::Empty } else { Cell::Text(f.to_owned()) }).collect();
        rows.push(GridRow { at: line, cells });
    }
    let mut sheets = Vec::with_capacity(2);
    if let Some(encoding) = encoding {
        sheets.push(Sheet::Note(Finding::new(
            Code::Encoding,
            Loc::file(file),
            format!("the file is not UTF-8; it was read as {encoding}"),
            "nothing to do if the names read right; to be sure, save the file as CSV UTF-8",
        )));
    }
    sheets.push(Sheet::Grid(Grid { kind: GridKind::Lines, first_col: 0, rows }));
    Ok(Content::Sheets(sheets))
}

/// Physical line numbers of records. The csv crate's own line count misses skipped blank lines,
/// and its byte offset points before them, so both are corrected here: the record starts at the
/// first byte after the offset that is not a line break.
struct LineCounter<'a> {
    text: &'a [u8],
    pos: usize,
    line: u64,
}

impl<'a> LineCounter<'a> {
    fn new(text: &'a str) -> Self {
        LineCounter { text: text.as_bytes(), pos: 0, line: 1 }
    }

    /// The 1-based line of the record whose reported start is `offset` (offsets only grow).
    fn line_of_record(&mut self, offset: usize) -> u64 {
        let mut start = offset.min(self.text.len());
        while matches!(self.text.get(start), Some(b'\r' | b'\n')) {
            start += 1;
        }
        self.line += self.text[self.pos.min(start)..start].iter().filter(|&&b| b == b'\n').count() as u64;
        self.pos = self.pos.max(start);
        self.line
    }
}

fn reader(text: &str, delimiter: u8) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new().has_headers(false).flexible(true).delimiter(delimiter).from_reader(text.as_bytes())
}

/// Field sizes and record widths against the limits, in one pass over the bytes that allocates
/// nothing, before the csv crate buffers a 64 MB field or a record of 200,000 fields. It
/// follows the quoting as the csv crate does (a `"` toggles quoting; `""` toggles twice).
fn prescan(bytes: &[u8], delimiter: u8, limits: &Limits) -> Result<(), Exceeded> {
    let (most, widest) = (limits.field_bytes(), limits.columns);
    let (mut quoted, mut len, mut fields, mut line) = (false, 0usize, 1u64, 1u64);
    for &b in bytes {
        if b == b'"' {
            quoted = !quoted;
        } else if !quoted && b == delimiter {
            (len, fields) = (0, fields + 1);
            if fields > widest {
                let what = format!("the fields of the record at line {line}");
                return Err(Exceeded::new("columns", what, format!("more than {widest}"), widest));
            }
            continue;
        } else if !quoted && (b == b'\n' || b == b'\r') {
            (len, fields) = (0, 1);
            line += u64::from(b == b'\n');
            continue;
        } else if b == b'\n' {
            line += 1;
        }
        len += 1;
        if len > most {
            let kb = limits.field_kb;
            return Err(Exceeded::new(
                "field_kb",
                format!("a field (line {line})"),
                format!("more than {kb} KiB"),
                format!("{kb} KiB"),
            ));
        }
    }
    Ok(())
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
    let mut best = (0usize, 0usize, b',');
    for delimiter in CANDIDATES {
        let mut counts: Vec<usize> = reader(text, delimiter)
            .records()
            .take(SNIFF_RECORDS)
            .filter_map(Result::ok)
            .filter(|r| r.iter().any(|f| !f.trim().is_empty()))
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
            grid(read(text, None, &Arc::from("t.csv"), &Limits::default()).unwrap())
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
            grid(read(b"\xEF\xBB\xBFa,b\n1,2\n", None, &Arc::from("t.csv"), &Limits::default()).unwrap()).rows[0].cells
                [0],
            Cell::Text("a".into()),
            "BOM stripped"
        );
    }

    #[test]
    fn binary_is_a_read_error_and_other_encodings_are_decoded() {
        let f: Arc<str> = Arc::from("t.csv");
        assert!(matches!(
            read(b"PK\x03\x04\x00\x00binary", None, &f, &Limits::default()),
            Err(ReadError::Binary { .. })
        ));
        assert!(matches!(read(b"  \n\n", None, &f, &Limits::default()), Err(ReadError::Empty)));
        // Windows-1252: `\xe7` is `ç`, and a note says how the file was read.
        let Content::Sheets(sheets) = read(b"a;b\nPorto do A\xe7u;1\n", None, &f, &Limits::default()).unwrap() else {
            panic!()
        };
        assert!(matches!(&sheets[0], Sheet::Note(n) if n.code == Code::Encoding));
        let Sheet::Grid(g) = &sheets[1] else { panic!() };
        assert_eq!(g.rows[1].cells[0], Cell::Text("Porto do Açu".into()));
        // UTF-16 with a byte-order mark.
        let utf16: Vec<u8> =
            [0xFF, 0xFE].into_iter().chain("a,b\nKöln,2\n".encode_utf16().flat_map(u16::to_le_bytes)).collect();
        let Content::Sheets(sheets) = read(&utf16, None, &f, &Limits::default()).unwrap() else { panic!() };
        let Sheet::Grid(g) = &sheets[1] else { panic!() };
        assert_eq!(g.rows[1].cells[0], Cell::Text("Köln".into()));
        assert_eq!(g.rows[1].at, 2);
    }
}
