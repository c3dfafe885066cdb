//! `validate --format html`: one self-contained page with each file's summary, its findings
//! grouped by sheet, each sheet as a grid with the offending cells highlighted, and its
//! figures. Checked against `validate --format json` of the same files, and for escaping.

use crate::util::{clusterkpi, temp_file};

fn html(paths: &[&str]) -> (String, i32) {
    let mut args = vec!["validate", "--format", "html"];
    args.extend_from_slice(paths);
    let run = clusterkpi(&args);
    (run.stdout, run.code)
}

fn json(paths: &[&str]) -> serde_json::Value {
    let mut args = vec!["validate", "--format", "json"];
    args.extend_from_slice(paths);
    serde_json::from_str(&clusterkpi(&args).stdout).unwrap()
}

/// The text between `start` and the next `end` after it, for every occurrence.
fn between<'a>(page: &'a str, start: &str, end: &str) -> Vec<&'a str> {
    page.split(start).skip(1).filter_map(|s| s.split(end).next()).collect()
}

#[test]
fn the_page_lists_every_finding_and_highlights_every_offending_cell() {
    let files = ["tests/fixtures/cli/mistakes.csv", "sample_data/ohio-clean-hydrogen-hub.xlsx"];
    let (page, code) = html(&files);
    assert_eq!(code, 1, "validate's status");
    assert!(page.starts_with("<!doctype html>") && page.trim_end().ends_with("</html>"));
    // Self-contained: no file is fetched.
    assert!(!page.contains(" src=\"") && !page.contains("<link "), "nothing linked");

    let doc = json(&files);
    let mut all = 0;
    for file in doc["files"].as_array().unwrap() {
        let name = file["file"].as_str().unwrap();
        assert!(page.contains(&format!("{name} <span class=\"status")), "a section for {name}");
        for f in file["findings"].as_array().unwrap() {
            let code = f["code"].as_str().unwrap();
            assert!(page.contains(&format!("[{code}]")), "{code} listed");
            all += 1;
        }
        let rows = file["rows_read"].as_u64().unwrap();
        assert!(page.contains(&format!("{rows} rows read")), "{name}'s summary");
    }
    let listed = between(&page, "<li class=\"", "\"").len();
    assert_eq!(listed, all, "one list item a finding");

    // The `#N/A` of KPIs!E14 is a highlighted cell with its finding, linked from the list.
    let cell = page.split("<td id=\"").find(|c| c.contains(">#N/A</td>")).expect("the #N/A cell is highlighted");
    assert!(
        cell.contains("class=\"error\"") && cell.contains("E_CELL_ERROR") && cell.contains("tabindex=\"0\""),
        "{cell}"
    );
    let id = cell.split('"').next().unwrap();
    assert!(page.contains(&format!("href=\"#{id}\">KPIs!E14</a>")), "the finding links to its cell");
    // Line 2's `twelve` is the highlighted cell of the CSV's value column.
    assert!(page.contains("title=\"E_VALUE_NOT_NUMBER: value `twelve` is text, not a number\" tabindex=\"0\""));
    // The accepted figures, in canonical units.
    assert!(page.contains("<td class=\"num\">9,072,600,000</td><td>USD</td>"), "Ohio's 2022 GDP in USD");
}

#[test]
fn every_value_from_a_file_is_escaped() {
    let (_dir, path) = temp_file(
        "hostile<b>.csv",
        b"cluster,country,year,kpi,value,unit,notes\nSolent,GBR,2023,jobs,<script>alert(1)</script>,jobs,\"<img src=x onerror=alert(2)>\"\n",
    );
    let (page, _) = html(&[path.to_str().unwrap()]);
    assert!(!page.contains("<script>alert"), "no script from the file");
    assert!(!page.contains("<img src=x"), "no element from the file");
    assert!(!page.contains("hostile<b>"), "the file name is escaped too");
    assert!(
        page.contains("&#60;script&#62;alert(1)&#60;/script&#62;")
            || page.contains("&lt;script&gt;alert(1)&lt;/script&gt;")
    );
    // The page's own script is the only one.
    assert_eq!(page.matches("<script>").count(), 1);
}

#[test]
fn a_large_sheet_shows_its_first_rows_and_the_rows_with_findings() {
    let mut csv = String::from("cluster,country,year,kpi,value,unit,facility\n");
    for i in 0..1000 {
        let value = if i == 700 { "lots".to_owned() } else { (1000 + i).to_string() };
        csv.push_str(&format!("Solent,GBR,2023,jobs,{value},jobs,Site {i}\n"));
    }
    let (_dir, path) = temp_file("long.csv", csv.as_bytes());
    let (page, _) = html(&[path.to_str().unwrap()]);
    assert!(page.contains(">lots</td>"), "the row with a finding is shown");
    assert!(!page.contains(">1500</td>"), "a row without findings past the first is not");
    assert!(page.contains("rows without findings are not shown"));
}
