//! JSON documents and JSON Lines through serde_json.
//!
//! A `.json` file is parsed whole; its shape (a submission document or an array of records) is
//! recognized by the map stage. A `.jsonl`/`.ndjson` file is parsed line by line: a line that is
//! not valid JSON is kept as an error for that line, so the lines around it are still read.
//!
//! Before parsing, one pass over the bytes checks the nesting depth and the length of every
//! string against the limits, so a document nested 100,000 deep or a 64 MB string is refused
//! before serde_json builds anything.
//!
//! The same pass finds the numbers a 64-bit float cannot hold (`1e400`, which serde_json
//! refuses, failing the whole file; `1e-400`, which it reads as 0): such a number is handed on as
//! a string of its text, so that the record holding it is rejected with `E_VALUE_NOT_NUMBER` at
//! its own pointer and the rest of the file is read (see [`crate::number`]). A number is never
//! silently changed, and serde_json's `arbitrary_precision` feature is not needed for it.

use std::ops::Range;

use serde::de::IgnoredAny;
use serde_json::Value;

use super::{Content, Exceeded, JsonLine, Limits, ReadError, utf8_text};
use crate::number::{NumberError, plain};

pub(super) fn read_document(bytes: &[u8], limits: &Limits) -> Result<Content, ReadError> {
    let text = utf8_text(bytes, "JSON")?;
    let numbers = scan(text, limits, None)?;
    let value = parse(text, &numbers).map_err(|source| {
        let (line, column) = super::lines::position(text.as_bytes(), source.line(), source.column());
        ReadError::Json { line, column, source }
    })?;
    Ok(Content::Json(value))
}

pub(super) fn read_lines(bytes: &[u8], limits: &Limits) -> Result<Content, ReadError> {
    let text = utf8_text(bytes, "JSON Lines")?;
    let mut lines = Vec::new();
    for (i, l) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let line = i as u64 + 1;
        let numbers = scan(l, limits, Some(line))?;
        Limits::check("rows", "the file's lines", lines.len() as u64 + 1, limits.rows)?;
        lines.push(JsonLine { line, value: parse(l, &numbers).map_err(|e| without_line(&e)) });
    }
    Ok(Content::JsonLines(lines))
}

/// Parse a JSON text whose numbers at the byte ranges `numbers` are out of range: each is read
/// as a string of its text. Its syntax is checked first on the text as written (serde_json
/// skips a value it ignores without computing it, so an out-of-range number is no error
/// there): a syntax error names the position in the file, and a text that is only valid with
/// its numbers quoted (`{1e400: 1}`) stays invalid.
fn parse(text: &str, numbers: &[Range<usize>]) -> Result<Value, serde_json::Error> {
    if numbers.is_empty() {
        return serde_json::from_str(text);
    }
    serde_json::from_str::<IgnoredAny>(text)?;
    let mut quoted = String::with_capacity(text.len() + 2 * numbers.len());
    let mut done = 0;
    for r in numbers {
        quoted.push_str(&text[done..r.start]);
        quoted.push('"');
        quoted.push_str(&text[r.clone()]);
        quoted.push('"');
        done = r.end;
    }
    quoted.push_str(&text[done..]);
    serde_json::from_str(&quoted)
}

/// The length of the number that starts at `text[start]`, and whether it is a JSON number a
/// 64-bit float cannot hold. Only a number with an exponent or of more than 300 characters can
/// be: 300 characters without an exponent lie between 1e-298 and 1e300.
fn out_of_range(text: &str, start: usize) -> (usize, bool) {
    let len = text.as_bytes()[start..]
        .iter()
        .position(|b| !matches!(b, b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E'))
        .unwrap_or(text.len() - start);
    let token = &text[start..start + len];
    let may_be = token.contains(['e', 'E']) || len > 300;
    (len, may_be && json_number(token) && matches!(plain(token), Err(NumberError::OutOfRange(_))))
}

/// `token` is a number by JSON's grammar: `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`.
fn json_number(token: &str) -> bool {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let t = token.strip_prefix('-').unwrap_or(token);
    let (mantissa, exponent) = match t.find(['e', 'E']) {
        Some(i) => (&t[..i], Some(&t[i + 1..])),
        None => (t, None),
    };
    let (int, frac) = match mantissa.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (mantissa, None),
    };
    digits(int)
        && (int == "0" || !int.starts_with('0'))
        && frac.is_none_or(digits)
        && exponent.is_none_or(|e| digits(e.strip_prefix(['+', '-']).unwrap_or(e)))
}

/// The nesting depth and string lengths of a JSON text against the limits, and the byte ranges
/// of its numbers that are out of range, in one pass that allocates nothing for a text with
/// none. Malformed JSON passes: the parser says what is wrong with it.
fn scan(text: &str, limits: &Limits, line: Option<u64>) -> Result<Vec<Range<usize>>, Exceeded> {
    let at = |offset: usize| {
        let n = line.unwrap_or_else(|| super::lines::line_at(text.as_bytes(), offset));
        format!("line {n}")
    };
    let string = |start: usize, end: usize| match end - start > limits.field_bytes() {
        true => Err(too_long(limits, &at(start))),
        false => Ok(()),
    };
    let bytes = text.as_bytes();
    let (mut depth, mut numbers, mut i) = (0u64, Vec::new(), 0usize);
    while let Some(&b) = bytes.get(i) {
        match b {
            b'"' => {
                // A string, to its closing quote: its text is skipped to the next quote or
                // escape, each escape with the character it escapes.
                let start = i + 1;
                let mut at = start;
                let end = loop {
                    match memchr::memchr2(b'"', b'\\', bytes.get(at..).unwrap_or_default()) {
                        Some(k) if bytes[at + k] == b'\\' => at += k + 2,
                        Some(k) => break at + k,
                        None => return string(start, text.len()).map(|()| numbers),
                    }
                };
                string(start, end)?;
                i = end + 1;
                continue;
            }
            b'[' | b'{' => {
                depth += 1;
                if depth > limits.json_depth {
                    return Err(too_deep(limits, &at(i)));
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            b'-' | b'0'..=b'9' => {
                let (len, out) = out_of_range(text, i);
                if out {
                    numbers.push(i..i + len);
                }
                i += len;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    Ok(numbers)
}

/// A string over the limit, at `at` (`line 4`).
fn too_long(limits: &Limits, at: &str) -> Exceeded {
    let kb = limits.field_kb;
    Exceeded::new("field_kb", format!("a string at {at}"), format!("more than {kb} KiB"), format!("{kb} KiB"))
}

/// Arrays and objects nested over the limit, at `at`.
fn too_deep(limits: &Limits, at: &str) -> Exceeded {
    let what = format!("the nesting of arrays and objects at {at}");
    Exceeded::new("json_depth", what, format!("more than {}", limits.json_depth), limits.json_depth)
}

/// A JSON Lines error without serde's "at line 1": the line is the file's, reported separately.
fn without_line(e: &serde_json::Error) -> String {
    format!("{} at column {}", without_position(e), e.column())
}

/// serde_json's message without the position it ends with (` at line 4 column 30`).
pub(super) fn without_position(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.rsplit_once(" at line ") {
        Some((message, _)) => message.to_owned(),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn document(text: &str) -> Result<Value, String> {
        match read_document(text.as_bytes(), &Limits::default()) {
            Ok(Content::Json(v)) => Ok(v),
            Ok(other) => panic!("a document gives a document: {other:?}"),
            Err(e) => Err(e.to_string()),
        }
    }

    #[test]
    fn numbers_out_of_range_are_handed_on_as_their_text() {
        let text =
            r#"{"a": [1e400, 1e-400, -1E-400, 1e99999999999, 1.5e3, 2, -0.0e-999, 0.5], "s": "1e400", "e": "\"1e400"}"#;
        let want = json!({
            "a": ["1e400", "1e-400", "-1E-400", "1e99999999999", 1500.0, 2, -0.0, 0.5],
            "s": "1e400",
            "e": "\"1e400",
        });
        assert_eq!(document(text), Ok(want));
        // A number of 400 digits overflows without an exponent.
        let big = format!("[1{}]", "0".repeat(400));
        assert_eq!(document(&big), Ok(json!([&big[1..big.len() - 1]])));
    }

    /// A syntax error is placed where an editor shows it, whatever ends the lines: serde_json
    /// counts `\n` alone, so a file of lone `\r` is one line to it, and its own position is
    /// left out of the message.
    #[test]
    fn a_syntax_error_is_placed_as_an_editor_shows_it() {
        let text =
            "{\r  \"cluster\": \"humber\",\r  \"observations\": [\r    {\"kpi\": \"jobs\", \"value\": ]\r  ]\r}\r";
        for text in [text.to_owned(), text.replace('\r', "\n"), text.replace('\r', "\r\n")] {
            let e = read_document(text.as_bytes(), &Limits::default()).map(|_| ()).expect_err("malformed");
            assert_eq!(e.describe().1, "the JSON is malformed at line 4, column 30: expected value", "{text:?}");
        }
    }

    #[test]
    fn numbers_out_of_range_leave_syntax_errors_where_they_are_written() {
        // `x` is at column 25 as written; quoting the two numbers before it moves it to 29.
        let e = document(r#"{"a": [1e400, 1e-400, 2 x]}"#).expect_err("malformed");
        assert!(e.starts_with("the JSON is malformed at line 1, column 25"), "{e}");
        // A number is never a key, quoted or not.
        assert!(document(r#"{1e400: 1}"#).is_err());
        assert!(document(r#"[1e400 1]"#).is_err());
        // Not JSON numbers: passed to serde_json as written, which refuses them.
        assert!(document(r#"[01e400]"#).is_err());
        assert!(document(r#"[1.e400]"#).is_err());
    }

    #[test]
    fn json_lines_numbers_out_of_range_are_handed_on_as_their_text() {
        let text = "{\"value\": 1e-400}\n{\"value\": 1e400, x}\n{\"value\": 12}\n";
        let Ok(Content::JsonLines(lines)) = read_lines(text.as_bytes(), &Limits::default()) else {
            panic!("JSON Lines read");
        };
        assert_eq!(lines[0].value, Ok(json!({"value": "1e-400"})));
        // `x`, the 18th character as written (20th once `1e400` is quoted).
        assert_eq!(lines[1].value, Err("key must be a string at column 18".to_owned()));
        assert_eq!(lines[2].value, Ok(json!({"value": 12})));
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig {
            cases: 2000, failure_persistence: None, ..Default::default()
        })]

        /// The reader hands on as text exactly the numbers the value parser refuses as out of
        /// range.
        #[test]
        fn out_of_range_numbers_are_those_the_value_parser_refuses(
            token in "-?(0|[1-9][0-9]{0,20})(\\.[0-9]{1,20})?([eE][+-]?(0{0,3}[0-9]{1,3}|[0-9]{10,25}))?",
        ) {
            proptest::prop_assert!(json_number(&token), "{}", token);
            let refused = matches!(plain(&token), Err(NumberError::OutOfRange(_)));
            proptest::prop_assert_eq!(out_of_range(&token, 0), (token.len(), refused), "{}", token);
        }

        /// The scan that skips a string's text to its next quote or escape finds what reading
        /// every byte finds: the same numbers, and the same string or nesting over its limit.
        #[test]
        fn the_scan_is_the_byte_by_byte_scan(text in "[\\[\\]{}\"\\\\ ane1.-]{0,40}", depth in 1u64..4, field_kb in 0u64..2) {
            let limits = Limits { json_depth: depth, field_kb, ..Limits::default() };
            // `a` a long text, `n` a number out of range.
            let text = text.replace('a', &"a".repeat(600)).replace('n', "1e400");
            let got = scan(&text, &limits, None).map_err(|e| e.to_string());
            proptest::prop_assert_eq!(got, byte_by_byte(&text, &limits).map_err(|e| e.to_string()), "{}", text);
        }
    }

    /// [`scan`] as it was first written, reading every byte: the reference of the test above.
    fn byte_by_byte(text: &str, limits: &Limits) -> Result<Vec<Range<usize>>, Exceeded> {
        let at = |i: usize| format!("line {}", crate::read::lines::line_at(text.as_bytes(), i));
        let string = |start: usize, end: usize| match end - start > limits.field_bytes() {
            true => Err(too_long(limits, &at(start))),
            false => Ok(()),
        };
        let (mut depth, mut in_string, mut escaped, mut start) = (0u64, false, false, 0usize);
        let (mut numbers, mut past_number) = (Vec::new(), 0usize);
        for (i, &b) in text.as_bytes().iter().enumerate() {
            if i < past_number {
                continue;
            }
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
                        return Err(too_deep(limits, &at(i)));
                    }
                }
                b']' | b'}' => depth = depth.saturating_sub(1),
                b'-' | b'0'..=b'9' => {
                    let (len, out) = out_of_range(text, i);
                    if out {
                        numbers.push(i..i + len);
                    }
                    past_number = i + len;
                }
                _ => {}
            }
        }
        if in_string { string(start, text.len()) } else { Ok(()) }.map(|()| numbers)
    }

    #[test]
    fn json_number_grammar() {
        for t in ["0", "-0", "1e400", "-1.5E-3", "10.25e+7", "0.0"] {
            assert!(json_number(t), "{t}");
        }
        for t in ["", "-", "01", "1.", ".5", "+1", "1e", "1e+", "1.e5", "1-2", "1e5e5", "--1"] {
            assert!(!json_number(t), "{t}");
        }
    }
}
