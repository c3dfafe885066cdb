//! Numbers written as text, the local way: `1,234.5`, `1.234.567,5`, `1 234 567,5` (with a
//! no-break space), `1'234.5`, Indian `12,34,567`, `(1,234)` for a negative, and a unit written
//! around the number (`₹ 11,429 crore`, `4.3k jobs`, `12.5 MtCO2e`).
//!
//! Whether `,` or `.` is the decimal point is decided for a whole column (or file) from the
//! evidence of all its texts ([`evidence`], [`Decimal::settle`]), never cell by cell: `9.631` is
//! 9631 in a column that also holds `285.879.047,4`. A text that only the convention could
//! settle (a lone `1,234`) in a column with no evidence is refused as ambiguous, not guessed.
//!
//! A number is never changed to fit: its digits and exponent are read together by Rust's own
//! correctly rounded parser ([`plain`]), and a number whose value a 64-bit float cannot hold at
//! full precision is refused, with what was written ([`Magnitude::explain`]):
//!
//! - **too large**: the value rounds to infinity, beyond 1.8e308 (`1e400`, `1e99999999999`, an
//!   exponent too long for any integer type);
//! - **too small**: a value written with a non-zero digit that rounds to 0 (`1e-400`) or to a
//!   *subnormal* float, below 2.2e-308 (`1e-310`). A subnormal keeps fewer than the 53
//!   significant bits of every other float, so `1.234567e-315` would silently become a
//!   different number; and no KPI is that small, so such a value is a typing mistake, not a
//!   measurement. A zero written as zero (`0`, `0.0e-400`, `-0`) is zero.
//!
//! A number that is out of range under every reading of its separators is refused as out of
//! range even when its column's convention would refuse it otherwise (`1.234e-400` in a column
//! with no evidence is too small either way, not ambiguous). JSON numbers go through [`plain`]
//! too: the JSON reader hands an out-of-range number on as its text (see `read::json`).

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
    /// The exponent of scientific notation (`-6` of `1.5e-6`), sign and digits as written, if
    /// any. Kept as text: `1e99999999999` overflows every integer type but not the parser.
    pub exponent: Option<&'a str>,
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
    let text = crate::trim::trim(text);
    split_plain(text).or_else(|| split_any(text))
}

/// [`split`] of a trimmed text, whatever it holds.
fn split_any(text: &str) -> Option<Split<'_>> {
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
            exponent = Some(&rest[..len]);
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
    // Accounting brackets, `(1,234)` or `EUR (12) bn`: not a call's, `alert(1)`.
    if let (Some(b), Some(a)) = (before.strip_suffix('('), after.strip_prefix(')'))
        && !b.ends_with(char::is_alphanumeric)
    {
        negative = true;
        before = b.trim_end();
        after = a.trim_start();
    }
    if !unit_like(before) || !unit_like(after) {
        // Markup, code or a bracket left open around the digits: text, not a value and its unit.
        return None;
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

/// The split of a text that is only a plain number, `-?[0-9]+(\.[0-9]+)?`, as most are: the
/// split [`split_any`] makes of it, without its search. `None` for any other text.
fn split_plain(text: &str) -> Option<Split<'_>> {
    let (negative, core) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (int, frac) = match split_at_byte(core, b'.') {
        Some((int, frac)) => (int, Some(frac)),
        None => (core, None),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    (digits(int) && frac.is_none_or(digits)).then(|| Split { core, negative, exponent: None, unit: String::new() })
}

/// `text` split at its first `byte` (an ASCII one, so both sides are texts), like
/// `str::split_once` with a char, without its search for a character.
fn split_at_byte(text: &str, byte: u8) -> Option<(&str, &str)> {
    debug_assert!(byte.is_ascii());
    let i = text.bytes().position(|b| b == byte)?;
    Some((&text[..i], &text[i + 1..]))
}

/// Whether what stands beside a number can be (part of) a unit: no markup or code characters,
/// and its brackets closed (`t (CO2e)`), so that `<b>12</b>` or `f(12)` is not read as 12.
fn unit_like(s: &str) -> bool {
    let mut depth = 0i32;
    for c in s.chars() {
        match c {
            '<' | '>' | '{' | '}' | '[' | ']' | '=' | ';' | '"' | '`' | '\\' => return false,
            '(' => depth += 1,
            ')' if depth == 0 => return false,
            ')' => depth -= 1,
            _ => {}
        }
    }
    depth == 0
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
    let count = |sep: u8| core.bytes().filter(|&b| b == sep).count();
    let (dots, commas) = (count(b'.'), count(b','));
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
    let (int, frac) = split_at_byte(core, sep as u8).unwrap_or((core, ""));
    // The integer part's digits, without its grouping: its first, and its length in bytes.
    let mut digits = int.chars().filter(|c| !GROUPING.contains(c));
    let first = digits.next();
    let len = first.map_or(0, |c| c.len_utf8() + digits.map(char::len_utf8).sum::<usize>());
    if frac.len() != 3 || first.is_none_or(|c| c == '0') || len > 3 && !core.contains(GROUPING) {
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
    /// A number a 64-bit float cannot hold at full precision.
    OutOfRange(Magnitude),
}

/// How a number is out of range.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Magnitude {
    /// Beyond 1.8e308: it would become infinity.
    TooLarge,
    /// Written with a non-zero digit, but below 2.2e-308: it would become 0, or a subnormal
    /// float with fewer significant digits than it was written with.
    TooSmall,
}

impl Magnitude {
    /// The message and hint of a finding about the number `written`, in the user's terms.
    pub fn explain(self, written: &str) -> (String, String) {
        match self {
            Magnitude::TooLarge => (
                format!(
                    "value `{written}` is too large to be represented (beyond 1.8e308): it cannot be taken without becoming infinity"
                ),
                "check the exponent after `e` and the number of digits: no KPI figure is this large; write the figure as reported, e.g. `1.5e9` or `1500000000`".to_owned(),
            ),
            Magnitude::TooSmall => (
                format!(
                    "value `{written}` is too small to be represented (below 2.2e-308): it cannot be taken without becoming 0 or losing digits"
                ),
                "write 0 if you mean zero; otherwise check the exponent after `e` (e.g. `1.5e-3` for 0.0015)".to_owned(),
            ),
        }
    }
}

/// The value of a split number under the column's convention.
pub fn value(s: &Split<'_>, decimal: Decimal) -> Result<f64, NumberError> {
    short(s, decimal).unwrap_or_else(|| value_whole(s, decimal))
}

/// [`value`] of the numbers nearly every value column holds, digits with a `.` between digits
/// or none, where the column's convention reads them as written: what the whole way gives
/// ([`value_whole`]; a property test checks it), without weighing the separators' evidence.
fn short(s: &Split<'_>, decimal: Decimal) -> Option<Result<f64, NumberError>> {
    let core = s.core.as_bytes();
    if s.exponent.is_some() || !core.first().is_some_and(u8::is_ascii_digit) {
        return None;
    }
    let as_written = match core.iter().position(|&b| !b.is_ascii_digit()) {
        // Digits alone: every convention reads them as they stand.
        None => true,
        Some(dot) => {
            let frac = &core[dot + 1..];
            if core[dot] != b'.' || frac.is_empty() || !frac.iter().all(u8::is_ascii_digit) {
                return None;
            }
            // Only a decimal point fits a `.` unless it could group thousands (`1.234`).
            let only_a_point = frac.len() != 3 || core[0] == b'0' || dot > 3;
            decimal == Decimal::Point || only_a_point && matches!(decimal, Decimal::Unknown | Decimal::Mixed)
        }
    };
    as_written.then(|| plain(s.core).map(|n| if s.negative { -n } else { n }))
}

/// [`value`], the whole way: the text's own evidence weighed against the column's.
fn value_whole(s: &Split<'_>, decimal: Decimal) -> Result<f64, NumberError> {
    let own = evidence(s.core);
    let settled = match (decimal, own) {
        (Decimal::Unknown | Decimal::Mixed, Decimal::Unknown) => {
            if s.core.contains(['.', ',']) {
                Err(NumberError::Ambiguous)
            } else {
                Ok(Decimal::Point)
            }
        }
        (Decimal::Unknown | Decimal::Mixed, own) => Ok(own),
        (column, Decimal::Unknown) => Ok(column),
        (column, own) if column == own => Ok(column),
        _ => Err(NumberError::NotNumber),
    };
    match settled.and_then(|d| read(s, d)) {
        Err(e @ (NumberError::NotNumber | NumberError::Ambiguous)) => {
            Err(out_of_range_anyway(s).map_or(e, NumberError::OutOfRange))
        }
        result => result,
    }
}

/// The range error of a number that no reading of its separators brings into range: every
/// reading is either not a number or out of range, and one at least is out of range.
fn out_of_range_anyway(s: &Split<'_>) -> Option<Magnitude> {
    let readings = [read(s, Decimal::Point), read(s, Decimal::Comma)];
    if readings.iter().any(Result::is_ok) {
        return None;
    }
    readings.into_iter().find_map(|r| match r {
        Err(NumberError::OutOfRange(range)) => Some(range),
        _ => None,
    })
}

/// The value of a split number with `decimal` (`Point` or `Comma`) as its decimal convention.
fn read(s: &Split<'_>, decimal: Decimal) -> Result<f64, NumberError> {
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
    // Digits, and a decimal point with digits on both sides: the text to parse as it stands.
    let text = match decimal_char == '.'
        && s.exponent.is_none()
        && !int.is_empty()
        && frac.is_none_or(|f| !f.is_empty())
        && s.core.bytes().all(|b| b.is_ascii_digit() || b == b'.')
    {
        true => std::borrow::Cow::Borrowed(s.core),
        false => std::borrow::Cow::Owned(plain_text(int, frac, s.exponent)),
    };
    let n = plain(&text)?;
    Ok(if s.negative { -n } else { n })
}

/// The plain spelling of a number's integer part (its digits, grouping left out), fraction and
/// exponent, for [`plain`].
fn plain_text(int: &str, frac: Option<&str>, exponent: Option<&str>) -> String {
    let digits: String = int.chars().filter(char::is_ascii_digit).collect();
    let mut text = if digits.is_empty() { "0".to_owned() } else { digits };
    if let Some(f) = frac.filter(|f| !f.is_empty()) {
        text.push('.');
        text.push_str(f);
    }
    if let Some(e) = exponent {
        text.push('e');
        text.push_str(e);
    }
    text
}

/// The value of a number written the plain way: an optional sign, digits with at most one `.`
/// (a digit on one side of it at least), and an optional exponent (`e` or `E`, an optional
/// sign, digits); the spelling of Rust's `f64` and of JSON (which is stricter about it). The
/// value is Rust's correctly rounded one; a value beyond 1.8e308 is [`Magnitude::TooLarge`], a
/// non-zero value that rounds to 0 or to a subnormal is [`Magnitude::TooSmall`].
pub fn plain(text: &str) -> Result<f64, NumberError> {
    let unsigned = text.strip_prefix(['+', '-']).unwrap_or(text);
    let (mantissa, exponent) = match unsigned.bytes().position(|b| b == b'e' || b == b'E') {
        Some(i) => (&unsigned[..i], Some(&unsigned[i + 1..])),
        None => (unsigned, None),
    };
    let (int, frac) = split_at_byte(mantissa, b'.').unwrap_or((mantissa, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['+', '-']).unwrap_or(e);
        !e.is_empty() && digits(e)
    });
    if int.len() + frac.len() == 0 || !digits(int) || !digits(frac) || !exponent_ok {
        return Err(NumberError::NotNumber);
    }
    let n: f64 = text.parse().map_err(|_| NumberError::NotNumber)?;
    if n.is_infinite() {
        return Err(NumberError::OutOfRange(Magnitude::TooLarge));
    }
    let written_zero = int.bytes().chain(frac.bytes()).all(|b| b == b'0');
    if !n.is_normal() && !written_zero {
        return Err(NumberError::OutOfRange(Magnitude::TooSmall));
    }
    Ok(n)
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
    use proptest::prelude::*;

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
        assert_eq!(parse("(1,234.5) t", Decimal::Point), Ok((-1234.5, "t".to_owned())), "accounting brackets");
        assert_eq!(parse("EUR (12) bn", Decimal::Point), Ok((-12.0, "EUR bn".to_owned())));
        assert_eq!(parse("12 t (CO2e)", Decimal::Point), Ok((12.0, "t (CO2e)".to_owned())));
        for text in ["<script>alert(1)</script>", "abc(12)def", "<b>12</b>", "f(12", "12)", "x = 12", "[12]"] {
            assert!(split(text).is_none(), "{text}: text around a number, not a unit");
        }
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

    use Magnitude::{TooLarge, TooSmall};

    fn out(m: Magnitude) -> Result<f64, NumberError> {
        Err(NumberError::OutOfRange(m))
    }

    #[test]
    fn numbers_out_of_range_are_refused_not_changed() {
        let zeros = "0".repeat(400);
        let (big, tiny) = (format!("1{zeros}"), format!("0.{zeros}1"));
        // 1e309 and beyond overflow; the largest double is 1.7976931348623157e308.
        let cases: Vec<(&str, Result<f64, NumberError>)> = vec![
            ("1e99999999999", out(TooLarge)),
            ("1e400", out(TooLarge)),
            ("-1e400", out(TooLarge)),
            ("1.8e308", out(TooLarge)),
            ("1.7976931348623157e308", Ok(f64::MAX)),
            (&big, out(TooLarge)),
            // Below the smallest normal double, 2.2250738585072014e-308: zero or subnormal.
            ("1e-400", out(TooSmall)),
            ("-1e-400", out(TooSmall)),
            ("1e-99999999999", out(TooSmall)),
            ("1e-310", out(TooSmall)),
            ("4.9e-324", out(TooSmall)),
            (&tiny, out(TooSmall)),
            ("2.2250738585072014e-308", Ok(f64::MIN_POSITIVE)),
            // The exponent alone does not decide: 1000e-310 is 1e-307, 0.001e310 is 1e307.
            ("1000e-310", Ok(1e-307)),
            ("0.001e310", Ok(1e307)),
            // Zero written as zero is zero, whatever its exponent.
            ("0e-400", Ok(0.0)),
            ("0.000e99999999999", Ok(0.0)),
            // Digits and exponent are read together and rounded once: 1.5 × 10⁻⁷ computed
            // as a product is not always the double nearest to 1.5e-7.
            ("1.5e-7", Ok(1.5e-7)),
            ("3e-5", Ok(3e-5)),
            ("1e+2", Ok(100.0)),
            ("1E2", Ok(100.0)),
            ("1e0000000000000000000003", Ok(1000.0)),
        ];
        for (text, want) in cases {
            let got = split(text).ok_or(NumberError::NotNumber).and_then(|s| {
                assert_eq!(s.unit, "", "{text}");
                value(&s, Decimal::Point)
            });
            assert_eq!(got.map(f64::to_bits), want.map(f64::to_bits), "{text}");
        }
        // With a unit around it, too: the exponent is never left behind as 1 of `jobs`.
        assert_eq!(parse("1e99999999999 jobs", Decimal::Point), out(TooLarge).map(|n| (n, String::new())));
        assert_eq!(parse("1e-400 t", Decimal::Point), out(TooSmall).map(|n| (n, String::new())));
        assert_eq!(parse("(1e400)", Decimal::Point), out(TooLarge).map(|n| (n, String::new())));
    }

    #[test]
    fn a_number_out_of_range_under_every_reading_is_refused_as_such() {
        use Decimal::*;
        // `1.234e-400` is 1.234e-400 or 1234e-400: too small either way, not ambiguous.
        assert_eq!(parse("1.234e-400", Unknown), out(TooSmall).map(|n| (n, String::new())));
        assert_eq!(parse("1.234e400", Mixed), out(TooLarge).map(|n| (n, String::new())));
        // `1.5e-400` in a column with a decimal comma: too small as written, no number the
        // column's way.
        assert_eq!(parse("1.5e-400", Comma), out(TooSmall).map(|n| (n, String::new())));
        // In range under one reading: the column's convention decides, as before.
        assert_eq!(parse("1.234e5", Unknown), Err(NumberError::Ambiguous));
        assert_eq!(parse("1.234e5", Comma), Ok((123_400_000.0, String::new())));
        assert_eq!(parse("1.234e-306", Comma), Ok((1.234e-303, String::new())));
        assert_eq!(parse("1.234e-308", Point), out(TooSmall).map(|n| (n, String::new())));
    }

    #[test]
    fn plain_numbers_and_their_spelling() {
        assert_eq!(plain("-0"), Ok(-0.0));
        assert_eq!(plain("-0").map(f64::to_bits), Ok((-0.0f64).to_bits()));
        assert_eq!(plain("+12.5E-1"), Ok(1.25));
        assert_eq!(plain(".5"), Ok(0.5));
        assert_eq!(plain("5."), Ok(5.0));
        assert_eq!(plain("1e-400"), out(TooSmall));
        assert_eq!(plain("1e400"), out(TooLarge));
        for text in
            ["", ".", "-", "e5", "1e", "1e+", "inf", "NaN", "infinity", "1_0", "1,5", "1.2.3", "--1", "1e5.5", " 1"]
        {
            assert_eq!(plain(text), Err(NumberError::NotNumber), "{text:?}");
        }
    }

    /// What the parser must give for a canonical text, from Rust's own parse: the same double
    /// when it is normal, or zero written as zero; a refusal otherwise.
    fn expected(text: &str) -> Result<u64, NumberError> {
        let n: f64 = text.parse().expect("a canonical spelling parses");
        let mantissa = text.split(['e', 'E']).next().expect("split gives one part at least");
        let written_zero = mantissa.bytes().all(|b| !b.is_ascii_digit() || b == b'0');
        if n.is_infinite() {
            out(TooLarge).map(f64::to_bits)
        } else if n.is_normal() || n == 0.0 && written_zero {
            Ok(n.to_bits())
        } else {
            out(TooSmall).map(f64::to_bits)
        }
    }

    /// The parser on a canonical text: through `split` and `value` as for a value cell (with no
    /// unit left over), and through `plain` as for a JSON number; both must agree.
    fn parsed(text: &str) -> Result<u64, NumberError> {
        let via_split = split(text).ok_or(NumberError::NotNumber).and_then(|s| {
            assert_eq!(s.unit, "", "{text}: nothing around the number");
            value(&s, Decimal::Point)
        });
        let via_plain = plain(text);
        assert_eq!(via_split.map(f64::to_bits), via_plain.map(f64::to_bits), "{text}: split/value and plain");
        via_plain.map(f64::to_bits)
    }

    fn sign() -> impl Strategy<Value = &'static str> {
        prop_oneof![Just(""), Just("-"), Just("+")]
    }

    /// Exponents: small, near the limits of a double's (±308, -324 for the smallest
    /// subnormal), far beyond them, and beyond every integer type; with an optional sign and
    /// leading zeros.
    fn exponent() -> impl Strategy<Value = String> {
        let n = prop_oneof![
            (-30i64..=30).prop_map(|e| e.to_string()),
            (-350i64..=-280).prop_map(|e| e.to_string()),
            (280i64..=330).prop_map(|e| e.to_string()),
            any::<i64>().prop_map(|e| e.to_string()),
            "[0-9]{20,30}".prop_map(|d| d),
            "-[0-9]{20,30}".prop_map(|d| d),
        ];
        let pad = prop_oneof![Just(""), Just("0"), Just("000")];
        (n, any::<bool>(), pad, prop_oneof![Just("e"), Just("E")]).prop_map(|(n, plus, pad, e)| {
            match n.strip_prefix('-') {
                Some(digits) => format!("{e}-{pad}{digits}"),
                None => format!("{e}{}{pad}{n}", if plus { "+" } else { "" }),
            }
        })
    }

    /// Doubles near the edges: the largest, the smallest normal, the subnormals.
    fn edge_double() -> impl Strategy<Value = f64> {
        let max = f64::MAX.to_bits();
        let min_normal = f64::MIN_POSITIVE.to_bits();
        prop_oneof![
            (0u64..1 << 20).prop_map(move |k| f64::from_bits(max - k)),
            (0u64..1 << 20).prop_map(move |k| f64::from_bits(min_normal + k)),
            (1u64..1 << 20).prop_map(move |k| f64::from_bits(min_normal - k)),
            (1u64..min_normal).prop_map(f64::from_bits),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2000, failure_persistence: None, ..ProptestConfig::default() })]

        #[test]
        fn printed_doubles_parse_as_rust_parses_them(
            n in prop_oneof![any::<f64>().prop_filter("finite", |n| n.is_finite()), edge_double()],
            sign in sign(),
            style in 0..3,
        ) {
            let n = n.abs();
            let text = match style {
                0 => format!("{sign}{n}"),
                1 => format!("{sign}{n:e}"),
                _ => format!("{sign}{n:E}"),
            };
            prop_assert_eq!(parsed(&text), expected(&text), "{}", text);
        }

        #[test]
        fn digit_strings_with_exponents_parse_as_rust_parses_them(
            sign in sign(),
            int in "[0-9]{1,25}",
            frac in proptest::option::of("[0-9]{1,25}"),
            exponent in proptest::option::of(exponent()),
        ) {
            let frac = frac.map(|f| format!(".{f}")).unwrap_or_default();
            let text = format!("{sign}{int}{frac}{}", exponent.unwrap_or_default());
            prop_assert_eq!(parsed(&text), expected(&text), "{}", text);
        }

        /// The plain number's shortcuts give what the whole way gives: its split, and the text
        /// parsed; on texts of the plain shape, and on any text at all.
        #[test]
        fn a_plain_numbers_shortcuts_agree_with_the_whole_way(
            sign in prop_oneof![Just(""), Just("-"), Just("+"), Just("\u{2212}")],
            int in "[0-9]{1,20}",
            frac in proptest::option::of("[0-9]{0,20}"),
            around in prop_oneof![Just(""), Just(" "), Just("\u{a0}"), Just(" t")],
            any in "[-0-9.,e +a-z\u{a0}()]{0,12}",
        ) {
            let frac = frac.map(|f| format!(".{f}")).unwrap_or_default();
            for text in [format!("{around}{sign}{int}{frac}{around}"), any] {
                let text = crate::trim::trim(&text);
                if let Some(split) = split_plain(text) {
                    prop_assert_eq!(Some(split.clone()), split_any(text), "{:?}", text);
                    let (i, f) = split.core.split_once('.').map_or((split.core, None), |(i, f)| (i, Some(f)));
                    prop_assert_eq!(plain_text(i, f, None), split.core, "{:?}", text);
                }
            }
        }

        /// A value read the short way is the value read the whole way, under every column
        /// convention: on digits with a `.` or none (which it takes), and on any text.
        #[test]
        fn a_value_read_the_short_way_is_read_the_whole_way(
            int in "0{0,2}[0-9]{1,6}",
            frac in proptest::option::of("[0-9]{0,5}"),
            exponent in proptest::option::of(exponent()),
            any in "[-0-9.,e +a-z\u{a0}()']{1,12}",
        ) {
            let frac = frac.map(|f| format!(".{f}")).unwrap_or_default();
            let exponent = exponent.unwrap_or_default();
            for text in [format!("{int}{frac}"), format!("-{int}{frac}{exponent}"), any] {
                let Some(split) = split(&text) else { continue };
                for decimal in [Decimal::Unknown, Decimal::Point, Decimal::Comma, Decimal::Mixed] {
                    let whole = value_whole(&split, decimal);
                    if let Some(short) = short(&split, decimal) {
                        prop_assert_eq!(short.map(f64::to_bits), whole.map(f64::to_bits), "{:?} {:?}", text, decimal);
                    }
                    prop_assert_eq!(value(&split, decimal).map(f64::to_bits), whole.map(f64::to_bits));
                }
            }
        }

        #[test]
        fn numbers_at_the_limits_of_a_double_parse_as_rust_parses_them(
            sign in sign(),
            // The first digits of the largest double, of the smallest normal one (and of the
            // largest subnormal below it), and of the smallest subnormal.
            (digits, exponent) in prop_oneof![
                Just(("17976931348623157", 308)),
                Just(("17976931348623158", 308)),
                Just(("22250738585072014", -308)),
                Just(("22250738585072009", -308)),
                Just(("49406564584124654", -324)),
                Just(("24703282292062327", -324)),
            ],
            more in "[0-9]{0,20}",
            shift in -1i32..=1,
        ) {
            let (first, rest) = digits.split_at(1);
            let text = format!("{sign}{first}.{rest}{more}e{}", exponent + shift);
            prop_assert_eq!(parsed(&text), expected(&text), "{}", text);
        }
    }
}
