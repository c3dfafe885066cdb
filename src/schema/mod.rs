//! Reference data and schema: the cluster registry, the countries, the KPI catalog and the
//! canonical columns, loaded from files under `schemas/`.
//!
//! Nothing here is hard-coded: the bundled files are compiled into the binary (so it works from
//! any folder) and parsed at start; a pipeline may name other files. Loading validates every
//! entry and refuses a table in which one spelling would name two different things, so a lookup
//! never has to guess.

mod clusters;
mod countries;
mod fields;
mod fx;
mod gwp;
mod kpis;
mod layout;
mod names;
pub mod text;
mod units;

pub use clusters::{Cluster, Registry};
pub use countries::{Countries, Country};
pub use fields::{Field, FieldDef, Fields};
pub use fx::{Currencies, FxRates};
pub use gwp::{Gwp, GwpSet};
pub use kpis::{Catalog, Dimension, KpiDef};
pub use layout::{Layout, Mark, MetaKey, Qualifier, Template};
pub use names::{Kind, Matcher, Reading, Trace, Vocabulary};
pub use units::{
    Currency, Meaning, MoneyMagnitude, ParseError, Spellings, Symbol, Unit, UnitTables, WordTables, squeeze,
    substance_key,
};

/// Entries found by any of their spellings.
#[derive(Debug)]
pub struct Lookup<T> {
    entries: Vec<T>,
    index: KeyIndex,
}

impl<T> Lookup<T> {
    /// Index `entries` under every spelling `spellings` gives for each; `id` names an entry in
    /// the error when a spelling would name two entries.
    fn build<S: AsRef<str>>(
        file: &str,
        entries: Vec<T>,
        id: impl Fn(&T) -> String,
        spellings: impl Fn(&T) -> Vec<S>,
    ) -> Result<Self, SchemaError> {
        let mut index = KeyIndex::default();
        for (i, entry) in entries.iter().enumerate() {
            for spelling in spellings(entry) {
                index.insert(file, spelling.as_ref(), i, |j| id(&entries[j]))?;
            }
        }
        Ok(Lookup { entries, index })
    }

    /// The entry a spelling designates, ignoring case, accents and punctuation.
    pub fn find(&self, text: &str) -> Option<&T> {
        self.index.get(text).map(|i| &self.entries[i])
    }

    /// The entry whose spelling is closest to `text`, to suggest when nothing matched.
    pub fn closest(&self, text: &str) -> Option<&T> {
        self.index.closest(text).map(|i| &self.entries[i])
    }

    pub fn iter(&self) -> impl Iterator<Item = &T> {
        self.entries.iter()
    }

    /// The `i`-th entry, in file order.
    pub fn get(&self, i: usize) -> Option<&T> {
        self.entries.get(i)
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// Why a schema or reference file could not be loaded. A configuration error: nothing runs.
#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    #[error("{file}: cannot read CSV")]
    Csv {
        file: String,
        #[source]
        source: csv::Error,
    },
    #[error("{file}: cannot read TOML")]
    Toml {
        file: String,
        #[source]
        source: toml::de::Error,
    },
    #[error("{file}: entry `{entry}` is invalid: {problem}")]
    Invalid { file: String, entry: String, problem: String },
    #[error("{file}: `{spelling}` names both `{first}` and `{second}`; make the spellings unambiguous")]
    Ambiguous { file: String, spelling: String, first: String, second: String },
}

/// Everything validation checks against: reference data, schema, unit tables, and the GWP set
/// chosen for the run.
#[derive(Debug)]
pub struct Schema {
    pub clusters: Registry,
    pub countries: Countries,
    pub kpis: Catalog,
    pub fields: Fields,
    pub layout: Layout,
    pub units: UnitTables,
    pub gwp: Gwp,
    pub gwp_set: GwpSet,
    /// What one file may ask of the machine (the pipeline's `[limits]`).
    pub limits: crate::limits::Limits,
    pub fx: FxRates,
    pub currencies: Currencies,
    /// KPI names read by their words, entries in catalog order.
    pub kpi_words: Matcher,
    /// Column headers read by their words, entries in `fields.toml` order.
    pub field_words: Matcher,
    /// Which roles a cell's text fits, as a column read by its contents judges it
    /// ([`crate::map`]): a run judges each text once, whichever file or column met it.
    pub fits: crate::memo::SharedMemo<Fits>,
}

/// The roles of a column one text fits: a KPI name (perhaps with its unit), a registry cluster,
/// a country, a unit.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Fits {
    pub kpi: bool,
    pub cluster: bool,
    pub country: bool,
    pub unit: bool,
}

/// How a name was read: exactly, by its words, or not at all.
#[derive(Clone, Debug, PartialEq)]
pub enum NameMatch<T> {
    /// An exact alias (ignoring case, accents and punctuation).
    Exact(T),
    /// Read by its content words through `alias` (language `lang`).
    ByWords { entry: T, alias: String, lang: String },
    /// Not read: `near` are the candidates to suggest; `ambiguous` when several explained it.
    Refused { near: Vec<T>, ambiguous: bool },
}

impl<T> NameMatch<T> {
    pub fn entry(self) -> Option<T> {
        match self {
            NameMatch::Exact(e) | NameMatch::ByWords { entry: e, .. } => Some(e),
            NameMatch::Refused { .. } => None,
        }
    }
}

/// One schema file: the name it is reported under, and its text.
pub type Source<'a> = (&'a str, &'a str);

/// The text of each schema file.
pub struct Sources<'a> {
    pub clusters: Source<'a>,
    pub countries: Source<'a>,
    pub kpis: Source<'a>,
    pub fields: Source<'a>,
    pub layout: Source<'a>,
    pub units: Source<'a>,
    pub gwp: Source<'a>,
    pub fx: Source<'a>,
    pub currencies: Source<'a>,
    pub language: Source<'a>,
}

macro_rules! bundled {
    ($path:literal) => {
        ($path, include_str!(concat!("../../", $path)))
    };
}

impl Sources<'static> {
    /// The files under `schemas/`, as compiled into the binary.
    pub fn bundled() -> Self {
        Sources {
            clusters: bundled!("schemas/reference/clusters.csv"),
            countries: bundled!("schemas/reference/countries.csv"),
            kpis: bundled!("schemas/kpis.toml"),
            fields: bundled!("schemas/fields.toml"),
            layout: bundled!("schemas/layout.toml"),
            units: bundled!("schemas/units.toml"),
            gwp: bundled!("schemas/reference/gwp.csv"),
            fx: bundled!("schemas/reference/fx_rates.csv"),
            currencies: bundled!("schemas/reference/currencies.csv"),
            language: bundled!("schemas/language.toml"),
        }
    }
}

impl Schema {
    /// The bundled schema and reference data.
    pub fn bundled() -> Result<Schema, SchemaError> {
        Schema::load(&Sources::bundled())
    }

    pub fn load(src: &Sources<'_>) -> Result<Schema, SchemaError> {
        let countries = Countries::from_csv(src.countries.0, src.countries.1)?;
        let gwp = Gwp::from_csv(src.gwp.0, src.gwp.1)?;
        let kpis = Catalog::from_toml(src.kpis.0, src.kpis.1)?;
        let fields = Fields::from_toml(src.fields.0, src.fields.1)?;
        let vocabulary = Vocabulary::from_toml(src.language.0, src.language.1)?;
        let kpi_names: Vec<_> = kpis.iter().map(KpiDef::names_by_language).collect();
        let kpi_context: Vec<_> = kpis.iter().map(|k| k.context.clone()).collect();
        // The two matchers take most of the loading: made side by side.
        let field_names = fields.names_by_language();
        let (kpi_words, field_words) = rayon::join(
            || {
                vocabulary.matcher(Kind::Kpi, &kpi_names, &kpi_context, |i| {
                    kpis.get(i).map_or_else(String::new, |k| k.id.clone())
                })
            },
            || vocabulary.matcher(Kind::Header, &field_names, &[], |i| fields.field_at(i).as_str().to_owned()),
        );
        let (kpi_words, field_words) = (kpi_words?, field_words?);
        Ok(Schema {
            clusters: Registry::from_csv(src.clusters.0, src.clusters.1, &countries)?,
            countries,
            kpis,
            fields,
            kpi_words,
            field_words,
            layout: Layout::from_toml(src.layout.0, src.layout.1)?,
            units: UnitTables::from_toml(src.units.0, src.units.1, gwp.gases().map(str::to_owned))?,
            gwp,
            gwp_set: GwpSet::default(),
            limits: crate::limits::Limits::default(),
            fx: FxRates::from_csv(src.fx.0, src.fx.1)?,
            currencies: Currencies::from_csv(src.currencies.0, src.currencies.1)?,
            fits: Default::default(),
        })
    }
}

/// Longer texts are sentences, not names: they are not read by their words.
const MAX_NAME: usize = 200;

impl Schema {
    /// The KPI a name designates, when nothing else matters: [`Schema::read_kpi`] without the
    /// suggestions it works out for a name it refuses, which cost more than the reading (a
    /// column is probed cell by cell).
    pub fn find_kpi(&self, name: &str) -> Option<&KpiDef> {
        if let Some(k) = self.kpis.find(name) {
            return Some(k);
        }
        if name.chars().count() > MAX_NAME {
            return None;
        }
        match self.kpi_words.read(name) {
            Reading::Read { entry, .. } => self.kpis.get(entry),
            _ => None,
        }
    }

    /// The KPI a name designates: an exact alias, or else by its content words.
    pub fn read_kpi(&self, name: &str) -> NameMatch<&KpiDef> {
        if let Some(k) = self.kpis.find(name) {
            return NameMatch::Exact(k);
        }
        if name.chars().count() > MAX_NAME {
            return NameMatch::Refused { near: Vec::new(), ambiguous: false };
        }
        let entry = |i: usize| self.kpis.get(i).expect("matcher entries are catalog entries");
        match self.kpi_words.read(name) {
            Reading::Read { entry: i, alias, lang, .. } => NameMatch::ByWords { entry: entry(i), alias, lang },
            Reading::Ambiguous { entries, .. } => {
                NameMatch::Refused { near: entries.into_iter().map(entry).collect(), ambiguous: true }
            }
            Reading::Refused { near, .. } => {
                let mut near: Vec<&KpiDef> = near.into_iter().map(entry).collect();
                if near.is_empty() {
                    near.extend(self.kpis.closest(name));
                }
                NameMatch::Refused { near, ambiguous: false }
            }
        }
    }

    /// The canonical column a header names: an exact spelling, or else by its content words.
    pub fn read_field(&self, header: &str) -> NameMatch<Field> {
        if let Some(f) = self.fields.find(header) {
            return NameMatch::Exact(f);
        }
        // `Amount (local currency)`: what the brackets say does not change the column.
        let (bare, _) = text::split_header_unit(header);
        if bare != header.trim()
            && let Some(f) = self.fields.find(bare)
        {
            return NameMatch::Exact(f);
        }
        if bare.chars().count() > MAX_NAME {
            return NameMatch::Refused { near: Vec::new(), ambiguous: false };
        }
        match self.field_words.read(bare) {
            Reading::Read { entry, alias, lang, .. } => {
                NameMatch::ByWords { entry: self.fields.field_at(entry), alias, lang }
            }
            Reading::Ambiguous { entries, .. } => NameMatch::Refused {
                near: entries.into_iter().map(|i| self.fields.field_at(i)).collect(),
                ambiguous: true,
            },
            Reading::Refused { near, .. } => NameMatch::Refused {
                near: near.into_iter().map(|i| self.fields.field_at(i)).collect(),
                ambiguous: false,
            },
        }
    }
}

/// Parse every row of a CSV table into `T`.
fn csv_rows<T: serde::de::DeserializeOwned>(file: &str, text: &str) -> Result<Vec<T>, SchemaError> {
    csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes())
        .deserialize()
        .collect::<Result<_, _>>()
        .map_err(|source| SchemaError::Csv { file: file.to_owned(), source })
}

/// Parse a TOML file into `T`.
fn toml_file<T: serde::de::DeserializeOwned>(file: &str, text: &str) -> Result<T, SchemaError> {
    toml::from_str(text).map_err(|source| SchemaError::Toml { file: file.to_owned(), source })
}

/// Check one entry with its `validator` rules, naming the entry on failure.
fn check<T: validator::Validate>(file: &str, entry: &str, value: &T) -> Result<(), SchemaError> {
    value.validate().map_err(|e| SchemaError::Invalid {
        file: file.to_owned(),
        entry: entry.to_owned(),
        problem: e.to_string().replace('\n', "; "),
    })
}

/// A lookup from comparison keys (see [`text::key`]) to entries, refusing a key that would name
/// two different entries.
#[derive(Debug, Default)]
struct KeyIndex {
    map: rustc_hash::FxHashMap<String, usize>,
    /// Every key with its shape, in insertion order, for [`KeyIndex::closest`].
    shapes: Vec<Shape>,
}

/// A key's length in characters and its characters' histogram (in 32 buckets): together a
/// lower bound on its edit distance to another key, computed without comparing them.
#[derive(Debug)]
struct Shape {
    key: String,
    entry: usize,
    chars: usize,
    hist: [u16; 32],
}

impl Shape {
    fn new(key: String, entry: usize) -> Shape {
        let mut hist = [0u16; 32];
        let mut chars = 0;
        for c in key.chars() {
            hist[(c as usize) % 32] = hist[(c as usize) % 32].saturating_add(1);
            chars += 1;
        }
        Shape { key, entry, chars, hist }
    }

    /// A lower bound on the edit distance between the two keys: an edit adds or removes at most
    /// one character of each bucket.
    fn distance_at_least(&self, other: &Shape) -> usize {
        let (mut more, mut fewer) = (0usize, 0usize);
        for (a, b) in self.hist.iter().zip(&other.hist) {
            more += usize::from(a.saturating_sub(*b));
            fewer += usize::from(b.saturating_sub(*a));
        }
        more.max(fewer).max(self.chars.abs_diff(other.chars))
    }
}

impl KeyIndex {
    fn insert(
        &mut self,
        file: &str,
        spelling: &str,
        entry: usize,
        names: impl Fn(usize) -> String,
    ) -> Result<(), SchemaError> {
        let k = text::key(spelling);
        if k.is_empty() {
            return Ok(());
        }
        match self.map.get(&k) {
            Some(&other) if other != entry => Err(SchemaError::Ambiguous {
                file: file.to_owned(),
                spelling: spelling.to_owned(),
                first: names(other),
                second: names(entry),
            }),
            Some(_) => Ok(()),
            None => {
                self.map.insert(k.clone(), entry);
                self.shapes.push(Shape::new(k, entry));
                Ok(())
            }
        }
    }

    fn get(&self, spelling: &str) -> Option<usize> {
        self.map.get(&text::key(spelling)).copied()
    }

    /// The entry whose spelling is closest to `spelling`, if any is reasonably close (at least
    /// 0.6 similar: at most 0.4 edits per character of the longer). Keys whose shape alone
    /// rules that out are never compared, so an unknown name costs a few comparisons, not one
    /// per spelling of the catalog.
    fn closest(&self, spelling: &str) -> Option<usize> {
        let probe = Shape::new(text::key(spelling), usize::MAX);
        self.shapes
            .iter()
            .filter(|s| s.distance_at_least(&probe) as f64 <= 0.4 * s.chars.max(probe.chars) as f64)
            .map(|s| (strsim::normalized_levenshtein(&probe.key, &s.key), s.entry))
            .filter(|(score, _)| *score >= 0.6)
            .max_by(|a, b| a.0.total_cmp(&b.0).then(b.1.cmp(&a.1)))
            .map(|(_, i)| i)
    }
}

/// Split a `|`-separated alias list.
fn aliases(list: &str) -> Vec<String> {
    list.split('|').map(str::trim).filter(|a| !a.is_empty()).map(str::to_owned).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_schema_loads() {
        let schema = Schema::bundled().unwrap();
        assert_eq!(schema.clusters.len(), 31);
        assert!(schema.kpis.find("ghg_emissions").is_some());
    }
}
