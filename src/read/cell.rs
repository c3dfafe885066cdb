//! One cell value as read from any format, before any interpretation.
//!
//! Readers keep what the file says: a formula gives its cached value, a spreadsheet error stays
//! an error (never zero, never text), a date stays a date. Interpreting text as a number is the
//! validate stage's job, so that it can report what it could not interpret.

use std::fmt;

#[derive(Clone, Debug, Default, PartialEq)]
pub enum Cell {
    #[default]
    Empty,
    Text(String),
    Number(f64),
    Bool(bool),
    /// A date or date-time, rendered ISO 8601 (`2023-05-01`, `2023-05-01T08:30:00`).
    Date(String),
    /// A spreadsheet error value such as `#N/A` or `#DIV/0!`.
    Error(String),
}

impl Cell {
    /// Empty, or text that is only whitespace.
    pub fn is_blank(&self) -> bool {
        match self {
            Cell::Empty => true,
            Cell::Text(s) => s.trim().is_empty(),
            _ => false,
        }
    }

    /// The cell as a trimmed text, for cells meant to hold names and codes.
    pub fn text(&self) -> Option<String> {
        match self {
            Cell::Text(s) => Some(s.trim().to_owned()),
            Cell::Number(n) => Some(format_number(*n)),
            Cell::Bool(b) => Some(b.to_string()),
            Cell::Date(d) => Some(d.clone()),
            Cell::Empty | Cell::Error(_) => None,
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
