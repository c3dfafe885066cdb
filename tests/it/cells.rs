//! Every non-empty cell of an input file, read directly with calamine, the csv crate and
//! serde_json — never through clusterkpi's own readers or mapping — so a test that compares
//! clusterkpi's report against this list cannot share a bug with it.
//!
//! Places follow clusterkpi's conventions (`clusterkpi::diag::Place`), so they compare directly:
//! - spreadsheets: every visible worksheet, `Place::Cell` with 0-based absolute row and column;
//! - CSV/TSV: `Place::Line` with the 1-based physical line the record starts on and the 1-based
//!   field;
//! - JSON: `Place::Pointer` (RFC 6901) of every non-null leaf scalar;
//! - JSON Lines: `Place::Line { line, field: None }` (1-based physical line) of every non-null
//!   leaf of that line.

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use calamine::{Data, Reader, SheetType, SheetVisible, open_workbook_auto};
use clusterkpi::diag::Place;
use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

/// One non-empty cell: where it is and its text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawCell {
    pub place: Place,
    pub text: String,
}

/// Every non-empty cell of the file at `path`, in reading order.
///
/// The format is taken from the extension, as clusterkpi does: xlsx/xlsm/xlsb/xls/ods through
/// calamine, csv/tsv/tab through the csv crate, json and jsonl/ndjson through serde_json.
/// Panics on a file it cannot read: this is test support, and such a file has no cells to list.
pub fn nonempty_cells(path: &Path) -> Vec<RawCell> {
    let ext = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).unwrap_or_default();
    match ext.as_str() {
        "xlsx" | "xlsm" | "xlsb" | "xls" | "ods" => workbook_cells(path),
        "csv" => csv_cells(&read(path), None),
        "tsv" | "tab" => csv_cells(&read(path), Some(b'\t')),
        "json" => json_cells(&read(path)),
        "jsonl" | "ndjson" => json_lines_cells(&read(path)),
        other => panic!("{}: no cell lister for extension `{other}`", path.display()),
    }
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

// --- Spreadsheets -------------------------------------------------------------------------

fn workbook_cells(path: &Path) -> Vec<RawCell> {
    let mut book = open_workbook_auto(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut out = Vec::new();
    for meta in book.sheets_metadata().to_vec() {
        // Hidden and very hidden sheets are not submitted data; chart, dialog and macro sheets
        // hold no worksheet cells.
        if meta.visible != SheetVisible::Visible || meta.typ != SheetType::WorkSheet {
            continue;
        }
        let range =
            book.worksheet_range(&meta.name).unwrap_or_else(|e| panic!("{}: sheet {}: {e}", path.display(), meta.name));
        let Some((row0, col0)) = range.start() else { continue };
        let sheet: Arc<str> = Arc::from(meta.name.as_str());
        for (row, col, data) in range.used_cells() {
            if is_blank(data) {
                continue;
            }
            out.push(RawCell {
                place: Place::Cell {
                    sheet: sheet.clone(),
                    row: row0 + u32::try_from(row).expect("row fits u32"),
                    col: col0 + u32::try_from(col).expect("column fits u32"),
                },
                text: data.to_string(),
            });
        }
    }
    out
}

fn is_blank(data: &Data) -> bool {
    match data {
        Data::Empty => true,
        Data::String(s) => s.trim().is_empty(),
        _ => false,
    }
}

// --- CSV and TSV --------------------------------------------------------------------------

/// How many records a candidate delimiter is judged on.
const SNIFF_RECORDS: usize = 25;

fn csv_cells(bytes: &[u8], delimiter: Option<u8>) -> Vec<RawCell> {
    let text = decode(bytes);
    let delimiter = delimiter.unwrap_or_else(|| sniff(&text));
    let mut reader = csv_reader(&text, delimiter);
    let raw = text.as_bytes();
    let mut out = Vec::new();
    let mut record = csv::StringRecord::new();
    // The line of the byte `counted`: the first byte of the last record seen.
    let (mut line, mut counted) = (1u64, 0usize);
    while reader.read_record(&mut record).expect("CSV record") {
        let pos = record.position().expect("a record read from a reader has a position");
        // The position is where the previous record ended; blank lines the parser then skipped
        // lie between it and the record's first byte. The record's line counts the line breaks
        // before that byte: `\n`, `\r\n`, or a `\r` alone (the csv crate's own line count
        // knows only `\n`).
        let start = usize::try_from(pos.byte()).expect("offset fits usize");
        let first = raw[start..].iter().position(|b| !matches!(b, b'\r' | b'\n')).map_or(raw.len(), |i| start + i);
        let breaks = raw[counted..first]
            .iter()
            .enumerate()
            .filter(|&(i, &b)| b == b'\n' || (b == b'\r' && raw.get(counted + i + 1) != Some(&b'\n')));
        line += breaks.count() as u64;
        counted = first;
        for (i, field) in record.iter().enumerate() {
            if field.trim().is_empty() {
                continue;
            }
            out.push(RawCell {
                place: Place::Line { line, field: Some(u32::try_from(i + 1).expect("field fits u32")) },
                text: field.to_owned(),
            });
        }
    }
    out
}

/// UTF-8 (a byte-order mark stripped), UTF-16 with a byte-order mark, else Windows-1252.
fn decode(bytes: &[u8]) -> String {
    if let Some((encoding, bom)) = encoding_rs::Encoding::for_bom(bytes) {
        return encoding.decode_without_bom_handling(&bytes[bom..]).0.into_owned();
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_owned(),
        Err(_) => encoding_rs::WINDOWS_1252.decode_without_bom_handling(bytes).0.into_owned(),
    }
}

fn csv_reader(text: &str, delimiter: u8) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new().has_headers(false).flexible(true).delimiter(delimiter).from_reader(text.as_bytes())
}

/// Of `,` `;` tab `|`: the one whose commonest field count (above one) over the first non-blank
/// records occurs most often; a larger count breaks a tie, then the order above. `,` if none
/// splits anything.
fn sniff(text: &str) -> u8 {
    let mut best: Option<(usize, usize, u8)> = None;
    for delimiter in [b',', b';', b'\t', b'|'] {
        let mut freq = std::collections::BTreeMap::<usize, usize>::new();
        for record in csv_reader(text, delimiter)
            .records()
            .filter_map(Result::ok)
            .filter(|r| r.iter().any(|f| !f.trim().is_empty()))
            .take(SNIFF_RECORDS)
        {
            *freq.entry(record.len()).or_default() += 1;
        }
        let Some((&count, &times)) = freq.iter().max_by_key(|&(&count, &times)| (times, count)) else { continue };
        if count > 1 && best.is_none_or(|(t, c, _)| (times, count) > (t, c)) {
            best = Some((times, count, delimiter));
        }
    }
    best.map_or(b',', |(_, _, d)| d)
}

// --- JSON and JSON Lines ------------------------------------------------------------------

fn json_cells(bytes: &[u8]) -> Vec<RawCell> {
    let text = utf8(bytes);
    json_leaves(text)
        .unwrap_or_else(|e| panic!("malformed JSON: {e}"))
        .into_iter()
        .map(|(pointer, text)| RawCell { place: Place::Pointer { pointer }, text })
        .collect()
}

/// Each non-blank physical line is one JSON document. A line that is not valid JSON is listed
/// once with its whole text: it is non-empty content that must be accounted for too.
fn json_lines_cells(bytes: &[u8]) -> Vec<RawCell> {
    let mut out = Vec::new();
    for (i, line_text) in utf8(bytes).split('\n').enumerate() {
        let line_text = line_text.trim();
        if line_text.is_empty() {
            continue;
        }
        let line = i as u64 + 1;
        let place = || Place::Line { line, field: None };
        match json_leaves(line_text) {
            Ok(leaves) => out.extend(leaves.into_iter().map(|(_, text)| RawCell { place: place(), text })),
            Err(_) => out.push(RawCell { place: place(), text: line_text.to_owned() }),
        }
    }
    out
}

fn utf8(bytes: &[u8]) -> &str {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    std::str::from_utf8(bytes).expect("JSON is UTF-8")
}

/// `(pointer, text)` of every non-null, non-blank leaf scalar of one JSON document, in document
/// order (walked by a visitor, so the order does not depend on serde_json's map features, and a
/// duplicated key is listed each time it occurs).
fn json_leaves(text: &str) -> Result<Vec<(String, String)>, serde_json::Error> {
    let mut out = Vec::new();
    let mut de = serde_json::Deserializer::from_str(text);
    Leaves { pointer: String::new(), out: &mut out }.deserialize(&mut de)?;
    de.end()?;
    Ok(out)
}

/// RFC 6901: `~` → `~0`, `/` → `~1`.
fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

struct Leaves<'a> {
    pointer: String,
    out: &'a mut Vec<(String, String)>,
}

impl Leaves<'_> {
    fn leaf(self, text: String) {
        if !text.trim().is_empty() {
            self.out.push((self.pointer, text));
        }
    }
}

impl<'de> DeserializeSeed<'de> for Leaves<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Leaves<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<(), E> {
        self.leaf(v.to_string());
        Ok(())
    }

    fn visit_i64<E>(self, v: i64) -> Result<(), E> {
        self.leaf(v.to_string());
        Ok(())
    }

    fn visit_u64<E>(self, v: u64) -> Result<(), E> {
        self.leaf(v.to_string());
        Ok(())
    }

    fn visit_f64<E>(self, v: f64) -> Result<(), E> {
        // serde_json's own number formatting, as `Value`'s display would give it.
        self.leaf(serde_json::Number::from_f64(v).map_or_else(|| v.to_string(), |n| n.to_string()));
        Ok(())
    }

    fn visit_str<E>(self, v: &str) -> Result<(), E> {
        self.leaf(v.to_owned());
        Ok(())
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut i = 0usize;
        while seq.next_element_seed(Leaves { pointer: format!("{}/{i}", self.pointer), out: &mut *self.out })?.is_some()
        {
            i += 1;
        }
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            map.next_value_seed(Leaves { pointer: format!("{}/{}", self.pointer, escape(&key)), out: &mut *self.out })?;
        }
        Ok(())
    }
}

// --- Tests: each expectation is worked out by hand from the bytes written -------------------

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(sheet: &str, row: u32, col: u32, text: &str) -> RawCell {
        RawCell { place: Place::Cell { sheet: sheet.into(), row, col }, text: text.to_owned() }
    }

    fn field(line: u64, n: u32, text: &str) -> RawCell {
        RawCell { place: Place::Line { line, field: Some(n) }, text: text.to_owned() }
    }

    fn pointer(p: &str, text: &str) -> RawCell {
        RawCell { place: Place::Pointer { pointer: p.to_owned() }, text: text.to_owned() }
    }

    fn line(line: u64, text: &str) -> RawCell {
        RawCell { place: Place::Line { line, field: None }, text: text.to_owned() }
    }

    fn temp(name: &str, bytes: &[u8]) -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).expect("write");
        (dir, path)
    }

    #[test]
    fn workbook_lists_absolute_cells_of_visible_sheets_only() {
        use rust_xlsxwriter::Workbook;
        let mut book = Workbook::new();
        let kpis = book.add_worksheet();
        kpis.set_name("KPIs").unwrap();
        // A table whose top-left cell is C5: row 4, column 2 (0-based).
        kpis.write_string(4, 2, "kpi").unwrap();
        kpis.write_string(4, 3, "value").unwrap();
        kpis.write_string(5, 2, "ghg_emissions").unwrap();
        kpis.write_number(5, 3, 2.45).unwrap();
        // D7 holds only spaces and C8 an empty string: both blank. E8 is a boolean.
        kpis.write_string(6, 3, "   ").unwrap();
        kpis.write_string(7, 2, "").unwrap();
        kpis.write_boolean(7, 4, true).unwrap();
        let hidden = book.add_worksheet();
        hidden.set_name("Lookup").unwrap();
        hidden.write_string(0, 0, "never listed").unwrap();
        hidden.set_hidden(true);
        let notes = book.add_worksheet();
        notes.set_name("GHG notes").unwrap();
        notes.write_string(1, 1, "B2 note").unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("book.xlsx");
        book.save(&path).unwrap();

        assert_eq!(
            nonempty_cells(&path),
            vec![
                cell("KPIs", 4, 2, "kpi"),
                cell("KPIs", 4, 3, "value"),
                cell("KPIs", 5, 2, "ghg_emissions"),
                cell("KPIs", 5, 3, "2.45"),
                cell("KPIs", 7, 4, "true"),
                cell("GHG notes", 1, 1, "B2 note"),
            ]
        );
    }

    #[test]
    fn semicolon_windows_1252_csv_keeps_physical_lines() {
        // Line 1: header. Line 2: a record whose quoted note runs onto line 3 and holds a comma
        // and a semicolon. Line 4: blank. Line 5: a record with a blank second field. Decimal
        // commas must not make `,` the delimiter; `\xe7` is `ç` in Windows-1252.
        let bytes: &[u8] =
            b"site;value;note\r\nPorto do A\xe7u;1,5;\"first; part\r\nsecond, part\"\r\n\r\nHumber;  ;x\r\nTees;2,25;\r\n";
        let (_dir, path) = temp("w.csv", bytes);
        assert_eq!(
            nonempty_cells(&path),
            vec![
                field(1, 1, "site"),
                field(1, 2, "value"),
                field(1, 3, "note"),
                field(2, 1, "Porto do Açu"),
                field(2, 2, "1,5"),
                field(2, 3, "first; part\r\nsecond, part"),
                field(5, 1, "Humber"),
                field(5, 3, "x"),
                field(6, 1, "Tees"),
                field(6, 2, "2,25"),
            ]
        );
    }

    #[test]
    fn lines_end_at_a_lone_carriage_return_too() {
        // Classic Mac OS line ends (Excel's "CSV (Macintosh)"): line 3 is blank, and the quoted
        // field of line 4 runs on to line 5.
        let (_dir, path) = temp("m.csv", b"a,b\r1,2\r\r3,\"x\ry\"\r4,5\r");
        assert_eq!(
            nonempty_cells(&path),
            vec![
                field(1, 1, "a"),
                field(1, 2, "b"),
                field(2, 1, "1"),
                field(2, 2, "2"),
                field(4, 1, "3"),
                field(4, 2, "x\ry"),
                field(6, 1, "4"),
                field(6, 2, "5"),
            ]
        );
        // `\r\n` then a lone `\r`: two line ends, so `b` is on line 3.
        let (_dir, path) = temp("n.csv", b"a\r\n\rb\n");
        assert_eq!(nonempty_cells(&path), vec![field(1, 1, "a"), field(3, 1, "b")]);
    }

    #[test]
    fn other_encodings_and_delimiters() {
        // UTF-16 LE with a byte-order mark, tab-separated under a .csv name.
        let utf16: Vec<u8> =
            [0xFF, 0xFE].into_iter().chain("a\tb\nKöln\t2\n".encode_utf16().flat_map(u16::to_le_bytes)).collect();
        let (_d1, p1) = temp("u.csv", &utf16);
        assert_eq!(
            nonempty_cells(&p1),
            vec![field(1, 1, "a"), field(1, 2, "b"), field(2, 1, "Köln"), field(2, 2, "2")]
        );
        // A UTF-8 byte-order mark is stripped; `|` separates.
        let (_d2, p2) = temp("p.csv", b"\xEF\xBB\xBFa|b\n\n\n1|2\n");
        assert_eq!(nonempty_cells(&p2), vec![field(1, 1, "a"), field(1, 2, "b"), field(4, 1, "1"), field(4, 2, "2")]);
        // A .tsv is always tab-separated, even when commas would split more consistently.
        let (_d3, p3) = temp("t.tsv", b"a,b\tc\n1,2\t3\n");
        assert_eq!(
            nonempty_cells(&p3),
            vec![field(1, 1, "a,b"), field(1, 2, "c"), field(2, 1, "1,2"), field(2, 2, "3")]
        );
    }

    #[test]
    fn nested_json_lists_non_null_leaves_by_pointer() {
        // Keys deliberately out of alphabetical order: the listing follows the document.
        let doc = br#"{
            "zeta": {"b/c": [1, null, "x", "", " "], "t~": true},
            "n": null,
            "arr": [{"v": 2.5}, [], {}, [[-3]]],
            "": "empty key"
        }"#;
        let (_dir, path) = temp("d.json", doc);
        assert_eq!(
            nonempty_cells(&path),
            vec![
                pointer("/zeta/b~1c/0", "1"),
                pointer("/zeta/b~1c/2", "x"),
                pointer("/zeta/t~0", "true"),
                pointer("/arr/0/v", "2.5"),
                pointer("/arr/3/0/0", "-3"),
                pointer("/", "empty key"),
            ]
        );
        // A scalar document is its own leaf, at the root pointer.
        let (_d2, p2) = temp("s.json", b"\xEF\xBB\xBF 42 ");
        assert_eq!(nonempty_cells(&p2), vec![pointer("", "42")]);
    }

    #[test]
    fn json_lines_list_leaves_by_physical_line() {
        let (_dir, path) =
            temp("l.jsonl", b"{\"kpi\": \"energy\", \"value\": null}\r\n\r\n{\"a\": [1, {\"b\": false}]}\nnot json\n");
        assert_eq!(nonempty_cells(&path), vec![line(1, "energy"), line(3, "1"), line(3, "false"), line(4, "not json")]);
    }
}
