//! Fuzz sweeps: templates expanded per seed, parallel runs, results that survive interrupts,
//! shrinking of failures to small replayable scenarios, and merging the shards of a sweep.

mod campaign;
mod expand;
mod explored;
mod guided;
mod merge;
mod results;
mod seeds;
mod shrink;
mod signature;
mod swarm;
mod sweep;
mod template;

pub use campaign::{bug_names, hunt, with_bug, BugResult, ShrinkSummary};
pub use expand::expand;
pub use explored::{explore, Explored, MAX_EXPLORED_SEEDS};
pub use merge::{
    failure_file, group_failures, merge, read_shard, runs, Coverage, FailureGroup, MergeError,
    Merged, SeedRun, ShardDir, MAX_LISTED_RUNS,
};
pub use results::{
    read_results, template_hash, write_junit, Results, ResultsHeader, ResultsWriter, SeedResult,
    SeedSpan, RESULTS_FORMAT,
};
pub use seeds::assert_seeds_pass;
pub use shrink::{failing_checks, shrink, Shrunk, MAX_SHRINK_RUNS};
pub use signature::{fault_kind, is_cause, FailureSignature, NodeRole};
pub use swarm::{RaftSwarm, SwarmSpec};
pub use sweep::{
    min_path, run_seed, sweep, write_scenario, Shard, SweepError, SweepOptions, SweepSummary,
};
pub use template::{
    load_template, parse_template, vary_conflicts, EpisodeKind, FuzzSpec, KindWeights, Template,
    MAX_VARIED_FIELDS, MAX_VARY_CHOICES, MAX_VARY_COMBINATIONS,
};
