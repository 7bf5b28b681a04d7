//! `faultline run`: run one scenario and print its verdict.

use crate::output::{commit, create_file, prepare_output_dir, thousands, write_file};
use crate::progress::{command_line, spinner, Watch};
use crate::{EXIT_CHECK_FAILED, EXIT_OK};
use anyhow::{Context, Result};
use faultline_check::formats::AnyHistory;
use faultline_check::CheckOptions;
use faultline_harness::figures;
use faultline_harness::scenario::{self, Scenario};
use faultline_harness::{Focus, RunOptions, RunReport};
use faultline_report::chart::{Samples, Series, Size, Window};
use faultline_report::html::{Figure, ImageFormat, Page};
use faultline_report::presets;
use faultline_report::run_report::run_artifacts;
use faultline_report::spacetime::SpaceTimeOptions;
use faultline_report::trace::{parse_jsonl, EventKind, TraceEvent};
use serde_json::json;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Arguments of `faultline run`.
#[derive(clap::Args)]
pub struct RunArgs {
    /// The scenario file (JSON, version 1).
    scenario: PathBuf,
    /// Use this seed instead of the scenario's.
    #[arg(long)]
    seed: Option<u64>,
    /// Write every traced event to FILE as JSON lines.
    #[arg(long, value_name = "FILE")]
    trace: Option<PathBuf>,
    /// Replace the trace file if it exists.
    #[arg(long)]
    overwrite: bool,
    /// Print the result as one JSON object.
    #[arg(long)]
    json: bool,
    /// Write a report to DIR: report.html, the space-time diagram, a messages chart, the trace,
    /// and the trace as Chrome trace JSON (Perfetto) and a ShiViz log; for a protocol with
    /// clients also history.html, the history view of the client history (embedded in
    /// report.html too).
    #[arg(long, value_name = "DIR")]
    report: Option<PathBuf>,
}

/// Loads a scenario file; a template (a scenario with a `fuzz` block) is refused with a
/// pointer to the commands that take templates.
pub fn load_scenario(path: &Path) -> Result<Scenario> {
    scenario::load(path).map_err(|error| {
        if error.field() == Some("fuzz") {
            anyhow::anyhow!(
                "{error}; this is a fuzz template, not a scenario: sweep it with `faultline fuzz` or print one seed's scenario with `faultline expand`"
            )
        } else {
            anyhow::Error::new(error)
        }
    })
}

/// Runs the command; returns the exit code.
pub fn execute(args: RunArgs) -> Result<u8> {
    let scenario = load_scenario(&args.scenario)?;
    if let Some(dir) = &args.report {
        prepare_output_dir(dir, args.overwrite, "--report")?;
    }
    let trace_path = match (&args.trace, &args.report) {
        (Some(path), _) => Some(path.clone()),
        (None, Some(dir)) => Some(dir.join("trace.jsonl")),
        (None, None) => None,
    };
    let trace_file = match &trace_path {
        Some(path) => Some(create_file(path, args.overwrite)?),
        None => None,
    };
    let trace = match (&trace_file, &trace_path) {
        (Some(file), Some(path)) => Some(Box::new(BufWriter::new(
            file.handle()
                .with_context(|| format!("{}: cannot write", path.display()))?,
        )) as Box<dyn std::io::Write>),
        _ => None,
    };
    let started = Instant::now();
    let bar = spinner(format!(
        "running {} ({} simulated)",
        scenario.name, scenario.duration
    ));
    let unfinished = trace_file
        .as_ref()
        .and_then(|f| f.temp_path())
        .map(Path::to_path_buf);
    let watch = Watch::start(&bar, move || {
        run_interrupted(started, unfinished.as_deref())
    });
    let report = faultline_harness::run(
        &scenario,
        RunOptions {
            seed: args.seed,
            trace,
            // One run, then the process exits: the OS takes the nodes' memory back at once.
            skip_teardown: true,
        },
    )
    .with_context(|| match &trace_path {
        Some(path) => format!("{}: cannot write the trace", path.display()),
        None => "the run failed".to_string(),
    })?;
    drop(watch);
    let wall = started.elapsed();
    if let (Some(file), Some(path)) = (trace_file, &trace_path) {
        commit(file, path)?;
    }
    if args.json {
        outln!("{}", json_report(&report, wall.as_secs_f64() * 1000.0));
    } else {
        print_report(&report, wall.as_secs_f64());
    }
    if let (Some(dir), Some(trace)) = (&args.report, &trace_path) {
        write_report(dir, trace, &report, &scenario, args.overwrite)?;
        if !args.json {
            outln!("report     {}", dir.join("report.html").display());
        }
    }
    Ok(if report.ok() {
        EXIT_OK
    } else {
        EXIT_CHECK_FAILED
    })
}

/// What Ctrl-C during a run says: nothing is kept (the unfinished trace file is removed) and a
/// run starts over.
fn run_interrupted(started: Instant, unfinished: Option<&Path>) -> String {
    let removed = unfinished.map_or("", |temp| {
        let _ = std::fs::remove_file(temp);
        "; the unfinished trace was removed"
    });
    format!(
        "the run stopped after {:.1}s; nothing was kept: a run writes its trace and report only when it ends{removed}. A run does not resume; run it again with:\n  {}",
        started.elapsed().as_secs_f64(),
        command_line()
    )
}

/// Writes the report directory of a finished run from its trace file.
fn write_report(
    dir: &Path,
    trace: &Path,
    report: &RunReport,
    scenario: &Scenario,
    overwrite: bool,
) -> Result<()> {
    let text = std::fs::read_to_string(trace)
        .with_context(|| format!("{}: cannot read", trace.display()))?;
    let events = parse_jsonl(&text)
        .with_context(|| format!("{}: not a faultline trace", trace.display()))?;
    let mut summary = vec![
        ("scenario".to_string(), report.scenario.clone()),
        ("seed".to_string(), report.seed.to_string()),
        (
            "verdict".to_string(),
            if report.ok() { "PASS" } else { "FAIL" }.to_string(),
        ),
        ("trace hash".to_string(), report.trace_hash_hex()),
    ];
    summary.extend(report.summary.iter().cloned());
    summary.extend(report.checks.iter().map(|c| {
        (
            format!("check {}", c.name),
            format!("{}: {}", if c.ok { "ok" } else { "FAIL" }, c.detail),
        )
    }));
    let title = format!("faultline run: {}", report.scenario);
    let figures = client_figures(report, scenario, &events)?;
    if let Some(focus) = &report.focus {
        summary.push((
            "first failure".to_string(),
            format!(
                "{} at {} (highlighted in the space-time diagram)",
                focus.what,
                faultline_sim::Time::from_nanos(focus.window.0)
            ),
        ));
    }
    let diagram = diagram_options(report.focus.as_ref(), &events);
    let pages = match &report.history {
        Some(history) => {
            let page = history_page(history);
            write_file(&dir.join("history.html"), page.html.as_bytes(), overwrite)?;
            vec![page]
        }
        None => Vec::new(),
    };
    for (name, bytes) in run_artifacts(&title, &summary, &events, &diagram, figures, pages)? {
        write_file(&dir.join(name), &bytes, overwrite)?;
    }
    Ok(())
}

/// The history view of a run's client history (as `faultline check --report` draws it), for
/// `report.html` to embed and `history.html` to hold on its own.
fn history_page(history: &AnyHistory) -> Page {
    let analysis = history.analyze(&CheckOptions::default());
    let data = history.view_data("client history", &analysis);
    Page {
        caption: format!(
            "The clients' history ({} operations, {} indeterminate) as the linearizability \
             check saw it: one lane per client, the linearization on hover, and for a failure the \
             longest linearizable prefix and the operation that could not be placed \
             (also in history.html).",
            history.len(),
            history.indeterminate()
        ),
        html: faultline_check::view::render_page(&[data]),
    }
}

/// Events drawn before a failure in the space-time diagram (the rest of its events follow it).
const EVENTS_BEFORE_FAILURE: usize = 120;

/// The space-time diagram's selection: the run's first events, or for a failing run the events
/// around the first failure, with its window highlighted.
fn diagram_options(focus: Option<&Focus>, events: &[TraceEvent]) -> SpaceTimeOptions {
    let Some(focus) = focus else {
        return SpaceTimeOptions::default();
    };
    let (start, end) = focus.window;
    let at = events.partition_point(|e| e.t_ns < start);
    SpaceTimeOptions {
        title: format!("Around the first failure: {}", focus.what),
        from_ns: events
            .get(at.saturating_sub(EVENTS_BEFORE_FAILURE))
            .map(|e| e.t_ns),
        highlight_window: Some((start, end)),
        ..SpaceTimeOptions::default()
    }
}

/// Client latency, throughput and messages-per-operation charts, with the scenario's fault
/// windows shaded, for runs whose protocol has clients (data from `faultline_harness::figures`).
fn client_figures(
    report: &RunReport,
    scenario: &Scenario,
    events: &[TraceEvent],
) -> Result<Vec<Figure>> {
    let sends = events.iter().filter(|e| e.kind == EventKind::Send);
    let Some(data) = figures::client_figures(report, scenario, sends.map(|e| e.t_ns)) else {
        return Ok(Vec::new());
    };
    let windows = || -> Vec<Window> {
        let window = |w: &figures::FaultWindow| Window {
            start: w.start,
            end: w.end,
            label: w.label.clone(),
        };
        data.fault_windows.iter().map(window).collect()
    };
    let size = Size::new(800, 400);
    let mut out = Vec::new();
    if !data.latencies_ms.is_empty() {
        let samples = Samples::new("completed operations", data.latencies_ms.clone());
        let chart = presets::client_latency(vec![samples], 40);
        out.push(Figure::chart(
            "Client latency",
            &chart,
            size,
            ImageFormat::Svg,
        )?);
    }
    let chart = presets::throughput(
        vec![Series::solid(
            "operations completed per second",
            data.throughput.clone(),
        )],
        windows(),
    );
    out.push(Figure::chart(
        "Throughput, fault windows shaded",
        &chart,
        size,
        ImageFormat::Svg,
    )?);
    let chart = presets::messages_per_operation(
        vec![Series::solid(
            "messages sent per completed operation, per second",
            data.messages_per_operation.clone(),
        )],
        windows(),
    );
    out.push(Figure::chart(
        "Messages per operation, fault windows shaded",
        &chart,
        size,
        ImageFormat::Svg,
    )?);
    Ok(out)
}

fn json_report(report: &RunReport, wall_ms: f64) -> serde_json::Value {
    let checks: serde_json::Map<String, serde_json::Value> = report
        .checks
        .iter()
        .map(|c| (c.name.clone(), json!({ "ok": c.ok, "detail": c.detail })))
        .collect();
    let summary: serde_json::Map<String, serde_json::Value> = report
        .summary
        .iter()
        .map(|(k, v)| (k.clone(), json!(v)))
        .collect();
    json!({
        "scenario": report.scenario,
        "seed": report.seed,
        "ok": report.ok(),
        "trace_hash": report.trace_hash_hex(),
        "checks": checks,
        "summary": summary,
        "events": report.counters.events,
        "messages": report.counters.sent,
        "bytes_sent": report.counters.sent_bytes,
        "delivered": report.counters.delivered,
        "dropped": report.counters.dropped,
        "virtual_ns": report.virtual_ns,
        "probes": report.probes,
        "wall_ms": (wall_ms * 1000.0).round() / 1000.0,
        "peak_rss_bytes": peak_rss_bytes(),
    })
}

/// The process's peak resident memory, where the OS reports it (Linux: VmHWM).
fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

fn print_report(report: &RunReport, wall_secs: f64) {
    let c = &report.counters;
    let rate = if wall_secs > 0.0 {
        (c.events as f64 / wall_secs) as u64
    } else {
        0
    };
    outln!("scenario   {} (seed {})", report.scenario, report.seed);
    outln!(
        "simulated  {} virtual in {wall_secs:.3}s wall, {} events ({} events/s)",
        faultline_sim::Time::from_nanos(report.virtual_ns),
        thousands(c.events),
        thousands(rate)
    );
    outln!(
        "messages   {} sent ({} bytes), {} delivered, {} dropped, {} duplicated",
        thousands(c.sent),
        thousands(c.sent_bytes),
        thousands(c.delivered),
        thousands(c.dropped),
        thousands(c.duplicated)
    );
    for (label, value) in &report.summary {
        outln!("{label:<10} {value}");
    }
    outln!("trace      {}", report.trace_hash_hex());
    for check in &report.checks {
        outln!(
            "check      {} {}: {}",
            if check.ok { "ok  " } else { "FAIL" },
            check.name,
            check.detail
        );
    }
    outln!("verdict    {}", if report.ok() { "PASS" } else { "FAIL" });
}
