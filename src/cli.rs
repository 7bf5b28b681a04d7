//! The `faultline` command line: run scenarios and report their verdicts.

use crate::{
    chart_cmd, check_cmd, experiment_cmd, fuzz_cmd, merge_cmd, run_cmd, EXIT_BAD_INPUT, EXIT_OK,
};
use clap::{Parser, Subcommand};
use faultline_harness::files;
use faultline_harness::protocol::Registry;
use std::process::ExitCode;

/// Deterministic discrete-event cluster simulator.
#[derive(Parser)]
#[command(name = "faultline", version, about, long_about = None)]
struct Cli {
    /// Largest scenario or template file read, e.g. 64MiB (default 16MiB, at most 4GiB): the
    /// bytes actually read count, so a pipe or a device stops there too. For run, fuzz,
    /// expand, shrink, campaign and merge; for check, the largest history file (default 256MiB).
    #[arg(long, global = true, value_name = "SIZE", value_parser = files::parse_input_limit)]
    max_input_bytes: Option<u64>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a scenario file and check its expectations (exit 0 all held, 1 one failed, 2 bad input).
    Run(run_cmd::RunArgs),
    /// Check client histories for linearizability (exit 0 all linearizable, 1 one is not or the
    /// search budget ran out, 2 bad input).
    Check(check_cmd::CheckArgs),
    /// Run a template over many seeds in parallel (exit 0 no seed failed, 1 some did, 2 bad input,
    /// 130 stopped by Ctrl-C).
    Fuzz(fuzz_cmd::FuzzArgs),
    /// Merge the output folders of a sweep's shards into one: checks they ran the same template
    /// and cover the seeds exactly once, groups the failures by signature, writes results.jsonl,
    /// junit.xml, failures.json and summary.html (exit 0 no seed failed, 1 some did, 2 bad input).
    Merge(merge_cmd::MergeArgs),
    /// Print the concrete scenario a template runs for one seed (every fault listed).
    Expand(fuzz_cmd::ExpandArgs),
    /// Shrink a failing scenario to a minimal one that fails the same check (exit 0 shrunk, 1 the
    /// scenario does not fail, 2 bad input).
    Shrink(fuzz_cmd::ShrinkArgs),
    /// Fuzz a template once per planted bug and report how fast each is found.
    Campaign(fuzz_cmd::CampaignArgs),
    /// Draw an experiment as SVG/PNG charts in a self-contained HTML report.
    #[command(subcommand)]
    Chart(chart_cmd::ChartKind),
    /// Re-run a published measurement on the simulator and print it next to the reference.
    #[command(subcommand)]
    Experiment(experiment_cmd::Experiment),
}

/// The `faultline` command line with the built-in protocols.
pub fn main() -> ExitCode {
    main_with(Registry::new())
}

/// The `faultline` command line with `registry`'s protocols installed besides the built-in
/// ones: scenario files, `fuzz` templates, `shrink`, `campaign`, `run --report` and JUnit all
/// accept them. A user's binary is `fn main() -> ExitCode { main_with(registry) }`.
pub fn main_with(registry: Registry) -> ExitCode {
    if let Err(error) = registry.install() {
        eprintln!("error: {error}");
        return ExitCode::from(EXIT_BAD_INPUT);
    }
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            return ExitCode::from(if error.use_stderr() {
                EXIT_BAD_INPUT
            } else {
                EXIT_OK
            });
        }
    };
    if let Err(error) = apply_input_limit(&cli) {
        eprintln!("error: {error}");
        return ExitCode::from(EXIT_BAD_INPUT);
    }
    let result = match cli.command {
        Command::Run(args) => run_cmd::execute(args),
        Command::Check(args) => check_cmd::execute(args, cli.max_input_bytes),
        Command::Fuzz(args) => fuzz_cmd::fuzz(args),
        Command::Merge(args) => merge_cmd::execute(args),
        Command::Expand(args) => fuzz_cmd::expand(args),
        Command::Shrink(args) => fuzz_cmd::shrink(args),
        Command::Campaign(args) => fuzz_cmd::campaign(args),
        Command::Experiment(experiment) => experiment_cmd::execute(experiment),
        Command::Chart(kind) => chart_cmd::execute(kind),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(error) => {
            eprintln!("error: {}", one_line(&error));
            ExitCode::from(EXIT_BAD_INPUT)
        }
    }
}

/// Sets the input limit from `--max-input-bytes`; refuses the flag for a command that reads no
/// file (rather than ignoring it). `check` takes the flag as its history limit itself.
fn apply_input_limit(cli: &Cli) -> Result<(), String> {
    let Some(bytes) = cli.max_input_bytes else {
        return Ok(());
    };
    let command = match cli.command {
        Command::Check(_) => return Ok(()),
        Command::Chart(_) => "chart",
        Command::Experiment(_) => "experiment",
        _ => return files::set_input_limit(bytes),
    };
    Err(format!(
        "{}: sets the limit for scenario and template files (run, fuzz, expand, shrink, \
         campaign, merge) and history files (check); {command} reads none",
        files::INPUT_LIMIT_FLAG
    ))
}

/// The error and its causes on one line, each said once: a cause whose text the line already
/// holds (an error that prints its own source) is not repeated.
fn one_line(error: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in error.chain() {
        let text = cause.to_string();
        if line.contains(&text) {
            continue;
        }
        if !line.is_empty() {
            line.push_str(": ");
        }
        line.push_str(&text);
    }
    line
}
