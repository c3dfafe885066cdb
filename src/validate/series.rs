//! The identity of a figure: one [`SeriesKey`], with one normalisation, used wherever two
//! observations are asked whether they are "the same": duplicates within a submission,
//! supersession across submissions, year-on-year plausibility, facility rows against their
//! total, and the summary's grouping.
//!
//! Cluster and KPI are registry and catalog ids already. Facility, scope and gas are free text,
//! compared by their comparison key ([`crate::schema::text::key`]: case, accents, punctuation
//! and spacing ignored), so `Scope 1`, `scope 1` and `SCOPE-1` are one key everywhere. A text
//! whose key is empty (`-`) is the same as none.

use super::Observation;
use crate::schema::text::key;

/// (cluster, facility, year, KPI, scope, gas), normalised.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SeriesKey {
    pub cluster: String,
    /// `None`: the cluster total.
    pub facility: Option<String>,
    pub year: i32,
    pub kpi: String,
    pub scope: Option<String>,
    pub gas: Option<String>,
}

/// The comparison form of a free-text part of the key.
pub fn normalise(text: Option<&str>) -> Option<String> {
    text.map(key).filter(|k| !k.is_empty())
}

impl SeriesKey {
    pub fn of(o: &Observation) -> SeriesKey {
        SeriesKey::new(KeyRef {
            cluster: &o.cluster_id,
            facility: o.facility.as_deref(),
            year: o.year,
            kpi: &o.kpi,
            scope: o.scope.as_deref(),
            gas: o.gas.as_deref(),
        })
    }

    /// The key of a figure given by its parts as written (facility, scope and gas not yet
    /// normalised).
    pub fn new(p: KeyRef<'_>) -> SeriesKey {
        SeriesKey {
            cluster: p.cluster.to_owned(),
            facility: normalise(p.facility),
            year: p.year,
            kpi: p.kpi.to_owned(),
            scope: normalise(p.scope),
            gas: normalise(p.gas),
        }
    }

    /// The key by reference: what maps group by without copying its texts.
    pub fn by_ref(&self) -> KeyRef<'_> {
        KeyRef {
            cluster: &self.cluster,
            facility: self.facility.as_deref(),
            year: self.year,
            kpi: &self.kpi,
            scope: self.scope.as_deref(),
            gas: self.gas.as_deref(),
        }
    }
}

/// A [`SeriesKey`] by reference, with the same order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyRef<'a> {
    pub cluster: &'a str,
    pub facility: Option<&'a str>,
    pub year: i32,
    pub kpi: &'a str,
    pub scope: Option<&'a str>,
    pub gas: Option<&'a str>,
}

impl KeyRef<'_> {
    /// The same series in every year (the year set to 0): what year-on-year checks group by.
    pub fn every_year(mut self) -> Self {
        self.year = 0;
        self
    }

    /// The cluster total this figure is a part of (the facility removed).
    pub fn cluster_total(mut self) -> Self {
        self.facility = None;
        self
    }

    /// Every gas of the figure together (the gas removed): what per-gas rows add up to.
    pub fn all_gases(mut self) -> Self {
        self.gas = None;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::normalise;

    #[test]
    fn spellings_of_one_text_are_one_part() {
        assert_eq!(normalise(Some("Scope 1")), normalise(Some("SCOPE-1")));
        assert_eq!(normalise(Some("Raffinerie Süd")), normalise(Some("raffinerie sud")));
        assert_eq!(normalise(Some(" - ")), None);
        assert_ne!(normalise(Some("Scope 1")), normalise(Some("Scope 2")));
    }
}
