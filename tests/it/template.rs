//! `clusterkpi template`: the blank template of a cluster. Its dropdowns are read back from the
//! xlsx itself (defined names, data validations), every choice they offer is filled in, and the
//! filled file must pass `validate` with no error: valid by construction.

use std::io::{Cursor, Read};

use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};

use crate::util::clusterkpi;

fn template(cluster: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("template.xlsx");
    let run = clusterkpi(&["template", "--cluster", cluster, "-o", path.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    (dir, path)
}

/// The text of a cell, or "".
fn text(range: &calamine::Range<Data>, row: u32, col: u32) -> String {
    range.get_value((row, col)).map(|d| d.to_string()).unwrap_or_default()
}

/// `Sheet!$C$2:$C$9` → (sheet, first row, column, last row), 0-based.
fn parse_range(formula: &str) -> (String, u32, u32, u32) {
    let (sheet, cells) = formula.trim_start_matches('=').split_once('!').unwrap();
    let (a, b) = cells.split_once(':').unwrap();
    let cell = |s: &str| {
        let s = s.replace('$', "");
        let letters: String = s.chars().take_while(char::is_ascii_alphabetic).collect();
        let col = letters.bytes().fold(0u32, |n, b| n * 26 + u32::from(b - b'A' + 1)) - 1;
        let row: u32 = s[letters.len()..].parse().unwrap();
        (row - 1, col)
    };
    let ((r0, c), (r1, _)) = (cell(a), cell(b));
    (sheet.trim_matches('\'').to_owned(), r0, c, r1)
}

struct Template {
    /// (name, values) of every defined list.
    lists: Vec<(String, Vec<String>)>,
    /// The KPIs sheet: metadata and header rows as written.
    cluster: String,
    country: String,
    header: Vec<String>,
    header_row: u32,
    /// The data validations of the KPIs sheet, as XML.
    validations: String,
}

fn read_template(bytes: &[u8]) -> Template {
    let mut book: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes.to_vec())).unwrap();
    let names = book.defined_names().to_vec();
    let mut lists = Vec::new();
    for (name, formula) in names {
        let (sheet, r0, c, r1) = parse_range(&formula);
        let range = book.worksheet_range(&sheet).unwrap();
        lists.push((name, (r0..=r1).map(|r| text(&range, r, c)).collect()));
    }
    assert_eq!(book.sheet_names()[0], "KPIs", "the template opens on its KPIs sheet");
    let kpis = book.worksheet_range("KPIs").unwrap();
    let header_row = (0..10).find(|&r| text(&kpis, r, 0) == "year").expect("a header row starting with `year`");
    let header = (0..20).map(|c| text(&kpis, header_row, c)).take_while(|t| !t.is_empty()).collect();
    let (cluster, country) = (text(&kpis, 0, 1), text(&kpis, 1, 1));
    assert_eq!((text(&kpis, 0, 0).as_str(), text(&kpis, 1, 0).as_str()), ("Cluster:", "Country:"));
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes.to_vec())).unwrap();
    let mut validations = String::new();
    zip.by_name("xl/worksheets/sheet1.xml").unwrap().read_to_string(&mut validations).unwrap();
    Template { lists, cluster, country, header, header_row, validations }
}

fn list<'a>(t: &'a Template, name: &str) -> &'a [String] {
    &t.lists.iter().find(|(n, _)| n == name).unwrap_or_else(|| panic!("no list `{name}`")).1
}

/// The attribute `name` of the `<dataValidation>` whose formula is `formula`.
fn validation<'a>(xml: &'a str, formula: &str) -> &'a str {
    let at = xml.find(&format!("<formula1>{formula}</formula1>")).unwrap_or_else(|| panic!("no validation {formula}"));
    let start = xml[..at].rfind("<dataValidation ").unwrap();
    &xml[start..at]
}

/// A workbook laid out as the template (metadata block, header), holding `rows`.
fn filled(t: &Template, rows: &[Vec<(&str, String)>]) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet().set_name("KPIs").unwrap();
    sheet.write_string(0, 0, "Cluster:").unwrap();
    sheet.write_string(0, 1, &t.cluster).unwrap();
    sheet.write_string(1, 0, "Country:").unwrap();
    sheet.write_string(1, 1, &t.country).unwrap();
    for (c, h) in t.header.iter().enumerate() {
        sheet.write_string(t.header_row, c as u16, h).unwrap();
    }
    for (r, row) in rows.iter().enumerate() {
        let r = t.header_row + 1 + r as u32;
        for (field, v) in row {
            let c = t.header.iter().position(|h| h == field).unwrap() as u16;
            match (*field, v.parse::<f64>()) {
                ("year" | "value", Ok(n)) => sheet.write_number(r, c, n).unwrap(),
                _ => sheet.write_string(r, c, v).unwrap(),
            };
        }
    }
    book.save_to_buffer().unwrap()
}

fn validate(bytes: &[u8]) -> serde_json::Value {
    let (_dir, path) = crate::util::temp_file("filled.xlsx", bytes);
    let run = clusterkpi(&["validate", "--format", "json", path.to_str().unwrap()]);
    serde_json::from_str(&run.stdout).expect(&run.stderr)
}

#[test]
fn every_choice_the_dropdowns_offer_passes_validation() {
    let (_dir, path) = template("solent");
    check_every_choice(&std::fs::read(path).unwrap());
}

/// Solent's template `bytes`: its dropdowns, read back from the file, and every choice they
/// offer filled in and validated (also the browser test's check of a downloaded template).
pub(crate) fn check_every_choice(bytes: &[u8]) {
    let t = read_template(bytes);
    assert_eq!((t.cluster.as_str(), t.country.as_str()), ("The Solent Cluster", "GBR"));

    // The dropdowns: KPI from `kpis`, unit from the KPI's own list, scope and gas; whole years.
    let kpi_col = clusterkpi::diag::column_letters(t.header.iter().position(|h| h == "kpi").unwrap() as u32);
    assert!(validation(&t.validations, "kpis").contains(r#"type="list""#));
    let units = validation(&t.validations, &format!("INDIRECT(\"units_\"&amp;${kpi_col}{})", t.header_row + 2));
    assert!(units.contains(r#"type="list""#), "{units}");
    assert!(validation(&t.validations, "scopes").contains(r#"type="list""#));
    assert!(validation(&t.validations, "gases").contains(r#"type="list""#));
    let whole = t.validations.find(r#"type="whole""#).expect("a whole-number rule");
    let numbers: Vec<i32> = t.validations[whole..]
        .split("<formula")
        .skip(1)
        .take(2)
        .map(|f| f.split('>').nth(1).unwrap().split('<').next().unwrap().parse().unwrap())
        .collect();
    let years = numbers[0]..=numbers[1];
    assert!(years.contains(&2023), "{years:?}");

    // The unit list depends on the KPI: no energy unit for jobs, no headcount for energy.
    let kpis = list(&t, "kpis").to_vec();
    assert!(kpis.len() >= 8 && kpis.contains(&"jobs".to_owned()), "{kpis:?}");
    assert!(!list(&t, "units_jobs").contains(&"MWh".to_owned()));
    assert!(list(&t, "units_energy_consumption").contains(&"MWh".to_owned()));
    assert!(!list(&t, "units_energy_consumption").contains(&"jobs".to_owned()));
    assert!(list(&t, "units_gdp_contribution").contains(&"GBP million".to_owned()), "the cluster's own currency");

    // Fill in every (KPI, unit) in every year, every scope and every gas: each row its own key.
    let mut rows: Vec<Vec<(&str, String)>> = Vec::new();
    let mut site = 0;
    let mut row = |year: i32, kpi: &str, unit: &str, scope: &str, gas: &str| {
        site += 1;
        rows.push(vec![
            ("year", year.to_string()),
            ("kpi", kpi.to_owned()),
            ("value", "1234.5".to_owned()),
            ("unit", unit.to_owned()),
            ("scope", scope.to_owned()),
            ("gas", gas.to_owned()),
            ("facility", format!("Site {site}")),
        ]);
    };
    for kpi in &kpis {
        for unit in list(&t, &format!("units_{kpi}")) {
            for year in years.clone() {
                row(year, kpi, unit, "", "");
            }
        }
    }
    for scope in list(&t, "scopes") {
        row(*years.end(), "ghg_emissions", &list(&t, "units_ghg_emissions")[0], scope, "");
    }
    for gas in list(&t, "gases") {
        row(*years.end(), "ghg_emissions", &list(&t, "units_ghg_emissions")[0], "", gas);
    }
    let n = rows.len();
    let doc = validate(&filled(&t, &rows));
    let file = &doc["files"][0];
    let errors: Vec<&serde_json::Value> =
        file["findings"].as_array().unwrap().iter().filter(|f| f["severity"] == "error").collect();
    assert!(errors.is_empty(), "{errors:#?}");
    assert_eq!((file["rows_read"].as_u64(), file["rows_accepted"].as_u64()), (Some(n as u64), Some(n as u64)));

    // A unit the dropdown would not offer for the KPI is refused: the lists matter.
    let wrong = vec![vec![
        ("year", "2023".to_owned()),
        ("kpi", "jobs".to_owned()),
        ("value", "10".to_owned()),
        ("unit", "MWh".to_owned()),
    ]];
    let doc = validate(&filled(&t, &wrong));
    assert_eq!(doc["files"][0]["findings"][0]["code"], "E_UNIT_DIMENSION", "{doc}");
}

#[test]
fn a_blank_template_is_a_file_with_nothing_wrong() {
    let (_dir, path) = template("Port of Rotterdam");
    let run = clusterkpi(&["validate", "--format", "json", path.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let findings = doc["files"][0]["findings"].as_array().unwrap();
    assert!(findings.iter().all(|f| f["severity"] == "info"), "{findings:#?}");
    assert_eq!(doc["files"][0]["rows_read"], 0);
}

#[test]
fn an_unknown_cluster_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("t.xlsx");
    let run = clusterkpi(&["template", "--cluster", "Atlantis", "-o", out.to_str().unwrap()]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("`Atlantis` is not a cluster of the registry"), "{}", run.stderr);
    assert!(!out.exists());
}
