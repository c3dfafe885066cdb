//! Memo: the lookups of one worker's rows, each distinct spelling once. A file writes a handful
//! of clusters, countries, KPIs and units on its many rows; their keys (case, accents and
//! punctuation folded) and their readings by words are computed once per spelling, not once per
//! row. Past [`MAX`] spellings of one kind (a hostile file), a spelling is looked up each time.

use rustc_hash::FxHashMap;

use crate::normalize::UnitMemo;
use crate::schema::{Cluster, Country, KpiDef, NameMatch, Schema};

/// Spellings kept per kind, at most.
const MAX: usize = 4096;

#[derive(Default)]
pub struct Memo<'s> {
    pub units: UnitMemo,
    clusters: FxHashMap<Box<str>, Option<&'s Cluster>>,
    countries: FxHashMap<Box<str>, Option<&'s Country>>,
    kpis: FxHashMap<Box<str>, NameMatch<&'s KpiDef>>,
}

impl<'s> Memo<'s> {
    /// The registry's cluster of that id, name or alias.
    pub fn cluster(&mut self, schema: &'s Schema, text: &str) -> Option<&'s Cluster> {
        cached(&mut self.clusters, text, |t| schema.clusters.find(t))
    }

    /// The country of that code or name.
    pub fn country(&mut self, schema: &'s Schema, text: &str) -> Option<&'s Country> {
        cached(&mut self.countries, text, |t| schema.countries.find(t))
    }

    /// [`Schema::read_kpi`].
    pub fn kpi(&mut self, schema: &'s Schema, text: &str) -> NameMatch<&'s KpiDef> {
        cached(&mut self.kpis, text, |t| schema.read_kpi(t))
    }
}

fn cached<T: Clone>(map: &mut FxHashMap<Box<str>, T>, text: &str, look_up: impl FnOnce(&str) -> T) -> T {
    if let Some(found) = map.get(text) {
        return found.clone();
    }
    let found = look_up(text);
    if map.len() < MAX {
        map.insert(text.into(), found.clone());
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_remembered_lookup_is_the_lookup() {
        let schema = Schema::bundled().expect("the bundled schema loads");
        let mut memo = Memo::default();
        for text in ["Port of Rotterdam", "port-of-rotterdam", "Atlantis", "Port of Rotterdam"] {
            assert_eq!(memo.cluster(&schema, text).map(|c| &c.id), schema.clusters.find(text).map(|c| &c.id));
        }
        for text in ["NLD", "Netherlands", "Narnia", "NLD"] {
            assert_eq!(memo.country(&schema, text).map(|c| &c.alpha3), schema.countries.find(text).map(|c| &c.alpha3));
        }
        let ids = |m: NameMatch<&KpiDef>| match m {
            NameMatch::Exact(k) => format!("exact {}", k.id),
            NameMatch::ByWords { entry, alias, lang } => format!("words {} {alias} {lang}", entry.id),
            NameMatch::Refused { near, ambiguous } => {
                format!("refused {:?} {ambiguous}", near.iter().map(|k| &k.id).collect::<Vec<_>>())
            }
        };
        for text in ["ghg_emissions", "GHG emissions", "emisiones de CO2", "weather", "ghg_emissions"] {
            assert_eq!(ids(memo.kpi(&schema, text)), ids(schema.read_kpi(text)));
        }
    }
}
