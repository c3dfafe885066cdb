fn main() -> std::process::ExitCode {
    clusterkpi::cli::main()
}
