//! The file as a coordinator sees it: its values as sheets, and the cells each finding points
//! at. Shared by the annotated workbook and the HTML report.
//!
//! - A sheet stays a sheet, its cells at their own references; a CSV's line n is row n (0-based
//!   n - 1); a JSON document (or JSON Lines file) becomes rows of pointer and value.
//! - A finding points at its cell; a row's finding with a column, at that column's cell under
//!   the nearest header above (found from the table starts the check reports); otherwise at
//!   the row's cells; a JSON pointer, at the values under it. A finding of the file or of a
//!   whole sheet points at no cell.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::diag::{Loc, Place};
use crate::pipeline::FileReport;
use crate::read::{self, Cell, Content, Format, GridKind, Sheet};
use crate::schema::Schema;

/// A checked file as shown: its sheets of values, and the cells of each finding (in the
/// report's order).
#[derive(Default)]
pub struct View {
    pub sheets: Vec<Values>,
    pub at: Vec<Vec<At>>,
}

impl View {
    /// The view of a file's bytes and its report. A file that cannot be read has no sheets.
    pub fn new(report: &FileReport, bytes: &[u8], format: Format, schema: &Schema) -> View {
        let sheets = match read::read(bytes, format, &report.file, &schema.limits, read::Unpack::All) {
            Ok(content) => values_of(content, &report.file),
            Err(_) => Vec::new(),
        };
        let headers = headers(report, &sheets, schema);
        let at = report.findings.iter().map(|f| cells_of(&f.location, &sheets, &headers)).collect();
        View { sheets, at }
    }
}

/// A cell of the output: (sheet index, row, column).
pub type At = (usize, u32, u16);

/// One sheet of values, as shown.
pub struct Values {
    pub name: String,
    /// The original sheet's name, or none for a text file's lines or a JSON document.
    pub original: Option<Arc<str>>,
    pub cells: BTreeMap<(u32, u16), Cell>,
    /// JSON: the pointer of each row.
    pub pointers: Vec<String>,
}

/// A sheet name Excel accepts: at most 31 characters, none of `[]:*?/\`, unique.
pub fn sheet_name(wanted: &str, taken: &[Values]) -> String {
    let clean: String = wanted.chars().map(|c| if "[]:*?/\\".contains(c) { '_' } else { c }).collect();
    let clean = clean.trim_matches('\'');
    let base: String = if clean.trim().is_empty() { "Sheet".into() } else { clean.chars().take(31).collect() };
    let free = |n: &str| n != "Findings" && !taken.iter().any(|v| v.name.eq_ignore_ascii_case(n));
    if free(&base) {
        return base;
    }
    (2..)
        .map(|i| {
            let suffix = format!(" ({i})");
            let kept: String = base.chars().take(31 - suffix.chars().count()).collect();
            kept + &suffix
        })
        .find(|n| free(n))
        .unwrap_or(base)
}

fn values_of(content: Content, file: &str) -> Vec<Values> {
    let mut out: Vec<Values> = Vec::new();
    let mut push = |wanted: &str, original, cells, pointers, out: &mut Vec<Values>| {
        let name = sheet_name(wanted, out);
        out.push(Values { name, original, cells, pointers });
    };
    let stem = std::path::Path::new(file).file_stem().map_or("Lines".into(), |s| s.to_string_lossy().into_owned());
    match content {
        Content::Sheets(sheets) => {
            for sheet in sheets {
                let Sheet::Grid(grid) = sheet else { continue };
                let mut cells = BTreeMap::new();
                for row in &grid.rows {
                    // Sheets keep their rows; a text file's line n is row n.
                    let r = match grid.kind {
                        GridKind::Sheet(_) => row.at,
                        GridKind::Lines => row.at.saturating_sub(1),
                    };
                    let Ok(r) = u32::try_from(r) else { continue };
                    for (i, cell) in row.cells.iter().enumerate() {
                        let col = u16::try_from(grid.first_col as usize + i);
                        if let (false, Ok(c)) = (matches!(cell, Cell::Empty), col) {
                            cells.insert((r, c), cell.clone());
                        }
                    }
                }
                match &grid.kind {
                    GridKind::Sheet(name) => push(name, Some(name.clone()), cells, Vec::new(), &mut out),
                    GridKind::Lines => push(&stem, None, cells, Vec::new(), &mut out),
                }
            }
        }
        Content::Json(value) => {
            let mut leaves = Vec::new();
            flatten(&value, String::new(), &mut leaves);
            json_sheet(leaves, &mut out, &mut push);
        }
        Content::JsonLines(lines) => {
            let mut leaves = Vec::new();
            for line in lines {
                match line.value {
                    Ok(v) => flatten(&v, format!("line {}", line.line), &mut leaves),
                    Err(e) => leaves.push((format!("line {}", line.line), Cell::Text(e.into()))),
                }
            }
            json_sheet(leaves, &mut out, &mut push);
        }
    }
    out
}

type Push<'a> = dyn FnMut(&str, Option<Arc<str>>, BTreeMap<(u32, u16), Cell>, Vec<String>, &mut Vec<Values>) + 'a;

fn json_sheet(leaves: Vec<(String, Cell)>, out: &mut Vec<Values>, push: &mut Push<'_>) {
    let mut cells = BTreeMap::new();
    cells.insert((0, 0), Cell::Text("pointer".into()));
    cells.insert((0, 1), Cell::Text("value".into()));
    let mut pointers = vec![String::new()];
    for (i, (pointer, value)) in leaves.into_iter().enumerate() {
        let r = i as u32 + 1;
        cells.insert((r, 0), Cell::Text(pointer.as_str().into()));
        cells.insert((r, 1), value);
        pointers.push(pointer);
    }
    push("JSON", None, cells, pointers, out);
}

/// Every scalar of a JSON value with its pointer (RFC 6901), in document order.
fn flatten(value: &serde_json::Value, at: String, out: &mut Vec<(String, Cell)>) {
    use serde_json::Value as V;
    match value {
        V::Object(map) => map.iter().for_each(|(k, v)| flatten(v, crate::diag::member_pointer(&at, k), out)),
        V::Array(items) => items.iter().enumerate().for_each(|(i, v)| flatten(v, format!("{at}/{i}"), out)),
        V::Null => out.push((at, Cell::Empty)),
        V::Bool(b) => out.push((at, Cell::Bool(*b))),
        V::Number(n) => out.push((at, n.as_f64().map_or_else(|| Cell::Text(n.to_string().into()), Cell::Number))),
        V::String(s) => out.push((at, Cell::Text(s.as_str().into()))),
    }
}

/// The header row of each table the check found, with the column of each canonical field it
/// names: (sheet, header row, field → column).
type Header = (usize, u32, BTreeMap<&'static str, u16>);

fn headers(report: &FileReport, sheets: &[Values], schema: &Schema) -> Vec<Header> {
    let mut out = Vec::new();
    for place in &report.tables {
        let (s, row) = match place {
            Place::Row { sheet, row } => match sheets.iter().position(|s| s.original.as_deref() == Some(sheet)) {
                Some(s) => (s, *row),
                None => continue,
            },
            Place::Line { line, .. } => match sheets.iter().position(|s| s.original.is_none() && s.pointers.is_empty())
            {
                Some(s) => (s, line.saturating_sub(1) as u32),
                None => continue,
            },
            _ => continue,
        };
        let columns = sheets[s]
            .cells
            .range((row, 0)..=(row, u16::MAX))
            .filter_map(|(&(_, c), cell)| {
                let text = cell.to_string();
                let (name, _) = crate::schema::text::split_header_unit(&text);
                Some((schema.fields.find(name)?.as_str(), c))
            })
            .collect();
        out.push((s, row, columns));
    }
    out
}

/// The output cells a finding is about: its cell; the cell of its column in its row, or else the
/// row's cells; or its JSON values.
fn cells_of(loc: &Loc, sheets: &[Values], headers: &[Header]) -> Vec<At> {
    let sheet_of = |name: &str| sheets.iter().position(|s| s.original.as_deref() == Some(name));
    let row_cells = |s: usize, r: u32| -> Vec<At> {
        // The column the finding names, under the nearest header above the row.
        let header = headers.iter().filter(|(hs, hr, _)| *hs == s && *hr < r).max_by_key(|(_, hr, _)| *hr);
        if let Some(c) = loc.column.and_then(|name| header?.2.get(name).copied()) {
            return vec![(s, r, c)];
        }
        sheets[s].cells.range((r, 0)..=(r, u16::MAX)).map(|(&(r, c), _)| (s, r, c)).collect()
    };
    match &loc.place {
        Place::Cell { sheet, row, col } => match (sheet_of(sheet), u16::try_from(*col)) {
            (Some(s), Ok(c)) => vec![(s, *row, c)],
            _ => Vec::new(),
        },
        Place::Row { sheet, row } => sheet_of(sheet).map(|s| row_cells(s, *row)).unwrap_or_default(),
        Place::Line { line, field } => {
            let Some(s) = sheets.iter().position(|s| s.original.is_none() && s.pointers.is_empty()) else {
                let prefix = format!("line {line}");
                return json_cells(sheets, |p| p == prefix || p.starts_with(&format!("{prefix}/")));
            };
            let r = line.saturating_sub(1) as u32;
            match field {
                Some(f) => vec![(s, r, f.saturating_sub(1) as u16)],
                None => row_cells(s, r),
            }
        }
        Place::Pointer { pointer } => json_cells(sheets, |p| p == pointer || p.starts_with(&format!("{pointer}/"))),
        Place::File | Place::Sheet { .. } => Vec::new(),
    }
}

/// The value cells of the JSON rows whose pointer matches.
fn json_cells(sheets: &[Values], matches: impl Fn(&str) -> bool) -> Vec<At> {
    let Some(s) = sheets.iter().position(|s| !s.pointers.is_empty()) else { return Vec::new() };
    sheets[s].pointers.iter().enumerate().skip(1).filter(|(_, p)| matches(p)).map(|(r, _)| (s, r as u32, 1)).collect()
}

#[cfg(test)]
mod tests {
    use super::{Values, sheet_name};

    fn taken(names: &[&str]) -> Vec<Values> {
        names
            .iter()
            .map(|n| Values { name: (*n).to_owned(), original: None, cells: Default::default(), pointers: Vec::new() })
            .collect()
    }

    #[test]
    fn sheet_names_are_ones_excel_accepts() {
        assert_eq!(sheet_name("KPIs", &taken(&[])), "KPIs");
        assert_eq!(sheet_name("a/b:c", &taken(&[])), "a_b_c");
        assert_eq!(sheet_name("Findings", &taken(&[])), "Findings (2)");
        assert_eq!(sheet_name("kpis", &taken(&["KPIs"])), "kpis (2)");
        let long = "x".repeat(40);
        assert_eq!(sheet_name(&long, &taken(&[])).chars().count(), 31);
        assert_eq!(sheet_name(&long, &taken(&[&"x".repeat(31)])), format!("{} (2)", "x".repeat(27)));
        assert_eq!(sheet_name("  ", &taken(&[])), "Sheet");
    }
}
