//! The state's submissions as Arrow record batches, one per table of [`super::tables`].

use arrow::array::{ArrayRef, RecordBatch};

use super::WriteError;
use super::tables::{self as t, TableDef, category, float64, int32, int64, text, text_list, timestamp};
use crate::pipeline::FileReport;
use crate::schema::{Field, Schema};
use crate::state::Superseded;
use crate::summary::{Coverage, Stats};
use crate::validate::Observation;

/// A submission as the tables show it.
pub struct SubView<'a> {
    pub id: &'a str,
    pub report: &'a FileReport,
    pub run_id: &'a str,
    pub ingested_at: i64,
    pub first_seen: &'a str,
    pub retracted: bool,
    pub superseded: usize,
}

/// An observation of a submission, and why it is no longer current, if it is not.
pub struct ObsView<'a> {
    pub sub: &'a SubView<'a>,
    pub obs: &'a Observation,
    pub superseded: Option<&'a Superseded>,
}

fn batch(def: &'static TableDef, columns: Vec<ArrayRef>) -> Result<RecordBatch, WriteError> {
    RecordBatch::try_new(def.schema(), columns).map_err(|source| WriteError::Arrow { table: def.name, source })
}

fn run_columns<'a>(subs: impl Iterator<Item = &'a SubView<'a>> + Clone) -> [ArrayRef; 2] {
    [category(subs.clone().map(|s| Some(s.run_id))), timestamp(subs.map(|s| Some(s.ingested_at)))]
}

fn observation_columns(rows: &[ObsView<'_>], schema: &Schema) -> Vec<ArrayRef> {
    let names: Vec<(String, String)> = rows
        .iter()
        .map(|r| {
            schema
                .clusters
                .find(&r.obs.cluster_id)
                .map_or_else(Default::default, |c| (c.name.clone(), c.region.clone()))
        })
        .collect();
    let locations: Vec<String> = rows.iter().map(|r| r.obs.value_loc.place.to_string()).collect();
    let o = || rows.iter().map(|r| r.obs);
    let [run_id, ingested_at] = run_columns(rows.iter().map(|r| r.sub));
    vec![
        category(o().map(|o| Some(o.cluster_id.as_str()))),
        category(names.iter().map(|(name, _)| Some(name.as_str()))),
        category(o().map(|o| Some(o.country.as_str()))),
        category(names.iter().map(|(_, region)| Some(region.as_str()))),
        int32(o().map(|o| Some(o.year))),
        category(o().map(|o| Some(o.kpi.as_str()))),
        float64(o().map(|o| Some(o.value))),
        category(o().map(|o| Some(o.unit.as_str()))),
        float64(o().map(|o| Some(o.reported_value))),
        text(o().map(|o| o.reported_unit.as_deref())),
        text(o().map(|o| o.scope.as_deref())),
        text(o().map(|o| o.gas.as_deref())),
        text(o().map(|o| o.facility.as_deref())),
        text(o().map(|o| o.notes.as_deref())),
        category(o().map(|o| o.qualifier.as_deref())),
        float64(o().map(|o| Some(o.conversion.factor))),
        category(o().map(|o| o.conversion.gwp_set.map(|s| s.as_str()))),
        float64(o().map(|o| o.conversion.gwp)),
        category(o().map(|o| o.conversion.currency.as_deref())),
        float64(o().map(|o| o.conversion.fx_rate)),
        int32(o().map(|o| o.conversion.fx_year)),
        category(rows.iter().map(|r| Some(r.sub.id))),
        category(rows.iter().map(|r| Some(&*r.sub.report.file))),
        text(locations.iter().map(|l| Some(l.as_str()))),
        run_id,
        ingested_at,
    ]
}

/// The current observations.
pub fn observations(rows: &[ObsView<'_>], schema: &Schema) -> Result<RecordBatch, WriteError> {
    batch(&t::OBSERVATIONS, observation_columns(rows, schema))
}

/// Every version of every observation.
pub fn history(rows: &[ObsView<'_>], schema: &Schema) -> Result<RecordBatch, WriteError> {
    let mut columns = observation_columns(rows, schema);
    columns.push(category(rows.iter().map(|r| r.superseded.map(|s| s.by.as_str()))));
    columns.push(timestamp(rows.iter().map(|r| r.superseded.map(|s| s.at))));
    batch(&t::OBSERVATIONS_HISTORY, columns)
}

pub fn rejects(subs: &[SubView<'_>]) -> Result<RecordBatch, WriteError> {
    let rows: Vec<_> = subs.iter().flat_map(|s| s.report.rejects.iter().map(move |x| (s, x))).collect();
    let locations: Vec<String> = rows.iter().map(|(_, x)| x.loc.place.to_string()).collect();
    let raw = |field: Field| {
        text(rows.iter().map(move |(_, x)| x.raw.iter().find(|(f, _)| *f == field).map(|(_, v)| v.as_str())))
    };
    let [run_id, ingested_at] = run_columns(rows.iter().map(|(s, _)| *s));
    let mut columns = vec![
        category(rows.iter().map(|(s, _)| Some(s.id))),
        category(rows.iter().map(|(s, _)| Some(&*s.report.file))),
        text(locations.iter().map(|l| Some(l.as_str()))),
        text_list(rows.iter().map(|(_, x)| x.codes.iter().map(|c| c.as_str()))),
    ];
    columns.extend(Field::ALL.into_iter().map(raw));
    columns.extend([run_id, ingested_at]);
    batch(&t::REJECTS, columns)
}

pub fn findings(subs: &[SubView<'_>]) -> Result<RecordBatch, WriteError> {
    let rows: Vec<_> = subs.iter().flat_map(|s| s.report.findings.iter().map(move |f| (s, f))).collect();
    let parts: Vec<_> = rows.iter().map(|(_, f)| f.location.parts()).collect();
    let rendered: Vec<String> = rows.iter().map(|(_, f)| f.location.to_string()).collect();
    let [run_id, ingested_at] = run_columns(rows.iter().map(|(s, _)| *s));
    batch(
        &t::FINDINGS,
        vec![
            category(rows.iter().map(|(s, _)| Some(s.id))),
            category(rows.iter().map(|(s, _)| Some(&*s.report.file))),
            category(rows.iter().map(|(_, f)| Some(f.severity.as_str()))),
            category(rows.iter().map(|(_, f)| Some(f.code.as_str()))),
            text(rows.iter().map(|(_, f)| Some(f.message.as_str()))),
            text(rows.iter().map(|(_, f)| Some(f.hint.as_str()))),
            text(rendered.iter().map(|l| Some(l.as_str()))),
            text(parts.iter().map(|p| p.sheet)),
            text(parts.iter().map(|p| p.cell.as_deref())),
            int64(parts.iter().map(|p| p.row.map(|r| r as i64))),
            int64(parts.iter().map(|p| p.line.map(|l| l as i64))),
            text(parts.iter().map(|p| p.pointer)),
            text(rows.iter().map(|(_, f)| f.location.column)),
            run_id,
            ingested_at,
        ],
    )
}

pub fn submissions(subs: &[SubView<'_>]) -> Result<RecordBatch, WriteError> {
    use crate::diag::Severity;
    let r = || subs.iter().map(|s| s.report);
    let count = |sev: Severity| int64(r().map(move |r| Some(r.count(sev) as i64)));
    let [run_id, ingested_at] = run_columns(subs.iter());
    batch(
        &t::SUBMISSIONS,
        vec![
            category(subs.iter().map(|s| Some(s.id))),
            text(r().map(|r| Some(&*r.file))),
            category(r().map(|r| r.format.map(|f| f.as_str()))),
            int64(r().map(|r| Some(r.bytes as i64))),
            text(r().map(|r| r.sha256.as_deref())),
            category(r().map(FileReport::cluster_id)),
            int64(r().map(|r| Some(r.rows_read as i64))),
            int64(r().map(|r| Some(r.rows_accepted as i64))),
            int64(r().map(|r| Some(r.rows_rejected as i64))),
            int64(subs.iter().map(|s| Some(s.superseded as i64))),
            int64(r().map(|r| Some(r.not_reported as i64))),
            count(Severity::Error),
            count(Severity::Warning),
            category(subs.iter().map(|s| Some(if s.retracted { "retracted" } else { s.report.status().as_str() }))),
            text(r().map(|r| r.submitted_at.as_deref())),
            text(subs.iter().map(|s| Some(s.first_seen))),
            run_id,
            ingested_at,
        ],
    )
}

pub fn stats(def: &'static TableDef, rows: &[Stats]) -> Result<RecordBatch, WriteError> {
    let mut columns = vec![
        category(rows.iter().map(|s| Some(s.kpi.as_str()))),
        text(rows.iter().map(|s| s.scope.as_deref())),
        category(rows.iter().map(|s| Some(s.unit.as_str()))),
    ];
    if def.columns.len() > 8 {
        columns.push(category(rows.iter().map(|s| s.by.as_deref())));
    }
    columns.extend([
        int64(rows.iter().map(|s| Some(s.clusters))),
        float64(rows.iter().map(|s| Some(s.total))),
        float64(rows.iter().map(|s| Some(s.min))),
        float64(rows.iter().map(|s| Some(s.median))),
        float64(rows.iter().map(|s| Some(s.max))),
    ]);
    batch(def, columns)
}

pub fn coverage(rows: &[Coverage]) -> Result<RecordBatch, WriteError> {
    batch(
        &t::COVERAGE,
        vec![
            category(rows.iter().map(|c| Some(c.cluster_id.as_str()))),
            category(rows.iter().map(|c| Some(c.kpi.as_str()))),
            int32(rows.iter().map(|c| Some(c.latest_year))),
            int32(rows.iter().map(|c| Some(c.years))),
        ],
    )
}
