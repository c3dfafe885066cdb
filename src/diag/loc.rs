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

/// A place given by a row's: most cells a row holds lie on it, so a row's cells keep their
/// places without a copy of the row's own (its file and sheet) each.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Relative {
    /// The row's own place: every field of a text line.
    Row,
    /// A cell of the row's sheet row, in this 0-based column.
    Column(u32),
    /// A member of the row's JSON object, by its key as written: the row's pointer and the key
    /// ([`member_pointer`]), made only when the place is shown.
    Member(Box<str>),
    /// Anywhere else: a header cell, a metadata line, a JSON pointer.
    Elsewhere(Box<Place>),
}

impl Relative {
    /// `place`, given by the row at `row`.
    pub fn of(row: &Place, place: Place) -> Relative {
        match (row, place) {
            (own, place) if *own == place => Relative::Row,
            (Place::Row { sheet, row }, Place::Cell { sheet: s, row: r, col }) if r == *row && s == *sheet => {
                Relative::Column(col)
            }
            (_, place) => Relative::Elsewhere(Box::new(place)),
        }
    }

    /// The place, given the row's (a column of a row that is no sheet row, or a member of a row
    /// that is no JSON object, which are never given, is the row's own place).
    pub fn place(&self, row: &Place) -> Place {
        match (self, row) {
            (Relative::Row, place) => place.clone(),
            (Relative::Column(col), Place::Row { sheet, row }) => {
                Place::Cell { sheet: sheet.clone(), row: *row, col: *col }
            }
            (Relative::Member(key), Place::Pointer { pointer }) => {
                Place::Pointer { pointer: member_pointer(pointer, key) }
            }
            (Relative::Column(_) | Relative::Member(_), place) => place.clone(),
            (Relative::Elsewhere(place), _) => (**place).clone(),
        }
    }
}

/// `key` as a reference token of a JSON pointer (RFC 6901): `~` written `~0`, `/` written `~1`.
/// Most keys hold neither: they are not copied.
pub fn pointer_token(key: &str) -> std::borrow::Cow<'_, str> {
    if key.contains(['~', '/']) { key.replace('~', "~0").replace('/', "~1").into() } else { key.into() }
}

/// The pointer to member `key` of the JSON object at `pointer`.
pub fn member_pointer(pointer: &str, key: &str) -> String {
    format!("{pointer}/{}", pointer_token(key))
}

/// Where an observation comes from, its row's place and its value cell's, in 16 bytes: a line
/// of a text file whose value is on it (every row of a long CSV table) by its number alone; a
/// sheet row's cell, and any other pair of places, boxed.
#[derive(Clone, Debug, PartialEq)]
pub enum Spot {
    /// The line (1-based), the value on it.
    Line(u64),
    /// A sheet's row (0-based) and the column (0-based) of its value.
    Cell(Box<(Arc<str>, u32, u32)>),
    /// The row's place, and the value's by it.
    Other(Box<(Place, Relative)>),
}

const _: () = assert!(size_of::<Spot>() == 16);

impl Spot {
    /// The spot of the row at `row`, whose value cell is `value` by it.
    pub fn of(row: Place, value: Relative) -> Spot {
        match (row, value) {
            (Place::Line { line, field: None }, Relative::Row) => Spot::Line(line),
            (Place::Row { sheet, row }, Relative::Column(col)) => Spot::Cell(Box::new((sheet, row, col))),
            (row, value) => Spot::Other(Box::new((row, value))),
        }
    }

    /// The row's place.
    pub fn row(&self) -> Place {
        match self {
            Spot::Line(line) => Place::Line { line: *line, field: None },
            Spot::Cell(cell) => Place::Row { sheet: cell.0.clone(), row: cell.1 },
            Spot::Other(other) => other.0.clone(),
        }
    }

    /// The value cell's place.
    pub fn value(&self) -> Place {
        match self {
            Spot::Line(line) => Place::Line { line: *line, field: None },
            Spot::Cell(cell) => Place::Cell { sheet: cell.0.clone(), row: cell.1, col: cell.2 },
            Spot::Other(other) => other.1.place(&other.0),
        }
    }
}

/// Spreadsheet column letters for a 0-based column: 0 → `A`, 25 → `Z`, 26 → `AA`.
pub fn column_letters(col: u32) -> String {
    Letters(col).to_string()
}

/// A 0-based column's letters, written without a buffer of their own (a place is written for
/// every row of a sheet's observations).
struct Letters(u32);

impl fmt::Display for Letters {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Seven letters reach past the largest column a u32 numbers (26^7 > 2^32).
        let mut letters = [0u8; 7];
        let (mut n, mut at) = (u64::from(self.0) + 1, letters.len());
        while n > 0 {
            at -= 1;
            letters[at] = b'A' + ((n - 1) % 26) as u8;
            n = (n - 1) / 26;
        }
        f.write_str(std::str::from_utf8(&letters[at..]).map_err(|_| fmt::Error)?)
    }
}

/// A1 reference of a 0-based cell: (13, 4) → `E14`.
pub fn a1(row: u32, col: u32) -> String {
    A1(row, col).to_string()
}

/// A 0-based cell's A1 reference (row, column), written without a string of its own.
struct A1(u32, u32);

impl fmt::Display for A1 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        Letters(self.1).fmt(f)?;
        whole(f, u64::from(self.0) + 1)
    }
}

/// A whole number, written without the formatting machinery's arguments (a place is written
/// for every row of a table's observations).
fn whole(f: &mut fmt::Formatter<'_>, n: u64) -> fmt::Result {
    f.write_str(itoa::Buffer::new().format(n))
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
            Place::Sheet { sheet } => SheetName(sheet).fmt(f),
            Place::Cell { sheet, row, col } => {
                SheetName(sheet).fmt(f)?;
                f.write_str("!")?;
                A1(*row, *col).fmt(f)
            }
            Place::Row { sheet, row } => {
                SheetName(sheet).fmt(f)?;
                f.write_str("!row ")?;
                whole(f, u64::from(*row) + 1)
            }
            Place::Line { line, field } => {
                f.write_str("line ")?;
                whole(f, *line)?;
                match field {
                    Some(n) => {
                        f.write_str(", field ")?;
                        whole(f, u64::from(*n))
                    }
                    None => Ok(()),
                }
            }
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

/// The inverse of the structured form, for the run's stored state.
impl<'de> serde::Deserialize<'de> for Loc {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(serde::Deserialize)]
        struct Raw {
            file: String,
            sheet: Option<String>,
            cell: Option<String>,
            row: Option<u64>,
            line: Option<u64>,
            field: Option<u32>,
            pointer: Option<String>,
            column: Option<String>,
        }
        let r = Raw::deserialize(d)?;
        let bad = |what: &str| serde::de::Error::custom(format!("invalid location: {what}"));
        let place = match (r.sheet, r.cell, r.row, r.line, r.pointer) {
            (Some(sheet), Some(cell), _, _, _) => {
                let letters: String = cell.chars().take_while(char::is_ascii_alphabetic).collect();
                let row: u32 = cell[letters.len()..].parse().map_err(|_| bad(&cell))?;
                let col = letters.bytes().fold(0u32, |acc, b| acc * 26 + u32::from(b.to_ascii_uppercase() - b'A' + 1));
                Place::Cell {
                    sheet: sheet.into(),
                    row: row.checked_sub(1).ok_or_else(|| bad(&cell))?,
                    col: col.saturating_sub(1),
                }
            }
            (Some(sheet), None, Some(row), _, _) => {
                Place::Row { sheet: sheet.into(), row: u32::try_from(row.saturating_sub(1)).map_err(|_| bad("row"))? }
            }
            (Some(sheet), None, None, _, _) => Place::Sheet { sheet: sheet.into() },
            (None, _, _, Some(line), _) => Place::Line { line, field: r.field },
            (None, _, _, None, Some(pointer)) => Place::Pointer { pointer },
            _ => Place::File,
        };
        let column = r
            .column
            .as_deref()
            .and_then(|c| crate::schema::Field::ALL.iter().find(|f| f.as_str() == c).map(|f| f.as_str()));
        Ok(Loc { file: r.file.into(), place, column })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A spot gives back the row and the value place it was made of, whichever form it takes.
    #[test]
    fn a_spot_gives_back_its_row_and_value() {
        let sheet: Arc<str> = Arc::from("KPIs");
        let row = Place::Row { sheet: sheet.clone(), row: 13 };
        let cases = [
            (Place::Line { line: 17, field: None }, Place::Line { line: 17, field: None }, "Line"),
            (Place::Line { line: 17, field: Some(4) }, Place::Line { line: 17, field: Some(4) }, "Other"),
            (row.clone(), Place::Cell { sheet: sheet.clone(), row: 13, col: 4 }, "Cell"),
            (row, Place::Cell { sheet, row: 2, col: 4 }, "Other"),
            (Place::Pointer { pointer: "/0".into() }, Place::Pointer { pointer: "/0/value".into() }, "Other"),
        ];
        for (row, value, form) in cases {
            let spot = Spot::of(row.clone(), Relative::of(&row, value.clone()));
            assert!(format!("{spot:?}").starts_with(form), "{spot:?}");
            assert_eq!((spot.row(), spot.value()), (row, value));
        }
        // A JSON member by its key: the key escaped below the record's pointer (RFC 6901).
        let record = Place::Pointer { pointer: "/kpis/0".into() };
        let spot = Spot::of(record.clone(), Relative::Member("a/b~c".into()));
        assert_eq!((spot.row(), spot.value()), (record, Place::Pointer { pointer: "/kpis/0/a~1b~0c".into() }));
        assert_eq!(member_pointer("", "~/"), "/~0~1");
        assert_eq!(pointer_token("plain"), std::borrow::Cow::Borrowed("plain"));
    }

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
        // The last column a u32 numbers takes seven letters (worked out by hand: 2^32 in
        // bijective base 26).
        assert_eq!(column_letters(u32::MAX), "MWLQKWV");
        assert_eq!(a1(u32::MAX, u32::MAX), "MWLQKWV4294967296");
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
        let row = Loc::new(&file, Place::Row { sheet: "My sheet".into(), row: 2 });
        assert_eq!(row.to_string(), "acu.xlsx:'My sheet'!row 3");
        let last = Place::Line { line: u64::MAX, field: Some(u32::MAX) };
        assert_eq!(last.to_string(), "line 18446744073709551615, field 4294967295");
        let far = Place::Row { sheet: "S".into(), row: u32::MAX };
        assert_eq!(far.to_string(), "S!row 4294967296");
        let ptr = Loc::new(&"h.json".into(), Place::Pointer { pointer: "/observations/3/value".into() });
        assert_eq!(ptr.to_string(), "h.json:/observations/3/value");
        assert_eq!(Loc::file(&file).to_string(), "acu.xlsx");
    }

    #[test]
    fn locations_round_trip_through_their_structured_form() {
        let file: Arc<str> = "a.xlsx".into();
        for place in [
            Place::File,
            Place::Sheet { sheet: "KPIs".into() },
            Place::Cell { sheet: "KPIs".into(), row: 13, col: 30 },
            Place::Row { sheet: "My sheet".into(), row: 2 },
            Place::Line { line: 7, field: None },
            Place::Line { line: 7, field: Some(3) },
            Place::Pointer { pointer: "/observations/2/value".into() },
        ] {
            let loc = Loc::new(&file, place).with_column("value");
            let back: Loc = serde_json::from_str(&serde_json::to_string(&loc).unwrap()).unwrap();
            assert_eq!(back, loc);
        }
    }

    #[test]
    fn json_form_carries_cell_and_row() {
        let loc =
            Loc::new(&"a.xlsx".into(), Place::Cell { sheet: "KPIs".into(), row: 13, col: 4 }).with_column("value");
        let json = serde_json::to_string(&loc).unwrap();
        assert_eq!(json, r#"{"file":"a.xlsx","sheet":"KPIs","cell":"E14","row":14,"column":"value"}"#);
    }
}
