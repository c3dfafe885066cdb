//! The JSON document of checked files: what `validate --format json` prints and the portal's
//! `POST /api/validate` answers, one definition for both.

use std::sync::Arc;

use serde::Serialize;

use crate::diag::{Finding, Loc};
use crate::normalize::Conversion;
use crate::pipeline::FileReport;
use crate::validate::Observation;

#[derive(Serialize)]
pub struct Document<'a> {
    files: Vec<JsonFile<'a>>,
}

impl<'a> Document<'a> {
    /// The document of checked files; with `explain`, how each was read.
    pub fn new(reports: &'a [FileReport], explain: bool) -> Self {
        Document { files: reports.iter().map(|r| JsonFile::new(r, explain)).collect() }
    }
}

#[derive(Serialize)]
struct JsonFile<'a> {
    file: &'a str,
    format: Option<&'static str>,
    rows_read: usize,
    rows_accepted: usize,
    rows_rejected: usize,
    not_reported: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    explanation: Option<&'a [String]>,
    findings: &'a [Finding],
    observations: Vec<JsonObservation<'a>>,
}

/// An accepted observation, with the names the Parquet outputs use.
#[derive(Serialize)]
struct JsonObservation<'a> {
    cluster_id: &'a str,
    facility: Option<&'a str>,
    year: i32,
    kpi: &'a str,
    scope: Option<&'a str>,
    gas: Option<&'a str>,
    value: f64,
    unit: &'a str,
    reported_value: f64,
    reported_unit: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    qualifier: Option<&'a str>,
    conversion: &'a Conversion,
    location: Loc,
}

impl<'a> JsonObservation<'a> {
    /// The observation `o` of the file `file`.
    fn of(o: &'a Observation, file: &Arc<str>) -> Self {
        JsonObservation {
            cluster_id: &o.cluster_id,
            facility: o.facility.as_deref(),
            year: o.year,
            kpi: &o.kpi,
            scope: o.scope.as_deref(),
            gas: o.gas.as_deref(),
            value: o.value,
            unit: &o.unit,
            reported_value: o.reported_value,
            reported_unit: o.reported_unit.as_deref(),
            qualifier: o.qualifier.as_deref(),
            conversion: &o.conversion,
            location: o.value_loc(file),
        }
    }
}

impl<'a> JsonFile<'a> {
    fn new(r: &'a FileReport, explain: bool) -> Self {
        JsonFile {
            file: &r.file,
            format: r.format.map(|f| f.as_str()),
            rows_read: r.rows_read,
            rows_accepted: r.rows_accepted,
            rows_rejected: r.rows_rejected,
            not_reported: r.not_reported,
            explanation: explain.then_some(r.explanation.as_slice()),
            findings: &r.findings,
            observations: r.observations.iter().map(|o| JsonObservation::of(o, &r.file)).collect(),
        }
    }
}
