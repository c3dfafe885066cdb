//! ISO 3166-1 countries: alpha-3, alpha-2, English name and other common names.

use serde::Deserialize;
use validator::Validate;

use super::{Lookup, SchemaError, aliases, check, csv_rows};

#[derive(Debug, Deserialize, Validate)]
struct Row {
    #[validate(length(equal = 3))]
    alpha3: String,
    #[validate(length(equal = 2))]
    alpha2: String,
    #[validate(length(min = 1))]
    name: String,
    /// ISO 4217 code of the currency in use, when there is one.
    #[serde(default)]
    currency: String,
    #[serde(default)]
    aliases: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Country {
    /// ISO 3166-1 alpha-3, the canonical form.
    pub alpha3: String,
    pub alpha2: String,
    pub name: String,
    /// ISO 4217 code of the country's currency, when known.
    pub currency: Option<String>,
    pub aliases: Vec<String>,
}

/// Countries, found by alpha-3, alpha-2, English name or a common name.
pub type Countries = Lookup<Country>;

impl Countries {
    pub fn from_csv(file: &str, text: &str) -> Result<Self, SchemaError> {
        let rows: Vec<Row> = csv_rows(file, text)?;
        let mut all = Vec::with_capacity(rows.len());
        for row in rows {
            check(file, &row.alpha3, &row)?;
            all.push(Country {
                alpha3: row.alpha3.to_ascii_uppercase(),
                alpha2: row.alpha2.to_ascii_uppercase(),
                name: row.name,
                currency: Some(row.currency.to_ascii_uppercase()).filter(|c| !c.is_empty()),
                aliases: aliases(&row.aliases),
            });
        }
        Lookup::build(
            file,
            all,
            |c| c.alpha3.clone(),
            |c| [&c.alpha3, &c.alpha2, &c.name].into_iter().chain(&c.aliases).cloned().collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use crate::schema::Schema;

    #[test]
    fn codes_and_names_find_the_country() {
        let schema = Schema::bundled().unwrap();
        let c = &schema.countries;
        for spelling in ["BRA", "br", "Brazil", "brasil", " BRAZIL "] {
            assert_eq!(c.find(spelling).map(|c| c.alpha3.as_str()), Some("BRA"), "{spelling}");
        }
        assert_eq!(c.find("United Kingdom").unwrap().alpha3, "GBR");
        assert_eq!(c.find("UK").unwrap().alpha3, "GBR");
        assert_eq!(c.find("Netherlands").unwrap().alpha3, "NLD");
        assert_eq!(c.find("Côte d'Ivoire").unwrap().alpha3, "CIV");
        assert!(c.find("Atlantis").is_none());
    }
}
