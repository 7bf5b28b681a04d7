//! Every shrunk failure kept under `scenarios/regressions/` replays: it passes with the fix, and
//! fails the check that found it with the fix switched off (its planted-bug switch on); those
//! fixed without a switch pass.

use faultline_harness::fuzz::with_bug;
use faultline_harness::{run, scenario, RunOptions};
use std::path::Path;

/// (file under scenarios/regressions, planted bug that re-opens it, check that catches it)
const REGRESSIONS: [(&str, &str, &str); 6] = [
    (
        "lease-restart-promise.json",
        "forget_lease_promise_on_restart",
        "lease_safety",
    ),
    (
        "lease-follower-crash.json",
        "forget_lease_promise_on_restart",
        "lease_safety",
    ),
    (
        "prevote-deadlock-split.json",
        "prevote_rejection_hides_term",
        "leader_within",
    ),
    (
        "prevote-deadlock-six.json",
        "prevote_rejection_hides_term",
        "leader_within",
    ),
    (
        "gossip-forgotten-members.json",
        "forget_failed_members",
        "converged",
    ),
    (
        "fenced-voter-not-counted.json",
        "truncate_on_corruption",
        "leader_completeness",
    ),
];

#[test]
fn regressions_pass_with_the_fix_and_fail_without_it() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios/regressions");
    for (file, bug, check) in REGRESSIONS {
        let fixed = scenario::load(&dir.join(file))
            .unwrap_or_else(|e| panic!("regression {file} is missing or invalid: {e}"));
        let report = run(&fixed, RunOptions::default()).unwrap();
        assert!(
            report.ok(),
            "{file} fails with the fix: {:?}",
            report.failed_checks()
        );
        let reopened = with_bug(&fixed, bug).expect("the protocol has the bug switch");
        let report = run(&reopened, RunOptions::default()).unwrap();
        assert!(
            report.failed_checks().contains(&check),
            "{file} with {bug} on should fail {check}, failed {:?}",
            report.failed_checks()
        );
    }
}

/// Shrunk failures of bugs fixed without a planted-bug switch (a core bug, with a core-level
/// test that fails without its fix, or a checker's false alarm): they must pass.
const FIXED: [&str; 6] = [
    "gossip-rejoin-stale-reply.json",
    "wal-append-after-stopped-tail.json",
    "wal-unreadable-snapshot-splice.json",
    "fenced-voter-in-two-voter-config.json",
    "lease-read-released-after-slow-sync.json",
    "lease-promise-late-answer.json",
];

#[test]
fn regressions_fixed_without_a_switch_pass() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios/regressions");
    for file in FIXED {
        let scenario = scenario::load(&dir.join(file))
            .unwrap_or_else(|e| panic!("regression {file} is missing or invalid: {e}"));
        let report = run(&scenario, RunOptions::default()).unwrap();
        assert!(report.ok(), "{file} fails: {:?}", report.failed_checks());
    }
}

/// A run reports the code probes it passed: the lease regression reads from the lease and
/// (with the fix) binds the restarted server by its promise; with the bug on it never does.
#[test]
fn runs_report_the_code_probes_they_passed() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios/regressions");
    let fixed = scenario::load(&dir.join("lease-restart-promise.json")).unwrap();
    let probes = run(&fixed, RunOptions::default()).unwrap().probes;
    for probe in ["raft.lease_read", "raft.promise_on_restart"] {
        assert!(probes.contains(&probe), "{probe} not in {probes:?}");
    }
    let reopened = with_bug(&fixed, "forget_lease_promise_on_restart").unwrap();
    let probes = run(&reopened, RunOptions::default()).unwrap().probes;
    assert!(!probes.contains(&"raft.promise_on_restart"), "{probes:?}");
}
