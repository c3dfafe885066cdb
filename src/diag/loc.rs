//! Where a finding points: a file, a spreadsheet cell or row, a physical line, or a JSON pointer.
//!
//! Positions are stored 0-based for spreadsheets (as calamine gives them, absolute, so a range
//! that does not start at A1 still points at the right cell) and 1-based for lines, and are
//! rendered the way a person finds them: `acu.xlsx:KPIs!E14`, `rotterdam.csv:line 17`,
//! `humber.json:/observations/3/value`. Nothing else in the crate formats a position.

use std::fmt;
use std::sync::Arc;

use serde::Serialize;
use serde::ser::SerializeMap;

/// The place inside a file.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Place {
    /// The file as a whole.
    File,
    /// A whole sheet of a workbook.
    Sheet { sheet: Arc<str> },
    /// One spreadsheet cell, 0-based absolute row and column.
    Cell { sheet: Arc<str>, row: u32, col: u32 },
    /// One spreadsheet row, 0-based.
    Row { sheet: Arc<str>, row: u32 },
    /// A physical line of a text file, 1-based; with the 1-based field where a line holds
    /// several values (a wide CSV table).
    Line { line: u64, field: Option<u32> },
    /// A JSON pointer (RFC 6901) into a JSON document.
    Pointer { pointer: String },
}

/// A location: the file, the place in it and, where known, the canonical column concerned.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Loc {
    pub file: Arc<str>,
    pub place: Place,
    pub column: Option<&'static str>,
}

impl Loc {
    pub fn file(file: &Arc<str>) -> Self {
        Loc { file: file.clone(), place: Place::File, column: None }
    }

    pub fn new(file: &Arc<str>, place: Place) -> Self {
        Loc { file: file.clone(), place, column: None }
    }

    /// The same place, naming the canonical column it concerns.
    pub fn with_column(mut self, column: &'static str) -> Self {
        self.column = Some(column);
        self
    }
}

/// Spreadsheet column letters for a 0-based column: 0 → `A`, 25 → `Z`, 26 → `AA`.
pub fn column_letters(col: u32) -> String {
    let mut n = col as u64 + 1;
    let mut letters = Vec::new();
    while n > 0 {
        let rem = ((n - 1) % 26) as u8;
        letters.push(b'A' + rem);
        n = (n - 1) / 26;
    }
    letters.reverse();
    String::from_utf8(letters).expect("ASCII letters")
}

/// A1 reference of a 0-based cell: (13, 4) → `E14`.
pub fn a1(row: u32, col: u32) -> String {
    format!("{}{}", column_letters(col), row as u64 + 1)
}

/// A sheet name as a spreadsheet formula would write it: quoted when it holds anything but
/// letters, digits and underscores.
struct SheetName<'a>(&'a str);

impl fmt::Display for SheetName<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.0.is_empty() && self.0.chars().all(|c| c.is_alphanumeric() || c == '_') {
            f.write_str(self.0)
        } else {
            write!(f, "'{}'", self.0.replace('\'', "''"))
        }
    }
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Place::File => Ok(()),
            Place::Sheet { sheet } => write!(f, "{}", SheetName(sheet)),
            Place::Cell { sheet, row, col } => write!(f, "{}!{}", SheetName(sheet), a1(*row, *col)),
            Place::Row { sheet, row } => write!(f, "{}!row {}", SheetName(sheet), *row as u64 + 1),
            Place::Line { line, field: None } => write!(f, "line {line}"),
            Place::Line { line, field: Some(n) } => write!(f, "line {line}, field {n}"),
            Place::Pointer { pointer } => f.write_str(if pointer.is_empty() { "/" } else { pointer }),
        }
    }
}

impl fmt::Display for Loc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.place {
            Place::File => f.write_str(&self.file),
            _ => write!(f, "{}:{}", self.file, self.place),
        }
    }
}

/// The parts of a location, as the findings table stores them.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Parts<'a> {
    pub sheet: Option<&'a str>,
    pub cell: Option<String>,
    /// 1-based spreadsheet row.
    pub row: Option<u64>,
    /// 1-based physical line.
    pub line: Option<u64>,
    /// 1-based field of that line, in a wide table.
    pub field: Option<u32>,
    pub pointer: Option<&'a str>,
}

impl Loc {
    pub fn parts(&self) -> Parts<'_> {
        match &self.place {
            Place::File => Parts::default(),
            Place::Sheet { sheet } => Parts { sheet: Some(sheet), ..Parts::default() },
            Place::Cell { sheet, row, col } => Parts {
                sheet: Some(sheet),
                cell: Some(a1(*row, *col)),
                row: Some(u64::from(*row) + 1),
                ..Parts::default()
            },
            Place::Row { sheet, row } => {
                Parts { sheet: Some(sheet), row: Some(u64::from(*row) + 1), ..Parts::default() }
            }
            Place::Line { line, field } => Parts { line: Some(*line), field: *field, ..Parts::default() },
            Place::Pointer { pointer } => Parts { pointer: Some(pointer), ..Parts::default() },
        }
    }
}

/// The structured form used by `--format json` and the findings table:
/// `{"file", "sheet"?, "cell"?, "row"?, "column"?, "line"?, "pointer"?}`.
impl Serialize for Loc {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let p = self.parts();
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("file", &*self.file)?;
        if let Some(sheet) = p.sheet {
            m.serialize_entry("sheet", sheet)?;
        }
        if let Some(cell) = &p.cell {
            m.serialize_entry("cell", cell)?;
        }
        if let Some(row) = p.row {
            m.serialize_entry("row", &row)?;
        }
        if let Some(line) = p.line {
            m.serialize_entry("line", &line)?;
        }
        if let Some(field) = p.field {
            m.serialize_entry("field", &field)?;
        }
        if let Some(pointer) = p.pointer {
            m.serialize_entry("pointer", pointer)?;
        }
        if let Some(column) = self.column {
            m.serialize_entry("column", column)?;
        }
        m.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_letters_roll_over_like_a_spreadsheet() {
        assert_eq!(column_letters(0), "A");
        assert_eq!(column_letters(25), "Z");
        assert_eq!(column_letters(26), "AA");
        assert_eq!(column_letters(51), "AZ");
        assert_eq!(column_letters(52), "BA");
        assert_eq!(column_letters(701), "ZZ");
        assert_eq!(column_letters(702), "AAA");
        assert_eq!(column_letters(16383), "XFD");
    }

    #[test]
    fn locations_render_one_based() {
        let file: Arc<str> = "acu.xlsx".into();
        let cell = Loc::new(&file, Place::Cell { sheet: "KPIs".into(), row: 13, col: 4 });
        assert_eq!(cell.to_string(), "acu.xlsx:KPIs!E14");
        let quoted = Loc::new(&file, Place::Cell { sheet: "GHG data".into(), row: 0, col: 0 });
        assert_eq!(quoted.to_string(), "acu.xlsx:'GHG data'!A1");
        let line = Loc::new(&"r.csv".into(), Place::Line { line: 17, field: None });
        assert_eq!(line.to_string(), "r.csv:line 17");
        let wide = Loc::new(&"r.csv".into(), Place::Line { line: 3, field: Some(4) });
        assert_eq!(wide.to_string(), "r.csv:line 3, field 4");
        let ptr = Loc::new(&"h.json".into(), Place::Pointer { pointer: "/observations/3/value".into() });
        assert_eq!(ptr.to_string(), "h.json:/observations/3/value");
        assert_eq!(Loc::file(&file).to_string(), "acu.xlsx");
    }

    #[test]
    fn json_form_carries_cell_and_row() {
        let loc =
            Loc::new(&"a.xlsx".into(), Place::Cell { sheet: "KPIs".into(), row: 13, col: 4 }).with_column("value");
        let json = serde_json::to_string(&loc).unwrap();
        assert_eq!(json, r#"{"file":"a.xlsx","sheet":"KPIs","cell":"E14","row":14,"column":"value"}"#);
    }
}
