//! Parse a unit as written into what it measures and its factor, with the tables of
//! `schemas/units.toml`. Nothing here knows the KPI: deciding whether a unit fits is
//! [`super::convert`]'s job.

mod words;

pub use crate::schema::{Currency, ParseError, Unit};
use crate::schema::{Meaning, MoneyMagnitude, Schema, Spellings, Symbol, squeeze, substance_key, text};

/// Units parsed once per spelling ([`crate::memo::Remembered`]), for one worker: looked up
/// without a lock, in front of the run's [`crate::schema::UnitTables::parsed`].
#[derive(Debug, Default)]
pub struct UnitMemo {
    parsed: crate::memo::Remembered<Result<Unit, ParseError>>,
}

impl UnitMemo {
    /// [`parse`], once per spelling.
    pub fn parse(&mut self, schema: &Schema, raw: &str) -> Result<Unit, ParseError> {
        self.parsed.get(raw, |raw| parse(schema, raw))
    }
}

/// Parse a unit. The text is normalized first ([`squeeze`]), and a trailing "per year" is
/// dropped, since every KPI is annual. Each spelling is parsed once in a run, whichever file
/// and thread asks ([`crate::schema::UnitTables::parsed`]).
pub fn parse(schema: &Schema, raw: &str) -> Result<Unit, ParseError> {
    schema.units.parsed.get(raw, |raw| parse_afresh(schema, raw))
}

/// [`parse`]'s work, for a spelling the run has not parsed yet.
fn parse_afresh(schema: &Schema, raw: &str) -> Result<Unit, ParseError> {
    let mut s = squeeze(raw).into_owned();
    for suffix in &schema.units.per_year {
        let lower = s.to_lowercase();
        if lower.len() > suffix.len()
            && lower.ends_with(&suffix.to_lowercase())
            && s.is_char_boundary(s.len() - suffix.len())
        {
            s.truncate(s.len() - suffix.len());
            s = squeeze(&s).into_owned();
            break;
        }
    }
    match quantity(schema, &s) {
        Ok(Some(unit)) => return Ok(unit),
        Ok(None) => {}
        // `ton` is ambiguous alone, but not in words that say which ton (`ton waterstof`).
        Err(ambiguous) => return words::parse(schema, &s).and_then(Result::ok).ok_or(ambiguous),
    }
    match money(schema, &s) {
        Some(Ok(unit)) => Ok(unit),
        Some(Err(ParseError::Ambiguous(why))) => Err(ParseError::Ambiguous(why)),
        // Not a spelling of the tables: perhaps a unit in words.
        Some(Err(ParseError::Unknown)) | None => words::parse(schema, &s).unwrap_or(Err(ParseError::Unknown)),
    }
}

fn lookup(table: &Spellings, s: &str) -> Result<Option<f64>, ParseError> {
    match table.get(s) {
        Some(Meaning::Factor(f)) => Ok(Some(f)),
        Some(Meaning::Ambiguous(why)) => Err(ParseError::Ambiguous(why)),
        None => Ok(None),
    }
}

fn quantity(schema: &Schema, s: &str) -> Result<Option<Unit>, ParseError> {
    let t = &schema.units;
    if let Some(factor) = lookup(&t.energy, s)? {
        return Ok(Some(Unit::Energy { factor }));
    }
    if let Some(factor) = lookup(&t.count, s)? {
        return Ok(Some(Unit::Count { factor }));
    }
    if let Some(factor) = lookup(&t.fte, s)? {
        return Ok(Some(Unit::Fte { factor }));
    }
    if let Some(factor) = lookup(&t.mass, s)? {
        return Ok(Some(Unit::Mass { factor, substance: None }));
    }
    if let Some(factor) = lookup(&t.magnitudes, s)? {
        return Ok(Some(Unit::Magnitude { factor }));
    }
    // A magnitude word before a unit: `thousand tonnes CO2e`, `'000 jobs`.
    if let Some((first, rest)) = s.split_once(' ')
        && let Some(factor) = lookup(&t.magnitudes, first)?
        && let Some(unit) = quantity(schema, rest)?
    {
        return Ok(Some(scale(unit, factor)));
    }
    // A mass followed by a substance: `ktCO2e`, `t CH4`, `MMT CO2 Eq.`. The longest substance
    // suffix whose prefix is a mass wins.
    for (i, _) in s.char_indices().skip(1) {
        let (prefix, suffix) = s.split_at(i);
        let Some(substance) = t.substances.get(&substance_key(suffix)) else { continue };
        if let Some(factor) = lookup(&t.mass, prefix.trim_end())? {
            return Ok(Some(Unit::Mass { factor, substance: Some(substance.clone()) }));
        }
    }
    Ok(None)
}

fn scale(unit: Unit, by: f64) -> Unit {
    match unit {
        Unit::Mass { factor, substance } => Unit::Mass { factor: factor * by, substance },
        Unit::Energy { factor } => Unit::Energy { factor: factor * by },
        Unit::Count { factor } => Unit::Count { factor: factor * by },
        Unit::Fte { factor } => Unit::Fte { factor: factor * by },
        Unit::Magnitude { factor } => Unit::Magnitude { factor: factor * by },
        money @ Unit::Money { .. } => money,
    }
}

/// Money: a currency (symbol or ISO code, before or after, attached or not) and a magnitude.
/// `None` when the text is not money at all.
fn money(schema: &Schema, s: &str) -> Option<Result<Unit, ParseError>> {
    let (currency, rest) = find_currency(schema, s);
    let magnitude = schema.units.money_magnitudes.get(&text::key(&rest)).cloned();
    match (currency, magnitude) {
        (Currency::None, None) => None,
        (Currency::None, Some(MoneyMagnitude::Factor(1.0))) => None,
        (_, None) => Some(Err(ParseError::Unknown)),
        (currency, Some(magnitude)) => Some(Ok(Unit::Money { currency, magnitude })),
    }
}

/// The currency written in `s`, and `s` without it.
fn find_currency(schema: &Schema, s: &str) -> (Currency, String) {
    for (symbol, meaning) in &schema.units.symbols {
        if let Some(at) = find_symbol(s, symbol) {
            let rest = format!("{}{}", &s[..at], &s[at + symbol.len()..]);
            let currency = match meaning {
                Symbol::Currency(code) => Currency::Code(code.clone()),
                Symbol::Shared(candidates) => {
                    Currency::Shared { symbol: symbol.clone(), candidates: candidates.clone() }
                }
            };
            return (currency, rest);
        }
    }
    // ISO codes: a run of ASCII letters that is a code, or a code with a magnitude attached
    // (`MSEK`, `EURm`).
    let mut start = None;
    for (i, c) in s.char_indices().chain(std::iter::once((s.len(), ' '))) {
        match (c.is_ascii_alphabetic(), start) {
            (true, None) => start = Some(i),
            (false, Some(b)) => {
                start = None;
                if let Some((currency, code_at)) = code_in_run(schema, &s[b..i]) {
                    let rest = format!("{}{}{}", &s[..b], &s[b..i][..code_at.0], &s[b + code_at.1..]);
                    return (currency, rest);
                }
            }
            _ => {}
        }
    }
    (Currency::None, s.to_owned())
}

/// A currency in a run of letters, with the byte range of the code inside the run.
fn code_in_run(schema: &Schema, run: &str) -> Option<(Currency, (usize, usize))> {
    let is_magnitude = |m: &str| m.is_empty() || schema.units.money_magnitudes.contains_key(&text::key(m));
    let upper = |c: &str| c.len() == 3 && c.bytes().all(|b| b.is_ascii_uppercase());
    if run.len() == 3 && (upper(run) || !is_magnitude(run)) && schema.currencies.contains(run) {
        return Some((Currency::Code(run.to_ascii_uppercase()), (0, 3)));
    }
    if run.len() > 3 {
        let (head, tail) = run.split_at(3);
        if upper(head) && schema.currencies.contains(head) && is_magnitude(tail) {
            return Some((Currency::Code(head.to_owned()), (0, 3)));
        }
        let (head, tail) = run.split_at(run.len() - 3);
        if upper(tail) && schema.currencies.contains(tail) && is_magnitude(head) {
            return Some((Currency::Code(tail.to_owned()), (run.len() - 3, run.len())));
        }
    }
    if upper(run) {
        return Some((Currency::Unknown(run.to_owned()), (0, 3)));
    }
    None
}

/// Where `symbol` stands in `s`. A symbol of letters (`kr`, `Rp`) must stand apart from other
/// letters, so `Rp` is not found in `Rproject`.
fn find_symbol(s: &str, symbol: &str) -> Option<usize> {
    let letters = symbol.chars().any(char::is_alphabetic);
    s.match_indices(symbol).map(|(i, _)| i).find(|&i| {
        if !letters {
            return true;
        }
        let before = s[..i].chars().next_back();
        let after = s[i + symbol.len()..].chars().next();
        !before.is_some_and(char::is_alphabetic) && !after.is_some_and(char::is_alphabetic)
    })
}
