//! Normalize: turn a reported value and unit into the KPI's canonical unit, recording the
//! conversion so an auditor can redo the arithmetic from the output alone:
//!
//! `value = reported_value × factor × gwp ÷ fx_rate` (each of `gwp`, `fx_rate` only where it
//! applies).
//!
//! A unit of the wrong dimension, an unknown or missing unit, an unknown currency or gas, a
//! missing FX rate and an ambiguous spelling are all refused with a hint; nothing is guessed.
//! The one exception is an ambiguous currency symbol that the cluster's own currency settles
//! (`$` from a Colombian cluster): it is accepted with a warning that says what was assumed.

mod unit;

pub use unit::{Currency, ParseError, Unit, UnitMemo, parse};

use serde::Serialize;

use crate::diag::Code;
use crate::memo::SharedStr;
use crate::read::format_grouped;
use crate::schema::{Country, Dimension, GwpSet, KpiDef, MoneyMagnitude, Schema, substance_key};

/// How a reported value became its canonical value.
#[derive(Clone, Debug, Default, PartialEq, Serialize, serde::Deserialize)]
pub struct Conversion {
    /// Magnitude × unit factor, to the canonical unit (before GWP and FX).
    pub factor: f64,
    /// The gas the figure is about, by its GWP-table name: the gas whose mass was reported
    /// (then `gwp` is set), or the gas a CO2e figure is broken down by.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gas: Option<SharedStr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gwp_set: Option<GwpSet>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gwp: Option<f64>,
    /// The currency reported in, for money.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub currency: Option<SharedStr>,
    /// Local currency units per US dollar, annual average of `fx_year`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fx_rate: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fx_year: Option<i32>,
}

impl Conversion {
    /// The canonical value of a reported one: `reported × factor × gwp ÷ fx_rate`, each of `gwp`
    /// and `fx_rate` only where it applies, in that order. The one place a value is computed:
    /// every canonical value in every output is this function's result, bit for bit.
    pub fn apply(&self, reported: f64) -> f64 {
        let mut value = reported * self.factor;
        if let Some(gwp) = self.gwp {
            value *= gwp;
        }
        if let Some(rate) = self.fx_rate {
            value /= rate;
        }
        value
    }

    /// The arithmetic for people: `× 1,000,000 × GWP 27.9 (AR6) ÷ 0.924471 EUR/USD (2023)`.
    pub fn describe(&self) -> String {
        let mut s = String::new();
        if self.factor != 1.0 {
            s.push_str(&format!(" × {}", format_grouped(self.factor)));
        }
        if let (Some(gwp), Some(set)) = (self.gwp, self.gwp_set) {
            s.push_str(&format!(" × GWP {gwp} ({set})"));
        }
        if let (Some(rate), Some(cur), Some(year)) = (self.fx_rate, &self.currency, self.fx_year)
            && rate != 1.0
        {
            s.push_str(&format!(" ÷ {rate} {cur}/USD ({year})"));
        }
        s.trim_start().to_owned()
    }
}

/// A canonical value, and what was assumed on the way (a warning, when anything was).
#[derive(Clone, Debug, PartialEq)]
pub struct Normalized<'k> {
    pub value: f64,
    /// The canonical unit: the KPI's, or [`FTE`].
    pub unit: &'k str,
    pub conversion: Conversion,
    pub assumed: Option<Issue>,
}

/// Why a unit was refused (or, for [`Normalized::assumed`], what was assumed).
#[derive(Clone, Debug, PartialEq)]
pub struct Issue {
    pub code: Code,
    pub message: String,
    pub hint: String,
}

impl Issue {
    fn new(code: Code, message: String, hint: String) -> Self {
        Issue { code, message, hint }
    }
}

/// What a conversion needs to know about the observation.
pub struct Context<'k, 'a> {
    /// The KPI, whose canonical unit the result names ([`Normalized::unit`] lives as long).
    pub kpi: &'k KpiDef,
    pub year: i32,
    /// The reporting cluster's country, which settles an ambiguous currency symbol.
    pub country: Option<&'a Country>,
    /// The observation's `gas` field, if any.
    pub gas: Option<&'a str>,
    /// A currency stated for the whole submission, for units that give only a magnitude.
    pub currency: Option<&'a str>,
}

/// Canonical unit of full-time equivalents, kept apart from headcount.
pub const FTE: &str = "FTE";

/// Convert `value` reported in `unit` to the KPI's canonical unit.
pub fn convert<'k>(
    schema: &Schema,
    ctx: &Context<'k, '_>,
    value: f64,
    unit: Option<&str>,
) -> Result<Normalized<'k>, Issue> {
    convert_with(schema, &mut UnitMemo::default(), ctx, value, unit)
}

/// [`convert`], parsing each spelling of a unit once in `memo`.
pub fn convert_with<'k>(
    schema: &Schema,
    memo: &mut UnitMemo,
    ctx: &Context<'k, '_>,
    value: f64,
    unit: Option<&str>,
) -> Result<Normalized<'k>, Issue> {
    let kpi = ctx.kpi;
    let Some(raw) = unit.map(crate::trim::trim).filter(|u| !u.is_empty()) else {
        return if kpi.dimension == Dimension::Count {
            Ok(plain(value, &kpi.canonical_unit, 1.0))
        } else {
            Err(Issue::new(
                Code::UnitMissing,
                format!("the unit is empty, but `{}` needs one", kpi.id),
                format!("write the unit, e.g. {}", examples(schema, kpi.dimension)),
            ))
        };
    };
    let parsed = memo.parse(schema, raw).map_err(|e| match e {
        ParseError::Unknown => Issue::new(
            Code::UnitUnknown,
            format!("unit `{raw}` is not a unit clusterkpi knows"),
            format!("`{}` is measured in {}, e.g. {}", kpi.id, measure(kpi.dimension), examples(schema, kpi.dimension)),
        ),
        ParseError::Ambiguous(why) => Issue::new(Code::UnitAmbiguous, format!("unit `{raw}` is ambiguous"), why),
    })?;
    let wrong = |what: &str| {
        Issue::new(
            Code::UnitDimension,
            format!("unit `{raw}` measures {what}, but `{}` needs {}", kpi.id, measure(kpi.dimension)),
            format!("write the unit as {}", examples(schema, kpi.dimension)),
        )
    };
    match (kpi.dimension, parsed) {
        (Dimension::Co2eMass, Unit::Mass { factor, substance }) => co2e(schema, ctx, value, raw, factor, substance),
        (Dimension::Co2Mass | Dimension::H2Mass, Unit::Mass { factor, substance }) => {
            let roles = &schema.units.roles;
            let own = roles.of.get(&kpi.dimension);
            match substance {
                None => Ok(plain(value, &kpi.canonical_unit, factor)),
                Some(s) if Some(&s) == own => Ok(plain(value, &kpi.canonical_unit, factor)),
                Some(s) => match (roles.carriers.get(&kpi.dimension).and_then(|c| c.get(&s)), own) {
                    (Some(carrier), Some(own)) => Err(Issue::new(
                        Code::UnitDimension,
                        format!(
                            "unit `{raw}` is a mass of {}, but `{}` is {}",
                            carrier.name,
                            kpi.id,
                            measure(kpi.dimension)
                        ),
                        format!(
                            "{} is not {own}: report the {own} it holds (1 t {s} holds {} t {own}) in `{}`",
                            carrier.name,
                            crate::read::format_number(carrier.holds),
                            kpi.canonical_unit
                        ),
                    )),
                    _ => Err(wrong(&format!("a mass of {s}"))),
                },
            }
        }
        (Dimension::Energy, Unit::Energy { factor }) => Ok(plain(value, &kpi.canonical_unit, factor)),
        (Dimension::Count, Unit::Count { factor } | Unit::Magnitude { factor }) => {
            Ok(plain(value, &kpi.canonical_unit, factor))
        }
        (Dimension::Count, Unit::Fte { factor }) => Ok(plain(value, FTE, factor)),
        (Dimension::Money, Unit::Money { currency, magnitude }) => money(schema, ctx, value, raw, currency, magnitude),
        (Dimension::Money, Unit::Magnitude { factor }) => {
            money(schema, ctx, value, raw, Currency::None, MoneyMagnitude::Factor(factor))
        }
        (_, Unit::Money { currency: Currency::Unknown(_), .. }) => Err(Issue::new(
            Code::UnitUnknown,
            format!("unit `{raw}` is not a unit clusterkpi knows"),
            format!("`{}` is measured in {}, e.g. {}", kpi.id, measure(kpi.dimension), examples(schema, kpi.dimension)),
        )),
        (_, unit) => Err(wrong(&describe(&unit))),
    }
}

fn plain(value: f64, unit: &str, factor: f64) -> Normalized<'_> {
    let conversion = Conversion { factor, ..Conversion::default() };
    Normalized { value: conversion.apply(value), unit, conversion, assumed: None }
}

fn co2e<'k>(
    schema: &Schema,
    ctx: &Context<'k, '_>,
    value: f64,
    raw: &str,
    factor: f64,
    substance: Option<String>,
) -> Result<Normalized<'k>, Issue> {
    let kpi = ctx.kpi;
    let equivalent = schema.units.roles.equivalent.as_str();
    // The `gas` field names a gas; check it is one we know.
    let gas_field = match ctx.gas.map(crate::trim::trim).filter(|g| !g.is_empty()) {
        None => None,
        Some(g) => match schema.units.substances.get(&substance_key(g)) {
            Some(name) if *name == equivalent || schema.gwp.get(name, schema.gwp_set).is_some() => Some(name.clone()),
            _ => {
                return Err(Issue::new(
                    Code::GasUnknown,
                    format!("gas `{g}` is not in the GWP table"),
                    format!("name the gas as in the GWP table, e.g. {}", gas_examples(schema)),
                ));
            }
        },
    };
    let gas = match (substance, gas_field.clone()) {
        (Some(s), _) if s == equivalent => {
            // Already CO2e: a named gas is the breakdown this figure belongs to.
            let mut n = plain(value, &kpi.canonical_unit, factor);
            n.conversion.gas = gas_field.filter(|g| *g != equivalent).map(SharedStr::from);
            return Ok(n);
        }
        (Some(s), Some(g)) if g != equivalent && g != s => {
            return Err(Issue::new(
                Code::GasMismatch,
                format!("unit `{raw}` is a mass of {s}, but the `gas` field says {g}"),
                "make the unit and the `gas` field name the same gas".to_owned(),
            ));
        }
        (Some(s), _) => s,
        (None, Some(g)) if g != equivalent => g,
        (None, _) => {
            return Err(Issue::new(
                Code::UnitAmbiguous,
                format!("unit `{raw}` is a mass, but not of CO2-equivalent, and no gas is named"),
                format!(
                    "write the unit with `CO2e` (e.g. {}), or name the gas in the `gas` column",
                    examples(schema, Dimension::Co2eMass)
                ),
            ));
        }
    };
    let Some(gwp) = schema.gwp.get(&gas, schema.gwp_set) else {
        return Err(Issue::new(
            Code::UnitDimension,
            format!("unit `{raw}` is a mass of {gas}, which is not a greenhouse gas in the GWP table"),
            format!(
                "`{}` needs a mass of CO2e or of a greenhouse gas, e.g. {}",
                kpi.id,
                examples(schema, kpi.dimension)
            ),
        ));
    };
    let conversion = Conversion {
        factor,
        gas: Some(gas.into()),
        gwp_set: Some(schema.gwp_set),
        gwp: Some(gwp),
        ..Conversion::default()
    };
    Ok(Normalized { value: conversion.apply(value), unit: &kpi.canonical_unit, conversion, assumed: None })
}

fn money<'k>(
    schema: &Schema,
    ctx: &Context<'k, '_>,
    value: f64,
    raw: &str,
    currency: Currency,
    magnitude: MoneyMagnitude,
) -> Result<Normalized<'k>, Issue> {
    let country = ctx.country.map(|c| c.alpha3.as_str());
    let factor = match magnitude {
        MoneyMagnitude::Factor(f) => f,
        MoneyMagnitude::Ambiguous(why) => {
            return Err(Issue::new(Code::UnitAmbiguous, format!("unit `{raw}` is ambiguous"), why));
        }
        MoneyMagnitude::Local { factor, countries, elsewhere } => {
            if country.is_some_and(|c| countries.iter().any(|x| x == c)) {
                factor
            } else {
                return Err(Issue::new(Code::UnitAmbiguous, format!("unit `{raw}` is ambiguous"), elsewhere));
            }
        }
    };
    let mut assumed = None;
    let code = match currency {
        Currency::Code(code) => code,
        Currency::Unknown(code) => {
            return Err(Issue::new(
                Code::CurrencyUnknown,
                format!("`{code}` in unit `{raw}` is not an ISO 4217 currency code"),
                "write the currency as its ISO 4217 code, e.g. `EUR`, `INR`, `BRL`".to_owned(),
            ));
        }
        Currency::None => match ctx.currency {
            Some(c) => c.to_ascii_uppercase(),
            None => {
                return Err(Issue::new(
                    Code::CurrencyUnknown,
                    format!("unit `{raw}` names no currency"),
                    format!("write the currency with the magnitude, e.g. {}", examples(schema, Dimension::Money)),
                ));
            }
        },
        Currency::Shared { symbol, candidates } => {
            let own = ctx.country.and_then(|c| c.currency.as_deref());
            match own.filter(|own| candidates.iter().any(|c| c == own)) {
                Some(own) => {
                    let name = ctx.country.map_or("", |c| c.name.as_str());
                    assumed = Some(Issue::new(
                        Code::UnitAssumed,
                        format!("`{symbol}` in unit `{raw}` was read as `{own}`, the currency of {name}"),
                        format!("write `{own}` to say so; `{symbol}` can mean {}", candidates.join(", ")),
                    ));
                    own.to_owned()
                }
                None => {
                    return Err(Issue::new(
                        Code::UnitAmbiguous,
                        format!("`{symbol}` in unit `{raw}` may be any of {}", candidates.join(", ")),
                        format!("write the ISO code instead, e.g. `{}`", candidates[0]),
                    ));
                }
            }
        }
    };
    let Some(rate) = schema.fx.units_per_usd(&code, ctx.year) else {
        let known = schema.fx.years(&code);
        let hint = if known.is_empty() {
            format!("the FX table has no rates for `{code}`: add its annual average rates, or report in USD")
        } else {
            format!(
                "the FX table has `{code}` for {}: add {} or check the year",
                known.iter().map(i32::to_string).collect::<Vec<_>>().join(", "),
                ctx.year
            )
        };
        return Err(Issue::new(Code::FxMissing, format!("no FX rate for `{code}` in {}", ctx.year), hint));
    };
    let conversion = Conversion {
        factor,
        currency: Some(code.into()),
        fx_rate: Some(rate),
        fx_year: Some(ctx.year),
        ..Conversion::default()
    };
    Ok(Normalized { value: conversion.apply(value), unit: &ctx.kpi.canonical_unit, conversion, assumed })
}

fn describe(unit: &Unit) -> String {
    match unit {
        Unit::Mass { substance: Some(s), .. } => format!("a mass of {s}"),
        Unit::Mass { substance: None, .. } => "a mass".to_owned(),
        Unit::Energy { .. } => "energy".to_owned(),
        Unit::Count { .. } => "a count".to_owned(),
        Unit::Fte { .. } => "full-time equivalents".to_owned(),
        Unit::Magnitude { .. } => "a bare magnitude".to_owned(),
        Unit::Money { .. } => "money".to_owned(),
    }
}

fn measure(d: Dimension) -> &'static str {
    match d {
        Dimension::Co2eMass => "a mass of CO2e",
        Dimension::Co2Mass => "a mass of CO2",
        Dimension::Money => "money",
        Dimension::Energy => "energy",
        Dimension::H2Mass => "a mass of hydrogen",
        Dimension::Count => "a count",
    }
}

fn examples(schema: &Schema, d: Dimension) -> String {
    schema
        .units
        .examples
        .get(&d)
        .map_or_else(String::new, |list| list.iter().map(|e| format!("`{e}`")).collect::<Vec<_>>().join(", "))
}

fn gas_examples(schema: &Schema) -> String {
    schema.gwp.gases().take(5).map(|g| format!("`{g}`")).collect::<Vec<_>>().join(", ")
}
