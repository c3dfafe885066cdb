//! The canonical columns (`schemas/fields.toml`) and the header spellings that name them.

use std::collections::BTreeMap;

use serde::Deserialize;
use validator::Validate;

use super::{Lookup, SchemaError, check, toml_file};

/// A canonical column. The set is fixed by the output schema; its spellings are data.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Field {
    Cluster,
    Country,
    Year,
    Kpi,
    Value,
    Unit,
    Scope,
    Gas,
    Facility,
    Notes,
}

impl Field {
    pub const COUNT: usize = 10;
    /// Every column, in canonical order (`Field::ALL[f.index()] == f`).
    pub const ALL: [Field; Field::COUNT] = [
        Field::Cluster,
        Field::Country,
        Field::Year,
        Field::Kpi,
        Field::Value,
        Field::Unit,
        Field::Scope,
        Field::Gas,
        Field::Facility,
        Field::Notes,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Field::Cluster => "cluster",
            Field::Country => "country",
            Field::Year => "year",
            Field::Kpi => "kpi",
            Field::Value => "value",
            Field::Unit => "unit",
            Field::Scope => "scope",
            Field::Gas => "gas",
            Field::Facility => "facility",
            Field::Notes => "notes",
        }
    }

    pub fn index(self) -> usize {
        self as usize
    }
}

#[derive(Clone, Debug, Deserialize, Validate)]
#[serde(deny_unknown_fields)]
pub struct FieldDef {
    pub name: Field,
    pub required: bool,
    /// Other header spellings, by language.
    #[serde(default)]
    pub names: BTreeMap<String, Vec<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    field: Vec<FieldDef>,
}

/// The canonical columns, found by any header spelling.
#[derive(Debug)]
pub struct Fields {
    lookup: Lookup<FieldDef>,
}

impl Fields {
    pub fn from_toml(file: &str, text: &str) -> Result<Self, SchemaError> {
        let defs = toml_file::<File>(file, text)?.field;
        for def in &defs {
            check(file, def.name.as_str(), def)?;
        }
        for field in [Field::Cluster, Field::Country, Field::Year, Field::Kpi, Field::Value, Field::Unit] {
            if !defs.iter().any(|d| d.name == field) {
                return Err(SchemaError::Invalid {
                    file: file.to_owned(),
                    entry: field.as_str().to_owned(),
                    problem: "the column is part of every submission and must be defined".to_owned(),
                });
            }
        }
        let lookup = Lookup::build(
            file,
            defs,
            |d| d.name.as_str().to_owned(),
            |d| std::iter::once(d.name.as_str().to_owned()).chain(d.names.values().flatten().cloned()).collect(),
        )?;
        Ok(Fields { lookup })
    }

    /// The canonical column a header spelling names.
    pub fn find(&self, header: &str) -> Option<Field> {
        self.lookup.find(header).map(|d| d.name)
    }

    /// Every column's header spellings by language, in the order of [`Fields::field_at`]; the
    /// canonical name counts as English.
    pub fn names_by_language(&self) -> Vec<BTreeMap<String, Vec<String>>> {
        self.lookup
            .iter()
            .map(|d| {
                let mut names = d.names.clone();
                names.entry("en".to_owned()).or_default().push(d.name.as_str().to_owned());
                names
            })
            .collect()
    }

    /// The column of the `i`-th definition.
    pub fn field_at(&self, i: usize) -> Field {
        self.lookup.iter().nth(i).map_or(Field::Notes, |d| d.name)
    }

    /// The columns a table must have.
    pub fn required(&self) -> impl Iterator<Item = Field> + '_ {
        self.lookup.iter().filter(|d| d.required).map(|d| d.name)
    }
}
