//! The `faultline` command line as a library, so a crate with protocols of its own can run the
//! whole CLI over them: `faultline::cli::main_with(registry)`.

#[macro_use]
mod output;
mod chart_cmd;
mod check_cmd;
mod experiment_cmd;
mod fuzz_cmd;
mod interrupt;
mod merge_cmd;
mod progress;
mod run_cmd;
mod sweep_summary;
mod time_limit;

pub mod cli;

/// Exit code when every check held.
pub const EXIT_OK: u8 = 0;
/// Exit code when a check failed.
pub const EXIT_CHECK_FAILED: u8 = 1;
/// Exit code for bad input (unreadable or invalid files, bad arguments).
pub const EXIT_BAD_INPUT: u8 = 2;
/// Exit code of a sweep stopped by Ctrl-C (128 + SIGINT, as shells report it).
pub const EXIT_INTERRUPTED: u8 = 130;
