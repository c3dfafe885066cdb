//! Memo: the lookups of one worker's rows, each distinct spelling once ([`Remembered`]): the
//! keys of cluster, country and KPI names (case, accents and punctuation folded), their readings
//! by words, and the units.

use super::series::KeyMemo;
use crate::memo::{Remembered, Shared};
use crate::normalize::UnitMemo;
use crate::schema::{Cluster, Country, KpiDef, NameMatch, Schema};

#[derive(Default)]
pub struct Memo<'s> {
    pub units: UnitMemo,
    clusters: Remembered<Option<&'s Cluster>>,
    countries: Remembered<Option<&'s Country>>,
    kpis: Remembered<NameMatch<&'s KpiDef>>,
    /// The texts observations hold, shared by spelling.
    pub shared: Shared,
    /// The series keys of the rows.
    pub keys: KeyMemo,
}

impl<'s> Memo<'s> {
    /// The registry's cluster of that id, name or alias.
    pub fn cluster(&mut self, schema: &'s Schema, text: &str) -> Option<&'s Cluster> {
        self.clusters.get(text, |t| schema.clusters.find(t))
    }

    /// The country of that code or name.
    pub fn country(&mut self, schema: &'s Schema, text: &str) -> Option<&'s Country> {
        self.countries.get(text, |t| schema.countries.find(t))
    }

    /// [`Schema::read_kpi`].
    pub fn kpi(&mut self, schema: &'s Schema, text: &str) -> NameMatch<&'s KpiDef> {
        self.kpis.get(text, |t| schema.read_kpi(t))
    }
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
