//! Every scenario in scenarios/gossip/ passes with the real gossip core and replays to the same
//! trace hash; the convergence checks fail when they should.

mod common;
use common::*;

use std::path::{Path, PathBuf};

fn scenarios_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/gossip")
}

fn scenarios() -> Vec<PathBuf> {
    let dir = scenarios_dir();
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
}

#[test]
fn every_gossip_scenario_passes_and_replays() {
    let files = scenarios();
    assert!(files.len() >= 10);
    for path in files {
        let (code, first) = run_json(&path);
        assert_eq!(code, Some(0), "{}: {first}", path.display());
        let (_, second) = run_json(&path);
        assert_eq!(
            first["trace_hash"],
            second["trace_hash"],
            "{}",
            path.display()
        );
        assert!(
            first["checks"].as_object().is_some_and(|c| !c.is_empty()),
            "{} checks something",
            path.display()
        );
    }
}

/// `scenarios/gossip/NAME` edited by `edit`, written under the test's temporary folder. The
/// file is named by its content and written through a rename, so tests that edit one source
/// in parallel never read each other's variant or a half-written file.
fn variant(name: &str, edit: impl FnOnce(&mut serde_json::Value)) -> PathBuf {
    use std::hash::{Hash, Hasher};
    static WRITES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let source = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios/gossip")
        .join(name);
    let mut value: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(source).unwrap()).unwrap();
    edit(&mut value);
    let text = value.to_string();
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    text.hash(&mut hasher);
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("gossip-variants");
    std::fs::create_dir_all(&dir).unwrap();
    let stem = name.trim_end_matches(".json");
    let path = dir.join(format!("{stem}-{:016x}.json", hasher.finish()));
    let write = WRITES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let partial = dir.join(format!(".{stem}-{}-{write}.tmp", std::process::id()));
    std::fs::write(&partial, text).unwrap();
    std::fs::rename(&partial, &path).unwrap();
    path
}

#[test]
fn convergence_fails_when_the_partition_never_heals() {
    let never_heals = variant("partition-heals.json", |s| {
        s["faults"]
            .as_array_mut()
            .unwrap()
            .retain(|f| f.get("heal").is_none());
        // Everything is judged while the halves are still cut off from each other.
    });
    let (code, report) = run_json(&never_heals);
    assert_eq!(code, Some(1));
    assert_eq!(
        report["checks"]["converged_within"]["ok"], false,
        "{report}"
    );
    // Each half agrees internally, which is what `converged` asks of unreachable groups.
    assert_eq!(report["checks"]["converged"]["ok"], true, "{report}");
}

#[test]
fn a_one_way_cut_between_two_nodes_is_routed_around() {
    let cut = variant("loss-30.json", |s| {
        s["faults"] = serde_json::json!([{ "at": "500ms", "cut": { "from": [1], "to": [2] } }]);
    });
    assert_eq!(run_json(&cut).0, Some(0));
}

#[test]
fn an_isolated_node_never_converges() {
    let isolated = variant("push-pull-1000.json", |s| {
        s["faults"] = serde_json::json!([{ "at": "500ms", "partition": [[1], (2..=1000).collect::<Vec<u32>>()] }]);
    });
    let (code, report) = run_json(&isolated);
    assert_eq!(code, Some(1), "{report}");
    assert_eq!(report["checks"]["converged_within"]["ok"], false);
}

#[test]
fn state_right_after_a_write_has_not_converged() {
    let late_write = variant("push-pull-1000.json", |s| {
        s["protocol"]["gossip"]["writes"] =
            serde_json::json!({ "count": 5, "keys": 5, "from": "29.9s", "until": "30s" });
    });
    let (code, report) = run_json(&late_write);
    assert_eq!(code, Some(1), "{report}");
    assert_eq!(report["checks"]["converged"]["ok"], false, "{report}");
}

#[test]
fn swim_detection_fails_without_enough_time() {
    let hurried = variant("churn-swim.json", |s| {
        s["expect"]["swim_detects_within"] = serde_json::json!("100ms");
    });
    let (code, report) = run_json(&hurried);
    assert_eq!(code, Some(1));
    assert_eq!(
        report["checks"]["swim_detects_crashes"]["ok"], false,
        "{report}"
    );
}

#[test]
fn stopping_at_convergence_ends_early_with_the_same_verdicts() {
    let full_path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/gossip/push-pull-1000.json");
    let early_path = variant("push-pull-1000.json", |s| {
        s["protocol"]["gossip"]["stop_at_convergence"] = serde_json::json!(true);
    });
    let (full_code, full) = run_json(&full_path);
    let (code, early) = run_json(&early_path);
    assert_eq!((full_code, code), (Some(0), Some(0)), "{early}");
    assert_eq!(
        early["checks"], full["checks"],
        "same verdicts, same convergence time"
    );
    let (early_ns, full_ns) = (early["virtual_ns"].as_u64(), full["virtual_ns"].as_u64());
    assert!(early_ns < full_ns, "{early_ns:?} < {full_ns:?}");
    assert!(early["events"].as_u64() < full["events"].as_u64());
}

/// The 20-node SWIM cluster of `long-partition-swim.json` split for `seconds` (writes on both
/// sides throughout), healed, then given the scenario's two minutes.
fn long_partition(seconds: u64) -> PathBuf {
    variant("long-partition-swim.json", |s| {
        s["faults"][1]["at"] = serde_json::json!(format!("{}s", 5 + seconds));
        s["duration"] = serde_json::json!(format!("{}s", 5 + seconds + 120));
        s["protocol"]["gossip"]["writes"]["until"] = serde_json::json!(format!("{seconds}s"));
    })
}

/// A partition of any length (well past the old 30 s dead-member retention) heals: failed
/// members are kept and retried, and whole views are pushed and pulled, so within the
/// scenario's 45 s bound every node takes every other back and all hold one state.
#[test]
fn swim_partitions_of_60_300_and_3600_seconds_heal_within_the_bound() {
    for seconds in [60, 300, 3_600] {
        let (code, report) = run_json(&long_partition(seconds));
        assert_eq!(code, Some(0), "{seconds} s: {report}");
        assert_eq!(
            report["checks"]["converged_within"]["ok"], true,
            "{seconds} s: {report}"
        );
    }
}

/// The same partitions never heal if failed members are forgotten before the partition ends.
#[test]
fn a_partition_outlasting_the_reconnect_timeout_stays_split() {
    let forgotten = variant("long-partition-swim.json", |s| {
        s["protocol"]["gossip"]["swim"]["reconnect_timeout"] = serde_json::json!("30s");
        s["protocol"]["gossip"]["swim"]["push_pull_interval"] = serde_json::json!("0s");
    });
    let (code, report) = run_json(&forgotten);
    assert_eq!(code, Some(1), "{report}");
    assert_eq!(
        report["checks"]["converged_within"]["ok"], false,
        "{report}"
    );
}

/// join-leave-swim.json cut down to one event (and no crash), writes over by 3 s, with the
/// convergence bound `bound`.
fn one_change(change: serde_json::Value, bound: &str) -> PathBuf {
    variant("join-leave-swim.json", |s| {
        s["faults"] = serde_json::json!([change]);
        s["protocol"]["gossip"]["writes"]["until"] = "3s".into();
        s["expect"] = serde_json::json!({ "converged": true, "converged_within": bound });
    })
}

/// A node that starts outside and joins through one seed learns every member (and every
/// member learns it, and it catches up with the data) within 3 s of its join; the bound is
/// what the check measures: 100 ms is too short for SWIM to spread the news.
#[test]
fn a_joining_node_learns_every_member_within_a_bound() {
    let join = serde_json::json!({ "at": "4s", "join": { "node": 11, "seeds": [1] } });
    let (code, report) = run_json(&one_change(join.clone(), "3s"));
    assert_eq!(code, Some(0), "{report}");
    let (code, report) = run_json(&one_change(join, "100ms"));
    assert_eq!(code, Some(1), "{report}");
    assert_eq!(report["checks"]["converged_within"]["ok"], false);
}

/// A graceful leave spreads as `left`: no member declares the node dead, and convergence
/// counts it as gone. A crash of the same node is declared dead by every other member.
#[test]
fn a_graceful_leave_is_not_a_swim_death_or_a_failure() {
    let (code, left) = run_json(&one_change(
        serde_json::json!({ "at": "4s", "leave": 5 }),
        "3s",
    ));
    assert_eq!(code, Some(0), "{left}");
    assert_eq!(
        left["summary"]["swim"], "0 dead verdicts, 0 about live members",
        "{left}"
    );
    let (_, crashed) = run_json(&one_change(
        serde_json::json!({ "at": "4s", "crash": 5 }),
        "10s",
    ));
    assert_eq!(
        crashed["summary"]["swim"], "11 dead verdicts, 0 about live members",
        "{crashed}"
    );
}

/// With a durable store every write taken while its writer was cut off survives the outage that
/// follows and reaches every node; without it, every one dies with its writer.
#[test]
fn durable_writes_survive_a_crash_and_volatile_ones_do_not() {
    let spread =
        |report: &serde_json::Value| report["summary"]["spread"].as_str().map(str::to_owned);
    let (code, durable) = run_json(&scenarios_dir().join("durable-writes.json"));
    assert_eq!(code, Some(0), "{durable}");
    assert!(
        spread(&durable).is_some_and(|s| s.starts_with("8 of 8 writes reached every live node")),
        "{durable}"
    );
    let volatile = variant("durable-writes.json", |s| {
        s["protocol"]["gossip"]
            .as_object_mut()
            .unwrap()
            .remove("durable");
    });
    let (code, volatile) = run_json(&volatile);
    assert_eq!(code, Some(0), "{volatile}");
    assert_eq!(
        spread(&volatile),
        None,
        "no write reached every node: {volatile}"
    );
}
