/// mimalloc: the run allocates and frees millions of small strings from several threads, where
/// it is markedly faster than the system allocator. It is built not to ask for transparent huge
/// pages (`no_thp`: no `MADV_HUGEPAGE`): with them, every first touch of a 2 MiB region, in the
/// main process and in each spreadsheet worker, had the kernel zero all of it, a third of a large
/// run's CPU time where THP is `madvise` (README, Performance).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    purge_promptly();
    clusterkpi::cli::main()
}

/// The variable that sets how long mimalloc keeps memory freed before giving it back to the
/// system, in milliseconds.
const PURGE_DELAY: &str = "MIMALLOC_PURGE_DELAY";

/// How long the run lets mimalloc keep freed memory: its own default is a second, in which a
/// large run frees and allocates again well over 100 MB (the rows of a batch, once checked, and
/// the pieces of a table, once written), so its peak memory was half as much again as what it
/// held. A million-row CSV peaked at about 505 MB with the default, 395 MB at 100 ms in the
/// same time, 367 MB at 30 ms but 15% slower, 342 MB at 0 ms but 25% slower (README,
/// Performance).
const PURGE_DELAY_MS: &str = "100";

/// mimalloc reads its options from the environment once, before `main`. So when the purge
/// delay is not set, the program runs itself again with it set: `exec` replaces the process's
/// image (the same process, arguments, environment otherwise, and standard streams), and what
/// it starts (the spreadsheet workers) inherits it. A delay already set is left as it is; if
/// the program cannot be run again, it goes on as it is.
#[cfg(unix)]
fn purge_promptly() {
    use std::os::unix::process::CommandExt;
    if std::env::var_os(PURGE_DELAY).is_some() {
        return;
    }
    let Ok(exe) = std::env::current_exe() else { return };
    let mut args = std::env::args_os();
    let mut again = std::process::Command::new(exe);
    if let Some(name) = args.next() {
        again.arg0(name);
    }
    // `exec` returns only when it failed.
    let _failed = again.args(args).env(PURGE_DELAY, PURGE_DELAY_MS).exec();
}

#[cfg(not(unix))]
fn purge_promptly() {}
