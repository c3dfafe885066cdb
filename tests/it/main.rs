//! The one integration-test binary: the CLI as users see it, and the hard parts against
//! hand-computed expectations.

mod annotate;
mod browser;
mod cells;
mod cli;
mod codes;
mod contain;
mod cycles;
mod determinism;
mod examples;
mod fuzz_replay;
mod hostile;
mod invariant;
mod meaning;
mod nightly;
mod numbers;
mod operations;
mod outputs;
mod parity;
mod readme;
mod report;
mod robust;
mod sample;
mod series;
mod serve;
mod sheets;
mod template;
mod units;
mod util;
