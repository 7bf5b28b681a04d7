//! The Raft paper's Figure 16: how long a five-server cluster is without a leader after the
//! leader crashes, for several election-timeout ranges.

use crate::protocols::raft::simulate;
use crate::scenario::{self, ProtocolSpec, Scenario};
use crate::RunOptions;
use rayon::prelude::*;
use serde_json::{json, Value};
use std::path::Path;

/// When the leader is crashed in every trial.
const CRASH_AT_MS: u64 = 1000;
/// One-way message latency (ms), uniform: a LAN RPC with its processing. Servers here persist
/// instantly, so what decides split votes is how long a RequestVote takes to reach the others.
pub const LATENCY_MS: (u64, u64) = (1, 4);
/// How long after the crash a trial waits for a new leader; a trial without one counts as this.
pub const GIVE_UP_MS: f64 = 10_000.0;

fn trial_scenario(seed: u64, (min_ms, max_ms): (u64, u64), crash: Option<u32>) -> Scenario {
    let mut value: Value = json!({
        "version": 1, "name": format!("figure16-{min_ms}-{max_ms}"), "seed": seed,
        "duration": format!("{}ms", CRASH_AT_MS + if crash.is_some() { 10_000 } else { 0 }),
        "protocol": { "raft": { "election_timeout": [format!("{min_ms}ms"), format!("{max_ms}ms")],
                                 "heartbeat": format!("{}ms", min_ms / 2), "pre_vote": false, "check_quorum": false } },
        "cluster": { "nodes": 5 },
        "network": { "latency": [format!("{}ms", LATENCY_MS.0), format!("{}ms", LATENCY_MS.1)] }
    });
    // Servers boot at staggered times within the first 100 ms (as real ones do): otherwise with a
    // fixed timeout (150-150) every server would time out together forever.
    let mut faults: Vec<Value> = Vec::new();
    for node in 1..=5u64 {
        let boot_ms = (seed.wrapping_mul(7919).wrapping_add(node * 104_729)) % 100;
        faults.push(json!({ "at": "0ms", "crash": node }));
        faults.push(json!({ "at": format!("{boot_ms}ms"), "restart": node }));
    }
    if let Some(node) = crash {
        faults.push(json!({ "at": format!("{CRASH_AT_MS}ms"), "crash": node }));
    }
    value["faults"] = Value::Array(faults);
    scenario::parse(&value.to_string(), Path::new("<figure16>"))
        .expect("generated scenarios are valid")
}

fn leaders(scenario: &Scenario) -> Vec<crate::protocols::raft::watch::LeaderChange> {
    let ProtocolSpec::Raft(spec) = &scenario.protocol else {
        unreachable!("built as a raft scenario")
    };
    simulate(scenario, spec, RunOptions::default())
        .expect("no trace file, so no I/O can fail")
        .leaders
}

/// One trial: run to 1 s, crash whoever leads then (the runs are deterministic, so the same seed
/// replays to the same leader), and measure the time until a new leader is elected, in ms:
/// [`GIVE_UP_MS`] when none is elected within 10 s, `None` when there was no leader to crash.
pub fn downtime_ms(seed: u64, timeout_ms: (u64, u64)) -> Option<f64> {
    let before = leaders(&trial_scenario(seed, timeout_ms, None));
    let leader = before.last()?.id;
    let after = leaders(&trial_scenario(seed, timeout_ms, Some(leader as u32)));
    let crash = faultline_sim::Time::from_millis(CRASH_AT_MS);
    let elected = after.iter().find(|c| c.at > crash);
    Some(elected.map_or(GIVE_UP_MS, |c| c.at.since(crash).as_secs_f64() * 1e3))
}

/// The paper's timeout ranges (ms): 150-150, 150-151, 150-155, 150-175, 150-200, 150-300.
pub const FIGURE16_RANGES: [(u64, u64); 6] = [
    (150, 150),
    (150, 151),
    (150, 155),
    (150, 175),
    (150, 200),
    (150, 300),
];

/// Downtimes for `trials` seeds per range, trials in parallel; `on_trial` is called after each.
pub fn figure16(trials: u64, on_trial: &(dyn Fn() + Sync)) -> Vec<((u64, u64), Vec<f64>)> {
    FIGURE16_RANGES
        .iter()
        .map(|&timeout_ms| {
            let samples: Vec<f64> = (0..trials)
                .into_par_iter()
                .filter_map(|seed| {
                    let d = downtime_ms(seed, timeout_ms);
                    on_trial();
                    d
                })
                .collect();
            (timeout_ms, samples)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_trial_measures_the_gap_between_crash_and_new_leader() {
        let before = leaders(&trial_scenario(3, (150, 300), None));
        assert!(!before.is_empty(), "{before:?}");
        let gap = downtime_ms(3, (150, 300)).expect("a new leader");
        // Followers last heard the leader up to one heartbeat (75 ms) before the crash.
        assert!((100.0..1000.0).contains(&gap), "{gap}");
        // Without randomness the paper saw elections take over 10 s from split votes; with
        // 150 ms of randomness the same seeds all elect a leader within a few timeouts.
        let stuck = |range| {
            (0..10)
                .filter(|&seed| downtime_ms(seed, range) == Some(GIVE_UP_MS))
                .count()
        };
        assert!(stuck((150, 150)) >= 5, "{}", stuck((150, 150)));
        assert_eq!(stuck((150, 300)), 0);
    }
}
