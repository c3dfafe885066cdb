//! The unit tables (`schemas/units.toml`): spellings of mass, energy, counts, substances,
//! currencies and magnitudes, with their factors. Parsing a unit with them is the normalize
//! stage's job; this module only loads and checks the data.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};

use serde::Deserialize;
use unicode_normalization::UnicodeNormalization;

use super::{Dimension, SchemaError, text, toml_file};
use crate::memo::SharedMemo;

/// A factor: a number, or a quotient written as text (`"1e3/3.6"`) so the data says how it was
/// derived.
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
enum Factor {
    Number(f64),
    Quotient(String),
}

impl Factor {
    fn value(&self, file: &str, entry: &str) -> Result<f64, SchemaError> {
        let v = match self {
            Factor::Number(n) => Some(*n),
            Factor::Quotient(q) => q.split_once('/').and_then(|(a, b)| {
                let (a, b): (f64, f64) = (a.trim().parse().ok()?, b.trim().parse().ok()?);
                Some(a / b)
            }),
        };
        v.filter(|v| v.is_finite() && *v > 0.0).ok_or_else(|| SchemaError::Invalid {
            file: file.to_owned(),
            entry: entry.to_owned(),
            problem: "a factor is a positive number or a quotient such as \"1e3/3.6\"".to_owned(),
        })
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LocalMagnitude {
    factor: f64,
    countries: Vec<String>,
    elsewhere: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PerYear {
    suffixes: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    mass: BTreeMap<String, Factor>,
    mass_ambiguous: BTreeMap<String, String>,
    substances: BTreeMap<String, String>,
    energy: BTreeMap<String, Factor>,
    count: BTreeMap<String, Factor>,
    fte: BTreeMap<String, Factor>,
    magnitudes: BTreeMap<String, Factor>,
    per_year: PerYear,
    currency_symbols: BTreeMap<String, String>,
    currency_ambiguous: BTreeMap<String, Vec<String>>,
    money_magnitudes: BTreeMap<String, Factor>,
    money_magnitudes_ambiguous: BTreeMap<String, String>,
    money_magnitudes_local: BTreeMap<String, LocalMagnitude>,
    examples: HashMap<Dimension, Vec<String>>,
    words: WordsFile,
    substance_roles: SubstanceRoles,
}

/// The roles substances play (`[substance_roles]`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubstanceRoles {
    /// The substance of CO2-equivalent figures.
    pub equivalent: String,
    /// The substance each mass dimension measures.
    pub of: HashMap<Dimension, String>,
    /// Substances that hold the measured one without being it, by dimension and substance.
    #[serde(default)]
    pub carriers: HashMap<Dimension, BTreeMap<String, Carrier>>,
}

/// A substance that holds the measured one.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Carrier {
    /// Its name in words (`ammonia`).
    pub name: String,
    /// Tonnes of the measured substance in a tonne of it.
    pub holds: f64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WordsFile {
    filler: Vec<String>,
    need_prefix: Vec<String>,
    metric_in_context: Vec<String>,
    metric_ton_words: Vec<String>,
    prefixes: BTreeMap<String, Factor>,
    mass: BTreeMap<String, Factor>,
    energy: BTreeMap<String, Factor>,
    count: BTreeMap<String, Factor>,
    currencies: BTreeMap<String, String>,
}

/// Units in words (`[words]`): every key is a comparison key ([`text::key`]); unit words are
/// stored without spaces, so `watt hours` and `watthours` are one spelling.
#[derive(Debug, Default)]
pub struct WordTables {
    pub filler: std::collections::HashSet<String>,
    pub need_prefix: std::collections::HashSet<String>,
    /// The `need_prefix` words that a word of [`Self::metric_ton_words`] settles.
    pub metric_in_context: std::collections::HashSet<String>,
    /// Words that show a language in which a `ton` is a metric tonne.
    pub metric_ton_words: std::collections::HashSet<String>,
    /// SI prefixes, longest first.
    pub prefixes: Vec<(String, f64)>,
    pub mass: HashMap<String, f64>,
    pub energy: HashMap<String, f64>,
    pub count: HashMap<String, f64>,
    pub currencies: HashMap<String, String>,
}

/// What a spelling in a case-sensitive table means.
#[derive(Clone, Debug, PartialEq)]
pub enum Meaning {
    Factor(f64),
    /// Refused: the text says why and what to write instead.
    Ambiguous(String),
}

/// A table of spellings matched exactly, or ignoring case when that is unambiguous.
#[derive(Debug, Default)]
pub struct Spellings {
    exact: HashMap<String, Meaning>,
    folded: HashMap<String, Vec<Meaning>>,
}

impl Spellings {
    fn insert(&mut self, spelling: &str, meaning: Meaning) {
        let spelling = squeeze(spelling);
        self.folded.entry(spelling.to_lowercase()).or_default().push(meaning.clone());
        self.exact.insert(spelling.into_owned(), meaning);
    }

    /// The meaning of a spelling: exact first, then ignoring case when every spelling that
    /// matches ignoring case means the same.
    pub fn get(&self, spelling: &str) -> Option<Meaning> {
        let spelling = squeeze(spelling);
        if let Some(m) = self.exact.get(&*spelling) {
            return Some(m.clone());
        }
        let candidates = self.folded.get(&spelling.to_lowercase())?;
        let first = candidates.first()?;
        if candidates.iter().all(|m| m == first) {
            Some(first.clone())
        } else {
            let reason = candidates
                .iter()
                .find_map(|m| match m {
                    Meaning::Ambiguous(why) => Some(why.clone()),
                    Meaning::Factor(_) => None,
                })
                .unwrap_or_else(|| format!("`{spelling}` matches several units that differ only in case"));
            Some(Meaning::Ambiguous(reason))
        }
    }

    /// Every spelling with its meaning, for tests and documentation.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Meaning)> {
        self.exact.iter().map(|(k, v)| (k.as_str(), v))
    }
}

/// A currency as written: one ISO code, or a symbol several currencies share.
#[derive(Clone, Debug, PartialEq)]
pub enum Symbol {
    Currency(String),
    Shared(Vec<String>),
}

/// A money magnitude.
#[derive(Clone, Debug, PartialEq)]
pub enum MoneyMagnitude {
    Factor(f64),
    Ambiguous(String),
    /// A factor in the languages of these countries, refused elsewhere with the text.
    Local {
        factor: f64,
        countries: Vec<String>,
        elsewhere: String,
    },
}

/// A unit, parsed.
#[derive(Clone, Debug, PartialEq)]
pub enum Unit {
    /// A mass, in tonnes per unit, of a substance when the unit names one (`CO2e`, `CH4`, `H2`).
    Mass { factor: f64, substance: Option<String> },
    /// Energy, in MWh per unit.
    Energy { factor: f64 },
    /// A headcount, in jobs per unit.
    Count { factor: f64 },
    /// Full-time equivalents.
    Fte { factor: f64 },
    /// A magnitude alone (`'000`, `thousand`): a count, or money in a currency given elsewhere.
    Magnitude { factor: f64 },
    /// Money: a currency (if written) and a magnitude.
    Money { currency: Currency, magnitude: MoneyMagnitude },
}

/// The currency of a money unit.
#[derive(Clone, Debug, PartialEq)]
pub enum Currency {
    /// An ISO 4217 code, from the code itself or an unambiguous symbol.
    Code(String),
    /// A symbol several currencies share (`$`, `¥`, `kr`).
    Shared { symbol: String, candidates: Vec<String> },
    /// Three capital letters that are no ISO 4217 code.
    Unknown(String),
    /// No currency written (`million`).
    None,
}

/// Why a unit could not be parsed.
#[derive(Clone, Debug, PartialEq)]
pub enum ParseError {
    Unknown,
    /// The spelling means different things to different people: the text says what and what to
    /// write instead.
    Ambiguous(String),
}

/// The loaded unit tables.
#[derive(Debug)]
pub struct UnitTables {
    pub mass: Spellings,
    pub energy: Spellings,
    pub count: Spellings,
    pub fte: Spellings,
    pub magnitudes: Spellings,
    /// Substance keys (see [`substance_key`]) to substance names.
    pub substances: HashMap<String, String>,
    pub per_year: Vec<String>,
    /// Symbols, longest first so `R$` is tried before `$`.
    pub symbols: Vec<(String, Symbol)>,
    /// Money magnitudes by [`text::key`].
    pub money_magnitudes: HashMap<String, MoneyMagnitude>,
    /// Example spellings for hints, by KPI dimension.
    pub examples: HashMap<Dimension, Vec<String>>,
    pub words: WordTables,
    pub roles: SubstanceRoles,
    /// What each spelling parsed as ([`crate::normalize::parse`]): a run parses each spelling
    /// once, whichever file, column or thread met it.
    pub parsed: SharedMemo<Result<Unit, ParseError>>,
}

impl UnitTables {
    pub fn from_toml(file: &str, src: &str, gases: impl Iterator<Item = String>) -> Result<Self, SchemaError> {
        let f: File = toml_file(file, src)?;
        let factors = |table: &BTreeMap<String, Factor>| -> Result<Spellings, SchemaError> {
            let mut s = Spellings::default();
            for (k, v) in table {
                s.insert(k, Meaning::Factor(v.value(file, k)?));
            }
            Ok(s)
        };
        let mut mass = factors(&f.mass)?;
        for (k, why) in &f.mass_ambiguous {
            mass.insert(k, Meaning::Ambiguous(why.clone()));
        }
        let mut substances: HashMap<String, String> = gases.map(|g| (substance_key(&g), g)).collect();
        for (k, v) in f.substances {
            substances.insert(substance_key(&k), v);
        }
        let mut symbols: Vec<(String, Symbol)> =
            f.currency_symbols.into_iter().map(|(k, v)| (squeeze(&k).into_owned(), Symbol::Currency(v))).collect();
        symbols.extend(f.currency_ambiguous.into_iter().map(|(k, v)| (squeeze(&k).into_owned(), Symbol::Shared(v))));
        symbols.sort_by(|a, b| b.0.chars().count().cmp(&a.0.chars().count()).then(a.0.cmp(&b.0)));
        let mut money_magnitudes = HashMap::new();
        for (k, v) in &f.money_magnitudes {
            money_magnitudes.insert(text::key(k), MoneyMagnitude::Factor(v.value(file, k)?));
        }
        for (k, why) in f.money_magnitudes_ambiguous {
            money_magnitudes.insert(text::key(&k), MoneyMagnitude::Ambiguous(why));
        }
        for (k, l) in f.money_magnitudes_local {
            money_magnitudes.insert(
                text::key(&k),
                MoneyMagnitude::Local { factor: l.factor, countries: l.countries, elsewhere: l.elsewhere },
            );
        }
        let joined = |t: &BTreeMap<String, Factor>| -> Result<HashMap<String, f64>, SchemaError> {
            t.iter().map(|(k, v)| Ok((text::key(k).replace(' ', ""), v.value(file, k)?))).collect()
        };
        let w = &f.words;
        let mut prefixes: Vec<(String, f64)> = joined(&w.prefixes)?.into_iter().collect();
        prefixes.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then(a.0.cmp(&b.0)));
        let words = WordTables {
            filler: w.filler.iter().map(|x| text::key(x)).collect(),
            need_prefix: w.need_prefix.iter().map(|x| text::key(x)).collect(),
            metric_in_context: w.metric_in_context.iter().map(|x| text::key(x)).collect(),
            metric_ton_words: w.metric_ton_words.iter().map(|x| text::key(x)).collect(),
            prefixes,
            mass: joined(&w.mass)?,
            energy: joined(&w.energy)?,
            count: joined(&w.count)?,
            currencies: w.currencies.iter().map(|(k, v)| (text::key(k), v.clone())).collect(),
        };
        Ok(UnitTables {
            words,
            mass,
            energy: factors(&f.energy)?,
            count: factors(&f.count)?,
            fte: factors(&f.fte)?,
            magnitudes: factors(&f.magnitudes)?,
            substances,
            per_year: f.per_year.suffixes,
            symbols,
            money_magnitudes,
            examples: f.examples,
            roles: f.substance_roles,
            parsed: SharedMemo::default(),
        })
    }
}

/// A unit as compared: Unicode compatibility forms (`CO₂` is `CO2`), runs of whitespace
/// collapsed to one space, trimmed. The tables store their spellings the same way.
///
/// Most units arrive in that form already (ASCII, which is its own compatibility form, with
/// single spaces between words): those are returned as they are, without a copy.
pub fn squeeze(s: &str) -> Cow<'_, str> {
    // ASCII whitespace other than the space itself (tab, line feed, …) is always rewritten.
    let plain = s.bytes().all(|b| b.is_ascii() && !(0x09..=0x0d).contains(&b));
    if plain && !s.contains("  ") && !s.starts_with(' ') && !s.ends_with(' ') {
        return Cow::Borrowed(s);
    }
    Cow::Owned(squeeze_unicode(s))
}

/// [`squeeze`]'s rule, on any text.
fn squeeze_unicode(s: &str) -> String {
    let compatible: String = s.nfkc().collect();
    compatible.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// How substances are compared: without spaces, dots, hyphens and underscores, lower case.
pub fn substance_key(s: &str) -> String {
    s.chars().filter(|c| !matches!(c, ' ' | '.' | '-' | '_')).flat_map(char::to_lowercase).collect()
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::{squeeze, squeeze_unicode};

    proptest! {
        /// Text returned as it is by the shortcut is what the rule gives, whatever the text.
        #[test]
        fn the_squeeze_shortcut_gives_what_the_rule_gives(unit in "[ -~\t\n\r\u{0}\u{b}\u{c}\u{1c}\u{1f}\u{85}\u{a0}\u{2082}\u{3000}]{0,24}") {
            let (fast, rule) = (squeeze(&unit), squeeze_unicode(&unit));
            prop_assert_eq!(fast.as_ref(), rule.as_str());
        }
    }

    #[test]
    fn squeezes_compatibility_forms_and_whitespace() {
        assert_eq!(squeeze("t CO2e"), "t CO2e");
        assert_eq!(squeeze(" t  CO₂e\t"), "t CO2e");
        assert_eq!(squeeze("kt\u{a0}CO2"), "kt CO2");
        assert_eq!(squeeze(""), "");
    }
}
