//! The checks of one row: required fields, year, value, KPI, cluster and country.
//!
//! Every check runs, so a row with three problems gets three findings; the row becomes an
//! [`Observation`] only when none of them is an error.

use std::borrow::Cow;

use super::Observation;
use super::memo::Memo;
use crate::diag::{Code, Finding};
use crate::map::{Located, RawRow, kpi_refused, name_matched};
use crate::normalize::{Context, convert_with};
use crate::number::{self, Decimal, NumberError, whole_number};
use crate::read::{Cell, format_number};
use crate::schema::{Field, KpiDef, Mark, NameMatch, Qualifier, Schema, squeeze};

pub const YEAR_MIN: i64 = 1990;
pub const YEAR_MAX: i64 = 2100;

struct Check<'a> {
    row: &'a RawRow,
    findings: Vec<Finding>,
}

impl<'a> Check<'a> {
    fn error(&mut self, code: Code, at: &Located, message: String, hint: impl Into<String>) {
        self.findings.push(Finding::new(code, self.row.loc_of(at), message, hint));
    }

    fn missing(&mut self, field: Field, why: &str) {
        let loc = self.row.field_loc(field);
        self.findings.push(Finding::new(
            Code::RequiredMissing,
            loc,
            format!("`{}` is empty{why}", field.as_str()),
            format!("fill in `{}`: {}", field.as_str(), field_help(field)),
        ));
    }

    /// The field's cell when it holds something, reporting it when required and missing, or
    /// when it is an error cell.
    fn cell(&mut self, field: Field, required: bool) -> Option<&'a Located> {
        let Some(at) = self.row.get(field) else {
            if required {
                self.missing(field, "");
            }
            return None;
        };
        if let Cell::Error(e) = &at.cell {
            self.error(
                Code::CellError,
                at,
                format!("the `{}` cell holds the spreadsheet error `{e}`", field.as_str()),
                "fix the formula or type the value in; an error is never read as zero",
            );
            return None;
        }
        if at.cell.text_is_empty() {
            if required {
                self.missing(field, "");
            }
            return None;
        }
        Some(at)
    }

    /// The field's text, reported as [`Check::cell`] reports it.
    fn text(&mut self, field: Field, required: bool) -> Option<(&'a Located, Cow<'a, str>)> {
        let at = self.cell(field, required)?;
        Some((at, at.cell.text()?))
    }
}

fn field_help(field: Field) -> &'static str {
    match field {
        Field::Cluster => "the cluster's registry id, name or alias",
        Field::Country => "the ISO 3166 code (e.g. `NLD`) or English name of the cluster's country",
        Field::Year => "the year the figure refers to, e.g. `2023`",
        Field::Kpi => "a KPI id from the catalog, e.g. `ghg_emissions`",
        Field::Value => "the figure, as a number",
        Field::Unit | Field::Scope | Field::Gas | Field::Facility | Field::Notes => "or leave the column out",
    }
}

/// Check one row; its findings go to `findings`, and an observation is returned when it passed,
/// with its KPI's definition.
pub fn check<'s>(
    row: &RawRow,
    schema: &'s Schema,
    memo: &mut Memo<'s>,
    findings: &mut Vec<Finding>,
) -> Option<(Observation, &'s KpiDef)> {
    let mut ck = Check { row, findings: Vec::new() };

    let registered = ck.text(Field::Cluster, true).and_then(|(at, name)| {
        let found = memo.cluster(schema, &name);
        if found.is_none() {
            let hint = match schema.clusters.closest(&name) {
                Some(c) => format!("did you mean `{}` ({})? Use the registry id, the name or an alias", c.id, c.name),
                None => {
                    "use the cluster's registry id, name or alias; a new cluster must be added to the registry first"
                        .to_owned()
                }
            };
            ck.error(Code::ClusterUnknown, at, format!("cluster `{name}` is not in the registry"), hint);
        }
        found
    });

    // Without a `country`, the registry's country of the cluster is taken.
    let (cluster, registry_country) = registered.map_or((None, None), |(c, country)| (Some(c), country));
    let given_country = if row.get(Field::Country).is_some() || cluster.is_none() {
        ck.text(Field::Country, cluster.is_none())
    } else {
        None
    };
    let country = given_country.map_or(registry_country, |(at, text)| {
        let Some(country) = memo.country(schema, &text) else {
            ck.error(
                Code::CountryUnknown,
                at,
                format!("country `{text}` is not an ISO 3166 code or country name"),
                "write the ISO 3166-1 alpha-3 code, e.g. `BRA`, `GBR`, `NLD`",
            );
            return None;
        };
        if let Some(c) = cluster.filter(|c| c.country != country.alpha3) {
            ck.error(
                Code::CountryMismatch,
                at,
                format!("country `{text}` disagrees with the registry, which places `{}` in `{}`", c.id, c.country),
                format!("write `{}`, or check that the cluster is the right one", c.country),
            );
            return None;
        }
        Some(country)
    });

    let year = year(&mut ck);

    let kpi = ck.text(Field::Kpi, true).and_then(|(at, text)| match memo.kpi(schema, &text) {
        NameMatch::Exact(k) => Some(k),
        NameMatch::ByWords { entry, alias, lang } => {
            let (message, hint) = name_matched(&text, &format!("{} ({})", entry.id, entry.label), &alias, &lang);
            ck.findings.push(Finding::new(Code::NameMatched, row.loc_of(at), message, hint));
            Some(entry)
        }
        NameMatch::Refused { near, ambiguous } => {
            let (message, hint) = kpi_refused(schema, &text, &near, ambiguous);
            ck.error(Code::KpiUnknown, at, message, hint);
            None
        }
    });

    let value = value(&mut ck, schema).filter(|(at, v, _, _)| {
        let negative = *v < 0.0 && kpi.is_some_and(|k| k.non_negative);
        if negative {
            let k = kpi.map_or("", |k| k.id.as_str());
            ck.error(
                Code::ValueNegative,
                at,
                match &at.cell {
                    Cell::Text(t) if t.trim() != format_number(*v) => {
                        format!("value `{}` reads as {}: negative, but `{k}` cannot be", t.trim(), format_number(*v))
                    }
                    _ => format!("value `{}` is negative, but `{k}` cannot be", format_number(*v)),
                },
                "report the magnitude as a positive number; a reduction is reported under its own KPI",
            );
        }
        !negative
    });

    let unit_field = ck.text(Field::Unit, false);
    // A unit written in the value cell stands for itself; beside a different unit column it is
    // a contradiction, not a choice to make.
    let unit = match (value.as_ref().and_then(|(at, _, u, _)| Some((*at, u.clone()?))), unit_field) {
        (Some((at, inline)), Some((_, column))) if squeeze(&inline) != squeeze(&column) => {
            ck.error(
                Code::UnitConflict,
                at,
                format!("value `{}` carries the unit `{inline}`, but its unit column says `{column}`", at.cell),
                "give the unit once: in the unit column, or after the number",
            );
            None
        }
        (Some((at, inline)), _) => Some((at, Cow::Owned(inline))),
        (None, field) => field,
    };
    let scope = ck.text(Field::Scope, false).map(|(_, t)| memo.shared.get(&t));
    let gas = ck.text(Field::Gas, false).map(|(_, t)| memo.shared.get(&t));
    let facility = ck.text(Field::Facility, false).map(|(_, t)| memo.shared.get(&t));
    let notes = ck.text(Field::Notes, false).map(|(_, t)| Box::new(t.into()));

    // The unit can only be judged once the KPI, the value and the year are known.
    let normalized = match (kpi, &value, year) {
        (Some(kpi), Some((_, reported, _, _)), Some(year)) => {
            let reported = *reported;
            let ctx = Context {
                kpi,
                year,
                country: registry_country,
                gas: gas.as_deref(),
                currency: row.currency.as_deref(),
            };
            // The unit's own cell: the unit column's, or the value's when written in it.
            let unit_loc = match &unit {
                Some((at, _)) => row.loc_of(at),
                None => row.field_loc(Field::Unit),
            };
            match convert_with(schema, &mut memo.units, &ctx, reported, unit.as_ref().map(|(_, u)| u.as_ref())) {
                Ok(n) => {
                    if let Some(a) = &n.assumed {
                        ck.findings.push(Finding::new(a.code, unit_loc, a.message.clone(), a.hint.clone()));
                    }
                    Some(n)
                }
                Err(issue) => {
                    ck.findings.push(Finding::new(issue.code, unit_loc, issue.message, issue.hint));
                    None
                }
            }
        }
        _ => None,
    };

    let failed = ck.findings.iter().any(Finding::is_error);
    findings.append(&mut ck.findings);
    if failed {
        return None;
    }
    let (cluster, country, year, kpi, (value_at, reported, _, qualifier), n) =
        (cluster?, country?, year?, kpi?, value?, normalized?);
    // The gas by its GWP-table name when the unit or the `gas` field named one, so that
    // `kt N2O` and `kt` with gas `nitrous oxide` are the same series.
    let conversion = memo.conversion(n.conversion);
    let gas = conversion.gas.clone().or(gas);
    let observation = Observation {
        cluster_id: memo.schema_text(&cluster.id),
        country: memo.schema_text(&country.alpha3),
        year,
        kpi: memo.schema_text(&kpi.id),
        value: n.value,
        unit: memo.schema_text(n.unit),
        reported_value: reported,
        reported_unit: unit.map(|(_, u)| memo.shared.get(&u)),
        conversion,
        scope,
        gas,
        facility,
        notes,
        qualifier: qualifier.map(|q| memo.schema_text(q.as_str())),
        spot: crate::diag::Spot::of(row.loc.place.clone(), value_at.at().clone()),
    };
    Some((observation, kpi))
}

fn year(ck: &mut Check<'_>) -> Option<i32> {
    let at = ck.cell(Field::Year, true)?;
    // A number is written out only to be shown in a message.
    let text = || at.cell.text().unwrap_or_default();
    let parsed = match &at.cell {
        Cell::Number(n) => whole_number(*n),
        Cell::Text(_) => Some(text()).filter(|t| t.bytes().all(|b| b.is_ascii_digit())).and_then(|t| t.parse().ok()),
        _ => None,
    };
    let Some(year) = parsed else {
        let text = text();
        ck.error(
            Code::YearFormat,
            at,
            format!("year `{text}` is {}, not a whole number", at.cell.kind()),
            "write the year alone as a number, e.g. `2023` (a fiscal year such as `FY2023-24` is written as its first calendar year, with the period in `notes`)",
        );
        return None;
    };
    if !(YEAR_MIN..=YEAR_MAX).contains(&year) {
        ck.error(
            Code::YearRange,
            at,
            format!("year `{year}` is outside {YEAR_MIN}–{YEAR_MAX}"),
            "check the year: it is the calendar year the figure refers to",
        );
        return None;
    }
    i32::try_from(year).ok()
}

/// The value as a number, with the unit written in the value cell itself (`12.5 MtCO2e`) and
/// the qualifier its mark gives (`~1200`: approximate).
fn value<'a>(ck: &mut Check<'a>, schema: &Schema) -> Option<(&'a Located, f64, Option<String>, Option<Qualifier>)> {
    let at = ck.cell(Field::Value, true)?;
    // A number cell is its value: written out only for a message.
    if let Cell::Number(n) = at.cell
        && n.is_finite()
    {
        return Some((at, n, None, None));
    }
    let text = at.cell.text()?;
    let (figure, qualifier) = match (&at.cell, schema.layout.mark(&text)) {
        (Cell::Text(_), Some(Mark::Bound { mark })) => {
            ck.error(
                Code::ValueBound,
                at,
                format!("value `{text}` is a bound (`{mark}`), not a value"),
                "report the figure itself; if only a bound is known, leave the cell empty and say so in `notes`",
            );
            return None;
        }
        (Cell::Text(_), Some(Mark::Qualified { qualifier, mark, rest })) => (rest, Some((qualifier, mark))),
        _ => (text.as_ref(), None),
    };
    let parsed = match &at.cell {
        Cell::Number(n) => Ok((*n, None)),
        Cell::Text(_) => match number::split(figure) {
            Some(split) => {
                number::value(&split, ck.row.decimal).map(|n| (n, Some(split.unit).filter(|u| !u.is_empty())))
            }
            None => Err(NumberError::NotNumber),
        },
        _ => Err(NumberError::NotNumber),
    };
    match parsed {
        Ok((n, unit)) if n.is_finite() => {
            if let Some((q, mark)) = &qualifier {
                ck.findings.push(Finding::new(
                    Code::ValueQualified,
                    ck.row.loc_of(at),
                    format!(
                        "value `{text}` is marked `{mark}` ({}): read as {}, with `{}` in the `qualifier` column",
                        q.as_str(),
                        format_number(n),
                        q.as_str()
                    ),
                    "nothing to fix if the mark is meant; remove it once the figure is final",
                ));
            }
            Some((at, n, unit, qualifier.map(|(q, _)| q)))
        }
        Err(NumberError::OutOfRange(magnitude)) => {
            let (message, hint) = magnitude.explain(&text);
            ck.error(Code::ValueNotNumber, at, message, hint);
            None
        }
        Err(NumberError::Ambiguous) => {
            ck.error(
                Code::NumberAmbiguous,
                at,
                format!("value `{text}` could be read two ways: nothing else in its column says whether `,` or `.` is the decimal point"),
                "write it unambiguously: without grouping (`1234` or `1.234`), or with decimals (`1,234.0` or `1.234,0`)",
            );
            None
        }
        _ => {
            let hint = match &at.cell {
                Cell::Date(_) => "the cell is formatted as a date: format it as a number".to_owned(),
                _ => match ck.row.decimal {
                    Decimal::Point => "write the number as the rest of the column does, with `.` as the decimal point (e.g. `1,234.5`)".to_owned(),
                    Decimal::Comma => "write the number as the rest of the column does, with `,` as the decimal point (e.g. `1.234,5`)".to_owned(),
                    _ => "write a number, e.g. `1234.5` or `1,234.5`, with its unit in the `unit` column or after the number".to_owned(),
                },
            };
            ck.error(Code::ValueNotNumber, at, format!("value `{text}` is {}, not a number", at.cell.kind()), hint);
            None
        }
    }
}
