//! The summary as Arrow record batches: the headline and its breakdowns, and the coverage.

use arrow::array::RecordBatch;

use super::{Coverage, Stats};
use crate::write::WriteError;
use crate::write::batches::batch;
use crate::write::tables::{self as t, TableDef, category, float64, int32, int64, text};

/// The batch of a statistics table: the headline, or one of its breakdowns (whose extra key
/// column, `country` or `region`, holds [`Stats::by`]).
pub fn stats(def: &'static TableDef, rows: &[Stats]) -> Result<RecordBatch, WriteError> {
    let mut columns = vec![
        ("kpi", category(rows.iter().map(|s| Some(s.kpi.as_str())))),
        ("scope", text(rows.iter().map(|s| s.scope.as_deref()))),
        ("unit", category(rows.iter().map(|s| Some(s.unit.as_str())))),
        ("clusters", int64(rows.iter().map(|s| Some(s.clusters)))),
        ("total", float64(rows.iter().map(|s| Some(s.total)))),
        ("min", float64(rows.iter().map(|s| Some(s.min)))),
        ("median", float64(rows.iter().map(|s| Some(s.median)))),
        ("max", float64(rows.iter().map(|s| Some(s.max)))),
    ];
    for by in ["country", "region"] {
        if def.columns.iter().any(|c| c.name == by) {
            columns.push((by, category(rows.iter().map(|s| s.by.as_deref()))));
        }
    }
    batch(def, columns)
}

pub fn coverage(rows: &[Coverage]) -> Result<RecordBatch, WriteError> {
    batch(
        &t::COVERAGE,
        vec![
            ("cluster_id", category(rows.iter().map(|c| Some(c.cluster_id.as_str())))),
            ("kpi", category(rows.iter().map(|c| Some(c.kpi.as_str())))),
            ("latest_year", int32(rows.iter().map(|c| Some(c.latest_year)))),
            ("years", int32(rows.iter().map(|c| Some(c.years)))),
        ],
    )
}
