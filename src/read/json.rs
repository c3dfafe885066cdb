//! JSON documents and JSON Lines through serde_json.
//!
//! A `.json` file is parsed whole; its shape (a submission document or an array of records) is
//! recognized by the map stage. A `.jsonl`/`.ndjson` file is parsed line by line: a line that is
//! not valid JSON is kept as an error for that line, so the lines around it are still read.

use super::{Content, JsonLine, ReadError, utf8_text};

pub(super) fn read_document(bytes: &[u8]) -> Result<Content, ReadError> {
    let text = utf8_text(bytes, "JSON")?;
    let value = serde_json::from_str(text).map_err(|source| ReadError::Json {
        line: source.line(),
        column: source.column(),
        source,
    })?;
    Ok(Content::Json(value))
}

pub(super) fn read_lines(bytes: &[u8]) -> Result<Content, ReadError> {
    let text = utf8_text(bytes, "JSON Lines")?;
    let lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| JsonLine { line: i as u64 + 1, value: serde_json::from_str(l).map_err(|e| without_line(&e)) })
        .collect();
    Ok(Content::JsonLines(lines))
}

/// A JSON Lines error without serde's "at line 1": the line is the file's, reported separately.
fn without_line(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.rsplit_once(" at line ") {
        Some((message, _)) => format!("{message} at column {}", e.column()),
        None => text,
    }
}
