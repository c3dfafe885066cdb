//! Records in JSON documents and JSON Lines.

use std::collections::HashSet;
use std::sync::Arc;

use serde_json::{Map, Value};

use super::{Mapped, RawRow, no_table, unknown_column};
use crate::diag::{Code, Finding, Loc, Place};
use crate::read::{Cell, JsonLine};
use crate::schema::{Field, Fields};

const OBSERVATIONS: &str = "observations";

pub(super) fn map_document(value: Value, file: &Arc<str>, fields: &Fields, out: &mut Mapped) {
    let (defaults, records, base) = match value {
        Value::Array(records) => (Vec::new(), records, String::new()),
        Value::Object(mut doc) => match doc.remove(OBSERVATIONS) {
            Some(Value::Array(records)) => (defaults(doc, fields), records, format!("/{OBSERVATIONS}")),
            Some(_) => {
                out.note(no_table(file, format!("`{OBSERVATIONS}` is not an array of records")));
                return;
            }
            None => {
                out.note(no_table(file, format!("the JSON object has no `{OBSERVATIONS}` array")));
                return;
            }
        },
        _ => {
            out.note(no_table(file, "the JSON document is neither an object nor an array".to_owned()));
            return;
        }
    };
    let mut records_mapper = Records::new(file, fields, defaults);
    for (i, record) in records.into_iter().enumerate() {
        let pointer = format!("{base}/{i}");
        let place = |key: Option<&str>| Place::Pointer {
            pointer: key.map_or_else(|| pointer.clone(), |k| format!("{pointer}/{}", escape(k))),
        };
        records_mapper.record(record, &place, out);
    }
}

pub(super) fn map_lines(lines: Vec<JsonLine>, file: &Arc<str>, fields: &Fields, out: &mut Mapped) {
    let mut records = Records::new(file, fields, Vec::new());
    for JsonLine { line, value } in lines {
        let place = |_: Option<&str>| Place::Line { line };
        match value {
            Ok(v) => records.record(v, &place, out),
            Err(e) => records.reject(&place, format!("line {line} is not valid JSON: {e}"), out),
        }
    }
}

/// Top-level scalar fields of a submission document that name a canonical column.
fn defaults(doc: Map<String, Value>, fields: &Fields) -> Vec<(Field, Cell, String)> {
    doc.into_iter()
        .filter_map(|(k, v)| {
            let field = fields.find(&k)?;
            (!v.is_object() && !v.is_array()).then(|| (field, cell(v), format!("/{}", escape(&k))))
        })
        .collect()
}

struct Records<'a> {
    file: &'a Arc<str>,
    fields: &'a Fields,
    defaults: Vec<(Field, Cell, String)>,
    /// Unknown keys already reported, so each is reported once per file.
    reported: HashSet<String>,
}

impl<'a> Records<'a> {
    fn new(file: &'a Arc<str>, fields: &'a Fields, defaults: Vec<(Field, Cell, String)>) -> Self {
        Records { file, fields, defaults, reported: HashSet::new() }
    }

    fn record(&mut self, value: Value, place: &dyn Fn(Option<&str>) -> Place, out: &mut Mapped) {
        let Value::Object(object) = value else {
            let what = json_kind(&value);
            return self.reject(place, format!("a record must be a JSON object, but this is {what}"), out);
        };
        let mut row = RawRow::new(Loc::new(self.file, place(None)));
        for (key, v) in object {
            let loc = Loc::new(self.file, place(Some(&key)));
            match self.fields.find(&key) {
                Some(f) if row.get(f).is_none() => row.set(f, cell(v), loc),
                Some(_) => {}
                None => {
                    if self.reported.insert(key.clone()) {
                        out.note(unknown_column(loc, &key));
                    }
                }
            }
        }
        for (f, c, pointer) in &self.defaults {
            if row.get(*f).is_none() {
                row.set(*f, c.clone(), Loc::new(self.file, Place::Pointer { pointer: pointer.clone() }));
            }
        }
        out.row(row);
    }

    fn reject(&mut self, place: &dyn Fn(Option<&str>) -> Place, message: String, out: &mut Mapped) {
        let loc = Loc::new(self.file, place(None));
        out.note(Finding::new(
            Code::JsonRecord,
            loc.clone(),
            message,
            "each record is a JSON object such as {\"cluster\": \"…\", \"year\": 2023, \"kpi\": \"jobs\", \"value\": 1200, …}",
        ));
        let mut row = RawRow::new(loc);
        row.blocked = Some(Code::JsonRecord);
        out.row(row);
    }
}

fn cell(v: Value) -> Cell {
    match v {
        Value::Null => Cell::Empty,
        Value::Bool(b) => Cell::Bool(b),
        Value::Number(n) => n.as_f64().map_or_else(|| Cell::Text(n.to_string()), Cell::Number),
        Value::String(s) => Cell::Text(s),
        other => Cell::Text(other.to_string()),
    }
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Escape a key for a JSON pointer (RFC 6901).
fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}
