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
//!   [`crate::normalize`]); the state keeps it bit for bit, so a version built from restored
//!   submissions and one built from a fresh reading are the same bytes.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use rayon::prelude::*;
use serde::Serialize;

use super::{Accounting, RunError, account};
use crate::plan::{Plan, SourceInfo};
use crate::state::{State, Submission, Superseded};
use crate::store::{self, LEDGER, SUBMISSIONS, SUMMARY_JSON, Store};
use crate::summary::{self, Stats, Summary};
use crate::validate::SeriesKey;
use crate::write::batches::{self, ObsView, SubView};
use crate::write::tables::{self, TableDef};
use crate::write::{Footer, write_parquet};

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

/// Supersede, then write the version of `run_id`; `lap` is called after the summary and after
/// the writing.
pub fn commit(
    state: &mut State,
    plan: &Plan,
    store: &Store,
    run_id: &str,
    started: jiff::Timestamp,
    lap: &mut dyn FnMut(&'static str),
) -> Result<Committed, RunError> {
    state.files.sort_by(|a, b| a.path.cmp(&b.path));
    state.submissions.sort_by(|a, b| (&*a.report.file, &a.id).cmp(&(&*b.report.file, &b.id)));
    let superseded = supersede(state, started.as_microsecond());

    let schema = &plan.schema;
    let subs: Vec<SubView<'_>> = state
        .submissions
        .iter()
        .map(|s| SubView {
            id: &s.id,
            report: &s.report,
            run_id: &s.run_id,
            ingested_at: s.ingested_at,
            first_seen: &s.first_seen,
            retracted: s.retracted_at.is_some(),
            superseded: s.superseded.len(),
        })
        .collect();
    let all: Vec<ObsView<'_>> = subs
        .iter()
        .zip(&state.submissions)
        .flat_map(|(view, s)| {
            s.report.observations.iter().enumerate().map(move |(i, obs)| ObsView {
                sub: view,
                obs,
                superseded: s.superseded.get(&i),
            })
        })
        .collect();
    let current: Vec<ObsView<'_>> = all
        .iter()
        .filter(|o| o.superseded.is_none())
        .map(|o| ObsView { sub: o.sub, obs: o.obs, superseded: None })
        .collect();

    let regions: HashMap<&str, &str> = schema.clusters.iter().map(|c| (c.id.as_str(), c.region.as_str())).collect();
    let rows: Vec<summary::Row<'_>> = current
        .iter()
        .map(|o| summary::Row { obs: o.obs, region: regions.get(o.obs.cluster_id.as_str()).copied().unwrap_or("") })
        .collect();
    let summary = summary::compute(&rows)?;
    lap("summary");

    let value_units: BTreeMap<&str, &str> =
        schema.kpis.iter().map(|k| (k.id.as_str(), k.canonical_unit.as_str())).collect();
    let footer =
        Footer { run_id: run_id.to_owned(), value_units: serde_json::to_string(&value_units).unwrap_or_default() };

    let version = store.version(run_id);
    let write = |def: &'static TableDef, batch: arrow::array::RecordBatch| {
        write_parquet(&version.join(def.path), def.name, &batch, &footer)
    };
    // The tables and the state's submissions are independent files: written side by side.
    let state_ref = &*state;
    let jobs: [&(dyn Fn() -> Result<(), RunError> + Sync); 5] = [
        &|| Ok(write(&tables::OBSERVATIONS, batches::observations(&current, schema)?)?),
        &|| Ok(write(&tables::OBSERVATIONS_HISTORY, batches::history(&all, schema)?)?),
        &|| {
            write(&tables::REJECTS, batches::rejects(&subs)?)?;
            write(&tables::FINDINGS, batches::findings(&subs)?)?;
            Ok(write(&tables::SUBMISSIONS, batches::submissions(&subs)?)?)
        },
        &|| {
            write(&tables::KPI_TOTALS, summary::batches::stats(&tables::KPI_TOTALS, &summary.kpi_totals)?)?;
            write(&tables::BY_COUNTRY, summary::batches::stats(&tables::BY_COUNTRY, &summary.by_country)?)?;
            write(&tables::BY_REGION, summary::batches::stats(&tables::BY_REGION, &summary.by_region)?)?;
            Ok(write(&tables::COVERAGE, summary::batches::coverage(&summary.coverage)?)?)
        },
        &|| Ok(store::write_synced(&version.join(SUBMISSIONS), state_ref.submissions_json().as_bytes())?),
    ];
    jobs.par_iter().map(|job| job()).collect::<Result<Vec<()>, RunError>>()?;

    let submitted: BTreeSet<&str> = rows.iter().map(|r| r.obs.cluster_id.as_str()).collect();
    let countries: BTreeSet<&str> = rows.iter().map(|r| r.obs.country.as_str()).collect();
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

/// Mark each observation superseded by the newest submission giving the same key, or
/// retracted; returns how many are. A mark already published keeps its time.
fn supersede(state: &mut State, now: i64) -> usize {
    let order = |s: &Submission| {
        let arrived = || s.arrived_at.or_else(|| parse_date(&s.first_seen)).unwrap_or(0);
        let date = s.report.submitted_at.as_deref().and_then(parse_date).unwrap_or_else(arrived);
        (date, s.report.file.to_string(), s.id.clone())
    };
    let mut ranked: Vec<usize> = (0..state.submissions.len()).collect();
    ranked.sort_by_key(|&i| order(&state.submissions[i]));
    let mut newest = HashMap::new();
    for &i in &ranked {
        let s = &state.submissions[i];
        if s.retracted_at.is_some() {
            continue;
        }
        for o in &s.report.observations {
            newest.insert(SeriesKey::of(o), i);
        }
    }
    let ids: Vec<String> = state.submissions.iter().map(|s| s.id.clone()).collect();
    let mut count = 0;
    for (i, s) in state.submissions.iter_mut().enumerate() {
        let mut next = BTreeMap::new();
        for (j, o) in s.report.observations.iter().enumerate() {
            let by = match s.retracted_at {
                Some(_) => Some("retracted".to_owned()),
                None => newest.get(&SeriesKey::of(o)).filter(|&&w| w != i).map(|&w| ids[w].clone()),
            };
            if let Some(by) = by {
                let at = match s.superseded.get(&j) {
                    Some(previous) if previous.by == by => previous.at,
                    _ => s.retracted_at.unwrap_or(now),
                };
                next.insert(j, Superseded { by, at });
            }
        }
        count += next.len();
        s.superseded = next;
    }
    count
}

/// Microseconds since the epoch of an RFC 3339 timestamp or a plain date.
fn parse_date(s: &str) -> Option<i64> {
    if let Ok(t) = s.trim().parse::<jiff::Timestamp>() {
        return Some(t.as_microsecond());
    }
    let date: jiff::civil::Date = s.trim().parse().ok()?;
    Some(date.in_tz("UTC").ok()?.timestamp().as_microsecond())
}
