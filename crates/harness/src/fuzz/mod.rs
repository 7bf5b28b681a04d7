//! Fuzz sweeps: templates expanded per seed, parallel runs, results that survive interrupts,
//! and shrinking of failures to small replayable scenarios.

mod campaign;
mod expand;
mod results;
mod shrink;
mod swarm;
mod sweep;
mod template;

pub use campaign::{bug_names, hunt, with_bug, BugResult, ShrinkSummary};
pub use expand::expand;
pub use results::{read_results, write_junit, ResultsWriter, SeedResult};
pub use shrink::{describe, failing_checks, shrink, Shrunk, MAX_SHRINK_RUNS};
pub use swarm::{RaftSwarm, SwarmSpec};
pub use sweep::{
    min_path, run_seed, sweep, write_scenario, Shard, SweepError, SweepOptions, SweepSummary,
};
pub use template::{load_template, parse_template, FuzzSpec, KindWeights, Template};
