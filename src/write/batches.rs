//! The run's results as Arrow record batches, one per table of [`super::tables`].

use arrow::array::RecordBatch;

use super::WriteError;
use super::tables::{self as t, TableDef, category, float64, int32, int64, text, text_list, timestamp};
use crate::pipeline::FileReport;
use crate::schema::{Field, Schema};
use crate::summary::{Coverage, Stats};

/// What every row of a run carries.
pub struct RunInfo {
    pub run_id: String,
    /// Microseconds since the epoch, UTC.
    pub ingested_at: i64,
}

fn batch(def: &'static TableDef, columns: Vec<arrow::array::ArrayRef>) -> Result<RecordBatch, WriteError> {
    RecordBatch::try_new(def.schema(), columns).map_err(|source| WriteError::Arrow { table: def.name, source })
}

fn run_columns(run: &RunInfo, n: usize) -> [arrow::array::ArrayRef; 2] {
    [
        category(std::iter::repeat_n(Some(run.run_id.as_str()), n)),
        timestamp(std::iter::repeat_n(Some(run.ingested_at), n)),
    ]
}

pub fn observations(reports: &[FileReport], schema: &Schema, run: &RunInfo) -> Result<RecordBatch, WriteError> {
    let ids: Vec<String> = reports.iter().map(FileReport::submission_id).collect();
    let rows: Vec<_> =
        reports.iter().zip(&ids).flat_map(|(r, id)| r.observations.iter().map(move |o| (r, id.as_str(), o))).collect();
    let cluster = |id: &str| schema.clusters.find(id);
    let names: Vec<(String, String)> = rows
        .iter()
        .map(|(_, _, o)| cluster(&o.cluster_id).map_or_else(Default::default, |c| (c.name.clone(), c.region.clone())))
        .collect();
    let locations: Vec<String> = rows.iter().map(|(_, _, o)| o.value_loc.place.to_string()).collect();
    let n = rows.len();
    let [run_id, ingested_at] = run_columns(run, n);
    batch(
        &t::OBSERVATIONS,
        vec![
            category(rows.iter().map(|(_, _, o)| Some(o.cluster_id.as_str()))),
            category(names.iter().map(|(name, _)| Some(name.as_str()))),
            category(rows.iter().map(|(_, _, o)| Some(o.country.as_str()))),
            category(names.iter().map(|(_, region)| Some(region.as_str()))),
            int32(rows.iter().map(|(_, _, o)| Some(o.year))),
            category(rows.iter().map(|(_, _, o)| Some(o.kpi.as_str()))),
            float64(rows.iter().map(|(_, _, o)| Some(o.value))),
            category(rows.iter().map(|(_, _, o)| Some(o.unit.as_str()))),
            float64(rows.iter().map(|(_, _, o)| Some(o.reported_value))),
            text(rows.iter().map(|(_, _, o)| o.reported_unit.as_deref())),
            text(rows.iter().map(|(_, _, o)| o.scope.as_deref())),
            text(rows.iter().map(|(_, _, o)| o.gas.as_deref())),
            text(rows.iter().map(|(_, _, o)| o.facility.as_deref())),
            text(rows.iter().map(|(_, _, o)| o.notes.as_deref())),
            float64(rows.iter().map(|(_, _, o)| Some(o.conversion.factor))),
            category(rows.iter().map(|(_, _, o)| o.conversion.gwp_set.map(|s| s.as_str()))),
            float64(rows.iter().map(|(_, _, o)| o.conversion.gwp)),
            category(rows.iter().map(|(_, _, o)| o.conversion.currency.as_deref())),
            float64(rows.iter().map(|(_, _, o)| o.conversion.fx_rate)),
            int32(rows.iter().map(|(_, _, o)| o.conversion.fx_year)),
            category(rows.iter().map(|(_, id, _)| Some(*id))),
            category(rows.iter().map(|(r, _, _)| Some(&*r.file))),
            text(locations.iter().map(|l| Some(l.as_str()))),
            run_id,
            ingested_at,
        ],
    )
}

pub fn rejects(reports: &[FileReport], run: &RunInfo) -> Result<RecordBatch, WriteError> {
    let ids: Vec<String> = reports.iter().map(FileReport::submission_id).collect();
    let rows: Vec<_> =
        reports.iter().zip(&ids).flat_map(|(r, id)| r.rejects.iter().map(move |x| (r, id.as_str(), x))).collect();
    let locations: Vec<String> = rows.iter().map(|(_, _, x)| x.loc.place.to_string()).collect();
    let raw = |field: Field| {
        text(rows.iter().map(move |(_, _, x)| x.raw.iter().find(|(f, _)| *f == field).map(|(_, v)| v.as_str())))
    };
    let [run_id, ingested_at] = run_columns(run, rows.len());
    let mut columns = vec![
        category(rows.iter().map(|(_, id, _)| Some(*id))),
        category(rows.iter().map(|(r, _, _)| Some(&*r.file))),
        text(locations.iter().map(|l| Some(l.as_str()))),
        text_list(rows.iter().map(|(_, _, x)| x.codes.iter().map(|c| c.as_str()))),
    ];
    columns.extend(Field::ALL.into_iter().map(raw));
    columns.extend([run_id, ingested_at]);
    batch(&t::REJECTS, columns)
}

pub fn findings(reports: &[FileReport], run: &RunInfo) -> Result<RecordBatch, WriteError> {
    let ids: Vec<String> = reports.iter().map(FileReport::submission_id).collect();
    let rows: Vec<_> =
        reports.iter().zip(&ids).flat_map(|(r, id)| r.findings.iter().map(move |f| (r, id.as_str(), f))).collect();
    let parts: Vec<_> = rows.iter().map(|(_, _, f)| f.location.parts()).collect();
    let rendered: Vec<String> = rows.iter().map(|(_, _, f)| f.location.to_string()).collect();
    let [run_id, ingested_at] = run_columns(run, rows.len());
    batch(
        &t::FINDINGS,
        vec![
            category(rows.iter().map(|(_, id, _)| Some(*id))),
            category(rows.iter().map(|(r, _, _)| Some(&*r.file))),
            category(rows.iter().map(|(_, _, f)| Some(f.severity.as_str()))),
            category(rows.iter().map(|(_, _, f)| Some(f.code.as_str()))),
            text(rows.iter().map(|(_, _, f)| Some(f.message.as_str()))),
            text(rows.iter().map(|(_, _, f)| Some(f.hint.as_str()))),
            text(rendered.iter().map(|l| Some(l.as_str()))),
            text(parts.iter().map(|p| p.sheet)),
            text(parts.iter().map(|p| p.cell.as_deref())),
            int64(parts.iter().map(|p| p.row.map(|r| r as i64))),
            int64(parts.iter().map(|p| p.line.map(|l| l as i64))),
            text(parts.iter().map(|p| p.pointer)),
            text(rows.iter().map(|(_, _, f)| f.location.column)),
            run_id,
            ingested_at,
        ],
    )
}

pub fn submissions(reports: &[FileReport], run: &RunInfo) -> Result<RecordBatch, WriteError> {
    use crate::diag::Severity;
    let ids: Vec<String> = reports.iter().map(FileReport::submission_id).collect();
    let count = |s: Severity| int64(reports.iter().map(move |r| Some(r.count(s) as i64)));
    let [run_id, ingested_at] = run_columns(run, reports.len());
    batch(
        &t::SUBMISSIONS,
        vec![
            category(ids.iter().map(|i| Some(i.as_str()))),
            text(reports.iter().map(|r| Some(&*r.file))),
            category(reports.iter().map(|r| r.format.map(|f| f.as_str()))),
            int64(reports.iter().map(|r| Some(r.bytes as i64))),
            text(reports.iter().map(|r| r.sha256.as_deref())),
            category(reports.iter().map(FileReport::cluster_id)),
            int64(reports.iter().map(|r| Some(r.rows_read as i64))),
            int64(reports.iter().map(|r| Some(r.rows_accepted as i64))),
            int64(reports.iter().map(|r| Some(r.rows_rejected as i64))),
            int64(reports.iter().map(|r| Some(r.not_reported as i64))),
            count(Severity::Error),
            count(Severity::Warning),
            category(reports.iter().map(|r| Some(r.status().as_str()))),
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
