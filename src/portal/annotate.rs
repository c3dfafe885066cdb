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

use super::view::{At, View};
use crate::diag::{Finding, Severity};
use crate::pipeline::{self, FileReport};
use crate::read::{self, Cell};
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
    annotate_checked(&report, bytes, format, schema)
}

/// The annotated workbook of a file already checked (its `report`), from its bytes.
pub fn annotate_checked(
    report: &FileReport,
    bytes: &[u8],
    format: read::Format,
    schema: &Schema,
) -> Result<Vec<u8>, AnnotateError> {
    let view = View::new(report, bytes, format, schema);
    let (rows, columns) = view
        .sheets
        .iter()
        .flat_map(|s| s.cells.keys())
        .fold((0, 0), |(r, c), &(row, col)| (r.max(u64::from(row) + 1), c.max(u64::from(col) + 1)));
    if rows > MAX_ROWS || columns > MAX_COLUMNS {
        return Err(AnnotateError::TooLarge { rows, columns });
    }
    workbook(report, &view)
}

/// The workbook of a file that could not be read: its findings alone.
pub fn report_only(report: &FileReport) -> Result<Vec<u8>, AnnotateError> {
    workbook(report, &View::default())
}

fn workbook(report: &FileReport, view: &View) -> Result<Vec<u8>, AnnotateError> {
    let (sheets, places) = (&view.sheets, &view.at);
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

    // The findings of each cell.
    let mut by_cell: BTreeMap<At, Vec<&Finding>> = BTreeMap::new();
    for (f, cells) in report.findings.iter().zip(places) {
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
    for (r, (f, cells)) in (2..).zip(report.findings.iter().zip(places)) {
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
