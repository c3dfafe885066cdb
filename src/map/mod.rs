//! Map: find the table in what a reader returned and name its columns, giving raw rows whose
//! cells are keyed by canonical field, each cell still carrying its location.
//!
//! A grid's header is the first row, within the first rows of the sheet, that names the
//! `value` column and at least two other canonical columns; the rows below it are the data.
//! A JSON file is a submission document (`{"cluster", …, "observations": [...]}`, whose
//! top-level fields are defaults for every record) or an array of records; JSON Lines is one
//! record a line. Nothing here interprets a value: that is validation's job. Problems of the
//! table as a whole (a missing or doubled column) are reported once, and the rows under it are
//! kept, blocked, so they are still counted and rejected.

mod cues;
pub use cues::split_unit;
mod grid;
mod head;
mod infer;
mod json;
mod seen;

use std::sync::Arc;

use crate::diag::{Code, Finding, Loc, Place, Relative};
use crate::number::{self, Decimal};
use crate::read::streamed::Coming;
use crate::read::{Cell, Content, GridKind, Sheet};
use crate::schema::{Field, Fields, KpiDef, Schema};

/// A field's cell, and where it is. The file is its row's, and its place is kept relative to
/// the row's: most cells lie on their own row, so a row of ten fields holds no ten copies of
/// its file and place.
#[derive(Clone, Debug, PartialEq)]
pub struct Located {
    pub cell: Cell,
    pub field: Field,
    at: Relative,
}

impl Located {
    /// Where the cell is, by its row's place.
    pub fn at(&self) -> &Relative {
        &self.at
    }
}

/// One row of a submission, keyed by canonical field.
#[derive(Clone, Debug, PartialEq)]
pub struct RawRow {
    /// The row as a whole: a sheet row, a line, or a JSON record's pointer.
    pub loc: Loc,
    pub fields: [Option<Located>; Field::COUNT],
    /// Set when the row cannot be validated because of a problem already reported for its table
    /// (e.g. `E_MISSING_COLUMN`); the row is rejected with this code.
    pub blocked: Option<Code>,
    /// Whether `,` or `.` is the decimal point of the value, from its column's evidence.
    pub decimal: Decimal,
    /// The currency a metadata block states for the table, for units with none of their own.
    pub currency: Option<String>,
}

impl RawRow {
    fn new(loc: Loc) -> Self {
        RawRow { loc, fields: Default::default(), blocked: None, decimal: Decimal::Unknown, currency: None }
    }

    pub fn get(&self, field: Field) -> Option<&Located> {
        self.fields[field.index()].as_ref()
    }

    /// The field's cell, treating an absent field as an empty one.
    pub fn cell(&self, field: Field) -> &Cell {
        self.get(field).map_or(&Cell::Empty, |l| &l.cell)
    }

    /// The place of a cell of this row.
    pub fn place(&self, located: &Located) -> Place {
        located.at.place(&self.loc.place)
    }

    /// The location of a cell of this row, naming its field's column.
    pub fn loc_of(&self, located: &Located) -> Loc {
        Loc::new(&self.loc.file, self.place(located)).with_column(located.field.as_str())
    }

    /// The location of a field, at the row itself when the row has no such cell.
    pub fn field_loc(&self, field: Field) -> Loc {
        self.get(field).map_or_else(|| self.loc.clone().with_column(field.as_str()), |l| self.loc_of(l))
    }

    fn set(&mut self, field: Field, cell: Cell, place: Place) {
        let at = Relative::of(&self.loc.place, place);
        self.set_at(field, cell, at);
    }

    /// [`RawRow::set`], with the cell's place given by the row's.
    fn set_at(&mut self, field: Field, cell: Cell, at: Relative) {
        self.fields[field.index()] = Some(Located { cell, field, at });
    }
}

/// One thing found in a file, in file order: a row, or a finding about the file, a sheet, a
/// header or the row that follows it.
#[derive(Clone, Debug, PartialEq)]
pub enum Entry {
    Row(Box<RawRow>),
    Note(Finding),
}

/// Where the rows of a large table go while the rest of it is still being mapped (the check,
/// [`crate::validate::Checker`]): a batch of entries at a time, in file order, so a large table
/// is never held whole as rows. Entries not given to it stay in [`Mapped::entries`], after
/// every entry it took.
pub trait Sink: Send {
    /// About this many more rows will come.
    fn expect(&mut self, rows: usize);
    /// The next entries, in file order.
    fn take(&mut self, entries: Vec<Entry>);
}

/// What was found in one file, in file order, so findings can be reported in reading order.
#[derive(Debug, Default)]
pub struct Mapped {
    pub entries: Vec<Entry>,
    /// Cells where a figure belongs that hold a missing-value marker or nothing.
    pub not_reported: usize,
    /// How the file was read, for `validate --explain`: one line per decision.
    pub explanation: Vec<String>,
    /// The date the submission gives itself (JSON `submitted_at`/`submitted`, a `Date:` line).
    pub submitted_at: Option<String>,
    /// Why a file of one table holds none, said once for the file.
    no_table: Option<String>,
    /// Every cell of a table that mapping read (a header, a label, a field of a row, a
    /// not-reported marker) or reported in a finding about its column or row: each non-empty
    /// cell of a table found is one of these (see `tests/it/invariant.rs`). Exact places: a
    /// text line's field, a JSON leaf's pointer. Kept only when [`map`] is asked to `track`
    /// them (a grid's are otherwise only bits in `seen`, while its table is mapped).
    pub accounted: std::collections::HashSet<Place>,
    track: bool,
    /// The cells of the grid table being mapped that were read or reported.
    seen: seen::Seen,
    /// Where each table found starts: its (first) header row, line or JSON pointer.
    pub tables: Vec<Place>,
}

impl Mapped {
    fn explain(&mut self, line: String) {
        self.explanation.push(line);
    }

    fn row(&mut self, row: RawRow) {
        self.entries.push(Entry::Row(Box::new(row)));
    }

    fn note(&mut self, finding: Finding) {
        self.entries.push(Entry::Note(finding));
    }

    /// Keep the place `place` gives, when places are tracked (it is not worked out otherwise).
    fn account(&mut self, place: impl FnOnce() -> Place) {
        if self.track {
            self.accounted.insert(place());
        }
    }
}

/// Find the table(s) in a file's content; with `track`, keep the place of every cell accounted
/// for in [`Mapped::accounted`].
///
/// The rows of a long table go to `sink` as they are mapped when the file holds only that grid
/// (its decimal convention then depends on no other table); everything else is returned.
/// `coming` holds the rest of the rows of the content's last grid, still coming; they are
/// mapped as they come, unless the map declines them ([`Coming::decline`]), when what it
/// returns is to be dropped and the file mapped whole.
pub fn map(
    content: Content,
    file: &Arc<str>,
    schema: &Schema,
    track: bool,
    sink: &mut dyn Sink,
    mut coming: Option<&mut dyn Coming>,
) -> Mapped {
    let mut out = Mapped { track, ..Mapped::default() };
    match content {
        Content::Sheets(sheets) => {
            let workbook = sheets.iter().any(|s| !matches!(s, Sheet::Grid(g) if g.kind == GridKind::Lines));
            let one_grid = sheets.iter().filter(|s| matches!(s, Sheet::Grid(_))).count() == 1;
            let mut sink = one_grid.then_some(sink);
            let mut tables = 0;
            let mut sheets = std::collections::VecDeque::from(sheets);
            while let Some(sheet) = sheets.pop_front() {
                match sheet {
                    Sheet::Grid(g) => {
                        // The rows still coming are the last grid's: the sheets after it come after them.
                        let mut last = if sheets.is_empty() { coming.take() } else { None };
                        let rest: Option<&mut dyn Coming> = match &mut last {
                            Some(rest) => Some(&mut **rest),
                            None => None,
                        };
                        tables += usize::from(grid::map(g, file, schema, &mut out, sink.take(), rest));
                        if let Some(rest) = last {
                            sheets.extend(rest.trailing());
                        }
                    }
                    Sheet::Note(finding) => {
                        out.explain(format!("{}: {}", finding.location.place, finding.message));
                        out.note(finding);
                    }
                }
            }
            if tables == 0 {
                let message = match out.no_table.take() {
                    Some(m) if !workbook => m,
                    _ => {
                        "no visible sheet holds a table clusterkpi recognises (each skipped sheet is listed)".to_owned()
                    }
                };
                out.note(no_table(file, message));
            }
        }
        Content::Json(value) => json::map_document(value, file, schema, &mut out),
        Content::JsonLines(lines) => json::map_lines(lines, file, schema, &mut out),
    }
    settle_decimals(&mut out);
    out
}

/// Decide each value column's decimal convention from the evidence of all its texts, and the
/// file's for columns with none of their own.
fn settle_decimals(out: &mut Mapped) {
    // Each row's value column, numbered in order of appearance, with the evidence of its texts.
    let mut numbers: std::collections::HashMap<_, usize, ahash::RandomState> = Default::default();
    let mut columns: Vec<Vec<Decimal>> = Vec::new();
    let mut of_row: Vec<Option<usize>> = Vec::with_capacity(out.entries.len());
    for entry in &out.entries {
        let Entry::Row(row) = entry else { continue };
        let Some(v) = row.get(Field::Value) else {
            of_row.push(None);
            continue;
        };
        let n = *numbers.entry(value_column(row, v)).or_insert_with(|| {
            columns.push(Vec::new());
            columns.len() - 1
        });
        columns[n].push(decimal_evidence(&v.cell));
        of_row.push(Some(n));
    }
    let file = Decimal::settle(columns.iter().flatten().copied());
    let settled: Vec<Decimal> = columns.into_iter().map(Decimal::settle).collect();
    let rows = out.entries.iter_mut().filter_map(|e| match e {
        Entry::Row(row) => Some(row),
        _ => None,
    });
    for (row, n) in rows.zip(of_row) {
        if let Some(n) = n {
            row.decimal = settled[n].or(file);
        }
    }
}

/// The column a row's value cell lies in: its sheet and column, or its line's field, or none
/// (a JSON member). Its place is not written out for it: a JSON member's pointer is not made.
fn value_column(row: &RawRow, v: &Located) -> (Option<Arc<str>>, Option<u32>) {
    let place = match (v.at(), &row.loc.place) {
        (Relative::Column(col), Place::Row { sheet, .. }) => return (Some(sheet.clone()), Some(*col)),
        (Relative::Member(_), Place::Pointer { .. }) => return (None, None),
        _ => row.place(v),
    };
    match place {
        Place::Cell { sheet, col, .. } => (Some(sheet), Some(col)),
        Place::Line { field, .. } => (None, field),
        _ => (None, None),
    }
}

/// What a value cell says of the decimal convention.
fn decimal_evidence(cell: &Cell) -> Decimal {
    match cell {
        Cell::Text(t) => number::split(t).map_or(Decimal::Unknown, |s| number::evidence(s.core)),
        _ => Decimal::Unknown,
    }
}

fn no_table(file: &Arc<str>, message: String) -> Finding {
    Finding::new(
        Code::NoTable,
        Loc::file(file),
        message,
        "a submission is a table with a header row `cluster, country, year, kpi, value, unit` (optionally `scope, gas, facility, notes`) and one observation per row",
    )
}

/// The finding for the required columns a header lacks, if any.
fn missing_columns(found: &[Field], header: &Loc, fields: &Fields) -> Option<Finding> {
    let missing: Vec<&str> = fields.required().filter(|f| !found.contains(f)).map(Field::as_str).collect();
    if missing.is_empty() {
        return None;
    }
    let list = missing.iter().map(|m| format!("`{m}`")).collect::<Vec<_>>().join(", ");
    Some(Finding::new(
        Code::MissingColumn,
        header.clone(),
        format!("the header has no {list} column; every row of this table is rejected"),
        format!("add a column headed {list}"),
    ))
}

/// The message and hint of a name read by its words (`I_NAME_MATCHED`).
pub fn name_matched(text: &str, read_as: &str, alias: &str, lang: &str) -> (String, String) {
    (
        format!("read `{text}` as {read_as}"),
        format!(
            "read by its words, like the {lang} alias `{alias}`; if that is wrong, write the exact name, or add an alias under `schemas/`"
        ),
    )
}

/// The message and hint of a KPI name that cannot be read (`E_KPI_UNKNOWN`).
pub fn kpi_refused(schema: &Schema, text: &str, near: &[&KpiDef], ambiguous: bool) -> (String, String) {
    let list = |ks: &[&KpiDef]| ks.iter().map(|k| format!("`{}` ({})", k.id, k.label)).collect::<Vec<_>>().join(", ");
    if ambiguous {
        return (
            format!("KPI `{text}` could name several KPIs of the catalog: {}", list(near)),
            "write the KPI id, e.g. `ghg_emissions`, so the figure cannot be read as the wrong KPI".to_owned(),
        );
    }
    let hint = if near.is_empty() {
        format!(
            "use a KPI id from the catalog: {}",
            schema.kpis.iter().map(|k| k.id.as_str()).collect::<Vec<_>>().join(", ")
        )
    } else {
        format!(
            "did you mean {}? Write the KPI id; a figure that is no catalog KPI belongs in another file",
            list(near)
        )
    };
    (format!("KPI `{text}` is not in the catalog"), hint)
}

/// `I_NAME_MATCHED` for a header read by its words as column `field`.
fn header_read(loc: Loc, header: &str, field: Field, alias: &str, lang: &str) -> Finding {
    let (message, hint) = name_matched(header, &format!("the `{}` column", field.as_str()), alias, lang);
    Finding::new(Code::NameMatched, loc, message, hint)
}

fn unknown_column(loc: Loc, name: &str) -> Finding {
    Finding::new(
        Code::UnknownColumn,
        loc,
        format!("column `{name}` is not part of the canonical submission and was ignored"),
        "the canonical columns are cluster, country, year, kpi, value, unit, scope, gas, facility and notes; keep other information in `notes`",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::read::{GridRow, Unpack, read_csv_in_pieces};

    /// A sink that keeps what it is given, in order.
    #[derive(Default)]
    struct Kept(Vec<Entry>);

    impl Sink for Kept {
        fn expect(&mut self, _rows: usize) {}
        fn take(&mut self, entries: Vec<Entry>) {
            self.0.extend(entries);
        }
    }

    /// What mapping a text gave, everything a caller sees of it.
    fn mapped(text: &str, piece_bytes: usize, unpack: Unpack, schema: &Schema) -> String {
        let file: Arc<str> = Arc::from("t.csv");
        let content = match read_csv_in_pieces(text.as_bytes(), &file, piece_bytes, unpack) {
            Ok(content) => content,
            Err(e) => return format!("unread: {e}"),
        };
        let mut sink = Kept::default();
        let out = map(content, &file, schema, true, &mut sink, None);
        shown(sink, out)
    }

    /// Everything a caller sees of what mapping gave: the entries the sink took, then the others.
    fn shown(mut sink: Kept, mut out: Mapped) -> String {
        sink.0.append(&mut out.entries);
        let mut accounted: Vec<String> = out.accounted.iter().map(|p| format!("{p:?}")).collect();
        accounted.sort();
        format!(
            "{:#?}\nnot reported {}\n{:#?}\n{:?}\n{:?}\n{accounted:?}",
            sink.0, out.not_reported, out.explanation, out.submitted_at, out.tables
        )
    }

    /// The rows of a sheet still coming, in batches; every other look finds none in yet.
    struct Batches {
        batches: std::collections::VecDeque<Vec<GridRow>>,
        trailing: Vec<Sheet>,
        declined: bool,
        looks: usize,
    }

    impl Coming for Batches {
        fn next(&mut self, wait: bool) -> Option<Vec<GridRow>> {
            self.looks += 1;
            if self.declined || !wait && self.looks.is_multiple_of(2) {
                return None;
            }
            self.batches.pop_front()
        }
        fn decline(&mut self) {
            self.declined = true;
        }
        fn trailing(&mut self) -> Vec<Sheet> {
            std::mem::take(&mut self.trailing)
        }
    }

    /// A sheet `Data` of these rows, each as wide as the widest, the `i`-th at row `i`; blank
    /// rows left out, as a reader leaves them out.
    fn sheet_rows(rows: &[Vec<Cell>]) -> Vec<GridRow> {
        let width = rows.iter().map(Vec::len).max().unwrap_or(0);
        let rows = rows.iter().enumerate().map(|(i, cells)| {
            let mut cells = cells.clone();
            cells.resize(width, Cell::Empty);
            GridRow { at: i as u64, cells }
        });
        rows.filter(|r| !r.cells.iter().all(Cell::is_blank)).collect()
    }

    fn sheet(rows: Vec<GridRow>) -> Sheet {
        Sheet::Grid(crate::read::Grid::of(GridKind::Sheet(Arc::from("Data")), 0, rows))
    }

    /// A note on a hidden sheet, as a reader gives it.
    fn hidden(name: &str) -> Sheet {
        Sheet::Note(Finding::new(
            Code::SheetHidden,
            Loc::new(&Arc::from("t.xlsx"), Place::Sheet { sheet: Arc::from(name) }),
            format!("sheet `{name}` is hidden and was not read"),
            "",
        ))
    }

    /// What mapping a sheet of `rows` (after a hidden sheet, with `before`, and before one,
    /// with `after`) gave: read whole, and with its rows after the first `head` still coming
    /// in batches of `batch` (`None` when the map declined them), each `wider` cells wider (a
    /// sheet whose declared columns go past its cells: read whole, they are cut off).
    fn sheet_mapped(
        rows: &[Vec<Cell>],
        (head, batch, wider): (usize, usize, usize),
        before: bool,
        after: bool,
    ) -> (String, Option<String>) {
        let (schema, file) = (Schema::bundled().expect("the bundled schema loads"), Arc::from("t.xlsx"));
        let whole_rows = sheet_rows(rows);
        let mut rows = whole_rows.clone();
        for row in &mut rows {
            row.cells.resize(row.cells.len() + wider, Cell::Empty);
        }
        let rest = rows.split_off(head.min(rows.len()));
        let sheets = |grid: Sheet, with_after: bool| {
            let mut sheets = Vec::new();
            if before {
                sheets.push(hidden("Lists"));
            }
            sheets.push(grid);
            if with_after {
                sheets.push(hidden("Lookup"));
            }
            Content::Sheets(sheets)
        };
        let mut sink = Kept::default();
        let out = map(sheets(sheet(whole_rows), after), &file, &schema, true, &mut sink, None);
        let whole = shown(sink, out);
        let mut coming = Batches {
            batches: rest.chunks(batch.max(1)).map(<[GridRow]>::to_vec).collect(),
            trailing: if after { vec![hidden("Lookup")] } else { Vec::new() },
            declined: false,
            looks: 0,
        };
        let mut sink = Kept::default();
        let streamed = map(sheets(sheet(rows), false), &file, &schema, true, &mut sink, Some(&mut coming));
        let streamed = (!coming.declined).then(|| shown(sink, streamed));
        (whole, streamed)
    }

    /// A row of cells from `a|b|c`: `#n` a number, nothing an empty cell, anything else a text.
    fn cells(row: &str) -> Vec<Cell> {
        row.split('|')
            .map(|c| match c.strip_prefix('#') {
                Some(n) => Cell::Number(n.parse().expect("a number")),
                None if c.is_empty() => Cell::Empty,
                None => Cell::Text(c.into()),
            })
            .collect()
    }

    /// A long table of `n` rows of jobs under `header`, each year in turn, after `above`; each
    /// row's cells end with `more`.
    fn jobs(above: &[&str], header: &str, n: usize, more: &str) -> Vec<Vec<Cell>> {
        let mut rows: Vec<Vec<Cell>> = above.iter().chain([&header]).map(|r| cells(r)).collect();
        let row = |i: usize| format!("Port of Rotterdam|NLD|#{}|jobs|#{}|jobs|{more}", 1990 + i % 100, 1000 + i);
        rows.extend((0..n).map(|i| cells(&row(i))));
        rows
    }

    /// A sheet's rows still coming are mapped as they come, and give what the sheet mapped
    /// whole gives, when nothing after the head changes what it said; else they are declined.
    #[test]
    fn a_sheet_whose_rows_come_maps_as_it_does_whole_or_is_declined() {
        let header = "cluster|country|year|kpi|value|unit|notes";
        let clean = jobs(&["Jobs report", "Cluster: Port of Rotterdam"], header, 200, "");
        // (A column whose contents are judged needs 60 cells in the head.)
        for (head, batch, before, after) in [(70, 7, false, false), (100, 1, true, true), (63, 500, false, true)] {
            let (whole, streamed) = sheet_mapped(&clean, (head, batch, 2), before, after);
            assert!(streamed.as_deref() == Some(whole.as_str()), "head {head}, batches of {batch}: {streamed:?}");
        }
        assert_eq!(sheet_mapped(&clean, (50, 10, 0), false, false).1, None, "50 clusters judged, more coming");
        // Columns a finding names (one under a header naming nothing, two under none): every
        // row's cells there are accounted for.
        let named = jobs(&[], "cluster|country|year|kpi|value|unit|notes|checked by||", 200, "|Ann|x|y");
        let (whole, streamed) = sheet_mapped(&named, (100, 9, 1), false, false);
        assert!(streamed.as_deref() == Some(whole.as_str()), "{streamed:?}");
        // Too few rows in the head to be sure of the header; a table of another layout.
        assert_eq!(sheet_mapped(&clean, (20, 10, 0), false, false).1, None);
        let across = [cells("Indicator|Unit|2022|2023")].into_iter().chain((0..60).map(|_| cells("jobs|jobs|#1|#2")));
        assert_eq!(sheet_mapped(&across.collect::<Vec<_>>(), (40, 10, 0), false, false).1, None);
        // What the head said, changed by a row after it.
        let late = |row: &str, header: &str| {
            let mut rows = jobs(&[], header, 150, "");
            rows.push(cells(row));
            sheet_mapped(&rows, (100, 10, 0), false, false)
        };
        for (row, header, why) in [
            ("Port of Rotterdam|NLD|#2020|jobs|12,5|jobs|", header, "a value's text settles the decimal convention"),
            ("Port of Rotterdam|NLD|#2020|jobs|#5|jobs||x", &format!("{header}|"), "a value under no header"),
            (
                "Port of Rotterdam|NLD|#2020|jobs|#5|jobs|#7",
                "cluster|country|year|kpi|value|unit|emissions",
                "a number under a figure's header",
            ),
        ] {
            assert_eq!(late(row, header).1, None, "{why}");
        }
        // Not when nothing changes: a row alike, empty under no header.
        let (whole, streamed) = late("Port of Rotterdam|NLD|#2020|jobs|#5|jobs||", &format!("{header}|"));
        assert!(streamed.as_deref() == Some(whole.as_str()), "{streamed:?}");
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
        /// A sheet whose rows after any head come in batches of any size maps to what the sheet
        /// mapped whole maps to, whenever the map takes them as they come.
        #[test]
        fn a_sheet_mapped_as_its_rows_come_maps_as_the_sheet_whole(
            header in proptest::sample::select(vec![
                "cluster|country|year|kpi|value|unit|notes",
                "cluster|country|year|kpi|value|unit|checked by",
                "cluster|year|kpi|value|unit||",
                "cluster|year|kpi|value|unit|emissions",
                "Indicator|Unit|#2022|#2023",
            ]),
            title in proptest::bool::ANY,
            rows in proptest::collection::vec(
                proptest::sample::select(vec![
                    "Zero Carbon Humber|GBR|#2022|ghg_emissions|12,5|Mt CO2e|estimate",
                    "Zero Carbon Humber|GBR|#2023|ghg_emissions|1.234|kt CO2e|",
                    "Port of Rotterdam|NLD|#2021|GHG emissions (MtCO2e)|1.234,5||",
                    "Port of Rotterdam|NLD|#2022|jobs|n/a|jobs|",
                    "Port of Rotterdam|NLD|#2020|jobs||jobs|",
                    "Port of Rotterdam|NLD|#2019|jobs|#1200|jobs|#7|extra",
                    "Zero Carbon Humber|GBR|#2024|ghg_emissions|#0.25|Mt CO2e|",
                    "Port of Rotterdam|#2022|jobs|#12.5|thousand jobs",
                    "GHG emissions|Mt CO2e|#12|#13",
                    "Source: national statistics",
                    "||||||",
                ]),
                0..40,
            ),
            clean in 60usize..240,
            head in 20usize..220,
            batch in 1usize..60,
            wider in 0usize..3,
            before in proptest::bool::ANY,
            after in proptest::bool::ANY,
        ) {
            let mut all = Vec::new();
            if title {
                all.extend([cells("Emissions report"), cells("Cluster: Zero Carbon Humber")]);
            }
            all.push(cells(header));
            // Clean rows first, so that some heads are taken as they come.
            let note = |i: usize| if i.is_multiple_of(3) { "checked" } else { "" };
            all.extend((0..clean).map(|i| cells(&format!("Port of Rotterdam|NLD|#{}|jobs|#{i}|jobs|{}", 1990 + i % 100, note(i)))));
            all.extend(rows.iter().map(|r| cells(r)));
            let (whole, streamed) = sheet_mapped(&all, (head, batch, wider), before, after);
            if let Some(streamed) = streamed {
                proptest::prop_assert!(streamed == whole, "{}", streamed);
            }
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
        /// A file whose rows wait packed, in pieces of any size, maps to what the file read
        /// whole maps to: the same rows with the same cells, decimal convention and blocks, the
        /// same findings in the same order, and the same cells accounted for. The headers give a
        /// long table (with a column no header names, numbers in it, or one missing), and a
        /// table of years across, which is mapped whole.
        #[test]
        fn a_table_read_from_packed_pieces_maps_as_the_table_read_whole(
            header in proptest::sample::select(vec![
                "cluster,country,year,kpi,value,unit,notes",
                "cluster,country,year,kpi,value,unit,checked by",
                "cluster;year;kpi;value;unit",
                "Indicator,Unit,2022,2023",
            ]),
            title in proptest::bool::ANY,
            rows in proptest::collection::vec(
                proptest::sample::select(vec![
                    "Zero Carbon Humber,GBR,2022,ghg_emissions,\"12,5\",Mt CO2e,estimate",
                    "Zero Carbon Humber,GBR,2023,ghg_emissions,1.234,kt CO2e,",
                    "Port of Rotterdam,NLD,2021,GHG emissions (MtCO2e),\"1.234,5\",,",
                    "Port of Rotterdam,NLD,2022,jobs,n/a,jobs,",
                    "Port of Rotterdam,NLD,2020,jobs,,jobs,",
                    "Port of Rotterdam,NLD,2019,jobs,1200,jobs,7,extra",
                    "Zero Carbon Humber,GBR,2024,ghg_emissions,0.25,Mt CO2e,",
                    ",,,,,,checked",
                    "Port of Rotterdam;2022;jobs;12,5;thousand jobs",
                    "GHG emissions,Mt CO2e,12,13",
                    "Source: national statistics",
                    ",,,,,,",
                    "",
                ]),
                0..120,
            ),
            end in proptest::sample::select(vec!["\n", "\r\n"]),
            piece in 1usize..300,
        ) {
            let schema = Schema::bundled().expect("the bundled schema loads");
            let mut lines = Vec::new();
            if title {
                lines.extend(["Emissions report", "Cluster: Zero Carbon Humber"]);
            }
            lines.push(header);
            lines.extend(rows);
            let text = lines.join(end) + end;
            let whole = mapped(&text, usize::MAX, Unpack::All, &schema);
            proptest::prop_assert_eq!(mapped(&text, piece, Unpack::Head(0), &schema), whole, "{:?}", text);
        }
    }
}
