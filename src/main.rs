/// mimalloc: the run allocates and frees millions of small strings from several threads, where
/// it is markedly faster than the system allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    clusterkpi::cli::main()
}
