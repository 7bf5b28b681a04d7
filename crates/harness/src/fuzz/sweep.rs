//! A sweep: many seeds of one template, in parallel, with results appended as seeds finish.

use super::expand::expand;
use super::results::{read_results, write_junit, ResultsWriter, SeedResult};
use super::shrink::shrink;
use super::template::Template;
use crate::scenario::Scenario;
use crate::{run, RunOptions};
use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Which part of the seed range this process runs: seeds whose position in the range is
/// `index` modulo `count` (`--shard K/N` is index K-1 of N).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    /// 0-based shard index.
    pub index: u64,
    /// Number of shards.
    pub count: u64,
}

impl Shard {
    /// The whole range.
    pub const ALL: Shard = Shard { index: 0, count: 1 };

    /// Parses `K/N` with 1 <= K <= N.
    pub fn parse(text: &str) -> Result<Shard, String> {
        let expected = || format!("expected K/N with 1 <= K <= N, e.g. 2/4; found {text:?}");
        let (k, n) = text.split_once('/').ok_or_else(expected)?;
        let (k, n): (u64, u64) = (
            k.trim().parse().map_err(|_| expected())?,
            n.trim().parse().map_err(|_| expected())?,
        );
        if k == 0 || n == 0 || k > n {
            return Err(expected());
        }
        Ok(Shard {
            index: k - 1,
            count: n,
        })
    }

    /// The seeds of `range` in this shard.
    pub fn seeds(self, range: Range<u64>) -> Vec<u64> {
        let start = range.start;
        range
            .filter(|seed| (seed - start) % self.count == self.index)
            .collect()
    }
}

/// How to run a sweep.
#[derive(Clone, Debug)]
pub struct SweepOptions {
    /// Seeds to run (before sharding).
    pub seeds: Range<u64>,
    /// Worker threads.
    pub jobs: usize,
    /// This process's shard.
    pub shard: Shard,
    /// Output folder: `results.jsonl`, `junit.xml`, `failures/`.
    pub out: PathBuf,
    /// Continue an interrupted sweep in `out` instead of refusing to touch it.
    pub resume: bool,
    /// Shrink each failure and write `<name>.min.json` next to it.
    pub shrink: bool,
}

/// What a sweep did.
#[derive(Clone, Debug, Default)]
pub struct SweepSummary {
    /// Seeds run now.
    pub ran: usize,
    /// Seeds found already done in `results.jsonl` and skipped.
    pub resumed: usize,
    /// Failed seeds, over the whole results file.
    pub failures: usize,
    /// Failures per check name, over the whole results file.
    pub failures_by_check: BTreeMap<String, usize>,
    /// Wall time of the seeds run now.
    pub wall: Duration,
    /// The slowest seed run now and its wall time.
    pub slowest: Option<(u64, Duration)>,
}

/// Why a sweep could not run.
#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    /// The output folder already holds results and `resume` was not asked for.
    #[error(
        "{0}: already holds results; pass --resume to continue that sweep or choose another --out"
    )]
    WouldOverwrite(PathBuf),
    /// Reading or writing the output failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// The worker pool could not start.
    #[error("cannot start {0} worker threads")]
    Pool(usize),
}

fn io_at(path: &Path) -> impl Fn(std::io::Error) -> SweepError + '_ {
    move |source| SweepError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Runs `template` over the options' seeds. `on_result` is called as each seed finishes (from
/// worker threads); results are appended to `results.jsonl` in completion order, so compare
/// sweeps by sorting on `seed`.
pub fn sweep(
    template: &Template,
    options: &SweepOptions,
    on_result: &(dyn Fn(&SeedResult) + Sync),
) -> Result<SweepSummary, SweepError> {
    let results_path = options.out.join("results.jsonl");
    let failures_dir = options.out.join("failures");
    std::fs::create_dir_all(&failures_dir).map_err(io_at(&failures_dir))?;
    if results_path.exists() && !options.resume {
        return Err(SweepError::WouldOverwrite(results_path));
    }
    let earlier = read_results(&results_path).map_err(io_at(&results_path))?;
    let done: BTreeSet<u64> = earlier.iter().map(|r| r.seed).collect();
    let todo: Vec<u64> = options
        .shard
        .seeds(options.seeds.clone())
        .into_iter()
        .filter(|s| !done.contains(s))
        .collect();
    let writer = Mutex::new(ResultsWriter::append(&results_path).map_err(io_at(&results_path))?);
    let timings = Mutex::new(Vec::with_capacity(todo.len()));
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(options.jobs.max(1))
        .build()
        .map_err(|_| SweepError::Pool(options.jobs))?;
    let started = Instant::now();
    let outcome: Result<Vec<SeedResult>, SweepError> = pool.install(|| {
        todo.par_iter()
            .map(|&seed| {
                let seed_started = Instant::now();
                let result = run_seed(template, seed, &failures_dir, options.shrink)?;
                timings
                    .lock()
                    .expect("timings lock")
                    .push((seed, seed_started.elapsed()));
                writer
                    .lock()
                    .expect("results lock")
                    .write(&result)
                    .map_err(io_at(&results_path))?;
                on_result(&result);
                Ok(result)
            })
            .collect()
    });
    let fresh = outcome?;
    let wall = started.elapsed();
    let all: Vec<SeedResult> = earlier.into_iter().chain(fresh.iter().cloned()).collect();
    let junit = options.out.join("junit.xml");
    write_junit(&junit, &template.base.name, &all).map_err(io_at(&junit))?;
    let mut failures_by_check = BTreeMap::new();
    for check in all.iter().flat_map(|r| &r.failed_checks) {
        *failures_by_check.entry(check.clone()).or_insert(0) += 1;
    }
    let timings = timings.into_inner().expect("timings lock");
    let slowest = timings
        .iter()
        .copied()
        .max_by_key(|(seed, wall)| (*wall, std::cmp::Reverse(*seed)));
    Ok(SweepSummary {
        ran: fresh.len(),
        resumed: done.len(),
        failures: all.iter().filter(|r| !r.ok).count(),
        failures_by_check,
        wall,
        slowest,
    })
}

/// Expands, runs and checks one seed; writes its scenario (and the shrunk one) if it failed.
pub fn run_seed(
    template: &Template,
    seed: u64,
    failures_dir: &Path,
    shrink_failures: bool,
) -> Result<SeedResult, SweepError> {
    let scenario = expand(template, seed);
    let report = run(&scenario, RunOptions::default()).map_err(io_at(failures_dir))?;
    let mut result = SeedResult {
        seed,
        ok: report.ok(),
        trace_hash: report.trace_hash_hex(),
        failed_checks: report
            .failed_checks()
            .into_iter()
            .map(String::from)
            .collect(),
        faults: scenario.faults.len(),
        events: report.counters.events,
        scenario: None,
        shrunk: None,
        shrunk_faults: None,
    };
    if result.ok {
        return Ok(result);
    }
    let path = failures_dir.join(format!("{}.json", scenario.name));
    write_scenario(&path, &scenario)?;
    result.scenario = Some(path.display().to_string());
    if shrink_failures {
        if let Some(shrunk) = shrink(&scenario).map_err(io_at(&path))? {
            let min_path = min_path(&path);
            write_scenario(&min_path, &shrunk.scenario)?;
            result.shrunk = Some(min_path.display().to_string());
            result.shrunk_faults = Some(shrunk.scenario.faults.len());
        }
    }
    Ok(result)
}

/// `x/name.json` → `x/name.min.json`: where a shrunk scenario goes, next to the original.
pub fn min_path(path: &Path) -> PathBuf {
    let stem = path
        .file_stem()
        .map_or_else(|| "scenario".into(), |s| s.to_string_lossy().into_owned());
    path.with_file_name(format!("{stem}.min.json"))
}

/// Writes a scenario as pretty JSON that `faultline run` replays.
pub fn write_scenario(path: &Path, scenario: &Scenario) -> Result<(), SweepError> {
    let mut text = serde_json::to_string_pretty(scenario)
        .map_err(|e| io_at(path)(std::io::Error::other(e)))?;
    text.push('\n');
    std::fs::write(path, text).map_err(io_at(path))
}
