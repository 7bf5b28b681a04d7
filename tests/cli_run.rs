//! End-to-end tests of `faultline run`: verdicts, exit codes, determinism, and bad input.

mod common;
use common::*;

use std::process::Output;

const HEARTBEAT: &str = "scenarios/kernel/heartbeat-partition-crash.json";

fn trace_hash(output: &Output) -> String {
    let report: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("--json prints JSON");
    report["trace_hash"]
        .as_str()
        .expect("trace_hash")
        .to_string()
}

#[test]
fn a_passing_scenario_exits_zero_and_reports_every_field() {
    let out = faultline(&["run", repo(HEARTBEAT).to_str().unwrap(), "--json"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for key in [
        "scenario",
        "seed",
        "ok",
        "trace_hash",
        "checks",
        "events",
        "messages",
        "virtual_ns",
        "wall_ms",
    ] {
        assert!(report.get(key).is_some(), "missing {key}");
    }
    assert_eq!(report["ok"], true);
    assert_eq!(report["checks"]["live_nodes_connected"]["ok"], true);
    assert_eq!(report["virtual_ns"], 10_000_000_000u64);
    assert_eq!(report["trace_hash"].as_str().unwrap().len(), 16);
}

#[test]
fn the_human_summary_names_the_verdict_and_hash() {
    let out = faultline(&["run", repo(HEARTBEAT).to_str().unwrap()]);
    let text = String::from_utf8(out.stdout).unwrap();
    for needle in [
        "heartbeat-partition-crash (seed 7)",
        "events/s",
        "trace ",
        "live_nodes_connected",
        "verdict    PASS",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in\n{text}");
    }
}

#[test]
fn same_seed_same_hash_and_trace_file_different_seed_different_hash() {
    let dir = tempdir("determinism");
    let (a, b) = (dir.join("a.jsonl"), dir.join("b.jsonl"));
    let scenario = repo(HEARTBEAT);
    let first = faultline(&[
        "run",
        scenario.to_str().unwrap(),
        "--json",
        "--trace",
        a.to_str().unwrap(),
    ]);
    let second = faultline(&[
        "run",
        scenario.to_str().unwrap(),
        "--json",
        "--trace",
        b.to_str().unwrap(),
    ]);
    assert_eq!(trace_hash(&first), trace_hash(&second));
    let (ta, tb) = (std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
    assert!(!ta.is_empty());
    assert_eq!(ta, tb, "trace files differ");
    let other = faultline(&["run", scenario.to_str().unwrap(), "--json", "--seed", "8"]);
    assert_ne!(trace_hash(&first), trace_hash(&other));
}

#[test]
fn a_failing_check_exits_one() {
    let dir = tempdir("failing");
    let text = std::fs::read_to_string(repo(HEARTBEAT)).unwrap();
    // Healing 10 ms before the end leaves nodes still suspecting peers they can reach again.
    let late = text.replace(
        r#"{ "at": "5s", "heal": "all" }"#,
        r#"{ "at": "9.99s", "heal": "all" }"#,
    );
    assert_ne!(late, text);
    let path = dir.join("late-heal.json");
    std::fs::write(&path, late).unwrap();
    let out = faultline(&["run", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("FAIL live_nodes_connected"));
}

#[test]
fn the_trace_file_is_never_overwritten_without_being_asked() {
    let dir = tempdir("overwrite");
    let path = dir.join("trace.jsonl");
    std::fs::write(&path, "precious").unwrap();
    let out = faultline(&[
        "run",
        repo(HEARTBEAT).to_str().unwrap(),
        "--trace",
        path.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--overwrite"));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "precious");
    let forced = faultline(&[
        "run",
        repo(HEARTBEAT).to_str().unwrap(),
        "--trace",
        path.to_str().unwrap(),
        "--overwrite",
    ]);
    assert_eq!(forced.status.code(), Some(0));
    assert_ne!(std::fs::read_to_string(&path).unwrap(), "precious");
}

#[test]
fn a_missing_file_and_bad_arguments_exit_two() {
    assert_eq!(
        faultline(&["run", "/nonexistent/scenario.json"])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(faultline(&["run"]).status.code(), Some(2));
    assert_eq!(
        faultline(&["run", repo(HEARTBEAT).to_str().unwrap(), "--seed", "x"])
            .status
            .code(),
        Some(2)
    );
}
