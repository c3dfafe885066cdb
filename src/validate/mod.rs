//! Validate: check every mapped row against the schema and the reference data, and turn the
//! rows that pass into observations.
//!
//! An error rejects its row, never the file: every row read ends up either accepted (it became
//! an observation) or rejected (with the codes of the findings that rejected it), so
//! `rows_read = rows_accepted + rows_rejected` always holds. An exact repeat of an earlier row
//! is dropped with a warning and counted as rejected, since it adds no observation.

mod duplicates;
mod facilities;
mod memo;
mod plausible;
mod row;
mod series;
mod texts;

pub use row::{YEAR_MAX, YEAR_MIN};
pub use series::{Groups, KeyMemo, KeyRef, SeriesKey, Total};

use std::sync::Arc;

use rayon::prelude::*;

use crate::chunks::Chunks;
use crate::diag::{Code, Finding, Loc, Place, Relative, Spot};
use crate::map::{Entry, RawRow, Sink};
use crate::memo::{PerThread, SharedStr};
use crate::normalize::Conversion;
use crate::schema::{Field, Schema};
use texts::{RawText, Texts};

/// An accepted observation, with the reported value and unit as written.
///
/// Its ids, units and free texts are [`SharedStr`]s: a file's rows repeat a few of each, held
/// once however many rows hold them. Its places are its file's (the report's, not held here
/// once a row): the row's, and the value cell's given by the row's ([`Spot`]).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(from = "stored::Stored", into = "stored::Stored")]
pub struct Observation {
    pub cluster_id: SharedStr,
    /// ISO 3166-1 alpha-3.
    pub country: SharedStr,
    pub year: i32,
    pub kpi: SharedStr,
    /// The value in the canonical unit.
    pub value: f64,
    /// The canonical unit (the KPI's, or `FTE` for full-time equivalents).
    pub unit: SharedStr,
    pub reported_value: f64,
    pub reported_unit: Option<SharedStr>,
    /// Shared by the rows converted alike ([`memo::Memo::conversion`]): a file repeats a few.
    pub conversion: Arc<Conversion>,
    pub scope: Option<SharedStr>,
    pub gas: Option<SharedStr>,
    pub facility: Option<SharedStr>,
    /// One pointer wide: most rows have none.
    pub notes: Option<Box<Box<str>>>,
    /// What a mark on the figure said (`estimate`, `approximate`, `provisional`, `footnote`).
    pub qualifier: Option<SharedStr>,
    /// The row it came from, and the cell holding the value.
    pub spot: Spot,
}

// A million rows hold a million observations until the run is written: 128 bytes each, of
// which the places take 16.
const _: () = assert!(size_of::<Observation>() <= 128);

impl Observation {
    /// The cell holding the value.
    pub fn value_place(&self) -> Place {
        self.spot.value()
    }

    /// The cell holding the value, in `file` (its report's).
    pub fn value_loc(&self, file: &Arc<str>) -> Loc {
        Loc::new(file, self.value_place()).with_column(Field::Value.as_str())
    }

    /// The row it came from, in `file` (its report's).
    pub fn row_loc(&self, file: &Arc<str>) -> Loc {
        Loc::new(file, self.spot.row())
    }
}

/// An observation as a state of version 1 kept it, with its row and value cell as whole
/// locations: how such a state is read (the file of each location is its report's, and is
/// dropped). Nothing the run writes holds an observation; the test that builds a state of
/// version 1 writes this form, with the locations' file left empty.
mod stored {
    use super::*;

    #[derive(serde::Serialize, serde::Deserialize)]
    pub struct Stored {
        cluster_id: SharedStr,
        country: SharedStr,
        year: i32,
        kpi: SharedStr,
        value: f64,
        unit: SharedStr,
        reported_value: f64,
        reported_unit: Option<SharedStr>,
        conversion: Arc<Conversion>,
        scope: Option<SharedStr>,
        gas: Option<SharedStr>,
        facility: Option<SharedStr>,
        notes: Option<Box<str>>,
        #[serde(default)]
        qualifier: Option<SharedStr>,
        row: Loc,
        value_loc: Loc,
    }

    impl From<Stored> for Observation {
        fn from(s: Stored) -> Observation {
            let value_at = Relative::of(&s.row.place, s.value_loc.place);
            Observation {
                cluster_id: s.cluster_id,
                country: s.country,
                year: s.year,
                kpi: s.kpi,
                value: s.value,
                unit: s.unit,
                reported_value: s.reported_value,
                reported_unit: s.reported_unit,
                conversion: s.conversion,
                scope: s.scope,
                gas: s.gas,
                facility: s.facility,
                notes: s.notes.map(Box::new),
                qualifier: s.qualifier,
                spot: Spot::of(s.row.place, value_at),
            }
        }
    }

    impl From<Observation> for Stored {
        fn from(o: Observation) -> Stored {
            let file: Arc<str> = Arc::from("");
            Stored {
                value_loc: o.value_loc(&file),
                row: o.row_loc(&file),
                cluster_id: o.cluster_id,
                country: o.country,
                year: o.year,
                kpi: o.kpi,
                value: o.value,
                unit: o.unit,
                reported_value: o.reported_value,
                reported_unit: o.reported_unit,
                conversion: o.conversion,
                scope: o.scope,
                gas: o.gas,
                facility: o.facility,
                notes: o.notes.map(|n| *n),
                qualifier: o.qualifier,
            }
        }
    }
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
    /// In chunks: the run gives them up a chunk at a time ([`crate::chunks`]).
    pub observations: Chunks<Observation>,
    /// The series key of each observation (`keys[i]` is `observations[i]`'s).
    pub keys: Vec<SeriesKey>,
    pub rejects: Vec<Reject>,
    /// Every finding of the file, in reading order.
    pub findings: Vec<Finding>,
    pub rows_read: usize,
}

/// The rows of one file checked as they come, in file order ([`Sink::take`]), and then
/// against each other ([`Checker::finish`]). Each row is checked on its own on every core (a
/// memo of lookups per worker), a chunk of rows at a time, and dropped once checked: a row
/// that passed keeps its raw text in one string (in case it is dropped as a duplicate), a row
/// that failed is a reject at once. So a table streamed in batches is never held whole as rows.
pub struct Checker<'s> {
    schema: &'s Schema,
    /// The file the rows come from.
    file: Arc<str>,
    /// The findings of the file itself, each after the rows read before it (their number).
    notes: Vec<(usize, Finding)>,
    /// The rows taken so far.
    rows: usize,
    /// The findings of the rows, each with its row's index (most rows have none), in row order.
    row_findings: Vec<(usize, Finding)>,
    candidates: Chunks<Observation>,
    keys: Vec<SeriesKey>,
    /// The candidates' raw texts, packed.
    texts: Texts,
    candidate_row: Vec<usize>,
    ranges: Vec<(usize, Finding)>,
    rejects: Vec<(usize, Reject)>,
    /// Each thread's lookups, kept from batch to batch.
    memos: PerThread<memo::Memo<'s>>,
}

impl Sink for Checker<'_> {
    /// Sized for the rows said to come (every row of a file, or of a round of a sheet's rows as
    /// they come): grown by doubling, a million rows' keys would be copied, and their memory
    /// touched afresh, several times over (the candidates grow a chunk at a time, their texts a
    /// block at a time).
    fn expect(&mut self, rows: usize) {
        self.candidates.expect(rows);
        self.keys.reserve(rows);
        self.candidate_row.reserve(rows);
    }

    fn take(&mut self, entries: Vec<Entry>) {
        let (schema, memos, file) = (self.schema, &self.memos, &self.file);
        let mut rows: Vec<Box<RawRow>> = Vec::with_capacity(entries.len());
        let first = self.rows;
        for entry in entries {
            match entry {
                Entry::Row(row) => rows.push(row),
                Entry::Note(finding) => self.notes.push((first + rows.len(), finding)),
            }
        }
        let mut rows = rows.into_iter();
        loop {
            let chunk: Vec<Box<RawRow>> = rows.by_ref().take(CHUNK_ROWS).collect();
            if chunk.is_empty() {
                break;
            }
            let checked: Vec<(Outcome, Vec<Finding>)> = chunk
                .into_par_iter()
                .with_min_len(PARALLEL_ROWS)
                .map_init(
                    || memos.get(),
                    |memo, raw| {
                        let mut findings = Vec::new();
                        let obs =
                            if raw.blocked.is_none() { row::check(&raw, schema, memo, &mut findings) } else { None };
                        let outcome = match obs {
                            Some((obs, kpi)) => {
                                let range = plausible::range(&obs, kpi, file).map(Box::new);
                                Outcome::Candidate { key: memo.keys.of(&obs), obs, range, text: RawText::of(&raw) }
                            }
                            None => Outcome::Rejected(Box::new(Reject {
                                loc: raw.loc.clone(),
                                codes: codes(raw.blocked, &findings),
                                raw: RawText::of(&raw).fields(),
                            })),
                        };
                        (outcome, findings)
                    },
                )
                .collect();
            for (outcome, findings) in checked {
                let i = self.rows;
                match outcome {
                    Outcome::Candidate { key, obs, range, text } => {
                        self.candidates.push(obs);
                        self.keys.push(key);
                        self.texts.push(&text);
                        self.candidate_row.push(i);
                        self.ranges.extend(range.map(|r| (self.candidates.len() - 1, *r)));
                    }
                    Outcome::Rejected(reject) => self.rejects.push((i, *reject)),
                }
                self.row_findings.extend(findings.into_iter().map(|f| (i, f)));
                self.rows += 1;
            }
        }
        self.texts.seal();
    }
}

impl<'s> Checker<'s> {
    /// The checker of the rows of `file`.
    pub fn new(schema: &'s Schema, file: &Arc<str>) -> Self {
        Checker {
            schema,
            file: file.clone(),
            notes: Vec::new(),
            rows: 0,
            row_findings: Vec::new(),
            candidates: Chunks::default(),
            keys: Vec::new(),
            texts: Texts::default(),
            candidate_row: Vec::new(),
            ranges: Vec::new(),
            rejects: Vec::new(),
            memos: PerThread::default(),
        }
    }

    /// The rows taken, checked against each other (repeats, jumps, facility totals), with every
    /// finding in file order.
    pub fn finish(self) -> Validated {
        let Checker {
            file,
            notes,
            rows,
            mut row_findings,
            candidates,
            keys,
            texts,
            candidate_row,
            ranges,
            mut rejects,
            ..
        } = self;
        // `row_findings[..checked]`: each row's findings from its check on its own, in row order.
        // Those of the rows against each other are added after, and sorted into place below.
        let checked = row_findings.len();
        let ids = series::Ids::of(&keys, candidates.iter().map(|o| o.unit.as_str()));
        let mut dropped = duplicates::judge(&candidates, &ids, &file).into_iter().peekable();
        let mut ranges = ranges.into_iter().peekable();
        let mut observation_row = Vec::with_capacity(candidates.len());
        // Whether each candidate is kept: all but the few dropped.
        let mut kept = vec![true; candidates.len()];
        let mut raw = texts.reader();
        for (c, i) in candidate_row.into_iter().enumerate() {
            let range = ranges.next_if(|(at, _)| *at == c).map(|(_, r)| r);
            match dropped.next_if(|(at, _)| *at == c) {
                None => {
                    row_findings.extend(range.map(|r| (i, r)));
                    observation_row.push(i);
                }
                Some((_, finding)) => {
                    let own = of_row(&row_findings[..checked], i).chain(std::iter::once(&finding));
                    let codes = codes(None, own);
                    row_findings.push((i, finding));
                    kept[c] = false;
                    let loc = candidates[c].row_loc(&file);
                    rejects.push((i, Reject { loc, codes, raw: raw.fields(c) }));
                }
            }
        }
        debug_assert!(dropped.next().is_none(), "every candidate dropped is one taken");
        // The raw texts served the rows dropped: they go before the rows are judged again.
        drop(raw);
        drop(texts);
        // The candidates kept are the observations, and their keys the observations' keys: both
        // in place (nothing moves before the first drop, or its chunk; most files have none).
        let mut observations = candidates;
        observations.retain_flagged(&kept);
        let kept_keys = only(keys, &kept);
        let ids = ids.only(&kept);
        let (jumps, totals) = rayon::join(
            || plausible::jumps(&observations, &ids, &file),
            || facilities::check(&observations, &ids, &file),
        );
        for (o, finding) in jumps.into_iter().chain(totals) {
            row_findings.push((observation_row[o], finding));
        }
        rejects.sort_unstable_by_key(|(i, _)| *i);
        let rejects = rejects.into_iter().map(|(_, r)| r).collect();

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
        let mut notes = notes.into_iter().peekable();
        // Each row's findings in the order they were found: as it was checked, then against the others.
        row_findings.sort_by_key(|(i, _)| *i);
        for (i, finding) in row_findings {
            while let Some((_, note)) = notes.next_if(|(before, _)| *before <= i) {
                keep(note);
            }
            keep(finding);
        }
        notes.for_each(|(_, note)| keep(note));
        Validated { observations, keys: kept_keys, rejects, findings, rows_read: rows }
    }
}

/// The items of `items` whose flag in `kept` is set, in place.
fn only<T>(mut items: Vec<T>, kept: &[bool]) -> Vec<T> {
    let mut flags = kept.iter().copied();
    items.retain(|_| flags.next() == Some(true));
    items
}

/// What checking one row on its own gave: an observation with its key, its range warning and
/// its raw text, when it passed; a reject when it did not. Nearly every row is a candidate
/// without a range warning, and outcomes live for one chunk: the candidate is held inline (boxed,
/// it would add an allocation a row), and the rare parts, the warning and the reject, are boxed,
/// so a chunk's outcomes are written and read at 176 bytes a row (an inline warning made it
/// about 290).
enum Outcome {
    Candidate { key: SeriesKey, obs: Observation, range: Option<Box<Finding>>, text: RawText },
    Rejected(Box<Reject>),
}

// A chunk of 64 Ki rows is written and read in order: its outcomes are kept small.
const _: () = assert!(size_of::<Outcome>() <= 176);

/// Rows checked together, then dropped: what a large file holds at once of its raw rows.
const CHUNK_ROWS: usize = 64 * 1024;

/// The codes a row is rejected with: those of its errors (or, when it has none, of all its
/// findings: a repeat's warning), or the code that blocked its table.
fn codes<'f>(blocked: Option<Code>, findings: impl IntoIterator<Item = &'f Finding> + Clone) -> Vec<Code> {
    let errors: Vec<Code> = findings.clone().into_iter().filter(|f| f.is_error()).map(|f| f.code).collect();
    match blocked {
        Some(code) => vec![code],
        None if errors.is_empty() => findings.into_iter().map(|f| f.code).collect(),
        None => errors,
    }
}

/// The findings of row `i` among `findings`, which are in row order.
fn of_row(findings: &[(usize, Finding)], i: usize) -> impl Iterator<Item = &Finding> + Clone {
    let start = findings.partition_point(|(row, _)| *row < i);
    findings[start..].iter().take_while(move |(row, _)| *row == i).map(|(_, f)| f)
}
