//! Random fault schedules against the real Raft core: a run never panics, replays with the same
//! trace hash, and every safety invariant and the linearizability check hold.

use faultline_harness::scenario;
use proptest::prelude::*;
use serde_json::{json, Value};
use std::path::Path;

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(12)
}

/// One fault at `at_ms` on a five-node cluster, chosen by `kind` and `node`.
fn fault(at_ms: u64, kind: u8, node: u32, split: usize) -> Value {
    let at = format!("{at_ms}ms");
    let mut order: Vec<u32> = (1..=5).collect();
    order.rotate_left(node as usize % 5);
    match kind % 5 {
        0 => json!({ "at": at, "partition": [order[..split].to_vec(), order[split..].to_vec()] }),
        1 => json!({ "at": at, "crash": node }),
        2 => json!({ "at": at, "restart": node }),
        3 => json!({ "at": at, "cut": { "from": [node], "to": order[1..].to_vec() } }),
        _ => json!({ "at": at, "heal": "all" }),
    }
}

fn scenario_text(seed: u64, pre_vote: bool, reads: &str, faults: Vec<Value>) -> String {
    json!({
        "version": 1, "name": "raft-random", "seed": seed, "duration": "6s",
        "protocol": { "raft": {
            "election_timeout": ["150ms", "300ms"], "heartbeat": "50ms",
            "pre_vote": pre_vote, "reads": reads, "snapshot_every": 30
        } },
        "cluster": { "nodes": 5 },
        "network": { "latency": ["1ms", "20ms"], "drop": 0.03, "duplicate": 0.02, "reorder": 0.05 },
        "workload": { "clients": 3, "ops": 90, "keys": 3,
                      "mix": { "get": 0.3, "put": 0.3, "append": 0.3, "cas": 0.1 } },
        "faults": faults,
        "expect": { "linearizable": true }
    })
    .to_string()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn random_faults_keep_raft_safe_and_replayable(
        seed in 0u64..1_000_000,
        pre_vote in any::<bool>(),
        reads in prop_oneof![Just("read_index"), Just("lease"), Just("log")],
        raw in proptest::collection::vec((200u64..4500, 0u8..5, 1u32..=5, 1usize..5), 0..12),
    ) {
        let mut faults: Vec<Value> = raw
            .into_iter()
            .map(|(at, kind, node, split)| fault(at, kind, node, split))
            .collect();
        faults.push(json!({ "at": "4600ms", "heal": "all" }));
        for node in 1..=5 {
            faults.push(json!({ "at": "4600ms", "restart": node }));
        }
        let text = scenario_text(seed, pre_vote, reads, faults);
        let parsed = scenario::parse(&text, Path::new("random.json")).expect("valid scenario");
        let first = faultline_harness::run(&parsed, Default::default()).unwrap();
        let again = faultline_harness::run(&parsed, Default::default()).unwrap();
        prop_assert_eq!(first.trace_hash, again.trace_hash);
        let failed = first.failed_checks();
        prop_assert!(failed.is_empty(), "failed {:?}: {:?}\n{}", failed, first.checks, text);
    }
}
