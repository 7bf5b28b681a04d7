//! `faultline check`: check client histories for linearizability.

use crate::{EXIT_BAD_INPUT, EXIT_CHECK_FAILED, EXIT_OK};
use anyhow::Result;
use faultline_check::formats::{check_file, FileReport, Format, ModelKind};
use faultline_check::{CheckOptions, Verdict, DEFAULT_MAX_STEPS};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;
use std::path::PathBuf;
use std::time::Instant;

/// Arguments of `faultline check`.
#[derive(clap::Args)]
pub struct CheckArgs {
    /// History files: faultline JSON, Jepsen EDN (vector or one map per line), or Porcupine etcd logs.
    #[arg(required = true)]
    histories: Vec<PathBuf>,
    /// The model to check against (default: named by the file, or implied by its format).
    #[arg(long, value_parser = parse_model)]
    model: Option<ModelKind>,
    /// The file format (default: detected from the content).
    #[arg(long, value_parser = parse_format)]
    format: Option<Format>,
    /// Check the whole history at once instead of key by key.
    #[arg(long)]
    no_partition: bool,
    /// Search steps allowed per history before the verdict is "unknown".
    #[arg(long, default_value_t = DEFAULT_MAX_STEPS)]
    max_steps: u64,
    /// Print one JSON object per history.
    #[arg(long)]
    json: bool,
}

fn parse_model(text: &str) -> Result<ModelKind, String> {
    text.parse()
}

fn parse_format(text: &str) -> Result<Format, String> {
    text.parse()
}

/// Runs the command; returns the exit code: 0 all linearizable, 1 one was not (or the budget ran
/// out), 2 a file could not be read or parsed.
pub fn execute(args: CheckArgs) -> Result<u8> {
    let options = CheckOptions {
        max_steps: Some(args.max_steps),
        partition: !args.no_partition,
        ..CheckOptions::default()
    };
    let progress = ProgressBar::new(args.histories.len() as u64);
    progress.set_style(
        ProgressStyle::with_template("{bar:30} {pos}/{len} histories {msg}")
            .expect("static template"),
    );
    let mut exit = EXIT_OK;
    for path in &args.histories {
        progress.set_message(path.display().to_string());
        let started = Instant::now();
        let result = check_file(path, args.format, args.model, &options);
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        progress.inc(1);
        let code = match result {
            Ok(report) => {
                progress.suspend(|| print_report(&report, ms, args.json));
                if report.linearizable() == Some(true) {
                    EXIT_OK
                } else {
                    EXIT_CHECK_FAILED
                }
            }
            Err(error) => {
                progress.suspend(|| eprintln!("error: {error}"));
                EXIT_BAD_INPUT
            }
        };
        exit = exit.max(code);
    }
    progress.finish_and_clear();
    Ok(exit)
}

fn print_report(report: &FileReport, ms: f64, as_json: bool) {
    if as_json {
        let object = json!({
            "file": report.file.display().to_string(),
            "model": report.model.name(),
            "linearizable": report.linearizable(),
            "ops": report.ops,
            "indeterminate": report.indeterminate,
            "ms": (ms * 1000.0).round() / 1000.0,
        });
        println!("{object}");
        return;
    }
    let verdict = match report.linearizable() {
        Some(true) => "linearizable",
        Some(false) => "NOT linearizable",
        None => "unknown (search budget exhausted; raise --max-steps)",
    };
    println!(
        "{}: {verdict} ({} model, {} ops, {} indeterminate, {ms:.1} ms)",
        report.file.display(),
        report.model,
        report.ops,
        report.indeterminate
    );
    if let Verdict::NotLinearizable { counterexample } = &report.verdict {
        print!("{counterexample}");
    }
}
