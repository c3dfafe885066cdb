//! The state's submissions as Arrow record batches, one per table of [`super::tables`]. Each
//! column is given by its declared name, and [`batch`] puts them in the declared order.

use arrow::array::{ArrayRef, RecordBatch};

use super::WriteError;
use super::tables::{self as t, TableDef, category, float64, int32, int64, text, text_list, timestamp};
use crate::pipeline::FileReport;
use crate::schema::{Field, Schema};
use crate::state::Superseded;
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

/// A column of a batch, by its declared name.
pub type Named = (&'static str, ArrayRef);

/// The batch of a table from its columns by name: each declared column exactly once, none else.
pub fn batch(def: &'static TableDef, mut columns: Vec<Named>) -> Result<RecordBatch, WriteError> {
    let problem = |column: &str, problem: &'static str| WriteError::Column {
        table: def.name,
        column: column.to_owned(),
        problem,
    };
    let mut ordered = Vec::with_capacity(def.columns.len());
    for declared in def.columns {
        let mut given = columns.iter().filter(|(name, _)| *name == declared.name);
        let array = given.next().ok_or_else(|| problem(declared.name, "is declared but not given"))?;
        if given.next().is_some() {
            return Err(problem(declared.name, "is given twice"));
        }
        ordered.push(std::sync::Arc::clone(&array.1));
    }
    columns.retain(|(name, _)| !def.columns.iter().any(|c| c.name == *name));
    if let Some((name, _)) = columns.first() {
        return Err(problem(name, "is not declared"));
    }
    RecordBatch::try_new(def.schema(), ordered).map_err(|source| WriteError::Arrow { table: def.name, source })
}

fn run_columns<'a>(subs: impl Iterator<Item = &'a SubView<'a>> + Clone) -> [Named; 2] {
    [
        ("run_id", category(subs.clone().map(|s| Some(s.run_id)))),
        ("ingested_at", timestamp(subs.map(|s| Some(s.ingested_at)))),
    ]
}

fn observation_columns(rows: &[ObsView<'_>], schema: &Schema) -> Vec<Named> {
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
        ("cluster_id", category(o().map(|o| Some(o.cluster_id.as_str())))),
        ("cluster_name", category(names.iter().map(|(name, _)| Some(name.as_str())))),
        ("country", category(o().map(|o| Some(o.country.as_str())))),
        ("region", category(names.iter().map(|(_, region)| Some(region.as_str())))),
        ("year", int32(o().map(|o| Some(o.year)))),
        ("kpi", category(o().map(|o| Some(o.kpi.as_str())))),
        ("value", float64(o().map(|o| Some(o.value)))),
        ("unit", category(o().map(|o| Some(o.unit.as_str())))),
        ("reported_value", float64(o().map(|o| Some(o.reported_value)))),
        ("reported_unit", text(o().map(|o| o.reported_unit.as_deref()))),
        ("scope", text(o().map(|o| o.scope.as_deref()))),
        ("gas", text(o().map(|o| o.gas.as_deref()))),
        ("facility", text(o().map(|o| o.facility.as_deref()))),
        ("notes", text(o().map(|o| o.notes.as_deref()))),
        ("qualifier", category(o().map(|o| o.qualifier.as_deref()))),
        ("factor", float64(o().map(|o| Some(o.conversion.factor)))),
        ("gwp_set", category(o().map(|o| o.conversion.gwp_set.map(|s| s.as_str())))),
        ("gwp", float64(o().map(|o| o.conversion.gwp))),
        ("currency", category(o().map(|o| o.conversion.currency.as_deref()))),
        ("fx_rate", float64(o().map(|o| o.conversion.fx_rate))),
        ("fx_year", int32(o().map(|o| o.conversion.fx_year))),
        ("submission_id", category(rows.iter().map(|r| Some(r.sub.id)))),
        ("source_file", category(rows.iter().map(|r| Some(&*r.sub.report.file)))),
        ("source_location", text(locations.iter().map(|l| Some(l.as_str())))),
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
    columns.push(("superseded_by", category(rows.iter().map(|r| r.superseded.map(|s| s.by.as_str())))));
    columns.push(("superseded_at", timestamp(rows.iter().map(|r| r.superseded.map(|s| s.at)))));
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
        ("submission_id", category(rows.iter().map(|(s, _)| Some(s.id)))),
        ("source_file", category(rows.iter().map(|(s, _)| Some(&*s.report.file)))),
        ("source_location", text(locations.iter().map(|l| Some(l.as_str())))),
        ("codes", text_list(rows.iter().map(|(_, x)| x.codes.iter().map(|c| c.as_str())))),
    ];
    columns.extend(Field::ALL.into_iter().map(|f| (f.as_str(), raw(f))));
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
            ("submission_id", category(rows.iter().map(|(s, _)| Some(s.id)))),
            ("source_file", category(rows.iter().map(|(s, _)| Some(&*s.report.file)))),
            ("severity", category(rows.iter().map(|(_, f)| Some(f.severity.as_str())))),
            ("code", category(rows.iter().map(|(_, f)| Some(f.code.as_str())))),
            ("message", text(rows.iter().map(|(_, f)| Some(f.message.as_str())))),
            ("hint", text(rows.iter().map(|(_, f)| Some(f.hint.as_str())))),
            ("location", text(rendered.iter().map(|l| Some(l.as_str())))),
            ("sheet", text(parts.iter().map(|p| p.sheet))),
            ("cell", text(parts.iter().map(|p| p.cell.as_deref()))),
            ("row", int64(parts.iter().map(|p| p.row.map(|r| r as i64)))),
            ("line", int64(parts.iter().map(|p| p.line.map(|l| l as i64)))),
            ("pointer", text(parts.iter().map(|p| p.pointer))),
            ("column", text(rows.iter().map(|(_, f)| f.location.column))),
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
            ("submission_id", category(subs.iter().map(|s| Some(s.id)))),
            ("path", text(r().map(|r| Some(&*r.file)))),
            ("format", category(r().map(|r| r.format.map(|f| f.as_str())))),
            ("bytes", int64(r().map(|r| Some(r.bytes as i64)))),
            ("sha256", text(r().map(|r| r.sha256.as_deref()))),
            ("cluster_id", category(r().map(FileReport::cluster_id))),
            ("rows_read", int64(r().map(|r| Some(r.rows_read as i64)))),
            ("rows_accepted", int64(r().map(|r| Some(r.rows_accepted as i64)))),
            ("rows_rejected", int64(r().map(|r| Some(r.rows_rejected as i64)))),
            ("rows_superseded", int64(subs.iter().map(|s| Some(s.superseded as i64)))),
            ("not_reported", int64(r().map(|r| Some(r.not_reported as i64)))),
            ("errors", count(Severity::Error)),
            ("warnings", count(Severity::Warning)),
            (
                "status",
                category(subs.iter().map(|s| Some(if s.retracted { "retracted" } else { s.report.status().as_str() }))),
            ),
            ("submitted_at", text(r().map(|r| r.submitted_at.as_deref()))),
            ("first_seen", text(subs.iter().map(|s| Some(s.first_seen)))),
            run_id,
            ingested_at,
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::{batch, t};
    use crate::write::WriteError;
    use crate::write::tables::{category, int32, int64};

    fn coverage_columns() -> Vec<super::Named> {
        vec![
            ("years", int32([Some(2)].into_iter())),
            ("cluster_id", category([Some("solent")].into_iter())),
            ("latest_year", int32([Some(2023)].into_iter())),
            ("kpi", category([Some("jobs")].into_iter())),
        ]
    }

    #[test]
    fn columns_given_in_any_order_take_the_declared_order() {
        let b = batch(&t::COVERAGE, coverage_columns()).unwrap();
        let names: Vec<&str> = b.schema_ref().fields().iter().map(|f| f.name().as_str()).collect();
        assert_eq!(names, ["cluster_id", "kpi", "latest_year", "years"]);
    }

    #[test]
    fn a_missing_a_repeated_or_an_undeclared_column_is_refused() {
        let problem = |columns| match batch(&t::COVERAGE, columns) {
            Err(WriteError::Column { column, problem, .. }) => format!("{column} {problem}"),
            other => panic!("not refused: {other:?}"),
        };
        let mut missing = coverage_columns();
        missing.remove(0);
        assert_eq!(problem(missing), "years is declared but not given");
        let mut twice = coverage_columns();
        twice.push(("kpi", category([Some("jobs")].into_iter())));
        assert_eq!(problem(twice), "kpi is given twice");
        let mut extra = coverage_columns();
        extra.push(("clusters", int64([Some(1)].into_iter())));
        assert_eq!(problem(extra), "clusters is not declared");
        // The right name with the wrong type is Arrow's refusal.
        let mut wrong = coverage_columns();
        wrong[0] = ("years", int64([Some(2)].into_iter()));
        assert!(matches!(batch(&t::COVERAGE, wrong), Err(WriteError::Arrow { .. })));
    }
}
