//! Columns read by their contents, as a person would when a header says nothing useful: a
//! column of years is the year column, a column of KPI names the kpi column, a column of unit
//! spellings the unit column, a column of registry cluster names the cluster column, a column
//! of numbers beside them the value column.
//!
//! Contract: a role is given only on clear evidence: at least [`SHARE`] of the column's
//! non-empty, reported cells fit it, and no other role's evidence comes near ([`RIVAL`]). A
//! column that fits two roles (a column of `jobs` is KPI names and units alike) gets none.

use std::borrow::Cow;

use crate::normalize;
use crate::read::Cell;
use crate::schema::{Field, Fits, Schema};

use super::cues::{split_unit, wordy};

/// The share of cells that must fit a role.
const SHARE: f64 = 0.8;
/// A second role fitting this share of the cells makes the column ambiguous.
const RIVAL: f64 = 0.5;
/// How many cells of a column are looked at: its first that count ([`counts`]).
pub(super) const SAMPLE: usize = 60;

/// Whether a cell counts among a column's contents: it holds something other than a
/// missing-value marker.
pub(super) fn counts(cell: &Cell, schema: &Schema) -> bool {
    !cell.is_blank() && !matches!(cell, Cell::Text(t) if schema.layout.is_marker(t))
}

/// The role a column's cells show, if they show one clearly.
pub(super) fn role<'a>(cells: impl Iterator<Item = Cow<'a, Cell>>, schema: &Schema) -> Option<Field> {
    let cells: Vec<Cow<'a, Cell>> = cells.filter(|c| counts(c, schema)).take(SAMPLE).collect();
    let cells: Vec<&Cell> = cells.iter().map(|c| &**c).collect();
    if cells.is_empty() {
        return None;
    }
    let n = cells.len() as f64;
    // Each distinct cell judged once, weighed by how often it occurs: a column repeats its
    // KPI names, units and clusters. A text's fits are judged once a run ([`Schema::fits`]).
    let mut distinct: Vec<(&Cell, usize)> = Vec::new();
    for &c in &cells {
        match distinct.iter_mut().find(|(d, _)| *d == c) {
            Some((_, count)) => *count += 1,
            None => distinct.push((c, 1)),
        }
    }
    let count = |fit: &dyn Fn(&Cell) -> bool| distinct.iter().filter(|(c, _)| fit(c)).map(|(_, k)| k).sum::<usize>();
    if count(&|c| year_of(c).is_some()) as f64 / n >= SHARE && distinct_years(&cells) {
        return Some(Field::Year);
    }
    let number = count(&|c| numeric(c)) as f64 / n;
    let judged: Vec<(Fits, usize)> = distinct.iter().map(|&(c, k)| (fits(c, schema), k)).collect();
    let share =
        |fit: fn(Fits) -> bool| judged.iter().filter(|(f, _)| fit(*f)).map(|(_, k)| k).sum::<usize>() as f64 / n;
    let (kpi, cluster, country, unit) =
        (share(|f| f.kpi), share(|f| f.cluster), share(|f| f.country), share(|f| f.unit));
    let roles = [
        (Field::Kpi, kpi),
        (Field::Cluster, cluster),
        (Field::Country, country),
        (Field::Unit, unit),
        (Field::Value, number),
    ];
    let (best, best_share) = roles.iter().copied().max_by(|a, b| a.1.total_cmp(&b.1))?;
    let rivals = roles.iter().filter(|(f, s)| *f != best && *s >= RIVAL).count();
    (best_share >= SHARE && rivals == 0).then_some(best)
}

/// The roles a cell's text fits: none for a cell that is no wordy text.
fn fits(cell: &Cell, schema: &Schema) -> Fits {
    match cell {
        Cell::Text(t) if wordy(t) => schema.fits.get(crate::trim::trim(t), |t| Fits {
            kpi: schema.find_kpi(split_unit(t, schema).0).is_some(),
            cluster: schema.clusters.find(t).is_some(),
            country: schema.countries.find(t).is_some(),
            unit: normalize::parse(schema, t).is_ok(),
        }),
        _ => Fits::default(),
    }
}

fn year_of(c: &Cell) -> Option<i64> {
    let y = match c {
        Cell::Number(n) if n.fract() == 0.0 => *n as i64,
        Cell::Text(t) if t.trim().len() == 4 => t.trim().parse().ok()?,
        _ => return None,
    };
    (1990..=2100).contains(&y).then_some(y)
}

/// A year column repeats a few years; a column of figures that happen to lie between 1990 and
/// 2100 rarely does, and never in a file of one row.
fn distinct_years(cells: &[&Cell]) -> bool {
    let mut years: Vec<i64> = cells.iter().filter_map(|c| year_of(c)).collect();
    years.sort_unstable();
    years.dedup();
    cells.len() >= 2 && years.len() < cells.len() || cells.len() <= 3
}

/// Whether a cell holds a number, or a text that reads as one (`1,234`, `~1200`, `EUR 5 m`): a
/// digit that is no part of a word (`CO2`, `H2`) comes first, after at most a currency's letters.
pub(super) fn numeric(cell: &Cell) -> bool {
    match cell {
        Cell::Number(_) => true,
        Cell::Text(t) => {
            let t = t.trim();
            let mut prev: Option<char> = None;
            let start = t.char_indices().find_map(|(i, c)| {
                let found = c.is_ascii_digit() && !prev.is_some_and(char::is_alphabetic);
                prev = Some(c);
                found.then_some(i)
            });
            let letters = |s: &str| s.chars().filter(|c| c.is_alphabetic()).count();
            start.is_some_and(|i| letters(&t[..i]) <= 3) && letters(t) <= 12 && crate::number::split(t).is_some()
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_column_of_units_is_the_unit_column() {
        let s = Schema::bundled().unwrap();
        let cells: Vec<Cell> =
            ["Mt CO2e", "Mt CO2e", "GBP m", "jobs", "t H2"].iter().map(|t| Cell::Text((*t).into())).collect();
        assert_eq!(role(cells.iter().map(Cow::Borrowed), &s), Some(Field::Unit));
    }

    /// What a text fits is judged once a run: a column met again, in this file or another, reads
    /// as it did, and its texts are looked up in the run's memo, not judged again.
    #[test]
    fn a_text_is_judged_once_a_run() {
        let s = Schema::bundled().unwrap();
        let texts = |t: &[&str]| -> Vec<Cell> { t.iter().map(|t| Cell::Text((*t).into())).collect() };
        let clusters = texts(&["Port of Rotterdam", "Humber", "Port of Rotterdam", "Humber"]);
        let read = |cells: &[Cell]| role(cells.iter().map(Cow::Borrowed), &s);
        assert_eq!(read(&clusters), Some(Field::Cluster));
        assert_eq!(read(&clusters), Some(Field::Cluster), "read again from the memo");
        // A text the memo holds is not judged again: one given a unit's fit reads as a unit.
        let unknown = texts(&["banana split", "banana split", "banana split"]);
        assert_eq!(read(&unknown), None);
        let fresh = Schema::bundled().unwrap();
        fresh.fits.get("banana split", |_| Fits { unit: true, ..Fits::default() });
        assert_eq!(role(unknown.iter().map(Cow::Borrowed), &fresh), Some(Field::Unit));
    }
}
