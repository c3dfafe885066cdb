//! Fault injection, for the test suite: `CLUSTERKPI_FAULT=KIND:NEEDLE[,KIND:NEEDLE…]`.
//!
//! - `check:NEEDLE` panics while checking a file whose name contains NEEDLE;
//! - `pause:NEEDLE` stops for good at a write-stage point whose name contains NEEDLE
//!   (`write:observations`, `publish`), printing `paused at POINT` on stderr so a test can kill
//!   the process right there;
//! - `fail:NEEDLE` makes the write at such a point fail as a full disk would;
//! - inside a spreadsheet worker process, for a file whose name contains NEEDLE:
//!   `abort:NEEDLE` aborts the process, `alloc:NEEDLE` allocates 10 GB, `loop:NEEDLE` never
//!   returns, `stack:NEEDLE` overflows the stack, and `late:NEEDLE` aborts it as it is about to
//!   send its third batch of a sheet's rows (the first two taken by then).
//!
//! Compiled only with the `fault-injection` cargo feature, which the test suite enables;
//! without it every function here does nothing and the variable has no effect.

pub const ENV: &str = "CLUSTERKPI_FAULT";

#[cfg(feature = "fault-injection")]
fn matches(kind: &str, subject: &str) -> bool {
    let Ok(spec) = std::env::var(ENV) else { return false };
    spec.split(',').any(|rule| rule.split_once(':').is_some_and(|(k, needle)| k == kind && subject.contains(needle)))
}

#[cfg(not(feature = "fault-injection"))]
fn matches(_kind: &str, _subject: &str) -> bool {
    false
}

/// The faults of a worker process, for the file `name` it is about to parse.
pub fn in_worker(name: &str) {
    if matches("abort", name) {
        std::process::abort();
    }
    if matches("alloc", name) {
        let mut hog: Vec<u8> = Vec::new();
        hog.resize(10 << 30, 1);
        std::hint::black_box(&hog);
    }
    if matches("loop", name) {
        loop {
            std::hint::spin_loop();
        }
    }
    if matches("stack", name) {
        std::hint::black_box(recurse(std::hint::black_box(1)));
    }
}

/// The fault of a worker process about to send the `n`-th batch of rows (from 1) of the file
/// `name`.
pub fn in_worker_rows(name: &str, n: usize) {
    if n == 3 && matches("late", name) {
        std::process::abort();
    }
}

#[allow(unconditional_recursion)]
fn recurse(n: u64) -> u64 {
    let frame = std::hint::black_box([n; 64]);
    recurse(frame[0] + 1) + frame[1]
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
