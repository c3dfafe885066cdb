//! The annotated workbook: a coordinator's own values as an xlsx, each offending cell filled in
//! colour with a note carrying its findings and their hints, after a first sheet listing every
//! finding with a link to its cell.
//!
//! - Any input format gives an xlsx of its values: a sheet stays a sheet, at the same cell
//!   references (`KPIs!E14` is E14 of `KPIs`); a CSV's lines become rows (line 17 is row 17); a
//!   JSON document becomes one row per value, its pointer beside it.
//! - Only values are kept: formulas, styles and charts of the original are not.
//! - Errors are filled red, warnings amber; infos are listed on the first sheet only. A finding
//!   of a whole row fills the row's cells; one of the file or a sheet is listed only.
//! - Every text is written as text, never as a formula.

use std::collections::BTreeMap;
use std::sync::Arc;

use rust_xlsxwriter::{Color, Format, FormatBorder, Note, Url, Workbook, XlsxError};

use crate::diag::{Finding, Loc, Place, Severity};
use crate::pipeline::{self, FileReport};
use crate::read::{self, Cell, Content, GridKind, Sheet};
use crate::schema::Schema;

#[derive(Debug, thiserror::Error)]
pub enum AnnotateError {
    #[error("the file has {rows} rows and {columns} columns; an xlsx holds at most 1,048,576 rows and 16,384 columns")]
    TooLarge { rows: u64, columns: u64 },
    #[error("cannot build the annotated workbook")]
    Xlsx(#[from] XlsxError),
}

const MAX_ROWS: u64 = 1_048_576;
const MAX_COLUMNS: u64 = 16_384;
/// The longest text a cell holds.
const MAX_TEXT: usize = 32_767;

/// A cell of the output: (sheet index, row, column).
type At = (usize, u32, u16);

/// One output sheet of values.
struct Values {
    name: String,
    /// The original sheet's name, or none for a text file's lines or a JSON document.
    original: Option<Arc<str>>,
    cells: BTreeMap<(u32, u16), Cell>,
    /// JSON: the pointer of each row.
    pointers: Vec<String>,
}

/// A sheet name Excel accepts: at most 31 characters, none of `[]:*?/\`, unique.
fn sheet_name(wanted: &str, taken: &[Values]) -> String {
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

fn values_of(content: Content, file: &str) -> Result<Vec<Values>, AnnotateError> {
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
                    let last_col = u64::from(grid.first_col) + row.cells.len() as u64;
                    if r >= MAX_ROWS || last_col > MAX_COLUMNS {
                        return Err(AnnotateError::TooLarge { rows: r + 1, columns: last_col });
                    }
                    for (i, cell) in row.cells.iter().enumerate() {
                        if !matches!(cell, Cell::Empty) {
                            cells.insert((r as u32, (grid.first_col as usize + i) as u16), cell.clone());
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
            json_sheet(leaves, &mut out, &mut push)?;
        }
        Content::JsonLines(lines) => {
            let mut leaves = Vec::new();
            for line in lines {
                match line.value {
                    Ok(v) => flatten(&v, format!("line {}", line.line), &mut leaves),
                    Err(e) => leaves.push((format!("line {}", line.line), Cell::Text(e))),
                }
            }
            json_sheet(leaves, &mut out, &mut push)?;
        }
    }
    Ok(out)
}

type Push<'a> = dyn FnMut(&str, Option<Arc<str>>, BTreeMap<(u32, u16), Cell>, Vec<String>, &mut Vec<Values>) + 'a;

fn json_sheet(leaves: Vec<(String, Cell)>, out: &mut Vec<Values>, push: &mut Push<'_>) -> Result<(), AnnotateError> {
    if leaves.len() as u64 >= MAX_ROWS {
        return Err(AnnotateError::TooLarge { rows: leaves.len() as u64 + 1, columns: 2 });
    }
    let mut cells = BTreeMap::new();
    cells.insert((0, 0), Cell::Text("pointer".into()));
    cells.insert((0, 1), Cell::Text("value".into()));
    let mut pointers = vec![String::new()];
    for (i, (pointer, value)) in leaves.into_iter().enumerate() {
        let r = i as u32 + 1;
        cells.insert((r, 0), Cell::Text(pointer.clone()));
        cells.insert((r, 1), value);
        pointers.push(pointer);
    }
    push("JSON", None, cells, pointers, out);
    Ok(())
}

/// Every scalar of a JSON value with its pointer (RFC 6901), in document order.
fn flatten(value: &serde_json::Value, at: String, out: &mut Vec<(String, Cell)>) {
    use serde_json::Value as V;
    let escape = |k: &str| k.replace('~', "~0").replace('/', "~1");
    match value {
        V::Object(map) => map.iter().for_each(|(k, v)| flatten(v, format!("{at}/{}", escape(k)), out)),
        V::Array(items) => items.iter().enumerate().for_each(|(i, v)| flatten(v, format!("{at}/{i}"), out)),
        V::Null => out.push((at, Cell::Empty)),
        V::Bool(b) => out.push((at, Cell::Bool(*b))),
        V::Number(n) => out.push((at, n.as_f64().map_or_else(|| Cell::Text(n.to_string()), Cell::Number))),
        V::String(s) => out.push((at, Cell::Text(s.clone()))),
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

fn severity_rank(s: Severity) -> u8 {
    match s {
        Severity::Error => 0,
        Severity::Warning => 1,
        Severity::Info => 2,
    }
}

fn clip(text: &str) -> String {
    if text.chars().count() <= MAX_TEXT {
        text.to_owned()
    } else {
        text.chars().take(MAX_TEXT - 1).collect::<String>() + "…"
    }
}

/// Check the file and write the annotated workbook.
pub fn annotate(
    bytes: &[u8],
    format: read::Format,
    file: &Arc<str>,
    schema: &Schema,
) -> Result<Vec<u8>, AnnotateError> {
    let report = pipeline::check_bytes(bytes, format, file, schema);
    let sheets = match read::read(bytes, format, file, &schema.limits) {
        Ok(content) => values_of(content, file)?,
        Err(_) => Vec::new(),
    };
    let headers = headers(&report, &sheets, schema);
    workbook(&report, &sheets, &headers)
}

/// The workbook of a file that could not be read: its findings alone.
pub fn report_only(report: &FileReport) -> Result<Vec<u8>, AnnotateError> {
    workbook(report, &[], &[])
}

fn workbook(report: &FileReport, sheets: &[Values], headers: &[Header]) -> Result<Vec<u8>, AnnotateError> {
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let wrap = Format::new().set_text_wrap();
    let fill = |s: Severity| match s {
        Severity::Error => {
            Some(Format::new().set_background_color(Color::RGB(0xFFC7CE)).set_border(FormatBorder::Thin))
        }
        Severity::Warning => {
            Some(Format::new().set_background_color(Color::RGB(0xFFEB9C)).set_border(FormatBorder::Thin))
        }
        Severity::Info => None,
    };

    // Where each finding points, and the findings of each cell.
    let places: Vec<Vec<At>> = report.findings.iter().map(|f| cells_of(&f.location, sheets, headers)).collect();
    let mut by_cell: BTreeMap<At, Vec<&Finding>> = BTreeMap::new();
    for (f, cells) in report.findings.iter().zip(&places) {
        if f.severity != Severity::Info {
            for at in cells {
                by_cell.entry(*at).or_default().push(f);
            }
        }
    }

    // The first sheet: every finding, with a link to its cell.
    let list = book.add_worksheet().set_name("Findings")?;
    let header = ["severity", "code", "where", "message", "hint"];
    for (c, h) in header.iter().enumerate() {
        list.write_string_with_format(0, c as u16, *h, &bold)?;
    }
    for (c, width) in [10, 22, 24, 70, 70].into_iter().enumerate() {
        list.set_column_width(c as u16, width)?;
    }
    list.set_freeze_panes(1, 0)?;
    list.write_string(
        1,
        3,
        format!(
            "{} ({}): {} rows read, {} accepted, {} rejected. Only the values of the file are kept: formulas, styles and charts are not.",
            report.file,
            report.format.map_or("unknown format", |f| f.as_str()),
            report.rows_read,
            report.rows_accepted,
            report.rows_rejected
        ),
    )?;
    for (r, (f, cells)) in (2..).zip(report.findings.iter().zip(&places)) {
        list.write_string(r, 0, f.severity.as_str())?;
        list.write_string(r, 1, f.code.as_str())?;
        let shown = f.location.place.to_string();
        match cells.first() {
            Some(&(s, row, col)) => {
                let target = format!(
                    "internal:'{}'!{}",
                    sheets[s].name.replace('\'', "''"),
                    crate::diag::a1(row, u32::from(col))
                );
                let text = if shown.is_empty() { sheets[s].name.clone() } else { shown };
                list.write_url_with_text(r, 2, Url::new(target), text)?;
            }
            None => {
                list.write_string(r, 2, if shown.is_empty() { "the file".to_owned() } else { shown })?;
            }
        }
        list.write_string_with_format(r, 3, clip(&f.message), &wrap)?;
        list.write_string_with_format(r, 4, clip(&f.hint), &wrap)?;
    }

    // The values, sheet by sheet, the offending cells filled and noted.
    for (s, values) in sheets.iter().enumerate() {
        let sheet = book.add_worksheet().set_name(&values.name)?;
        for (&(row, col), cell) in &values.cells {
            let findings = by_cell.get(&(s, row, col));
            let worst = findings.and_then(|fs| fs.iter().map(|f| f.severity).min_by_key(|s| severity_rank(*s)));
            let format = worst.and_then(fill);
            match (cell, &format) {
                (Cell::Number(n), Some(fm)) => sheet.write_number_with_format(row, col, *n, fm).map(|_| ())?,
                (Cell::Number(n), None) => sheet.write_number(row, col, *n).map(|_| ())?,
                (Cell::Bool(b), Some(fm)) => sheet.write_boolean_with_format(row, col, *b, fm).map(|_| ())?,
                (Cell::Bool(b), None) => sheet.write_boolean(row, col, *b).map(|_| ())?,
                (other, Some(fm)) => {
                    sheet.write_string_with_format(row, col, clip(&other.to_string()), fm).map(|_| ())?
                }
                (other, None) => sheet.write_string(row, col, clip(&other.to_string())).map(|_| ())?,
            }
        }
        // Notes, also on an offending cell that is empty (a missing value).
        for ((_, row, col), findings) in by_cell.range((s, 0, 0)..=(s, u32::MAX, u16::MAX)) {
            if !values.cells.contains_key(&(*row, *col))
                && let Some(fm) = findings.iter().map(|f| f.severity).min_by_key(|s| severity_rank(*s)).and_then(fill)
            {
                sheet.write_blank(*row, *col, &fm)?;
            }
            let text: Vec<String> = findings
                .iter()
                .map(|f| format!("{} {}: {}\nHow to fix: {}", f.severity.as_str(), f.code.as_str(), f.message, f.hint))
                .collect();
            sheet.insert_note(*row, *col, &Note::new(clip(&text.join("\n\n"))).set_width(420).set_height(160))?;
        }
    }
    Ok(book.save_to_buffer()?)
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
