//! Units written in words (`million euros`, `miljoen euro`, `thousand tonnes of hydrogen`,
//! `gigawatt hours`, `toneladas de CO2 equivalente`, `kton CO2-eq`, `personas`), read by
//! composition: magnitude words × (SI prefix ×) unit word × substance or currency, each part from
//! the tables of `schemas/units.toml`. Only tried once the spelling tables know nothing of the
//! unit; a part that is ambiguous (`ton` with no prefix, `billón`, a bare `mil`) refuses the
//! whole unit.

use super::{Currency, ParseError, Unit};
use crate::schema::{Meaning, MoneyMagnitude, Schema, substance_key, text};

/// The unit `s` spells in words; `None` when it is not made of known words at all.
pub fn parse(schema: &Schema, s: &str) -> Option<Result<Unit, ParseError>> {
    let w = &schema.units.words;
    // A mass spelling of the tables (case matters: `Mt`) before a substance in words
    // (`Mt éq. CO2`, `kt CO2-äquivalent`).
    if let Some((first, rest)) = s.split_once(' ')
        && let Some(Meaning::Factor(factor)) = schema.units.mass.get(first)
        && let Some(substance) = schema.units.substances.get(&text::key(rest).replace(' ', ""))
    {
        return Some(Ok(Unit::Mass { factor, substance: Some(substance.clone()) }));
    }
    let key = text::key(s);
    let tokens: Vec<&str> = key.split(' ').filter(|t| !t.is_empty()).collect();
    // Magnitude words first, skipping the words that join them (`miles de millones`).
    let mut magnitude = 1.0;
    let mut i = 0;
    'magnitudes: while i < tokens.len() {
        if w.filler.contains(tokens[i]) {
            i += 1;
            continue;
        }
        for len in (1..=3.min(tokens.len() - i)).rev() {
            let phrase = tokens[i..i + len].join(" ");
            match schema.units.money_magnitudes.get(&phrase) {
                // Single letters (`k`, `m`) are magnitudes only attached to a symbol (`EUR m`).
                Some(MoneyMagnitude::Factor(f)) if phrase.chars().filter(|c| c.is_alphabetic()).count() >= 2 => {
                    magnitude *= f;
                }
                Some(MoneyMagnitude::Ambiguous(why)) => return Some(Err(ParseError::Ambiguous(why.clone()))),
                Some(MoneyMagnitude::Local { elsewhere, .. }) => {
                    return Some(Err(ParseError::Ambiguous(elsewhere.clone())));
                }
                _ => continue,
            }
            i += len;
            continue 'magnitudes;
        }
        break;
    }
    let rest: Vec<&str> = tokens[i..].iter().copied().filter(|t| !w.filler.contains(*t)).collect();
    if rest.is_empty() {
        // Magnitude words alone (`in millions`): a count, or money in the table's currency.
        return (i > 0 && magnitude != 1.0).then_some(Ok(Unit::Magnitude { factor: magnitude }));
    }
    let metric_ton = tokens.iter().any(|t| w.metric_ton_words.contains(*t));
    // A currency by its ISO code after magnitude words (`miles de millones de COP`).
    if let [code] = rest[..]
        && code.len() == 3
        && schema.currencies.contains(&code.to_ascii_uppercase())
        && i > 0
    {
        let magnitude = MoneyMagnitude::Factor(magnitude);
        return Some(Ok(Unit::Money { currency: Currency::Code(code.to_ascii_uppercase()), magnitude }));
    }
    if let Some(code) = w.currencies.get(&rest.join(" ")) {
        let magnitude = MoneyMagnitude::Factor(magnitude);
        return Some(Ok(Unit::Money { currency: Currency::Code(code.clone()), magnitude }));
    }
    // The unit word (with its prefix) is the first `n` words; the substance the rest.
    for n in (1..=rest.len()).rev() {
        let word = rest[..n].concat();
        let substance = rest[n..].concat();
        let substance = if substance.is_empty() {
            None
        } else {
            match schema.units.substances.get(&substance_key(&substance)) {
                Some(s) => Some(s.clone()),
                None => continue,
            }
        };
        let Some((factor, table)) = unit_word(schema, &word, metric_ton || substance_is_local(&rest[n..], w)) else {
            continue;
        };
        let factor = factor * magnitude;
        return Some(match table {
            Table::Mass => Ok(Unit::Mass { factor, substance }),
            Table::Energy if substance.is_none() => Ok(Unit::Energy { factor }),
            Table::Count if substance.is_none() => Ok(Unit::Count { factor }),
            Table::Ambiguous(why) => Err(ParseError::Ambiguous(why)),
            _ => Err(ParseError::Unknown),
        });
    }
    // A word nothing knows: say nothing, so the caller's error stands.
    None
}

/// Whether the substance is written in a language where a `ton` is metric (`koldioxid`).
fn substance_is_local(words: &[&str], w: &crate::schema::WordTables) -> bool {
    !words.is_empty() && w.metric_ton_words.contains(&words.concat())
}

enum Table {
    Mass,
    Energy,
    Count,
    Ambiguous(String),
}

/// A unit word with its SI prefix, if any: `gigawatthours`, `kiloton`, `toneladas`.
fn unit_word(schema: &Schema, word: &str, metric_ton: bool) -> Option<(f64, Table)> {
    let w = &schema.units.words;
    let lookup = |base: &str| -> Option<(f64, Table)> {
        if let Some(f) = w.mass.get(base) {
            return Some((*f, Table::Mass));
        }
        if let Some(f) = w.energy.get(base) {
            return Some((*f, Table::Energy));
        }
        w.count.get(base).map(|f| (*f, Table::Count))
    };
    if let Some((f, table)) = lookup(word) {
        if w.need_prefix.contains(word) && !(metric_ton && w.metric_in_context.contains(word)) {
            return Some((
                f,
                Table::Ambiguous(format!(
                    "`{word}` may be a metric ton, a US short ton or a long ton: write `tonnes`, `kilotonnes` or `t`"
                )),
            ));
        }
        return Some((f, table));
    }
    for (prefix, p) in &w.prefixes {
        if let Some(base) = word.strip_prefix(prefix.as_str())
            && let Some((f, table @ (Table::Mass | Table::Energy))) = lookup(base)
        {
            return Some((f * p, table));
        }
    }
    None
}
