//! How names are compared: ignoring case, accents, punctuation and spacing.
//!
//! "Porto do Açu", "PORTO DO ACU" and "porto-do-acu" all compare equal, so a coordinator's
//! spelling finds the registry entry; the comparison key is what every lookup table stores.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// The comparison key of a name: accents stripped, lower case, every run of characters other
/// than letters and digits folded to one space, trimmed.
pub fn key(name: &str) -> String {
    if name.is_ascii() { ascii_key(name) } else { unicode_key(name) }
}

/// [`key`] of an ASCII name, which NFKD leaves as it is: the same result, at a byte a step
/// (names, units and facility ids are ASCII in most files, and keyed once per cell).
fn ascii_key(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut pending_space = false;
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() {
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            out.push(char::from(b.to_ascii_lowercase()));
        } else {
            pending_space = true;
        }
    }
    out
}

fn unicode_key(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut pending_space = false;
    for c in name.nfkd().filter(|c| !is_combining_mark(*c)) {
        if c.is_alphanumeric() {
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            out.extend(c.to_lowercase());
        } else {
            pending_space = true;
        }
    }
    out
}

/// `Emissions (MtCO2e)` → (`Emissions`, `MtCO2e`); `GDP [EUR m]` → (`GDP`, `EUR m`);
/// `Jobs ('000)` → (`Jobs`, `'000`). A header without a bracketed tail is all name.
pub fn split_header_unit(t: &str) -> (&str, Option<String>) {
    let t = crate::trim::trim(t);
    for (open, close) in [('(', ')'), ('[', ']')] {
        if let Some(inner) = t.strip_suffix(close)
            && let Some(at) = inner.rfind(open)
        {
            let unit = inner[at + open.len_utf8()..].trim();
            let name = inner[..at].trim();
            if !name.is_empty() && !unit.is_empty() {
                return (name, Some(unit.to_owned()));
            }
        }
    }
    (t, None)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::{ascii_key, key, split_header_unit, unicode_key};

    proptest! {
        /// The ASCII shortcut is the general rule on ASCII text, whatever the text.
        #[test]
        fn the_ascii_shortcut_keys_as_the_general_rule_does(name in "[ -~\t\n]{0,40}") {
            prop_assert_eq!(ascii_key(&name), unicode_key(&name));
        }
    }

    #[test]
    fn header_units() {
        assert_eq!(split_header_unit("GHG emissions (MtCO2e)"), ("GHG emissions", Some("MtCO2e".into())));
        assert_eq!(split_header_unit("GDP [EUR m]"), ("GDP", Some("EUR m".into())));
        assert_eq!(split_header_unit("Jobs ('000)"), ("Jobs", Some("'000".into())));
        assert_eq!(split_header_unit("Jobs"), ("Jobs", None));
    }

    #[test]
    fn folds_case_accents_and_punctuation() {
        assert_eq!(key("Porto do Açu"), "porto do acu");
        assert_eq!(key("  PORTO  do ACU "), "porto do acu");
        assert_eq!(key("Greater St. Louis"), "greater st louis");
        assert_eq!(key("Antwerp-Bruges"), "antwerp bruges");
        assert_eq!(key("Göteborg"), "goteborg");
        assert_eq!(key("cluster_id"), "cluster id");
        assert_eq!(key("Valle Andaluz del Hidrógeno Verde"), "valle andaluz del hidrogeno verde");
        assert_eq!(key("CO₂"), "co2");
    }
}
