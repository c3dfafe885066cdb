//! JSON documents and JSON Lines through serde_json.
//!
//! A `.json` file is parsed whole; its shape (a submission document or an array of records) is
//! recognized by the map stage. A `.jsonl`/`.ndjson` file is parsed line by line: a line that is
//! not valid JSON is kept as an error for that line, so the lines around it are still read.
//!
//! Before parsing, one pass over the bytes checks the nesting depth and the length of every
//! string against the limits, so a document nested 100,000 deep or a 64 MB string is refused
//! before serde_json builds anything.

use super::{Content, Exceeded, JsonLine, Limits, ReadError, utf8_text};

pub(super) fn read_document(bytes: &[u8], limits: &Limits) -> Result<Content, ReadError> {
    let text = utf8_text(bytes, "JSON")?;
    scan(text, limits, None)?;
    let value = serde_json::from_str(text).map_err(|source| ReadError::Json {
        line: source.line(),
        column: source.column(),
        source,
    })?;
    Ok(Content::Json(value))
}

pub(super) fn read_lines(bytes: &[u8], limits: &Limits) -> Result<Content, ReadError> {
    let text = utf8_text(bytes, "JSON Lines")?;
    let mut lines = Vec::new();
    for (i, l) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let line = i as u64 + 1;
        scan(l, limits, Some(line))?;
        Limits::check("rows", "the file's lines", lines.len() as u64 + 1, limits.rows)?;
        lines.push(JsonLine { line, value: serde_json::from_str(l).map_err(|e| without_line(&e)) });
    }
    Ok(Content::JsonLines(lines))
}

/// The nesting depth and string lengths of a JSON text against the limits, in one pass that
/// allocates nothing. Malformed JSON passes: the parser says what is wrong with it.
fn scan(text: &str, limits: &Limits, line: Option<u64>) -> Result<(), Exceeded> {
    let at = |offset: usize| {
        let n = line.unwrap_or_else(|| 1 + text.as_bytes()[..offset].iter().filter(|&&b| b == b'\n').count() as u64);
        format!("line {n}")
    };
    let string = |start: usize, end: usize| {
        if end - start > limits.field_bytes() {
            let kb = limits.field_kb;
            return Err(Exceeded::new(
                "field_kb",
                format!("a string at {}", at(start)),
                format!("more than {kb} KiB"),
                format!("{kb} KiB"),
            ));
        }
        Ok(())
    };
    let (mut depth, mut in_string, mut escaped, mut start) = (0u64, false, false, 0usize);
    for (i, &b) in text.as_bytes().iter().enumerate() {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
                string(start, i)?;
            }
            continue;
        }
        match b {
            b'"' => (in_string, start) = (true, i + 1),
            b'[' | b'{' => {
                depth += 1;
                if depth > limits.json_depth {
                    let what = format!("the nesting of arrays and objects at {}", at(i));
                    return Err(Exceeded::new(
                        "json_depth",
                        what,
                        format!("more than {}", limits.json_depth),
                        limits.json_depth,
                    ));
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    if in_string { string(start, text.len()) } else { Ok(()) }
}

/// A JSON Lines error without serde's "at line 1": the line is the file's, reported separately.
fn without_line(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.rsplit_once(" at line ") {
        Some((message, _)) => format!("{message} at column {}", e.column()),
        None => text,
    }
}
