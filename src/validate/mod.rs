//! Validate: check every mapped row against the schema and the reference data, and turn the
//! rows that pass into observations.
//!
//! An error rejects its row, never the file: every row read ends up either accepted (it became
//! an observation) or rejected (with the codes of the findings that rejected it), so
//! `rows_read = rows_accepted + rows_rejected` always holds. An exact repeat of an earlier row
//! is dropped with a warning and counted as rejected, since it adds no observation.

mod duplicates;
mod facilities;
mod plausible;
mod row;
mod series;

pub use row::{YEAR_MAX, YEAR_MIN};
pub use series::{Groups, KeyRef, SeriesKey};

use rayon::prelude::*;

use crate::diag::{Code, Finding, Loc};
use crate::map::{Entry, Mapped, RawRow};
use crate::normalize::{Conversion, UnitMemo};
use crate::schema::{Field, Schema};

/// An accepted observation, with the reported value and unit as written.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Observation {
    pub cluster_id: String,
    /// ISO 3166-1 alpha-3.
    pub country: String,
    pub year: i32,
    pub kpi: String,
    /// The value in the canonical unit.
    pub value: f64,
    /// The canonical unit (the KPI's, or `FTE` for full-time equivalents).
    pub unit: String,
    pub reported_value: f64,
    pub reported_unit: Option<String>,
    pub conversion: Conversion,
    pub scope: Option<String>,
    pub gas: Option<String>,
    pub facility: Option<String>,
    pub notes: Option<String>,
    /// What a mark on the figure said (`estimate`, `approximate`, `provisional`, `footnote`).
    #[serde(default)]
    pub qualifier: Option<String>,
    /// The row it came from.
    pub row: Loc,
    /// The cell holding the value.
    pub value_loc: Loc,
}

/// A rejected row: where it is, why, and its raw cells as text.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Reject {
    pub loc: Loc,
    pub codes: Vec<Code>,
    pub raw: Vec<(Field, String)>,
}

/// Rows checked by one worker at a time, at least: below it, a file is checked on one core.
const PARALLEL_ROWS: usize = 512;

/// The outcome of validating one file's rows.
#[derive(Debug, Default)]
pub struct Validated {
    pub observations: Vec<Observation>,
    pub rejects: Vec<Reject>,
    /// Every finding of the file, in reading order.
    pub findings: Vec<Finding>,
    pub rows_read: usize,
}

/// Where a finding goes in the report: a finding of the file itself, or a row's findings.
enum Slot {
    Note(Finding),
    Row(usize),
}

pub fn validate(mapped: Mapped, schema: &Schema) -> Validated {
    let mut rows: Vec<Box<RawRow>> = Vec::new();
    let mut slots = Vec::with_capacity(mapped.entries.len());
    for entry in mapped.entries {
        match entry {
            Entry::Row(row) => {
                slots.push(Slot::Row(rows.len()));
                rows.push(row);
            }
            Entry::Note(finding) => slots.push(Slot::Note(finding)),
        }
    }

    // Each row on its own, on every core (a unit memo per worker), with its series key and the
    // warning of a value outside its KPI's range; the results in row order.
    let checked: Vec<Checked> = rows
        .par_iter()
        .with_min_len(PARALLEL_ROWS)
        .map_init(UnitMemo::default, |units, raw| {
            let mut findings = Vec::new();
            let obs = if raw.blocked.is_none() { row::check(raw, schema, units, &mut findings) } else { None };
            let candidate = obs.map(|obs| {
                let range = schema.kpis.find(&obs.kpi).and_then(|k| plausible::range(&obs, k));
                (SeriesKey::of(&obs), obs, range)
            });
            Checked { candidate, findings }
        })
        .collect();
    let mut per_row: Vec<Vec<Finding>> = Vec::with_capacity(rows.len());
    let (mut candidates, mut keys, mut ranges, mut candidate_row) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (i, checked) in checked.into_iter().enumerate() {
        if let Some((key, obs, range)) = checked.candidate {
            candidates.push(obs);
            keys.push(key);
            ranges.push(range);
            candidate_row.push(i);
        }
        per_row.push(checked.findings);
    }

    let mut kept = vec![false; rows.len()];
    let mut observations = Vec::with_capacity(candidates.len());
    let mut observation_row = Vec::with_capacity(candidates.len());
    let verdicts = duplicates::judge(&candidates, &keys);
    let mut kept_keys = Vec::with_capacity(candidates.len());
    let each = candidates.into_iter().zip(candidate_row).zip(verdicts).zip(keys).zip(ranges);
    for ((((obs, i), verdict), key), range) in each {
        match verdict {
            duplicates::Verdict::Keep => {
                kept[i] = true;
                per_row[i].extend(range);
                observations.push(obs);
                observation_row.push(i);
                kept_keys.push(key);
            }
            duplicates::Verdict::Drop(finding) => per_row[i].push(finding),
        }
    }
    let (jumps, totals) =
        rayon::join(|| plausible::jumps(&observations, &kept_keys), || facilities::check(&observations, &kept_keys));
    for (o, finding) in jumps.into_iter().chain(totals) {
        per_row[observation_row[o]].push(finding);
    }
    let rows_read = rows.len();

    // The rows not kept, as rejects; every row is dropped here, on every core.
    let rejects = rows
        .into_par_iter()
        .with_min_len(PARALLEL_ROWS)
        .zip(&per_row)
        .zip(&kept)
        .filter_map(|((raw, findings), kept)| (!kept).then(|| reject(&raw, findings)))
        .collect();

    // One cause, one finding: a finding repeated for every row of one cell (a refused KPI label
    // in a wide table) is reported once, and a name read by its words once per spelling.
    let mut seen = std::collections::HashSet::new();
    let mut findings = Vec::new();
    let mut keep = |f: Finding| {
        let at = (f.code != Code::NameMatched).then(|| f.location.clone());
        if seen.insert((f.code, at, f.message.clone())) {
            findings.push(f);
        }
    };
    for slot in slots {
        match slot {
            Slot::Note(f) => keep(f),
            Slot::Row(i) => std::mem::take(&mut per_row[i]).into_iter().for_each(&mut keep),
        }
    }
    Validated { observations, rejects, findings, rows_read }
}

/// What checking one row on its own gave: an observation with its key and range warning, when
/// it passed, and its findings.
struct Checked {
    candidate: Option<(SeriesKey, Observation, Option<Finding>)>,
    findings: Vec<Finding>,
}

/// A row not kept, rejected with the codes of its errors (or, when it has none, of all its
/// findings: a repeat's warning), or with the code that blocked its table.
fn reject(raw: &RawRow, findings: &[Finding]) -> Reject {
    let errors: Vec<Code> = findings.iter().filter(|f| f.is_error()).map(|f| f.code).collect();
    let codes = match raw.blocked {
        Some(code) => vec![code],
        None if errors.is_empty() => findings.iter().map(|f| f.code).collect(),
        None => errors,
    };
    Reject { loc: raw.loc.clone(), codes, raw: raw_text(raw) }
}

fn raw_text(row: &RawRow) -> Vec<(Field, String)> {
    Field::ALL
        .iter()
        .zip(&row.fields)
        .filter_map(|(f, l)| Some((*f, l.as_ref().filter(|l| !l.cell.is_blank())?.cell.to_string())))
        .collect()
}
