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
//! A long table's data rows are mapped a batch at a time, its chunks on every core, in file
//! order; given a [`Sink`], each batch's rows go to it (to be checked) while the next is mapped.
//! A text file's rows may come packed ([`crate::read::Packed`]): the first rows are unpacked to
//! find the header, the others a piece at a time as a long table's rows are mapped, or all at
//! once for any other layout, so that every layout reads the rows the file read whole gives.
//! A sheet's rows may still be coming from its reader ([`Coming`]): a long table's are then
//! mapped and checked as they come, each batch checked against what the first rows said of the
//! whole table ([`super::head`]); any other table, or a batch that says otherwise, makes the map
//! decline them (the file is then mapped whole).

use std::sync::Arc;

use super::cues::{Cue, classify, show, split_unit};
use super::head::Head;
use super::seen::Seen;
use super::{Mapped, RawRow, Sink, header_read, kpi_refused, missing_columns, unknown_column};
use crate::diag::{Code, Finding, Loc, Place, column_letters};
use crate::number::Decimal;
use crate::read::streamed::Coming;
use crate::read::{Cell, Grid, GridKind, GridRow, Packed, Unpack};
use crate::schema::{Field, MetaKey, NameMatch, Schema};

/// How many non-blank rows from the top are searched for the header.
const HEADER_SCAN: usize = 30;

/// The layouts, with the header row(s) and the roles of their columns.
#[derive(Debug)]
enum Layout {
    /// `inferred`: the columns read from their contents rather than their header.
    Long {
        header: usize,
        columns: Vec<Option<Field>>,
        inferred: Vec<usize>,
    },
    /// `fields`: the other columns the header names (unit, cluster, country…), one per field.
    YearsAcross {
        header: usize,
        kpi: usize,
        fields: Vec<(usize, Field)>,
        years: Vec<(usize, i32)>,
    },
    KpisAcross {
        header: usize,
        year: usize,
        fields: Vec<(usize, Field)>,
        kpis: Vec<(usize, String, Option<String>)>,
    },
    TwoRow {
        header: usize,
        cluster: usize,
        columns: Vec<(usize, String, Option<String>, i32)>,
    },
}

/// Values given for the whole table by a metadata block.
impl Layout {
    /// The row of the (first) header.
    fn header(&self) -> usize {
        match self {
            Layout::Long { header, .. } | Layout::YearsAcross { header, .. } | Layout::KpisAcross { header, .. } => {
                *header
            }
            Layout::TwoRow { header, .. } => *header,
        }
    }
}

#[derive(Default)]
struct Defaults {
    fields: Vec<(Field, Cell, Place)>,
    currency: Option<String>,
    submitted: Option<String>,
}

/// Map one grid's table into `out`; false when the grid holds no table.
pub(super) fn map(
    mut grid: Grid,
    file: &Arc<str>,
    schema: &Schema,
    out: &mut Mapped,
    sink: Option<&mut dyn Sink>,
    mut coming: Option<&mut dyn Coming>,
) -> bool {
    // The header is searched in rows unpacked. Only a long table's data rows, on their way to be
    // checked, are mapped from packed pieces; any other table is mapped from the whole grid.
    grid.unpack_head(if sink.is_some() { Unpack::Head(HEADER_SCAN + 2) } else { Unpack::All });
    let mut scan = Scan::new(&grid.rows);
    let found = (0..grid.rows.len().min(HEADER_SCAN)).find_map(|r| detect(&mut scan, r, schema));
    // Rows still coming are mapped as they come only below a long table's header found among
    // rows all in (not read from its columns' contents), and checked.
    let streams = sink.is_some() && grid.rows.len() > HEADER_SCAN && matches!(found, Some(Layout::Long { .. }));
    if let Some(rest) = coming.as_deref_mut().filter(|_| !streams) {
        rest.decline();
        return false;
    }
    if !grid.rest.is_empty() && !matches!(found, Some(Layout::Long { .. })) {
        drop(scan);
        grid.unpack();
        scan = Scan::new(&grid.rows);
    }
    // The rows above a header are its metadata; without one, every row scanned is looked at.
    let cues = scan.up_to(found.as_ref().map_or(HEADER_SCAN, |l| l.header() + 1), schema);
    let where_ = match &grid.kind {
        GridKind::Sheet(s) => format!("sheet `{s}`"),
        GridKind::Lines => "the file".to_owned(),
    };
    let Some(mut layout) = found.or_else(|| by_contents(&grid, cues, schema)) else {
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
    let header = layout.header();
    if let Layout::Long { header, columns, inferred } = &mut layout {
        contents(&grid, *header, columns, inferred, file, schema, out);
    }
    out.explain(describe(&layout, &grid, schema, &where_));
    out.tables.push(grid.row_place(&grid.rows[header]));
    // Every cell from the header down, to report at the end those nothing read.
    out.seen = Seen::new(&grid.rows[header..]);
    let header_rows = if matches!(layout, Layout::TwoRow { .. }) { header..header + 2 } else { header..header + 1 };
    for r in header_rows {
        headers_read(&grid, r, file, schema, out);
        for (c, cell) in grid.rows[r].cells.iter().enumerate() {
            if !cell.is_blank() {
                out.seen.mark(grid.rows[r].at, c);
            }
        }
    }
    let defaults = metadata(&grid, cues, header, out);
    if out.submitted_at.is_none() {
        out.submitted_at.clone_from(&defaults.submitted);
    }
    // A long table's data rows are gone once mapped: the findings about their unread cells.
    let mut unread = Vec::new();
    match layout {
        Layout::Long { header, columns, .. } => {
            unread = long(&mut grid, header, &columns, &defaults, file, schema, out, sink, coming);
        }
        Layout::YearsAcross { header, kpi, fields, years } => {
            let taken: Vec<usize> =
                std::iter::once(kpi).chain(fields.iter().map(|f| f.0)).chain(years.iter().map(|y| y.0)).collect();
            let unread = unread_columns(&grid, header, &taken, file, schema, out);
            let (header_row, data) = (&grid.rows[header], &grid.rows[header + 1..]);
            for row in data {
                let label = row.cells.get(kpi).filter(|c| !c.is_blank()).map(Cell::to_string);
                if label.is_none() && !has_values(row, years.iter().map(|y| y.0), schema) {
                    continue;
                }
                let (name, header_unit) = match &label {
                    Some(l) => {
                        let (n, u) = split_unit(l, schema);
                        (Some(n.to_owned()), u)
                    }
                    None => (None, None),
                };
                for &(col, year) in &years {
                    let mut raw = RawRow::new(Loc::new(file, grid.row_place(row)));
                    raw.blocked = unread.contains(&col).then_some(Code::KpiUnknown);
                    if let Some(name) = &name {
                        raw.set(Field::Kpi, Cell::Text(name.as_str().into()), grid.cell_place(row, kpi));
                        out.seen.mark(row.at, kpi);
                    }
                    raw.set(Field::Year, Cell::Number(f64::from(year)), grid.exact_place(header_row, col));
                    set_fields(&mut raw, row, &fields, &grid, out);
                    if let (None, Some(u)) = (raw.get(Field::Unit), &header_unit) {
                        raw.set(Field::Unit, Cell::Text(u.as_str().into()), grid.cell_place(row, kpi));
                    }
                    value(&mut raw, row, col, &grid, &defaults, schema, out);
                }
            }
        }
        Layout::KpisAcross { header, year, fields, mut kpis } => {
            let taken: Vec<usize> =
                std::iter::once(year).chain(fields.iter().map(|f| f.0)).chain(kpis.iter().map(|k| k.0)).collect();
            let unread = unread_columns(&grid, header, &taken, file, schema, out);
            let (header_row, data) = (&grid.rows[header], &grid.rows[header + 1..]);
            // A column of numbers under a header that names no KPI: its values are rejected,
            // each at its own cell, after one finding at the header.
            for &col in &unread {
                let text = header_row.cells[col].to_string();
                let (name, unit) = split_unit(&text, schema);
                kpis.push((col, name.to_owned(), unit));
            }
            kpis.sort_by_key(|k| k.0);
            for row in data {
                let y = row.cells.get(year).filter(|c| !c.is_blank());
                if y.is_none() && !has_values(row, kpis.iter().map(|k| k.0), schema) {
                    continue;
                }
                for (col, name, unit) in &kpis {
                    let mut raw = RawRow::new(Loc::new(file, grid.row_place(row)));
                    raw.blocked = unread.contains(col).then_some(Code::KpiUnknown);
                    let head = grid.exact_place(header_row, *col);
                    raw.set(Field::Kpi, Cell::Text(name.as_str().into()), head.clone());
                    if let Some(u) = unit {
                        raw.set(Field::Unit, Cell::Text(u.as_str().into()), head);
                    }
                    if let Some(y) = y {
                        raw.set(Field::Year, y.clone(), grid.cell_place(row, year));
                        out.seen.mark(row.at, year);
                    }
                    set_fields(&mut raw, row, &fields, &grid, out);
                    value(&mut raw, row, *col, &grid, &defaults, schema, out);
                }
            }
        }
        Layout::TwoRow { header, cluster, columns } => {
            let (group_row, year_row) = (&grid.rows[header], &grid.rows[header + 1]);
            for row in &grid.rows[header + 2..] {
                let c = row.cells.get(cluster).filter(|c| !c.is_blank());
                if c.is_none() && !has_values(row, columns.iter().map(|c| c.0), schema) {
                    continue;
                }
                for (col, name, unit, year) in &columns {
                    let mut raw = RawRow::new(Loc::new(file, grid.row_place(row)));
                    let group = grid.exact_place(group_row, first_of_group(&columns, *col));
                    raw.set(Field::Kpi, Cell::Text(name.as_str().into()), group.clone());
                    if let Some(u) = unit {
                        raw.set(Field::Unit, Cell::Text(u.as_str().into()), group);
                    }
                    raw.set(Field::Year, Cell::Number(f64::from(*year)), grid.exact_place(year_row, *col));
                    if let Some(c) = c {
                        raw.set(Field::Cluster, c.clone(), grid.cell_place(row, cluster));
                        out.seen.mark(row.at, cluster);
                    }
                    value(&mut raw, row, *col, &grid, &defaults, schema, out);
                }
            }
        }
    }
    unread_cells(&grid, header, file, out);
    unread.into_iter().for_each(|f| out.note(f));
    if out.track {
        for (i, row) in grid.rows[header..].iter().enumerate() {
            for c in (0..row.cells.len()).filter(|&c| out.seen.has(i, c)) {
                out.accounted.insert(grid.exact_place(row, c));
            }
        }
    }
    true
}

/// The cues of the rows scanned for a header, classified as far as they are needed (most
/// headers are the first row), each distinct text once: the rows repeat their names and units.
struct Scan<'g> {
    rows: &'g [GridRow],
    cues: Vec<Vec<Cue>>,
    memo: rustc_hash::FxHashMap<&'g str, Cue>,
}

impl<'g> Scan<'g> {
    fn new(rows: &'g [GridRow]) -> Self {
        Scan { rows, cues: Vec::new(), memo: Default::default() }
    }

    /// The cues of the first `n` rows (at most [`HEADER_SCAN`]).
    fn up_to(&mut self, n: usize, schema: &Schema) -> &[Vec<Cue>] {
        let n = n.min(HEADER_SCAN).min(self.rows.len());
        for row in &self.rows[self.cues.len().min(n)..n] {
            let mut of_row = Vec::with_capacity(row.cells.len());
            for c in &row.cells {
                of_row.push(match c {
                    Cell::Text(t) => self.memo.entry(t.as_str()).or_insert_with(|| classify(c, schema)).clone(),
                    _ => classify(c, schema),
                });
            }
            self.cues.push(of_row);
        }
        &self.cues
    }
}

/// Report the non-empty cells of the table (from row `header` down) that nothing read, one
/// finding per row: a note under the table, a figure in a column no header names. Nothing is
/// dropped silently. Cells mapping took for its rows were marked seen before they were taken.
fn unread_cells(grid: &Grid, header: usize, file: &Arc<str>, out: &mut Mapped) {
    for (i, row) in grid.rows[header..].iter().enumerate() {
        if let Some(finding) = unread_row(grid, row, i, file, &out.seen) {
            out.note(finding);
        }
    }
}

/// The finding about the non-empty cells of the table's `i`-th row that nothing read, if any
/// (they are marked seen: reported).
fn unread_row(grid: &Grid, row: &GridRow, i: usize, file: &Arc<str>, seen: &Seen) -> Option<Finding> {
    let unread: Vec<usize> = (0..row.cells.len()).filter(|&c| !row.cells[c].is_blank() && !seen.has(i, c)).collect();
    if unread.is_empty() {
        return None;
    }
    let numbers = unread.iter().any(|&c| super::infer::numeric(&row.cells[c]));
    let list = unread.iter().map(|&c| format!("`{}`", show(&row.cells[c]))).collect::<Vec<_>>().join(", ");
    let at = Loc::new(file, grid.row_place(row));
    let (code, message, hint) = if numbers {
        (
            Code::NumberUnread,
            format!("{} holds {list}, which no column of the table reads: nothing was read from it", at.place),
            "put each figure under a column or KPI header the table has, or delete it if it is not data",
        )
    } else {
        (
            Code::CellUnread,
            format!("{} holds {list}, which no column of the table reads; it was passed over", at.place),
            "notes under a table are fine; to keep one with the data, put it in a `notes` column",
        )
    };
    for c in unread {
        seen.mark_index(i, c);
    }
    Some(Finding::new(code, at, message, hint))
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
fn value(
    raw: &mut RawRow,
    row: &GridRow,
    col: usize,
    grid: &Grid,
    defaults: &Defaults,
    schema: &Schema,
    out: &mut Mapped,
) {
    let cell = row.cells.get(col).cloned().unwrap_or_default();
    out.seen.mark(row.at, col);
    if is_not_reported(&cell, schema) {
        out.not_reported += 1;
        return;
    }
    raw.set(Field::Value, cell, grid.exact_place(row, col));
    apply(raw, defaults);
    let fresh = RawRow::new(raw.loc.clone());
    out.row(std::mem::replace(raw, fresh));
}

/// `I_NAME_MATCHED` for each header cell of row `r` read as a column by its words.
fn headers_read(grid: &Grid, r: usize, file: &Arc<str>, schema: &Schema, out: &mut Mapped) {
    let row = &grid.rows[r];
    for (c, cell) in row.cells.iter().enumerate() {
        let Cell::Text(t) = cell else { continue };
        if let Cue::Field(_) = classify(cell, schema)
            && let NameMatch::ByWords { entry, alias, lang } = schema.read_field(t.trim())
        {
            out.note(header_read(Loc::new(file, grid.exact_place(row, c)), t.trim(), entry, &alias, &lang));
        }
    }
}

/// Whether any of the row's `cols` holds something other than a not-reported marker.
fn has_values(row: &GridRow, mut cols: impl Iterator<Item = usize>, schema: &Schema) -> bool {
    cols.any(|c| row.cells.get(c).is_some_and(|cell| !is_not_reported(cell, schema)))
}

/// Copy the cells of the row-level columns (`Cluster`, `Unit`, `Country`…) into `raw`.
fn set_fields(raw: &mut RawRow, row: &GridRow, fields: &[(usize, Field)], grid: &Grid, out: &mut Mapped) {
    for &(col, field) in fields {
        if let Some(cell) = row.cells.get(col).filter(|c| !c.is_blank()) {
            raw.set(field, cell.clone(), grid.cell_place(row, col));
            out.seen.mark(row.at, col);
        }
    }
}

/// The header cells of a wide table that name neither a column of its layout nor a KPI. A
/// column of numbers under one is an unknown KPI (`E_KPI_UNKNOWN` at the header; the columns
/// returned, whose rows the caller blocks with that code, so each value is a rejected row at its
/// own cell); any other is an ignored column (`I_UNKNOWN_COLUMN`).
fn unread_columns(
    grid: &Grid,
    header: usize,
    taken: &[usize],
    file: &Arc<str>,
    schema: &Schema,
    out: &mut Mapped,
) -> std::collections::BTreeSet<usize> {
    let mut unread = std::collections::BTreeSet::new();
    let head = &grid.rows[header];
    for (c, cell) in head.cells.iter().enumerate() {
        if taken.contains(&c) || cell.is_blank() {
            continue;
        }
        let loc = Loc::new(file, grid.exact_place(head, c));
        let text = cell.to_string();
        let numbers =
            grid.rows[header + 1..].iter().filter_map(|r| r.cells.get(c)).filter(|x| super::infer::numeric(x)).count();
        if numbers > 0 && !matches!(classify(cell, schema), Cue::Field(_)) {
            let (name, _) = split_unit(&text, schema);
            let near = match schema.read_kpi(name) {
                NameMatch::Refused { near, .. } => near,
                _ => Vec::new(),
            };
            let (message, hint) = kpi_refused(schema, name, &near, false);
            out.note(Finding::new(
                Code::KpiUnknown,
                loc.with_column("kpi"),
                format!("{message}; the {numbers} value(s) under it are rejected"),
                hint,
            ));
            unread.insert(c);
        } else {
            out.note(unknown_column(loc, &text));
            account_column(&grid.rows[header + 1..], c, out);
        }
    }
    unread
}

fn is_not_reported(cell: &Cell, schema: &Schema) -> bool {
    match cell {
        Cell::Empty => true,
        Cell::Text(t) => schema.layout.is_marker(t),
        _ => false,
    }
}

/// Fill the fields a row lacks from the table's metadata.
fn apply(raw: &mut RawRow, defaults: &Defaults) {
    for (field, cell, place) in &defaults.fields {
        if raw.get(*field).is_none() {
            raw.set(*field, cell.clone(), place.clone());
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
    let kpi = schema.find_kpi(name);
    let id = kpi.map_or("?", |k| k.id.as_str());
    match unit {
        Some(u) => format!("`{name}` → {id}, unit `{u}` from the header"),
        None => format!("`{name}` → {id}"),
    }
}

/// The explanation of a layout: where its header is, and what each column was taken as.
fn describe(layout: &Layout, grid: &Grid, schema: &Schema, where_: &str) -> String {
    match layout {
        Layout::Long { header, columns, .. } => {
            let roles: Vec<String> = columns
                .iter()
                .enumerate()
                .filter_map(|(c, f)| {
                    Some(format!(
                        "{} `{}` → {}",
                        col_name(grid, c),
                        grid.rows[*header].cells.get(c).map(show).unwrap_or_default(),
                        f.as_ref()?.as_str()
                    ))
                })
                .collect();
            format!("{where_}: long table, header at {}: {}", row_no(grid, *header), roles.join(", "))
        }
        Layout::YearsAcross { header, kpi, fields, years } => format!(
            "{where_}: years across, header at {}: {} → kpi, {}years {}; one value per KPI row and year",
            row_no(grid, *header),
            col_name(grid, *kpi),
            fields.iter().map(|(c, f)| format!("{} → {}, ", col_name(grid, *c), f.as_str())).collect::<String>(),
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

/// The layout whose header is row `r`, if it is one. The row below is classified only when row
/// `r` could head a two-row header: most headers are a long table's, and the row under one is
/// its first row of data, whose names (a facility, a note) are read by their words in vain.
fn detect(scan: &mut Scan<'_>, r: usize, schema: &Schema) -> Option<Layout> {
    let row = scan.up_to(r + 1, schema).get(r)?;
    let field = |f: Field| row.iter().position(|c| *c == Cue::Field(f));
    let cluster = field(Field::Cluster);
    let kpis: Vec<(usize, String, Option<String>)> = row
        .iter()
        .enumerate()
        .filter_map(|(i, c)| match c {
            Cue::Kpi { name, unit } => Some((i, name.clone(), unit.clone())),
            _ => None,
        })
        .collect();
    let years: Vec<(usize, i32)> =
        row.iter().enumerate().filter_map(|(i, c)| if let Cue::Year(y) = c { Some((i, *y)) } else { None }).collect();
    if field(Field::Value).is_some() && field(Field::Kpi).is_some() {
        let columns = row.iter().map(|c| if let Cue::Field(f) = c { Some(*f) } else { None }).collect();
        return Some(Layout::Long { header: r, columns, inferred: Vec::new() });
    }
    if let (Some(kpi), true) = (field(Field::Kpi), years.len() >= 2) {
        return Some(Layout::YearsAcross {
            header: r,
            kpi,
            fields: row_fields(row, &[Field::Kpi, Field::Year]),
            years,
        });
    }
    if let (Some(year), false) = (field(Field::Year), kpis.is_empty()) {
        return Some(Layout::KpisAcross {
            header: r,
            year,
            fields: row_fields(row, &[Field::Year, Field::Unit]),
            kpis,
        });
    }
    if kpis.is_empty() {
        return None;
    }
    let cues = scan.up_to(r + 2, schema);
    let (row, next) = (cues.get(r)?, cues.get(r + 1));
    if let Some(next) = next {
        // KPI names over years: each year column takes the KPI named at or left of it.
        let mut columns = Vec::new();
        let mut current: Option<(String, Option<String>)> = None;
        for (i, cue) in row.iter().enumerate().chain((row.len()..next.len()).map(|i| (i, &Cue::Other))) {
            match cue {
                Cue::Kpi { name, unit } => current = Some((name.clone(), unit.clone())),
                // A header that names no KPI starts a group of its own, never continues the
                // one before: its values are rejected as an unknown KPI, not misread.
                Cue::Text(text) if matches!(next.get(i), Some(Cue::Year(_))) => {
                    let (name, unit) = split_unit(text, schema);
                    current = Some((name.to_owned(), unit));
                }
                Cue::Other | Cue::Text(_) if !matches!(next.get(i), Some(Cue::Year(_))) => current = None,
                _ => {}
            }
            if let (Some((name, unit)), Some(Cue::Year(y))) = (&current, next.get(i)) {
                columns.push((i, name.clone(), unit.clone(), *y));
            }
        }
        let cluster = cluster.or_else(|| next.iter().position(|c| *c == Cue::Field(Field::Cluster)));
        if let (Some(cluster), false) = (cluster, columns.is_empty()) {
            return Some(Layout::TwoRow { header: r, cluster, columns });
        }
    }
    None
}

/// The columns a wide table's header names, but for `except` (those its layout places itself,
/// and `value`, which a wide table has in every KPI or year column): the first of each.
fn row_fields(row: &[Cue], except: &[Field]) -> Vec<(usize, Field)> {
    let mut fields: Vec<(usize, Field)> = Vec::new();
    for (i, cue) in row.iter().enumerate() {
        if let Cue::Field(f) = cue
            && !except.contains(f)
            && *f != Field::Value
            && !fields.iter().any(|(_, g)| g == f)
        {
            fields.push((i, *f));
        }
    }
    fields
}

/// A long table whose header names too few columns, found by what its columns hold: the first
/// row of text, top down, under which the contents show a `kpi` and a `value` column.
fn by_contents(grid: &Grid, cues: &[Vec<Cue>], schema: &Schema) -> Option<Layout> {
    for (r, row) in grid.rows.iter().enumerate().take(cues.len()) {
        let texts = row.cells.iter().filter(|c| !c.is_blank()).count();
        if texts < 2 || row.cells.iter().any(|c| !c.is_blank() && !matches!(c, Cell::Text(_))) {
            continue;
        }
        let mut columns: Vec<Option<Field>> =
            cues[r].iter().map(|c| if let Cue::Field(f) = c { Some(*f) } else { None }).collect();
        let width = table_width(&grid.rows[r + 1..], columns.len());
        columns.resize(width, None);
        let mut inferred = Vec::new();
        assign_by_contents(grid, r, &mut columns, &mut inferred, schema);
        if columns.contains(&Some(Field::Kpi)) && columns.contains(&Some(Field::Value)) && !inferred.is_empty() {
            return Some(Layout::Long { header: r, columns, inferred });
        }
    }
    None
}

/// Give each column without a role the role its contents show, if no column has it yet.
fn assign_by_contents(
    grid: &Grid,
    header: usize,
    columns: &mut [Option<Field>],
    inferred: &mut Vec<usize>,
    schema: &Schema,
) {
    for c in 0..columns.len() {
        if columns[c].is_some() {
            continue;
        }
        if let Some(f) = super::infer::role(grid.column(c, header + 1).flatten(), schema)
            && !columns.contains(&Some(f))
        {
            columns[c] = Some(f);
            inferred.push(c);
        }
    }
}

/// In a long table, read the columns whose header names nothing by their contents
/// (`I_COLUMN_INFERRED`), and say where a header and its column's contents disagree
/// (`W_COLUMN_CONTENTS`).
fn contents(
    grid: &Grid,
    header: usize,
    columns: &mut Vec<Option<Field>>,
    inferred: &mut Vec<usize>,
    file: &Arc<str>,
    schema: &Schema,
    out: &mut Mapped,
) {
    let width = table_width(&grid.rows[header + 1..], columns.len());
    if grid.kind != GridKind::Lines {
        columns.resize(width, None);
    }
    assign_by_contents(grid, header, columns, inferred, schema);
    let head = &grid.rows[header];
    for &c in inferred.iter() {
        let f = columns[c].map_or("?", Field::as_str);
        let said =
            head.cells.get(c).filter(|x| !x.is_blank()).map(|x| format!(" (its header `{}` names no column)", show(x)));
        out.note(Finding::new(
            Code::ColumnInferred,
            Loc::new(file, grid.exact_place(head, c)).with_column(columns[c].map_or("?", Field::as_str)),
            format!("{} read as `{f}` from its contents{}", col_name(grid, c), said.unwrap_or_default()),
            format!("head the column `{f}` to say so yourself"),
        ));
    }
    for (c, field) in columns.iter().enumerate() {
        let Some(f) = field.filter(|f| shown_by_contents(*f)) else {
            continue;
        };
        if inferred.contains(&c) {
            continue;
        }
        let Some(shown) = super::infer::role(grid.column(c, header + 1).flatten(), schema) else { continue };
        let numeric_pair = matches!((f, shown), (Field::Year | Field::Value, Field::Year | Field::Value));
        if shown != f && !numeric_pair {
            out.note(Finding::new(
                Code::ColumnContents,
                Loc::new(file, grid.exact_place(head, c)).with_column(f.as_str()),
                format!(
                    "{} is headed as `{}`, but its contents look like `{}`; it was read as `{}`",
                    col_name(grid, c),
                    f.as_str(),
                    shown.as_str(),
                    f.as_str()
                ),
                "check that the header is over the right column",
            ));
        }
    }
}

/// How many columns a table's rows under a header of `columns` span.
fn table_width(rows: &[GridRow], columns: usize) -> usize {
    rows.iter().map(|r| r.cells.len()).max().unwrap_or(0).max(columns)
}

/// Whether column `c` of a sheet's table is under no header: no field read from it, and
/// nothing in its `header` cell.
fn unheaded(columns: &[Option<Field>], header: &GridRow, c: usize) -> bool {
    columns.get(c).is_none_or(Option::is_none) && header.cells.get(c).is_none_or(Cell::is_blank)
}

/// Whether a column's contents say it holds field `f`, as a header may: a scope, a gas or a
/// note may be anything, numbers included.
fn shown_by_contents(f: Field) -> bool {
    matches!(f, Field::Year | Field::Kpi | Field::Value | Field::Unit | Field::Cluster | Field::Country)
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
            Some(v) => (Cell::Text(v.as_str().into()), grid.cell_place(row, first)),
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
            MetaKey::Currency => d.currency = cell.text().map(Into::into),
            MetaKey::Submitted => d.submitted = cell.text().map(Into::into),
        }
    }
    d
}

/// A long table: one observation per row. Returns the findings about cells of its data rows
/// that nothing read (reported after the table's rows, see [`unread_cells`]).
#[allow(clippy::too_many_arguments)] // the table, its context, and where its rows go
fn long(
    grid: &mut Grid,
    h: usize,
    columns: &[Option<Field>],
    defaults: &Defaults,
    file: &Arc<str>,
    schema: &Schema,
    out: &mut Mapped,
    mut sink: Option<&mut dyn Sink>,
    mut coming: Option<&mut dyn Coming>,
) -> Vec<Finding> {
    let header = &grid.rows[h];
    let mut blocked = None;
    let mut found: Vec<Field> = Vec::new();
    // The columns a finding names, whose cells are accounted for by it.
    let mut named_unread = Vec::new();
    // Those whose header resembles a figure, and how many numbers they hold.
    let mut figure_like: Vec<(usize, usize)> = Vec::new();
    for (c, field) in columns.iter().enumerate() {
        let loc = Loc::new(file, grid.exact_place(header, c));
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
                if let Some(name) = header.cells.get(c).and_then(Cell::text).filter(|t| !t.is_empty()) {
                    let numbers =
                        grid.column(c, h + 1).filter(|x| x.as_deref().is_some_and(super::infer::numeric)).count();
                    let resembles = resembles_a_figure(&name, schema);
                    if resembles {
                        figure_like.push((c, numbers));
                    }
                    if numbers > 0 && resembles {
                        out.note(Finding::new(
                            Code::ColumnUnread,
                            loc,
                            format!("column `{name}` holds {numbers} number(s) but its header names no column or KPI, so they were not read"),
                            "head the column `value` (with `kpi` and `unit` columns beside it), or write the KPI id in the header of a KPIs-across table",
                        ));
                    } else {
                        out.note(unknown_column(loc, &name));
                    }
                    account_column(&grid.rows[h + 1..], c, out);
                    named_unread.push(c);
                }
            }
        }
    }
    let header = &grid.rows[h];
    // The metadata block and the registry may stand in for missing columns.
    let given: Vec<Field> = found.iter().copied().chain(defaults.fields.iter().map(|(f, _, _)| *f)).collect();
    if let Some(finding) = missing_columns(&given, &Loc::new(file, grid.row_place(header)), &schema.fields) {
        out.note(finding);
        blocked = Some(Code::MissingColumn);
    }

    // The data rows, apart: a batch at a time, each row's cells are taken into a raw row, the
    // cells nothing read are reported, and the row is emptied. A batch's chunks are mapped on
    // every core; with a sink, each batch's rows go to it while the next batch is mapped, so
    // the table is never held whole twice (as cells and as rows). The packed rows after them
    // are unpacked a few pieces at a time, so a long text file is never held whole as cells.
    let mut data = grid.rows.split_off(h + 1);
    let packed = std::mem::take(&mut grid.rest);
    // Only a sheet's columns under no header are reported by the column, from `data`: packed
    // rows are a text file's, whose fields past the header's are reported by the row (`shifted`).
    debug_assert!(packed.is_empty() || grid.kind == GridKind::Lines);
    named_unread.extend(report_unnamed_columns(grid, &data, columns, file, out));
    // Rows still coming are mapped as they come when what the head says of the table is what
    // it says of every row (checked as they come).
    let mut head = match coming.as_deref_mut() {
        Some(rest) => {
            let header = &grid.rows[h];
            let width = table_width(&data, columns.len());
            let field = |c: usize| columns.get(c).copied().flatten();
            let judged = (0..width).filter(|&c| field(c).is_none_or(shown_by_contents));
            let unheaded = (0..width).filter(|&c| unheaded(columns, header, c));
            let Some(head) = Head::of(&data, judged, unheaded, &figure_like, schema) else {
                rest.decline();
                return Vec::new();
            };
            Some(head)
        }
        None => None,
    };
    let value_col = columns.iter().position(|c| *c == Some(Field::Value));
    let mut rows = LongRows {
        grid,
        columns,
        defaults,
        file,
        schema,
        blocked,
        value_col,
        kpi_col: columns.iter().position(|c| *c == Some(Field::Kpi)),
        decimal: None,
        track: out.track,
        named_unread: &named_unread,
    };
    if let Some(sink) = sink.as_deref_mut() {
        // The rows go before the rest of the file is mapped: their value column's convention is
        // settled now, from its own texts (the only ones of a file of one table).
        use rayon::prelude::*;
        let mut evidence: Vec<Decimal> =
            data.par_iter().filter_map(|row| rows.value_evidence(rows.value(row))).collect();
        evidence.par_extend(packed.par_iter().flat_map_iter(|p| {
            (0..p.len()).filter_map(|i| rows.value_evidence(rows.value_col.and_then(|v| p.cell(i, v)).as_deref()))
        }));
        rows.decimal = Some(Decimal::settle(evidence.iter().copied()));
        sink.expect(data.len() + packed.iter().map(Packed::len).sum::<usize>());
        sink.take(std::mem::take(&mut out.entries));
        // The rows still coming add theirs, and must settle on the same convention.
        if let Some(head) = head.as_mut() {
            head.evidence = evidence;
        }
    }
    let mut unread = Vec::new();
    let mut accounted = Vec::new();
    // A round's entries wait here, mapped, to go to the sink while the next round is mapped.
    let mut waiting: Vec<super::Entry> = Vec::new();
    let checked = sink.is_some();
    let mut gather = |parts: Vec<Part>, out: &mut Mapped, waiting: &mut Vec<super::Entry>| {
        let entries = if checked { waiting } else { &mut out.entries };
        entries.reserve(parts.iter().map(|p| p.entries.len()).sum());
        for part in parts {
            entries.extend(part.entries);
            out.explanation.extend(part.explanation);
            out.not_reported += part.not_reported;
            unread.extend(part.unread);
            accounted.extend(part.accounted);
        }
    };
    // The table's row index of data row `k` (the header is its row 0).
    for (b, batch) in data.chunks_mut(MAP_BATCH).enumerate() {
        let first = 1 + b * MAP_BATCH;
        let seen = &out.seen;
        let map_batch = || -> Vec<Part> {
            if batch.len() <= MAP_CHUNK {
                vec![rows.map(batch, first, seen)]
            } else {
                use rayon::prelude::*;
                batch
                    .par_chunks_mut(MAP_CHUNK)
                    .enumerate()
                    .map(|(k, chunk)| rows.map(chunk, first + k * MAP_CHUNK, seen))
                    .collect()
            }
        };
        let parts = beside_the_check(map_batch, &mut waiting, &mut sink);
        gather(parts, out, &mut waiting);
    }
    // Packed rows, a piece on each core (but no more than a few batches' rows at once, with
    // the round before being checked): each piece's cells seen are its own.
    let mut packed = packed.into_iter().peekable();
    while packed.peek().is_some() {
        use rayon::prelude::*;
        let (mut pieces, mut held): (Vec<Packed>, usize) = (Vec::new(), 0);
        while pieces.len() < rayon::current_num_threads().max(1)
            && held < 2 * MAP_BATCH
            && let Some(piece) = packed.next()
        {
            held += piece.len();
            pieces.push(piece);
        }
        let map_pieces = || -> Vec<Part> { pieces.into_par_iter().map(|piece| rows.map_packed(&piece)).collect() };
        let parts = beside_the_check(map_pieces, &mut waiting, &mut sink);
        gather(parts, out, &mut waiting);
    }
    if let (Some(rest), Some(head)) = (coming, head)
        && !take_coming(&rows, head, rest, &mut sink, &mut waiting, &mut |parts, waiting| gather(parts, out, waiting))
    {
        return Vec::new();
    }
    if let Some(sink) = sink {
        sink.take(waiting);
    }
    out.accounted.extend(accounted);
    unread
}

/// Map and check a sheet's rows still coming, as packed pieces are mapped (a round of batches
/// at a time, handed to `gather`), as they come: the round before is checked while the next
/// rows are waited for, and while they come they are mapped on all cores but one (the reader's).
/// False when the map declined them: a batch said otherwise than the `head`, or the value
/// column's texts settled on another convention.
fn take_coming(
    rows: &LongRows<'_>,
    mut head: Head,
    rest: &mut dyn Coming,
    sink: &mut Option<&mut dyn Sink>,
    waiting: &mut Vec<super::Entry>,
    gather: &mut dyn FnMut(Vec<Part>, &mut Vec<super::Entry>),
) -> bool {
    let cores = rayon::current_num_threads().saturating_sub(1).max(1);
    let pool = rayon::ThreadPoolBuilder::new().num_threads(cores).build().ok();
    let on_pool = |work: &mut (dyn FnMut() + Send)| match &pool {
        Some(pool) => pool.install(work),
        None => work(),
    };
    loop {
        let first = match rest.next(false) {
            Some(batch) => batch,
            None => {
                if let Some(sink) = sink.as_deref_mut() {
                    let mut ready = Some(std::mem::take(waiting));
                    on_pool(&mut || sink.take(ready.take().unwrap_or_default()));
                }
                match rest.next(true) {
                    Some(batch) => batch,
                    None => break,
                }
            }
        };
        let mut held = first.len();
        let mut batches = vec![first];
        while batches.len() < rayon::current_num_threads().max(1)
            && held < 2 * MAP_BATCH
            && let Some(more) = rest.next(false)
        {
            held += more.len();
            batches.push(more);
        }
        if !batches.iter().all(|b| head.holds(b, rows.schema)) {
            rest.decline();
            return false;
        }
        head.evidence.extend(batches.iter().flatten().filter_map(|row| rows.value_evidence(rows.value(row))));
        if let Some(sink) = sink.as_deref_mut() {
            sink.expect(held);
        }
        let mut parts = Vec::new();
        let mut batches = Some(batches);
        on_pool(&mut || {
            let batches = batches.take().unwrap_or_default();
            let map_batches = || -> Vec<Part> {
                use rayon::prelude::*;
                batches.into_par_iter().map(|batch| rows.map_apart(batch)).collect()
            };
            parts = beside_the_check(map_batches, waiting, sink);
        });
        gather(parts, waiting);
    }
    if !head.settles(rows.decimal) {
        rest.decline();
        return false;
    }
    true
}

/// Map a round of a long table's rows (`map_round`) while the entries of the round before
/// (`waiting`) are checked by the sink, on every core: the check's serial part (its rows taken
/// in order) overlaps the mapping. Without a sink, or with nothing waiting, the round is just
/// mapped. The entries go to the sink in file order: a round's before the next round's.
fn beside_the_check(
    map_round: impl FnOnce() -> Vec<Part> + Send,
    waiting: &mut Vec<super::Entry>,
    sink: &mut Option<&mut dyn Sink>,
) -> Vec<Part> {
    match sink.as_deref_mut() {
        Some(sink) if !waiting.is_empty() => {
            let ready = std::mem::take(waiting);
            rayon::join(map_round, || sink.take(ready)).0
        }
        _ => map_round(),
    }
}

/// Data rows of a long table mapped (and, with a sink, handed on) together: what is held at
/// once of a table as raw rows (about 600 bytes each) and of its rows being checked.
const MAP_BATCH: usize = 16 * 1024;

/// Data rows of a long table mapped together: at most this many on one thread.
const MAP_CHUNK: usize = 8 * 1024;

/// What mapping a run of a long table's rows gave, in file order.
#[derive(Default)]
struct Part {
    entries: Vec<super::Entry>,
    explanation: Vec<String>,
    not_reported: usize,
    /// The findings about cells nothing read, one per row (see [`unread_row`]).
    unread: Vec<Finding>,
    /// The places of the cells read or reported, when they are tracked.
    accounted: Vec<Place>,
}

/// Everything mapping one data row of a long table needs, shared by the threads mapping them.
struct LongRows<'a> {
    grid: &'a Grid,
    columns: &'a [Option<Field>],
    defaults: &'a Defaults,
    file: &'a Arc<str>,
    schema: &'a Schema,
    /// Set when a problem of the header blocks every row.
    blocked: Option<Code>,
    value_col: Option<usize>,
    kpi_col: Option<usize>,
    /// The value column's decimal convention, when it is settled before the rows are mapped.
    decimal: Option<Decimal>,
    /// Keep the places of the cells accounted for ([`Mapped::accounted`]).
    track: bool,
    /// The columns a finding about the header names: their cells are accounted for.
    named_unread: &'a [usize],
}

impl LongRows<'_> {
    /// Map `rows`, the first of which is row `first` of `seen`, taking their cells, then
    /// report what nothing read of each and empty it.
    fn map(&self, rows: &mut [GridRow], first: usize, seen: &Seen) -> Part {
        let mut part = Part { entries: Vec::with_capacity(rows.len()), ..Part::default() };
        for (i, row) in rows.iter_mut().enumerate() {
            let i = first + i;
            self.map_row(row, i, &mut part, seen);
            part.unread.extend(unread_row(self.grid, row, i, self.file, seen));
            if self.track {
                let seen = (0..row.cells.len()).filter(|&c| seen.has(i, c));
                part.accounted.extend(seen.map(|c| self.grid.exact_place(row, c)));
            }
            row.cells = Vec::new();
        }
        part
    }

    /// Map the rows of a packed piece, with the cells seen of their own.
    fn map_packed(&self, piece: &Packed) -> Part {
        self.map_apart(piece.unpack())
    }

    /// Map rows apart from the grid's (a packed piece's, a batch still coming), with the cells
    /// seen of their own.
    fn map_apart(&self, mut rows: Vec<GridRow>) -> Part {
        let seen = Seen::new(&rows);
        for &c in self.named_unread {
            holding(&rows, c).for_each(|(i, _)| seen.mark_index(i, c));
        }
        self.map(&mut rows, 0, &seen)
    }

    /// A data row's value cell, if the table has a value column and the row such a cell.
    fn value<'r>(&self, row: &'r GridRow) -> Option<&'r Cell> {
        row.cells.get(self.value_col?)
    }

    /// Whether a data row whose value cell is `value` reports nothing: its figure is "n/a",
    /// "-" or empty (in a table no header problem blocks). It becomes no raw row.
    fn reports_nothing(&self, value: Option<&Cell>) -> bool {
        self.blocked.is_none() && self.value_col.is_some() && value.is_none_or(|c| is_not_reported(c, self.schema))
    }

    /// The evidence of a data row's value cell for the decimal convention, if it will be a raw
    /// row's.
    fn value_evidence(&self, value: Option<&Cell>) -> Option<Decimal> {
        if self.reports_nothing(value) {
            return None;
        }
        value.map(super::decimal_evidence)
    }

    /// Map the table's `i`-th row (of `seen`), taking its cells.
    fn map_row(&self, row: &mut GridRow, i: usize, part: &mut Part, seen: &Seen) {
        let (grid, columns, schema, file) = (self.grid, self.columns, self.schema, self.file);
        let blocked = self.blocked;
        if self.reports_nothing(self.value(row)) {
            // A row whose figure is "n/a", "-" or empty reports nothing: no observation, no
            // error. A line with no KPI either is a note under the table ("Source: …").
            if self.kpi_col.is_some_and(|k| row.cells.get(k).is_some_and(|c| !c.is_blank())) {
                part.not_reported += 1;
                account_row(seen, i, row, columns.len());
            } else if let Some(first) = row.cells.iter().find(|c| !c.is_blank()) {
                part.explanation.push(format!(
                    "  {} below the header: passed over (`{}`)",
                    grid.row_place(row),
                    show(first)
                ));
            }
            return;
        }
        let mut raw = RawRow::new(Loc::new(file, grid.row_place(row)));
        raw.blocked = blocked;
        if let Some(decimal) = self.decimal {
            raw.decimal = decimal;
        }
        if blocked.is_none()
            && let Some(finding) = shifted(grid, &row.cells, columns.len(), &raw.loc)
        {
            part.entries.push(super::Entry::Note(finding));
            raw.blocked = Some(Code::RowShape);
            account_row(seen, i, row, row.cells.len());
        }
        account_row(seen, i, row, columns.len());
        for (c, field) in columns.iter().enumerate() {
            if let (Some(f), Some(cell)) = (field, row.cells.get_mut(c)) {
                let cell = std::mem::take(cell);
                if raw.get(*f).is_none() {
                    // `raw`'s place is the row's.
                    raw.set_at(*f, cell, grid.cell_in_row(c));
                }
            }
        }
        // A KPI cell may carry its unit: `GHG emissions (MtCO2e)`.
        if let Some(k) = raw.get(Field::Kpi)
            && let Cell::Text(t) = &k.cell
            && let (name, Some(unit)) = split_unit(t, schema)
            && schema.find_kpi(name).is_some()
        {
            let (name, place) = (name.to_owned(), raw.place(k));
            let loc = Loc::new(file, place.clone()).with_column(Field::Kpi.as_str());
            raw.set(Field::Kpi, Cell::Text(name.into()), place.clone());
            match raw.get(Field::Unit).and_then(|u| u.cell.text()).filter(|u| !u.is_empty()) {
                None => raw.set(Field::Unit, Cell::Text(unit.into()), place),
                // Two units for one figure: a contradiction, not a choice to make.
                Some(column) if crate::schema::squeeze(&column) != crate::schema::squeeze(&unit) => {
                    part.entries.push(super::Entry::Note(Finding::new(
                        Code::UnitConflict,
                        loc,
                        format!("the KPI cell carries the unit `{unit}`, but the unit column says `{column}`"),
                        "give the unit once: in the unit column, or in brackets after the KPI name",
                    )));
                    raw.blocked = Some(Code::UnitConflict);
                }
                Some(_) => {}
            }
        }
        apply(&mut raw, self.defaults);
        part.entries.push(super::Entry::Row(Box::new(raw)));
    }
}

/// Account for the non-empty cells of column `c` in `rows`: a finding about the column names
/// every one of them.
fn account_column(rows: &[GridRow], c: usize, out: &mut Mapped) {
    for (_, r) in holding(rows, c) {
        out.seen.mark(r.at, c);
    }
}

/// The rows whose cell `c` holds something, with their index in `rows`.
fn holding(rows: &[GridRow], c: usize) -> impl Iterator<Item = (usize, &GridRow)> {
    rows.iter().enumerate().filter(move |(_, r)| r.cells.get(c).is_some_and(|x| !x.is_blank()))
}

/// Account for the non-empty cells of the first `width` columns of the table's row `i`.
fn account_row(seen: &Seen, i: usize, row: &GridRow, width: usize) {
    for (c, cell) in row.cells.iter().enumerate().take(width) {
        if !cell.is_blank() {
            seen.mark_index(i, c);
        }
    }
}

/// Whether a header that names nothing looks like it meant a figure: a KPI or `value` is among
/// the candidates for its words.
fn resembles_a_figure(name: &str, schema: &Schema) -> bool {
    let (name, _) = split_unit(name, schema);
    matches!(schema.read_kpi(name), NameMatch::Refused { near, .. } if !near.is_empty())
        || matches!(schema.read_field(name), NameMatch::Refused { near, .. } if near.contains(&Field::Value))
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

/// A sheet column with values under no header is ignored: say so once per column. The columns
/// reported.
fn report_unnamed_columns(
    grid: &Grid,
    data: &[GridRow],
    columns: &[Option<Field>],
    file: &Arc<str>,
    out: &mut Mapped,
) -> Vec<usize> {
    let mut reported = Vec::new();
    let GridKind::Sheet(sheet) = &grid.kind else { return reported };
    let width = data.iter().map(|r| r.cells.len()).max().unwrap_or(0);
    let Some(header) = grid.rows.last() else { return reported };
    for c in 0..width {
        if !unheaded(columns, header, c) {
            continue;
        }
        if let Some(row) = data.iter().find(|r| r.cells.get(c).is_some_and(|cell| !cell.is_blank())) {
            account_column(data, c, out);
            reported.push(c);
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
    reported
}
