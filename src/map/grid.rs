//! Tables in grids (spreadsheet sheets and CSV files).

use std::sync::Arc;

use super::{Mapped, RawRow, missing_columns, unknown_column};
use crate::diag::{Code, Finding, Loc};
use crate::read::{Cell, Grid, GridKind, GridRow};
use crate::schema::{Field, Fields};

/// How many non-blank rows from the top are searched for the header.
const HEADER_SCAN: usize = 30;
/// A header names `value` and at least this many canonical columns in all.
const HEADER_MIN_FIELDS: usize = 3;

/// Map one grid's table into `out`; false when the grid holds no table.
pub(super) fn map(mut grid: Grid, file: &Arc<str>, fields: &Fields, out: &mut Mapped) -> bool {
    let Some((h, columns)) = find_header(&grid, fields) else {
        if let GridKind::Sheet(sheet) = &grid.kind {
            out.note(Finding::new(
                Code::SheetSkipped,
                Loc::new(file, grid.place()),
                format!("sheet `{sheet}` has no header row naming the canonical columns and was skipped"),
                "if the sheet holds data to submit, give it a header row `cluster, country, year, kpi, value, unit`",
            ));
        }
        return false;
    };

    let header = &grid.rows[h];
    let mut blocked = None;
    let mut found: Vec<Field> = Vec::new();
    for (c, field) in columns.iter().enumerate() {
        let loc = Loc::new(file, grid.cell_place(header, c));
        match field {
            Some(f) if found.contains(f) => {
                blocked = Some(Code::DuplicateColumn);
                out.note(Finding::new(
                    Code::DuplicateColumn,
                    loc.with_column(f.as_str()),
                    format!("a second column is headed `{}`; every row of this table is rejected", f.as_str()),
                    "keep one column per canonical field and rename or delete the other",
                ));
            }
            Some(f) => found.push(*f),
            None => {
                if let Some(name) = header.cells[c].text().filter(|t| !t.is_empty()) {
                    out.note(unknown_column(loc, &name));
                }
            }
        }
    }
    if let Some(finding) = missing_columns(&found, &Loc::new(file, grid.row_place(header)), fields) {
        out.note(finding);
        blocked = Some(Code::MissingColumn);
    }

    let data: Vec<_> = grid.rows.drain(h + 1..).collect();
    report_unnamed_columns(&grid, &data, &columns, file, out);
    for mut row in data {
        let mut raw = RawRow::new(Loc::new(file, grid.row_place(&row)));
        raw.blocked = blocked;
        if blocked.is_none()
            && let Some(finding) = shifted(&grid, &row.cells, columns.len(), &raw.loc)
        {
            out.note(finding);
            raw.blocked = Some(Code::RowShape);
        }
        for (c, field) in columns.iter().enumerate() {
            if let (Some(f), Some(cell)) = (field, row.cells.get_mut(c)) {
                let cell = std::mem::take(cell);
                if raw.get(*f).is_none() {
                    raw.set(*f, cell, Loc::new(file, grid.cell_place(&row, c)));
                }
            }
        }
        out.row(raw);
    }
    true
}

/// A text record with more fields than its header has had its columns shifted, most often by a
/// decimal comma in an unquoted number (`12,5`): nothing in it can be trusted, even when the
/// fields pushed past the header are empty.
fn shifted(grid: &Grid, cells: &[Cell], width: usize, loc: &Loc) -> Option<Finding> {
    if grid.kind != GridKind::Lines || cells.len() <= width {
        return None;
    }
    Some(Finding::new(
        Code::RowShape,
        loc.clone(),
        format!(
            "the row has {} fields but the header has {width}, so its values are in the wrong columns",
            cells.len()
        ),
        "quote any value that contains the delimiter (e.g. \"12,5\"), or write numbers with `.` as the decimal point",
    ))
}

/// A sheet column with values under no header is ignored: say so once per column.
fn report_unnamed_columns(grid: &Grid, data: &[GridRow], columns: &[Option<Field>], file: &Arc<str>, out: &mut Mapped) {
    let GridKind::Sheet(sheet) = &grid.kind else { return };
    let width = data.iter().map(|r| r.cells.len()).max().unwrap_or(0);
    for c in 0..width {
        let headed = columns.get(c).is_some_and(Option::is_some);
        let header_text = grid.rows.last().and_then(|h| h.cells.get(c)).is_some_and(|cell| !cell.is_blank());
        if headed || header_text {
            continue;
        }
        if let Some(row) = data.iter().find(|r| r.cells.get(c).is_some_and(|cell| !cell.is_blank())) {
            let loc = Loc::new(file, grid.cell_place(row, c));
            let letter = crate::diag::column_letters(grid.first_col + c as u32);
            out.note(Finding::new(
                Code::UnknownColumn,
                loc,
                format!("column {letter} of sheet `{sheet}` has values but no header, and was ignored"),
                "give the column a canonical header, or move what it says into `notes`",
            ));
        }
    }
}

/// The index of the header row and the field each of its columns names.
fn find_header(grid: &Grid, fields: &Fields) -> Option<(usize, Vec<Option<Field>>)> {
    grid.rows.iter().take(HEADER_SCAN).enumerate().find_map(|(i, row)| {
        let columns: Vec<Option<Field>> = row
            .cells
            .iter()
            .map(|c| match c {
                Cell::Text(t) => fields.find(t),
                _ => None,
            })
            .collect();
        let named = columns.iter().flatten().count();
        (columns.contains(&Some(Field::Value)) && named >= HEADER_MIN_FIELDS).then_some((i, columns))
    })
}
