//! `faultline check`: check client histories for linearizability.

use crate::{EXIT_BAD_INPUT, EXIT_CHECK_FAILED, EXIT_OK};
use anyhow::Result;
use faultline_check::formats::{check_file, FileReport, Format, ModelKind};
use faultline_check::{CheckOptions, Verdict, DEFAULT_MAX_STEPS};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;
use std::io::Write;
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
    /// Search steps allowed per partition (key) before its verdict is "unknown".
    #[arg(long, default_value_t = DEFAULT_MAX_STEPS)]
    max_steps: u64,
    /// Memory one partition's search may hold (memo, frontier, paths), e.g. 512MiB or
    /// 2GiB, before its verdict is "unknown"; partitions are searched in parallel.
    #[arg(long, default_value = "1GiB", value_parser = parse_memory)]
    memory: usize,
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

/// `N`, `NKiB`, `NMiB` or `NGiB` (also `K`, `M`, `G`): bytes, at least 1 MiB.
fn parse_memory(text: &str) -> Result<usize, String> {
    let expected = || format!("expected a size like 512MiB or 2GiB, found {text:?}");
    let digits = text.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let shift = match &text[digits.len()..] {
        "" | "B" => 0,
        "K" | "KiB" => 10,
        "M" | "MiB" => 20,
        "G" | "GiB" => 30,
        _ => return Err(expected()),
    };
    let n: usize = digits.parse().map_err(|_| expected())?;
    let bytes = n
        .checked_mul(1 << shift)
        .ok_or_else(|| format!("{text:?} is more memory than this machine can address"))?;
    if bytes < 1 << 20 {
        return Err(format!("expected at least 1MiB, found {text:?}"));
    }
    Ok(bytes)
}

/// Runs the command; returns the exit code: 0 all linearizable, 1 one was not (or the budget ran
/// out), 2 a file could not be read or parsed.
pub fn execute(args: CheckArgs) -> Result<u8> {
    let options = CheckOptions {
        max_steps: Some(args.max_steps),
        max_memory: Some(args.memory),
        partition: !args.no_partition,
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
                let text = render_report(&report, ms, args.json);
                if !progress.suspend(|| write_stdout(&text))? {
                    progress.finish_and_clear();
                    return Ok(exit);
                }
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

/// The report of one history: a JSON line, or a verdict line and its counterexample.
fn render_report(report: &FileReport, ms: f64, as_json: bool) -> String {
    let unknown = match &report.verdict {
        Verdict::Unknown(why) => Some(why.to_string()),
        _ => None,
    };
    if as_json {
        let object = json!({
            "file": report.file.display().to_string(),
            "model": report.model.name(),
            "linearizable": report.linearizable(),
            "unknown": unknown,
            "ops": report.ops,
            "indeterminate": report.indeterminate,
            "ms": (ms * 1000.0).round() / 1000.0,
        });
        return format!("{object}\n");
    }
    let verdict = match &report.verdict {
        Verdict::Linearizable => "linearizable".to_owned(),
        Verdict::NotLinearizable { .. } => "NOT linearizable".to_owned(),
        Verdict::Unknown(why) => format!("unknown: {why}"),
    };
    let mut text = format!(
        "{}: {verdict} ({} model, {} ops, {} indeterminate, {ms:.1} ms)\n",
        report.file.display(),
        report.model,
        report.ops,
        report.indeterminate
    );
    if let Verdict::NotLinearizable { counterexample } = &report.verdict {
        text.push_str(&counterexample.to_string());
    }
    text
}

/// Writes to standard output; `Ok(false)` when the reader has gone (a closed pipe, as
/// in `| head -1`), so the command can stop quietly.
fn write_stdout(text: &str) -> Result<bool> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(false),
        Err(e) => Err(anyhow::Error::new(e).context("cannot write to standard output")),
    }
}
