//! Duplicate observation keys within one submission.
//!
//! The key is the [`SeriesKey`](super::SeriesKey) (cluster, facility, year, kpi, scope, gas).
//! Rows with the same key and the same value and unit are an exact repeat: the first is kept,
//! each later one gets a warning and is dropped (counted once). Rows with the same key and any
//! difference are a conflict: every row involved gets an error and none is kept, because
//! choosing one would be a guess.

use std::sync::Arc;

use super::Observation;
use super::series::{Groups, Ids};
use crate::chunks::Chunks;
use crate::diag::{Code, Finding};
use crate::read::format_number;

/// The same canonical value (to 1e-9 relative, so `1.5 kt` and `1500 t` agree) in the same unit.
fn same_reading(a: &Observation, b: &Observation) -> bool {
    a.unit == b.unit && (a.value - b.value).abs() <= 1e-9 * a.value.abs().max(b.value.abs())
}

fn reading(o: &Observation) -> String {
    match &o.reported_unit {
        Some(u) => format!("{} {u}", format_number(o.reported_value)),
        None => format_number(o.reported_value),
    }
}

/// How many of the other rows of a conflict a finding names; the rest are counted.
const OTHERS_NAMED: usize = 3;

/// Judge candidate observations (in row order) for duplicate keys: the candidates dropped, in
/// index order, each with the finding that says why (a warning for a repeat, an error for a
/// conflict); every other candidate is kept. `ids` numbers the keys of the candidates, in
/// order ([`Ids::of`]), and `file` is the file they come from.
pub fn judge(candidates: &Chunks<Observation>, ids: &Ids, file: &Arc<str>) -> Vec<(usize, Finding)> {
    // One key: one series, in one year.
    let groups = Groups::by_number(&ids.series, |i| ids.years[i]);
    let mut dropped = Vec::new();
    for members in groups.iter() {
        let first = &candidates[members[0]];
        let conflict = members.iter().any(|&i| !same_reading(first, &candidates[i]));
        for (n, &i) in members.iter().enumerate() {
            let o = &candidates[i];
            if conflict {
                let what = describe(o);
                // The others by name, up to a few: a file repeating one key on every row must
                // not cost the square of its rows.
                let mut others: Vec<String> = members
                    .iter()
                    .filter(|&&j| j != i)
                    .take(OTHERS_NAMED)
                    .map(|&j| format!("{} at {}", reading(&candidates[j]), candidates[j].spot.row()))
                    .collect();
                let more = members.len() - 1 - others.len();
                if more > 0 {
                    others.push(format!("{more} more"));
                }
                dropped.push((
                    i,
                    Finding::new(
                        Code::DuplicateConflict,
                        o.value_loc(file),
                        format!("{what} is given as {} here but as {}", reading(o), others.join(" and ")),
                        "keep one row per cluster, facility, year, KPI, scope and gas: correct or delete the others",
                    ),
                ));
            } else if n > 0 {
                let what = describe(o);
                dropped.push((
                    i,
                    Finding::new(
                        Code::DuplicateRow,
                        o.row_loc(file),
                        format!("this row repeats {what} exactly as at {}; it is counted once", first.spot.row()),
                        "delete the repeated row",
                    ),
                ));
            }
        }
    }
    // Each candidate is in one group at most, so it is dropped once at most; groups interleave
    // (keys `a b a b`), so the drops are put in row order here.
    dropped.sort_unstable_by_key(|(i, _)| *i);
    dropped
}

fn describe(o: &Observation) -> String {
    let mut s = format!("`{}` of `{}`", o.kpi, o.cluster_id);
    if let Some(f) = &o.facility {
        s.push_str(&format!(" (facility `{f}`)"));
    }
    for (name, v) in [("scope", &o.scope), ("gas", &o.gas)] {
        if let Some(v) = v {
            s.push_str(&format!(", {name} `{v}`"));
        }
    }
    s.push_str(&format!(" for {}", o.year));
    s
}
