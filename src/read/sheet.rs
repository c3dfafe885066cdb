//! Spreadsheets (xlsx, xlsm, xlsb, xls, ods) through calamine.
//!
//! Every visible worksheet becomes a [`Grid`] in workbook order; hidden and very hidden sheets are
//! never read (a warning names them), chart and macro sheets are skipped (an info). Cells are
//! moved out of calamine's range, not copied. Formula cells carry their cached value, because
//! that is what calamine's `worksheet_range` returns.

use std::io::Cursor;
use std::sync::Arc;

use calamine::{Data, Ods, Reader, SheetType, SheetVisible, Sheets, Xls, Xlsb, Xlsx, open_workbook_from_rs};

use super::{Cell, Content, Format, Grid, GridKind, GridRow, ReadError, Sheet};
use crate::diag::{Code, Finding, Loc, Place};

pub(super) fn read(bytes: &[u8], format: Format, file: &Arc<str>) -> Result<Content, ReadError> {
    let workbook_error = |source: calamine::Error| ReadError::Workbook { format: format.as_str(), source };
    let cursor = Cursor::new(bytes);
    let mut book: Sheets<Cursor<&[u8]>> = match format {
        Format::Xls => Sheets::Xls(open_workbook_from_rs::<Xls<_>, _>(cursor).map_err(|e| workbook_error(e.into()))?),
        Format::Xlsb => {
            Sheets::Xlsb(open_workbook_from_rs::<Xlsb<_>, _>(cursor).map_err(|e| workbook_error(e.into()))?)
        }
        Format::Ods => Sheets::Ods(open_workbook_from_rs::<Ods<_>, _>(cursor).map_err(|e| workbook_error(e.into()))?),
        _ => Sheets::Xlsx(open_workbook_from_rs::<Xlsx<_>, _>(cursor).map_err(|e| workbook_error(e.into()))?),
    };

    let mut sheets = Vec::new();
    for meta in book.sheets_metadata().to_vec() {
        let sheet: Arc<str> = Arc::from(meta.name.as_str());
        let loc = Loc::new(file, Place::Sheet { sheet: sheet.clone() });
        if meta.visible != SheetVisible::Visible {
            let how = if meta.visible == SheetVisible::Hidden { "hidden" } else { "very hidden" };
            sheets.push(Sheet::Note(Finding::new(
                Code::SheetHidden,
                loc,
                format!("sheet `{}` is {how} and was not read", meta.name),
                "hidden sheets are never read; if it holds data to submit, unhide it (right-click a sheet tab > Unhide)",
            )));
            continue;
        }
        if meta.typ != SheetType::WorkSheet {
            sheets.push(Sheet::Note(Finding::new(
                Code::SheetSkipped,
                loc,
                format!("sheet `{}` is a {:?}, not a worksheet, and was skipped", meta.name, meta.typ),
                "only worksheets hold submission tables",
            )));
            continue;
        }
        let range = book.worksheet_range(&meta.name).map_err(workbook_error)?;
        sheets.push(Sheet::Grid(to_grid(sheet, range)));
    }
    Ok(Content::Sheets(sheets))
}

fn to_grid(sheet: Arc<str>, mut range: calamine::Range<Data>) -> Grid {
    let (first_row, first_col) = range.start().unwrap_or((0, 0));
    let height = range.height();
    let mut rows = Vec::new();
    for i in 0..height {
        let cells: Vec<Cell> = range[i].iter_mut().map(|d| to_cell(std::mem::take(d))).collect();
        if cells.iter().all(Cell::is_blank) {
            continue;
        }
        rows.push(GridRow { at: u64::from(first_row) + i as u64, cells });
    }
    Grid { kind: GridKind::Sheet(sheet), first_col, rows }
}

fn to_cell(data: Data) -> Cell {
    match data {
        Data::Empty => Cell::Empty,
        Data::String(s) => Cell::Text(s),
        Data::Int(i) => Cell::Number(i as f64),
        Data::Float(f) => Cell::Number(f),
        Data::Bool(b) => Cell::Bool(b),
        Data::DateTime(dt) => {
            let (y, mo, d, h, mi, s, _) = dt.to_ymd_hms_milli();
            if dt.is_duration() {
                Cell::Date(format!("PT{}S", dt.as_f64() * 86400.0))
            } else if (h, mi, s) == (0, 0, 0) {
                Cell::Date(format!("{y:04}-{mo:02}-{d:02}"))
            } else {
                Cell::Date(format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}"))
            }
        }
        Data::DateTimeIso(s) | Data::DurationIso(s) => Cell::Date(s),
        Data::Error(e) => Cell::Error(e.to_string()),
    }
}
