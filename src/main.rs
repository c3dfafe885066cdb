/// mimalloc: the run allocates and frees millions of small strings from several threads, where
/// it is markedly faster than the system allocator. It is built not to ask for transparent huge
/// pages (`no_thp`: no `MADV_HUGEPAGE`): with them, every first touch of a 2 MiB region, in the
/// main process and in each spreadsheet worker, had the kernel zero all of it, a third of a large
/// run's CPU time where THP is `madvise` (README, Performance).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    clusterkpi::cli::main()
}
