//! The cluster registry: id, name, country, region, joining date and aliases.
//!
//! A submission may name its cluster by id, name or any alias, in any case and with or without
//! accents; every spelling is indexed and none may name two clusters.

use serde::Deserialize;
use validator::{Validate, ValidationError};

use super::{Countries, Lookup, SchemaError, aliases, check, csv_rows};

#[derive(Debug, Deserialize, Validate)]
struct Row {
    #[validate(custom(function = "slug"))]
    cluster_id: String,
    #[validate(length(min = 1))]
    name: String,
    #[validate(length(equal = 3))]
    country: String,
    #[validate(length(min = 1))]
    region: String,
    #[serde(default)]
    joined: String,
    #[serde(default)]
    aliases: String,
}

fn slug(id: &str) -> Result<(), ValidationError> {
    let ok = !id.is_empty() && id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if ok {
        Ok(())
    } else {
        Err(ValidationError::new("slug").with_message("ids are lower-case letters, digits and `-`".into()))
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Cluster {
    pub id: String,
    pub name: String,
    /// ISO 3166-1 alpha-3.
    pub country: String,
    pub region: String,
    pub joined: String,
    pub aliases: Vec<String>,
}

/// The registry: clusters found by id, name or alias.
pub type Registry = Lookup<Cluster>;

impl Registry {
    pub fn from_csv(file: &str, text: &str, countries: &Countries) -> Result<Self, SchemaError> {
        let rows: Vec<Row> = csv_rows(file, text)?;
        let mut clusters = Vec::with_capacity(rows.len());
        for row in rows {
            check(file, &row.cluster_id, &row)?;
            let Some(country) = countries.find(&row.country).filter(|c| c.alpha3.eq_ignore_ascii_case(&row.country))
            else {
                return Err(SchemaError::Invalid {
                    file: file.to_owned(),
                    entry: row.cluster_id,
                    problem: format!("country `{}` is not an ISO 3166-1 alpha-3 code", row.country),
                });
            };
            clusters.push(Cluster {
                aliases: aliases(&row.aliases),
                id: row.cluster_id,
                name: row.name,
                country: country.alpha3.clone(),
                region: row.region,
                joined: row.joined,
            });
        }
        Lookup::build(
            file,
            clusters,
            |c| c.id.clone(),
            |c| [&c.id, &c.name].into_iter().chain(&c.aliases).cloned().collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use crate::schema::Schema;

    #[test]
    fn id_name_and_alias_find_the_cluster_ignoring_case_and_accents() {
        let schema = Schema::bundled().unwrap();
        let r = &schema.clusters;
        for spelling in ["port-of-acu", "Port of Açu Low Carbon Hub", "Porto do Acu", "PORTO DO AÇU", "ports of acu"]
        {
            assert_eq!(r.find(spelling).map(|c| c.id.as_str()), Some("port-of-acu"), "{spelling}");
        }
        assert_eq!(r.find("Chemelot").unwrap().id, "brightlands-circular-space");
        assert_eq!(r.find("Greater St. Louis").unwrap().id, "greater-st-louis-illinois");
        assert!(r.find("Port of Nowhere").is_none());
        assert_eq!(r.closest("Port of Rotterdamm").unwrap().id, "port-of-rotterdam");
    }

    #[test]
    fn a_spelling_naming_two_clusters_is_refused() {
        let schema = Schema::bundled().unwrap();
        let csv = "cluster_id,name,country,region,joined,aliases\na,Alpha,GBR,Europe,2021-11,Port\nb,Beta,GBR,Europe,2021-11,PORT\n";
        let err = super::Registry::from_csv("clusters.csv", csv, &schema.countries).unwrap_err();
        assert!(err.to_string().contains("names both `a` and `b`"), "{err}");
    }

    #[test]
    fn a_bad_row_is_named() {
        let schema = Schema::bundled().unwrap();
        let csv = "cluster_id,name,country,region,joined,aliases\nBad Id,Alpha,GBR,Europe,2021-11,\n";
        let err = super::Registry::from_csv("clusters.csv", csv, &schema.countries).unwrap_err();
        assert!(err.to_string().contains("entry `Bad Id` is invalid"), "{err}");
        let csv = "cluster_id,name,country,region,joined,aliases\na,Alpha,XXX,Europe,2021-11,\n";
        let err = super::Registry::from_csv("clusters.csv", csv, &schema.countries).unwrap_err();
        assert!(err.to_string().contains("`XXX` is not an ISO"), "{err}");
    }
}
