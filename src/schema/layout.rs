//! Layout cues (`schemas/layout.toml`): missing-value markers, the keys of a metadata block
//! above a table, and the JSON keys that hold KPI-keyed objects.

use std::collections::{HashMap, HashSet};

use serde::Deserialize;

use super::{SchemaError, text, toml_file};

/// What a metadata line (`Currency: THB`) gives its table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MetaKey {
    Cluster,
    Country,
    Currency,
    Year,
    Unit,
    Submitted,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Json {
    kpi_containers: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    missing_markers: Vec<String>,
    metadata: HashMap<MetaKey, Vec<String>>,
    json: Json,
}

#[derive(Debug)]
pub struct Layout {
    markers: HashSet<String>,
    metadata: HashMap<String, MetaKey>,
    kpi_containers: HashSet<String>,
}

impl Layout {
    pub fn from_toml(file: &str, src: &str) -> Result<Self, SchemaError> {
        let f: File = toml_file(file, src)?;
        let mut metadata = HashMap::new();
        for (key, spellings) in f.metadata {
            for s in spellings {
                metadata.insert(text::key(&s), key);
            }
        }
        Ok(Layout {
            // Markers are mostly punctuation (`-`, `–`, `n/a`), so they are compared lower-cased
            // and trimmed, not by the punctuation-blind key.
            markers: f.missing_markers.iter().map(|m| m.trim().to_lowercase()).collect(),
            metadata,
            kpi_containers: f.json.kpi_containers.iter().map(|k| text::key(k)).collect(),
        })
    }

    /// True for a text that means "not reported" (an empty text too).
    pub fn is_marker(&self, s: &str) -> bool {
        let t = s.trim().to_lowercase();
        t.is_empty() || self.markers.contains(&t)
    }

    /// The metadata key a label names (`Currency:`, `Moneda`).
    pub fn meta_key(&self, label: &str) -> Option<MetaKey> {
        self.metadata.get(&text::key(label)).copied()
    }

    pub fn is_kpi_container(&self, key: &str) -> bool {
        self.kpi_containers.contains(&text::key(key))
    }
}
