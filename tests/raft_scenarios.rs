//! The Raft scenario library end to end through the CLI: every scenario in `scenarios/raft/`
//! passes with a stable trace hash, and each planted Raft bug makes a scenario fail with the
//! check that should catch it.

mod common;
use common::*;

use serde_json::Value;
use std::path::{Path, PathBuf};

fn failed_checks(report: &Value) -> Vec<String> {
    report["checks"]
        .as_object()
        .expect("checks")
        .iter()
        .filter(|(_, v)| v["ok"] == false)
        .map(|(k, _)| k.clone())
        .collect()
}

#[test]
fn every_raft_scenario_passes_with_a_stable_trace_hash() {
    let mut files: Vec<PathBuf> = std::fs::read_dir(repo("scenarios/raft"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    assert!(files.len() >= 12, "the scenario library has shrunk");
    for file in &files {
        let (code, first) = run_json(file);
        assert_eq!(
            code,
            Some(0),
            "{}: failed checks {:?}\n{first:#}",
            file.display(),
            failed_checks(&first)
        );
        let (_, second) = run_json(file);
        assert_eq!(
            first["trace_hash"],
            second["trace_hash"],
            "{}: trace hash differs between runs",
            file.display()
        );
        let text = std::fs::read_to_string(file).unwrap();
        let scenario: Value = serde_json::from_str(&text).unwrap();
        assert!(
            scenario["description"]
                .as_str()
                .is_some_and(|d| d.len() > 40),
            "{}: needs a description",
            file.display()
        );
        assert!(
            scenario["expect"]
                .as_object()
                .is_some_and(|e| !e.is_empty()),
            "{}: needs expectations",
            file.display()
        );
    }
}

/// Runs `scenario` with planted bug `bug` switched on; returns the failed checks.
fn with_bug(scenario: &str, bug: &str) -> Vec<String> {
    let text = std::fs::read_to_string(repo(&format!("scenarios/raft/{scenario}.json"))).unwrap();
    let mut value: Value = serde_json::from_str(&text).unwrap();
    value["protocol"]["raft"]["bugs"][bug] = Value::Bool(true);
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("raft-bugs");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{scenario}-{bug}.json"));
    std::fs::write(&path, serde_json::to_string_pretty(&value).unwrap()).unwrap();
    let (code, report) = run_json(&path);
    assert_eq!(code, Some(1), "{bug} on {scenario} went unnoticed");
    failed_checks(&report)
}

fn assert_caught(scenario: &str, bug: &str, check: &str) {
    let failed = with_bug(scenario, bug);
    assert!(
        failed.iter().any(|c| c == check),
        "{bug} on {scenario}: expected {check} to fail, failed: {failed:?}"
    );
}

#[test]
fn stale_local_reads_break_linearizability() {
    assert_caught("leader-partitioned", "stale_local_reads", "linearizable");
}

/// Faults aimed at the leader find it wherever the seed put it: the isolated, slowed leader's
/// lease outlives the election only when it ignores the drift bound.
#[test]
fn an_isolated_slow_leader_with_a_drift_blind_lease_breaks_lease_safety() {
    assert_caught(
        "leader-isolated-slow-clock",
        "lease_ignores_drift",
        "lease_safety",
    );
}

#[test]
fn a_lease_ignoring_clock_drift_serves_stale_reads() {
    assert_caught("clock-skew-lease", "lease_ignores_drift", "linearizable");
    assert_caught("clock-skew-lease", "lease_ignores_drift", "lease_safety");
}

#[test]
fn committing_by_counting_replicas_of_an_old_term_loses_committed_entries() {
    let failed = with_bug("figure8", "figure8_commit");
    for check in ["leader_completeness", "state_machine_safety"] {
        assert!(
            failed.iter().any(|c| c == check),
            "{check} not in {failed:?}"
        );
    }
}

#[test]
fn voting_without_the_log_check_loses_committed_entries() {
    assert_caught("figure8", "vote_without_log_check", "leader_completeness");
}

/// A leader that resumes from a pause handles the reads that waited before it hears of the new
/// term: answering them locally is a stale read.
#[test]
fn a_leader_resuming_from_a_pause_must_confirm_its_reads() {
    assert_caught("leader-paused", "stale_local_reads", "lease_safety");
}

/// The crash point right after a vote is granted, in the election after a brief leader crash.
#[test]
fn forgetting_the_vote_at_a_crash_point_inside_an_election_elects_two_leaders() {
    assert_caught(
        "vote-crash-point",
        "forget_vote_on_restart",
        "election_safety",
    );
}

#[test]
fn forgetting_the_vote_on_restart_elects_two_leaders_in_one_term() {
    assert_caught(
        "rolling-restarts",
        "forget_vote_on_restart",
        "election_safety",
    );
}

#[test]
fn accepting_appends_of_an_older_term_overwrites_committed_entries() {
    let failed = with_bug("late-messages", "accept_stale_term_append");
    for check in ["log_matching", "state_machine_safety"] {
        assert!(
            failed.iter().any(|c| c == check),
            "{check} not in {failed:?}"
        );
    }
}

#[test]
fn the_readme_run_prints_the_raft_summary() {
    let out = faultline(&[
        "run",
        repo("scenarios/raft/leader-partitioned.json")
            .to_str()
            .unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    for needle in [
        "leaders    2 changes",
        "ops        ",
        " ok, 0 failed, 0 indeterminate",
        "history    linearizable",
        "invariants all 5 held",
        "trace      ",
        "verdict    PASS",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in\n{text}");
    }
}

/// Operator actions run one at a time: an "add n4" due while "remove n4" is still pending waits
/// for it, so n4 ends up a member. (Asked at once, the add finished first as a no-op on a leader
/// that still counted n4 as a voter, and the remove then left n4 out for good.)
#[test]
fn operator_actions_complete_in_order() {
    let source = repo("scenarios/raft/leader-partitioned.json");
    let mut value: Value = serde_json::from_str(&std::fs::read_to_string(source).unwrap()).unwrap();
    value["faults"] = serde_json::json!([
        { "at": "3s", "membership": { "remove": [4] } },
        { "at": "3001ms", "partition": [[1, 2, 3], [4, 5]] },
        { "at": "3050ms", "membership": { "add": [4] } },
        { "at": "6s", "heal": "all" }
    ]);
    let dir = tempdir("operator-order");
    let path = dir.join("remove-then-add.json");
    std::fs::write(&path, value.to_string()).unwrap();
    let out = faultline(&["run", path.to_str().unwrap(), "--json"]);
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let line = report["summary"]["operator"].as_str().unwrap().to_string();
    let time = |label: &str| -> f64 {
        let rest = line
            .split(label)
            .nth(1)
            .unwrap_or_else(|| panic!("{label} in {line}"));
        rest.trim_start_matches(" done at ")
            .split('s')
            .next()
            .unwrap()
            .parse()
            .unwrap()
    };
    assert!(time("remove n4") < time("add n4"), "{line}");
}
