//! Records in JSON documents and JSON Lines.
//!
//! A document is an array of records; or an object whose `observations` array holds the
//! records and whose other scalar fields are defaults for them; or an object holding
//! KPI-keyed objects, directly or under a container key such as `kpis`:
//! `{"kpis": {"ghg_emissions": {"2023": {"value": 2.45, "unit": "Mt CO2e"}}}}` (a year may map
//! to a bare number, with fields such as `"unit"` beside the years holding for all of them; and
//! a KPI may map to one record with its own `year`, or to an array of records). JSON Lines is one record a
//! line. A value that is a missing-value marker (`"n/a"`, `null`) reports nothing.

use std::collections::HashSet;
use std::sync::Arc;

use serde_json::{Map, Value};

use super::{Mapped, RawRow, header_read, no_table, unknown_column};
use crate::diag::{Code, Finding, Loc, Place, Relative, member_pointer};
use crate::read::{Cell, JsonLine};
use crate::schema::{Field, Fields, NameMatch, Schema};

const OBSERVATIONS: &str = "observations";

pub(super) fn map_document(value: Value, file: &Arc<str>, schema: &Schema, out: &mut Mapped) {
    match value {
        Value::Array(records) => {
            out.explain("the file: a JSON array of records".to_owned());
            out.tables.push(Place::Pointer { pointer: String::new() });
            let mut r = Records::new(file, schema, Vec::new());
            for (i, record) in records.into_iter().enumerate() {
                r.record(record, &At::Pointer(format!("/{i}")), &[], out);
            }
        }
        Value::Object(mut doc) => {
            let submitted = schema.layout.submitted_keys();
            out.submitted_at = submitted.iter().find_map(|k| doc.get(k).and_then(Value::as_str).map(str::to_owned));
            out.tables.push(Place::Pointer { pointer: String::new() });
            // The document's own scalar fields: defaults for its records, its date, or reported;
            // beside an `observations` array, its objects are reported too.
            let has_records = doc.contains_key(OBSERVATIONS);
            for (key, v) in &doc {
                let at = Place::Pointer { pointer: member_pointer("", key) };
                let read = submitted.iter().any(|k| k == key)
                    || (schema.fields.find(key).is_some() && !v.is_object() && !v.is_array());
                if !read && (!v.is_object() || has_records) && key != OBSERVATIONS {
                    out.note(unknown_column(Loc::new(file, at.clone()), key));
                }
                if !v.is_object() || has_records {
                    out.account(|| at);
                }
            }
            if let Some(observations) = doc.remove(OBSERVATIONS) {
                let Value::Array(records) = observations else {
                    out.note(no_table(file, format!("`{OBSERVATIONS}` is not an array of records")));
                    return;
                };
                out.explain(format!("the file: a submission document, records under `/{OBSERVATIONS}`"));
                let mut r = Records::new(file, schema, defaults(&doc, &schema.fields));
                for (i, record) in records.into_iter().enumerate() {
                    r.record(record, &At::Pointer(format!("/{OBSERVATIONS}/{i}")), &[], out);
                }
                return;
            }
            let defaults = defaults(&doc, &schema.fields);
            let mut found = false;
            let mut r = Records::new(file, schema, defaults);
            for (key, v) in doc {
                let Value::Object(inner) = v else { continue };
                let base = member_pointer("", &key);
                if schema.layout.is_kpi_container(&key) {
                    out.explain(format!("the file: KPI-keyed objects under `{base}`"));
                    found = true;
                    for (kpi, v) in inner {
                        r.kpi(&kpi, v, &member_pointer(&base, &kpi), out);
                    }
                } else if schema.find_kpi(&key).is_some() {
                    out.explain(format!("the file: KPI-keyed object `{base}`"));
                    found = true;
                    r.kpi(&key, Value::Object(inner), &base, out);
                } else {
                    out.note(unknown_column(Loc::new(file, Place::Pointer { pointer: base.clone() }), &key));
                    out.account(|| Place::Pointer { pointer: base });
                }
            }
            if !found {
                out.note(no_table(
                    file,
                    format!(
                        "the JSON object has no `{OBSERVATIONS}` array and no KPI-keyed objects (looked for keys such as `kpis` or KPI names like `ghg_emissions`)"
                    ),
                ));
            }
        }
        _ => out.note(no_table(file, "the JSON document is neither an object nor an array".to_owned())),
    }
}

pub(super) fn map_lines(lines: Vec<JsonLine>, file: &Arc<str>, schema: &Schema, out: &mut Mapped) {
    out.explain("the file: JSON Lines, one record a line".to_owned());
    out.tables.extend(lines.first().map(|l| Place::Line { line: l.line, field: None }));
    let mut records = Records::new(file, schema, Vec::new());
    for JsonLine { line, value } in lines {
        let at = At::Line(line);
        match value {
            Ok(v) => records.record(v, &at, &[], out),
            Err(e) => records.reject(&at, format!("line {line} is not valid JSON: {e}"), out),
        }
    }
}

/// Where a record lies, and so its members.
enum At {
    /// At a pointer; its members below it.
    Pointer(String),
    /// A bare number written for a year, made a record of its own: its `value` is at the year's
    /// pointer itself, not below it.
    Bare(String),
    /// A line of JSON Lines: the record and each of its members.
    Line(u64),
}

impl At {
    /// The record's place (`None`), or its member's by that key.
    fn place(&self, key: Option<&str>) -> Place {
        match (self, key) {
            (At::Line(line), _) => Place::Line { line: *line, field: None },
            (At::Bare(pointer), None | Some("value")) | (At::Pointer(pointer), None) => {
                Place::Pointer { pointer: pointer.clone() }
            }
            (At::Bare(pointer) | At::Pointer(pointer), Some(key)) => {
                Place::Pointer { pointer: member_pointer(pointer, key) }
            }
        }
    }

    /// A member's place by the record's ([`At::place`]): a pointer is written out only where it
    /// is shown.
    fn member(&self, key: String) -> Relative {
        match self {
            At::Line(_) => Relative::Row,
            At::Bare(_) if key == "value" => Relative::Row,
            At::Bare(_) | At::Pointer(_) => Relative::Member(key.into_boxed_str()),
        }
    }
}

/// Top-level scalar fields of a submission document that name a canonical column.
fn defaults(doc: &Map<String, Value>, fields: &Fields) -> Vec<(Field, Cell, String)> {
    doc.iter()
        .filter_map(|(k, v)| {
            let field = fields.find(k)?;
            (!v.is_object() && !v.is_array()).then(|| (field, cell(v.clone()), member_pointer("", k)))
        })
        .collect()
}

struct Records<'a> {
    file: &'a Arc<str>,
    schema: &'a Schema,
    defaults: Vec<(Field, Cell, String)>,
    /// Unknown keys already reported, so each is reported once per file.
    reported: HashSet<String>,
    /// How each key was read: every record repeats the same few.
    fields: crate::memo::Remembered<NameMatch<Field>>,
}

impl<'a> Records<'a> {
    fn new(file: &'a Arc<str>, schema: &'a Schema, defaults: Vec<(Field, Cell, String)>) -> Self {
        Records { file, schema, defaults, reported: HashSet::new(), fields: Default::default() }
    }

    /// The records of one KPI-keyed object: years to records or numbers, or one record.
    fn kpi(&mut self, kpi: &str, v: Value, base: &str, out: &mut Mapped) {
        let kpi_cell = (Field::Kpi, Cell::Text(kpi.into()), Place::Pointer { pointer: base.to_owned() });
        match v {
            Value::Object(m) if m.keys().any(|k| year_key(k)) => {
                // Fields beside the years (`"unit": "MtCO2e"`) hold for every year.
                let mut shared = vec![kpi_cell];
                for (key, v) in &m {
                    if year_key(key) {
                        continue;
                    }
                    let at = Place::Pointer { pointer: member_pointer(base, key) };
                    match self.schema.read_field(key).entry().filter(|_| !v.is_object()) {
                        Some(f) => shared.push((f, cell(v.clone()), at.clone())),
                        None => out.note(unknown_column(Loc::new(self.file, at.clone()), key)),
                    }
                    out.account(|| at);
                }
                for (year, v) in m.into_iter().filter(|(k, _)| year_key(k)) {
                    let at = member_pointer(base, &year);
                    let year_cell =
                        (Field::Year, Cell::Text(year.as_str().into()), Place::Pointer { pointer: at.clone() });
                    let mut preset = vec![year_cell];
                    preset.extend(shared.iter().cloned());
                    match v {
                        Value::Object(_) => self.record(v, &At::Pointer(at), &preset, out),
                        scalar => {
                            let mut record = Map::new();
                            record.insert("value".to_owned(), scalar);
                            self.record(Value::Object(record), &At::Bare(at), &preset, out);
                        }
                    }
                }
            }
            Value::Array(records) => {
                for (i, record) in records.into_iter().enumerate() {
                    self.record(record, &At::Pointer(format!("{base}/{i}")), std::slice::from_ref(&kpi_cell), out);
                }
            }
            other => self.record(other, &At::Pointer(base.to_owned()), std::slice::from_ref(&kpi_cell), out),
        }
    }

    fn record(&mut self, value: Value, at: &At, preset: &[(Field, Cell, Place)], out: &mut Mapped) {
        let Value::Object(object) = value else {
            let what = json_kind(&value);
            out.account(|| at.place(None));
            return self.reject(at, format!("a record must be a JSON object, but this is {what}"), out);
        };
        let mut row = RawRow::new(Loc::new(self.file, at.place(None)));
        for (key, v) in object {
            let place = || at.place(Some(&key));
            out.account(place);
            let schema = self.schema;
            let field = match self.fields.get(&key, |k| schema.read_field(k)) {
                NameMatch::Exact(f) => Some(f),
                NameMatch::ByWords { entry, alias, lang } => {
                    if self.reported.insert(key.clone()) {
                        out.note(header_read(Loc::new(self.file, place()), &key, entry, &alias, &lang));
                    }
                    Some(entry)
                }
                NameMatch::Refused { .. } => None,
            };
            match field {
                Some(f) if row.get(f).is_none() => row.set_at(f, cell(v), at.member(key)),
                Some(_) => {}
                None => {
                    if self.reported.insert(key.clone()) {
                        out.note(unknown_column(Loc::new(self.file, place()), &key));
                    }
                }
            }
        }
        for (f, c, p) in preset {
            if row.get(*f).is_none() {
                row.set(*f, c.clone(), p.clone());
            }
        }
        for (f, c, pointer) in &self.defaults {
            if row.get(*f).is_none() {
                row.set(*f, c.clone(), Place::Pointer { pointer: pointer.clone() });
            }
        }
        let not_reported = match row.get(Field::Value).map(|v| &v.cell) {
            None | Some(Cell::Empty) => true,
            Some(Cell::Text(t)) => self.schema.layout.is_marker(t),
            _ => false,
        };
        if not_reported && row.get(Field::Value).is_some() {
            out.not_reported += 1;
            return;
        }
        out.row(row);
    }

    fn reject(&mut self, at: &At, message: String, out: &mut Mapped) {
        let loc = Loc::new(self.file, at.place(None));
        out.account(|| loc.place.clone());
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

fn year_key(k: &str) -> bool {
    k.len() == 4 && k.bytes().all(|b| b.is_ascii_digit())
}

fn cell(v: Value) -> Cell {
    match v {
        Value::Null => Cell::Empty,
        Value::Bool(b) => Cell::Bool(b),
        Value::Number(n) => n.as_f64().map_or_else(|| Cell::Text(n.to_string().into()), Cell::Number),
        Value::String(s) => Cell::Text(s.into()),
        other => Cell::Text(other.to_string().into()),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::map::Entry;

    /// Each record's value cell and row, where a person finds them (worked out by hand from the
    /// documents), whichever shape holds the record; a key holding `/` or `~` is escaped.
    #[test]
    fn a_member_is_placed_under_its_record() {
        let schema = Schema::bundled().expect("the bundled schema loads");
        let file: Arc<str> = Arc::from("t.json");
        let places = |doc: &str| -> Vec<(String, String, String)> {
            let mut out = Mapped::default();
            map_document(serde_json::from_str(doc).expect("valid JSON"), &file, &schema, &mut out);
            let rows = out.entries.iter().filter_map(|e| match e {
                Entry::Row(row) => Some(row),
                Entry::Note(_) => None,
            });
            let at = |row: &RawRow, field: Field| row.get(field).map(|l| row.place(l).to_string()).unwrap_or_default();
            rows.map(|row| (row.loc.place.to_string(), at(row, Field::Value), at(row, Field::Unit))).collect()
        };
        let p = |row: &str, value: &str, unit: &str| (row.to_owned(), value.to_owned(), unit.to_owned());
        assert_eq!(places(r#"[{"kpi": "jobs", "value": 1, "unit": "jobs"}]"#), [p("/0", "/0/value", "/0/unit")]);
        assert_eq!(
            places(r#"{"observations": [{"kpi": "jobs", "value": 1}, {"kpi": "jobs", "value": 2}]}"#),
            [p("/observations/0", "/observations/0/value", ""), p("/observations/1", "/observations/1/value", "")]
        );
        // A bare number for a year is at the year's own pointer; a field beside the years at
        // its own; a record for a year holds its members below it.
        let doc = r#"{"kpis": {"a/b~c": {"unit": "t", "2022": 5, "2023": {"value": 6, "unit": "kt"}}}}"#;
        assert_eq!(
            places(doc),
            [
                p("/kpis/a~1b~0c/2022", "/kpis/a~1b~0c/2022", "/kpis/a~1b~0c/unit"),
                p("/kpis/a~1b~0c/2023", "/kpis/a~1b~0c/2023/value", "/kpis/a~1b~0c/2023/unit"),
            ]
        );
        assert_eq!(
            places(r#"{"kpis": {"jobs": [{"value": 7, "u/nit": 1}]}}"#),
            [p("/kpis/jobs/0", "/kpis/jobs/0/value", "")]
        );
    }

    /// A line of JSON Lines is the place of its record and of each of its members.
    #[test]
    fn a_json_line_is_its_members_place() {
        let schema = Schema::bundled().expect("the bundled schema loads");
        let file: Arc<str> = Arc::from("t.jsonl");
        let line = JsonLine {
            line: 4,
            value: serde_json::from_str(r#"{"kpi": "jobs", "value": 3}"#).map_err(|e| e.to_string()),
        };
        let mut out = Mapped::default();
        map_lines(vec![line], &file, &schema, &mut out);
        let Some(Entry::Row(row)) = out.entries.first() else { panic!("a row: {:?}", out.entries) };
        let value = row.get(Field::Value).expect("a value");
        assert_eq!(
            (row.loc.place.to_string(), row.place(value).to_string()),
            ("line 4".to_owned(), "line 4".to_owned())
        );
    }
}
