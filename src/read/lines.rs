//! Physical lines of a text file, as editors count them and the csv crate ends records: a line
//! ends at `\n`, at `\r\n` (one break), or at a `\r` alone (classic Mac OS, and Excel's "CSV
//! (Macintosh)"). Every line number clusterkpi reports in a text file is counted here (JSON
//! Lines are lines ended by `\n`, as the format says): a JSON syntax error's position, which
//! serde_json counts by `\n` alone, is turned into the line and column an editor shows.

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

/// The line and 1-based column an editor shows for a position given as serde_json gives it: a
/// line counted by `\n` alone and a 1-based byte column in it. Unchanged in a text with no lone
/// `\r`, where the two agree.
pub(crate) fn position(text: &[u8], line: usize, column: usize) -> (usize, usize) {
    if !memchr::memchr_iter(b'\r', text).any(|i| ends_line(text, i)) {
        return (line, column);
    }
    // Line `line` starts after the `line - 1`-th `\n`.
    let start = match line.checked_sub(2) {
        Some(n) => memchr::memchr_iter(b'\n', text).nth(n).map_or(text.len(), |i| i + 1),
        None => 0,
    };
    let offset = (start + column.saturating_sub(1)).min(text.len());
    let line_start = text[..offset].iter().rposition(|&b| matches!(b, b'\n' | b'\r')).map_or(0, |i| i + 1);
    (usize::try_from(line_at(text, offset)).unwrap_or(usize::MAX), offset - line_start + 1)
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

    #[test]
    fn a_parsers_position_is_the_editors() {
        // Lines of lone `\r`: serde_json sees one line; `]` is on line 3, column 8.
        let text = b"{\r  \"a\": 1,\r  \"b\": ]\r}";
        let at = text.iter().position(|&b| b == b']').unwrap();
        assert_eq!(position(text, 1, at + 1), (3, 8));
        // The same with `\n` or `\r\n`: serde_json's position is already the editor's.
        assert_eq!(position(b"{\n  \"b\": ]\n}", 2, 8), (2, 8));
        assert_eq!(position(b"{\r\n  \"b\": ]\r\n}", 2, 8), (2, 8));
        // Mixed: a `\n` line, then lone `\r`s inside serde_json's second line.
        let text = b"{\n\"a\": 1,\r\"b\": ]}";
        let at = text.iter().position(|&b| b == b']').unwrap();
        assert_eq!(position(text, 2, at - 1), (3, 6));
    }
}
