//! Reading by meaning, measured on tables written by hand, apart from the vocabulary:
//! `tests/fixtures/meaning/kpi_names.tsv` (KPI names in six languages, with near-misses that
//! must be refused), `heldout_names.tsv` (the same, written after the matcher by someone who saw
//! neither it nor the other tables), `headers.tsv` (column headers), `units.tsv` (unit phrasings, as the
//! canonical value of 1 reported by the Port of Rotterdam in 2023), and the shared phrasings
//! development set (`phrasings_*.tsv`). Bars: no wrong reading at all, and recall (expected
//! readings made) of at least 85 % for names and headers, 80 % for units. No table entry may be an
//! alias under `schemas/`, so the tables measure the matcher, not the alias list.

use clusterkpi::map::split_unit;
use clusterkpi::normalize::{Context, convert};
use clusterkpi::schema::{Field, Schema, text};

use crate::util::{clusterkpi, root, schema, temp_file};

fn rows(rel: &str, columns: usize) -> Vec<Vec<String>> {
    let body = std::fs::read_to_string(root().join("tests/fixtures/meaning").join(rel)).unwrap();
    let mut lines = body.lines();
    lines.next().expect("a header line");
    lines
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let cells: Vec<String> = l.split('\t').map(str::to_owned).collect();
            assert_eq!(cells.len(), columns, "{rel}: {l}");
            cells
        })
        .collect()
}

/// The outcome of a table: wrong readings, and expected readings made out of those expected.
struct Score {
    wrong: Vec<String>,
    made: usize,
    expected: usize,
    missed: Vec<String>,
}

impl Score {
    fn new() -> Self {
        Score { wrong: Vec::new(), made: 0, expected: 0, missed: Vec::new() }
    }

    fn record(&mut self, what: &str, expect: &str, got: Option<String>) {
        match (expect, got) {
            ("refuse" | "none", None) => {}
            ("refuse" | "none", Some(g)) => self.wrong.push(format!("{what}: read as {g}, must be refused")),
            (e, Some(g)) if e == g => {
                self.expected += 1;
                self.made += 1;
            }
            (e, Some(g)) => {
                self.expected += 1;
                self.wrong.push(format!("{what}: read as {g}, expected {e}"));
            }
            (e, None) => {
                self.expected += 1;
                self.missed.push(format!("{what}: refused, expected {e}"));
            }
        }
    }

    fn recall(&self) -> f64 {
        self.made as f64 / self.expected.max(1) as f64
    }

    // The measured recall is printed: it is what the tables are for.
    #[allow(clippy::print_stdout)]
    fn check(&self, table: &str, bar: f64) {
        println!(
            "{table}: recall {:.1} % ({} of {}), {} wrong; missed: {:#?}",
            100.0 * self.recall(),
            self.made,
            self.expected,
            self.wrong.len(),
            self.missed
        );
        assert!(self.wrong.is_empty(), "{table}: wrong readings:\n{:#?}", self.wrong);
        assert!(self.recall() >= bar, "{table}: recall {:.3} under {bar}; missed:\n{:#?}", self.recall(), self.missed);
    }
}

/// Every spelling under `schemas/` that names a KPI or a column, by comparison key.
fn aliases(schema: &Schema) -> Vec<String> {
    let mut all: Vec<String> = schema
        .kpis
        .iter()
        .flat_map(|k| {
            std::iter::once(k.id.clone()).chain([k.label.clone()]).chain(k.aliases.values().flatten().cloned())
        })
        .collect();
    all.extend(schema.fields.names_by_language().into_iter().flat_map(|m| m.into_values().flatten()));
    all.iter().map(|a| text::key(a)).collect()
}

fn read_kpi(schema: &Schema, name: &str) -> Option<String> {
    let (bare, _) = split_unit(name, schema);
    schema.read_kpi(bare).entry().map(|k| k.id.clone())
}

#[test]
fn kpi_names_are_read_by_meaning_and_never_wrongly() {
    let schema = schema();
    let known = aliases(&schema);
    for (table, bar) in [("kpi_names.tsv", 0.85), ("heldout_names.tsv", 0.85), ("phrasings_names.tsv", 0.85)] {
        let mut score = Score::new();
        for row in rows(table, 3) {
            let (name, expect) = (&row[0], &row[2]);
            if table != "phrasings_names.tsv" {
                assert!(!known.contains(&text::key(name)), "{table}: `{name}` is an alias under schemas/");
            }
            score.record(&format!("`{name}` ({})", row[1]), expect, read_kpi(&schema, name));
        }
        score.check(table, bar);
    }
}

#[test]
fn column_headers_are_read_by_meaning() {
    let schema = schema();
    let mut score = Score::new();
    for row in rows("headers.tsv", 3) {
        let got = schema.read_field(&row[0]).entry().map(|f: Field| f.as_str().to_owned());
        score.record(&format!("`{}` ({})", row[0], row[1]), &row[2], got);
    }
    score.check("headers.tsv", 0.85);
}

/// `1e6/0.924471`, `1e3*1e3`, `1`: a product and quotient of numbers.
fn arithmetic(expr: &str) -> f64 {
    let mut value = 1.0;
    let mut op = '*';
    let mut number = String::new();
    for c in expr.chars().chain(std::iter::once('*')) {
        if c == '*' || c == '/' {
            let n: f64 = number.trim().parse().unwrap_or_else(|_| panic!("`{expr}` is no product of numbers"));
            value = if op == '*' { value * n } else { value / n };
            op = c;
            number.clear();
        } else {
            number.push(c);
        }
    }
    value
}

#[test]
fn the_arithmetic_of_expectations() {
    assert_eq!(arithmetic("1"), 1.0);
    assert_eq!(arithmetic("1e3*2"), 2000.0);
    assert_eq!(arithmetic("1e6/4"), 250000.0);
}

#[test]
fn units_in_words_convert_exactly_or_are_refused() {
    let schema = schema();
    let rotterdam = schema.countries.find("NLD");
    for (table, kpi_col) in [("units.tsv", 2), ("phrasings_units.tsv", 1)] {
        let mut score = Score::new();
        let width = kpi_col + 2;
        for row in rows(table, width) {
            let (phrase, kpi, expect) = (&row[0], &row[kpi_col], &row[kpi_col + 1]);
            let kpi = schema.kpis.find(kpi).unwrap_or_else(|| panic!("{table}: no KPI `{kpi}`"));
            let ctx = Context { kpi, year: 2023, country: rotterdam, gas: None, currency: None };
            let got = convert(&schema, &ctx, 1.0, Some(phrase)).ok().map(|n| n.value);
            let what = format!("`{phrase}` for {}", kpi.id);
            match (expect.as_str(), got) {
                ("refuse", g) => score.record(&what, "refuse", g.map(|v| v.to_string())),
                (e, Some(g)) => {
                    let want = arithmetic(e);
                    let same = (g - want).abs() <= 1e-9 * want.abs();
                    score.record(&what, e, Some(if same { e.to_owned() } else { format!("{g} (= {})", g / want) }));
                }
                (e, None) => score.record(&what, e, None),
            }
        }
        score.check(table, 0.80);
    }
}

#[test]
fn a_kpis_across_csv_reads_a_paraphrased_column_and_refuses_an_unknown_one() {
    let csv = "cluster,year,Total employment (thousand persons),Ship movements\n\
               Port of Rotterdam,2022,12.5,31000\n\
               Port of Rotterdam,2023,13,32000\n";
    let (dir, path) = temp_file("across.csv", csv.as_bytes());
    let run = clusterkpi(&["validate", "--format", "json", path.to_str().unwrap()]);
    drop(dir);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let file = &doc["files"][0];
    let obs = file["observations"].as_array().unwrap();
    let jobs: Vec<(i64, f64)> =
        obs.iter().map(|o| (o["year"].as_i64().unwrap(), o["value"].as_f64().unwrap())).collect();
    assert_eq!(jobs, vec![(2022, 12_500.0), (2023, 13_000.0)]);
    assert!(obs.iter().all(|o| o["kpi"] == "jobs" && o["unit"] == "jobs"));
    let findings: Vec<(String, String)> = file["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["code"].as_str().unwrap().to_owned(), place(&f["location"])))
        .collect();
    assert!(findings.contains(&("I_NAME_MATCHED".to_owned(), "line 1, field 3".to_owned())), "{findings:?}");
    assert_eq!(findings.iter().filter(|f| f.0 == "I_NAME_MATCHED").count(), 1, "once per spelling: {findings:?}");
    let errors: Vec<&(String, String)> = findings.iter().filter(|f| f.0.starts_with("E_")).collect();
    assert_eq!(errors, vec![&("E_KPI_UNKNOWN".to_owned(), "line 1, field 4".to_owned())]);
    assert_eq!((file["rows_read"].as_u64(), file["rows_rejected"].as_u64()), (Some(4), Some(2)));
}

/// `line 1, field 3` from a JSON location.
fn place(loc: &serde_json::Value) -> String {
    match (loc["line"].as_u64(), loc["field"].as_u64()) {
        (Some(l), Some(f)) => format!("line {l}, field {f}"),
        (Some(l), None) => format!("line {l}"),
        _ => loc.to_string(),
    }
}

#[test]
fn explain_name_says_how_a_name_is_read() {
    let run = clusterkpi(&["explain-name", "Aantal banen", "Aantal directe banen", "Ship movements"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let blocks: Vec<&str> = run.stdout.split("\n\n").collect();
    assert!(blocks[0].contains("as a KPI: jobs (Jobs), read by its words"), "{}", run.stdout);
    assert!(blocks[1].contains("as a KPI: refused"), "{}", run.stdout);
    assert!(blocks[1].contains("direct"), "the qualifier shows among the content words:\n{}", run.stdout);
    assert!(blocks[2].contains("as a KPI: refused"), "{}", run.stdout);
}

/// Qualifiers that change what is measured, as people write them in each language: a name
/// carrying one that its alias does not is never read as that KPI.
const QUALIFIERS: [(&str, &[&str]); 6] = [
    (
        "en",
        &[
            "direct",
            "indirect",
            "net",
            "target",
            "planned",
            "avoided",
            "created",
            "lost",
            "capacity",
            "intensity",
            "share",
            "price",
            "forecast",
        ],
    ),
    (
        "es",
        &[
            "directo",
            "indirecto",
            "neto",
            "objetivo",
            "previsto",
            "evitadas",
            "creados",
            "perdidos",
            "capacidad",
            "intensidad",
            "cuota",
            "precio",
        ],
    ),
    (
        "pt",
        &[
            "direto",
            "indireto",
            "líquido",
            "meta",
            "previsto",
            "evitadas",
            "criados",
            "perdidos",
            "capacidade",
            "intensidade",
            "participação",
            "preço",
        ],
    ),
    (
        "nl",
        &[
            "directe",
            "indirecte",
            "netto",
            "doel",
            "gepland",
            "vermeden",
            "gecreëerde",
            "verloren",
            "capaciteit",
            "intensiteit",
            "aandeel",
            "prijs",
        ],
    ),
    (
        "sv",
        &[
            "direkta",
            "indirekta",
            "netto",
            "mål",
            "planerad",
            "undvikna",
            "skapade",
            "förlorade",
            "kapacitet",
            "intensitet",
            "andel",
            "pris",
        ],
    ),
    (
        "fr",
        &[
            "directs",
            "indirects",
            "nets",
            "cible",
            "prévu",
            "évitées",
            "créés",
            "perdus",
            "capacité",
            "intensité",
            "part",
            "prix",
        ],
    ),
];

/// Every alias of every KPI, with every qualifier of its language before and after it: never
/// read as that KPI (nor any other), unless the alias itself carries the qualifier.
#[test]
fn a_qualifier_no_alias_explains_is_never_read_away() {
    let schema = schema();
    let mut checked = 0;
    let mut wrong = Vec::new();
    for kpi in schema.kpis.iter() {
        for (lang, aliases) in &kpi.aliases {
            let qualifiers = QUALIFIERS.iter().filter(|(l, _)| lang == "*" || l == lang).flat_map(|(_, q)| q.iter());
            for q in qualifiers {
                for alias in aliases {
                    // An alias that carries the qualifier (in any inflection) explains it.
                    if text::key(alias).split(' ').any(|w| w.starts_with(&text::key(q))) {
                        continue;
                    }
                    for name in [format!("{q} {alias}"), format!("{alias} {q}")] {
                        checked += 1;
                        if let Some(got) = read_kpi(&schema, &name) {
                            wrong.push(format!("`{name}` read as {got}"));
                        }
                    }
                }
            }
        }
    }
    assert!(checked > 1000, "only {checked} names checked");
    assert!(wrong.is_empty(), "{} of {checked} qualified names were read:\n{wrong:#?}", wrong.len());
}

/// Case, accents, punctuation and spacing never change a reading.
#[test]
fn spelling_noise_never_changes_a_reading() {
    let schema = schema();
    for row in rows("kpi_names.tsv", 3).into_iter().chain(rows("heldout_names.tsv", 3)) {
        let name = &row[0];
        let want = read_kpi(&schema, name);
        // Units are compared with their case (`Mt` is not `mt`), so a name with a unit in
        // brackets keeps its case.
        let bracketed = name.trim_end().ends_with([')', ']']);
        let mut variants = vec![format!("  {}  ", name.replace(' ', "  ")), name.replace(' ', "_")];
        if !bracketed {
            variants.extend([name.to_uppercase(), name.to_lowercase()]);
        }
        for noisy in variants {
            assert_eq!(read_kpi(&schema, &noisy), want, "`{noisy}` against `{name}`");
        }
    }
}
