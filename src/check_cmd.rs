//! `faultline check`: check client histories for linearizability.

use crate::output::{prepare_output_dir, write_file};
use crate::progress::{command_line, Watch};
use crate::{EXIT_BAD_INPUT, EXIT_CHECK_FAILED, EXIT_OK};
use anyhow::Result;
use faultline_check::formats::{
    check_file, load_history, FileReport, Format, LoadError, ModelKind, DEFAULT_MAX_HISTORY_BYTES,
};
use faultline_check::{CheckOptions, Verdict, DEFAULT_MAX_STEPS};
use faultline_harness::files;
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

/// Arguments of `faultline check`.
#[derive(clap::Args)]
pub struct CheckArgs {
    /// History files: faultline JSON, Jepsen EDN (vector or one map per line), or Porcupine etcd logs.
    #[arg(required = true)]
    histories: Vec<PathBuf>,
    /// The model to check against: kv, register (or cas-register), set, fifo-queue,
    /// unordered-queue or mutex (default: named by the file, or implied by its format).
    #[arg(long, value_parser = parse_model)]
    model: Option<ModelKind>,
    /// The file format (default: detected from the content).
    #[arg(long, value_parser = parse_format)]
    format: Option<Format>,
    /// Check the whole history at once instead of key by key.
    #[arg(long)]
    no_partition: bool,
    /// Search steps allowed per partition (key) before its verdict is "unknown".
    #[arg(long, default_value_t = DEFAULT_MAX_STEPS, allow_negative_numbers = true, value_parser = parse_steps)]
    max_steps: u64,
    /// Memory one partition's search may hold (memo, frontier, paths), e.g. 512MiB or
    /// 2GiB, before its verdict is "unknown"; partitions are searched in parallel.
    #[arg(long, default_value = "1GiB", value_parser = parse_memory)]
    memory: usize,
    /// Print one JSON object per history.
    #[arg(long)]
    json: bool,
    /// Also write DIR/history.html: an interactive view of every history and partition
    /// (client lanes, operation bars, the linearization on hover, and for a failure the
    /// longest linearizable prefix and the operations that could not be placed).
    #[arg(long, value_name = "DIR")]
    report: Option<PathBuf>,
    /// Let --report replace the files of an earlier report in DIR.
    #[arg(long)]
    overwrite: bool,
}

fn parse_model(text: &str) -> Result<ModelKind, String> {
    text.parse()
}

fn parse_format(text: &str) -> Result<Format, String> {
    text.parse()
}

/// A size in [`files::parse_size`]'s syntax (`N`, `NKiB`, `NMiB` or `NGiB`, also `K`, `M`, `G`):
/// bytes, at least 1 MiB.
fn parse_steps(text: &str) -> Result<u64, String> {
    match text.parse::<u64>() {
        Ok(steps) if steps > 0 => Ok(steps),
        _ => Err(format!(
            "expected a whole number of steps from 1 to {}, found {text:?}",
            u64::MAX
        )),
    }
}

fn parse_memory(text: &str) -> Result<usize, String> {
    let bytes = files::parse_size(text)
        .ok_or_else(|| format!("expected a size like 512MiB or 2GiB, found {text:?}"))?;
    let bytes = usize::try_from(bytes)
        .map_err(|_| format!("{text:?} is more memory than this machine can address"))?;
    if bytes < 1 << 20 {
        return Err(format!("expected at least 1MiB, found {text:?}"));
    }
    Ok(bytes)
}

/// Runs the command, reading each history file up to `max_input_bytes` (the global
/// `--max-input-bytes`; default [`DEFAULT_MAX_HISTORY_BYTES`]); returns the exit code: 0 all
/// linearizable, 1 one was not (or the budget ran out), 2 a file could not be read or parsed.
pub fn execute(args: CheckArgs, max_input_bytes: Option<u64>) -> Result<u8> {
    let max_bytes = max_input_bytes.unwrap_or(DEFAULT_MAX_HISTORY_BYTES);
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
    if let Some(dir) = &args.report {
        prepare_output_dir(dir, args.overwrite, "--report")?;
    }
    let checked = Arc::new(AtomicUsize::new(0));
    let watch = check_watch(&progress, &args, checked.clone());
    let mut views = Vec::new();
    let mut exit = EXIT_OK;
    for path in &args.histories {
        progress.set_message(path.display().to_string());
        let started = Instant::now();
        let result = check_one(path, &args, max_bytes, &options, &mut views);
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        progress.inc(1);
        let code = match result {
            Ok(report) => {
                let text = render_report(&report, ms, args.json);
                progress.suspend(|| crate::outln!("{}", text.trim_end()));
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
        checked.fetch_add(1, Ordering::SeqCst);
    }
    drop(watch);
    progress.finish_and_clear();
    if let Some(dir) = &args.report {
        let page = faultline_check::view::render_page(&views);
        let file = dir.join("history.html");
        write_file(&file, page.as_bytes(), args.overwrite)?;
        crate::outln!("history view: {}", file.display());
    }
    Ok(exit)
}

/// Watches the checks: on Ctrl-C, says which histories have their verdict printed and which
/// file to start again from (a history view is written only at the end).
fn check_watch(progress: &ProgressBar, args: &CheckArgs, checked: Arc<AtomicUsize>) -> Watch {
    let files: Vec<String> = args
        .histories
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    let view = if args.report.is_some() {
        " (the history view is written only at the end)"
    } else {
        ""
    };
    Watch::start(progress, move || {
        let done = checked.load(Ordering::SeqCst);
        let rest = files
            .get(done)
            .map_or_else(|| "none left".to_string(), |f| format!("from {f} on"));
        format!(
            "the verdicts printed above are complete: {done} of {} histories{view}. Check the rest ({rest}) with the same options:\n  {}",
            files.len(),
            command_line()
        )
    })
}

/// Checks one file; with `--report`, also keeps its view data.
fn check_one(
    path: &Path,
    args: &CheckArgs,
    max_bytes: u64,
    options: &CheckOptions,
    views: &mut Vec<serde_json::Value>,
) -> Result<FileReport, LoadError> {
    if args.report.is_none() {
        return check_file(path, args.format, args.model, max_bytes, options);
    }
    let history = load_history(path, args.format, args.model, max_bytes)?;
    let analysis = history.analyze(options);
    views.push(history.view_data(&path.display().to_string(), &analysis));
    Ok(FileReport {
        file: path.to_path_buf(),
        model: history.model(),
        ops: history.len(),
        indeterminate: history.indeterminate(),
        verdict: history.verdict(&analysis),
    })
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
