//! A sweep: many seeds of one template, in parallel, with results appended as seeds finish.
//!
//! Seeds are drawn lazily from the range, so a sweep's memory does not depend on how many seeds
//! it is asked for; each seed's result depends only on the template and the seed, so the
//! results are the same whatever the job count, shard split or interruption.

use super::expand::expand;
use super::guided::{scenario_for, Corpus, BATCH};
use super::results::{read_results, write_junit, ResultsHeader, ResultsWriter, SeedResult};
use super::shrink::shrink;
use super::template::Template;
use crate::files::{safe_file_stem, write_atomic, Existing};
use crate::scenario::Scenario;
use crate::{run, RunOptions};
use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
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

    /// The seeds of `range` in this shard, in order, produced one at a time.
    pub fn seeds(self, range: Range<u64>) -> impl Iterator<Item = u64> {
        let step = usize::try_from(self.count).unwrap_or(usize::MAX);
        (range.start.saturating_add(self.index)..range.end).step_by(step)
    }

    /// How many seeds of `range` are in this shard.
    pub fn len(self, range: &Range<u64>) -> u64 {
        let first = range.start.saturating_add(self.index);
        if first >= range.end {
            return 0;
        }
        (range.end - first - 1) / self.count + 1
    }

    /// True when this shard has no seed of `range`.
    pub fn is_empty(self, range: &Range<u64>) -> bool {
        self.len(range) == 0
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
    /// What produced the results: written first to a new `results.jsonl`, and required of an
    /// existing one on `resume`. Its `guided` runs the seeds coverage-guided (see
    /// `fuzz::guided`): in batches, part of each batch mutating scenarios that reached new code
    /// probes. Not with `resume` or shards.
    pub header: ResultsHeader,
    /// When set (e.g. by a Ctrl-C handler), no further seed starts; seeds already running
    /// finish and are recorded, and the summary says the sweep was interrupted.
    pub interrupt: Option<&'static AtomicBool>,
}

/// What a sweep did.
#[derive(Clone, Debug, Default)]
pub struct SweepSummary {
    /// Seeds run now.
    pub ran: usize,
    /// Seeds found already done in `results.jsonl` and skipped.
    pub resumed: usize,
    /// Seeds in the whole results file.
    pub recorded: usize,
    /// Failed seeds, over the whole results file.
    pub failures: usize,
    /// Failures per check name, over the whole results file.
    pub failures_by_check: BTreeMap<String, usize>,
    /// Events per run, for every seed of the whole results file.
    pub events: Vec<u64>,
    /// Wall time of the seeds run now.
    pub wall: Duration,
    /// The slowest seed run now and its wall time.
    pub slowest: Option<(u64, Duration)>,
    /// True when the interrupt flag stopped the sweep before every seed ran.
    pub interrupted: bool,
    /// For every code probe of the protocol (see [`crate::probes`]), how many seeds of the whole results file
    /// passed it; a probe no seed passed counts 0.
    pub probe_seeds: BTreeMap<String, usize>,
}

/// Why a sweep could not run.
#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    /// The output folder already holds results and `resume` was not asked for.
    #[error(
        "{0}: already holds results; pass --resume to continue that sweep or choose another --out"
    )]
    WouldOverwrite(PathBuf),
    /// `resume` into results of another template, another version of it, or another faultline.
    #[error("{file}: cannot resume: it holds results of {found}, not of {expected}; choose another --out")]
    OtherSweep {
        /// The results file.
        file: PathBuf,
        /// Its header.
        found: Box<ResultsHeader>,
        /// The header of this sweep.
        expected: Box<ResultsHeader>,
    },
    /// `resume` into results without a header (written before headers existed, or not by a
    /// sweep): nothing says which template produced them.
    #[error("{0}: cannot resume: the file has no results header, so nothing says which template produced it; choose another --out")]
    NoHeader(PathBuf),
    /// This shard of the range has no seed.
    #[error("--shard {}/{}: shard {} has no seed: the range {}..{} holds {} seeds, so expected K <= {}", .shard.index + 1, .shard.count, .shard.index + 1, .seeds.start, .seeds.end, .seeds.end - .seeds.start, .seeds.end - .seeds.start)]
    EmptyShard {
        /// The shard asked for.
        shard: Shard,
        /// The seed range.
        seeds: Range<u64>,
    },
    /// The output folder could not be created.
    #[error("{path}: cannot create the --out folder: {source}")]
    OutFolder {
        /// The folder.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
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

/// Opens `results.jsonl` for appending after checking it belongs to this sweep: a new file gets
/// the header; an existing one is refused unless resuming the same template's sweep. Returns the
/// writer and the seeds already done.
fn open_results(
    path: &Path,
    options: &SweepOptions,
) -> Result<(ResultsWriter, BTreeSet<u64>), SweepError> {
    if path.exists() && !options.resume {
        return Err(SweepError::WouldOverwrite(path.to_path_buf()));
    }
    let earlier = read_results(path).map_err(io_at(path))?;
    match &earlier.header {
        Some(found) if !found.same_sweep(&options.header) => {
            return Err(SweepError::OtherSweep {
                file: path.to_path_buf(),
                found: Box::new(found.clone()),
                expected: Box::new(options.header.clone()),
            })
        }
        None if !earlier.seeds.is_empty() => return Err(SweepError::NoHeader(path.to_path_buf())),
        _ => {}
    }
    let mut writer = ResultsWriter::append(path).map_err(io_at(path))?;
    if earlier.header.is_none() {
        writer.write(&options.header).map_err(io_at(path))?;
    }
    Ok((writer, earlier.seeds.iter().map(|r| r.seed).collect()))
}

/// Runs `template` over the options' seeds. `on_result` is called as each seed finishes (from
/// worker threads); results are appended to `results.jsonl` in completion order, so compare
/// sweeps by sorting on `seed`.
pub fn sweep(
    template: &Template,
    options: &SweepOptions,
    on_result: &(dyn Fn(&SeedResult) + Sync),
) -> Result<SweepSummary, SweepError> {
    if options.shard.is_empty(&options.seeds) {
        return Err(SweepError::EmptyShard {
            shard: options.shard,
            seeds: options.seeds.clone(),
        });
    }
    let results_path = options.out.join("results.jsonl");
    let failures_dir = options.out.join("failures");
    std::fs::create_dir_all(&options.out).map_err(|source| SweepError::OutFolder {
        path: options.out.clone(),
        source,
    })?;
    std::fs::create_dir_all(&failures_dir).map_err(io_at(&failures_dir))?;
    let (writer, done) = open_results(&results_path, options)?;
    let progress = Progress {
        writer: Mutex::new(writer),
        slowest: Mutex::new(None),
        ran: AtomicUsize::new(0),
    };
    let started = Instant::now();
    if options.header.guided {
        run_guided(template, options, &progress, on_result)?;
    } else {
        run_seeds(template, options, &done, &progress, on_result)?;
    }
    let wall = started.elapsed();
    let all = read_results(&results_path)
        .map_err(io_at(&results_path))?
        .seeds;
    let junit = options.out.join("junit.xml");
    write_junit(&junit, &template.base.name, &all).map_err(io_at(&junit))?;
    let ran = progress.ran.into_inner();
    Ok(SweepSummary {
        ran,
        resumed: done.len(),
        recorded: all.len(),
        wall,
        slowest: progress.slowest.into_inner().expect("slowest lock"),
        interrupted: interrupted(options)
            && (done.len() as u64 + ran as u64) < options.shard.len(&options.seeds),
        ..SweepSummary::of_results(template.base.protocol.name(), &all)
    })
}

/// What the workers share while a sweep runs.
struct Progress {
    writer: Mutex<ResultsWriter>,
    slowest: Mutex<Option<(u64, Duration)>>,
    ran: AtomicUsize,
}

fn interrupted(options: &SweepOptions) -> bool {
    options
        .interrupt
        .as_ref()
        .is_some_and(|flag| flag.load(Ordering::SeqCst))
}

/// Runs every seed of the options' shard not in `done`, `jobs` at a time, until interrupted.
fn run_seeds(
    template: &Template,
    options: &SweepOptions,
    done: &BTreeSet<u64>,
    progress: &Progress,
    on_result: &(dyn Fn(&SeedResult) + Sync),
) -> Result<(), SweepError> {
    let results_path = options.out.join("results.jsonl");
    let failures_dir = options.out.join("failures");
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(options.jobs.max(1))
        .build()
        .map_err(|_| SweepError::Pool(options.jobs))?;
    pool.install(|| {
        options
            .shard
            .seeds(options.seeds.clone())
            .filter(|seed| !done.contains(seed))
            .take_while(|_| !interrupted(options))
            .par_bridge()
            .try_for_each(|seed| {
                let seed_started = Instant::now();
                let result = run_seed(template, seed, &failures_dir, options.shrink)?;
                progress.record(&result, seed_started.elapsed(), &results_path)?;
                on_result(&result);
                Ok::<(), SweepError>(())
            })
    })
}

/// Runs the options' seeds coverage-guided, [`BATCH`] at a time in seed order: each batch's
/// scenarios are drawn from the corpus as it stood before the batch, run `jobs` at a time, and
/// offered to the corpus in seed order, so the results do not depend on the job count.
fn run_guided(
    template: &Template,
    options: &SweepOptions,
    progress: &Progress,
    on_result: &(dyn Fn(&SeedResult) + Sync),
) -> Result<(), SweepError> {
    let results_path = options.out.join("results.jsonl");
    let failures_dir = options.out.join("failures");
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(options.jobs.max(1))
        .build()
        .map_err(|_| SweepError::Pool(options.jobs))?;
    let mut seeds = options.shard.seeds(options.seeds.clone());
    let mut corpus = Corpus::default();
    while !interrupted(options) {
        let batch: Vec<u64> = seeds.by_ref().take(BATCH).collect();
        if batch.is_empty() {
            break;
        }
        let scenarios: Vec<Scenario> = batch
            .iter()
            .map(|&seed| scenario_for(template, &corpus, seed))
            .collect();
        let results = pool.install(|| {
            scenarios
                .par_iter()
                .zip(&batch)
                .map(|(scenario, &seed)| {
                    let started = Instant::now();
                    run_scenario(scenario, seed, &failures_dir, options.shrink)
                        .map(|result| (result, started.elapsed()))
                })
                .collect::<Result<Vec<_>, SweepError>>()
        })?;
        for ((result, wall), scenario) in results.iter().zip(&scenarios) {
            corpus.offer(scenario, &result.probes);
            progress.record(result, *wall, &results_path)?;
            on_result(result);
        }
    }
    Ok(())
}

impl Progress {
    /// Appends `result` to the results file and notes its wall time.
    fn record(&self, result: &SeedResult, wall: Duration, path: &Path) -> Result<(), SweepError> {
        let seed = result.seed;
        let mut slowest = self.slowest.lock().expect("slowest lock");
        if slowest.is_none_or(|(s, w)| (wall, std::cmp::Reverse(seed)) > (w, std::cmp::Reverse(s)))
        {
            *slowest = Some((seed, wall));
        }
        drop(slowest);
        self.writer
            .lock()
            .expect("results lock")
            .write(result)
            .map_err(io_at(path))?;
        self.ran.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }
}

impl SweepSummary {
    /// The counts over a results file's seeds: failures, failures per check, events per run,
    /// seeds per code probe (every probe of `protocol`, those no seed passed at 0).
    pub fn of_results(protocol: &str, all: &[SeedResult]) -> SweepSummary {
        let mut failures_by_check = BTreeMap::new();
        for check in all.iter().flat_map(|r| &r.failed_checks) {
            *failures_by_check.entry(check.clone()).or_insert(0) += 1;
        }
        let mut probe_seeds: BTreeMap<String, usize> = crate::probes::of_protocol(protocol)
            .into_iter()
            .map(|name| (name.to_string(), 0))
            .collect();
        for probe in all.iter().flat_map(|r| &r.probes) {
            *probe_seeds.entry(probe.clone()).or_insert(0) += 1;
        }
        SweepSummary {
            failures: all.iter().filter(|r| !r.ok).count(),
            failures_by_check,
            events: all.iter().map(|r| r.events).collect(),
            probe_seeds,
            ..SweepSummary::default()
        }
    }
}

/// Expands, runs and checks one seed; writes its scenario (and the shrunk one) if it failed.
pub fn run_seed(
    template: &Template,
    seed: u64,
    failures_dir: &Path,
    shrink_failures: bool,
) -> Result<SeedResult, SweepError> {
    run_scenario(&expand(template, seed), seed, failures_dir, shrink_failures)
}

/// Runs and checks the scenario sweep seed `seed` drew; writes it (and the shrunk one) if it
/// failed.
fn run_scenario(
    scenario: &Scenario,
    seed: u64,
    failures_dir: &Path,
    shrink_failures: bool,
) -> Result<SeedResult, SweepError> {
    let report = run(scenario, RunOptions::default()).map_err(io_at(failures_dir))?;
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
        probes: report.probes.iter().map(|p| p.to_string()).collect(),
    };
    if result.ok {
        return Ok(result);
    }
    let path = failures_dir.join(format!("{}.json", safe_file_stem(&scenario.name)));
    write_scenario(&path, scenario, Existing::Replace)?;
    result.scenario = Some(path.display().to_string());
    if shrink_failures {
        if let Some(shrunk) = shrink(scenario).map_err(io_at(&path))? {
            let min_path = min_path(&path);
            write_scenario(&min_path, &shrunk.scenario, Existing::Replace)?;
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

/// Writes a scenario as pretty JSON that `faultline run` replays (through a temporary file and
/// a rename; an existing file is replaced only with [`Existing::Replace`]).
pub fn write_scenario(
    path: &Path,
    scenario: &Scenario,
    existing: Existing,
) -> Result<(), SweepError> {
    let mut text = serde_json::to_string_pretty(scenario)
        .map_err(|e| io_at(path)(std::io::Error::other(e)))?;
    text.push('\n');
    write_atomic(path, text.as_bytes(), existing).map_err(io_at(path))
}
