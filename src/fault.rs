//! Fault injection, for the test suite: `CLUSTERKPI_FAULT=POINT:NEEDLE[,POINT:NEEDLE…]` makes the
//! named point fail for any subject (a file name, a stage) containing NEEDLE.
//!
//! Points: `check` panics while checking a file. Unset in production, it costs one environment
//! lookup per call.

pub const ENV: &str = "CLUSTERKPI_FAULT";

/// Panic if a fault is injected at `point` for `subject`.
pub fn inject(point: &str, subject: &str) {
    let Ok(spec) = std::env::var(ENV) else { return };
    for rule in spec.split(',') {
        if let Some((p, needle)) = rule.split_once(':')
            && p == point
            && subject.contains(needle)
        {
            panic!("fault injected at `{point}` for `{subject}` ({ENV})");
        }
    }
}
