//! The HTML report of checked files: for each file, a summary, its findings grouped by sheet
//! (location, message, hint), each sheet as a grid with the offending cells highlighted (the
//! findings in the cell's tooltip, and in a panel on click or Enter), and its accepted figures
//! in canonical units.
//!
//! One template (`templates/report.html`, compiled in by askama, which escapes every value: a
//! cell holding `<script>` shows as text). [`Assets::Inline`] puts the stylesheet and script in
//! the page, for a report saved as one file; [`Assets::Linked`] links them, for a server whose
//! Content-Security-Policy forbids inline code.

use std::collections::{BTreeMap, BTreeSet};

use askama::Template;

use super::view::View;
use crate::diag::{Place, Severity};
use crate::pipeline::FileReport;
use crate::read::{Cell, format_grouped};

/// The report's stylesheet and script.
pub const CSS: &str = include_str!("../../assets/report.css");
pub const JS: &str = include_str!("../../assets/report.js");

/// A sheet with more rows than this shows only its first rows and the rows with findings.
const ROWS_SHOWN: usize = 300;
/// The first rows always shown (titles, headers).
const LEADING_ROWS: u32 = 5;
/// The columns shown of a sheet, from its first.
const COLUMNS_SHOWN: u16 = 40;

/// Where the stylesheet and the script go.
#[derive(Clone, Copy, Debug)]
pub enum Assets<'a> {
    /// In the page itself.
    Inline,
    /// Linked, under this path (e.g. `/static`).
    Linked(&'a str),
}

#[derive(Template)]
#[template(path = "report.html")]
struct Page<'a> {
    title: String,
    totals: String,
    files: Vec<FileView>,
    inline: bool,
    css: &'static str,
    js: &'static str,
    assets: &'a str,
}

struct FileView {
    name: String,
    status: &'static str,
    counts: String,
    groups: Vec<Group>,
    figures: Vec<Figure>,
}

struct Group {
    title: String,
    findings: Vec<FindingView>,
    grid: Option<Grid>,
}

struct FindingView {
    id: String,
    severity: &'static str,
    code: &'static str,
    place: String,
    anchor: Option<String>,
    message: String,
    hint: String,
}

struct Grid {
    columns: Vec<String>,
    rows: Vec<Row>,
    omitted: usize,
}

struct Row {
    /// A line standing for rows not shown.
    gap: bool,
    label: String,
    cells: Vec<CellView>,
}

struct CellView {
    text: String,
    id: String,
    class: &'static str,
    title: String,
    /// The ids of its findings, space-separated; empty for a cell without findings.
    findings: String,
}

struct Figure {
    place: String,
    kpi: String,
    year: i32,
    details: String,
    value: String,
    unit: String,
    reported: String,
}

/// The report of checked files, each with its view, as one HTML page.
pub fn html(files: &[(FileReport, View)], assets: Assets<'_>) -> String {
    let (read, accepted, rejected) =
        files.iter().fold((0, 0, 0), |(a, b, c), (r, _)| (a + r.rows_read, b + r.rows_accepted, c + r.rows_rejected));
    let count = |s| files.iter().map(|(r, _)| r.count(s)).sum::<usize>();
    let totals = format!(
        "{}: {read} rows read, {accepted} accepted, {rejected} rejected{}",
        crate::diag::render::plural(files.len(), "file"),
        crate::diag::render::counts(count(Severity::Error), count(Severity::Warning), count(Severity::Info))
    );
    let page = Page {
        title: "clusterkpi: submission check".to_owned(),
        totals,
        files: files.iter().enumerate().map(|(i, (r, v))| file_view(i, r, v)).collect(),
        inline: matches!(assets, Assets::Inline),
        css: CSS,
        js: JS,
        assets: match assets {
            Assets::Inline => "",
            Assets::Linked(path) => path,
        },
    };
    page.render().unwrap_or_else(|e| format!("<!doctype html><title>clusterkpi</title><p>the report failed: {e}</p>"))
}

fn severity_rank(s: Severity) -> u8 {
    match s {
        Severity::Error => 0,
        Severity::Warning => 1,
        Severity::Info => 2,
    }
}

fn file_view(n: usize, report: &FileReport, view: &View) -> FileView {
    let cell_id = |s: usize, r: u32, c: u16| format!("c{n}-{s}-{r}-{c}");
    // The findings of each highlighted cell (errors and warnings).
    let mut by_cell: BTreeMap<(usize, u32, u16), Vec<usize>> = BTreeMap::new();
    for (i, (f, cells)) in report.findings.iter().zip(&view.at).enumerate() {
        if f.severity != Severity::Info {
            for at in cells {
                by_cell.entry(*at).or_default().push(i);
            }
        }
    }
    // The group of each finding: the sheet of its first cell, or of its place, or the file.
    let sheet_named = |name: &str| view.sheets.iter().position(|s| s.original.as_deref() == Some(name));
    let mut groups: Vec<Vec<FindingView>> = (0..=view.sheets.len()).map(|_| Vec::new()).collect();
    for (i, (f, cells)) in report.findings.iter().zip(&view.at).enumerate() {
        let sheet = cells.first().map(|at| at.0).or_else(|| match &f.location.place {
            Place::Sheet { sheet } | Place::Row { sheet, .. } | Place::Cell { sheet, .. } => sheet_named(sheet),
            _ => None,
        });
        let place = f.location.place.to_string();
        groups[sheet.map_or(0, |s| s + 1)].push(FindingView {
            id: format!("f{n}-{i}"),
            severity: f.severity.as_str(),
            code: f.code.as_str(),
            place: if place.is_empty() { "the file".to_owned() } else { place },
            anchor: cells.first().filter(|_| f.severity != Severity::Info).map(|&(s, r, c)| cell_id(s, r, c)),
            message: f.message.clone(),
            hint: f.hint.clone(),
        });
    }
    let mut out = Vec::new();
    let mut groups = groups.into_iter();
    let file_findings = groups.next().unwrap_or_default();
    if !file_findings.is_empty() {
        out.push(Group { title: "The file".to_owned(), findings: file_findings, grid: None });
    }
    for (s, findings) in groups.enumerate() {
        let sheet = &view.sheets[s];
        let title = match (&sheet.original, sheet.pointers.is_empty()) {
            (Some(name), _) => format!("Sheet `{name}`"),
            (None, true) => "The file's lines".to_owned(),
            (None, false) => "The JSON values".to_owned(),
        };
        let grid = grid(n, s, view, report, &by_cell);
        out.push(Group { title, findings, grid });
    }
    FileView {
        name: report.file.to_string(),
        status: report.status().as_str(),
        counts: report.tally(),
        groups: out,
        figures: report
            .observations
            .iter()
            .map(|o| {
                let details: Vec<String> = [("facility", &o.facility), ("scope", &o.scope), ("gas", &o.gas)]
                    .into_iter()
                    .filter_map(|(k, v)| Some(format!("{k} {}", v.as_deref()?)))
                    .collect();
                let how = o.conversion.describe();
                let reported = format!(
                    "{} {}{}",
                    format_grouped(o.reported_value),
                    o.reported_unit.as_deref().unwrap_or(""),
                    if how.is_empty() { String::new() } else { format!(" {how}") }
                );
                Figure {
                    place: o.value_place().to_string(),
                    kpi: o.kpi.to_string(),
                    year: o.year,
                    details: details.join(", "),
                    value: format_grouped(o.value),
                    unit: o.unit.to_string(),
                    reported: reported.trim().to_owned(),
                }
            })
            .collect(),
    }
}

type ByCell = BTreeMap<(usize, u32, u16), Vec<usize>>;

/// Sheet `s` of file `n` as a grid.
fn grid(n: usize, s: usize, view: &View, report: &FileReport, by_cell: &ByCell) -> Option<Grid> {
    let cell_id = |r: u32, c: u16| format!("c{n}-{s}-{r}-{c}");
    let sheet = &view.sheets[s];
    let rows: BTreeSet<u32> = sheet.cells.keys().map(|(r, _)| *r).collect();
    let first_col = sheet.cells.keys().map(|(_, c)| *c).min()?;
    let last_col = sheet.cells.keys().map(|(_, c)| *c).max()?.min(first_col.saturating_add(COLUMNS_SHOWN - 1));
    let flagged: BTreeSet<u32> = by_cell.keys().filter(|(fs, _, _)| *fs == s).map(|(_, r, _)| *r).collect();
    let shown: Vec<u32> = if rows.len() <= ROWS_SHOWN {
        rows.iter().copied().collect()
    } else {
        let leading = rows.iter().copied().take(LEADING_ROWS as usize);
        leading.chain(flagged.iter().copied()).collect::<BTreeSet<u32>>().into_iter().collect()
    };
    let omitted = rows.len() - shown.len();
    let mut out = Vec::new();
    let mut previous: Option<u32> = None;
    for &r in &shown {
        if let Some(p) = previous
            && r > p + 1
            && rows.range(p + 1..r).next().is_some()
        {
            let hidden = rows.range(p + 1..r).count();
            out.push(Row {
                gap: true,
                label: format!("… {} ({} to {})", crate::diag::render::plural(hidden, "row"), p + 2, r),
                cells: Vec::new(),
            });
        }
        previous = Some(r);
        let cells = (first_col..=last_col)
            .map(|c| {
                let text = sheet.cells.get(&(r, c)).map(Cell::to_string).unwrap_or_default();
                match by_cell.get(&(s, r, c)) {
                    None => {
                        CellView { text, id: String::new(), class: "", title: String::new(), findings: String::new() }
                    }
                    Some(ids) => {
                        let fs: Vec<&crate::diag::Finding> = ids.iter().map(|&i| &report.findings[i]).collect();
                        let worst =
                            fs.iter().map(|f| f.severity).min_by_key(|s| severity_rank(*s)).unwrap_or(Severity::Info);
                        let title = fs
                            .iter()
                            .map(|f| format!("{}: {}", f.code.as_str(), f.message))
                            .collect::<Vec<_>>()
                            .join("\n");
                        CellView {
                            text,
                            id: cell_id(r, c),
                            class: worst.as_str(),
                            title,
                            findings: ids.iter().map(|i| format!("f{n}-{i}")).collect::<Vec<_>>().join(" "),
                        }
                    }
                }
            })
            .collect();
        out.push(Row { gap: false, label: (u64::from(r) + 1).to_string(), cells });
    }
    Some(Grid {
        columns: (first_col..=last_col).map(|c| crate::diag::column_letters(u32::from(c))).collect(),
        rows: out,
        omitted,
    })
}
