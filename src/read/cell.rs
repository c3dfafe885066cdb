//! One cell value as read from any format, before any interpretation.
//!
//! Readers keep what the file says: a formula gives its cached value, a spreadsheet error stays
//! an error (never zero, never text), a date stays a date. Interpreting text as a number is the
//! validate stage's job, so that it can report what it could not interpret.

use std::fmt;

pub use compact_str::CompactString;

#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Cell {
    #[default]
    Empty,
    /// Text as read; short texts (most cells) are held inline, without an allocation of their own.
    Text(CompactString),
    Number(f64),
    Bool(bool),
    /// A date or date-time, rendered ISO 8601 (`2023-05-01`, `2023-05-01T08:30:00`).
    Date(Box<str>),
    /// A spreadsheet error value such as `#N/A` or `#DIV/0!`.
    Error(Box<str>),
}

// A cell is the size of its text: the other variants fit beside the text's spare byte, so a
// grid of a million rows is not a quarter larger than its texts.
const _: () = assert!(size_of::<Cell>() == size_of::<CompactString>());

impl Cell {
    /// Empty, or text that is only whitespace.
    pub fn is_blank(&self) -> bool {
        match self {
            Cell::Empty => true,
            Cell::Text(s) => crate::trim::is_blank(s),
            _ => false,
        }
    }

    /// The cell as a trimmed text, for cells meant to hold names and codes.
    pub fn text(&self) -> Option<std::borrow::Cow<'_, str>> {
        match self {
            Cell::Text(s) => Some(crate::trim::trim(s).into()),
            Cell::Number(n) => Some(format_number(*n).into()),
            Cell::Bool(b) => Some(b.to_string().into()),
            Cell::Date(d) => Some(d.as_ref().into()),
            Cell::Empty | Cell::Error(_) => None,
        }
    }

    /// Whether its text ([`Cell::text`]) is none or empty, told without writing it out: a number
    /// or a boolean always holds something. Unlike [`Cell::is_blank`], an error cell holds
    /// nothing, and a date is never trimmed.
    pub fn text_is_empty(&self) -> bool {
        match self {
            Cell::Empty | Cell::Error(_) => true,
            Cell::Text(t) => crate::trim::is_blank(t),
            Cell::Date(d) => d.is_empty(),
            Cell::Number(_) | Cell::Bool(_) => false,
        }
    }

    /// What kind of cell this is, in words, for messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Cell::Empty => "an empty cell",
            Cell::Text(_) => "text",
            Cell::Number(_) => "a number",
            Cell::Bool(_) => "a boolean",
            Cell::Date(_) => "a date",
            Cell::Error(_) => "a spreadsheet error",
        }
    }
}

/// Numbers print without a trailing `.0` when whole, and in full otherwise.
pub fn format_number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 { format!("{}", n as i64) } else { format!("{n}") }
}

/// A number for people: thousands grouped with `,`, at most two decimals from 100 up and six
/// significant digits below; scientific notation when very large or very small.
pub fn format_grouped(n: f64) -> String {
    if !n.is_finite() {
        return n.to_string();
    }
    let a = n.abs();
    if a >= 1e15 || (a > 0.0 && a < 1e-4) {
        return format!("{n:e}");
    }
    let decimals = if a >= 100.0 { 2 } else { (5 - a.log10().floor().max(-4.0) as i32).max(0) as usize };
    let text = format!("{a:.decimals$}");
    let (int, frac) = text.split_once('.').map_or((text.as_str(), ""), |(i, f)| (i, f));
    let frac = frac.trim_end_matches('0');
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let sign = if n < 0.0 && (int != "0" || !frac.is_empty()) { "-" } else { "" };
    if frac.is_empty() { format!("{sign}{grouped}") } else { format!("{sign}{grouped}.{frac}") }
}

/// The raw text of the cell, as kept in the rejects table.
impl fmt::Display for Cell {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Cell::Empty => Ok(()),
            Cell::Text(s) => f.write_str(s),
            Cell::Number(n) => f.write_str(&format_number(*n)),
            Cell::Bool(b) => write!(f, "{b}"),
            Cell::Date(d) | Cell::Error(d) => f.write_str(d),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Cell, format_grouped};

    /// A cell's text is empty exactly when [`Cell::text`] gives none or an empty text, whatever
    /// the cell.
    #[test]
    fn a_cells_text_is_empty_when_it_writes_out_empty() {
        let texts = ["", " ", "\u{a0}", "\t\n", "\u{3000}x", "0", " - ", "n/a", "\u{2007}"];
        let mut cells: Vec<Cell> = vec![Cell::Empty, Cell::Bool(false), Cell::Bool(true)];
        cells.extend([0.0, -0.0, f64::NAN, f64::INFINITY, 1e300, -2.5].map(Cell::Number));
        for t in texts {
            cells.extend([Cell::Text(t.into()), Cell::Date(t.into()), Cell::Error(t.into())]);
        }
        for cell in &cells {
            assert_eq!(cell.text_is_empty(), cell.text().is_none_or(|t| t.is_empty()), "{cell:?}");
        }
        assert!(Cell::Text("\u{a0} ".into()).text_is_empty() && !Cell::Date(" ".into()).text_is_empty());
    }

    #[test]
    fn groups_and_rounds_for_people() {
        assert_eq!(format_grouped(2_036_840_528.258_863_7), "2,036,840,528.26");
        assert_eq!(format_grouped(1_234_567.0), "1,234,567");
        assert_eq!(format_grouped(999.0), "999");
        assert_eq!(format_grouped(0.25), "0.25");
        assert_eq!(format_grouped(12.345_678_9), "12.3457");
        assert_eq!(format_grouped(-1500.5), "-1,500.5");
        assert_eq!(format_grouped(0.0), "0");
        assert_eq!(format_grouped(2e15), "2e15");
    }
}
