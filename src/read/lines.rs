//! Physical lines of a text file, as editors count them and the csv crate ends records: a line
//! ends at `\n`, at `\r\n` (one break), or at a `\r` alone (classic Mac OS, and Excel's "CSV
//! (Macintosh)"). The lines of CSV records, of JSON limit errors and of encoding errors are
//! counted here; a JSON syntax error's line is serde_json's, which counts `\n` only, and JSON
//! Lines are lines ended by `\n`.

/// Whether the byte at `i` of `text` ends a line: a `\n`, or a `\r` not followed by `\n`.
pub(crate) fn ends_line(text: &[u8], i: usize) -> bool {
    match text.get(i) {
        Some(b'\n') => true,
        Some(b'\r') => text.get(i + 1) != Some(&b'\n'),
        _ => false,
    }
}

/// The lines that end in `text[from..to]` (a `\r\n` cut at `to` counts as the `\n` after it).
pub(crate) fn ended(text: &[u8], from: usize, to: usize) -> u64 {
    let part = &text[from..to];
    let feeds = memchr::memchr_iter(b'\n', part).count();
    let returns = memchr::memchr_iter(b'\r', part).filter(|&i| ends_line(text, from + i)).count();
    (feeds + returns) as u64
}

/// The 1-based line of the byte at `offset`.
pub(crate) fn line_at(text: &[u8], offset: usize) -> u64 {
    1 + ended(text, 0, offset.min(text.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_convention_ends_a_line_once() {
        // `a` ends line 1 with `\n`, `b` line 2 with `\r\n`, `c` and `d` lines 3 and 4 with a
        // lone `\r`, line 5 is empty (`\r\n`); `x` is on line 6.
        let text = b"a\nb\r\nc\rd\r\r\nx";
        assert_eq!(line_at(text, 0), 1);
        assert_eq!(line_at(text, 2), 2, "after `\\n`");
        assert_eq!(line_at(text, 3), 2, "at the `\\r` of `\\r\\n`");
        assert_eq!(line_at(text, 4), 2, "between `\\r` and `\\n`");
        assert_eq!(line_at(text, 5), 3, "after `\\r\\n`");
        assert_eq!(line_at(text, 7), 4, "after a lone `\\r`");
        assert_eq!(line_at(text, text.len() - 1), 6);
        assert_eq!(ended(text, 0, text.len()), 5);
        assert_eq!((0..text.len()).filter(|&i| ends_line(text, i)).count(), 5);
    }
}
