//! Global warming potentials (`schemas/reference/gwp.csv`): 100-year GWP of each gas under the
//! IPCC's AR4, AR5 and AR6 sets.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use serde::Deserialize;

use super::{SchemaError, csv_rows};

/// An IPCC assessment report's set of GWPs. Never mixed within one run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Deserialize)]
#[serde(try_from = "String")]
pub enum GwpSet {
    Ar4,
    Ar5,
    #[default]
    Ar6,
}

impl GwpSet {
    pub fn as_str(self) -> &'static str {
        match self {
            GwpSet::Ar4 => "AR4",
            GwpSet::Ar5 => "AR5",
            GwpSet::Ar6 => "AR6",
        }
    }
}

impl serde::Serialize for GwpSet {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl fmt::Display for GwpSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for GwpSet {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_uppercase().as_str() {
            "AR4" => Ok(GwpSet::Ar4),
            "AR5" => Ok(GwpSet::Ar5),
            "AR6" => Ok(GwpSet::Ar6),
            _ => Err(format!("`{s}` is not a GWP set: use AR4, AR5 or AR6")),
        }
    }
}

impl TryFrom<String> for GwpSet {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        s.parse()
    }
}

#[derive(Deserialize)]
struct Row {
    gas: String,
    ar4: f64,
    ar5: f64,
    ar6: f64,
}

/// GWPs by gas name, as spelled in the file (`CH4`, `HFC-134a`).
#[derive(Debug)]
pub struct Gwp {
    gases: Vec<String>,
    values: HashMap<String, [f64; 3]>,
}

impl Gwp {
    pub fn from_csv(file: &str, text: &str) -> Result<Self, SchemaError> {
        let rows: Vec<Row> = csv_rows(file, text)?;
        let mut gases = Vec::new();
        let mut values = HashMap::new();
        for r in rows {
            if [r.ar4, r.ar5, r.ar6].iter().any(|v| !v.is_finite() || *v <= 0.0) {
                return Err(SchemaError::Invalid {
                    file: file.to_owned(),
                    entry: r.gas,
                    problem: "every GWP is a positive number".to_owned(),
                });
            }
            gases.push(r.gas.clone());
            values.insert(r.gas, [r.ar4, r.ar5, r.ar6]);
        }
        Ok(Gwp { gases, values })
    }

    /// The GWP of `gas` (a name as in the file) under `set`.
    pub fn get(&self, gas: &str, set: GwpSet) -> Option<f64> {
        let v = self.values.get(gas)?;
        Some(match set {
            GwpSet::Ar4 => v[0],
            GwpSet::Ar5 => v[1],
            GwpSet::Ar6 => v[2],
        })
    }

    pub fn gases(&self) -> impl Iterator<Item = &str> {
        self.gases.iter().map(String::as_str)
    }
}
