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
