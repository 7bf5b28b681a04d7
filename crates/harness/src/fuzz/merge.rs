//! Merging the output folders of a sweep's shards into one result: every shard must come from
//! the same template (the results header) and together they must cover the seed range exactly
//! once; failures are grouped by [`FailureSignature`], one representative per group.

use super::results::{read_results, ResultsHeader, SeedResult, SeedSpan};
use super::signature::FailureSignature;
use crate::scenario::{self, Scenario};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// Most runs of seeds a coverage error lists (the rest are counted).
pub const MAX_LISTED_RUNS: usize = 10;

/// One shard's output folder, read.
#[derive(Clone, Debug)]
pub struct ShardDir {
    /// The folder.
    pub dir: PathBuf,
    /// Its results header.
    pub header: ResultsHeader,
    /// Its seed results.
    pub seeds: Vec<SeedResult>,
}

/// Seeds in arithmetic progression: `first`, `first + step`, ... `last` (`count` seeds).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SeedRun {
    /// The first seed.
    pub first: u64,
    /// The last seed.
    pub last: u64,
    /// The distance between seeds (1 for a contiguous range).
    pub step: u64,
    /// How many seeds.
    pub count: u64,
}

impl std::fmt::Display for SeedRun {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.count, self.step) {
            (1, _) => write!(f, "{}", self.first),
            (_, 1) => write!(f, "{}..={}", self.first, self.last),
            _ => write!(f, "{}..={} step {}", self.first, self.last, self.step),
        }
    }
}

/// Where the shards do not cover the range exactly once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Coverage {
    /// The range the shards were asked to cover.
    pub range: SeedSpan,
    /// Seeds of the range no shard recorded.
    pub gaps: Vec<SeedRun>,
    /// Seeds recorded more than once (same results), with the folders that hold them.
    pub overlaps: Vec<(SeedRun, Vec<PathBuf>)>,
}

impl Coverage {
    /// True when every seed was recorded exactly once.
    pub fn exact(&self) -> bool {
        self.gaps.is_empty() && self.overlaps.is_empty()
    }

    /// The gaps and overlaps as indented lines, at most [`MAX_LISTED_RUNS`] of each.
    pub fn describe(&self) -> String {
        let mut text = String::new();
        let total = |runs: &mut dyn Iterator<Item = &SeedRun>| runs.map(|r| r.count).sum::<u64>();
        if !self.gaps.is_empty() {
            let missing = total(&mut self.gaps.iter());
            let _ = writeln!(text, "  missing {missing} seeds (no shard recorded them):");
            list_runs(&mut text, self.gaps.iter().map(|r| (r, String::new())));
        }
        if !self.overlaps.is_empty() {
            let twice = total(&mut self.overlaps.iter().map(|(r, _)| r));
            let _ = writeln!(text, "  {twice} seeds recorded more than once:");
            let runs = self.overlaps.iter().map(|(run, dirs)| {
                let dirs: Vec<String> = dirs.iter().map(|d| d.display().to_string()).collect();
                (run, format!(" (in {})", dirs.join(" and ")))
            });
            list_runs(&mut text, runs);
        }
        text
    }
}

fn list_runs<'a>(text: &mut String, runs: impl ExactSizeIterator<Item = (&'a SeedRun, String)>) {
    let count = runs.len();
    for (run, note) in runs.take(MAX_LISTED_RUNS) {
        let _ = writeln!(text, "    seeds {run}{note}");
    }
    if count > MAX_LISTED_RUNS {
        let _ = writeln!(text, "    ... and {} more runs", count - MAX_LISTED_RUNS);
    }
}

/// Why shards cannot be merged.
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    /// A folder without `results.jsonl`.
    #[error("{0}: no results.jsonl here; expected the --out folder of a `faultline fuzz` shard")]
    NoResults(PathBuf),
    /// A results file without a header: nothing says which template produced it.
    #[error("{0}: the results have no header line, so nothing says which template produced them; re-run that shard with this faultline")]
    NoHeader(PathBuf),
    /// Two shards ran different templates (or versions).
    #[error("{file}: holds results of {found}, but {first_file} holds results of {first}; every shard must run the same template with the same faultline")]
    OtherTemplate {
        /// The first shard's results file.
        first_file: PathBuf,
        /// Its header.
        first: Box<ResultsHeader>,
        /// The disagreeing file.
        file: PathBuf,
        /// Its header.
        found: Box<ResultsHeader>,
    },
    /// Two shards were asked for different seed ranges or shard counts.
    #[error("{file}: ran seeds {found}, but {first_file} ran seeds {first}; every shard must be asked for the same --seeds and the same N in --shard K/N")]
    OtherRange {
        /// The first shard's results file.
        first_file: PathBuf,
        /// Its seeds and shard.
        first: String,
        /// The disagreeing file.
        file: PathBuf,
        /// Its seeds and shard.
        found: String,
    },
    /// The same seed gave different results in two shards: the runs were not deterministic (or
    /// a results file was edited).
    #[error("seed {seed}: {a} in {a_dir} but {b} in {b_dir}; the same seed must give the same result (a nondeterministic run, or an edited results file)")]
    Disagree {
        /// The seed.
        seed: u64,
        /// One folder and its result.
        a_dir: PathBuf,
        /// The result there.
        a: String,
        /// The other folder.
        b_dir: PathBuf,
        /// The result there.
        b: String,
    },
    /// The shards do not cover the range exactly once, and a partial merge was not asked for.
    #[error("the shards do not cover seeds {} exactly once:\n{}pass --partial to merge what is there", .0.range, .0.describe())]
    Coverage(Box<Coverage>),
    /// A failure's scenario file named in the results cannot be read.
    #[error("{path}: cannot read the failing scenario of seed {seed}: {message}")]
    Failure {
        /// The scenario file.
        path: PathBuf,
        /// The seed.
        seed: u64,
        /// What went wrong.
        message: String,
    },
    /// Reading a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
}

/// Reads a shard's output folder: its results file must exist and carry a header.
pub fn read_shard(dir: &Path) -> Result<ShardDir, MergeError> {
    let file = dir.join("results.jsonl");
    if !file.is_file() {
        return Err(MergeError::NoResults(dir.to_path_buf()));
    }
    let results = read_results(&file).map_err(|source| MergeError::Io {
        path: file.clone(),
        source,
    })?;
    let header = results.header.ok_or(MergeError::NoHeader(file))?;
    Ok(ShardDir {
        dir: dir.to_path_buf(),
        header,
        seeds: results.seeds,
    })
}

/// The shards' results as one sweep.
#[derive(Clone, Debug)]
pub struct Merged {
    /// The header of the merged results (the shards' template, the whole range, no shard).
    pub header: ResultsHeader,
    /// Every seed once, sorted, with the index of the shard folder it came from.
    pub seeds: Vec<(SeedResult, usize)>,
    /// Where the shards miss or repeat seeds (empty unless the merge was partial).
    pub coverage: Coverage,
}

/// Where each seed was recorded: (shard folder index, position in its results) per copy.
type Holders = BTreeMap<u64, Vec<(usize, usize)>>;

/// Checks that `shards` ran one template over one range and cover it exactly once (with
/// `partial`, gaps and repeated seeds are accepted and listed in [`Merged::coverage`]; seeds
/// with different results in two shards are refused either way), and merges them.
pub fn merge(shards: &[ShardDir], partial: bool) -> Result<Merged, MergeError> {
    let first = shards
        .first()
        .ok_or_else(|| MergeError::NoResults(PathBuf::from("(no folder given)")))?;
    for shard in &shards[1..] {
        check_same_sweep(first, shard)?;
    }
    let mut holders: Holders = BTreeMap::new();
    for (index, shard) in shards.iter().enumerate() {
        for (position, result) in shard.seeds.iter().enumerate() {
            let copies = holders.entry(result.seed).or_default();
            if let Some(&(other, other_position)) = copies.first() {
                let earlier = &shards[other];
                agree(
                    (&earlier.dir, &earlier.seeds[other_position]),
                    (&shard.dir, result),
                )?;
            }
            copies.push((index, position));
        }
    }
    let range = stated_range(first, &holders);
    let coverage = coverage(range.clone(), &holders, shards);
    if !coverage.exact() && !partial {
        return Err(MergeError::Coverage(Box::new(coverage)));
    }
    let seeds = holders
        .values()
        .map(|copies| {
            let (shard, position) = copies[0];
            (shards[shard].seeds[position].clone(), shard)
        })
        .collect();
    let header = ResultsHeader {
        seeds: Some(range),
        shard: None,
        ..first.header.clone()
    };
    Ok(Merged {
        header,
        seeds,
        coverage,
    })
}

/// Refuses a shard of another template, faultline version, seed range or shard count.
fn check_same_sweep(first: &ShardDir, shard: &ShardDir) -> Result<(), MergeError> {
    let file = |s: &ShardDir| s.dir.join("results.jsonl");
    if !first.header.same_sweep(&shard.header) {
        return Err(MergeError::OtherTemplate {
            first_file: file(first),
            first: Box::new(first.header.clone()),
            file: file(shard),
            found: Box::new(shard.header.clone()),
        });
    }
    let part = |h: &ResultsHeader| {
        let seeds = h
            .seeds
            .as_ref()
            .map_or("(not stated)".into(), |s| s.to_string());
        let count = h.shard.map_or(1, |s| s.count);
        (seeds, count)
    };
    let (a, b) = (part(&first.header), part(&shard.header));
    if a != b {
        let show = |(seeds, count): (String, u64)| format!("{seeds} in {count} shards");
        return Err(MergeError::OtherRange {
            first_file: file(first),
            first: show(a),
            file: file(shard),
            found: show(b),
        });
    }
    Ok(())
}

/// Refuses two records of one seed that differ in anything the run decides (hash, verdict,
/// failing checks, faults, length).
fn agree(a: (&Path, &SeedResult), b: (&Path, &SeedResult)) -> Result<(), MergeError> {
    let outcome = |r: &SeedResult| {
        let verdict = if r.ok {
            "pass".to_string()
        } else {
            format!("fail ({})", r.failed_checks.join(", "))
        };
        format!(
            "trace hash {} {verdict}, {} faults, {} events",
            r.trace_hash, r.faults, r.events
        )
    };
    let (oa, ob) = (outcome(a.1), outcome(b.1));
    if oa == ob {
        return Ok(());
    }
    Err(MergeError::Disagree {
        seed: a.1.seed,
        a_dir: a.0.to_path_buf(),
        a: oa,
        b_dir: b.0.to_path_buf(),
        b: ob,
    })
}

/// The range the shards were asked for: the headers' (all equal, checked), with an open end
/// closed after the last seed recorded; or, for headers that do not state it, the recorded
/// seeds' span.
fn stated_range(first: &ShardDir, holders: &Holders) -> SeedSpan {
    let last = holders.keys().next_back().copied();
    match &first.header.seeds {
        Some(span) if span.is_open() => SeedSpan(
            span.0.start
                ..last
                    .map_or(span.0.start + 1, |l| l + 1)
                    .max(span.0.start + 1),
        ),
        Some(span) => span.clone(),
        None => {
            let start = holders.keys().next().copied().unwrap_or(0);
            SeedSpan(start..last.map_or(start + 1, |l| l + 1))
        }
    }
}

/// The gaps (seeds of `range` nobody recorded, and seeds outside it count as nothing missing)
/// and the overlaps (seeds recorded more than once) as runs.
fn coverage(range: SeedSpan, holders: &Holders, shards: &[ShardDir]) -> Coverage {
    let mut missing = Vec::new();
    let mut next = range.0.start;
    for &seed in holders.keys().filter(|s| range.0.contains(s)) {
        if seed > next {
            missing.push((next, seed - 1));
        }
        next = seed + 1;
    }
    if next < range.0.end {
        missing.push((next, range.0.end - 1));
    }
    let mut overlaps: Vec<(SeedRun, Vec<PathBuf>)> = Vec::new();
    let mut repeated: BTreeMap<Vec<usize>, Vec<(u64, u64)>> = BTreeMap::new();
    for (&seed, copies) in holders.iter().filter(|(_, c)| c.len() > 1) {
        let folders: Vec<usize> = copies.iter().map(|(shard, _)| *shard).collect();
        repeated.entry(folders).or_default().push((seed, seed));
    }
    for (folders, seeds) in repeated {
        let dirs: Vec<PathBuf> = folders.iter().map(|&i| shards[i].dir.clone()).collect();
        overlaps.extend(runs(&seeds).into_iter().map(|run| (run, dirs.clone())));
    }
    Coverage {
        range,
        gaps: runs(&missing),
        overlaps,
    }
}

/// Sorted, disjoint inclusive intervals as runs: an interval of several seeds is one contiguous
/// run; single seeds at a constant distance (what a missing shard leaves) join one stepped run.
pub fn runs(intervals: &[(u64, u64)]) -> Vec<SeedRun> {
    let mut out: Vec<SeedRun> = Vec::new();
    for &(first, last) in intervals {
        if first == last {
            if let Some(run) = out.last_mut() {
                let joins_first_pair = run.count == 1 && first > run.last;
                let continues = run.count > 1 && run.step > 1 && first - run.last == run.step;
                if joins_first_pair || continues {
                    run.step = first - run.last;
                    run.last = first;
                    run.count += 1;
                    continue;
                }
            }
        }
        out.push(SeedRun {
            first,
            last,
            step: 1,
            count: last - first + 1,
        });
    }
    out
}

/// A group of failures with one signature.
#[derive(Clone, Debug)]
pub struct FailureGroup {
    /// What the failures share.
    pub signature: FailureSignature,
    /// The failing seeds, sorted.
    pub seeds: Vec<u64>,
    /// The representative: the failure with the fewest faults left (the smallest seed on a tie).
    pub representative: SeedResult,
    /// Its scenario (the shrunk one when there is one), as read.
    pub scenario: Scenario,
    /// The file it was read from.
    pub scenario_path: PathBuf,
}

/// The scenario file of a failed seed: the shrunk one if the sweep shrank it, else the expanded
/// one, looked up by file name in `dir/failures/` (folders move between machines; the path the
/// sweep recorded may not exist here).
pub fn failure_file(dir: &Path, result: &SeedResult) -> Option<PathBuf> {
    let recorded = result.shrunk.as_ref().or(result.scenario.as_ref())?;
    let name = Path::new(recorded).file_name()?;
    Some(dir.join("failures").join(name))
}

/// Groups the failures of `seeds` (each with the folder holding its failure files) by
/// signature, largest group first.
pub fn group_failures<'a>(
    seeds: impl IntoIterator<Item = (&'a SeedResult, &'a Path)>,
) -> Result<Vec<FailureGroup>, MergeError> {
    let mut groups: BTreeMap<FailureSignature, FailureGroup> = BTreeMap::new();
    for (result, dir) in seeds.into_iter().filter(|(r, _)| !r.ok) {
        let unreadable = |path: &Path, message: String| MergeError::Failure {
            path: path.to_path_buf(),
            seed: result.seed,
            message,
        };
        let path = failure_file(dir, result).ok_or_else(|| {
            unreadable(
                &dir.join("failures"),
                "the results name no scenario file".into(),
            )
        })?;
        let scenario = scenario::load(&path).map_err(|e| unreadable(&path, e.to_string()))?;
        let signature = FailureSignature::of(&result.failed_checks, &scenario);
        let faults = |r: &SeedResult| (r.shrunk_faults.unwrap_or(r.faults), r.seed);
        match groups.get_mut(&signature) {
            Some(group) => {
                group.seeds.push(result.seed);
                if faults(result) < faults(&group.representative) {
                    group.representative = result.clone();
                    group.scenario = scenario;
                    group.scenario_path = path;
                }
            }
            None => {
                let group = FailureGroup {
                    signature: signature.clone(),
                    seeds: vec![result.seed],
                    representative: result.clone(),
                    scenario,
                    scenario_path: path,
                };
                groups.insert(signature, group);
            }
        }
    }
    let mut groups: Vec<FailureGroup> = groups.into_values().collect();
    for group in &mut groups {
        group.seeds.sort_unstable();
    }
    groups.sort_by(|a, b| {
        b.seeds
            .len()
            .cmp(&a.seeds.len())
            .then(a.signature.cmp(&b.signature))
    });
    Ok(groups)
}
