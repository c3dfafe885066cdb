//! Numbers written as text, the local way: `1,234.5`, `1.234.567,5`, `1 234 567,5` (with a
//! no-break space), `1'234.5`, Indian `12,34,567`, `(1,234)` for a negative, and a unit written
//! around the number (`₹ 11,429 crore`, `4.3k jobs`, `12.5 MtCO2e`).
//!
//! Whether `,` or `.` is the decimal point is decided for a whole column (or file) from the
//! evidence of all its texts ([`evidence`], [`Decimal::settle`]), never cell by cell: `9.631` is
//! 9631 in a column that also holds `285.879.047,4`. A text that only the convention could
//! settle (a lone `1,234`) in a column with no evidence is refused as ambiguous, not guessed.

/// The decimal convention of a column of numbers written as text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Decimal {
    /// No evidence either way.
    #[default]
    Unknown,
    /// `.` is the decimal point; `,` groups thousands.
    Point,
    /// `,` is the decimal point; `.` groups thousands.
    Comma,
    /// The column's texts disagree.
    Mixed,
}

impl Decimal {
    /// The convention of a column, from the evidence of its texts: the convention most of them
    /// show (a text that contradicts it is then not a number of the column), or `Mixed` when
    /// the evidence is split evenly.
    pub fn settle(evidence: impl IntoIterator<Item = Decimal>) -> Decimal {
        let (mut point, mut comma) = (0usize, 0usize);
        for e in evidence {
            match e {
                Decimal::Point => point += 1,
                Decimal::Comma => comma += 1,
                _ => {}
            }
        }
        match point.cmp(&comma) {
            _ if point + comma == 0 => Decimal::Unknown,
            std::cmp::Ordering::Greater => Decimal::Point,
            std::cmp::Ordering::Less => Decimal::Comma,
            std::cmp::Ordering::Equal => Decimal::Mixed,
        }
    }

    /// This convention, or `fallback` when this one has no evidence.
    pub fn or(self, fallback: Decimal) -> Decimal {
        if self == Decimal::Unknown { fallback } else { self }
    }
}

/// A value text split into its number and the unit written around it.
#[derive(Clone, Debug, PartialEq)]
pub struct Split<'a> {
    /// The digits and separators of the number (`1.234.567,5`).
    pub core: &'a str,
    pub negative: bool,
    /// The exponent of scientific notation (`1.5e6`), if any.
    pub exponent: Option<i32>,
    /// What stands around the number, e.g. `₹ crore`, `k jobs`; empty when nothing does.
    pub unit: String,
}

const GROUPING: [char; 4] = [' ', '\u{a0}', '\u{202f}', '\''];

fn is_sep(c: char) -> bool {
    c == '.' || c == ',' || GROUPING.contains(&c)
}

/// Find the number in a value text. `None` when the text holds no digit, or more than one
/// number (`2023: 12`).
pub fn split(text: &str) -> Option<Split<'_>> {
    let text = text.trim();
    let start = text.find(|c: char| c.is_ascii_digit() || c == '.' || c == ',')?;
    // A leading `.5` or `,5`: the separator belongs to the number only if a digit follows.
    let start = if text[start..].starts_with(['.', ',']) && !text[start + 1..].starts_with(|c: char| c.is_ascii_digit())
    {
        text[start + 1..].find(|c: char| c.is_ascii_digit()).map(|i| start + 1 + i)?
    } else {
        start
    };
    // The number runs over digits and single separators; two separators in a row end it
    // (`3 '000 jobs` is 3 of `'000 jobs`).
    let mut end = start;
    let mut after_sep = false;
    for (i, c) in text[start..].char_indices() {
        if c.is_ascii_digit() {
            end = start + i + c.len_utf8();
            after_sep = false;
        } else if is_sep(c) && !after_sep {
            after_sep = true;
        } else {
            break;
        }
    }
    let core = &text[start..end];
    let mut after = &text[end..];
    let mut exponent = None;
    if let Some(rest) = after.strip_prefix(['e', 'E']) {
        let digits = rest.strip_prefix(['+', '-']).unwrap_or(rest);
        let n = digits.find(|c: char| !c.is_ascii_digit()).unwrap_or(digits.len());
        if n > 0 && !core.contains(GROUPING) && !core.contains(',') {
            let len = rest.len() - digits.len() + n;
            exponent = rest[..len].parse().ok();
            after = &rest[len..];
        }
    }
    let mut before = text[..start].trim_end();
    let mut negative = false;
    if let Some(b) = before.strip_suffix(['-', '\u{2212}']) {
        negative = true;
        before = b.trim_end();
    } else if let Some(b) = before.strip_suffix('+') {
        before = b.trim_end();
    }
    let mut after = after.trim_start();
    if let (Some(b), Some(a)) = (before.strip_suffix('('), after.strip_prefix(')')) {
        negative = true;
        before = b.trim_end();
        after = a.trim_start();
    }
    if before.contains(|c: char| c.is_ascii_digit()) || after.contains(|c: char| c.is_ascii_digit()) {
        // Another number around this one: not a value with a unit.
        if !unit_with_digits(before) || !unit_with_digits(after) {
            return None;
        }
    }
    let unit = [before, after].iter().filter(|s| !s.is_empty()).copied().collect::<Vec<_>>().join(" ");
    Some(Split { core, negative, exponent, unit })
}

/// Units that contain digits (`tCO2e`, `'000 jobs`, `t H2`): digits glued to letters.
fn unit_with_digits(s: &str) -> bool {
    s.split_whitespace().all(|w| {
        !w.contains(|c: char| c.is_ascii_digit())
            || w.contains(|c: char| c.is_alphabetic())
            || w.trim_matches(|c: char| "()'".contains(c)) == "000"
    })
}

/// What one number's separators say about the decimal convention.
pub fn evidence(core: &str) -> Decimal {
    let (dots, commas) = (core.matches('.').count(), core.matches(',').count());
    match (dots, commas) {
        (0, 0) => Decimal::Unknown,
        (_, 0) => single(core, '.', dots, Decimal::Point, Decimal::Comma),
        (0, _) => single(core, ',', commas, Decimal::Comma, Decimal::Point),
        _ => {
            if core.rfind('.') > core.rfind(',') {
                Decimal::Point
            } else {
                Decimal::Comma
            }
        }
    }
}

/// Evidence from one kind of separator `sep` that appears `n` times: as a decimal point it
/// means `decimal`, as grouping `grouping`.
fn single(core: &str, sep: char, n: usize, decimal: Decimal, grouping: Decimal) -> Decimal {
    if n > 1 {
        return grouping;
    }
    let (int, frac) = core.split_once(sep).unwrap_or((core, ""));
    let int: String = int.chars().filter(|c| !GROUPING.contains(c)).collect();
    if frac.len() != 3
        || int.is_empty()
        || int == "0"
        || int.starts_with('0')
        || int.len() > 3 && !core.contains(GROUPING)
    {
        // `12,5`, `0,500`, `,5`, `1234,567`: only a decimal point fits.
        decimal
    } else if core.contains(GROUPING) {
        // `1 234,567`: spaces group, so the separator is the decimal point.
        decimal
    } else {
        Decimal::Unknown
    }
}

/// Why a value text is not a number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NumberError {
    /// Not a number in any convention, or not in the column's.
    NotNumber,
    /// A number whose value depends on the decimal convention, in a column with no evidence.
    Ambiguous,
}

/// The value of a split number under the column's convention.
pub fn value(s: &Split<'_>, decimal: Decimal) -> Result<f64, NumberError> {
    let own = evidence(s.core);
    let decimal = match (decimal, own) {
        (Decimal::Unknown | Decimal::Mixed, Decimal::Unknown) => {
            if s.core.contains(['.', ',']) {
                return Err(NumberError::Ambiguous);
            }
            Decimal::Point
        }
        (Decimal::Unknown | Decimal::Mixed, own) => own,
        (column, Decimal::Unknown) => column,
        (column, own) if column == own => column,
        _ => return Err(NumberError::NotNumber),
    };
    let (decimal_char, group_char) = if decimal == Decimal::Comma { (',', '.') } else { ('.', ',') };
    let (int, frac) = match s.core.split_once(decimal_char) {
        Some((i, f)) => (i, Some(f)),
        None => (s.core, None),
    };
    if frac.is_some_and(|f| f.contains(is_sep) || f.is_empty() && int.is_empty()) {
        return Err(NumberError::NotNumber);
    }
    if !grouped(int, group_char) {
        return Err(NumberError::NotNumber);
    }
    let digits: String = int.chars().filter(char::is_ascii_digit).collect();
    let mut plain = if digits.is_empty() { "0".to_owned() } else { digits };
    if let Some(f) = frac.filter(|f| !f.is_empty()) {
        plain.push('.');
        plain.push_str(f);
    }
    let mut n: f64 = plain.parse().map_err(|_| NumberError::NotNumber)?;
    if let Some(e) = s.exponent {
        n *= 10f64.powi(e);
    }
    if !n.is_finite() {
        return Err(NumberError::NotNumber);
    }
    Ok(if s.negative { -n } else { n })
}

/// The integer part's grouping is well formed: one kind of group separator, the last group of
/// three digits, the others of two (Indian lakh grouping) or three.
fn grouped(int: &str, group_char: char) -> bool {
    let seps: Vec<char> = int.chars().filter(|c| !c.is_ascii_digit()).collect();
    if seps.is_empty() {
        return true;
    }
    let sep = seps[0];
    if seps.iter().any(|&c| c != sep) || !(sep == group_char || GROUPING.contains(&sep)) {
        return false;
    }
    let groups: Vec<&str> = int.split(sep).collect();
    let (first, rest) = groups.split_first().expect("split gives one part at least");
    let (last, middle) = rest.split_last().expect("a separator gives two parts");
    (1..=3).contains(&first.len()) && last.len() == 3 && middle.iter().all(|g| g.len() == 2 || g.len() == 3)
}

/// Parse a year: a whole number, as a number cell or as text of digits.
pub fn whole_number(n: f64) -> Option<i64> {
    (n.is_finite() && n.fract() == 0.0 && n.abs() < 1e12).then_some(n as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str, decimal: Decimal) -> Result<(f64, String), NumberError> {
        let s = split(text).ok_or(NumberError::NotNumber)?;
        Ok((value(&s, decimal)?, s.unit))
    }

    #[test]
    fn canonical_forms() {
        let cases = [
            ("1234", 1234.0),
            ("1234.5", 1234.5),
            ("1,234,567.25", 1_234_567.25),
            (" -12.5 ", -12.5),
            ("+3", 3.0),
            (".5", 0.5),
            ("1.5e6", 1_500_000.0),
            ("2E-3", 0.002),
            ("0", 0.0),
        ];
        // A canonical text: `.` decimal point, optional `,` grouping, nothing around it.
        let canonical =
            |text: &str| parse(text, Decimal::Point).ok().filter(|(_, unit)| unit.is_empty()).map(|(n, _)| n);
        for (text, want) in cases {
            assert_eq!(canonical(text), Some(want), "{text}");
        }
        for text in ["", "-", ".", "1,23", "1,2345", "NaN", "inf", "1_000", "1,234.5.6", "1e999", "abc"] {
            assert_eq!(canonical(text), None, "{text:?}");
        }
    }

    #[test]
    fn local_forms_under_their_convention() {
        use Decimal::*;
        let cases = [
            ("1.234.567,5", Unknown, 1_234_567.5),
            ("285.879.047,4", Comma, 285_879_047.4),
            ("9.631", Comma, 9631.0),
            ("9.631", Point, 9.631),
            ("2,69", Unknown, 2.69),
            ("1 080 122,0", Unknown, 1_080_122.0),
            ("388\u{a0}804", Unknown, 388_804.0),
            ("1\u{202f}234\u{202f}567,5", Comma, 1_234_567.5),
            ("1'234.5", Unknown, 1234.5),
            ("29,06,907", Unknown, 2_906_907.0),
            ("1,19,211.72", Unknown, 119_211.72),
            ("(1,234)", Point, -1234.0),
            ("(1.234,5)", Unknown, -1234.5),
            ("0,500", Unknown, 0.5),
            ("1,234", Point, 1234.0),
            ("1,234", Comma, 1.234),
        ];
        for (text, decimal, want) in cases {
            assert_eq!(parse(text, decimal).map(|p| p.0), Ok(want), "{text} under {decimal:?}");
        }
    }

    #[test]
    fn a_lone_ambiguous_number_is_refused_not_guessed() {
        assert_eq!(parse("1,234", Decimal::Unknown), Err(NumberError::Ambiguous));
        assert_eq!(parse("1.234", Decimal::Unknown), Err(NumberError::Ambiguous));
        assert_eq!(parse("1,234", Decimal::Mixed), Err(NumberError::Ambiguous));
        // A text that contradicts its column's convention is not a number of that column.
        assert_eq!(parse("1.234,5", Decimal::Point), Err(NumberError::NotNumber));
        assert_eq!(parse("1,234.5", Decimal::Comma), Err(NumberError::NotNumber));
        assert_eq!(parse("12,3,4", Decimal::Point), Err(NumberError::NotNumber));
    }

    #[test]
    fn units_around_the_number() {
        let cases = [
            ("12.5 MtCO2e", 12.5, "MtCO2e"),
            ("₹ 11,429 crore", 11_429.0, "₹ crore"),
            ("EUR 6.49 bn", 6.49, "EUR bn"),
            ("4.3k jobs", 4.3, "k jobs"),
            ("850 GWh", 850.0, "GWh"),
            ("144.1 t H2", 144.1, "t H2"),
            ("8,391 jobs", 8391.0, "jobs"),
            ("-3 '000 jobs", -3.0, "'000 jobs"),
        ];
        for (text, want, unit) in cases {
            assert_eq!(parse(text, Decimal::Point), Ok((want, unit.to_owned())), "{text}");
        }
        assert_eq!(parse("R$ 1.234,5 mil", Decimal::Unknown), Ok((1234.5, "R$ mil".to_owned())));
        assert!(split("2023: 12").is_none(), "two numbers");
        assert!(split("no figure").is_none());
    }

    #[test]
    fn evidence_and_settling() {
        use Decimal::*;
        assert_eq!(evidence("285.879.047,4"), Comma);
        assert_eq!(evidence("1,234.5"), Point);
        assert_eq!(evidence("1.234.567"), Comma);
        assert_eq!(evidence("12,34,567"), Point);
        assert_eq!(evidence("2,69"), Comma);
        assert_eq!(evidence("9.631"), Unknown);
        assert_eq!(evidence("1234"), Unknown);
        assert_eq!(Decimal::settle([Unknown, Comma, Unknown, Comma]), Comma);
        assert_eq!(Decimal::settle([Point, Comma]), Mixed);
        assert_eq!(Decimal::settle([Point, Comma, Point]), Point, "the majority decides");
        assert_eq!(Decimal::settle([]), Unknown);
    }
}
