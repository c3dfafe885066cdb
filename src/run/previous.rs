//! Previous: the rows of the published version, read back from its Parquet tables for the next
//! one. The run state keeps no rows ([`crate::state`]); a submission this run does not read
//! again takes its observations, rejects and findings from here, bit for bit, and every
//! observation published as superseded keeps the time it was marked.
//!
//! The tables are checked against what the state says of each submission: rows kept together
//! per submission, as many as its counts. Anything else is a damaged version, refused like a
//! damaged state (`--full` rebuilds from the input files).

use std::collections::HashMap;
use std::ops::Range;

use arrow::array::RecordBatch;

use crate::state::{StateError, Submission};
use crate::store::Store;
use crate::write::batches::{self, Superseded};
use crate::write::read_parquet;
use crate::write::tables::{self, TableDef};

/// One published table, and where each submission's rows are in it.
struct Table {
    batch: RecordBatch,
    rows: HashMap<String, Range<usize>>,
}

/// The published version's rows.
pub struct Previous {
    /// `observations_history`, without its two supersession columns.
    observations: Table,
    /// The published supersession of each row of `observations`.
    marks: Vec<Option<Superseded>>,
    rejects: Table,
    findings: Table,
}

impl Previous {
    /// The rows of the version published under `store`, if one is; checked against the state's
    /// `submissions`.
    pub fn load(store: &Store, submissions: &[Submission]) -> Result<Option<Previous>, StateError> {
        if !store.is_published() {
            return Ok(None);
        }
        let current = store.current();
        let read = |def: &'static TableDef| {
            let path = current.join(def.path);
            let corrupt = |problem: String| StateError::Corrupt { path: path.clone(), problem };
            let batch = read_parquet(&path, def).map_err(corrupt)?;
            let rows = ranges(&batch).map_err(corrupt)?;
            Ok::<_, StateError>(Table { batch, rows })
        };
        let history = read(&tables::OBSERVATIONS_HISTORY)?;
        let corrupt =
            |problem: String| StateError::Corrupt { path: current.join(tables::OBSERVATIONS_HISTORY.path), problem };
        let by = batches::strings(&history.batch, "superseded_by").map_err(corrupt)?;
        let at = batches::timestamps(&history.batch, "superseded_at").map_err(corrupt)?;
        let marks = by.iter().zip(&at).map(|(by, at)| Some(Superseded { by: (*by)?.to_owned(), at: (*at)? })).collect();
        let kept: Vec<usize> = tables::OBSERVATIONS
            .columns
            .iter()
            .map(|c| history.batch.schema().index_of(c.name))
            .collect::<Result<_, _>>()
            .map_err(|e| corrupt(e.to_string()))?;
        let observations =
            Table { batch: history.batch.project(&kept).map_err(|e| corrupt(e.to_string()))?, rows: history.rows };
        let previous =
            Previous { observations, marks, rejects: read(&tables::REJECTS)?, findings: read(&tables::FINDINGS)? };
        for s in submissions.iter().filter(|s| s.rows.is_none()) {
            let counts = [
                (&tables::OBSERVATIONS_HISTORY, &previous.observations, s.report.rows_accepted),
                (&tables::REJECTS, &previous.rejects, s.report.rows_rejected),
            ];
            for (def, table, expected) in counts {
                let found = table.rows.get(&s.id).map_or(0, |r| r.len());
                if found != expected {
                    return Err(StateError::Corrupt {
                        path: current.join(def.path),
                        problem: format!("holding {found} rows of submission {}, not the {expected} it had", s.id),
                    });
                }
            }
        }
        Ok(Some(previous))
    }

    /// The published observations of a submission (the `observations` table's columns).
    pub fn observations(&self, id: &str) -> RecordBatch {
        self.observations.slice(id)
    }

    /// How each of those observations was published as superseded, if it was.
    pub fn marks(&self, id: &str) -> &[Option<Superseded>] {
        &self.marks[self.observations.rows.get(id).cloned().unwrap_or_default()]
    }

    pub fn rejects(&self, id: &str) -> RecordBatch {
        self.rejects.slice(id)
    }

    pub fn findings(&self, id: &str) -> RecordBatch {
        self.findings.slice(id)
    }
}

impl Table {
    fn slice(&self, id: &str) -> RecordBatch {
        let r = self.rows.get(id).cloned().unwrap_or_default();
        self.batch.slice(r.start, r.len())
    }
}

/// Where each submission's rows are in a table: one run of rows each, or the table is refused.
fn ranges(batch: &RecordBatch) -> Result<HashMap<String, Range<usize>>, String> {
    let ids = batches::strings(batch, "submission_id")?;
    let mut rows: HashMap<String, Range<usize>> = HashMap::new();
    let mut start = 0;
    for i in 1..=ids.len() {
        if i < ids.len() && ids[i] == ids[start] {
            continue;
        }
        let id = ids[start].ok_or("missing a submission id")?;
        if rows.insert(id.to_owned(), start..i).is_some() {
            return Err(format!("holding the rows of submission {id} in more than one place"));
        }
        start = i;
    }
    Ok(rows)
}
