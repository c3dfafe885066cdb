//! Commit: from the state (what every submission gave), decide what is current, and write the
//! new version whole under the store's `.versions/<run_id>/`: the tables, the summary, and the
//! state itself. Nothing is visible to readers until [`super::publish`] switches to it.
//!
//! - **Supersession.** For each [`SeriesKey`], the newest submission's observation is current;
//!   earlier ones stay in `observations_history` with `superseded_by`. Newer is the submission's
//!   own date where it gives one, else when its content arrived (a correction written over a
//!   file arrives after it); ties go by path, then id.
//!   A retracted submission's observations are all superseded.
//! - **Values are not recomputed.** Every value written is the one the check computed (see
//!   [`crate::normalize`]); a submission not read again keeps its published rows bit for bit
//!   ([`super::previous`]), so a version built from them and one built from a fresh reading are
//!   the same bytes. Only the registry's cluster names and regions are looked up again.
//! - **Bounded.** Supersession needs only the keys; the observations become their table's
//!   pieces a few at a time, each written and dropped, so the `observations` table is never held
//!   whole beside them. Its bytes are those of one `ArrowWriter` given every piece
//!   ([`TableWriter`]).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use arrow::array::{BooleanArray, RecordBatch};
use arrow::compute::{concat_batches, filter_record_batch};
use rayon::prelude::*;
use serde::Serialize;

use super::previous::Previous;
use super::{Accounting, RunError, account};
use crate::chunks::Chunks;
use crate::plan::{Plan, SourceInfo};
use crate::schema::Schema;
use crate::state::{Rows, State, Submission};
use crate::store::{self, LEDGER, SUBMISSIONS, SUMMARY_JSON, Store};
use crate::summary::{self, Stats, Summary};
use crate::validate::{Groups, KeyMemo, KeyRef, Observation, SeriesKey};
use crate::write::batches::{self, SubView, Superseded};
use crate::write::tables::{self, TableDef};
use crate::write::{Footer, TableWriter, WriteError, write_parquet, write_parquet_extending};

/// What the commit made.
pub struct Committed {
    pub summary: Summary,
    /// Observations not current (superseded or retracted).
    pub superseded: usize,
}

/// `summary/summary.json`.
#[derive(Serialize)]
struct SummaryJson<'a> {
    schema_version: &'static str,
    run_id: &'a str,
    started_at: String,
    clusterkpi_version: &'static str,
    gwp_set: &'static str,
    registry: Counts,
    submitted: Counts,
    accounting: &'a Accounting,
    headline: &'a [Stats],
    sources: &'a [SourceInfo],
}

#[derive(Serialize)]
struct Counts {
    clusters: usize,
    countries: usize,
}

/// Rows of a submission built into one piece of its batch at a time: a large submission's
/// pieces are built on every core, one chunk of its observations each.
const PIECE: usize = crate::chunks::CHUNK;

/// Rows of pieces built at once (on every core), then written, then dropped: the observations
/// table is never held whole.
const WAVE: usize = 2 * PIECE;

/// One submission's observations, with their keys and how they were last published (none, or
/// one mark for each).
struct Part {
    rows: Source,
    keys: Vec<SeriesKey>,
    published: Vec<Option<Superseded>>,
}

/// The observations not current, by their index among all the observations of the run (each
/// submission's after the one before), in order, with why: few, where a million are current.
#[derive(Default)]
struct Marks(Vec<(usize, Superseded)>);

impl Marks {
    /// Whether each of the observations `range` is current.
    fn current(&self, range: std::ops::Range<usize>) -> impl Iterator<Item = bool> + Clone + '_ {
        let first = self.0.partition_point(|(i, _)| *i < range.start);
        let mut marked = self.0[first..].iter().map(|(i, _)| *i).peekable();
        range.map(move |i| marked.next_if_eq(&i).is_none())
    }

    /// The mark of each of the observations `range`.
    fn of(&self, range: std::ops::Range<usize>) -> Vec<Option<Superseded>> {
        let first = self.0.partition_point(|(i, _)| *i < range.start);
        let mut marks = vec![None; range.len()];
        for (i, mark) in self.0[first..].iter().take_while(|(i, _)| *i < range.end) {
            marks[i - range.start] = Some(mark.clone());
        }
        marks
    }
}

/// A submission's observations: read by this run, in chunks still to be made pieces of its
/// batch; or published, already in pieces.
enum Source {
    Read(Chunks<Observation>),
    Published(Vec<RecordBatch>),
}

/// A piece of a submission's batch, or the chunk of observations it is made from.
enum Pending {
    Rows(Vec<Observation>),
    Built(RecordBatch),
}

impl Pending {
    fn rows(&self) -> usize {
        match self {
            Pending::Rows(rows) => rows.len(),
            Pending::Built(piece) => piece.num_rows(),
        }
    }
}

/// Supersede, then write the version of `run_id`: the rows of the submissions this run read
/// from `state`, the others' from `previous`. `lap` is called once the observations are
/// marked (`supersede`), and after the writing (`write`), which includes the summary.
///
/// The observations are marked from their keys alone, and what the summary reads of them is
/// gathered; then their pieces are made a wave at a time, written to the `observations` table
/// (and the history), and dropped, while the summary is worked out: a large submission is never
/// held twice, nor its table whole.
pub fn commit(
    state: &mut State,
    previous: Option<&Previous>,
    plan: &Plan,
    store: &Store,
    run_id: &str,
    started: jiff::Timestamp,
    lap: &mut dyn FnMut(&'static str),
) -> Result<Committed, RunError> {
    state.files.sort_by(|a, b| a.path.cmp(&b.path));
    state.submissions.sort_by(|a, b| (&*a.report.file, &a.id).cmp(&(&*b.report.file, &b.id)));
    let schema = &plan.schema;

    // The observations read by this run leave the state: they become pieces as they are
    // written. Their keys are the check's.
    let fresh: Vec<Option<Checked>> = state
        .submissions
        .iter_mut()
        .map(|s| s.rows.as_mut().map(|r| (std::mem::take(&mut r.observations), std::mem::take(&mut r.keys))))
        .collect();
    let clock = std::time::Instant::now();
    let mut parts: Vec<Part> = state
        .submissions
        .par_iter()
        .zip(fresh)
        .map(|(s, fresh)| part(s, fresh, previous, schema))
        .collect::<Result<_, RunError>>()?;
    let parts_at = clock.elapsed();
    // The marks, and how many of each submission's observations are superseded.
    let (marks, counts) = supersede(&state.submissions, &parts, started.as_microsecond());
    let superseded = marks.0.len();
    // What the summary reads of the current observations, before they are written: it is
    // worked out beside the writing.
    let mut gathered = Gathered::default();
    let mut at = 0;
    for part in &parts {
        match &part.rows {
            Source::Read(rows) => gathered.add_observations(rows.iter(), marks.current(at..at + rows.len())),
            Source::Published(pieces) => {
                let mut at = at;
                for piece in pieces {
                    gathered.add(piece, marks.current(at..at + piece.num_rows()))?;
                    at += piece.num_rows();
                }
            }
        }
        at += part.keys.len();
    }
    // The keys of all the observations, in order: the current ones' are the summary's.
    let mut keys: Vec<SeriesKey> = Vec::new();
    for part in &mut parts {
        match keys.is_empty() {
            // A large submission's keys are moved, not copied.
            true => keys = std::mem::take(&mut part.keys),
            false => keys.append(&mut part.keys),
        }
    }
    tracing::debug!(
        parts_ms = parts_at.as_millis() as u64,
        supersede_ms = (clock.elapsed() - parts_at).as_millis() as u64,
        "observations marked"
    );
    lap("supersede");

    let subs: Vec<SubView<'_>> =
        state.submissions.iter().zip(counts).map(|(s, superseded)| SubView { superseded, ..SubView::of(s) }).collect();
    let value_units: BTreeMap<&str, &str> =
        schema.kpis.iter().map(|k| (k.id.as_str(), k.canonical_unit.as_str())).collect();
    let footer =
        Footer { run_id: run_id.to_owned(), value_units: serde_json::to_string(&value_units).unwrap_or_default() };

    let version = store.version(run_id);
    let write_all =
        |def: &'static TableDef, batches: &[RecordBatch]| write_parquet(&version.join(def.path), def, batches, &footer);
    let write = |def: &'static TableDef, batch: RecordBatch| write_all(def, &[batch]);
    // A table of each submission's rows: those this run read, or those published.
    type Fresh<'f> = &'f dyn Fn(&SubView<'_>, &Rows) -> Result<RecordBatch, WriteError>;
    let rows_of = |def: &'static TableDef, fresh: Fresh<'_>, published: fn(&Previous, &str) -> RecordBatch| {
        let parts = subs.iter().zip(&state.submissions).map(|(view, s)| match &s.rows {
            Some(rows) => fresh(view, rows),
            None => Ok(previous.map_or_else(|| empty(def), |p| published(p, &s.id))),
        });
        concat(def, parts.collect::<Result<Vec<_>, _>>()?)
    };
    // With nothing superseded, the history is the observations and two columns: their file's
    // column chunks are copied into it, not encoded again.
    let nothing_superseded = superseded == 0;
    // Every piece still to make or write, with its submission, in order.
    let pending: Vec<(usize, Pending)> = parts
        .into_iter()
        .enumerate()
        .flat_map(|(i, part)| {
            let pieces: Vec<Pending> = match part.rows {
                Source::Read(rows) => rows.into_chunks().into_iter().map(Pending::Rows).collect(),
                Source::Published(pieces) => pieces.into_iter().map(Pending::Built).collect(),
            };
            pieces.into_iter().map(move |p| (i, p))
        })
        .collect();
    let rows_kept = keys.len();
    let streamed = || -> Result<(), RunError> {
        let observations = &tables::OBSERVATIONS;
        let mut table = TableWriter::create(&version.join(observations.path), observations, &footer)?;
        let history = &tables::OBSERVATIONS_HISTORY;
        let mut history = match nothing_superseded {
            true => None,
            false => Some(TableWriter::create(&version.join(history.path), history, &footer)?),
        };
        let (mut pending, mut at) = (pending.into_iter().peekable(), 0);
        while pending.peek().is_some() {
            let mut wave = Vec::new();
            let mut rows = 0;
            while let Some((_, next)) = pending.peek() {
                if !wave.is_empty() && rows + next.rows() > WAVE {
                    break;
                }
                rows += next.rows();
                wave.extend(pending.next());
            }
            let pieces: Vec<RecordBatch> = wave
                .into_par_iter()
                .map(|(i, piece)| match piece {
                    Pending::Rows(rows) => batches::observations(&SubView::of(&state.submissions[i]), &rows, schema),
                    Pending::Built(piece) => Ok(piece),
                })
                .collect::<Result<_, _>>()?;
            // Each piece's marks, and its current rows.
            let mut own = Vec::with_capacity(pieces.len());
            for piece in &pieces {
                own.push(marks.of(at..at + piece.num_rows()));
                at += piece.num_rows();
            }
            let current: Vec<RecordBatch> = pieces
                .iter()
                .zip(&own)
                .map(|(piece, marks)| {
                    if marks.iter().all(Option::is_none) {
                        return Ok(piece.clone());
                    }
                    let is_current: BooleanArray = marks.iter().map(|m| Some(m.is_none())).collect();
                    filter_record_batch(piece, &is_current).map_err(arrow_error(observations))
                })
                .collect::<Result<_, _>>()?;
            let (written, history_written) = rayon::join(
                || table.push(&current),
                || -> Result<(), WriteError> {
                    let Some(history) = &mut history else { return Ok(()) };
                    let pieces = pieces.iter().zip(&own).map(|(piece, marks)| batches::history(piece, marks));
                    history.push(&pieces.collect::<Result<Vec<_>, _>>()?)
                },
            );
            written?;
            history_written?;
        }
        table.finish()?;
        match history {
            Some(history) => history.finish()?,
            None => {
                let (history, written) = (&tables::OBSERVATIONS_HISTORY, version.join(tables::OBSERVATIONS.path));
                let rest = batches::superseded(std::iter::repeat_n(None, rows_kept)).map(|(_, array)| array);
                write_parquet_extending(&version.join(history.path), history, &written, &rest, &footer)?;
            }
        }
        Ok(())
    };
    // The other tables and the state's submissions are independent files: written beside.
    let state_ref = &*state;
    let others = || -> Result<(), RunError> {
        write(
            &tables::REJECTS,
            rows_of(&tables::REJECTS, &|v, r| batches::rejects(v, &r.rejects), Previous::rejects)?,
        )?;
        write(
            &tables::FINDINGS,
            rows_of(&tables::FINDINGS, &|v, r| batches::findings(v, &r.findings), Previous::findings)?,
        )?;
        write(&tables::SUBMISSIONS, batches::submissions(&subs)?)?;
        Ok(store::write_synced(&version.join(SUBMISSIONS), state_ref.submissions_json().as_bytes())?)
    };
    // The summary is worked out beside the writing, then written itself. The keys are dropped
    // once it is worked out, beside the writing too: a million of them, each a shared pointer,
    // take tens of milliseconds to drop.
    let summarised = || -> Result<Summary, RunError> {
        let clock = std::time::Instant::now();
        let current = keys.iter().zip(marks.current(0..keys.len())).filter_map(|(key, current)| current.then_some(key));
        let summary = gathered.summarise(current, schema);
        drop(keys);
        let summary = summary?;
        tracing::debug!(summary_ms = clock.elapsed().as_millis() as u64, "observations summarised");
        write(&tables::KPI_TOTALS, summary::batches::stats(&tables::KPI_TOTALS, &summary.kpi_totals)?)?;
        write(&tables::BY_COUNTRY, summary::batches::stats(&tables::BY_COUNTRY, &summary.by_country)?)?;
        write(&tables::BY_REGION, summary::batches::stats(&tables::BY_REGION, &summary.by_region)?)?;
        write(&tables::COVERAGE, summary::batches::coverage(&summary.coverage)?)?;
        Ok(summary)
    };
    let (streamed, (summary, written)) = rayon::join(streamed, || rayon::join(summarised, others));
    streamed?;
    written?;
    let summary = summary?;

    let (submitted, countries) = (&gathered.clusters, &gathered.countries);
    let registry_countries: BTreeSet<&str> = schema.clusters.iter().map(|c| c.country.as_str()).collect();
    let totals = account(state.submissions.iter().map(|s| &s.report));
    let json = SummaryJson {
        schema_version: crate::write::SCHEMA_VERSION,
        run_id,
        started_at: started.to_string(),
        clusterkpi_version: env!("CARGO_PKG_VERSION"),
        gwp_set: schema.gwp_set.as_str(),
        registry: Counts { clusters: schema.clusters.len(), countries: registry_countries.len() },
        submitted: Counts { clusters: submitted.len(), countries: countries.len() },
        accounting: &totals,
        headline: &summary.kpi_totals,
        sources: &plan.sources,
    };
    let json = serde_json::to_string_pretty(&json).unwrap_or_default() + "\n";
    store::write_synced(&version.join(SUMMARY_JSON), json.as_bytes())?;
    // The ledger last: its presence marks the version finished.
    store::write_synced(&version.join(LEDGER), state.ledger_json().as_bytes())?;
    lap("write");
    Ok(Committed { summary, superseded })
}

/// Observations this run read, with their keys.
type Checked = (Chunks<Observation>, Vec<SeriesKey>);

/// A submission's observations: those this run read, or those published; with their keys.
fn part(
    s: &Submission,
    fresh: Option<Checked>,
    previous: Option<&Previous>,
    schema: &Schema,
) -> Result<Part, RunError> {
    let published = previous.map(|p| p.marks(&s.id).to_vec()).unwrap_or_default();
    let (rows, keys) = match fresh {
        // Its keys are the check's (a state of version 1 held none: worked out here, as the
        // columns written from them would give them).
        Some((observations, keys)) => {
            let keys = match keys.len() == observations.len() {
                true => keys,
                false => {
                    let mut memo = KeyMemo::default();
                    observations.iter().map(|o| memo.of(o)).collect()
                }
            };
            (Source::Read(observations), keys)
        }
        None => {
            let batch = previous.map_or_else(|| empty(&tables::OBSERVATIONS), |p| p.observations(&s.id));
            let pieces =
                (0..batch.num_rows()).step_by(PIECE).map(|at| batch.slice(at, PIECE.min(batch.num_rows() - at)));
            let pieces: Vec<RecordBatch> = pieces
                .collect::<Vec<_>>()
                .par_iter()
                .map(|piece| with_registry(piece, schema))
                .collect::<Result<_, _>>()?;
            let keys: Vec<Vec<SeriesKey>> = pieces
                .par_iter()
                .map(keys)
                .collect::<Result<_, _>>()
                .map_err(|problem| column_error(&tables::OBSERVATIONS, problem))?;
            (Source::Published(pieces), keys.into_iter().flatten().collect())
        }
    };
    // Marks are by position: they apply only to the same rows (the same bytes read again).
    let published = if published.len() == keys.len() { published } else { Vec::new() };
    Ok(Part { rows, keys, published })
}

/// The series key of each row of an `observations` batch.
fn keys(batch: &RecordBatch) -> Result<Vec<SeriesKey>, String> {
    let text = |name| batches::strings(batch, name);
    let (cluster, facility, kpi, scope, gas) =
        (text("cluster_id")?, text("facility")?, text("kpi")?, text("scope")?, text("gas")?);
    let year = batches::ints(batch, "year")?;
    let mut memo = KeyMemo::default();
    Ok((0..batch.num_rows())
        .map(|i| {
            memo.key(KeyRef {
                cluster: cluster[i].unwrap_or_default(),
                facility: facility[i],
                year: year[i].unwrap_or_default(),
                kpi: kpi[i].unwrap_or_default(),
                scope: scope[i],
                gas: gas[i],
            })
        })
        .collect())
}

/// Published observations with the registry's cluster names and regions as they are now.
fn with_registry(batch: &RecordBatch, schema: &Schema) -> Result<RecordBatch, RunError> {
    let def = &tables::OBSERVATIONS;
    let ids = batches::strings(batch, "cluster_id").map_err(|problem| column_error(def, problem))?;
    let mut columns: Vec<batches::Named> =
        def.columns.iter().zip(batch.columns()).map(|(c, array)| (c.name, Arc::clone(array))).collect();
    for (name, array) in batches::registry_columns(ids.into_iter(), schema) {
        columns.retain(|(n, _)| *n != name);
        columns.push((name, array));
    }
    Ok(batches::batch(def, columns)?)
}

/// What the summary reads of the current observations, gathered before they are written (so
/// that the summary is worked out beside the writing): each row's scope as written, country and
/// unit (few distinct texts, each held once), and value; and the distinct cluster ids and
/// countries.
#[derive(Default)]
struct Gathered {
    texts: Interned,
    rows: Vec<Ids>,
    values: Vec<f64>,
    clusters: BTreeSet<String>,
    countries: BTreeSet<String>,
}

/// A row's scope, country and unit, by their index in [`Gathered::texts`] (the scope's plus one,
/// so that a row's ids take 12 bytes).
type Ids = (Option<std::num::NonZeroU32>, u32, u32);

/// Texts held once each, by index.
#[derive(Default)]
struct Interned {
    index: HashMap<Box<str>, u32, ahash::RandomState>,
    texts: Vec<Box<str>>,
}

impl Interned {
    fn of(&mut self, text: &str) -> u32 {
        if let Some(&i) = self.index.get(text) {
            return i;
        }
        let i = u32::try_from(self.texts.len()).unwrap_or(u32::MAX);
        self.texts.push(text.into());
        self.index.insert(text.into(), i);
        i
    }

    fn text(&self, i: u32) -> &str {
        self.texts.get(i as usize).map_or("", |t| t)
    }
}

/// What the summary reads of one observation.
#[derive(Clone, Copy)]
struct Read<'r> {
    cluster: &'r str,
    scope: Option<&'r str>,
    country: &'r str,
    unit: &'r str,
}

/// Equal texts; the observations' texts are shared, so most are the same text by address.
impl PartialEq for Read<'_> {
    fn eq(&self, other: &Self) -> bool {
        let same = crate::memo::same_text;
        let scope = match (self.scope, other.scope) {
            (Some(a), Some(b)) => same(a, b),
            (a, b) => a.is_none() && b.is_none(),
        };
        scope && same(self.cluster, other.cluster) && same(self.country, other.country) && same(self.unit, other.unit)
    }
}

impl Gathered {
    /// Gather the current ones of `observations` (whether each is, `current` says).
    fn add_observations<'o>(
        &mut self,
        observations: impl Iterator<Item = &'o Observation>,
        current: impl Iterator<Item = bool>,
    ) {
        let rows = observations.zip(current).filter(|(_, current)| *current).map(|(o, _)| {
            let read = Read { cluster: &o.cluster_id, scope: o.scope.as_deref(), country: &o.country, unit: &o.unit };
            (read, o.value)
        });
        self.add_rows(rows);
    }

    /// Gather the current rows of a piece of the `observations` table (whether each is,
    /// `current` says): refused, with the problem, when its columns cannot be read.
    fn add(&mut self, piece: &RecordBatch, current: impl Iterator<Item = bool>) -> Result<(), RunError> {
        let read = || -> Result<_, String> {
            let text = |name| batches::strings(piece, name);
            let texts = (text("cluster_id")?, text("scope")?, text("country")?, text("unit")?);
            Ok((texts, batches::floats(piece, "value")?))
        };
        let ((cluster, scope, country, unit), value) =
            read().map_err(|problem| column_error(&tables::OBSERVATIONS, problem))?;
        let rows = current.take(piece.num_rows()).enumerate().filter(|(_, current)| *current).map(|(i, _)| {
            let read = Read {
                cluster: cluster[i].unwrap_or_default(),
                scope: scope[i],
                country: country[i].unwrap_or_default(),
                unit: unit[i].unwrap_or_default(),
            };
            (read, value[i].unwrap_or(f64::NAN))
        });
        self.add_rows(rows);
        Ok(())
    }

    fn add_rows<'r>(&mut self, rows: impl Iterator<Item = (Read<'r>, f64)>) {
        let texts = &mut self.texts;
        // Rows repeat their texts: the last row's are tried first, then those met at the same
        // addresses (the observations' texts are shared), then the texts themselves.
        let mut last: Option<(Read<'r>, Ids)> = None;
        let mut at: crate::memo::ByAddress<'r, 4, Ids> = Default::default();
        for (read, value) in rows {
            let ids = match last {
                Some((seen, ids)) if seen == read => ids,
                _ => {
                    let shared = [Some(read.cluster), read.scope, Some(read.country), Some(read.unit)];
                    at.get(shared, || {
                        if !self.clusters.contains(read.cluster) {
                            self.clusters.insert(read.cluster.to_owned());
                        }
                        if !self.countries.contains(read.country) {
                            self.countries.insert(read.country.to_owned());
                        }
                        let scope = read.scope.and_then(|s| std::num::NonZeroU32::new(texts.of(s).saturating_add(1)));
                        (scope, texts.of(read.country), texts.of(read.unit))
                    })
                }
            };
            last = Some((read, ids));
            self.rows.push(ids);
            self.values.push(value);
        }
    }

    /// The summary of the rows gathered, whose keys are `keys`, in order.
    fn summarise<'k>(&self, keys: impl Iterator<Item = &'k SeriesKey>, schema: &Schema) -> Result<Summary, RunError> {
        let regions: HashMap<&str, &str> = schema.clusters.iter().map(|c| (c.id.as_str(), c.region.as_str())).collect();
        let rows =
            keys.zip(self.rows.iter().zip(&self.values)).map(|(key, (&(scope, country, unit), &value))| summary::Row {
                key,
                scope: scope.map(|s| self.texts.text(s.get() - 1)),
                country: self.texts.text(country),
                unit: self.texts.text(unit),
                value,
            });
        Ok(summary::compute(rows, |cluster| regions.get(cluster).copied().unwrap_or(""))?)
    }
}

/// The batches of a table one after the other, as one.
fn concat(def: &'static TableDef, parts: impl IntoIterator<Item = RecordBatch>) -> Result<RecordBatch, RunError> {
    let parts: Vec<RecordBatch> = parts.into_iter().collect();
    Ok(concat_batches(&def.schema(), &parts).map_err(arrow_error(def))?)
}

fn empty(def: &'static TableDef) -> RecordBatch {
    RecordBatch::new_empty(def.schema())
}

fn arrow_error(def: &'static TableDef) -> impl Fn(arrow::error::ArrowError) -> WriteError {
    move |source| WriteError::Arrow { table: def.name, source }
}

fn column_error(def: &'static TableDef, problem: String) -> WriteError {
    WriteError::Published { table: def.name, problem }
}

/// Mark each observation superseded by the newest submission giving the same key, or
/// retracted; and count each submission's marks. A mark already published keeps its time.
fn supersede(submissions: &[Submission], parts: &[Part], now: i64) -> (Marks, Vec<usize>) {
    let order = |s: &Submission| {
        let arrived = || s.arrived_at.or_else(|| parse_date(&s.first_seen)).unwrap_or(0);
        let date = s.report.submitted_at.as_deref().and_then(parse_date).unwrap_or_else(arrived);
        (date, s.report.file.to_string(), s.id.clone())
    };
    let mut ranked: Vec<usize> = (0..submissions.len()).collect();
    ranked.sort_by_key(|&i| order(&submissions[i]));
    let mut rank = vec![0; submissions.len()];
    for (r, &i) in ranked.iter().enumerate() {
        rank[i] = r;
    }
    // The newest live submission giving each observation's key. Only keys given by two
    // submissions or more can be superseded: with one submission giving any, each is its own
    // (`None` here).
    let giving = parts.iter().filter(|p| !p.keys.is_empty()).count();
    let newest: Option<Vec<Option<usize>>> = (giving > 1).then(|| {
        let all: Vec<(usize, &SeriesKey)> =
            parts.iter().enumerate().flat_map(|(i, part)| part.keys.iter().map(move |k| (i, k))).collect();
        let mut newest = vec![None; all.len()];
        for members in Groups::of(all.len(), |j| all[j].1).iter() {
            let live = members.iter().map(|&j| all[j].0).filter(|&i| submissions[i].retracted_at.is_none());
            if let Some(winner) = live.max_by_key(|&i| rank[i]) {
                members.iter().for_each(|&j| newest[j] = Some(winner));
            }
        }
        newest
    });
    let (mut marks, mut counts) = (Marks::default(), vec![0; parts.len()]);
    let mut j = 0;
    for (i, (s, part)) in submissions.iter().zip(parts).enumerate() {
        for k in 0..part.keys.len() {
            let winner = newest.as_ref().map_or(Some(i), |newest| newest.get(j).copied().flatten());
            j += 1;
            let by = match s.retracted_at {
                Some(_) => "retracted".to_owned(),
                None => match winner.filter(|&w| w != i) {
                    Some(w) => submissions[w].id.clone(),
                    None => continue,
                },
            };
            let at = match part.published.get(k).and_then(Option::as_ref) {
                Some(previous) if previous.by == by => previous.at,
                _ => s.retracted_at.unwrap_or(now),
            };
            marks.0.push((j - 1, Superseded { by, at }));
            counts[i] += 1;
        }
    }
    (marks, counts)
}

/// Microseconds since the epoch of an RFC 3339 timestamp or a plain date.
fn parse_date(s: &str) -> Option<i64> {
    if let Ok(t) = s.trim().parse::<jiff::Timestamp>() {
        return Some(t.as_microsecond());
    }
    let date: jiff::civil::Date = s.trim().parse().ok()?;
    Some(date.in_tz("UTC").ok()?.timestamp().as_microsecond())
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{ArrayRef, Float64Array, StringArray};

    /// A piece of `n` rows of jobs of one cluster, 2020 onwards, valued 1, 2, …; with or without
    /// its `unit` column.
    fn piece(n: usize, unit: bool) -> RecordBatch {
        let text = |t: &str| -> ArrayRef { Arc::new(StringArray::from(vec![t; n])) };
        let mut columns = vec![
            ("scope", Arc::new(StringArray::from(vec![None::<&str>; n])) as ArrayRef),
            ("cluster_id", text("port-of-rotterdam")),
            ("country", text("NLD")),
            ("value", Arc::new(Float64Array::from_iter_values((1..=n).map(|v| v as f64))) as ArrayRef),
        ];
        if unit {
            columns.push(("unit", text("jobs")));
        }
        RecordBatch::try_from_iter(columns).expect("a batch")
    }

    fn keys(n: usize) -> Vec<SeriesKey> {
        let mut memo = KeyMemo::default();
        let key =
            |year| KeyRef { cluster: "port-of-rotterdam", facility: None, year, kpi: "jobs", scope: None, gas: None };
        (0..n).map(|i| memo.key(key(2020 + i as i32))).collect()
    }

    /// The marks of a range of observations are those of its rows, wherever the range starts.
    #[test]
    fn marks_are_read_by_range() {
        let mark = |by: &str| Superseded { by: by.to_owned(), at: 7 };
        let marks = Marks(vec![(2, mark("a")), (5, mark("retracted"))]);
        assert_eq!(marks.current(0..4).collect::<Vec<_>>(), [true, true, false, true]);
        assert_eq!(marks.current(3..7).collect::<Vec<_>>(), [true, true, false, true]);
        assert_eq!(marks.current(6..9).collect::<Vec<_>>(), [true; 3]);
        assert_eq!(marks.current(2..2).count(), 0);
        let by = |m: &Option<Superseded>| m.as_ref().map(|m| m.by.clone());
        assert_eq!(
            marks.of(1..6).iter().map(by).collect::<Vec<_>>(),
            [None, Some("a".to_owned()), None, None, Some("retracted".to_owned())]
        );
        assert_eq!(marks.of(3..5), vec![None, None]);
    }

    /// The summary of pieces gathered one at a time.
    fn summarise(pieces: &[RecordBatch], keys: &[SeriesKey], schema: &Schema) -> Result<Summary, RunError> {
        let mut gathered = Gathered::default();
        pieces.iter().try_for_each(|piece| gathered.add(piece, std::iter::repeat(true)))?;
        gathered.summarise(keys.iter(), schema)
    }

    /// The summary gathers its pieces one at a time; one it cannot read fails the run with a
    /// typed error, wherever it is, and the others are never summarised without it.
    #[test]
    fn a_piece_the_summary_cannot_read_is_an_error() {
        let schema = Schema::bundled().expect("the bundled schema");
        let summary = summarise(&[piece(2, true), piece(3, true)], &keys(5), &schema).expect("a summary");
        // The cluster counts with its latest year, 2024: the third row of the second piece.
        let jobs = summary.kpi_totals.iter().find(|s| s.kpi == "jobs").expect("jobs");
        assert_eq!((jobs.clusters, jobs.total), (1, 3.0));
        for pieces in
            [vec![piece(2, false)], vec![piece(2, true), piece(3, false)], vec![piece(3, false), piece(2, true)]]
        {
            let rows = pieces.iter().map(RecordBatch::num_rows).sum();
            let err = summarise(&pieces, &keys(rows), &schema).map(|_| ()).expect_err("no summary");
            assert!(err.to_string().contains("observations"), "{err}");
        }
    }
}
