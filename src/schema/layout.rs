//! Layout cues (`schemas/layout.toml`): missing-value markers, the keys of a metadata block
//! above a table, and the JSON keys that hold KPI-keyed objects.

use std::collections::{HashMap, HashSet};

use serde::Deserialize;

use super::{SchemaError, text, toml_file};

/// What a metadata line (`Currency: THB`) gives its table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MetaKey {
    Cluster,
    Country,
    Currency,
    Year,
    Unit,
    Submitted,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Json {
    kpi_containers: Vec<String>,
    submitted: Vec<String>,
}

/// What a mark on a figure says.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Qualifier {
    Approximate,
    Estimate,
    Provisional,
    Footnote,
}

impl Qualifier {
    pub fn as_str(self) -> &'static str {
        match self {
            Qualifier::Approximate => "approximate",
            Qualifier::Estimate => "estimate",
            Qualifier::Provisional => "provisional",
            Qualifier::Footnote => "footnote",
        }
    }
}

/// Marks written before or after a number.
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Marks {
    before: Vec<String>,
    after: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    missing_markers: Vec<String>,
    metadata: HashMap<MetaKey, Vec<String>>,
    json: Json,
    qualifiers: HashMap<Qualifier, Marks>,
    bounds: Marks,
    template: Template,
}

/// What the blank template's dropdowns offer (`[template]`).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Template {
    /// Rows prepared for figures.
    pub rows: u32,
    pub scopes: Vec<String>,
    /// Units offered, by KPI dimension.
    pub units: HashMap<crate::schema::Dimension, Vec<String>>,
}

/// A mark found on a figure: what it says, the mark as written, and the figure without it.
#[derive(Clone, Debug, PartialEq)]
pub enum Mark<'a> {
    Qualified { qualifier: Qualifier, mark: String, rest: &'a str },
    Bound { mark: String },
}

#[derive(Debug)]
pub struct Layout {
    markers: HashSet<String>,
    metadata: HashMap<String, MetaKey>,
    kpi_containers: HashSet<String>,
    /// The document keys that give a JSON submission's date, in order of preference.
    submitted: Vec<String>,
    /// What the blank template offers.
    pub template: Template,
    /// (mark lower-cased, before the number?, what it says), longest marks first.
    marks: Vec<(String, bool, Option<Qualifier>)>,
    /// The first character of every mark before the number, and the last of every mark after
    /// it: a text that starts and ends with none of them carries no mark.
    mark_ends: (Vec<char>, Vec<char>),
    /// [`Layout::mark_ends`]' ASCII characters as flags, for texts that start and end in ASCII
    /// (every figure): told without a character's lower case.
    ascii_mark_ends: [[bool; 128]; 2],
    /// The length of the longest marker, in bytes.
    longest_marker: usize,
    /// Whether some marker starts with this byte (lower case): an ASCII text starting with
    /// no such byte is no marker, and every figure is one of those.
    marker_starts: [bool; 256],
}

impl Layout {
    pub fn from_toml(file: &str, src: &str) -> Result<Self, SchemaError> {
        let f: File = toml_file(file, src)?;
        let mut metadata = HashMap::new();
        for (key, spellings) in f.metadata {
            for s in spellings {
                metadata.insert(text::key(&s), key);
            }
        }
        let markers: HashSet<String> = f.missing_markers.iter().map(|m| m.trim().to_lowercase()).collect();
        let longest_marker = markers.iter().map(String::len).max().unwrap_or(0);
        let mut marker_starts = [false; 256];
        for first in markers.iter().filter_map(|m| m.as_bytes().first()) {
            marker_starts[usize::from(*first)] = true;
        }
        let mut layout = Layout {
            // Markers are mostly punctuation (`-`, `–`, `n/a`), so they are compared lower-cased
            // and trimmed, not by the punctuation-blind key.
            markers,
            longest_marker,
            marker_starts,
            mark_ends: Default::default(),
            ascii_mark_ends: [[false; 128]; 2],
            metadata,
            kpi_containers: f.json.kpi_containers.iter().map(|k| text::key(k)).collect(),
            submitted: f.json.submitted,
            template: f.template,
            marks: {
                let mut marks = Vec::new();
                let mut add = |m: &Marks, q: Option<Qualifier>| {
                    marks.extend(m.before.iter().map(|s| (s.to_lowercase(), true, q)));
                    marks.extend(m.after.iter().map(|s| (s.to_lowercase(), false, q)));
                };
                for (q, m) in &f.qualifiers {
                    add(m, Some(*q));
                }
                add(&f.bounds, None);
                marks.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then_with(|| a.cmp(b)));
                marks
            },
        };
        for (mark, before, _) in &layout.marks {
            let (ends, end) = match before {
                true => (&mut layout.mark_ends.0, mark.chars().next()),
                false => (&mut layout.mark_ends.1, mark.chars().next_back()),
            };
            ends.extend(end.filter(|c| !ends.contains(c)));
        }
        for (flags, ends) in layout.ascii_mark_ends.iter_mut().zip([&layout.mark_ends.0, &layout.mark_ends.1]) {
            for c in ends.iter().filter(|c| c.is_ascii()) {
                flags[*c as usize] = true;
            }
        }
        Ok(layout)
    }

    /// Whether a trimmed text starts with the first character of a mark written before the
    /// number, or ends with the last of one written after it (lower-cased): no other carries a
    /// mark.
    fn may_be_marked(&self, t: &str) -> bool {
        let (Some(&first), Some(&last)) = (t.as_bytes().first(), t.as_bytes().last()) else { return false };
        if first.is_ascii() && last.is_ascii() {
            let [starts, ends] = &self.ascii_mark_ends;
            return starts[usize::from(first.to_ascii_lowercase())] || ends[usize::from(last.to_ascii_lowercase())];
        }
        self.may_be_marked_by_chars(t)
    }

    /// [`Layout::may_be_marked`], character by character: the way for any text.
    fn may_be_marked_by_chars(&self, t: &str) -> bool {
        let lowered = |c: Option<char>| c.and_then(|c| c.to_lowercase().next());
        let (first, last) = (lowered(t.chars().next()), lowered(t.chars().next_back()));
        first.is_some_and(|c| self.mark_ends.0.contains(&c)) || last.is_some_and(|c| self.mark_ends.1.contains(&c))
    }

    /// The mark on a figure written as text, if it carries one: `~1200`, `1,234*`, `>500`.
    /// A mark stands apart from the number's digits only by spaces, and a mark of letters never
    /// touches other letters, so `12 Mt` or `2 kt` carry none.
    pub fn mark<'a>(&self, text: &'a str) -> Option<Mark<'a>> {
        let t = crate::trim::trim(text);
        if !self.may_be_marked(t) {
            return None;
        }
        let lower = t.to_lowercase();
        if lower.len() != t.len() {
            return None;
        }
        let numeric = |s: &str| s.trim().starts_with(|c: char| c.is_ascii_digit() || matches!(c, '.' | ',' | '-'));
        let ends_numeric = |s: &str| s.trim_end().ends_with(|c: char| c.is_ascii_digit());
        let lettered = |m: &str| m.chars().next().is_some_and(char::is_alphabetic);
        for (mark, before, qualifier) in &self.marks {
            let (rest, ok) = if *before {
                match lower.strip_prefix(mark.as_str()) {
                    Some(r) => (
                        &t[mark.len()..],
                        numeric(r) && (!lettered(mark) || r.starts_with(' ') || !mark.ends_with(char::is_alphabetic)),
                    ),
                    None => continue,
                }
            } else {
                match lower.strip_suffix(mark.as_str()) {
                    Some(r) => (
                        &t[..r.len()],
                        ends_numeric(r)
                            && (!lettered(mark) || r.ends_with(' ') || r.ends_with(|c: char| c.is_ascii_digit())),
                    ),
                    None => continue,
                }
            };
            if !ok {
                continue;
            }
            return Some(match qualifier {
                Some(q) => Mark::Qualified { qualifier: *q, mark: mark.clone(), rest: rest.trim() },
                None => Mark::Bound { mark: mark.clone() },
            });
        }
        None
    }

    /// True for a text that means "not reported" (an empty text too).
    pub fn is_marker(&self, s: &str) -> bool {
        let t = crate::trim::trim(s);
        // Lower-casing a character takes at most three times fewer bytes (`K`, the Kelvin sign,
        // is `k`): a longer text cannot be a marker.
        if t.len() > 3 * self.longest_marker {
            return false;
        }
        // Most texts are ASCII (every figure is): most are told apart by their first byte, the
        // others lower-cased on the stack and looked up. The markers are lower case.
        if t.is_ascii() {
            let Some(first) = t.as_bytes().first() else { return true };
            if !self.marker_starts[usize::from(first.to_ascii_lowercase())] {
                return false;
            }
            let mut buf = [0u8; 64];
            return match buf.get_mut(..t.len()) {
                Some(lower) => {
                    lower.copy_from_slice(t.as_bytes());
                    lower.make_ascii_lowercase();
                    std::str::from_utf8(lower).is_ok_and(|lower| self.markers.contains(lower))
                }
                None => self.markers.iter().any(|m| m.eq_ignore_ascii_case(t)),
            };
        }
        let t = t.to_lowercase();
        self.markers.contains(&t)
    }

    /// The metadata key a label names (`Currency:`, `Moneda`).
    pub fn meta_key(&self, label: &str) -> Option<MetaKey> {
        self.metadata.get(&text::key(label)).copied()
    }

    /// The document keys that give a JSON submission's date, in order of preference.
    pub fn submitted_keys(&self) -> &[String] {
        &self.submitted
    }

    pub fn is_kpi_container(&self, key: &str) -> bool {
        self.kpi_containers.contains(&text::key(key))
    }
}

#[cfg(test)]
mod tests {
    use crate::schema::Schema;

    /// A marker is read whatever its case, with or without the ASCII fast path; nothing else
    /// is one.
    #[test]
    fn markers_are_read_in_any_case_and_nothing_else_is_one() {
        let layout = Schema::bundled().expect("the bundled schema loads").layout;
        for written in ["n/a", "N/A", " Na ", "TBD", "Not Reported", "NOT AVAILABLE", "..", "?", "—", "–", ""] {
            assert!(layout.is_marker(written), "`{written}` is a marker");
        }
        for written in ["NÃO DISPONÍVEL", "Sin Información", "Ej Tillgänglig", "NON COMMUNIQUÉ"] {
            assert!(layout.is_marker(written), "`{written}` is a marker (not ASCII)");
        }
        for written in ["12", "0", "n/a 12", "nan", "n", "-5", "not reportedx", "NÃO", "…"] {
            assert!(!layout.is_marker(written), "`{written}` is no marker");
        }
        // Every marker of `layout.toml`, as written, in capitals and padded; and none with a
        // letter more, or a figure after it.
        for marker in &layout.markers {
            for written in [marker.clone(), marker.to_uppercase(), format!("  {}\t", marker.to_uppercase())] {
                assert!(layout.is_marker(&written), "`{written}` is a marker");
            }
            for written in [format!("{marker}x"), format!("x{marker}"), format!("{marker} 12")] {
                assert!(!layout.is_marker(&written), "`{written}` is no marker");
            }
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 3000, failure_persistence: None, ..Default::default() })]

        /// Whether a text may carry a mark is told the same way byte by byte (both its ends
        /// ASCII) as character by character, on texts of every mark's ends, in either case,
        /// around figures, letters and characters that are not ASCII.
        #[test]
        fn a_mark_is_looked_for_the_same_way_by_bytes(text in "[~*>< ()0-9.,a-zA-Z\u{2248}\u{b1}\u{e9}\u{c9}+-]{0,6}") {
            let layout = &*LAYOUT;
            let t = crate::trim::trim(&text);
            proptest::prop_assert_eq!(layout.may_be_marked(t), layout.may_be_marked_by_chars(t), "{:?}", t);
        }
    }

    static LAYOUT: std::sync::LazyLock<crate::schema::Layout> =
        std::sync::LazyLock::new(|| Schema::bundled().expect("the bundled schema loads").layout);
}
