//! `faultline fuzz` and `faultline shrink`: seed sweeps and minimising their failures.

use crate::output::thousands;
use crate::sweep_summary::{groups_in, write_page, PageInput, Timing};
use crate::time_limit::StopWatch;
use crate::{EXIT_CHECK_FAILED, EXIT_INTERRUPTED, EXIT_OK};
use anyhow::{bail, Context, Result};
use faultline_harness::files::Existing;
use faultline_harness::fuzz::{self, ResultsHeader, SeedResult, SeedSpan, Shard, SweepOptions};
use faultline_harness::scenario::Span;
use indicatif::{HumanDuration, ProgressBar, ProgressStyle};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// Arguments of `faultline fuzz`.
#[derive(clap::Args)]
pub struct FuzzArgs {
    /// A template: a scenario with a `fuzz` block.
    template: PathBuf,
    /// Seeds to run, `A..B` (B excluded), or `A..` for no end (stop with --for or Ctrl-C);
    /// default with --for: `0..`.
    #[arg(long, required_unless_present = "for_")]
    seeds: Option<SeedSpan>,
    /// Stop starting seeds before this much wall time has passed (e.g. `8h`, `30m`): a twentieth
    /// of it, at most 10 minutes, is kept for the seeds then running and the outputs. Resumable.
    #[arg(long = "for", value_name = "DURATION", value_parser = parse_time_limit)]
    for_: Option<Duration>,
    /// Worker threads (default: one per core; at most 4 per core).
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
    /// Coverage-guided: part of each batch of seeds mutates scenarios that reached new code
    /// probes (deterministic from the seed range; not with --resume or --shard).
    #[arg(long, conflicts_with_all = ["resume", "shard"])]
    guided: bool,
}

fn parse_time_limit(text: &str) -> Result<Duration, String> {
    let most = crate::time_limit::MAX_TIME_LIMIT;
    let expected = || {
        format!(
            "expected a duration such as 8h, 30m or 90s, at most {}h; found {text:?}",
            most.as_secs() / 3600
        )
    };
    let span = Span::parse(text).ok_or_else(expected)?;
    let limit = Duration::from_nanos(span.nanos());
    if limit.is_zero() || limit > most {
        return Err(expected());
    }
    Ok(limit)
}

impl FuzzArgs {
    /// The seeds asked for (`0..` when only --for was given).
    fn range(&self) -> Range<u64> {
        self.seeds.as_ref().map_or(0..u64::MAX, |s| s.0.clone())
    }
}

/// Loads a template and warns (on standard error) about combinations of `vary` choices that
/// `expand` cannot apply together.
fn load_template(path: &Path) -> Result<fuzz::Template> {
    let mut template = fuzz::load_template(path)?;
    let conflicts = template.check_vary();
    if let Some(first) = conflicts.first() {
        eprintln!(
            "warning: {}: {} combination(s) of fuzz.vary choices make the scenario invalid; a seed that draws one runs without the choice that breaks it (the field keeps its earlier value). The first: {first}",
            path.display(),
            conflicts.len()
        );
    }
    Ok(template)
}

/// Most worker threads per core that `--jobs` accepts: more only adds switching.
pub const MAX_JOBS_PER_CORE: usize = 4;

/// The worker threads `--jobs` asks for (default: one per core), within
/// [`MAX_JOBS_PER_CORE`] per core.
pub fn worker_threads(jobs: Option<usize>) -> Result<usize> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let Some(jobs) = jobs else {
        return Ok(cores);
    };
    let most = cores * MAX_JOBS_PER_CORE;
    if jobs == 0 || jobs > most {
        bail!(
            "--jobs {jobs}: expected 1 to {most} (at most {MAX_JOBS_PER_CORE} worker threads per core; this machine has {cores})"
        );
    }
    Ok(jobs)
}

/// Runs a sweep; exit 1 if any seed (in the whole results file) failed, 130 if Ctrl-C stopped
/// it (with the command that resumes it).
pub fn fuzz(args: FuzzArgs) -> Result<u8> {
    let template = load_template(&args.template)?;
    let shard = args.shard.unwrap_or(Shard::ALL);
    let jobs = worker_threads(args.jobs)?;
    if args.out.exists() && !args.out.is_dir() {
        bail!(
            "{}: --out expects a folder, found a file",
            args.out.display()
        );
    }
    let range = args.range();
    let total = shard.len(&range);
    let bar = sweep_bar(&args, total);
    bar.set_message("0 failures");
    let failures = AtomicUsize::new(0);
    let on_result = |result: &SeedResult| {
        if !result.ok {
            let n = failures.fetch_add(1, Ordering::Relaxed) + 1;
            bar.set_message(format!("{n} failures"));
        }
        bar.inc(1);
    };
    let watch = StopWatch::start(crate::interrupt::on_ctrl_c(), args.for_);
    let options = SweepOptions {
        seeds: range.clone(),
        jobs,
        shard,
        out: args.out.clone(),
        resume: args.resume,
        shrink: args.shrink,
        header: ResultsHeader::new(&args.template, &template)
            .with_part(range.clone(), shard)
            .with_guided(args.guided),
        interrupt: Some(watch.flag()),
    };
    let summary = fuzz::sweep(&template, &options, &on_result)?;
    bar.finish_and_clear();
    print_sweep(&args, &template.base.name, &summary, total, jobs);
    Timing::add(&args.out, summary.ran as u64, summary.wall.as_secs_f64())?;
    let html = write_sweep_page(&args, &template, &summary)?;
    outln!("summary    {}", html.display());
    if summary.interrupted && watch.time_up() {
        eprintln!(
            "time limit: stopped starting seeds; {} seeds recorded; continue with:\n  {}",
            summary.recorded,
            resume_command(&args)
        );
    } else if summary.interrupted {
        eprintln!(
            "interrupted: {} of {total} seeds recorded; continue with:\n  {}",
            summary.recorded,
            resume_command(&args)
        );
        return Ok(EXIT_INTERRUPTED);
    }
    Ok(if summary.failures == 0 {
        EXIT_OK
    } else {
        EXIT_CHECK_FAILED
    })
}

fn seeds_per_second(summary: &fuzz::SweepSummary) -> f64 {
    let secs = summary.wall.as_secs_f64();
    if secs > 0.0 {
        summary.ran as f64 / secs
    } else {
        0.0
    }
}

/// The command line that continues this sweep.
fn resume_command(args: &FuzzArgs) -> String {
    let mut command = format!(
        "faultline fuzz {} --seeds {} --out {}",
        args.template.display(),
        SeedSpan(args.range()),
        args.out.display()
    );
    if let Some(limit) = args.for_ {
        command += &format!(" --for {}s", limit.as_secs());
    }
    if let Some(shard) = args.shard {
        command += &format!(" --shard {}/{}", shard.index + 1, shard.count);
    }
    if args.shrink {
        command += " --shrink";
    }
    command + " --resume"
}

fn print_sweep(args: &FuzzArgs, name: &str, summary: &fuzz::SweepSummary, total: u64, jobs: usize) {
    let shard = args.shard.unwrap_or(Shard::ALL);
    let secs = summary.wall.as_secs_f64();
    let seeds = if total > u64::MAX / 2 {
        "open-ended".to_string()
    } else {
        total.to_string()
    };
    outln!(
        "template   {name} ({seeds} seeds {}, shard {}/{}, {jobs} jobs)",
        SeedSpan(args.range()),
        shard.index + 1,
        shard.count
    );
    outln!(
        "ran        {} seeds in {secs:.2}s ({:.1} seeds/s), {} resumed",
        thousands(summary.ran as u64),
        seeds_per_second(summary),
        summary.resumed
    );
    if let Some((seed, wall)) = summary.slowest {
        outln!(
            "slowest    seed {seed} ({:.1} ms)",
            wall.as_secs_f64() * 1000.0
        );
    }
    outln!("failures   {}", summary.failures);
    for (check, count) in &summary.failures_by_check {
        outln!("  {count:>6}  {check}");
    }
    print_probes(summary);
    outln!("results    {}", args.out.join("results.jsonl").display());
}

/// Seeds per code probe, and the probes no seed passed.
fn print_probes(summary: &fuzz::SweepSummary) {
    let probes = &summary.probe_seeds;
    let hit: Vec<(&String, &usize)> = probes.iter().filter(|(_, n)| **n > 0).collect();
    outln!(
        "probes     {} of {} hit (seeds per probe)",
        hit.len(),
        probes.len()
    );
    for (probe, count) in hit {
        outln!("  {count:>6}  {probe}");
    }
    let never: Vec<&str> = probes
        .iter()
        .filter(|(_, n)| **n == 0)
        .map(|(p, _)| p.as_str())
        .collect();
    if !never.is_empty() {
        outln!("never hit  {}", never.join(", "));
    }
}

/// A progress bar over the shard's seeds; for an open-ended range, a counter with the time
/// left under `--for`.
fn sweep_bar(args: &FuzzArgs, total: u64) -> ProgressBar {
    if total <= u64::MAX / 2 {
        let bar = ProgressBar::new(total);
        bar.set_style(
            ProgressStyle::with_template("{bar:30} {pos}/{len} seeds, {per_sec}, {msg}, ETA {eta}")
                .expect("static template"),
        );
        return bar;
    }
    let bar = ProgressBar::no_length();
    let limit = args
        .for_
        .map_or(String::new(), |l| format!(" of {}", HumanDuration(l)));
    bar.set_style(
        ProgressStyle::with_template(&format!(
            "{{spinner}} {{pos}} seeds, {{per_sec}}, {{msg}}, {{elapsed}}{limit}"
        ))
        .expect("static template"),
    );
    bar
}

/// Writes `summary.html` into the sweep's folder from every seed in its `results.jsonl`.
fn write_sweep_page(
    args: &FuzzArgs,
    template: &fuzz::Template,
    summary: &fuzz::SweepSummary,
) -> Result<PathBuf> {
    let results = args.out.join("results.jsonl");
    let mut seeds = fuzz::read_results(&results)
        .with_context(|| format!("{}: cannot read", results.display()))?
        .seeds;
    seeds.sort_by_key(|r| r.seed);
    let groups = groups_in(&args.out, &seeds)?;
    let mut facts = vec![
        ("template".to_string(), args.template.display().to_string()),
        ("seeds".to_string(), thousands(seeds.len() as u64)),
        (
            "failing seeds".to_string(),
            thousands(summary.failures as u64),
        ),
        ("failure groups".to_string(), groups.len().to_string()),
    ];
    if args.guided {
        facts.push((
            "seeds drawn".to_string(),
            "coverage-guided (--guided)".into(),
        ));
    }
    if let Some(rate) = Timing::read(&args.out).and_then(Timing::rate) {
        facts.push(("seeds/s".to_string(), format!("{rate:.1}")));
    }
    if let Some((seed, wall)) = summary.slowest {
        facts.push((
            "slowest seed (this run)".into(),
            format!("{seed} ({:.1} ms)", wall.as_secs_f64() * 1e3),
        ));
    }
    let input = PageInput {
        out: &args.out,
        name: &template.base.name,
        template: Some(template),
        template_note: String::new(),
        facts,
        groups: &groups,
        reports: Default::default(),
    };
    write_page(input, &seeds)
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
    let template = load_template(&args.template)?;
    let scenario = fuzz::expand(&template, args.seed);
    outln!("{}", serde_json::to_string_pretty(&scenario)?);
    Ok(EXIT_OK)
}

/// Arguments of `faultline shrink`.
#[derive(clap::Args)]
pub struct ShrinkArgs {
    /// A failing scenario (e.g. one written by `faultline fuzz`).
    scenario: PathBuf,
    /// Replace `<name>.min.json` if it exists.
    #[arg(long)]
    overwrite: bool,
}

/// Shrinks a failing scenario and writes `<name>.min.json` next to it: exit 0 when it was
/// shrunk (the minimal scenario fails the same check), 1 when the scenario does not fail (there
/// is nothing to shrink, nothing is written), 2 bad input or an existing output without
/// `--overwrite` (checked before shrinking).
pub fn shrink(args: ShrinkArgs) -> Result<u8> {
    let original = crate::run_cmd::load_scenario(&args.scenario)?;
    let out = fuzz::min_path(&args.scenario);
    if out.exists() && !args.overwrite {
        bail!(
            "{}: already exists; pass --overwrite to replace it",
            out.display()
        );
    }
    let Some(shrunk) = fuzz::shrink(&original)? else {
        outln!(
            "{}: every check holds; nothing to shrink",
            args.scenario.display()
        );
        return Ok(EXIT_CHECK_FAILED);
    };
    let existing = if args.overwrite {
        Existing::Replace
    } else {
        Existing::Keep
    };
    fuzz::write_scenario(&out, &shrunk.scenario, existing)?;
    outln!("still fails  {}", shrunk.failing.join(", "));
    outln!(
        "faults       {} -> {}",
        original.faults.len(),
        shrunk.scenario.faults.len()
    );
    outln!(
        "nodes        {} -> {}",
        original.cluster.nodes,
        shrunk.scenario.cluster.nodes
    );
    outln!(
        "duration     {} -> {}",
        original.duration,
        shrunk.scenario.duration
    );
    outln!("runs         {}", shrunk.runs);
    for step in &shrunk.steps {
        outln!("  - {step}");
    }
    outln!("wrote        {}", out.display());
    Ok(EXIT_OK)
}

/// Arguments of `faultline campaign`.
#[derive(clap::Args)]
pub struct CampaignArgs {
    /// A template whose protocol has planted bugs (Raft, gossip).
    template: PathBuf,
    /// Starting offsets to hunt from (offset k starts at seed k * 10,000).
    #[arg(long, default_value_t = 5)]
    offsets: u64,
    /// Most seeds per offset before a bug counts as not found.
    #[arg(long, default_value_t = 200)]
    budget: u64,
    /// Worker threads (default: one per core; at most 4 per core).
    #[arg(long)]
    jobs: Option<usize>,
    /// Hunt only these planted bugs (comma-separated; `none` is the control, with no bug), in
    /// the template's order; default: every bug, then the control.
    #[arg(long, value_delimiter = ',', value_name = "NAMES")]
    bugs: Option<Vec<String>>,
}

/// Most offsets `campaign --offsets` accepts.
pub const MAX_OFFSETS: u64 = 1000;
/// Most seeds per offset `campaign --budget` accepts.
pub const MAX_BUDGET: u64 = 1_000_000;
/// The name of the hunt with no bug switched on (the control), in the table and in `--bugs`.
const CONTROL: &str = "none";

/// For every planted bug: median seeds to the first failure, the checks that caught it, and the
/// faults before and after shrinking each offset's first failure; then a control sweep with no bug. Exit 0 when every bug was
/// found from every offset and the control found nothing, 1 otherwise; Ctrl-C ends it (130)
/// naming the hunts left and the command that runs them.
pub fn campaign(args: CampaignArgs) -> Result<u8> {
    let template = fuzz::load_template(&args.template)?;
    let hunts = selected_hunts(&args, &fuzz::bug_names(&template))?;
    let jobs = worker_threads(args.jobs)?;
    check_campaign_sizes(&args)?;
    let offsets: Vec<u64> = (0..args.offsets).map(|k| k * 10_000).collect();
    outln!(
        "{:<26} {:>13} {:>7}  {:<28} faults before -> after shrinking (median)",
        "planted bug",
        "median seeds",
        "found",
        "caught by"
    );
    let bar = crate::progress::bar(hunts.len() as u64 * args.offsets, "offsets");
    let left = std::sync::Arc::new(std::sync::Mutex::new(hunts.clone()));
    let watch = {
        let (left, args) = (left.clone(), args_for_resume(&args));
        crate::progress::Watch::start(&bar, move || {
            let left = left.lock().map(|l| l.join(",")).unwrap_or_default();
            format!("the rows printed above are complete; the hunts of {left} did not finish. Run them with:\n  {args} --bugs {left}")
        })
    };
    let mut ok = true;
    for name in &hunts {
        let bug = (name != CONTROL).then_some(name.as_str());
        bar.set_message(name.clone());
        let result = fuzz::hunt(&template, bug, &offsets, args.budget, jobs, &|| bar.inc(1))?;
        bar.suspend(|| print_hunt(&result, offsets.len(), args.budget));
        if let Ok(mut left) = left.lock() {
            left.retain(|h| h != name);
        }
        ok &= match bug {
            Some(_) => result.always_found(),
            None => result.seeds_to_failure.iter().all(Option::is_none),
        };
    }
    drop(watch);
    Ok(if ok { EXIT_OK } else { EXIT_CHECK_FAILED })
}

/// The hunts `--bugs` asks for (every bug and the control by default), in the template's order.
fn selected_hunts(args: &CampaignArgs, bugs: &[String]) -> Result<Vec<String>> {
    if bugs.is_empty() {
        bail!(
            "{}: the protocol has no planted bugs to hunt",
            args.template.display()
        );
    }
    let all: Vec<String> = bugs.iter().cloned().chain([CONTROL.to_string()]).collect();
    let Some(asked) = &args.bugs else {
        return Ok(all);
    };
    if let Some(unknown) = asked.iter().find(|name| !all.contains(name)) {
        bail!(
            "--bugs {unknown:?}: expected names among {} (none: the control, no bug)",
            all.join(", ")
        );
    }
    Ok(all
        .into_iter()
        .filter(|name| asked.contains(name))
        .collect())
}

fn check_campaign_sizes(args: &CampaignArgs) -> Result<()> {
    if !(1..=MAX_OFFSETS).contains(&args.offsets) {
        bail!(
            "--offsets {}: expected 1 to {MAX_OFFSETS} starting offsets",
            args.offsets
        );
    }
    if !(1..=MAX_BUDGET).contains(&args.budget) {
        bail!(
            "--budget {}: expected 1 to {MAX_BUDGET} seeds per offset",
            args.budget
        );
    }
    Ok(())
}

/// The campaign's command line without `--bugs`, to which the hunts left are added.
fn args_for_resume(args: &CampaignArgs) -> String {
    let mut command = format!(
        "faultline campaign {} --offsets {} --budget {}",
        args.template.display(),
        args.offsets,
        args.budget
    );
    if let Some(jobs) = args.jobs {
        command += &format!(" --jobs {jobs}");
    }
    command
}

/// One row of the campaign's table.
fn print_hunt(result: &fuzz::BugResult, offsets: usize, budget: u64) {
    let found = result
        .seeds_to_failure
        .iter()
        .filter(|s| s.is_some())
        .count();
    let median = result
        .median_seeds(budget)
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
    outln!(
        "{:<26} {median:>13} {:>7}  {checks:<28} {shrink}",
        result.bug,
        format!("{found}/{offsets}")
    );
}
