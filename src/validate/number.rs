//! Numbers and years written as text in the canonical submission.
//!
//! The canonical form is strict: `.` is the decimal point and `,` may only group thousands
//! (`1,234,567.5`). Anything else (`12,5`, `1.234,5`, `1 234`) is refused rather than guessed;
//! reading local conventions is the job of the layout-aware mapping, which knows a whole
//! column's evidence.

/// Parse a canonical numeric text: optional sign, digits with optional `,` thousands grouping,
/// optional `.` fraction, optional exponent. Surrounding whitespace is ignored.
pub fn parse_number(text: &str) -> Option<f64> {
    let s = text.trim();
    let (sign, body) = match s.as_bytes().first()? {
        b'-' => (-1.0, &s[1..]),
        b'+' => (1.0, &s[1..]),
        _ => (1.0, s),
    };
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let (int, frac) = match mantissa.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (mantissa, None),
    };
    if int.is_empty() && frac.is_none_or(str::is_empty) {
        return None;
    }
    let digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
    let int_ok = if int.contains(',') {
        let mut groups = int.split(',');
        let first = groups.next().unwrap_or_default();
        (1..=3).contains(&first.len()) && digits(first) && groups.all(|g| g.len() == 3 && digits(g))
    } else {
        digits(int)
    };
    if !int_ok || !frac.is_none_or(digits) {
        return None;
    }
    if let Some(e) = exponent {
        let e = e.strip_prefix(['+', '-']).unwrap_or(e);
        if e.is_empty() || !digits(e) {
            return None;
        }
    }
    let plain: String = body.chars().filter(|&c| c != ',').collect();
    let n: f64 = plain.parse().ok()?;
    n.is_finite().then_some(sign * n)
}

/// Parse a year: a whole number, as a number cell or as text of digits.
pub fn whole_number(n: f64) -> Option<i64> {
    (n.is_finite() && n.fract() == 0.0 && n.abs() < 1e12).then_some(n as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_canonical_forms() {
        let cases = [
            ("1234", 1234.0),
            ("1234.5", 1234.5),
            ("1,234", 1234.0),
            ("1,234,567.25", 1_234_567.25),
            (" -12.5 ", -12.5),
            ("+3", 3.0),
            (".5", 0.5),
            ("5.", 5.0),
            ("1.5e6", 1_500_000.0),
            ("2E-3", 0.002),
            ("0", 0.0),
        ];
        for (text, want) in cases {
            assert_eq!(parse_number(text), Some(want), "{text}");
        }
    }

    #[test]
    fn refuses_what_would_be_a_guess() {
        for text in [
            "",
            "-",
            ".",
            "12,5",
            "1.234,5",
            "1,23",
            "1,2345",
            ",123",
            "1 234",
            "12 kt",
            "NaN",
            "inf",
            "infinity",
            "1e",
            "1e+",
            "0x10",
            "1_000",
            "--1",
            "1,234.5.6",
            "1e999",
        ] {
            assert_eq!(parse_number(text), None, "{text:?}");
        }
    }

    #[test]
    fn whole_numbers() {
        assert_eq!(whole_number(2023.0), Some(2023));
        assert_eq!(whole_number(2023.5), None);
        assert_eq!(whole_number(f64::NAN), None);
    }
}
