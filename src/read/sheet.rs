//! Spreadsheets (xlsx, xlsm, xlsb, xls, ods) through calamine, streamed as [`Event`]s.
//!
//! Every visible worksheet becomes a grid in workbook order; hidden and very hidden sheets are
//! never read (a warning names them), chart and macro sheets are skipped (an info). Formula
//! cells carry their cached value.
//!
//! Limits come first: the zip package is checked before anything is inflated (an xls file's
//! records are walked instead, [`super::xls`]), xlsx and xlsb
//! cells are read one by one (a single cell at `XFD1048576` is one cell, not a grid of 17
//! billion), and a sheet's rows, columns and grid are checked before its grid is built. A sheet
//! read cell by cell is sent as it is read when its cells come in order within its declared
//! dimension (its rows in batches, then the columns they span); otherwise it is read again,
//! whole, and its grid is the same. The
//! events are what a worker process sends back over its pipe ([`super::worker`]); in process,
//! an [`Assembler`] turns them into [`Content`] directly.

use std::io::Cursor;
use std::sync::Arc;

use calamine::{
    Data, DataRef, Ods, Range, Reader, SheetType, SheetVisible, Sheets, Xls, Xlsb, Xlsx, open_workbook_from_rs,
};
use serde::{Deserialize, Serialize};

use super::{Cell, Content, Format, Grid, GridKind, GridRow, ReadError, Sheet, package, xls};
use crate::diag::{Code, Finding, Loc, Place};
use crate::limits::{Exceeded, Limits};

/// About this many cells go in one [`Event::Rows`].
const BATCH_CELLS: usize = 1 << 16;

/// A sheet sent as it is read holds its rows as wide as its declared dimension: past this many
/// grid cells, more than [`SPARSE_RATIO`] for each cell it holds, it is read whole instead (as
/// wide as its cells), so a dimension that overstates its width costs no more than a sheet read
/// whole.
const SPARSE_FLOOR: u64 = 1 << 20;
const SPARSE_RATIO: u64 = 8;

/// One step of reading a workbook, in file order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Event {
    /// First: how many grids the workbook's sheets give (its visible worksheets), each a
    /// `Grid` event to come (a grid read again after a `Restart` is still one).
    Worksheets(u32),
    /// A sheet that was not read, and why.
    Passed { sheet: String, why: Passed },
    /// A grid begins: its sheet, its first column (0-based) and its width. Every row of it has
    /// exactly `width` cells.
    Grid { sheet: String, first_col: u32, width: u32 },
    /// Rows of the current grid, in order; blank rows are left out.
    Rows(Vec<GridRow>),
    /// The current grid's columns, once all its rows are sent: its cells run from `first_col`
    /// (absolute, 0-based), `width` columns wide, within those its `Grid` event gave (a sheet
    /// read as it streams is sent as wide as its declared dimension says).
    Extent { first_col: u32, width: u32 },
    /// The current grid is dropped, rows and all: its sheet is read again, whole (it did not
    /// stream: a cell out of order or outside its declared dimension).
    Restart,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Passed {
    Hidden,
    VeryHidden,
    NotWorksheet(String),
}

/// Read a workbook, handing each event to `emit`.
pub fn stream(
    bytes: &[u8],
    format: Format,
    limits: &Limits,
    emit: &mut dyn FnMut(Event) -> Result<(), ReadError>,
) -> Result<(), ReadError> {
    read_sheets(bytes, format, limits, true, emit)
}

/// [`stream`], where `as_read` lets a sheet read cell by cell be sent as it is read.
fn read_sheets(
    bytes: &[u8],
    format: Format,
    limits: &Limits,
    as_read: bool,
    emit: &mut dyn FnMut(Event) -> Result<(), ReadError>,
) -> Result<(), ReadError> {
    if format == Format::Xls {
        xls::check(bytes, limits)?;
    } else {
        xls::check_container(bytes)?;
        package::check(bytes, format == Format::Ods, limits)?;
    }
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
    let grids = book.sheets_metadata().iter().filter(|m| worksheet(m) && m.visible == SheetVisible::Visible).count();
    emit(Event::Worksheets(u32::try_from(grids).unwrap_or(u32::MAX)))?;
    let mut cells_left = limits.cells;
    for meta in book.sheets_metadata().to_vec() {
        let sheet = meta.name.clone();
        if meta.visible != SheetVisible::Visible {
            let why = if meta.visible == SheetVisible::Hidden { Passed::Hidden } else { Passed::VeryHidden };
            emit(Event::Passed { sheet, why })?;
            continue;
        }
        if !worksheet(&meta) {
            emit(Event::Passed { sheet, why: Passed::NotWorksheet(format!("{:?}", meta.typ)) })?;
            continue;
        }
        let mut budget = Budget { limits, cells_left: &mut cells_left };
        // A sheet read cell by cell is sent as it is read when its cells come in order within
        // its declared dimension (nearly always); otherwise it is read again, whole. (xlsx and
        // xlsb readers are two types with the same methods.)
        macro_rules! cell_by_cell {
            ($book:expr) => {{
                let mut reader = $book.worksheet_cells_reader(&sheet).map_err(|e| workbook_error(e.into()))?;
                let declared = reader.dimensions();
                let mut next = || reader.next_cell().map_err(|e| workbook_error(e.into()));
                if as_read && budget.streamed(&sheet, declared, &mut next, emit)? {
                    continue;
                }
                drop(reader);
                let mut reader = $book.worksheet_cells_reader(&sheet).map_err(|e| workbook_error(e.into()))?;
                budget.sparse(|| reader.next_cell().map_err(|e| workbook_error(e.into())))?
            }};
        }
        let grid = match &mut book {
            Sheets::Xlsx(x) => cell_by_cell!(x),
            Sheets::Xlsb(x) => cell_by_cell!(x),
            other => budget.dense(other.worksheet_range(&sheet).map_err(workbook_error)?)?,
        };
        emit(Event::Grid { sheet, first_col: grid.first_col, width: grid.width })?;
        let mut batch = Vec::new();
        let mut in_batch = 0;
        for row in grid.rows {
            in_batch += row.cells.len().max(1);
            batch.push(row);
            if in_batch >= BATCH_CELLS {
                emit(Event::Rows(std::mem::take(&mut batch)))?;
                in_batch = 0;
            }
        }
        if !batch.is_empty() {
            emit(Event::Rows(batch))?;
        }
    }
    Ok(())
}

/// Whether a sheet is a worksheet (not a chart or macro sheet).
fn worksheet(meta: &calamine::Sheet) -> bool {
    meta.typ == SheetType::WorkSheet
}

/// One sheet's rows, ready to send.
struct Laid {
    first_col: u32,
    width: u32,
    rows: Vec<GridRow>,
}

/// The cell budget of the file, and the limits a sheet is checked against.
struct Budget<'a> {
    limits: &'a Limits,
    cells_left: &'a mut u64,
}

impl Budget<'_> {
    /// Spend one cell; over the limit when none is left.
    fn spend(&mut self) -> Result<(), ReadError> {
        if *self.cells_left == 0 {
            return Err(ReadError::Limit(Exceeded::new(
                "cells",
                "the file's non-empty cells",
                format!("more than {}", self.limits.cells),
                self.limits.cells,
            )));
        }
        *self.cells_left -= 1;
        Ok(())
    }

    /// The sheet's shape against the limits, before its grid is built.
    fn shape(&self, rows: u64, width: u64) -> Result<(), ReadError> {
        let l = self.limits;
        Limits::check("columns", "the columns the sheet spans", width, l.columns)?;
        Limits::check("rows", "the sheet's rows", rows, l.rows)?;
        Limits::check("grid_cells", "the sheet's grid (rows × columns)", rows.saturating_mul(width), l.grid_cells)?;
        Ok(())
    }

    /// A sheet read cell by cell (xlsx, xlsb), sent as it is read: its `Grid` event as wide as
    /// its declared dimension, its rows in batches as they are complete, then its `Extent`, the
    /// columns its cells span. The grid and its limits are those [`Budget::sparse`] gives. False
    /// when the sheet does not stream: a cell out of order, outside the declared dimension, or
    /// past a limit the declared width may overstate; then any grid sent is dropped
    /// (`Restart`), the cells spent are given back, and the sheet is to be read whole.
    fn streamed<'d>(
        &mut self,
        sheet: &str,
        declared: calamine::Dimensions,
        mut next: impl FnMut() -> Result<Option<calamine::Cell<DataRef<'d>>>, ReadError>,
        emit: &mut dyn FnMut(Event) -> Result<(), ReadError>,
    ) -> Result<bool, ReadError> {
        let l = self.limits;
        let (first_col, last_col) = (declared.start.1, declared.end.1);
        let width = u64::from(last_col.saturating_sub(first_col)) + 1;
        if last_col < first_col || width > l.columns {
            return Ok(false);
        }
        let cells_before = *self.cells_left;
        let mut sent = false;
        let give_up = |budget: &mut Budget<'_>,
                       sent: bool,
                       emit: &mut dyn FnMut(Event) -> Result<(), ReadError>|
         -> Result<bool, ReadError> {
            *budget.cells_left = cells_before;
            if sent {
                emit(Event::Restart)?;
            }
            Ok(false)
        };
        let mut batch: Vec<GridRow> = Vec::new();
        let (mut in_batch, mut kept, mut held) = (0usize, 0u64, 0u64);
        let mut line: Option<GridRow> = None;
        let mut last: Option<(u32, u32)> = None;
        let (mut min_col, mut max_col) = (u32::MAX, 0u32);
        loop {
            // The next cell with a value: an empty one (a styled cell) is no cell of the grid.
            let cell = loop {
                match next()? {
                    Some(c) if matches!(c.get_value(), DataRef::Empty) => {}
                    other => break other,
                }
            };
            let place = cell.as_ref().map(calamine::Cell::get_position);
            // The row before is complete: kept unless blank, and sent in batches.
            if let Some(row) = line.take_if(|row| place.is_none_or(|(r, _)| u64::from(r) != row.at))
                && !row.cells.iter().all(Cell::is_blank)
            {
                kept += 1;
                // Past the limits the declared width may overstate, or mostly empty (a dimension
                // far wider than the cells): the sheet is read whole, as wide as its cells.
                let grid = kept.saturating_mul(width);
                if kept > l.rows || grid > l.grid_cells || grid > SPARSE_FLOOR && grid > SPARSE_RATIO * held {
                    return give_up(self, sent, emit);
                }
                in_batch += row.cells.len();
                batch.push(row);
                if in_batch >= BATCH_CELLS {
                    if !sent {
                        emit(Event::Grid { sheet: sheet.to_owned(), first_col, width: width as u32 })?;
                        sent = true;
                    }
                    emit(Event::Rows(std::mem::take(&mut batch)))?;
                    in_batch = 0;
                }
            }
            let Some(cell) = cell else { break };
            let (r, c) = cell.get_position();
            if last.is_some_and(|before| before >= (r, c)) || c < first_col || c > last_col {
                return give_up(self, sent, emit);
            }
            last = Some((r, c));
            self.spend()?;
            held += 1;
            (min_col, max_col) = (min_col.min(c), max_col.max(c));
            let row =
                line.get_or_insert_with(|| GridRow { at: u64::from(r), cells: vec![Cell::Empty; width as usize] });
            row.cells[(c - first_col) as usize] = ref_to_cell(cell.get_value());
        }
        // The columns the cells span, checked as a sheet read whole is.
        let extent = match min_col {
            u32::MAX => (0, 0),
            _ => (min_col, max_col - min_col + 1),
        };
        self.shape(kept, u64::from(extent.1))?;
        if !sent {
            emit(Event::Grid { sheet: sheet.to_owned(), first_col, width: width as u32 })?;
        }
        if !batch.is_empty() {
            emit(Event::Rows(batch))?;
        }
        emit(Event::Extent { first_col: extent.0, width: extent.1 })?;
        Ok(true)
    }

    /// A sheet read cell by cell (xlsx, xlsb): only the cells present are ever held.
    fn sparse<'d>(
        &mut self,
        mut next: impl FnMut() -> Result<Option<calamine::Cell<DataRef<'d>>>, ReadError>,
    ) -> Result<Laid, ReadError> {
        let mut cells: Vec<(u32, u32, Cell)> = Vec::new();
        while let Some(c) = next()? {
            if matches!(c.get_value(), DataRef::Empty) {
                continue;
            }
            self.spend()?;
            let (row, col) = c.get_position();
            cells.push((row, col, ref_to_cell(c.get_value())));
        }
        in_order(&mut cells);
        let Some(first_col) = cells.iter().map(|c| c.1).min() else {
            return Ok(Laid { first_col: 0, width: 0, rows: Vec::new() });
        };
        let last_col = cells.iter().map(|c| c.1).max().unwrap_or(first_col);
        let width = u64::from(last_col - first_col) + 1;
        let kept = cells.chunk_by(|a, b| a.0 == b.0).filter(|row| row.iter().any(|c| !c.2.is_blank())).count();
        self.shape(kept as u64, width)?;
        let mut rows = Vec::with_capacity(kept);
        let mut cells = cells.into_iter().peekable();
        while let Some(&(at, _, _)) = cells.peek() {
            let mut line = vec![Cell::Empty; width as usize];
            while let Some((_, col, cell)) = cells.next_if(|c| c.0 == at) {
                line[(col - first_col) as usize] = cell;
            }
            if !line.iter().all(Cell::is_blank) {
                rows.push(GridRow { at: u64::from(at), cells: line });
            }
        }
        Ok(Laid { first_col, width: width as u32, rows })
    }

    /// A sheet calamine has already built as a range (ods, xls).
    fn dense(&mut self, mut range: Range<Data>) -> Result<Laid, ReadError> {
        let (first_row, first_col) = range.start().unwrap_or((0, 0));
        let (height, width) = (range.height(), range.width());
        let mut kept = 0u64;
        for row in range.rows() {
            let mut any = false;
            for d in row {
                if *d != Data::Empty {
                    self.spend()?;
                    any |= !is_blank(d);
                }
            }
            kept += u64::from(any);
        }
        self.shape(kept, width as u64)?;
        let mut rows = Vec::new();
        for i in 0..height {
            let cells: Vec<Cell> = range[i].iter_mut().map(|d| to_cell(std::mem::take(d))).collect();
            if cells.iter().all(Cell::is_blank) {
                continue;
            }
            rows.push(GridRow { at: u64::from(first_row) + i as u64, cells });
        }
        Ok(Laid { first_col, width: width as u32, rows })
    }
}

/// Put cells read as `(row, column, cell)` in reading order, each place once. Cells need not
/// come in order; a later cell at the same place wins, as in calamine. They nearly always come
/// in order, each place once: then nothing is moved.
fn in_order(cells: &mut Vec<(u32, u32, Cell)>) {
    if cells.is_sorted_by(|a, b| (a.0, a.1) < (b.0, b.1)) {
        return;
    }
    cells.sort_by_key(|&(r, c, _)| (r, c));
    cells.reverse();
    cells.dedup_by_key(|&mut (r, c, _)| (r, c));
    cells.reverse();
}

/// Whether a calamine value makes a blank cell (see [`Cell::is_blank`]), without moving it.
fn is_blank(data: &Data) -> bool {
    match data {
        Data::Empty => true,
        Data::String(s) => crate::trim::is_blank(s),
        _ => false,
    }
}

fn to_cell(data: Data) -> Cell {
    match data {
        Data::Empty => Cell::Empty,
        Data::String(s) => Cell::Text(s.into()),
        Data::Int(i) => Cell::Number(i as f64),
        Data::Float(f) => Cell::Number(f),
        Data::Bool(b) => Cell::Bool(b),
        Data::DateTime(dt) => date_cell(dt),
        Data::DateTimeIso(s) | Data::DurationIso(s) => Cell::Date(s.into()),
        Data::Error(e) => Cell::Error(e.to_string().into()),
    }
}

/// [`to_cell`] of a value read cell by cell, borrowed: a shared string's text is copied once,
/// into the cell (short ones inline), not first into a `String` of its own.
fn ref_to_cell(data: &DataRef<'_>) -> Cell {
    match data {
        DataRef::Empty => Cell::Empty,
        DataRef::String(s) => Cell::Text(s.as_str().into()),
        DataRef::SharedString(s) => Cell::Text((*s).into()),
        DataRef::Int(i) => Cell::Number(*i as f64),
        DataRef::Float(f) => Cell::Number(*f),
        DataRef::Bool(b) => Cell::Bool(*b),
        DataRef::DateTime(dt) => date_cell(*dt),
        DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => Cell::Date(s.as_str().into()),
        DataRef::Error(e) => Cell::Error(e.to_string().into()),
    }
}

/// A date, a date and time, or a duration, as an ISO 8601 text.
fn date_cell(dt: calamine::ExcelDateTime) -> Cell {
    let (y, mo, d, h, mi, s, _) = dt.to_ymd_hms_milli();
    if dt.is_duration() {
        Cell::Date(format!("PT{}S", dt.as_f64() * 86400.0).into())
    } else if (h, mi, s) == (0, 0, 0) {
        Cell::Date(format!("{y:04}-{mo:02}-{d:02}").into())
    } else {
        Cell::Date(format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}").into())
    }
}

/// Builds [`Content`] from events, wherever they were read. It trusts nothing: every row is
/// made exactly as wide as its grid, and the grid limit is checked again.
pub struct Assembler<'a> {
    file: Arc<str>,
    limits: &'a Limits,
    sheets: Vec<Sheet>,
    width: usize,
    cells: u64,
}

impl<'a> Assembler<'a> {
    pub fn new(file: &Arc<str>, limits: &'a Limits) -> Self {
        Assembler { file: file.clone(), limits, sheets: Vec::new(), width: 0, cells: 0 }
    }

    pub fn push(&mut self, event: Event) -> Result<(), ReadError> {
        match event {
            Event::Worksheets(_) => {}
            Event::Passed { sheet, why } => {
                let loc = Loc::new(&self.file, Place::Sheet { sheet: Arc::from(sheet.as_str()) });
                let finding = match why {
                    Passed::Hidden | Passed::VeryHidden => {
                        let how = if why == Passed::Hidden { "hidden" } else { "very hidden" };
                        Finding::new(
                            Code::SheetHidden,
                            loc,
                            format!("sheet `{sheet}` is {how} and was not read"),
                            "hidden sheets are never read; if it holds data to submit, unhide it (right-click a sheet tab > Unhide)",
                        )
                    }
                    Passed::NotWorksheet(typ) => Finding::new(
                        Code::SheetSkipped,
                        loc,
                        format!("sheet `{sheet}` is a {typ}, not a worksheet, and was skipped"),
                        "only worksheets hold submission tables",
                    ),
                };
                self.sheets.push(Sheet::Note(finding));
            }
            Event::Grid { sheet, first_col, width } => {
                self.width = width as usize;
                self.cells = 0;
                self.sheets.push(Sheet::Grid(Grid::of(
                    GridKind::Sheet(Arc::from(sheet.as_str())),
                    first_col,
                    Vec::new(),
                )));
            }
            Event::Restart => {
                if let Some(Sheet::Grid(_)) = self.sheets.last() {
                    self.sheets.pop();
                }
            }
            Event::Extent { first_col, width } => {
                let wide = self.width;
                let grid = self.grid()?;
                // Within the grid's columns (a sheet of no cell spans none), or refused.
                let skip = match width {
                    0 => Some(0),
                    _ => first_col.checked_sub(grid.first_col).map(|s| s as usize),
                };
                let Some(skip) = skip.filter(|&s| s.saturating_add(width as usize) <= wide) else {
                    return Err(Self::unexpected("the spreadsheet reader sent columns outside its sheet"));
                };
                grid.first_col = first_col;
                for row in &mut grid.rows {
                    row.cells.truncate(skip + width as usize);
                    row.cells.drain(..skip);
                }
                self.width = width as usize;
            }
            Event::Rows(rows) => {
                self.grid()?;
                let rows = self.admit(rows)?;
                self.grid()?.rows.extend(rows);
            }
        }
        Ok(())
    }

    /// Rows of the current grid, made as wide as it and counted against its cell limit, as
    /// [`Assembler::push`] takes them in: for rows taken on elsewhere.
    pub fn admit(&mut self, mut rows: Vec<GridRow>) -> Result<Vec<GridRow>, ReadError> {
        let (width, limit) = (self.width, self.limits.grid_cells);
        for row in &mut rows {
            row.cells.resize(width, Cell::Empty);
            self.cells += width as u64;
            Limits::check("grid_cells", "the sheet's grid (rows × columns)", self.cells, limit)?;
        }
        Ok(rows)
    }

    /// The sheets assembled so far, taken: those pushed after go on from an empty list.
    pub fn take_sheets(&mut self) -> Vec<Sheet> {
        std::mem::take(&mut self.sheets)
    }

    /// The grid rows go to: the last sheet's.
    fn grid(&mut self) -> Result<&mut Grid, ReadError> {
        match self.sheets.last_mut() {
            Some(Sheet::Grid(grid)) => Ok(grid),
            _ => Err(Self::unexpected("the spreadsheet reader sent rows before a sheet")),
        }
    }

    fn unexpected(message: &str) -> ReadError {
        ReadError::Reported { code: Code::FileUnreadable, message: message.into(), hint: String::new() }
    }

    pub fn finish(self) -> Content {
        Content::Sheets(self.sheets)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(t: &str) -> Cell {
        Cell::Text(t.into())
    }

    /// What a workbook reads as, sent as read or read whole.
    fn content(bytes: &[u8], format: Format, as_read: bool) -> Result<Content, String> {
        let (file, limits) = (Arc::from("book"), Limits::default());
        let mut assembler = Assembler::new(&file, &limits);
        read_sheets(bytes, format, &limits, as_read, &mut |event| assembler.push(event)).map_err(|e| e.describe().1)?;
        Ok(assembler.finish())
    }

    /// A minimal xlsx of one sheet whose `<sheetData>` is `data`, under `dimension`.
    fn xlsx(dimension: &str, data: &str) -> Vec<u8> {
        use std::io::Write as _;
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let parts = [
            (
                "[Content_Types].xml",
                r#"<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#.to_owned(),
            ),
            (
                "_rels/.rels",
                r#"<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#.to_owned(),
            ),
            (
                "xl/workbook.xml",
                r#"<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Data" sheetId="1" r:id="rId1"/></sheets></workbook>"#.to_owned(),
            ),
            (
                "xl/_rels/workbook.xml.rels",
                r#"<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#.to_owned(),
            ),
            (
                "xl/worksheets/sheet1.xml",
                format!(
                    r#"<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><dimension ref="{dimension}"/><sheetData>{data}</sheetData></worksheet>"#
                ),
            ),
        ];
        for (name, text) in parts {
            zip.start_file(name, zip::write::SimpleFileOptions::default()).expect("a part");
            zip.write_all(text.as_bytes()).expect("its bytes");
        }
        zip.finish().expect("the package").into_inner()
    }

    fn row(r: u32, cells: &[(&str, &str)]) -> String {
        let cells: String =
            cells.iter().map(|(at, v)| format!(r#"<c r="{at}{r}" t="inlineStr"><is><t>{v}</t></is></c>"#)).collect();
        format!(r#"<row r="{r}">{cells}</row>"#)
    }

    /// A sheet sent as it is read is the grid the sheet read whole gives: the bundled
    /// workbooks, and sheets that do not stream (a dimension that lies, cells out of order
    /// after a batch was sent, a place written twice), which are read again.
    #[test]
    fn a_sheet_sent_as_read_is_the_sheet_read_whole() {
        // Every workbook among the tests' fixtures (other languages and layouts, and hostile
        // ones, which fail alike either way).
        let mut fixtures = Vec::new();
        let mut folders = vec![std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures"))];
        while let Some(folder) = folders.pop() {
            for entry in std::fs::read_dir(&folder).expect("the fixtures").flatten() {
                let path = entry.path();
                let format = match path.extension().and_then(|e| e.to_str()) {
                    Some("xlsx") => Format::Xlsx,
                    Some("xlsb") => Format::Xlsb,
                    _ if path.is_dir() => {
                        folders.push(path);
                        continue;
                    }
                    _ => continue,
                };
                fixtures.push((path.clone(), format, std::fs::read(&path).expect("a fixture")));
            }
        }
        assert!(fixtures.len() >= 25, "{} workbooks", fixtures.len());
        for (path, format, bytes) in &fixtures {
            assert_eq!(content(bytes, *format, true), content(bytes, *format, false), "{}", path.display());
        }
        let many: String = (1..=70_000).map(|r| row(r, &[("B", "x"), ("C", " ")])).collect();
        let made = [
            // As declared, a blank row between, a column declared but empty.
            xlsx("A1:D3", &(row(1, &[("B", "kpi"), ("C", "value")]) + &row(2, &[("C", " ")]) + &row(3, &[("B", "a")]))),
            // A cell outside the declared dimension.
            xlsx("B1:B2", &(row(1, &[("B", "kpi")]) + &row(2, &[("C", "far")]))),
            // More than a batch in order, then a row again: a later cell at a place wins.
            xlsx("B1:C70000", &(many + &row(5, &[("B", "again")]))),
            // No cell at all, under a dimension that starts at C.
            xlsx("C1:D2", ""),
            // A dimension far wider than its cells: read whole once mostly empty.
            xlsx("A1:XFD2000", &(1..=2000).map(|r| row(r, &[("A", "x")])).collect::<String>()),
            // One place twice in a row.
            xlsx(
                "A1:A1",
                r#"<row r="1"><c r="A1" t="inlineStr"><is><t>one</t></is></c><c r="A1" t="inlineStr"><is><t>two</t></is></c></row>"#,
            ),
        ];
        for bytes in &made {
            let whole = content(bytes, Format::Xlsx, false);
            assert_eq!(content(bytes, Format::Xlsx, true), whole);
            assert!(whole.is_ok(), "{whole:?}");
        }
        let Ok(Content::Sheets(sheets)) = content(&made[2], Format::Xlsx, true) else { panic!("a workbook") };
        let Some(Sheet::Grid(grid)) = sheets.first() else { panic!("a grid") };
        assert_eq!((grid.first_col, grid.rows.len(), grid.rows[4].cells[0].to_string()), (1, 70_000, "again".into()));
        let Ok(Content::Sheets(sheets)) = content(&made[0], Format::Xlsx, true) else { panic!("a workbook") };
        let Some(Sheet::Grid(grid)) = sheets.first() else { panic!("a grid") };
        assert_eq!((grid.first_col, grid.rows.len(), grid.rows[0].cells.len()), (1, 2, 2), "{grid:?}");
    }

    /// The events of a sheet sent as read, from a worker that trusts nothing: a restart drops the
    /// grid; an extent outside the grid is refused.
    #[test]
    fn restart_and_extent_are_checked() {
        let (file, limits) = (Arc::from("book"), Limits::default());
        let grid = |sheet: &str| Event::Grid { sheet: sheet.into(), first_col: 2, width: 3 };
        let rows = Event::Rows(vec![GridRow { at: 0, cells: vec![text("a"), text("b"), text("c")] }]);
        let mut a = Assembler::new(&file, &limits);
        for event in [grid("x"), rows.clone(), Event::Restart, grid("x"), rows] {
            a.push(event).expect("accepted");
        }
        a.push(Event::Extent { first_col: 3, width: 2 }).expect("within the grid");
        let Content::Sheets(sheets) = a.finish() else { panic!("sheets") };
        let [Sheet::Grid(g)] = &sheets[..] else { panic!("one grid: {sheets:?}") };
        assert_eq!((g.first_col, g.rows[0].cells.clone()), (3, vec![text("b"), text("c")]));
        for extent in [Event::Extent { first_col: 1, width: 1 }, Event::Extent { first_col: 4, width: 2 }] {
            let mut a = Assembler::new(&file, &limits);
            a.push(grid("x")).expect("a grid");
            assert!(a.push(extent).is_err());
        }
        assert!(Assembler::new(&file, &limits).push(Event::Extent { first_col: 0, width: 0 }).is_err());
    }

    #[test]
    fn cells_come_in_reading_order_and_a_later_one_at_a_place_wins() {
        let ordered = vec![(0, 0, text("a")), (0, 2, text("b")), (3, 1, text("c"))];
        let mut cells = ordered.clone();
        in_order(&mut cells);
        assert_eq!(cells, ordered);
        // Out of order, and written twice at (0, 2): the later `B` is kept.
        let mut cells = vec![(3, 1, text("c")), (0, 2, text("b")), (0, 0, text("a")), (0, 2, text("B"))];
        in_order(&mut cells);
        assert_eq!(cells, vec![(0, 0, text("a")), (0, 2, text("B")), (3, 1, text("c"))]);
        // In order but for one place given twice in a row: the later wins too.
        let mut cells = vec![(0, 0, text("a")), (0, 0, text("A")), (1, 0, text("b"))];
        in_order(&mut cells);
        assert_eq!(cells, vec![(0, 0, text("A")), (1, 0, text("b"))]);
    }
}
