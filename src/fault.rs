//! Fault injection, for the test suite: `CLUSTERKPI_FAULT=KIND:NEEDLE[,KIND:NEEDLE…]`.
//!
//! - `check:NEEDLE` panics while checking a file whose name contains NEEDLE;
//! - `pause:NEEDLE` stops for good at a write-stage point whose name contains NEEDLE
//!   (`write:observations`, `publish`), printing `paused at POINT` on stderr so a test can kill
//!   the process right there;
//! - `fail:NEEDLE` makes the write at such a point fail as a full disk would.
//!
//! Unset in production, each check costs one environment lookup.

pub const ENV: &str = "CLUSTERKPI_FAULT";

fn matches(kind: &str, subject: &str) -> bool {
    let Ok(spec) = std::env::var(ENV) else { return false };
    spec.split(',').any(|rule| rule.split_once(':').is_some_and(|(k, needle)| k == kind && subject.contains(needle)))
}

/// Panic if a fault is injected at `point` for `subject`.
pub fn inject(point: &str, subject: &str) {
    if matches(point, subject) {
        panic!("fault injected at `{point}` for `{subject}` ({ENV})");
    }
}

/// Stop here for good if a pause is injected at `point` (the process is meant to be killed).
#[allow(clippy::print_stderr)]
pub fn pause(point: &str) {
    if matches("pause", point) {
        eprintln!("paused at {point}");
        loop {
            std::thread::sleep(std::time::Duration::from_secs(3600));
        }
    }
}

/// An I/O error, as a full disk gives, if one is injected at `point`.
pub fn fail(point: &str) -> std::io::Result<()> {
    if matches("fail", point) {
        return Err(std::io::Error::new(
            std::io::ErrorKind::StorageFull,
            format!("no space left on device (injected at {point})"),
        ));
    }
    Ok(())
}
