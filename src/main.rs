//! The `faultline` binary: the command line with the built-in protocols.

fn main() -> std::process::ExitCode {
    faultline::cli::main()
}
