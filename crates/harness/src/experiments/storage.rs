//! Alagappan et al., "Protocol-Aware Recovery for Consensus-Based Storage" (FAST 2018), Table 1
//! redone on faultline's Raft: one storage fault (corruption or a read error, in a log entry, the
//! hard state or the snapshot) on one server (the leader or a follower), under each recovery
//! policy (protocol-aware, the default; truncate; crash), and the outcome.
//!
//! Each trial: three servers with disks; from 1 s the third server (neither the target nor the
//! other) is cut off, so what is committed after that lives on the target and the other only. At
//! 3.1 s the fault hits the target, which crashes at once and restarts (recovery reads the damage); then the
//! other crashes and the partition heals, so the target and the lagging server form the only
//! quorum until the other is back at 6 s. Outcome: `lost` if any safety check or linearizability
//! failed, `unavailable` if a server could not start or no leader came within 2 s of the last
//! fault, else `safe`.

use crate::protocols::raft::simulate;
use crate::report::RunReport;
use crate::scenario::{self, ProtocolSpec, Scenario};
use crate::RunOptions;
use rayon::prelude::*;
use serde_json::{json, Value};
use std::path::Path;

/// Where the fault lands.
pub const TARGETS: [(&str, &str); 3] = [
    ("log entry", r#""any""#),
    ("metadata", r#"{"slot": "hard_state"}"#),
    ("snapshot", r#"{"slot": "snapshot"}"#),
];
/// What the fault does.
pub const FAULTS: [&str; 2] = ["corrupt", "read_error"];
/// Which server it hits.
pub const ROLES: [&str; 2] = ["leader", "follower"];
/// Recovery policies: the default and the two naive ones (planted-bug switches).
pub const POLICIES: [(&str, Option<&str>); 3] = [
    ("protocol-aware", None),
    ("truncate", Some("truncate_on_corruption")),
    ("crash", Some("crash_on_corruption")),
];

/// What became of one trial.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Outcome {
    /// Every check held and a leader came back.
    Safe,
    /// A server could not start, or no leader came within 2 s of the last fault.
    Unavailable,
    /// Committed data was lost or overwritten (a safety check or linearizability failed).
    Lost,
}

impl Outcome {
    /// The word printed in the table.
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Safe => "safe",
            Outcome::Unavailable => "unavailable",
            Outcome::Lost => "data lost",
        }
    }

    fn of(report: &RunReport) -> Outcome {
        let failed = |names: &[&str]| {
            report
                .checks
                .iter()
                .any(|c| !c.ok && names.contains(&c.name.as_str()))
        };
        if failed(&[
            "election_safety",
            "log_matching",
            "leader_completeness",
            "state_machine_safety",
            "linearizable",
        ]) {
            Outcome::Lost
        } else if failed(&["servers_start", "leader_within"]) {
            Outcome::Unavailable
        } else {
            Outcome::Safe
        }
    }
}

/// One cell of the table: a fault, its target, the role hit and a policy, with the outcome of
/// each seed.
#[derive(Clone, Debug)]
pub struct Cell {
    /// `corrupt` or `read_error`.
    pub fault: &'static str,
    /// `log entry`, `metadata` or `snapshot`.
    pub target: &'static str,
    /// `leader` or `follower`.
    pub role: &'static str,
    /// The recovery policy.
    pub policy: &'static str,
    /// One outcome per seed.
    pub outcomes: Vec<Outcome>,
}

fn base(seed: u64) -> Value {
    json!({
        "version": 1, "name": "alagappan", "seed": seed, "duration": "9s",
        "protocol": {"raft": {"election_timeout": ["150ms", "300ms"], "heartbeat": "50ms",
                              "snapshot_every": 20}},
        "cluster": {"nodes": 3, "disk": {"sync_latency": ["1ms", "5ms"]}},
        "network": {"latency": ["1ms", "5ms"]},
        "workload": {"clients": 3, "ops": 200, "keys": 3,
                     "mix": {"get": 0.3, "put": 0.4, "append": 0.3},
                     "timeout": "2s", "think": ["10ms", "40ms"]},
        "expect": {"linearizable": true, "leader_within": "2s"}
    })
}

fn run(value: &Value) -> RunReport {
    let scenario: Scenario = scenario::parse(&value.to_string(), Path::new("<alagappan>"))
        .expect("generated scenarios are valid");
    let ProtocolSpec::Raft(spec) = &scenario.protocol else {
        unreachable!("built as a raft scenario")
    };
    simulate(&scenario, spec, RunOptions::default())
        .expect("no trace file, so no I/O can fail")
        .report
}

/// Who leads at 1 s with `seed` (the fault-free prefix of every trial), if anyone.
fn leader_at_fault(seed: u64) -> Option<u32> {
    let mut value = base(seed);
    value["duration"] = json!("1s");
    let scenario: Scenario = scenario::parse(&value.to_string(), Path::new("<alagappan>"))
        .expect("generated scenarios are valid");
    let ProtocolSpec::Raft(spec) = &scenario.protocol else {
        unreachable!("built as a raft scenario")
    };
    let run = simulate(&scenario, spec, RunOptions::default()).ok()?;
    run.leaders.last().map(|c| c.id as u32)
}

/// The trial of one cell with `seed`; `None` when no leader was elected before the fault.
pub fn trial(
    seed: u64,
    fault: &str,
    target: &str,
    role: &str,
    bug: Option<&str>,
) -> Option<Outcome> {
    let leader = leader_at_fault(seed)?;
    let follower = (1..=3).find(|&n| n != leader)?;
    let (hit, other) = if role == "leader" {
        (leader, follower)
    } else {
        (follower, leader)
    };
    let lagging = 6 - hit - other;
    let aim: Value = serde_json::from_str(target).expect("a valid target");
    let mut value = base(seed);
    value["faults"] = json!([
        {"at": "1s", "partition": [[lagging], [hit, other]]},
        {"at": "3100ms", "disk": {"node": hit, fault: aim}},
        {"at": "3100ms", "crash": hit}, {"at": "3200ms", "restart": hit},
        {"at": "3500ms", "crash": other}, {"at": "3600ms", "heal": "all"},
        {"at": "6s", "restart": other}
    ]);
    if let Some(bug) = bug {
        value["protocol"]["raft"]["bugs"][bug] = json!(true);
    }
    Some(Outcome::of(&run(&value)))
}

/// Every cell of the table over seeds `0..runs`, trials in parallel.
pub fn table(runs: u64, on_run: &(dyn Fn() + Sync)) -> Vec<Cell> {
    let mut cells = Vec::new();
    for fault in FAULTS {
        for (target, aim) in TARGETS {
            for role in ROLES {
                for (policy, bug) in POLICIES {
                    let outcomes = (0..runs)
                        .into_par_iter()
                        .filter_map(|seed| {
                            let outcome = trial(seed, fault, aim, role, bug);
                            on_run();
                            outcome
                        })
                        .collect();
                    cells.push(Cell {
                        fault,
                        target,
                        role,
                        policy,
                        outcomes,
                    });
                }
            }
        }
    }
    cells
}

/// `safe 5/5` or `data lost 2/5, unavailable 1/5`: each outcome seen, worst first.
pub fn summary(outcomes: &[Outcome]) -> String {
    let mut seen: Vec<Outcome> = outcomes.to_vec();
    seen.sort_unstable_by(|a, b| b.cmp(a));
    seen.dedup();
    let parts: Vec<String> = seen
        .iter()
        .map(|o| {
            let count = outcomes.iter().filter(|x| *x == o).count();
            format!("{} {count}/{}", o.name(), outcomes.len())
        })
        .collect();
    if parts.is_empty() {
        "no trial".to_string()
    } else {
        parts.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The headline of the paper on one seed: under a corrupted log entry on a follower the
    /// quorum later needs, truncating loses committed data, crashing loses the server, and
    /// protocol-aware recovery does neither.
    #[test]
    fn protocol_aware_recovery_is_safe_where_the_naive_policies_are_not() {
        let outcome = |bug| trial(1, "corrupt", r#""any""#, "follower", bug);
        assert_eq!(outcome(None), Some(Outcome::Safe));
        assert_eq!(outcome(Some("truncate_on_corruption")), Some(Outcome::Lost));
        assert_eq!(
            outcome(Some("crash_on_corruption")),
            Some(Outcome::Unavailable)
        );
    }
}
