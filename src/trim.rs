//! Whitespace trimming, exactly as [`str::trim`] does it (Unicode `White_Space`), but without
//! decoding a character when the text starts and ends in an ASCII byte that is not whitespace:
//! nearly every cell does, and a run trims each of its cells several times.

/// `text` without leading and trailing whitespace: the same slice [`str::trim`] gives.
#[inline]
pub fn trim(text: &str) -> &str {
    match text.as_bytes() {
        [] => text,
        [first, .., last] | [first @ last] if kept(*first) && kept(*last) => text,
        _ => text.trim(),
    }
}

/// Whether `text` is empty or only whitespace: `trim(text).is_empty()`.
#[inline]
pub fn is_blank(text: &str) -> bool {
    trim(text).is_empty()
}

/// An ASCII byte that is not whitespace. The ASCII whitespace of `char::is_whitespace` is tab,
/// line feed, vertical tab, form feed, carriage return and space (the vertical tab is not
/// `u8::is_ascii_whitespace`'s); any byte of 0x80 or more is part of a character that may be.
#[inline]
fn kept(b: u8) -> bool {
    b < 0x80 && !matches!(b, b'\t'..=b'\r' | b' ')
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every character that is whitespace or not, alone, before, after and on both sides of a
    /// word: the fast path gives what `str::trim` gives.
    #[test]
    fn trims_as_str_trim_does() {
        let mut samples = vec![String::new(), "a".to_owned(), "12.5".to_owned()];
        for c in (0u32..0x3100).filter_map(char::from_u32) {
            for s in [c.to_string(), format!("{c}x"), format!("x{c}"), format!("{c}x{c}"), format!("{c}{c}")] {
                samples.push(s);
            }
        }
        for s in &samples {
            assert_eq!(trim(s), s.trim(), "{s:?}");
            assert_eq!(is_blank(s), s.trim().is_empty(), "{s:?}");
        }
        // The whitespace the fast path must not keep, each of which `str::trim` removes.
        for ws in ["\t", "\n", "\u{b}", "\u{c}", "\r", " ", "\u{85}", "\u{a0}", "\u{2007}", "\u{3000}"] {
            assert_eq!(trim(&format!("{ws}7{ws}")), "7", "{ws:?}");
        }
    }
}
