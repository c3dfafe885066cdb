//! The KPI catalog (`schemas/kpis.toml`): id, label, aliases, dimension, canonical unit,
//! plausible range and sign rule of every accepted indicator.

use std::collections::BTreeMap;

use serde::Deserialize;
use validator::{Validate, ValidationError};

use super::{Lookup, SchemaError, check, toml_file};

/// What a KPI measures. A unit must be of its KPI's dimension.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Dimension {
    /// Mass of CO2-equivalent.
    Co2eMass,
    /// Mass of CO2 alone.
    Co2Mass,
    Money,
    Energy,
    /// Mass of hydrogen.
    H2Mass,
    /// A plain count (jobs).
    Count,
}

#[derive(Clone, Debug, Deserialize, Validate)]
#[serde(deny_unknown_fields)]
#[validate(schema(function = "range_is_ordered"))]
pub struct KpiDef {
    #[validate(length(min = 1))]
    pub id: String,
    #[validate(length(min = 1))]
    pub label: String,
    /// Other names, by language (`"*"`: a spelling of every language).
    #[serde(default)]
    pub aliases: BTreeMap<String, Vec<String>>,
    /// Phrases of the KPI's own definition, by language, that may accompany one of its names
    /// without changing what it names (`all carriers`, `for storage or use`). Never a qualifier.
    #[serde(default)]
    pub context: BTreeMap<String, Vec<String>>,
    pub dimension: Dimension,
    #[validate(length(min = 1))]
    pub canonical_unit: String,
    pub min: f64,
    pub max: f64,
    pub non_negative: bool,
    #[validate(length(min = 1))]
    pub description: String,
}

fn range_is_ordered(k: &KpiDef) -> Result<(), ValidationError> {
    if k.min.is_finite() && k.max.is_finite() && k.min <= k.max {
        Ok(())
    } else {
        Err(ValidationError::new("range").with_message("`min` must be a number no larger than `max`".into()))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    kpi: Vec<KpiDef>,
}

/// The KPI catalog: KPIs found by id, label or alias.
pub type Catalog = Lookup<KpiDef>;

impl KpiDef {
    /// Every name of the KPI by language, for reading names by their words: the aliases, with
    /// the id and the English label as English names.
    pub fn names_by_language(&self) -> BTreeMap<String, Vec<String>> {
        let mut names = self.aliases.clone();
        names.entry("en".to_owned()).or_default().extend([self.id.replace('_', " "), self.label.clone()]);
        names
    }
}

impl Catalog {
    pub fn from_toml(file: &str, text: &str) -> Result<Self, SchemaError> {
        let kpis = toml_file::<File>(file, text)?.kpi;
        for kpi in &kpis {
            check(file, &kpi.id, kpi)?;
        }
        Lookup::build(
            file,
            kpis,
            |k| k.id.clone(),
            |k| [&k.id, &k.label].into_iter().chain(k.aliases.values().flatten()).cloned().collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalog_holds_the_required_kpis_in_their_canonical_units() {
        let cat = crate::schema::Schema::bundled().unwrap().kpis;
        let expect = [
            ("ghg_emissions", Dimension::Co2eMass, "tCO2e"),
            ("ghg_reduction_potential", Dimension::Co2eMass, "tCO2e"),
            ("gdp_contribution", Dimension::Money, "USD"),
            ("jobs", Dimension::Count, "jobs"),
            ("renewable_electricity", Dimension::Energy, "MWh"),
            ("energy_consumption", Dimension::Energy, "MWh"),
            ("hydrogen_production", Dimension::H2Mass, "t"),
            ("co2_captured", Dimension::Co2Mass, "tCO2"),
        ];
        for (id, dim, unit) in expect {
            let k = cat.find(id).unwrap_or_else(|| panic!("{id} missing"));
            assert_eq!((k.dimension, k.canonical_unit.as_str(), k.non_negative), (dim, unit, true), "{id}");
        }
        assert_eq!(cat.find("GHG Emissions").unwrap().id, "ghg_emissions");
    }

    #[test]
    fn an_inverted_range_is_refused() {
        let toml = r#"[[kpi]]
id = "x"
label = "X"
dimension = "count"
canonical_unit = "jobs"
min = 10.0
max = 1.0
non_negative = true
description = "d"
"#;
        let err = Catalog::from_toml("kpis.toml", toml).unwrap_err();
        assert!(err.to_string().contains("entry `x` is invalid"), "{err}");
    }
}
