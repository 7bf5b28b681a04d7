//! Experiments: many runs of generated scenarios, reduced to the figures the literature reports,
//! next to the figure the theory or the paper predicts.

pub mod gossip;
pub mod merkle;
pub mod raft;
pub mod storage;

use crate::scenario::MAX_NODES;

/// Most runs (or trials) an experiment accepts per setting.
pub const MAX_RUNS: u64 = 100_000;

/// A command-line value an experiment cannot use: the flag, the value and what was expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{flag} {value}: expected {expected}")]
pub struct BadArgument {
    /// The flag, e.g. `--runs`.
    pub flag: String,
    /// The value given.
    pub value: String,
    /// What would be accepted.
    pub expected: String,
}

fn bad(flag: &str, value: impl ToString, expected: String) -> BadArgument {
    BadArgument {
        flag: flag.to_string(),
        value: value.to_string(),
        expected,
    }
}

/// A run count: 1 to [`MAX_RUNS`] (no empty table, no mean of nothing).
pub fn check_runs(flag: &str, runs: u64) -> Result<(), BadArgument> {
    if (1..=MAX_RUNS).contains(&runs) {
        Ok(())
    } else {
        Err(bad(flag, runs, format!("1 to {MAX_RUNS} runs")))
    }
}

/// A cluster size for a gossip measurement: 2 (someone to gossip with) to [`MAX_NODES`].
pub fn check_nodes(flag: &str, nodes: u32) -> Result<(), BadArgument> {
    if (2..=MAX_NODES).contains(&nodes) {
        Ok(())
    } else {
        Err(bad(flag, nodes, format!("2 to {MAX_NODES} nodes")))
    }
}

/// A key count for `merkle-repair`: at least the largest difference count (every difference is
/// a distinct key) and at most 10^6.
pub fn check_keys(flag: &str, keys: u32) -> Result<(), BadArgument> {
    let least = merkle::DIFFERENCES.iter().copied().max().unwrap_or(1);
    if (least..=1_000_000).contains(&keys) {
        Ok(())
    } else {
        Err(bad(flag, keys, format!("{least} to 1000000 keys")))
    }
}

/// A spatial exponent a: finite and at least 0 (0 is uniform choice).
pub fn check_exponent(flag: &str, a: f64) -> Result<(), BadArgument> {
    if a.is_finite() && a >= 0.0 {
        Ok(())
    } else {
        Err(bad(flag, a, "a finite number >= 0".to_string()))
    }
}

/// One row of an experiment's result table.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    /// What was measured (e.g. `n = 1000`).
    pub label: String,
    /// The measured mean.
    pub measured: f64,
    /// Standard error of `measured` when it is a mean over runs (the sample standard deviation
    /// over the square root of the run count): a measured-to-reference gap within about two of
    /// these is run-to-run noise, not a difference. `None` for a total, a ratio of means or a
    /// single deterministic measurement.
    pub std_error: Option<f64>,
    /// What theory or the paper gives, when there is a number to compare with.
    pub reference: Option<f64>,
    /// Runs behind the mean.
    pub runs: usize,
    /// Anything else worth printing (spread, units).
    pub note: String,
}

impl Row {
    /// measured / reference, when there is a reference.
    pub fn ratio(&self) -> Option<f64> {
        self.reference
            .filter(|r| *r != 0.0)
            .map(|r| self.measured / r)
    }
}

/// Mean of a non-empty slice (0 for an empty one).
pub fn mean(values: &[f64]) -> f64 {
    if values.is_empty() {
        0.0
    } else {
        values.iter().sum::<f64>() / values.len() as f64
    }
}

/// Standard error of the mean of `values`: the sample standard deviation over the square root of
/// their count (`None` for fewer than two values, which have no spread to estimate).
pub fn std_error(values: &[f64]) -> Option<f64> {
    let n = values.len();
    if n < 2 {
        return None;
    }
    let m = mean(values);
    let variance = values.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / (n - 1) as f64;
    Some((variance / n as f64).sqrt())
}

/// `measure` of each seed `first_seed..first_seed + runs`, the seeds run in parallel and the
/// results returned in seed order (each run is independent and deterministic in its seed, so
/// the result does not depend on the thread count); `on_run` is called after each.
pub fn per_seed<T: Send>(
    runs: usize,
    first_seed: u64,
    on_run: &(dyn Fn() + Sync),
    measure: impl Fn(u64) -> T + Sync,
) -> Vec<T> {
    use rayon::prelude::*;
    (first_seed..first_seed + runs as u64)
        .into_par_iter()
        .map(|seed| {
            let result = measure(seed);
            on_run();
            result
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_standard_error_is_the_spread_over_the_root_of_the_count() {
        // Sample standard deviation of 1, 2, 3, 4 is sqrt(5/3); over sqrt(4).
        let se = std_error(&[1.0, 2.0, 3.0, 4.0]).unwrap();
        assert!((se - (5.0f64 / 3.0).sqrt() / 2.0).abs() < 1e-12, "{se}");
        assert_eq!(std_error(&[7.0]), None);
        assert_eq!(std_error(&[2.0, 2.0, 2.0]), Some(0.0));
    }

    #[test]
    fn seeds_come_back_in_order_whatever_thread_ran_them() {
        let seeds = per_seed(1000, 5, &|| {}, |seed| seed);
        assert_eq!(seeds, (5..1005).collect::<Vec<u64>>());
    }

    #[test]
    fn arguments_outside_their_range_name_the_flag_and_the_range() {
        assert!(check_runs("--runs", 1).is_ok());
        assert_eq!(
            check_runs("--runs", 0).unwrap_err().to_string(),
            format!("--runs 0: expected 1 to {MAX_RUNS} runs")
        );
        assert!(check_runs("--runs", u64::MAX).is_err());
        assert!(check_nodes("--nodes", 2).is_ok());
        assert!(check_nodes("--nodes", 1).is_err());
        assert!(check_nodes("--nodes", MAX_NODES + 1).is_err());
        assert!(check_keys("--keys", 100_000).is_ok());
        assert_eq!(
            check_keys("--keys", 10).unwrap_err().to_string(),
            "--keys 10: expected 10000 to 1000000 keys"
        );
        assert!(check_exponent("--a", 0.0).is_ok());
        for a in [-1.0, f64::NAN, f64::INFINITY] {
            assert!(check_exponent("--a", a).is_err(), "{a}");
        }
    }
}
