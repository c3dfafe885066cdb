//! Unit normalization against hand-computed expectations: every spelling in the data files,
//! every ambiguous case and every error, and property tests across magnitudes.

use clusterkpi::diag::Code;
use clusterkpi::normalize::{Context, Currency, FTE, Normalized, ParseError, Unit, convert, parse};
use clusterkpi::schema::{GwpSet, Meaning, MoneyMagnitude, Schema, Symbol};
use proptest::prelude::*;

use crate::util::schema;

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(f64::MIN_POSITIVE)
}

/// Convert `value unit` for `kpi` of cluster `cluster` (registry id) in `year`.
fn conv<'s>(
    s: &'s Schema,
    cluster: &str,
    kpi: &str,
    year: i32,
    value: f64,
    unit: &str,
    gas: Option<&str>,
) -> Result<Normalized<'s>, Code> {
    let cluster = s.clusters.find(cluster).expect("cluster in registry");
    let ctx = Context {
        kpi: s.kpis.find(kpi).expect("kpi in catalog"),
        year,
        country: s.countries.find(&cluster.country),
        gas,
        currency: None,
    };
    let unit = Some(unit).filter(|u| !u.is_empty());
    convert(s, &ctx, value, unit).map_err(|issue| issue.code)
}

fn value_of(s: &Schema, cluster: &str, kpi: &str, year: i32, value: f64, unit: &str) -> f64 {
    match conv(s, cluster, kpi, year, value, unit, None) {
        Ok(n) => n.value,
        Err(code) => panic!("`{value} {unit}` for {kpi}: {code}"),
    }
}

#[test]
fn every_quantity_spelling_in_the_data_parses_to_its_factor() {
    let s = schema();
    let t = &s.units;
    type Table<'a> = (&'a str, &'a clusterkpi::schema::Spellings, fn(f64) -> Unit);
    let tables: [Table<'_>; 5] = [
        ("mass", &t.mass, |factor| Unit::Mass { factor, substance: None }),
        ("energy", &t.energy, |factor| Unit::Energy { factor }),
        ("count", &t.count, |factor| Unit::Count { factor }),
        ("fte", &t.fte, |factor| Unit::Fte { factor }),
        ("magnitudes", &t.magnitudes, |factor| Unit::Magnitude { factor }),
    ];
    let mut n = 0;
    for (name, table, unit) in tables {
        for (spelling, meaning) in table.iter() {
            n += 1;
            match meaning {
                Meaning::Factor(f) => assert_eq!(parse(&s, spelling), Ok(unit(*f)), "[{name}] `{spelling}`"),
                Meaning::Ambiguous(_) => {
                    assert!(matches!(parse(&s, spelling), Err(ParseError::Ambiguous(_))), "[{name}] `{spelling}`")
                }
            }
        }
    }
    assert!(n > 70, "only {n} spellings seen");
}

#[test]
fn every_mass_with_every_substance_spelling() {
    let s = schema();
    let substances: Vec<(String, String)> = s.units.substances.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    for (mass, meaning) in s.units.mass.iter() {
        for (key, substance) in &substances {
            for (text, apart) in [(format!("{mass}{key}"), false), (format!("{mass} {}", key.to_uppercase()), true)] {
                let got = parse(&s, &text);
                // `ton koldioxid`: a word of a language in which a ton is a metric tonne settles it.
                let settled = apart
                    && s.units.words.metric_in_context.contains(&mass.to_lowercase())
                    && s.units.words.metric_ton_words.contains(key.as_str());
                match meaning {
                    Meaning::Factor(f) => {
                        assert_eq!(got, Ok(Unit::Mass { factor: *f, substance: Some(substance.clone()) }), "`{text}`")
                    }
                    Meaning::Ambiguous(_) if settled => {
                        assert_eq!(got, Ok(Unit::Mass { factor: 1.0, substance: Some(substance.clone()) }), "`{text}`")
                    }
                    Meaning::Ambiguous(_) => assert!(matches!(got, Err(ParseError::Ambiguous(_))), "`{text}`"),
                }
            }
        }
    }
}

#[test]
fn every_currency_symbol_with_every_money_magnitude() {
    let s = schema();
    for (symbol, meaning) in &s.units.symbols {
        let currency = match meaning {
            Symbol::Currency(code) => Currency::Code(code.clone()),
            Symbol::Shared(c) => Currency::Shared { symbol: symbol.clone(), candidates: c.clone() },
        };
        for (magnitude, m) in &s.units.money_magnitudes {
            for text in [format!("{symbol} {magnitude}"), format!("{magnitude} {symbol}")] {
                let text = text.trim().to_owned();
                assert_eq!(
                    parse(&s, &text),
                    Ok(Unit::Money { currency: currency.clone(), magnitude: m.clone() }),
                    "`{text}`"
                );
            }
        }
    }
}

#[test]
fn spellings_seen_in_submissions() {
    let s = schema();
    let mass = |text: &str, factor: f64, substance: &str| {
        assert_eq!(parse(&s, text), Ok(Unit::Mass { factor, substance: Some(substance.to_owned()) }), "`{text}`")
    };
    mass("tCO2e", 1.0, "CO2e");
    mass("t CO2e", 1.0, "CO2e");
    mass("tCO2-e", 1.0, "CO2e");
    mass("tCO2eq", 1.0, "CO2e");
    mass("t CO2-eq", 1.0, "CO2e");
    mass("tCO₂e", 1.0, "CO2e");
    mass("tonnes CO2e", 1.0, "CO2e");
    mass("metric tons CO2e", 1.0, "CO2e");
    mass("kgCO2e", 1e-3, "CO2e");
    mass("kt CO2e", 1e3, "CO2e");
    mass("Gg CO2 eq", 1e3, "CO2e");
    mass("thousand tonnes CO2e", 1e3, "CO2e");
    mass("'000 tCO2e", 1e3, "CO2e");
    mass("000 tCO2e", 1e3, "CO2e");
    mass("MtCO2e", 1e6, "CO2e");
    mass("Tg CO2e", 1e6, "CO2e");
    mass("million tonnes CO2e", 1e6, "CO2e");
    mass("MMTCO2e", 1e6, "CO2e");
    mass("MMT CO2 Eq.", 1e6, "CO2e");
    mass("GtCO2e", 1e9, "CO2e");
    mass("Pg CO2e", 1e9, "CO2e");
    mass("short tons CO2e", 0.907_184_74, "CO2e");
    mass("long ton CO2e", 1.016_046_9, "CO2e");
    mass("lbs CO2e", 0.000_453_592_37, "CO2e");
    mass("t CH4", 1.0, "CH4");
    mass("kt N2O", 1e3, "N2O");
    mass("t H2", 1.0, "H2");
    mass("kg H2", 1e-3, "H2");
    mass("KT CO2E", 1e3, "CO2e");
    mass("tCO2", 1.0, "CO2");
    mass("t HFC-134a", 1.0, "HFC-134a");
    assert_eq!(parse(&s, "MWh/yr"), Ok(Unit::Energy { factor: 1.0 }));
    assert_eq!(parse(&s, "GJ"), Ok(Unit::Energy { factor: 1.0 / 3.6 }));
    assert_eq!(parse(&s, "PJ"), Ok(Unit::Energy { factor: 1e6 / 3.6 }));
    assert_eq!(parse(&s, "'000 jobs"), Ok(Unit::Count { factor: 1e3 }));
    assert_eq!(parse(&s, "thousand jobs"), Ok(Unit::Count { factor: 1e3 }));
    assert_eq!(parse(&s, "('000)"), Ok(Unit::Magnitude { factor: 1e3 }));
    let money = |text: &str, code: &str, magnitude: f64| {
        assert_eq!(
            parse(&s, text),
            Ok(Unit::Money { currency: Currency::Code(code.to_owned()), magnitude: MoneyMagnitude::Factor(magnitude) }),
            "`{text}`"
        )
    };
    money("EUR m", "EUR", 1e6);
    money("million EUR", "EUR", 1e6);
    money("M€", "EUR", 1e6);
    money("€m", "EUR", 1e6);
    money("EURm", "EUR", 1e6);
    money("MSEK", "SEK", 1e6);
    money("INR crore", "INR", 1e7);
    money("₹ crore", "INR", 1e7);
    money("₹ lakh crore", "INR", 1e12);
    money("USD billion", "USD", 1e9);
    money("US$ bn", "USD", 1e9);
    money("usd", "USD", 1.0);
    money("GBP Mio.", "GBP", 1e6);
    money("R$", "BRL", 1.0);
    money("IDR mil millones", "IDR", 1e9);
    money("THB", "THB", 1.0);
}

#[test]
fn ambiguous_spellings_are_refused_with_the_unambiguous_ones() {
    let s = schema();
    for text in ["MTCO2e", "mtCO2e", "MT", "MT CO2e", "mT CO2e", "tons CO2e", "ton"] {
        match parse(&s, text) {
            Err(ParseError::Ambiguous(why)) => assert!(why.contains("`t`") && why.contains('`'), "{text}: {why}"),
            other => panic!("`{text}` should be ambiguous, got {other:?}"),
        }
    }
    // A bare `$` or `¥` outside a cluster whose own currency settles it.
    assert_eq!(
        conv(&s, "zero-carbon-humber", "gdp_contribution", 2023, 1.0, "$ m", None).unwrap_err(),
        Code::UnitAmbiguous
    );
    assert_eq!(conv(&s, "jubail", "gdp_contribution", 2023, 1.0, "¥", None).unwrap_err(), Code::UnitAmbiguous);
    // Spanish billón, and `mil` outside a Portuguese- or Spanish-speaking country.
    assert_eq!(
        conv(&s, "cartagena", "gdp_contribution", 2023, 1.0, "COP billón", None).unwrap_err(),
        Code::UnitAmbiguous
    );
    assert_eq!(
        conv(&s, "h2houston-hub", "gdp_contribution", 2023, 1.0, "USD mil", None).unwrap_err(),
        Code::UnitAmbiguous
    );
    // A plain mass for a CO2e KPI names no gas.
    assert_eq!(conv(&s, "solent", "ghg_emissions", 2023, 1.0, "kt", None).unwrap_err(), Code::UnitAmbiguous);
}

#[test]
fn the_registry_settles_an_ambiguous_symbol_with_a_warning() {
    let s = schema();
    let n = conv(&s, "cartagena", "gdp_contribution", 2023, 5.0, "$ bn", None).unwrap();
    assert!(close(n.value, 5e9 / 4325.0), "{}", n.value);
    assert_eq!(n.conversion.currency.as_deref(), Some("COP"));
    let warning = n.assumed.expect("a warning says what was assumed");
    assert_eq!(warning.code, Code::UnitAssumed);
    assert!(warning.message.contains("`COP`") && warning.message.contains("Colombia"), "{}", warning.message);

    let n = conv(&s, "kawasaki-carbon-neutral", "gdp_contribution", 2022, 2.0, "¥ bn", None).unwrap();
    assert!(close(n.value, 2e9 / 131.4589));
    let n = conv(&s, "gothenburg", "gdp_contribution", 2024, 7.0, "kr", None).unwrap();
    assert!(close(n.value, 7.0 / 10.57));
    let n = conv(&s, "h2houston-hub", "gdp_contribution", 2023, 7.0, "$ m", None).unwrap();
    assert!(close(n.value, 7e6), "{}", n.value);
    assert!(n.assumed.is_some());
    let n = conv(&s, "port-of-acu", "gdp_contribution", 2023, 285_879_047.4, "R$ mil", None).unwrap();
    assert!(close(n.value, 285_879_047.4 * 1e3 / 4.9946));
    assert!(n.assumed.is_none(), "`mil` in Brazil is not an assumption");
}

#[test]
fn money_converts_at_the_annual_average_rate_of_the_year() {
    let s = schema();
    // Hand computations: value × magnitude ÷ local units per USD of that year.
    assert!(close(
        value_of(&s, "andalusian-green-hydrogen-valley", "gdp_contribution", 2023, 1883.0, "M€"),
        1883e6 / 0.924471
    ));
    assert!(close(
        value_of(&s, "andalusian-green-hydrogen-valley", "gdp_contribution", 2024, 1822.0, "M€"),
        1822e6 / 0.924214
    ));
    assert!(close(
        value_of(&s, "kerala-green-hydrogen-valley", "gdp_contribution", 2023, 119_211.72, "INR crore"),
        119_211.72e7 / 82.5708
    ));
    assert!(close(value_of(&s, "gothenburg", "gdp_contribution", 2023, 388_804.0, "MSEK"), 388_804e6 / 10.6089));
    assert!(close(
        value_of(&s, "dunkerque-dkarbonation", "gdp_contribution", 2023, 36_712.0, "EUR m"),
        36_712e6 / 0.924471
    ));
    assert!(close(value_of(&s, "jubail", "gdp_contribution", 2022, 3.0, "SAR bn"), 3e9 / 3.75));
    assert!(close(value_of(&s, "h2houston-hub", "gdp_contribution", 2021, 12.5, "USD billion"), 12.5e9));
    let n = conv(&s, "zero-carbon-humber", "gdp_contribution", 2020, 2.0, "£bn", None).unwrap();
    assert_eq!((n.conversion.fx_rate, n.conversion.fx_year, n.conversion.factor), (Some(0.779484), Some(2020), 1e9));
    assert_eq!(n.unit, "USD");
}

#[test]
fn gases_convert_with_the_configured_gwp_set() {
    let mut s = schema();
    assert!(close(conv(&s, "solent", "ghg_emissions", 2023, 2.0, "kt CH4", None).unwrap().value, 2e3 * 27.9));
    assert!(close(conv(&s, "solent", "ghg_emissions", 2023, 2.0, "t", Some("N2O")).unwrap().value, 2.0 * 273.0));
    assert!(close(conv(&s, "solent", "ghg_emissions", 2023, 2.0, "t", Some("methane")).unwrap().value, 2.0 * 27.9));
    assert!(close(conv(&s, "solent", "ghg_emissions", 2023, 1.0, "t", Some("CH4 fossil")).unwrap().value, 29.8));
    s.gwp_set = GwpSet::Ar5;
    let n = conv(&s, "solent", "ghg_emissions", 2023, 2.0, "t CH4", None).unwrap();
    assert!(close(n.value, 56.0));
    assert_eq!(
        (n.conversion.gwp_set, n.conversion.gwp, n.conversion.gas.as_deref()),
        (Some(GwpSet::Ar5), Some(28.0), Some("CH4"))
    );
    s.gwp_set = GwpSet::Ar4;
    assert!(close(conv(&s, "solent", "ghg_emissions", 2023, 1.0, "t SF6", None).unwrap().value, 22_800.0));
    // CO2e with a gas named is a breakdown: no GWP applied.
    let n = conv(&s, "solent", "ghg_emissions", 2023, 5.0, "ktCO2e", Some("CH4")).unwrap();
    assert!(close(n.value, 5e3));
    assert_eq!(n.conversion.gwp, None);
}

#[test]
fn other_dimensions_go_to_their_canonical_unit() {
    let s = schema();
    assert!(close(value_of(&s, "solent", "energy_consumption", 2023, 36.0, "TJ"), 36.0 * 1e3 / 3.6));
    assert!(close(value_of(&s, "solent", "energy_consumption", 2023, 2.0, "ktoe"), 23_260.0));
    assert!(close(value_of(&s, "solent", "renewable_electricity", 2023, 3.0, "GWh"), 3000.0));
    assert!(close(value_of(&s, "solent", "hydrogen_production", 2023, 1500.0, "kg H2"), 1.5));
    assert!(close(value_of(&s, "solent", "hydrogen_production", 2023, 2.0, "kt"), 2000.0));
    assert!(close(value_of(&s, "solent", "co2_captured", 2023, 1.2, "MtCO2"), 1.2e6));
    assert!(close(value_of(&s, "solent", "jobs", 2023, 4.3, "'000 jobs"), 4300.0));
    assert!(close(value_of(&s, "solent", "jobs", 2023, 12.0, ""), 12.0));
    let fte = conv(&s, "solent", "jobs", 2023, 10.5, "FTE", None).unwrap();
    assert_eq!((fte.value, fte.unit), (10.5, FTE), "FTE is never added to headcount");
}

#[test]
fn every_unit_error_has_its_code() {
    let s = schema();
    let err = |kpi: &str, unit: &str, gas: Option<&str>, year: i32| {
        conv(&s, "solent", kpi, year, 1.0, unit, gas).unwrap_err()
    };
    assert_eq!(err("ghg_reduction_potential", "MWh", None, 2023), Code::UnitDimension);
    assert_eq!(err("gdp_contribution", "tCO2e", None, 2023), Code::UnitDimension);
    assert_eq!(err("energy_consumption", "EUR", None, 2023), Code::UnitDimension);
    assert_eq!(err("jobs", "MWh", None, 2023), Code::UnitDimension);
    assert_eq!(err("co2_captured", "tCO2e", None, 2023), Code::UnitDimension);
    assert_eq!(err("hydrogen_production", "t NH3", None, 2023), Code::UnitDimension);
    assert_eq!(err("hydrogen_production", "tCO2e", None, 2023), Code::UnitDimension);
    assert_eq!(err("ghg_emissions", "furlongs", None, 2023), Code::UnitUnknown);
    assert_eq!(err("ghg_emissions", "GHG", None, 2023), Code::UnitUnknown);
    assert_eq!(err("ghg_emissions", "", None, 2023), Code::UnitMissing);
    assert_eq!(err("gdp_contribution", "XYZ m", None, 2023), Code::CurrencyUnknown);
    assert_eq!(err("gdp_contribution", "million", None, 2023), Code::CurrencyUnknown);
    assert_eq!(err("gdp_contribution", "CAD", None, 2023), Code::FxMissing);
    assert_eq!(err("gdp_contribution", "EUR", None, 2019), Code::FxMissing);
    assert_eq!(err("ghg_emissions", "t", Some("unobtainium"), 2023), Code::GasUnknown);
    assert_eq!(err("ghg_emissions", "t CH4", Some("N2O"), 2023), Code::GasMismatch);
}

proptest! {
    #[test]
    fn magnitudes_round_trip(v in 1e-3f64..1e9) {
        let s = schema();
        let pairs = [
            ("ktCO2e", 1e3, "tCO2e"), ("MtCO2e", 1e6, "tCO2e"), ("GtCO2e", 1e6, "ktCO2e"),
            ("thousand tonnes CO2e", 1.0, "ktCO2e"), ("Mt CO2e", 1.0, "Tg CO2e"),
        ];
        for (big, factor, small) in pairs {
            let a = conv(&s, "solent", "ghg_emissions", 2023, v, big, None).unwrap().value;
            let b = conv(&s, "solent", "ghg_emissions", 2023, v * factor, small, None).unwrap().value;
            prop_assert!(close(a, b), "{v} {big} = {a}, {} {small} = {b}", v * factor);
        }
        let money = [("EUR bn", 1e3, "EUR m"), ("INR crore", 100.0, "INR lakh"), ("INR lakh crore", 1e5, "INR crore"),
                     ("M€", 1e3, "EUR k"), ("GBP tn", 1e3, "GBP bn")];
        for (big, factor, small) in money {
            let a = conv(&s, "solent", "gdp_contribution", 2022, v, big, None).unwrap().value;
            let b = conv(&s, "solent", "gdp_contribution", 2022, v * factor, small, None).unwrap().value;
            prop_assert!(close(a, b), "{v} {big} = {a}, {} {small} = {b}", v * factor);
        }
    }

    #[test]
    fn factors_multiply(v in 1e-3f64..1e6, gas in prop::sample::select(vec!["CH4", "N2O", "SF6", "HFC-134a"])) {
        let s = schema();
        let gwp = s.gwp.get(gas, s.gwp_set).unwrap();
        let n = conv(&s, "solent", "ghg_emissions", 2023, v, &format!("kt {gas}"), None).unwrap();
        prop_assert!(close(n.value, v * 1e3 * gwp));
        prop_assert!(close(n.value, n.conversion.factor * n.conversion.gwp.unwrap() * v), "the recorded conversion redoes the arithmetic");
        let m = conv(&s, "solent", "gdp_contribution", 2023, v, "GBP m", None).unwrap();
        prop_assert!(close(m.value, v * m.conversion.factor / m.conversion.fx_rate.unwrap()));
    }
}

/// Evaluate a hand-written product/quotient such as `1883 * 1e6 / 0.924471`.
fn eval(expr: &str) -> f64 {
    let mut tokens = expr.split_whitespace();
    let mut acc: f64 = tokens.next().expect("a number").parse().expect("a number");
    while let (Some(op), Some(n)) = (tokens.next(), tokens.next()) {
        let n: f64 = n.parse().unwrap_or_else(|_| panic!("`{n}` in `{expr}`"));
        match op {
            "*" => acc *= n,
            "/" => acc /= n,
            _ => panic!("operator `{op}` in `{expr}`"),
        }
    }
    acc
}

#[test]
fn every_canonical_value_matches_its_hand_computation() {
    for file in ["mixed.csv", "mixed.xlsx", "mixed.ods", "mixed.json"] {
        let report = crate::util::check_fixture(&format!("tests/fixtures/units/{file}"));
        crate::util::assert_accounted(&report);
        assert_eq!(report.rows_rejected, 0, "{file}: {:#?}", report.findings);
        for f in &report.findings {
            assert_eq!(f.code, Code::UnitAssumed, "{file}: only assumptions are reported: {f:#?}");
        }
        assert!(report.rows_accepted >= 9, "{file}");
        for o in &report.observations {
            let expr =
                o.notes.as_deref().and_then(|n| n.strip_prefix("expect ")).expect("every row says what it expects");
            let want = eval(expr);
            assert!(close(o.value, want), "{file} {}: {} ≠ {expr} = {want}", o.value_place(), o.value);
            // The recorded conversion redoes the arithmetic from the reported value alone.
            let c = &o.conversion;
            let redone = o.reported_value * c.factor * c.gwp.unwrap_or(1.0) / c.fx_rate.unwrap_or(1.0);
            assert!(close(redone, o.value), "{file} {}: conversion does not redo {}", o.value_place(), o.value);
        }
    }
}

#[test]
fn every_bad_unit_is_rejected_at_its_unit_cell() {
    let report = crate::util::check_fixture("tests/fixtures/units/bad.csv");
    crate::util::assert_accounted(&report);
    assert_eq!(report.rows_accepted, 0);
    assert_eq!(report.rows_rejected, 26);
    for reject in &report.rejects {
        let notes = reject.raw.iter().find(|(f, _)| f.as_str() == "notes").map(|(_, t)| t.as_str()).unwrap();
        let want = notes.strip_prefix("expect ").unwrap();
        assert_eq!(reject.codes.iter().map(|c| c.as_str()).collect::<Vec<_>>(), vec![want], "{}", reject.loc);
        let finding =
            report.findings.iter().find(|f| f.location.place == reject.loc.place).expect("a finding for the row");
        assert_eq!((finding.code.as_str(), finding.location.column), (want, Some("unit")), "{}", reject.loc);
        assert!(!finding.hint.is_empty());
    }
}
