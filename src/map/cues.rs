//! What a cell says about the layout: a column name, a KPI name (perhaps with its unit in
//! brackets), a year, or a metadata label. Every recognition comes from the schema's data.

use crate::normalize::{self, ParseError};
use crate::read::Cell;
use crate::schema::text::split_header_unit;
use crate::schema::{Field, MetaKey, Schema};

/// A cell's role, as far as its content tells.
#[derive(Clone, Debug, PartialEq)]
pub enum Cue {
    /// Names a canonical column (`Año`, `Valor`, `Unit`).
    Field(Field),
    /// Names a KPI; `unit` when the header carries one (`Emissions (MtCO2e)`).
    Kpi {
        name: String,
        unit: Option<String>,
    },
    /// A year between 1990 and 2100.
    Year(i32),
    /// A metadata label (`Currency:`), with the value written in the same cell, if any.
    Meta {
        key: MetaKey,
        value: Option<String>,
    },
    /// A text that names nothing the layout knows (a title, an unknown KPI).
    Text(String),
    Other,
}

pub fn classify(cell: &Cell, schema: &Schema) -> Cue {
    match cell {
        Cell::Number(n) => year_of(*n).map_or(Cue::Other, Cue::Year),
        Cell::Text(t) => classify_text(t.trim(), schema),
        _ => Cue::Other,
    }
}

fn year_of(n: f64) -> Option<i32> {
    (n.fract() == 0.0 && (1990.0..=2100.0).contains(&n)).then_some(n as i32)
}

fn classify_text(t: &str, schema: &Schema) -> Cue {
    if t.is_empty() {
        return Cue::Other;
    }
    if let Some((label, value)) = t.split_once(':')
        && let Some(key) = schema.layout.meta_key(label)
    {
        let value = value.trim();
        return Cue::Meta { key, value: (!value.is_empty()).then(|| value.to_owned()) };
    }
    if t.len() == 4
        && let Ok(y) = t.parse::<f64>()
        && let Some(y) = year_of(y)
    {
        return Cue::Year(y);
    }
    // Exact spellings first, then by words: a column before a KPI each time.
    if let Some(field) = schema.fields.find(t) {
        return Cue::Field(field);
    }
    let (name, unit) = split_unit(t, schema);
    if schema.kpis.find(name).is_some() {
        return Cue::Kpi { name: name.to_owned(), unit };
    }
    if !wordy(t) {
        return Cue::Text(t.to_owned());
    }
    if let Some(field) = schema.read_field(t).entry() {
        return Cue::Field(field);
    }
    if schema.find_kpi(name).is_some() {
        return Cue::Kpi { name: name.to_owned(), unit };
    }
    Cue::Text(t.to_owned())
}

/// A name and the unit in brackets at its end (`Emissions (MtCO2e)`, `Jobs ('000)`,
/// `GDP [EUR m]`), only when what the brackets hold is a unit, or a unit that is refused as
/// ambiguous. Anything else in brackets is part of the name (`Emissions (net)`, `Jobs
/// (planned)`), so its words are read, and a qualifier refuses the name.
pub fn split_unit<'a>(t: &'a str, schema: &Schema) -> (&'a str, Option<String>) {
    let known = |unit: &str| match normalize::parse(schema, unit) {
        // Three capital letters that are no currency (`(NET)`, `(CCS)`) are no unit either.
        Ok(normalize::Unit::Money { currency: normalize::Currency::Unknown(_), .. }) => false,
        Ok(_) | Err(ParseError::Ambiguous(_)) => true,
        Err(ParseError::Unknown) => false,
    };
    match split_header_unit(t) {
        (name, Some(unit)) if known(&unit) => (name, Some(unit)),
        _ => (t.trim(), None),
    }
}

/// Whether a text could be a name worth reading by its words: it has letters, and is not a
/// sentence (a note or an instruction).
pub fn wordy(t: &str) -> bool {
    t.chars().any(char::is_alphabetic) && t.chars().count() <= 80 && t.split_whitespace().count() <= 10
}

/// The text of a cell, for messages about what was found.
pub fn show(cell: &Cell) -> String {
    let s = cell.to_string();
    let s = s.trim();
    if s.chars().count() > 40 { format!("{}…", s.chars().take(39).collect::<String>()) } else { s.to_owned() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_in_six_languages() {
        let s = Schema::bundled().unwrap();
        let c = |t: &str| classify(&Cell::Text(t.into()), &s);
        for (t, f) in [
            ("Año", Field::Year),
            ("Ano", Field::Year),
            ("Jaar", Field::Year),
            ("År", Field::Year),
            ("Année", Field::Year),
        ] {
            assert_eq!(c(t), Cue::Field(f), "{t}");
        }
        for t in ["Indicador", "Indikator", "Indicateur"] {
            assert_eq!(c(t), Cue::Field(Field::Kpi), "{t}");
        }
        for t in ["Valor", "Waarde", "Värde", "Valeur"] {
            assert_eq!(c(t), Cue::Field(Field::Value), "{t}");
        }
        for t in ["Unidad", "Unidade", "Eenheid", "Enhet", "Unité"] {
            assert_eq!(c(t), Cue::Field(Field::Unit), "{t}");
        }
        for t in ["País", "Land", "Pays"] {
            assert_eq!(c(t), Cue::Field(Field::Country), "{t}");
        }
        for t in [
            "Emisiones de GEI",
            "Emissões de GEE",
            "Broeikasgasemissies",
            "Växthusgasutsläpp",
            "Émissions de GES",
            "Empleos",
            "Empregos",
            "Banen",
            "Arbetstillfällen",
            "Emplois",
            "Contribución al PIB",
        ] {
            assert!(matches!(c(t), Cue::Kpi { .. }), "{t}");
        }
        assert_eq!(c("2023"), Cue::Year(2023));
        assert_eq!(classify(&Cell::Number(2024.0), &s), Cue::Year(2024));
        assert!(matches!(c("Currency:"), Cue::Meta { key: MetaKey::Currency, value: None }));
        assert!(matches!(c("Cluster: Solent"), Cue::Meta { key: MetaKey::Cluster, value: Some(_) }));
        assert!(matches!(c("Reduction potential [ktCO2e]"), Cue::Kpi { unit: Some(_), .. }));
    }
}
