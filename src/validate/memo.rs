//! Memo: the lookups of one worker's rows, each distinct spelling once ([`Remembered`]): the
//! keys of cluster (with its registry country), country and KPI names (case, accents and
//! punctuation folded), their readings by words, and the units; the conversions its rows share,
//! each held once; and the texts observations hold, shared, those borrowed from the schema found
//! by their address.

use std::sync::Arc;

use super::series::KeyMemo;
use crate::memo::{ByAddress, Remembered, Shared, SharedStr};
use crate::normalize::{Conversion, UnitMemo};
use crate::schema::{Cluster, Country, GwpSet, KpiDef, NameMatch, Schema};

#[derive(Default)]
pub struct Memo<'s> {
    pub units: UnitMemo,
    /// A cluster with its registry country, looked up with it.
    clusters: Remembered<Option<(&'s Cluster, Option<&'s Country>)>>,
    countries: Remembered<Option<&'s Country>>,
    kpis: Remembered<NameMatch<&'s KpiDef>>,
    /// The texts observations hold, shared by spelling.
    pub shared: Shared,
    /// The schema's texts observations hold (ids, canonical units), shared by their address.
    schema_texts: ByAddress<'s, 1, SharedStr>,
    /// The series keys of the rows.
    pub keys: KeyMemo,
    /// Keyed like [`Remembered`], and bounded like it.
    conversions: std::collections::HashMap<ConversionBits, Arc<Conversion>, ahash::RandomState>,
}

/// A conversion by the bits of its numbers: two are one when every bit is the same.
type ConversionBits =
    (u64, Option<SharedStr>, Option<GwpSet>, Option<u64>, Option<SharedStr>, Option<u64>, Option<i32>);

impl<'s> Memo<'s> {
    /// The registry's cluster of that id, name or alias, and the country the registry places
    /// it in (a row without a `country` takes it; every row's is checked against it).
    pub fn cluster(&mut self, schema: &'s Schema, text: &str) -> Option<(&'s Cluster, Option<&'s Country>)> {
        self.clusters.get(text, |t| schema.clusters.find(t).map(|c| (c, schema.countries.find(&c.country))))
    }

    /// The country of that code or name.
    pub fn country(&mut self, schema: &'s Schema, text: &str) -> Option<&'s Country> {
        self.countries.get(text, |t| schema.countries.find(t))
    }

    /// `conversion` shared with the earlier rows converted alike, its texts too: every row of a
    /// file holds one, and most files convert a few ways.
    pub fn conversion(&mut self, mut conversion: Conversion) -> Arc<Conversion> {
        let c = &conversion;
        let bits = (
            c.factor.to_bits(),
            c.gas.clone(),
            c.gwp_set,
            c.gwp.map(f64::to_bits),
            c.currency.clone(),
            c.fx_rate.map(f64::to_bits),
            c.fx_year,
        );
        if let Some(shared) = self.conversions.get(&bits) {
            return Arc::clone(shared);
        }
        // Its texts are shared only when it is new (the key compares them by what they say).
        conversion.gas = conversion.gas.map(|g| self.shared.get(&g));
        conversion.currency = conversion.currency.map(|c| self.shared.get(&c));
        let shared = Arc::new(conversion);
        if self.conversions.len() < Remembered::<()>::MAX {
            self.conversions.insert(bits, Arc::clone(&shared));
        }
        shared
    }

    /// A text borrowed for as long as the schema (an id, a canonical unit, a qualifier's name) as
    /// the shared text of its spelling: found by its address, so a row does not hash it again.
    pub fn schema_text(&mut self, text: &'s str) -> SharedStr {
        let shared = &mut self.shared;
        self.schema_texts.get([Some(text)], || shared.get(text))
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
            let found = schema.clusters.find(text);
            assert_eq!(memo.cluster(&schema, text).map(|(c, _)| &c.id), found.map(|c| &c.id));
            let country = found.and_then(|c| schema.countries.find(&c.country)).map(|c| &c.alpha3);
            assert_eq!(memo.cluster(&schema, text).and_then(|(_, c)| c).map(|c| &c.alpha3), country);
        }
        // The registry places Rotterdam in the Netherlands.
        for text in ["Port of Rotterdam", "port-of-rotterdam"] {
            let country = memo.cluster(&schema, text).and_then(|(_, c)| c).map(|c| c.alpha3.as_str());
            assert_eq!(country, Some("NLD"), "{text}");
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
