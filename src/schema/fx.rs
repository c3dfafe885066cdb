//! Annual average exchange rates (`schemas/reference/fx_rates.csv`), in local currency units per
//! US dollar (the World Bank PA.NUS.FCRF convention), and the ISO 4217 currency list.

use std::collections::{HashMap, HashSet};

use serde::Deserialize;

use super::{SchemaError, csv_rows};

#[derive(Deserialize)]
struct Row {
    currency: String,
    year: i32,
    units_per_usd: f64,
}

#[derive(Debug)]
pub struct FxRates {
    rates: HashMap<(String, i32), f64>,
}

impl FxRates {
    pub fn from_csv(file: &str, text: &str) -> Result<Self, SchemaError> {
        let rows: Vec<Row> = csv_rows(file, text)?;
        let mut rates = HashMap::new();
        for r in rows {
            let entry = format!("{} {}", r.currency, r.year);
            if !r.units_per_usd.is_finite() || r.units_per_usd <= 0.0 {
                return Err(SchemaError::Invalid {
                    file: file.to_owned(),
                    entry,
                    problem: "`units_per_usd` is a positive number".to_owned(),
                });
            }
            if rates.insert((r.currency.to_ascii_uppercase(), r.year), r.units_per_usd).is_some() {
                return Err(SchemaError::Invalid {
                    file: file.to_owned(),
                    entry,
                    problem: "the currency and year appear twice".to_owned(),
                });
            }
        }
        Ok(FxRates { rates })
    }

    /// Local currency units per US dollar, annual average of `year`.
    pub fn units_per_usd(&self, currency: &str, year: i32) -> Option<f64> {
        self.rates.get(&(currency.to_owned(), year)).copied()
    }

    /// The years the table has a rate for `currency`, sorted.
    pub fn years(&self, currency: &str) -> Vec<i32> {
        let mut years: Vec<i32> = self.rates.keys().filter(|(c, _)| c == currency).map(|(_, y)| *y).collect();
        years.sort_unstable();
        years
    }
}

#[derive(Deserialize)]
struct CurrencyRow {
    code: String,
}

/// ISO 4217 currency codes.
#[derive(Debug)]
pub struct Currencies {
    codes: HashSet<String>,
}

impl Currencies {
    pub fn from_csv(file: &str, text: &str) -> Result<Self, SchemaError> {
        let rows: Vec<CurrencyRow> = csv_rows(file, text)?;
        Ok(Currencies { codes: rows.into_iter().map(|r| r.code.to_ascii_uppercase()).collect() })
    }

    pub fn contains(&self, code: &str) -> bool {
        self.codes.contains(&code.to_ascii_uppercase())
    }
}
