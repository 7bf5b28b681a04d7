//! `faultline fuzz` and `faultline shrink`: seed sweeps and minimising their failures.

use crate::output::thousands;
use crate::{EXIT_CHECK_FAILED, EXIT_OK};
use anyhow::{bail, Context, Result};
use faultline_harness::fuzz::{self, SeedResult, Shard, SweepOptions};
use faultline_harness::scenario;
use faultline_report::chart::Size;
use faultline_report::html::{Figure, ImageFormat, Report};
use faultline_report::presets;
use indicatif::{ProgressBar, ProgressStyle};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Arguments of `faultline fuzz`.
#[derive(clap::Args)]
pub struct FuzzArgs {
    /// A template: a scenario with a `fuzz` block.
    template: PathBuf,
    /// Seeds to run, `A..B` (B excluded).
    #[arg(long, value_parser = parse_seeds)]
    seeds: Range<u64>,
    /// Worker threads (default: one per core).
    #[arg(long)]
    jobs: Option<usize>,
    /// Run only shard K of N (`K/N`, 1-based) of the seeds.
    #[arg(long, value_parser = Shard::parse)]
    shard: Option<Shard>,
    /// Output folder for results.jsonl, junit.xml and failures/.
    #[arg(long, default_value = "fuzz-out")]
    out: PathBuf,
    /// Continue an interrupted sweep in the output folder.
    #[arg(long)]
    resume: bool,
    /// Shrink every failure and write the minimal scenario next to it.
    #[arg(long)]
    shrink: bool,
}

fn parse_seeds(text: &str) -> Result<Range<u64>, String> {
    let expected = || format!("expected A..B with A < B, e.g. 0..1000; found {text:?}");
    let (a, b) = text.split_once("..").ok_or_else(expected)?;
    let (a, b): (u64, u64) = (
        a.parse().map_err(|_| expected())?,
        b.parse().map_err(|_| expected())?,
    );
    if a >= b {
        return Err(expected());
    }
    Ok(a..b)
}

/// Runs a sweep; exit 1 if any seed (in the whole results file) failed.
pub fn fuzz(args: FuzzArgs) -> Result<u8> {
    let template = fuzz::load_template(&args.template)?;
    let shard = args.shard.unwrap_or(Shard::ALL);
    let jobs = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    if jobs == 0 {
        bail!("--jobs: expected at least 1");
    }
    let total = shard.seeds(args.seeds.clone()).len() as u64;
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template("{bar:30} {pos}/{len} seeds, {per_sec}, {msg}, ETA {eta}")
            .expect("static template"),
    );
    bar.set_message("0 failures");
    let failures = AtomicUsize::new(0);
    let on_result = |result: &SeedResult| {
        if !result.ok {
            let n = failures.fetch_add(1, Ordering::Relaxed) + 1;
            bar.set_message(format!("{n} failures"));
        }
        bar.inc(1);
    };
    let options = SweepOptions {
        seeds: args.seeds.clone(),
        jobs,
        shard,
        out: args.out.clone(),
        resume: args.resume,
        shrink: args.shrink,
    };
    let summary = fuzz::sweep(&template, &options, &on_result)?;
    bar.finish_and_clear();
    let secs = summary.wall.as_secs_f64();
    let rate = if secs > 0.0 {
        summary.ran as f64 / secs
    } else {
        0.0
    };
    println!(
        "template   {} ({} seeds {}..{}, shard {}/{}, {jobs} jobs)",
        template.base.name,
        total,
        args.seeds.start,
        args.seeds.end,
        shard.index + 1,
        shard.count
    );
    println!(
        "ran        {} seeds in {secs:.2}s ({rate:.1} seeds/s), {} resumed",
        thousands(summary.ran as u64),
        summary.resumed
    );
    if let Some((seed, wall)) = summary.slowest {
        println!(
            "slowest    seed {seed} ({:.1} ms)",
            wall.as_secs_f64() * 1000.0
        );
    }
    println!("failures   {}", summary.failures);
    for (check, count) in &summary.failures_by_check {
        println!("  {count:>6}  {check}");
    }
    println!("results    {}", args.out.join("results.jsonl").display());
    let html = write_summary(&args.out, &template.base.name, &summary, rate)?;
    println!("summary    {}", html.display());
    Ok(if summary.failures == 0 {
        EXIT_OK
    } else {
        EXIT_CHECK_FAILED
    })
}

/// Writes `summary.html` into the sweep's folder: failures by check and the distribution of run
/// lengths over every seed in `results.jsonl`, with the sweep's figures.
fn write_summary(
    out: &Path,
    name: &str,
    summary: &fuzz::SweepSummary,
    rate: f64,
) -> Result<PathBuf> {
    let results = fuzz::read_results(&out.join("results.jsonl"))?;
    let by_check: Vec<(String, u64)> = summary
        .failures_by_check
        .iter()
        .map(|(c, n)| (c.clone(), *n as u64))
        .collect();
    let mut report = Report::new(format!("Fuzz sweep: {name}"));
    report
        .summary
        .push(("seeds".into(), results.len().to_string()));
    report
        .summary
        .push(("failing seeds".into(), summary.failures.to_string()));
    report
        .summary
        .push(("seeds/s (this run)".into(), format!("{rate:.1}")));
    if let Some((seed, wall)) = summary.slowest {
        report.summary.push((
            "slowest seed (this run)".into(),
            format!("{seed} ({:.1} ms)", wall.as_secs_f64() * 1e3),
        ));
    }
    let size = Size::new(720, 400);
    if !by_check.is_empty() {
        report.figures.push(Figure::chart(
            "Failing seeds by check",
            &presets::fuzz_failures(&by_check),
            size,
            ImageFormat::Svg,
        )?);
    }
    let lengths: Vec<f64> = results.iter().map(|r| r.events as f64).collect();
    report.figures.push(Figure::chart(
        "Events per run",
        &presets::run_lengths(lengths, 30),
        size,
        ImageFormat::Svg,
    )?);
    let path = out.join("summary.html");
    std::fs::write(&path, report.to_html()?)
        .with_context(|| format!("{}: cannot write", path.display()))?;
    Ok(path)
}

/// Arguments of `faultline expand`.
#[derive(clap::Args)]
pub struct ExpandArgs {
    /// A template: a scenario with a `fuzz` block.
    template: PathBuf,
    /// The seed whose scenario to print.
    #[arg(long)]
    seed: u64,
}

/// Prints the concrete scenario `faultline fuzz` runs for one seed, every fault listed.
pub fn expand(args: ExpandArgs) -> Result<u8> {
    let template = fuzz::load_template(&args.template)?;
    let scenario = fuzz::expand(&template, args.seed);
    println!("{}", serde_json::to_string_pretty(&scenario)?);
    Ok(EXIT_OK)
}

/// Arguments of `faultline shrink`.
#[derive(clap::Args)]
pub struct ShrinkArgs {
    /// A failing scenario (e.g. one written by `faultline fuzz`).
    scenario: PathBuf,
}

/// Shrinks a failing scenario and writes `<name>.min.json` next to it; exit 1 when it was
/// shrunk (the minimal scenario still fails), 0 when the scenario does not fail at all.
pub fn shrink(args: ShrinkArgs) -> Result<u8> {
    let original = scenario::load(&args.scenario)?;
    let Some(shrunk) = fuzz::shrink(&original)? else {
        println!(
            "{}: every check holds; nothing to shrink",
            args.scenario.display()
        );
        return Ok(EXIT_OK);
    };
    let out = fuzz::min_path(&args.scenario);
    if out.exists() {
        bail!(
            "{}: already exists; remove it to shrink again",
            out.display()
        );
    }
    fuzz::write_scenario(&out, &shrunk.scenario)?;
    println!("still fails  {}", shrunk.failing.join(", "));
    println!(
        "faults       {} -> {}",
        original.faults.len(),
        shrunk.scenario.faults.len()
    );
    println!(
        "nodes        {} -> {}",
        original.cluster.nodes, shrunk.scenario.cluster.nodes
    );
    println!(
        "duration     {} -> {}",
        original.duration, shrunk.scenario.duration
    );
    println!("runs         {}", shrunk.runs);
    for step in &shrunk.steps {
        println!("  - {step}");
    }
    println!("wrote        {}", out.display());
    Ok(EXIT_CHECK_FAILED)
}

/// Arguments of `faultline campaign`.
#[derive(clap::Args)]
pub struct CampaignArgs {
    /// A template whose protocol has planted bugs (Raft).
    template: PathBuf,
    /// Starting offsets to hunt from (offset k starts at seed k * 10,000).
    #[arg(long, default_value_t = 5)]
    offsets: u64,
    /// Most seeds per offset before a bug counts as not found.
    #[arg(long, default_value_t = 200)]
    budget: u64,
    /// Worker threads (default: one per core).
    #[arg(long)]
    jobs: Option<usize>,
}

/// For every planted bug: median seeds to the first failure, the checks that caught it, and the
/// faults before and after shrinking each offset's first failure; then a control sweep with no bug. Exit 0 when every bug was
/// found from every offset and the control found nothing, 1 otherwise.
pub fn campaign(args: CampaignArgs) -> Result<u8> {
    let template = fuzz::load_template(&args.template)?;
    let bugs = fuzz::bug_names(&template);
    if bugs.is_empty() {
        bail!(
            "{}: the protocol has no planted bugs to hunt",
            args.template.display()
        );
    }
    let jobs = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let offsets: Vec<u64> = (0..args.offsets).map(|k| k * 10_000).collect();
    println!(
        "{:<26} {:>13} {:>7}  {:<28} faults before -> after shrinking (median)",
        "planted bug", "median seeds", "found", "caught by"
    );
    let mut ok = true;
    let names: Vec<Option<&str>> = bugs
        .iter()
        .map(|b| Some(b.as_str()))
        .chain(std::iter::once(None))
        .collect();
    for bug in names {
        let result = fuzz::hunt(&template, bug, &offsets, args.budget, jobs)?;
        let found = result
            .seeds_to_failure
            .iter()
            .filter(|s| s.is_some())
            .count();
        let median = result
            .median_seeds(args.budget)
            .map_or("-".to_string(), |m| m.to_string());
        let shrink = result.shrink_summary().map_or("-".to_string(), |s| {
            format!(
                "{} -> {} (max {})",
                s.median_before, s.median_after, s.max_after
            )
        });
        let checks = if result.failed_checks.is_empty() {
            "-".to_string()
        } else {
            result.failed_checks.join(", ")
        };
        println!(
            "{:<26} {median:>13} {:>7}  {checks:<28} {shrink}",
            result.bug,
            format!("{found}/{}", offsets.len())
        );
        ok &= match bug {
            Some(_) => result.always_found(),
            None => found == 0,
        };
    }
    Ok(if ok { EXIT_OK } else { EXIT_CHECK_FAILED })
}
