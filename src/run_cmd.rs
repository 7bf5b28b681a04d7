//! `faultline run`: run one scenario and print its verdict.

use crate::output::{create_file, thousands};
use crate::{EXIT_CHECK_FAILED, EXIT_OK};
use anyhow::{Context, Result};
use faultline_harness::scenario;
use faultline_harness::{RunOptions, RunReport};
use faultline_report::run_report::run_artifacts;
use faultline_report::spacetime::SpaceTimeOptions;
use faultline_report::trace::parse_jsonl;
use serde_json::json;
use std::io::{BufWriter, Write};
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
    /// and the trace as Chrome trace JSON (Perfetto) and a ShiViz log.
    #[arg(long, value_name = "DIR")]
    report: Option<PathBuf>,
}

/// Runs the command; returns the exit code.
pub fn execute(args: RunArgs) -> Result<u8> {
    let scenario = scenario::load(&args.scenario)?;
    let trace_path = match (&args.trace, &args.report) {
        (Some(path), _) => Some(path.clone()),
        (None, Some(dir)) => {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("{}: cannot create", dir.display()))?;
            Some(dir.join("trace.jsonl"))
        }
        (None, None) => None,
    };
    let trace =
        match &trace_path {
            Some(path) => Some(Box::new(BufWriter::new(create_file(path, args.overwrite)?))
                as Box<dyn std::io::Write>),
            None => None,
        };
    let started = Instant::now();
    let report = faultline_harness::run(
        &scenario,
        RunOptions {
            seed: args.seed,
            trace,
        },
    )?;
    let wall = started.elapsed();
    if args.json {
        println!("{}", json_report(&report, wall.as_secs_f64() * 1000.0));
    } else {
        print_report(&report, wall.as_secs_f64());
    }
    if let (Some(dir), Some(trace)) = (&args.report, &trace_path) {
        write_report(dir, trace, &report, args.overwrite)?;
        if !args.json {
            println!("report     {}", dir.join("report.html").display());
        }
    }
    Ok(if report.ok() {
        EXIT_OK
    } else {
        EXIT_CHECK_FAILED
    })
}

/// Writes the report directory of a finished run from its trace file.
fn write_report(dir: &Path, trace: &Path, report: &RunReport, overwrite: bool) -> Result<()> {
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
    for (name, bytes) in run_artifacts(&title, &summary, &events, &SpaceTimeOptions::default())? {
        let path = dir.join(name);
        create_file(&path, overwrite)?
            .write_all(&bytes)
            .with_context(|| format!("{}: cannot write", path.display()))?;
    }
    Ok(())
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
        "delivered": report.counters.delivered,
        "dropped": report.counters.dropped,
        "virtual_ns": report.virtual_ns,
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
    println!("scenario   {} (seed {})", report.scenario, report.seed);
    println!(
        "simulated  {} virtual in {wall_secs:.3}s wall, {} events ({} events/s)",
        faultline_sim::Time::from_nanos(report.virtual_ns),
        thousands(c.events),
        thousands(rate)
    );
    println!(
        "messages   {} sent, {} delivered, {} dropped, {} duplicated",
        thousands(c.sent),
        thousands(c.delivered),
        thousands(c.dropped),
        thousands(c.duplicated)
    );
    for (label, value) in &report.summary {
        println!("{label:<10} {value}");
    }
    println!("trace      {}", report.trace_hash_hex());
    for check in &report.checks {
        println!(
            "check      {} {}: {}",
            if check.ok { "ok  " } else { "FAIL" },
            check.name,
            check.detail
        );
    }
    println!("verdict    {}", if report.ok() { "PASS" } else { "FAIL" });
}
