//! Rendering findings for people. The JSON form is the findings' `Serialize` implementation.
//!
//! ```text
//! error[E_VALUE_NOT_NUMBER]: value `12,5` is text, not a number
//!   --> acu.csv:line 17
//!   = hint: write the number with `.` as the decimal point …
//! ```
//! Plain text only: it reads the same with or without colour, so `NO_COLOR` is always honoured.

use std::fmt::Write;

use super::Finding;

/// One finding as the human report prints it, ending in a newline.
pub fn human(f: &Finding) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "{}[{}]: {}", f.severity.as_str(), f.code, f.message);
    let _ = writeln!(s, "  --> {}", f.location);
    if !f.hint.is_empty() {
        let _ = writeln!(s, "  = hint: {}", f.hint);
    }
    s
}

/// `1 error`, `2 errors`.
pub fn plural(n: usize, what: &str) -> String {
    format!("{n} {what}{}", if n == 1 { "" } else { "s" })
}

/// `; 2 errors, 1 warning` (the counts that are not zero), or nothing.
pub fn counts(errors: usize, warnings: usize, infos: usize) -> String {
    let parts: Vec<String> = [(errors, "error"), (warnings, "warning"), (infos, "info")]
        .into_iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, what)| plural(n, what))
        .collect();
    if parts.is_empty() { String::new() } else { format!("; {}", parts.join(", ")) }
}
