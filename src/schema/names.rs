//! Names read by meaning (`schemas/language.toml`): KPI names and column headers that are no
//! exact alias are compared by their content words, language by language.
//!
//! Contract: a name is read as an entry only when, in some language, an alias of that entry has
//! exactly the name's content words (each explains the other) and no alias of another entry
//! does. Anything else is refused with the nearest candidates. Every step is data: stop words,
//! joined tokens, compound parts and concepts come from `language.toml`, the aliases and their
//! languages from `kpis.toml` and `fields.toml`, the stemmers from the Snowball algorithms.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use rust_stemmers::{Algorithm, Stemmer};
use serde::Deserialize;

use super::{SchemaError, text, toml_file};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Compounds {
    parts: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    negations: Vec<String>,
    languages: BTreeMap<String, String>,
    stop: BTreeMap<String, Vec<String>>,
    header_fillers: BTreeMap<String, Vec<String>>,
    kpi_fillers: BTreeMap<String, Vec<String>>,
    stem_exceptions: BTreeMap<String, Vec<String>>,
    tokens: BTreeMap<String, Vec<String>>,
    compounds: Compounds,
    concepts: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    absorbed: BTreeMap<String, String>,
}

/// One language: its stemmer, and its stop phrases as token sequences.
struct Language {
    code: String,
    stemmer: Stemmer,
    stop: Vec<Vec<String>>,
    fillers: HashSet<String>,
    /// Words left unstemmed.
    keep: HashSet<String>,
    /// Concept spellings as stem sequences, longest first.
    concepts: Vec<(Vec<String>, String)>,
}

impl std::fmt::Debug for Language {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Language").field("code", &self.code).finish_non_exhaustive()
    }
}

/// An alias, as content words in its language.
#[derive(Debug, Clone)]
struct Alias {
    entry: usize,
    lang: usize,
    spelling: String,
    words: Vec<String>,
}

/// Whether a name is a column header (which may add words such as `name` or `code`) or a KPI name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Kpi,
    Header,
}

/// How a name was read by words.
#[derive(Clone, Debug, PartialEq)]
pub enum Reading {
    /// Read as entry `entry` through `alias`, in language `lang`; `words` are the content words.
    Read { entry: usize, alias: String, lang: String, words: Vec<String> },
    /// Several entries explain the name: refused.
    Ambiguous { entries: Vec<usize>, words: Vec<String> },
    /// No entry explains the name; `near` are entries sharing content words with it, best first.
    Refused { near: Vec<usize>, words: Vec<String> },
}

/// The word-level vocabulary and the aliases of one kind of entry (KPIs or columns).
#[derive(Debug)]
pub struct Matcher {
    langs: Vec<Language>,
    tokens: Vec<(Vec<String>, String)>,
    parts: HashSet<String>,
    aliases: Vec<Alias>,
    /// By language, then [`word_key`]: the aliases (indices into `aliases`, ascending) of that
    /// language with a word of that key. A word is the same as another only if their keys are
    /// equal, so a name is compared only with the aliases its words reach.
    reach: Vec<HashMap<String, Vec<usize>>>,
    kind: Kind,
    /// (concept word, the concept word that implies it), both as `=concept`.
    absorbed: Vec<(String, String)>,
    /// By entry, then language: the stems of its context phrases, longest first.
    context: Vec<Vec<Vec<Vec<String>>>>,
    /// The length in characters of the longest compound part.
    longest: usize,
    /// Words that negate, in any language: content words everywhere (`=not`).
    negations: HashSet<String>,
    /// Readings already made: a file repeats its few spellings on every row.
    cache: std::sync::Mutex<HashMap<String, Reading>>,
}

/// How many readings the cache keeps before it starts again.
const CACHE: usize = 4096;

/// The language data, before aliases are added.
#[derive(Debug)]
pub struct Vocabulary {
    file: File,
    name: String,
}

impl std::fmt::Debug for File {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("File").field("languages", &self.languages).finish_non_exhaustive()
    }
}

impl Vocabulary {
    pub fn from_toml(file: &str, src: &str) -> Result<Self, SchemaError> {
        let f: File = toml_file(file, src)?;
        for (code, algo) in &f.languages {
            algorithm(algo).ok_or_else(|| SchemaError::Invalid {
                file: file.to_owned(),
                entry: code.clone(),
                problem: format!("`{algo}` is not a Snowball stemmer this build knows"),
            })?;
        }
        for code in f.stop.keys().chain(f.header_fillers.keys()).chain(f.kpi_fillers.keys()) {
            if !f.languages.contains_key(code) {
                return Err(SchemaError::Invalid {
                    file: file.to_owned(),
                    entry: code.clone(),
                    problem: "not a language of `[languages]`".to_owned(),
                });
            }
        }
        Ok(Vocabulary { file: f, name: file.to_owned() })
    }

    /// A matcher for `entries`, each with its aliases by language (`"*"`: every language), and
    /// the context phrases by language that may accompany a name of the entry without changing
    /// what it names (`contexts` may be shorter than `entries`).
    pub fn matcher(
        &self,
        kind: Kind,
        entries: &[BTreeMap<String, Vec<String>>],
        contexts: &[BTreeMap<String, Vec<String>>],
        ids: impl Fn(usize) -> String,
    ) -> Result<Matcher, SchemaError> {
        let f = &self.file;
        let split =
            |s: &str| -> Vec<String> { text::key(s).split(' ').filter(|w| !w.is_empty()).map(str::to_owned).collect() };
        let mut tokens: Vec<(Vec<String>, String)> =
            f.tokens.iter().flat_map(|(t, list)| list.iter().map(move |s| (split(s), t.clone()))).collect();
        tokens.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then_with(|| a.0.cmp(&b.0)));
        // Compound parts: the extra parts and every word of every alias and concept spelling.
        let mut parts: HashSet<String> = f.compounds.parts.iter().map(|p| text::key(p)).collect();
        for e in entries {
            for list in e.values() {
                parts.extend(list.iter().flat_map(|a| split(a)));
            }
        }
        for list in f.concepts.values().chain(f.header_fillers.values()) {
            parts.extend(list.iter().flat_map(|a| split(a)));
        }
        // Grammatical words are no compound parts (`aandeel` is not `aan` + `deel`), unless the
        // extra parts name them (`el`, Swedish electricity, Spanish `the`).
        let stop: HashSet<String> = f.stop.values().flatten().map(|w| text::key(w)).collect();
        let extra: HashSet<String> = f.compounds.parts.iter().map(|p| text::key(p)).collect();
        parts.retain(|p| {
            p.chars().count() >= 2 && !p.chars().any(|c| c.is_ascii_digit()) && (!stop.contains(p) || extra.contains(p))
        });
        let longest = parts.iter().map(|p| p.chars().count()).max().unwrap_or(0);
        let absorbed = f.absorbed.iter().map(|(w, by)| (format!("={w}"), format!("={by}"))).collect();
        let mut m = Matcher {
            langs: Vec::new(),
            tokens,
            parts,
            aliases: Vec::new(),
            reach: Vec::new(),
            kind,
            absorbed,
            context: Vec::new(),
            cache: Default::default(),
            longest,
            negations: f.negations.iter().map(|w| text::key(w)).collect(),
        };
        for (code, algo) in &f.languages {
            let stop_of = |map: &BTreeMap<String, Vec<String>>| map.get(code).cloned().unwrap_or_default();
            let mut stop: Vec<Vec<String>> = stop_of(&f.stop).iter().map(|s| split(s)).collect();
            if kind == Kind::Kpi {
                stop.extend(stop_of(&f.kpi_fillers).iter().map(|s| split(s)));
            }
            stop.sort_by_key(|s| std::cmp::Reverse(s.len()));
            let fillers = stop_of(&f.header_fillers).iter().map(|s| text::key(s)).collect();
            let stemmer = Stemmer::create(algorithm(algo).expect("checked on load"));
            // Kept in every language: the word is the same whichever pipeline reads it.
            let keep = f.stem_exceptions.values().flatten().map(|s| text::key(s)).collect();
            m.langs.push(Language { code: code.clone(), stemmer, stop, fillers, keep, concepts: Vec::new() });
        }
        // The tokens of each concept spelling, once for all languages.
        let spellings: Vec<(&String, Vec<String>)> = {
            let m = &m;
            f.concepts.iter().flat_map(|(c, list)| list.iter().map(move |s| (c, m.tokens(s)))).collect()
        };
        for l in 0..m.langs.len() {
            let mut concepts: Vec<(Vec<String>, String)> = Vec::new();
            for (concept, tokens) in &spellings {
                {
                    let stems = m.stems_of(tokens, l);
                    if !stems.is_empty() {
                        concepts.push((stems, (*concept).clone()));
                    }
                }
            }
            concepts.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then_with(|| a.0.cmp(&b.0)));
            concepts.dedup();
            m.langs[l].concepts = concepts;
        }
        for (entry, by_lang) in entries.iter().enumerate() {
            for (code, list) in by_lang {
                let langs: Vec<usize> = if code == "*" {
                    (0..m.langs.len()).collect()
                } else {
                    let l = m.langs.iter().position(|l| &l.code == code).ok_or_else(|| SchemaError::Invalid {
                        file: self.name.clone(),
                        entry: ids(entry),
                        problem: format!("alias language `{code}` is not in `[languages]`"),
                    })?;
                    vec![l]
                };
                for spelling in list {
                    let tokens = m.tokens(spelling);
                    for &lang in &langs {
                        let words = m.words_of(&tokens, lang);
                        if words.is_empty() {
                            continue;
                        }
                        // An alias of concepts and codes alone says the same in every language.
                        let neutral = words.iter().all(|w| w.starts_with('=') || w.chars().any(|c| c.is_ascii_digit()));
                        for l in 0..m.langs.len() {
                            if l == lang || (neutral && !langs.contains(&l)) {
                                m.aliases.push(Alias {
                                    entry,
                                    lang: l,
                                    spelling: spelling.clone(),
                                    words: words.clone(),
                                });
                            }
                        }
                    }
                }
            }
        }
        m.reach = vec![HashMap::new(); m.langs.len()];
        for (i, a) in m.aliases.iter().enumerate() {
            for w in &a.words {
                let reached = m.reach[a.lang].entry(word_key(w).to_owned()).or_default();
                if reached.last() != Some(&i) {
                    reached.push(i);
                }
            }
        }
        for (entry, _) in entries.iter().enumerate() {
            let by_lang = contexts.get(entry);
            let per_lang = (0..m.langs.len())
                .map(|l| {
                    let phrases = by_lang.map(|c| {
                        c.iter()
                            .filter(|(code, _)| *code == "*" || **code == m.langs[l].code)
                            .flat_map(|(_, list)| list.iter())
                            .collect::<Vec<_>>()
                    });
                    let mut stems: Vec<Vec<String>> =
                        phrases.unwrap_or_default().iter().map(|p| m.stems_of(&m.tokens(p), l)).collect();
                    stems.retain(|p| !p.is_empty());
                    stems.sort_by_key(|p| std::cmp::Reverse(p.len()));
                    stems
                })
                .collect();
            m.context.push(per_lang);
        }
        Ok(m)
    }
}

fn algorithm(name: &str) -> Option<Algorithm> {
    Some(match name {
        "english" => Algorithm::English,
        "spanish" => Algorithm::Spanish,
        "portuguese" => Algorithm::Portuguese,
        "dutch" => Algorithm::Dutch,
        "swedish" => Algorithm::Swedish,
        "french" => Algorithm::French,
        "german" => Algorithm::German,
        "italian" => Algorithm::Italian,
        "danish" => Algorithm::Danish,
        "norwegian" => Algorithm::Norwegian,
        _ => return None,
    })
}

/// Two content words are the same when equal, or when the shorter has at least five letters
/// and begins the longer, which adds at most three (`produc` and `product`, `reduc` and
/// `reduct`, which stemmers leave apart); a longer tail is another word (`utsläppsintensitet`
/// is not `utsläpp`).
fn same(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    // Cheap tests first: a byte is at most one character, and the prefix must hold at all.
    if short.len() < 5 || short.starts_with(['=', '!']) || !long.starts_with(short) {
        return false;
    }
    let (s, l) = (short.chars().count(), long.chars().count());
    s >= 5 && l.saturating_sub(s) <= 3
}

/// What a word has in common with every word [`same`] as it: its first five characters (all of
/// it, when shorter). Two words the same are equal, or share the shorter's first five.
fn word_key(word: &str) -> &str {
    word.char_indices().nth(5).map_or(word, |(end, _)| &word[..end])
}

/// Every word of `a` is explained by a word of `b`.
fn covered(a: &[String], b: &[String]) -> bool {
    a.iter().all(|w| b.iter().any(|v| same(w, v)))
}

/// `stems` with every occurrence of the `phrases` (stem sequences, longest first) taken out.
fn without(stems: &[String], phrases: &[Vec<String>]) -> Vec<String> {
    let mut out = Vec::with_capacity(stems.len());
    let mut i = 0;
    'outer: while i < stems.len() {
        for p in phrases {
            if stems[i..].starts_with(p) {
                i += p.len();
                continue 'outer;
            }
        }
        out.push(stems[i].clone());
        i += 1;
    }
    out
}

/// One step of reading a name, for `explain-name`.
#[derive(Clone, Debug)]
pub struct Trace {
    pub lang: String,
    pub words: Vec<String>,
    pub matches: Vec<(usize, String)>,
}

impl Matcher {
    /// The tokens of a name: comparison key, joined tokens, compounds split.
    fn tokens(&self, name: &str) -> Vec<String> {
        let raw: Vec<String> = text::key(name).split(' ').filter(|w| !w.is_empty()).map(str::to_owned).collect();
        let mut joined = Vec::with_capacity(raw.len());
        let mut i = 0;
        'outer: while i < raw.len() {
            for (seq, token) in &self.tokens {
                if raw[i..].starts_with(seq) {
                    joined.push(token.clone());
                    i += seq.len();
                    continue 'outer;
                }
            }
            joined.push(raw[i].clone());
            i += 1;
        }
        joined.into_iter().flat_map(|t| self.split_compound(&t)).collect()
    }

    /// `växthusgasutsläpp` → `växthusgas`, `utsläpp`: the split into the fewest parts (at least
    /// two) that are all known words, allowing a linking `s` or `e` between parts; the word
    /// itself when there is none.
    fn split_compound(&self, word: &str) -> Vec<String> {
        // Byte offsets of the characters, so parts are slices, not new strings.
        let at: Vec<usize> = word.char_indices().map(|(i, _)| i).chain(std::iter::once(word.len())).collect();
        let n = at.len() - 1;
        if n < 5 || word.bytes().any(|b| b.is_ascii_digit()) {
            return vec![word.to_owned()];
        }
        let char_at = |i: usize| word[at[i]..].chars().next();
        // best[i]: (fewest parts covering the first i characters, where the last part starts).
        let mut best: Vec<Option<(usize, usize)>> = vec![None; n + 1];
        best[0] = Some((0, 0));
        for end in 1..=n {
            for start in end.saturating_sub(self.longest)..end {
                if end - start == n {
                    continue;
                }
                // A two-letter part (`el`, `år`) only opens or closes a compound: inside one it is
                // too easily a piece of another word.
                if (end - start < 3 && start > 0 && end < n) || !self.parts.contains(&word[at[start]..at[end]]) {
                    continue;
                }
                // A linking letter (`s`, `e`) may stand between the previous part and this one.
                let linked = (start > 1 && matches!(char_at(start - 1), Some('s' | 'e'))).then(|| start - 1);
                for from in std::iter::once(start).chain(linked) {
                    if let Some((parts, _)) = best[from]
                        && best[end].is_none_or(|(c, _)| parts + 1 < c)
                    {
                        best[end] = Some((parts + 1, start));
                    }
                }
            }
        }
        let Some((parts, _)) = best[n].filter(|(parts, _)| *parts >= 2) else {
            return vec![word.to_owned()];
        };
        // Walk back through the starts, skipping a linking letter where one was taken.
        let mut bounds = Vec::with_capacity(parts);
        let mut end = n;
        while end > 0 {
            let Some((count, start)) = best[end] else { break };
            bounds.push((start, end));
            end = if start == 0 || best[start].is_some_and(|(c, _)| c + 1 == count) { start } else { start - 1 };
        }
        bounds.reverse();
        // Each part may be a compound of the vocabulary itself (`reductiepotentieel`).
        bounds.into_iter().flat_map(|(a, b)| self.split_compound(&word[at[a]..at[b]])).collect()
    }

    /// The stems of a name in language `l`, stop words dropped, before concepts.
    fn stems_of(&self, tokens: &[String], l: usize) -> Vec<String> {
        let lang = &self.langs[l];
        let mut kept = Vec::with_capacity(tokens.len());
        let mut i = 0;
        'outer: while i < tokens.len() {
            // A negation is never a stop word, whatever another language means by it.
            if self.negations.contains(&tokens[i]) {
                kept.push("=not".to_owned());
                i += 1;
                continue;
            }
            for stop in &lang.stop {
                if tokens[i..].starts_with(stop) && !stop.iter().any(|w| self.negations.contains(w)) {
                    i += stop.len();
                    continue 'outer;
                }
            }
            if self.kind == Kind::Header && lang.fillers.contains(&tokens[i]) && tokens.len() > 1 {
                i += 1;
                continue;
            }
            let t = &tokens[i];
            kept.push(if lang.keep.contains(t) {
                // `!`: compared exactly, never as a prefix of another stem.
                format!("!{t}")
            } else if t.chars().any(|c| c.is_ascii_digit()) {
                t.clone()
            } else {
                lang.stemmer.stem(t).into_owned()
            });
            i += 1;
        }
        kept
    }

    /// The content words of a name's tokens in language `l`: stems with concepts joined,
    /// sorted, unique.
    fn words_of(&self, tokens: &[String], l: usize) -> Vec<String> {
        self.concepts_of(&self.stems_of(tokens, l), l)
    }

    /// Content words from stems: concepts joined, sorted, unique.
    fn concepts_of(&self, stems: &[String], l: usize) -> Vec<String> {
        let mut out = BTreeSet::new();
        let mut i = 0;
        'outer: while i < stems.len() {
            for (seq, concept) in &self.langs[l].concepts {
                if stems.len() - i >= seq.len() && stems[i..i + seq.len()].iter().zip(seq).all(|(a, b)| same(a, b)) {
                    out.insert(format!("={concept}"));
                    i += seq.len();
                    continue 'outer;
                }
            }
            out.insert(stems[i].clone());
            i += 1;
        }
        // A concept another one implies adds nothing beside it (`ghg` beside `emission`).
        for (word, by) in &self.absorbed {
            if out.contains(by) {
                out.remove(word);
            }
        }
        out.into_iter().collect()
    }

    /// Read a name by its words.
    pub fn read(&self, name: &str) -> Reading {
        // A poisoned lock only means another thread panicked mid-insert: the map is still valid.
        let cached = self.cache.lock().unwrap_or_else(std::sync::PoisonError::into_inner).get(name).cloned();
        if let Some(r) = cached {
            return r;
        }
        let reading = self.read_traced(name).0;
        let mut cache = self.cache.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if cache.len() >= CACHE {
            cache.clear();
        }
        cache.insert(name.to_owned(), reading.clone());
        reading
    }

    /// Read a name by its words, with what each language made of it.
    pub fn read_traced(&self, name: &str) -> (Reading, Vec<Trace>) {
        let mut traces = Vec::new();
        let mut found: BTreeMap<usize, (String, String, Vec<String>)> = BTreeMap::new();
        let mut near: BTreeMap<usize, usize> = BTreeMap::new();
        let mut any_words = Vec::new();
        let tokens = self.tokens(name);
        for l in 0..self.langs.len() {
            let stems = self.stems_of(&tokens, l);
            let words = self.concepts_of(&stems, l);
            // A phrase of an entry's own definition (`all carriers`, `for storage or use`) says
            // nothing more beside one of its names: the words without it, for each such entry.
            // Only where such a phrase is there: elsewhere the words are the name's own.
            let own: BTreeMap<usize, Vec<String>> = (0..self.context.len())
                .filter(|&e| !self.context[e][l].is_empty())
                .filter_map(|e| {
                    let rest = without(&stems, &self.context[e][l]);
                    (rest.len() < stems.len()).then(|| (e, self.concepts_of(&rest, l)))
                })
                .collect();
            let mut matches = Vec::new();
            if !words.is_empty() {
                // The aliases a word of the name (or of its words without a context phrase)
                // reaches, in order: no other is explained by them or shares a word with them.
                let mut reached: Vec<usize> = std::iter::once(&words)
                    .chain(own.values())
                    .flatten()
                    .filter_map(|w| self.reach[l].get(word_key(w)))
                    .flatten()
                    .copied()
                    .collect();
                reached.sort_unstable();
                reached.dedup();
                for a in reached.into_iter().map(|i| &self.aliases[i]) {
                    let words = own.get(&a.entry).unwrap_or(&words);
                    if !words.is_empty() && covered(&a.words, words) && covered(words, &a.words) {
                        matches.push((a.entry, a.spelling.clone()));
                        found
                            .entry(a.entry)
                            .or_insert_with(|| (a.spelling.clone(), self.langs[l].code.clone(), words.clone()));
                    } else {
                        let shared = words.iter().filter(|w| a.words.iter().any(|v| same(w, v))).count();
                        if shared > 0 {
                            let e = near.entry(a.entry).or_default();
                            *e = (*e).max(shared);
                        }
                    }
                }
                if any_words.is_empty() {
                    any_words.clone_from(&words);
                }
            }
            traces.push(Trace { lang: self.langs[l].code.clone(), words, matches });
        }
        let reading = match found.len() {
            1 => {
                let (entry, (alias, lang, words)) = found.into_iter().next().expect("one entry");
                Reading::Read { entry, alias, lang, words }
            }
            0 => {
                let mut near: Vec<(usize, usize)> = near.into_iter().collect();
                near.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
                Reading::Refused { near: near.into_iter().map(|(e, _)| e).take(3).collect(), words: any_words }
            }
            _ => Reading::Ambiguous { entries: found.into_keys().collect(), words: any_words },
        };
        (reading, traces)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matcher() -> Matcher {
        let v = Vocabulary::from_toml("language.toml", include_str!("../../schemas/language.toml")).unwrap();
        let entries: Vec<BTreeMap<String, Vec<String>>> = vec![
            [("en".to_owned(), vec!["greenhouse gas emissions".to_owned(), "co2e emissions".to_owned()])].into(),
            [("sv".to_owned(), vec!["utsläppsminskningspotential".to_owned()])].into(),
        ];
        v.matcher(Kind::Kpi, &entries, &[], |i| i.to_string()).unwrap()
    }

    #[test]
    fn compounds_split_against_the_vocabulary() {
        let m = matcher();
        assert_eq!(m.split_compound("vaxthusgasutslapp"), vec!["vaxthusgas", "utslapp"]);
        assert_eq!(m.split_compound("broeikasgasemissies"), vec!["broeikasgas", "emissies"]);
        assert_eq!(m.split_compound("utslappsminskningspotential"), vec!["utslapp", "minsknings", "potential"]);
        assert_eq!(m.split_compound("hello"), vec!["hello"]);
    }

    /// Words the same ([`same`]) have one key: over every compound part of the vocabulary, its
    /// stems in each language, and words made to sit at the edges (five letters, accents,
    /// concept and kept words, prefixes three and four letters shorter).
    #[test]
    fn words_the_same_share_their_key() {
        let m = matcher();
        let mut words: BTreeSet<String> = m.parts.iter().cloned().collect();
        for l in 0..m.langs.len() {
            let parts: Vec<String> = m.parts.iter().cloned().collect();
            words.extend(m.stems_of(&parts, l));
        }
        for w in ["produc", "product", "products", "productio", "reduc", "reduct", "utsläpp", "utsläppsintensitet"] {
            words.insert(w.to_owned());
        }
        for w in
            ["émiss", "émission", "ab", "abcd", "abcde", "abcdefgh", "abcdefghi", "=ghg", "=ghgx", "!scope", "!scope1"]
        {
            words.insert(w.to_owned());
        }
        let words: Vec<&String> = words.iter().collect();
        assert!(words.len() > 500, "{} words", words.len());
        let mut pairs = 0;
        for a in &words {
            for b in &words {
                if same(a, b) {
                    assert_eq!(word_key(a), word_key(b), "{a} and {b}");
                    pairs += 1;
                }
            }
        }
        // Not only each word with itself.
        assert!(pairs > words.len(), "{pairs} pairs");
        assert_eq!((word_key("utsläppsintensitet"), word_key("ab"), word_key("abcde")), ("utslä", "ab", "abcde"));
    }

    #[test]
    fn words_in_other_languages_and_orders() {
        let m = matcher();
        assert!(matches!(m.read("Total CO2-equivalent emissions"), Reading::Read { entry: 0, .. }));
        assert!(matches!(m.read("Växthusgas utsläpp"), Reading::Read { entry: 0, .. }));
        assert!(matches!(m.read("Potential för utsläppsminskning"), Reading::Read { entry: 1, .. }));
        assert!(matches!(m.read("Direct greenhouse gas emissions"), Reading::Refused { .. }));
        assert!(matches!(m.read("the"), Reading::Refused { .. }));
    }
}
