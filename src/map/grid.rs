//! Tables in grids (spreadsheet sheets and CSV files), in whatever layout they come:
//!
//! - **long**: a header row naming `kpi` and `value` (and whichever other columns), one
//!   observation per row below it;
//! - **years across**: a header with an indicator column and years (`Indicator | Unit | 2022 |
//!   2023`), KPIs down the rows;
//! - **KPIs across**: a header with a year column and KPI names, perhaps with their units
//!   (`Year | GHG emissions (MtCO2e) | Jobs ('000)`), years down the rows;
//! - **two-row header**: KPI names over a row of years (merged or not), one row per cluster.
//!
//! The header may stand anywhere in the first rows, under titles, notes and a metadata block
//! (`Cluster: …`, `Currency: …`) whose values are defaults for the table's rows. Each
//! observation's cells keep their exact location: in a wide table the value's own cell.

use std::sync::Arc;

use super::cues::{Cue, classify, show, split_header_unit};
use super::{Mapped, RawRow, missing_columns, unknown_column};
use crate::diag::{Code, Finding, Loc, Place, column_letters};
use crate::read::{Cell, Grid, GridKind, GridRow};
use crate::schema::{Field, MetaKey, Schema};

/// How many non-blank rows from the top are searched for the header.
const HEADER_SCAN: usize = 30;

/// The layouts, with the header row(s) and the roles of their columns.
#[derive(Debug)]
enum Layout {
    Long { header: usize, columns: Vec<Option<Field>> },
    YearsAcross { header: usize, kpi: usize, unit: Option<usize>, cluster: Option<usize>, years: Vec<(usize, i32)> },
    KpisAcross { header: usize, year: usize, cluster: Option<usize>, kpis: Vec<(usize, String, Option<String>)> },
    TwoRow { header: usize, cluster: usize, columns: Vec<(usize, String, Option<String>, i32)> },
}

/// Values given for the whole table by a metadata block.
#[derive(Default)]
struct Defaults {
    fields: Vec<(Field, Cell, Place)>,
    currency: Option<String>,
    submitted: Option<String>,
}

/// Map one grid's table into `out`; false when the grid holds no table.
pub(super) fn map(mut grid: Grid, file: &Arc<str>, schema: &Schema, out: &mut Mapped) -> bool {
    let cues: Vec<Vec<Cue>> =
        grid.rows.iter().take(HEADER_SCAN).map(|r| r.cells.iter().map(|c| classify(c, schema)).collect()).collect();
    let where_ = match &grid.kind {
        GridKind::Sheet(s) => format!("sheet `{s}`"),
        GridKind::Lines => "the file".to_owned(),
    };
    let Some(layout) = detect(&cues) else {
        let found: Vec<String> = grid
            .rows
            .iter()
            .take(3)
            .map(|r| {
                let cells: Vec<String> =
                    r.cells.iter().filter(|c| !c.is_blank()).take(6).map(|c| format!("`{}`", show(c))).collect();
                format!("{}: {}", Loc::new(file, grid.row_place(r)).place, cells.join(", "))
            })
            .collect();
        let message = format!(
            "{where_} has no table clusterkpi recognises: no header row naming `kpi` and `value`, or KPI names beside years, in its first {HEADER_SCAN} rows{}",
            if found.is_empty() { String::new() } else { format!(" (found {})", found.join("; ")) }
        );
        out.explain(format!("{where_}: skipped, no table found"));
        if let GridKind::Sheet(_) = &grid.kind {
            out.note(Finding::new(
                Code::SheetSkipped,
                Loc::new(file, grid.place()),
                message,
                "instructions, notes and charts are skipped; a sheet of data needs a header row such as `cluster, year, kpi, value, unit`",
            ));
        } else {
            out.no_table = Some(message);
        }
        return false;
    };
    let header = match &layout {
        Layout::Long { header, .. } | Layout::YearsAcross { header, .. } | Layout::KpisAcross { header, .. } => *header,
        Layout::TwoRow { header, .. } => *header,
    };
    out.explain(describe(&layout, &grid, schema, &where_));
    let defaults = metadata(&grid, &cues, header, out);
    if out.submitted_at.is_none() {
        out.submitted_at.clone_from(&defaults.submitted);
    }
    match layout {
        Layout::Long { header, columns } => long(&mut grid, header, &columns, &defaults, file, schema, out),
        Layout::YearsAcross { header, kpi, unit, cluster, years } => {
            let data: Vec<GridRow> = grid.rows.drain(header + 1..).collect();
            let header_row = &grid.rows[header];
            for row in &data {
                let Some(label) = row.cells.get(kpi).filter(|c| !c.is_blank()) else { continue };
                let label = label.to_string();
                let (name, header_unit) = split_header_unit(&label);
                let name = name.to_owned();
                for &(col, year) in &years {
                    let mut raw = RawRow::new(Loc::new(file, grid.row_place(row)));
                    raw.set(Field::Kpi, Cell::Text(name.clone()), Loc::new(file, grid.cell_place(row, kpi)));
                    raw.set(
                        Field::Year,
                        Cell::Number(f64::from(year)),
                        Loc::new(file, grid.exact_place(header_row, col)),
                    );
                    if let Some(u) = unit.and_then(|u| row.cells.get(u)).filter(|c| !c.is_blank()) {
                        raw.set(Field::Unit, u.clone(), Loc::new(file, grid.cell_place(row, unit.unwrap_or_default())));
                    } else if let Some(u) = &header_unit {
                        raw.set(Field::Unit, Cell::Text(u.clone()), Loc::new(file, grid.cell_place(row, kpi)));
                    }
                    if let Some(c) = cluster.and_then(|c| row.cells.get(c)).filter(|c| !c.is_blank()) {
                        raw.set(
                            Field::Cluster,
                            c.clone(),
                            Loc::new(file, grid.cell_place(row, cluster.unwrap_or_default())),
                        );
                    }
                    value(&mut raw, row, col, &grid, &defaults, file, schema, out);
                }
            }
        }
        Layout::KpisAcross { header, year, cluster, kpis } => {
            let data: Vec<GridRow> = grid.rows.drain(header + 1..).collect();
            let header_row = &grid.rows[header];
            for row in &data {
                let Some(y) = row.cells.get(year).filter(|c| !c.is_blank()) else { continue };
                for (col, name, unit) in &kpis {
                    let mut raw = RawRow::new(Loc::new(file, grid.row_place(row)));
                    let head = Loc::new(file, grid.exact_place(header_row, *col));
                    raw.set(Field::Kpi, Cell::Text(name.clone()), head.clone());
                    if let Some(u) = unit {
                        raw.set(Field::Unit, Cell::Text(u.clone()), head);
                    }
                    raw.set(Field::Year, y.clone(), Loc::new(file, grid.cell_place(row, year)));
                    if let Some(c) = cluster.and_then(|c| row.cells.get(c)).filter(|c| !c.is_blank()) {
                        raw.set(
                            Field::Cluster,
                            c.clone(),
                            Loc::new(file, grid.cell_place(row, cluster.unwrap_or_default())),
                        );
                    }
                    value(&mut raw, row, *col, &grid, &defaults, file, schema, out);
                }
            }
        }
        Layout::TwoRow { header, cluster, columns } => {
            let data: Vec<GridRow> = grid.rows.drain(header + 2..).collect();
            let (group_row, year_row) = (&grid.rows[header], &grid.rows[header + 1]);
            for row in &data {
                let Some(c) = row.cells.get(cluster).filter(|c| !c.is_blank()) else { continue };
                for (col, name, unit, year) in &columns {
                    let mut raw = RawRow::new(Loc::new(file, grid.row_place(row)));
                    let group = Loc::new(file, grid.exact_place(group_row, first_of_group(&columns, *col)));
                    raw.set(Field::Kpi, Cell::Text(name.clone()), group.clone());
                    if let Some(u) = unit {
                        raw.set(Field::Unit, Cell::Text(u.clone()), group);
                    }
                    raw.set(
                        Field::Year,
                        Cell::Number(f64::from(*year)),
                        Loc::new(file, grid.exact_place(year_row, *col)),
                    );
                    raw.set(Field::Cluster, c.clone(), Loc::new(file, grid.cell_place(row, cluster)));
                    value(&mut raw, row, *col, &grid, &defaults, file, schema, out);
                }
            }
        }
    }
    true
}

/// The column of the group header a two-row column sits under.
fn first_of_group(columns: &[(usize, String, Option<String>, i32)], col: usize) -> usize {
    let Some(i) = columns.iter().position(|c| c.0 == col) else { return col };
    let name = &columns[i].1;
    let mut first = col;
    for c in columns[..i].iter().rev() {
        if &c.1 != name || c.0 + 1 != first {
            break;
        }
        first = c.0;
    }
    first
}

/// Add the value of cell `col` of `row` to `raw` and push it, or count it as not reported.
#[allow(clippy::too_many_arguments)]
fn value(
    raw: &mut RawRow,
    row: &GridRow,
    col: usize,
    grid: &Grid,
    defaults: &Defaults,
    file: &Arc<str>,
    schema: &Schema,
    out: &mut Mapped,
) {
    let cell = row.cells.get(col).cloned().unwrap_or_default();
    if is_not_reported(&cell, schema) {
        out.not_reported += 1;
        return;
    }
    raw.set(Field::Value, cell, Loc::new(file, grid.exact_place(row, col)));
    apply(raw, defaults, file);
    let fresh = RawRow::new(raw.loc.clone());
    out.row(std::mem::replace(raw, fresh));
}

fn is_not_reported(cell: &Cell, schema: &Schema) -> bool {
    match cell {
        Cell::Empty => true,
        Cell::Text(t) => schema.layout.is_marker(t),
        _ => false,
    }
}

/// Fill the fields a row lacks from the table's metadata.
fn apply(raw: &mut RawRow, defaults: &Defaults, file: &Arc<str>) {
    for (field, cell, place) in &defaults.fields {
        if raw.get(*field).is_none() {
            raw.set(*field, cell.clone(), Loc::new(file, place.clone()));
        }
    }
    raw.currency.clone_from(&defaults.currency);
}

/// `row 6` of a sheet, `line 1` of a text file.
fn row_no(grid: &Grid, index: usize) -> String {
    match grid.row_place(&grid.rows[index]) {
        Place::Row { row, .. } => format!("row {}", u64::from(row) + 1),
        Place::Line { line, .. } => format!("line {line}"),
        other => other.to_string(),
    }
}

/// `` `GHG emissions (MtCO2e)` → ghg_emissions, unit `MtCO2e` `` for the explanation.
fn kpi_role(schema: &Schema, name: &str, unit: &Option<String>) -> String {
    let id = schema.kpis.find(name).map_or("?", |k| k.id.as_str());
    match unit {
        Some(u) => format!("`{name}` → {id}, unit `{u}` from the header"),
        None => format!("`{name}` → {id}"),
    }
}

/// The explanation of a layout: where its header is, and what each column was taken as.
fn describe(layout: &Layout, grid: &Grid, schema: &Schema, where_: &str) -> String {
    match layout {
        Layout::Long { header, columns } => {
            let roles: Vec<String> = columns
                .iter()
                .enumerate()
                .filter_map(|(c, f)| {
                    Some(format!(
                        "{} `{}` → {}",
                        col_name(grid, c),
                        show(&grid.rows[*header].cells[c]),
                        f.as_ref()?.as_str()
                    ))
                })
                .collect();
            format!("{where_}: long table, header at {}: {}", row_no(grid, *header), roles.join(", "))
        }
        Layout::YearsAcross { header, kpi, unit, years, .. } => format!(
            "{where_}: years across, header at {}: {} → kpi, {}years {}; one value per KPI row and year",
            row_no(grid, *header),
            col_name(grid, *kpi),
            unit.map_or(String::new(), |u| format!("{} → unit, ", col_name(grid, u))),
            years.iter().map(|(c, y)| format!("{} {y}", col_name(grid, *c))).collect::<Vec<_>>().join(", ")
        ),
        Layout::KpisAcross { header, year, kpis, .. } => format!(
            "{where_}: KPIs across, header at {}: {} → year; {}",
            row_no(grid, *header),
            col_name(grid, *year),
            kpis.iter()
                .map(|(c, name, unit)| format!("{} {}", col_name(grid, *c), kpi_role(schema, name, unit)))
                .collect::<Vec<_>>()
                .join("; ")
        ),
        Layout::TwoRow { header, cluster, columns } => {
            let mut groups: Vec<String> = Vec::new();
            for (c, name, unit, year) in columns {
                let role = kpi_role(schema, name, unit);
                match groups.last_mut() {
                    Some(last) if last.starts_with(&role) => last.push_str(&format!(", {year}")),
                    _ => groups.push(format!("{role} over {} {year}", col_name(grid, *c))),
                }
            }
            format!(
                "{where_}: two-row header at {} and {} (KPIs over years), clusters down {}: {}",
                row_no(grid, *header),
                row_no(grid, header + 1),
                col_name(grid, *cluster),
                groups.join("; ")
            )
        }
    }
}

fn col_name(grid: &Grid, col: usize) -> String {
    match grid.kind {
        GridKind::Sheet(_) => format!("column {}", column_letters(grid.first_col + col as u32)),
        GridKind::Lines => format!("field {}", col + 1),
    }
}

/// The first row, top down, that heads a table, and its layout.
fn detect(cues: &[Vec<Cue>]) -> Option<Layout> {
    for (r, row) in cues.iter().enumerate() {
        let field = |f: Field| row.iter().position(|c| *c == Cue::Field(f));
        let kpis: Vec<(usize, String, Option<String>)> = row
            .iter()
            .enumerate()
            .filter_map(|(i, c)| match c {
                Cue::Kpi { name, unit } => Some((i, name.clone(), unit.clone())),
                _ => None,
            })
            .collect();
        let years: Vec<(usize, i32)> = row
            .iter()
            .enumerate()
            .filter_map(|(i, c)| if let Cue::Year(y) = c { Some((i, *y)) } else { None })
            .collect();
        if field(Field::Value).is_some() && field(Field::Kpi).is_some() {
            let columns = row.iter().map(|c| if let Cue::Field(f) = c { Some(*f) } else { None }).collect();
            return Some(Layout::Long { header: r, columns });
        }
        if let (Some(kpi), true) = (field(Field::Kpi), years.len() >= 2) {
            return Some(Layout::YearsAcross {
                header: r,
                kpi,
                unit: field(Field::Unit),
                cluster: field(Field::Cluster),
                years,
            });
        }
        if let (Some(year), false) = (field(Field::Year), kpis.is_empty()) {
            return Some(Layout::KpisAcross { header: r, year, cluster: field(Field::Cluster), kpis });
        }
        if !kpis.is_empty()
            && let Some(next) = cues.get(r + 1)
        {
            // KPI names over years: each year column takes the KPI named at or left of it.
            let mut columns = Vec::new();
            let mut current: Option<(String, Option<String>)> = None;
            for (i, cue) in row.iter().enumerate().chain((row.len()..next.len()).map(|i| (i, &Cue::Other))) {
                match cue {
                    Cue::Kpi { name, unit } => current = Some((name.clone(), unit.clone())),
                    Cue::Other if !matches!(next.get(i), Some(Cue::Year(_))) => current = None,
                    _ => {}
                }
                if let (Some((name, unit)), Some(Cue::Year(y))) = (&current, next.get(i)) {
                    columns.push((i, name.clone(), unit.clone(), *y));
                }
            }
            let cluster = field(Field::Cluster).or_else(|| next.iter().position(|c| *c == Cue::Field(Field::Cluster)));
            if let (Some(cluster), false) = (cluster, columns.is_empty()) {
                return Some(Layout::TwoRow { header: r, cluster, columns });
            }
        }
    }
    None
}

/// The metadata block above the header: `Label: value` lines give defaults; other lines
/// (titles, "prepared by") are passed over, and the explanation says so.
fn metadata(grid: &Grid, cues: &[Vec<Cue>], header: usize, out: &mut Mapped) -> Defaults {
    let mut d = Defaults::default();
    for (r, row) in grid.rows.iter().take(header).enumerate() {
        let Some(first) = row.cells.iter().position(|c| !c.is_blank()) else { continue };
        let Cue::Meta { key, value } = &cues[r][first] else {
            out.explain(format!(
                "  {} above the table: passed over (`{}`)",
                grid.row_place(row),
                show(&row.cells[first])
            ));
            continue;
        };
        let (cell, place) = match value {
            Some(v) => (Cell::Text(v.clone()), grid.cell_place(row, first)),
            None => match row.cells.iter().enumerate().skip(first + 1).find(|(_, c)| !c.is_blank()) {
                Some((i, c)) => (c.clone(), grid.cell_place(row, i)),
                None => continue,
            },
        };
        let name = format!("{key:?}").to_lowercase();
        out.explain(format!("  {place}: metadata, {name} = `{}` for every row", show(&cell)));
        match key {
            MetaKey::Cluster => d.fields.push((Field::Cluster, cell, place)),
            MetaKey::Country => d.fields.push((Field::Country, cell, place)),
            MetaKey::Year => d.fields.push((Field::Year, cell, place)),
            MetaKey::Unit => d.fields.push((Field::Unit, cell, place)),
            MetaKey::Currency => d.currency = cell.text(),
            MetaKey::Submitted => d.submitted = cell.text(),
        }
    }
    d
}

/// A long table: one observation per row.
fn long(
    grid: &mut Grid,
    h: usize,
    columns: &[Option<Field>],
    defaults: &Defaults,
    file: &Arc<str>,
    schema: &Schema,
    out: &mut Mapped,
) {
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
    // The metadata block and the registry may stand in for missing columns.
    let given: Vec<Field> = found.iter().copied().chain(defaults.fields.iter().map(|(f, _, _)| *f)).collect();
    if let Some(finding) = missing_columns(&given, &Loc::new(file, grid.row_place(header)), &schema.fields) {
        out.note(finding);
        blocked = Some(Code::MissingColumn);
    }

    let data: Vec<_> = grid.rows.drain(h + 1..).collect();
    report_unnamed_columns(grid, &data, columns, file, out);
    let value_col = columns.iter().position(|c| *c == Some(Field::Value));
    let kpi_col = columns.iter().position(|c| *c == Some(Field::Kpi));
    for mut row in data {
        if blocked.is_none() && value_col.is_some_and(|v| row.cells.get(v).is_none_or(|c| is_not_reported(c, schema))) {
            // A row whose figure is "n/a", "-" or empty reports nothing: no observation, no
            // error. A line with no KPI either is a note under the table ("Source: …").
            if kpi_col.is_some_and(|k| row.cells.get(k).is_some_and(|c| !c.is_blank())) {
                out.not_reported += 1;
            } else if let Some(first) = row.cells.iter().find(|c| !c.is_blank()) {
                out.explain(format!("  {} below the header: passed over (`{}`)", grid.row_place(&row), show(first)));
            }
            continue;
        }
        let mut raw = RawRow::new(Loc::new(file, grid.row_place(&row)));
        raw.blocked = blocked;
        if blocked.is_none()
            && let Some(finding) = shifted(grid, &row.cells, columns.len(), &raw.loc)
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
        // A KPI cell may carry its unit: `GHG emissions (MtCO2e)`.
        if let Some(k) = raw.get(Field::Kpi)
            && let Cell::Text(t) = &k.cell
            && let (name, Some(unit)) = split_header_unit(t)
            && schema.kpis.find(name).is_some()
        {
            let (name, loc) = (name.to_owned(), k.loc.clone());
            raw.set(Field::Kpi, Cell::Text(name), loc.clone());
            if raw.get(Field::Unit).is_none_or(|u| u.cell.is_blank()) {
                raw.set(Field::Unit, Cell::Text(unit), loc);
            }
        }
        apply(&mut raw, defaults, file);
        out.row(raw);
    }
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
            let letter = column_letters(grid.first_col + c as u32);
            out.note(Finding::new(
                Code::UnknownColumn,
                loc,
                format!("column {letter} of sheet `{sheet}` has values but no header, and was ignored"),
                "give the column a canonical header, or move what it says into `notes`",
            ));
        }
    }
}
