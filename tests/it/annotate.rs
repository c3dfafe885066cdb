//! `clusterkpi annotate`: the coordinator's values as an xlsx, each offending cell filled and
//! noted, after a sheet listing every finding with a link to its cell. Read back with calamine
//! (values) and from the package's XML (fills, notes, links), against `validate`'s findings.

use std::io::{Cursor, Read};

use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};

use crate::util::{clusterkpi, root, temp_file};

pub(crate) struct Annotated {
    pub(crate) bytes: Vec<u8>,
    code: i32,
}

pub(crate) fn annotate(file: &std::path::Path) -> Annotated {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("checked.xlsx");
    let run = clusterkpi(&["annotate", file.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    assert!(run.stdout.contains("checked.xlsx: "), "{}{}", run.stdout, run.stderr);
    Annotated { bytes: std::fs::read(&out).unwrap(), code: run.code }
}

fn part(bytes: &[u8], name: &str) -> String {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes.to_vec())).unwrap();
    let mut text = String::new();
    zip.by_name(name).unwrap_or_else(|_| panic!("no part {name}")).read_to_string(&mut text).unwrap();
    text
}

/// The notes of the package: (cell, text), over every comments part.
pub(crate) fn notes(bytes: &[u8]) -> Vec<(String, String)> {
    let zip = zip::ZipArchive::new(Cursor::new(bytes.to_vec())).unwrap();
    let parts: Vec<String> =
        zip.file_names().flatten().filter(|n| n.starts_with("xl/comments")).map(|n| n.into_owned()).collect();
    let mut out = Vec::new();
    for p in parts {
        let xml = part(bytes, &p);
        for c in xml.split("<comment ref=\"").skip(1) {
            let cell = c.split('"').next().unwrap().to_owned();
            let text: String = c
                .split("<t")
                .skip(1)
                .filter_map(|t| t.split_once('>').map(|x| x.1))
                .map(|t| t.split("</t>").next().unwrap())
                .collect();
            out.push((cell, text));
        }
    }
    out
}

fn validate_codes(file: &std::path::Path) -> Vec<String> {
    let run = clusterkpi(&["validate", "--format", "json", file.to_str().unwrap()]);
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    doc["files"][0]["findings"].as_array().unwrap().iter().map(|f| f["code"].as_str().unwrap().to_owned()).collect()
}

fn sheet(bytes: &[u8], name: &str) -> calamine::Range<Data> {
    let mut book: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes.to_vec())).unwrap();
    book.worksheet_range(name).unwrap()
}

fn text(range: &calamine::Range<Data>, cell: (u32, u32)) -> String {
    range.get_value(cell).map(|d| d.to_string()).unwrap_or_default()
}

#[test]
fn a_csv_becomes_its_lines_with_each_offending_cell_noted_and_linked() {
    let file = root().join("tests/fixtures/cli/mistakes.csv");
    let a = annotate(&file);
    assert_eq!(a.code, 1, "validate's status: the file has errors");
    let book: Xlsx<_> = open_workbook_from_rs(Cursor::new(a.bytes.clone())).unwrap();
    assert_eq!(book.sheet_names(), ["Findings", "mistakes"]);

    // The first sheet lists every finding validate reports, in its order.
    let list = sheet(&a.bytes, "Findings");
    let codes: Vec<String> = (2..list.height() as u32).map(|r| text(&list, (r, 1))).collect();
    assert_eq!(codes, validate_codes(&file));

    // Line 2 holds `twelve` as its value: row 2, column E, filled, with a note and a link.
    let values = sheet(&a.bytes, "mistakes");
    assert_eq!(text(&values, (1, 4)), "twelve");
    let line_one: Vec<String> =
        std::fs::read_to_string(&file).unwrap().lines().next().unwrap().split(',').map(str::to_owned).collect();
    assert_eq!((0..line_one.len() as u32).map(|c| text(&values, (0, c))).collect::<Vec<_>>(), line_one);
    let noted = notes(&a.bytes);
    let e2 = noted.iter().find(|(c, _)| c == "E2").expect("a note on E2");
    assert!(e2.1.contains("E_VALUE_NOT_NUMBER") && e2.1.contains("How to fix: write a number"), "{e2:?}");
    let links = part(&a.bytes, "xl/worksheets/sheet1.xml");
    assert!(links.contains(r#"location="'mistakes'!E2""#), "{links}");
    let cells = part(&a.bytes, "xl/worksheets/sheet2.xml");
    let e2_cell = cells.split("<c r=\"E2\"").nth(1).unwrap();
    assert!(e2_cell.split('>').next().unwrap().contains(" s=\""), "E2 has a fill: {e2_cell}");
    let a3 = cells.split("<c r=\"A3\"").nth(1).unwrap();
    assert!(!a3.split('>').next().unwrap().contains(" s=\""), "line 3 is accepted, not filled: {a3}");
}

#[test]
fn a_workbook_keeps_its_cell_references() {
    let file = root().join("sample_data/ohio-clean-hydrogen-hub.xlsx");
    let a = annotate(&file);
    let noted = notes(&a.bytes);
    assert_eq!(noted.len(), 1, "{noted:?}");
    assert_eq!(noted[0].0, "E14", "the `#N/A` of KPIs!E14 is noted at E14");
    assert!(noted[0].1.contains("E_CELL_ERROR"));
    assert_eq!(text(&sheet(&a.bytes, "KPIs"), (13, 4)), "#N/A");
}

#[test]
fn a_json_document_becomes_its_pointers_and_values() {
    let file = root().join("tests/fixtures/cli/mistakes.json");
    let a = annotate(&file);
    let json = sheet(&a.bytes, "JSON");
    assert_eq!((text(&json, (0, 0)), text(&json, (0, 1))), ("pointer".to_owned(), "value".to_owned()));
    let noted = notes(&a.bytes);
    let errors = validate_codes(&file).iter().filter(|c| c.starts_with("E_")).count();
    assert!(noted.len() >= errors.min(1) && !noted.is_empty(), "{noted:?}");
    // Each note sits on a value whose pointer is the finding's.
    for (cell, _) in &noted {
        let row: u32 = cell[1..].parse::<u32>().unwrap() - 1;
        assert!(text(&json, (row, 0)).starts_with('/'), "{cell}");
    }
}

#[test]
fn text_stays_text_and_an_unreadable_file_still_gets_its_findings() {
    let (_dir, path) = temp_file(
        "hostile.csv",
        b"cluster,country,year,kpi,value,unit,notes\nSolent,GBR,2023,jobs,<script>alert(1)</script>,jobs,=HYPERLINK(\"http://x\")\n",
    );
    let a = annotate(&path);
    let values = sheet(&a.bytes, "hostile");
    assert_eq!(text(&values, (1, 4)), "<script>alert(1)</script>");
    assert_eq!(text(&values, (1, 6)), "=HYPERLINK(\"http://x\")");
    assert!(!part(&a.bytes, "xl/worksheets/sheet2.xml").contains("<f>"), "no formula is written");

    let broken = annotate(&root().join("tests/fixtures/cli/truncated.xlsx"));
    assert_eq!(broken.code, 1);
    let book: Xlsx<_> = open_workbook_from_rs(Cursor::new(broken.bytes.clone())).unwrap();
    assert_eq!(book.sheet_names(), ["Findings"]);
    assert_eq!(text(&sheet(&broken.bytes, "Findings"), (2, 1)), "E_FILE_UNREADABLE");
}
