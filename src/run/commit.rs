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
use crate::write::{Footer, WriteError, write_parquet, write_parquet_extending};

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

/// One submission's observations, with their keys and how they were last published.
struct Part {
    /// Its observations, in pieces.
    pieces: Vec<RecordBatch>,
    keys: Vec<SeriesKey>,
    published: Vec<Option<Superseded>>,
}

/// Supersede, then write the version of `run_id`: the rows of the submissions this run read
/// from `state`, the others' from `previous`. `lap` is called once the observations are
/// gathered and superseded (`supersede`), and after the writing (`write`), which includes the
/// summary: it is worked out while the large tables are written.
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

    // The observations read by this run leave the state as they become Arrow pieces: a large
    // submission is not held twice. Their keys are the check's.
    let fresh: Vec<Option<Checked>> = state
        .submissions
        .iter_mut()
        .map(|s| s.rows.as_mut().map(|r| (std::mem::take(&mut r.observations), std::mem::take(&mut r.keys))))
        .collect();
    let clock = std::time::Instant::now();
    let parts: Vec<Part> = state
        .submissions
        .par_iter()
        .zip(fresh)
        .map(|(s, fresh)| part(s, fresh, previous, schema))
        .collect::<Result<_, RunError>>()?;
    let parts_at = clock.elapsed();
    let marks = supersede(&state.submissions, &parts, started.as_microsecond());
    let supersede_at = clock.elapsed();
    // How many of each submission's observations are superseded, and of all of them.
    let counts: Vec<usize> = marks.iter().map(|m| m.iter().filter(|m| m.is_some()).count()).collect();
    let superseded = counts.iter().sum();
    // The observations stay in their pieces, each with its marks: a table of a million rows is
    // written a piece at a time, never copied whole into one batch.
    let marks: Vec<Option<Superseded>> = marks.into_iter().flatten().collect();
    let mut observations: Vec<(RecordBatch, &[Option<Superseded>])> = Vec::new();
    let mut rest = marks.as_slice();
    for piece in parts.iter().flat_map(|p| p.pieces.iter()) {
        let (own, after) = rest.split_at(piece.num_rows());
        observations.push((piece.clone(), own));
        rest = after;
    }
    let current: Vec<RecordBatch> = observations
        .iter()
        .map(|(piece, marks)| {
            if marks.iter().all(Option::is_none) {
                return Ok(piece.clone());
            }
            let is_current: BooleanArray = marks.iter().map(|m| Some(m.is_none())).collect();
            filter_record_batch(piece, &is_current).map_err(arrow_error(&tables::OBSERVATIONS))
        })
        .collect::<Result<_, _>>()?;
    let current_keys: Vec<SeriesKey> = parts
        .into_iter()
        .flat_map(|p| p.keys)
        .zip(&marks)
        .filter_map(|(key, mark)| mark.is_none().then_some(key))
        .collect();

    tracing::debug!(
        parts_ms = parts_at.as_millis() as u64,
        supersede_ms = (supersede_at - parts_at).as_millis() as u64,
        current_ms = (clock.elapsed() - supersede_at).as_millis() as u64,
        "observations gathered"
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
    // The tables and the state's submissions are independent files: written side by side.
    let state_ref = &*state;
    // With nothing superseded, the history is the observations and two columns: their file's
    // column chunks are copied into it, not encoded again.
    let nothing_superseded = superseded == 0;
    let jobs: [&(dyn Fn() -> Result<(), RunError> + Sync); 4] = [
        &|| {
            write_all(&tables::OBSERVATIONS, &current)?;
            if nothing_superseded {
                let (history, written) = (&tables::OBSERVATIONS_HISTORY, version.join(tables::OBSERVATIONS.path));
                let rest = batches::superseded(&marks).map(|(_, array)| array);
                write_parquet_extending(&version.join(history.path), history, &written, &rest, &footer)?;
            }
            Ok(())
        },
        &|| {
            if nothing_superseded {
                return Ok(());
            }
            let history = observations.iter().map(|(piece, marks)| batches::history(piece, marks));
            Ok(write_all(&tables::OBSERVATIONS_HISTORY, &history.collect::<Result<Vec<_>, _>>()?)?)
        },
        &|| {
            write(
                &tables::REJECTS,
                rows_of(&tables::REJECTS, &|v, r| batches::rejects(v, &r.rejects), Previous::rejects)?,
            )?;
            write(
                &tables::FINDINGS,
                rows_of(&tables::FINDINGS, &|v, r| batches::findings(v, &r.findings), Previous::findings)?,
            )?;
            Ok(write(&tables::SUBMISSIONS, batches::submissions(&subs)?)?)
        },
        &|| Ok(store::write_synced(&version.join(SUBMISSIONS), state_ref.submissions_json().as_bytes())?),
    ];
    // The summary is worked out beside the writing of the large tables, then written itself.
    let summarised = || -> Result<Summary, RunError> {
        let clock = std::time::Instant::now();
        let summary = summarise(&current, &current_keys, schema);
        // The keys are dropped here, beside the writing: a million of them, each a shared pointer.
        drop(current_keys);
        let summary = summary?;
        tracing::debug!(summary_ms = clock.elapsed().as_millis() as u64, "observations summarised");
        write(&tables::KPI_TOTALS, summary::batches::stats(&tables::KPI_TOTALS, &summary.kpi_totals)?)?;
        write(&tables::BY_COUNTRY, summary::batches::stats(&tables::BY_COUNTRY, &summary.by_country)?)?;
        write(&tables::BY_REGION, summary::batches::stats(&tables::BY_REGION, &summary.by_region)?)?;
        write(&tables::COVERAGE, summary::batches::coverage(&summary.coverage)?)?;
        Ok(summary)
    };
    let (summary, written) =
        rayon::join(summarised, || jobs.par_iter().map(|job| job()).collect::<Result<Vec<()>, RunError>>());
    written?;
    let summary = summary?;

    let (submitted, countries) = (distinct(&current, "cluster_id")?, distinct(&current, "country")?);
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
    let view = &SubView::of(s);
    let published = previous.map(|p| p.marks(&s.id).to_vec()).unwrap_or_default();
    // The keys of rows read back, worked out from their columns.
    let keys_of = |pieces: &[RecordBatch]| -> Result<Vec<SeriesKey>, WriteError> {
        let keys: Vec<Vec<SeriesKey>> = pieces
            .par_iter()
            .map(keys)
            .collect::<Result<_, _>>()
            .map_err(|problem| column_error(&tables::OBSERVATIONS, problem))?;
        Ok(keys.into_iter().flatten().collect())
    };
    let (pieces, keys) = match fresh {
        // A large submission in pieces, built on every core, each chunk of observations freed
        // once it is a piece; its keys are the check's.
        Some((observations, keys)) => {
            let rows = observations.len();
            let pieces: Vec<RecordBatch> = observations
                .into_chunks()
                .into_par_iter()
                .map(|piece| batches::observations(view, &piece, schema))
                .collect::<Result<_, _>>()?;
            let keys = if keys.len() == rows { keys } else { keys_of(&pieces)? };
            (pieces, keys)
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
            let keys = keys_of(&pieces)?;
            (pieces, keys)
        }
    };
    // Marks are by position: they apply only to the same rows (the same bytes read again).
    let published = if published.len() == keys.len() { published } else { vec![None; keys.len()] };
    Ok(Part { pieces, keys, published })
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

/// The distinct texts of an `observations` column over all its pieces.
fn distinct<'a>(pieces: &'a [RecordBatch], name: &str) -> Result<BTreeSet<&'a str>, WriteError> {
    let mut texts = BTreeSet::new();
    for piece in pieces {
        let column = batches::distinct(piece, name).map_err(|problem| column_error(&tables::OBSERVATIONS, problem))?;
        texts.extend(column);
    }
    Ok(texts)
}

/// The summary of the current observations (in pieces), whose keys are `keys`. The pieces are
/// read one at a time: their rows are never all held at once beside the tables being written.
fn summarise(current: &[RecordBatch], keys: &[SeriesKey], schema: &Schema) -> Result<Summary, RunError> {
    let regions: HashMap<&str, &str> = schema.clusters.iter().map(|c| (c.id.as_str(), c.region.as_str())).collect();
    let regions = &regions;
    let mut failed = None;
    // Each piece's keys: `keys` are the pieces' rows one after the other.
    debug_assert_eq!(keys.len(), current.iter().map(RecordBatch::num_rows).sum::<usize>());
    let mut rest = keys;
    let rows = current.iter().filter_map(|piece| {
        let (keys, after) = rest.split_at(piece.num_rows().min(rest.len()));
        rest = after;
        let columns = (|| {
            let text = |name| batches::strings(piece, name);
            Ok::<_, String>((text("scope")?, text("country")?, text("unit")?, batches::floats(piece, "value")?))
        })();
        // A piece whose columns cannot be read gives no row: the run fails with the first.
        let (scope, country, unit, value) = columns.map_err(|problem| failed.get_or_insert(problem)).ok()?;
        Some(keys.iter().enumerate().map(move |(i, key)| summary::Row {
            key,
            scope: scope[i],
            country: country[i].unwrap_or_default(),
            unit: unit[i].unwrap_or_default(),
            value: value[i].unwrap_or(f64::NAN),
        }))
    });
    let summary = summary::compute(rows.flatten(), |cluster| regions.get(cluster).copied().unwrap_or(""))?;
    match failed {
        Some(problem) => Err(column_error(&tables::OBSERVATIONS, problem).into()),
        None => Ok(summary),
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
/// retracted. A mark already published keeps its time.
fn supersede(submissions: &[Submission], parts: &[Part], now: i64) -> Vec<Vec<Option<Superseded>>> {
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
    // Every key with its submission; only keys given more than once can be superseded.
    let all: Vec<(usize, &SeriesKey)> =
        parts.iter().enumerate().flat_map(|(i, part)| part.keys.iter().map(move |k| (i, k))).collect();
    let mut newest: Vec<Option<usize>> = vec![None; all.len()];
    for members in Groups::of(all.len(), |j| all[j].1).iter() {
        let live = members.iter().map(|&j| all[j].0).filter(|&i| submissions[i].retracted_at.is_none());
        if let Some(winner) = live.max_by_key(|&i| rank[i]) {
            members.iter().for_each(|&j| newest[j] = Some(winner));
        }
    }
    let mut newest = newest.into_iter();
    submissions
        .iter()
        .zip(parts)
        .enumerate()
        .map(|(i, (s, part))| {
            part.published
                .iter()
                .map(|published| {
                    let winner = newest.next().flatten();
                    let by = match s.retracted_at {
                        Some(_) => "retracted".to_owned(),
                        None => submissions[winner.filter(|&w| w != i)?].id.clone(),
                    };
                    let at = match published {
                        Some(previous) if previous.by == by => previous.at,
                        _ => s.retracted_at.unwrap_or(now),
                    };
                    Some(Superseded { by, at })
                })
                .collect()
        })
        .collect()
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

    /// The summary reads its pieces one at a time; one it cannot read fails the run with a
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
