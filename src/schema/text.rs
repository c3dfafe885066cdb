//! How names are compared: ignoring case, accents, punctuation and spacing.
//!
//! "Porto do Açu", "PORTO DO ACU" and "porto-do-acu" all compare equal, so a coordinator's
//! spelling finds the registry entry; the comparison key is what every lookup table stores.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// The comparison key of a name: accents stripped, lower case, every run of characters other
/// than letters and digits folded to one space, trimmed.
pub fn key(name: &str) -> String {
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

#[cfg(test)]
mod tests {
    use super::key;

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
