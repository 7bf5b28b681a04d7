//! `faultline fuzz` and `faultline shrink`: seed sweeps and minimising their failures.

use crate::output::thousands;
use crate::{EXIT_CHECK_FAILED, EXIT_OK};
use anyhow::{bail, Result};
use faultline_harness::fuzz::{self, SeedResult, Shard, SweepOptions};
use faultline_harness::scenario;
use indicatif::{ProgressBar, ProgressStyle};
use std::ops::Range;
use std::path::PathBuf;
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
    Ok(if summary.failures == 0 {
        EXIT_OK
    } else {
        EXIT_CHECK_FAILED
    })
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
