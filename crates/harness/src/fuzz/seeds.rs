//! Fuzz seeds from `cargo test`, without the CLI or an output folder.

use super::expand::expand;
use super::template::Template;
use crate::{run, RunOptions};
use rayon::prelude::*;

/// For `cargo test`: expands `template` for every seed of `seeds`, runs each, and panics
/// naming every failing seed with its failed checks and the command that replays it.
pub fn assert_seeds_pass(template: &Template, seeds: std::ops::Range<u64>) {
    let failures: Vec<String> = seeds
        .into_par_iter()
        .filter_map(|seed| {
            let scenario = expand(template, seed);
            let outcome = run(&scenario, RunOptions::default());
            match outcome {
                Ok(report) if report.ok() => None,
                Ok(report) => Some(format!(
                    "seed {seed}: failed {} (replay: faultline expand TEMPLATE --seed {seed} > s.json && faultline run s.json)",
                    report.failed_checks().join(", ")
                )),
                Err(error) => Some(format!("seed {seed}: {error}")),
            }
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of the seeds of {} failed:\n{}",
        failures.len(),
        template.base.name,
        failures.join("\n")
    );
}
