//! ISO 3166-1 countries: alpha-3, alpha-2, English name and other common names.

use serde::Deserialize;
use validator::Validate;

use super::{KeyIndex, SchemaError, aliases, check, csv_rows};

#[derive(Debug, Deserialize, Validate)]
struct Row {
    #[validate(length(equal = 3))]
    alpha3: String,
    #[validate(length(equal = 2))]
    alpha2: String,
    #[validate(length(min = 1))]
    name: String,
    #[serde(default)]
    aliases: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Country {
    /// ISO 3166-1 alpha-3, the canonical form.
    pub alpha3: String,
    pub alpha2: String,
    pub name: String,
}

#[derive(Debug)]
pub struct Countries {
    all: Vec<Country>,
    index: KeyIndex,
}

impl Countries {
    pub fn from_csv(file: &str, text: &str) -> Result<Self, SchemaError> {
        let rows: Vec<Row> = csv_rows(file, text)?;
        let mut all = Vec::with_capacity(rows.len());
        let mut index = KeyIndex::default();
        for (i, row) in rows.into_iter().enumerate() {
            check(file, &row.alpha3, &row)?;
            all.push(Country {
                alpha3: row.alpha3.to_ascii_uppercase(),
                alpha2: row.alpha2.to_ascii_uppercase(),
                name: row.name,
            });
            let c = &all[i];
            let names = |j: usize| all[j].alpha3.clone();
            for spelling in
                [c.alpha3.clone(), c.alpha2.clone(), c.name.clone()].into_iter().chain(aliases(&row.aliases))
            {
                index.insert(file, &spelling, i, names)?;
            }
        }
        Ok(Countries { all, index })
    }

    /// The country an ISO alpha-3 or alpha-2 code, or an English name, designates.
    pub fn find(&self, text: &str) -> Option<&Country> {
        self.index.get(text).map(|i| &self.all[i])
    }

    pub fn by_alpha3(&self, alpha3: &str) -> Option<&Country> {
        self.all.iter().find(|c| c.alpha3.eq_ignore_ascii_case(alpha3))
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
