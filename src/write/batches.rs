//! The tables' rows as Arrow record batches, one per table of [`super::tables`]: each
//! submission's rows from what checking it gave, the columns given by their declared names and
//! put by [`batch`] in the declared order. [`strings`] and its kin read a published column back.

use arrow::array::{Array, ArrayRef, AsArray, RecordBatch};
use arrow::datatypes::{Float64Type, Int32Type, TimestampMicrosecondType};

use super::WriteError;
use super::tables::{self as t, TableDef, category, float64, int32, int64, text, text_list, timestamp};
use crate::diag::Finding;
use crate::schema::{Field, Schema};
use crate::state::{Held, Submission};
use crate::validate::{Observation, Reject};

/// A submission as the tables show it.
pub struct SubView<'a> {
    pub id: &'a str,
    pub report: &'a Held,
    pub run_id: &'a str,
    pub ingested_at: i64,
    pub first_seen: &'a str,
    pub retracted: bool,
    pub superseded: usize,
}

impl<'a> SubView<'a> {
    /// The view of a submission, none of its observations superseded yet.
    pub fn of(s: &'a Submission) -> SubView<'a> {
        SubView {
            id: &s.id,
            report: &s.report,
            run_id: &s.run_id,
            ingested_at: s.ingested_at,
            first_seen: &s.first_seen,
            retracted: s.retracted_at.is_some(),
            superseded: 0,
        }
    }
}

/// Why an observation is no longer current.
#[derive(Clone, Debug, PartialEq)]
pub struct Superseded {
    /// The submission that replaced it, or `retracted`.
    pub by: String,
    /// When (microseconds since the epoch, UTC).
    pub at: i64,
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

/// The columns every row of one submission shares: its id and file, and when and by which run
/// it was read.
fn submission_columns(sub: &SubView<'_>, rows: usize) -> [Named; 4] {
    let n = || std::iter::repeat_n((), rows);
    [
        ("submission_id", category(n().map(|()| Some(sub.id)))),
        ("source_file", category(n().map(|()| Some(&*sub.report.file)))),
        ("run_id", category(n().map(|()| Some(sub.run_id)))),
        ("ingested_at", timestamp(n().map(|()| Some(sub.ingested_at)))),
    ]
}

/// A column of places as people read them (`KPIs!E14`, `line 17`), each written straight into
/// the column's buffer.
fn places(places: impl Iterator<Item = impl std::fmt::Display>) -> ArrayRef {
    use std::fmt::Write as _;
    let mut b = arrow::array::StringBuilder::new();
    for place in places {
        // Writing to the builder's buffer cannot fail.
        let _ = write!(b, "{place}");
        b.append_value("");
    }
    std::sync::Arc::new(b.finish())
}

/// The registry's name and region of each cluster id: columns recomputed at every commit, so
/// rows read back from an earlier version show the registry as it is now.
pub fn registry_columns<'a>(ids: impl Iterator<Item = Option<&'a str>>, schema: &Schema) -> [Named; 2] {
    // Each id looked up once: a submission repeats a few ids on all its rows.
    // The id before, by its address, first: rows of one cluster come together, sharing its id.
    let mut found: std::collections::HashMap<&str, Option<(&str, &str)>, ahash::RandomState> = Default::default();
    let mut last: Option<(&str, Option<(&str, &str)>)> = None;
    let names: Vec<Option<(&str, &str)>> = ids
        .map(|id| {
            let id = id?;
            if let Some((before, names)) = last
                && std::ptr::eq(before, id)
            {
                return names;
            }
            let names = *found
                .entry(id)
                .or_insert_with(|| schema.clusters.find(id).map(|c| (c.name.as_str(), c.region.as_str())));
            last = Some((id, names));
            names
        })
        .collect();
    [
        ("cluster_name", category(names.iter().map(|n| Some(n.map_or("", |n| n.0))))),
        ("region", category(names.iter().map(|n| Some(n.map_or("", |n| n.1))))),
    ]
}

/// The observations of one submission (the `observations` table's columns).
pub fn observations(sub: &SubView<'_>, rows: &[Observation], schema: &Schema) -> Result<RecordBatch, WriteError> {
    let o = || rows.iter();
    let mut columns = vec![
        ("cluster_id", category(o().map(|o| Some(o.cluster_id.as_str())))),
        ("country", category(o().map(|o| Some(o.country.as_str())))),
        ("year", int32(o().map(|o| Some(o.year)))),
        ("kpi", category(o().map(|o| Some(o.kpi.as_str())))),
        ("value", float64(o().map(|o| Some(o.value)))),
        ("unit", category(o().map(|o| Some(o.unit.as_str())))),
        ("reported_value", float64(o().map(|o| Some(o.reported_value)))),
        ("reported_unit", text(o().map(|o| o.reported_unit.as_deref()))),
        ("scope", text(o().map(|o| o.scope.as_deref()))),
        ("gas", text(o().map(|o| o.gas.as_deref()))),
        ("facility", text(o().map(|o| o.facility.as_deref()))),
        ("notes", text(o().map(|o| o.notes.as_deref().map(|n| &**n)))),
        ("qualifier", category(o().map(|o| o.qualifier.as_deref()))),
        ("factor", float64(o().map(|o| Some(o.conversion.factor)))),
        ("gwp_set", category(o().map(|o| o.conversion.gwp_set.map(|s| s.as_str())))),
        ("gwp", float64(o().map(|o| o.conversion.gwp))),
        ("currency", category(o().map(|o| o.conversion.currency.as_deref()))),
        ("fx_rate", float64(o().map(|o| o.conversion.fx_rate))),
        ("fx_year", int32(o().map(|o| o.conversion.fx_year))),
        ("source_location", places(o().map(Observation::value_place))),
    ];
    columns.extend(registry_columns(o().map(|o| Some(o.cluster_id.as_str())), schema));
    columns.extend(submission_columns(sub, rows.len()));
    batch(&t::OBSERVATIONS, columns)
}

/// Every version of every observation: the observations, and why each is no longer current.
pub fn history(observations: &RecordBatch, marks: &[Option<Superseded>]) -> Result<RecordBatch, WriteError> {
    let mut columns: Vec<Named> = t::OBSERVATIONS
        .columns
        .iter()
        .zip(observations.columns())
        .map(|(c, array)| (c.name, std::sync::Arc::clone(array)))
        .collect();
    columns.extend(superseded(marks.iter().map(Option::as_ref)));
    batch(&t::OBSERVATIONS_HISTORY, columns)
}

/// The columns of the history that the observations lack: why each is no longer current.
pub fn superseded<'m>(marks: impl Iterator<Item = Option<&'m Superseded>> + Clone) -> [Named; 2] {
    [
        ("superseded_by", category(marks.clone().map(|m| m.map(|s| s.by.as_str())))),
        ("superseded_at", timestamp(marks.map(|m| m.map(|s| s.at)))),
    ]
}

/// The rejected rows of one submission.
pub fn rejects(sub: &SubView<'_>, rows: &[Reject]) -> Result<RecordBatch, WriteError> {
    let raw =
        |field: Field| text(rows.iter().map(move |x| x.raw.iter().find(|(f, _)| *f == field).map(|(_, v)| v.as_str())));
    let mut columns = vec![
        ("source_location", places(rows.iter().map(|x| &x.loc.place))),
        ("codes", text_list(rows.iter().map(|x| x.codes.iter().map(|c| c.as_str())))),
    ];
    columns.extend(Field::ALL.into_iter().map(|f| (f.as_str(), raw(f))));
    columns.extend(submission_columns(sub, rows.len()));
    batch(&t::REJECTS, columns)
}

/// The findings of one submission.
pub fn findings(sub: &SubView<'_>, rows: &[Finding]) -> Result<RecordBatch, WriteError> {
    let parts: Vec<_> = rows.iter().map(|f| f.location.parts()).collect();
    let rendered: Vec<String> = rows.iter().map(|f| f.location.to_string()).collect();
    let mut columns = vec![
        ("severity", category(rows.iter().map(|f| Some(f.severity.as_str())))),
        ("code", category(rows.iter().map(|f| Some(f.code.as_str())))),
        ("message", text(rows.iter().map(|f| Some(f.message.as_str())))),
        ("hint", text(rows.iter().map(|f| Some(f.hint.as_str())))),
        ("location", text(rendered.iter().map(|l| Some(l.as_str())))),
        ("sheet", text(parts.iter().map(|p| p.sheet))),
        ("cell", text(parts.iter().map(|p| p.cell.as_deref()))),
        ("row", int64(parts.iter().map(|p| p.row.map(|r| r as i64)))),
        ("line", int64(parts.iter().map(|p| p.line.map(|l| l as i64)))),
        ("pointer", text(parts.iter().map(|p| p.pointer))),
        ("column", text(rows.iter().map(|f| f.location.column))),
    ];
    columns.extend(submission_columns(sub, rows.len()));
    batch(&t::FINDINGS, columns)
}

pub fn submissions(subs: &[SubView<'_>]) -> Result<RecordBatch, WriteError> {
    let r = || subs.iter().map(|s| s.report);
    let run_id = ("run_id", category(subs.iter().map(|s| Some(s.run_id))));
    let ingested_at = ("ingested_at", timestamp(subs.iter().map(|s| Some(s.ingested_at))));
    batch(
        &t::SUBMISSIONS,
        vec![
            ("submission_id", category(subs.iter().map(|s| Some(s.id)))),
            ("path", text(r().map(|r| Some(&*r.file)))),
            ("format", category(r().map(|r| r.format.map(|f| f.as_str())))),
            ("bytes", int64(r().map(|r| Some(r.bytes as i64)))),
            ("sha256", text(r().map(|r| r.sha256.as_deref()))),
            ("cluster_id", category(r().map(|r| r.cluster_id.as_deref()))),
            ("rows_read", int64(r().map(|r| Some(r.rows_read as i64)))),
            ("rows_accepted", int64(r().map(|r| Some(r.rows_accepted as i64)))),
            ("rows_rejected", int64(r().map(|r| Some(r.rows_rejected as i64)))),
            ("rows_superseded", int64(subs.iter().map(|s| Some(s.superseded as i64)))),
            ("not_reported", int64(r().map(|r| Some(r.not_reported as i64)))),
            ("errors", int64(r().map(|r| Some(r.errors as i64)))),
            ("warnings", int64(r().map(|r| Some(r.warnings as i64)))),
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

// Reading a column back, by its declared name: a missing column, or one of another type, is
// refused with the problem in words.

fn column<'a>(batch: &'a RecordBatch, name: &str) -> Result<&'a ArrayRef, String> {
    batch.column_by_name(name).ok_or_else(|| format!("has no column `{name}`"))
}

fn wrong(name: &str, array: &ArrayRef) -> String {
    format!("has the column `{name}` of type {}", array.data_type())
}

/// A text or category column's values.
pub fn strings<'a>(batch: &'a RecordBatch, name: &str) -> Result<Vec<Option<&'a str>>, String> {
    let array = column(batch, name)?;
    if let Some(dict) = array.as_dictionary_opt::<Int32Type>() {
        let values = dict.values().as_string_opt::<i32>().ok_or_else(|| wrong(name, array))?;
        let valid = |k: usize| values.is_valid(k).then(|| values.value(k));
        return Ok(dict.keys().iter().map(|k| k.and_then(|k| valid(k as usize))).collect());
    }
    Ok(array.as_string_opt::<i32>().ok_or_else(|| wrong(name, array))?.iter().collect())
}

/// The distinct texts of a text column, in no order: a dictionary's values used by its keys,
/// each looked at once however many rows use it.
pub fn distinct<'a>(batch: &'a RecordBatch, name: &str) -> Result<Vec<&'a str>, String> {
    let array = column(batch, name)?;
    let Some(dict) = array.as_dictionary_opt::<Int32Type>() else {
        let mut texts = strings(batch, name)?.into_iter().flatten().collect::<Vec<_>>();
        texts.sort_unstable();
        texts.dedup();
        return Ok(texts);
    };
    let values = dict.values().as_string_opt::<i32>().ok_or_else(|| wrong(name, array))?;
    let mut used = vec![false; values.len()];
    for k in dict.keys().iter().flatten() {
        if let Some(u) = usize::try_from(k).ok().and_then(|k| used.get_mut(k)) {
            *u = true;
        }
    }
    Ok(used.iter().enumerate().filter(|(k, u)| **u && values.is_valid(*k)).map(|(k, _)| values.value(k)).collect())
}

/// A Float64 column's values.
pub fn floats(batch: &RecordBatch, name: &str) -> Result<Vec<Option<f64>>, String> {
    let array = column(batch, name)?;
    Ok(array.as_primitive_opt::<Float64Type>().ok_or_else(|| wrong(name, array))?.iter().collect())
}

/// An Int32 column's values.
pub fn ints(batch: &RecordBatch, name: &str) -> Result<Vec<Option<i32>>, String> {
    let array = column(batch, name)?;
    Ok(array.as_primitive_opt::<Int32Type>().ok_or_else(|| wrong(name, array))?.iter().collect())
}

/// A timestamp column's values (microseconds since the epoch).
pub fn timestamps(batch: &RecordBatch, name: &str) -> Result<Vec<Option<i64>>, String> {
    let array = column(batch, name)?;
    Ok(array.as_primitive_opt::<TimestampMicrosecondType>().ok_or_else(|| wrong(name, array))?.iter().collect())
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
