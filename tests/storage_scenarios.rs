//! The storage scenario library end to end through the CLI: every scenario in
//! `scenarios/storage/` (Raft on a simulated disk) passes with a stable trace hash, and each
//! planted storage bug makes one fail with the check that should catch it.

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
fn every_storage_scenario_passes_with_a_stable_trace_hash() {
    let mut files: Vec<PathBuf> = std::fs::read_dir(repo("scenarios/storage"))
        .expect("scenarios/storage/ is missing")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    assert!(files.len() >= 4, "the storage library has shrunk");
    for file in &files {
        let (code, first) = run_json(file);
        assert_eq!(
            code,
            Some(0),
            "{}: failed checks {:?}",
            file.display(),
            failed_checks(&first)
        );
        let (_, second) = run_json(file);
        assert_eq!(
            first["trace_hash"],
            second["trace_hash"],
            "{}",
            file.display()
        );
        let scenario: Value =
            serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
        assert!(
            scenario["cluster"]["disk"].is_object(),
            "{}: a storage scenario needs cluster.disk",
            file.display()
        );
    }
}

/// Writes `scenarios/storage/{scenario}.json` as `edit` changes it to a file named for
/// `variant`; its path.
fn variant(scenario: &str, variant: &str, edit: impl FnOnce(&mut Value)) -> PathBuf {
    let path = repo(&format!("scenarios/storage/{scenario}.json"));
    let mut value: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    edit(&mut value);
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("storage-variants");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{scenario}-{variant}.json"));
    std::fs::write(&path, serde_json::to_string_pretty(&value).unwrap()).unwrap();
    path
}

/// Runs `scenarios/storage/{scenario}.json` with planted bug `bug` on; the failed checks.
fn with_bug(scenario: &str, bug: &str) -> Vec<String> {
    let path = variant(scenario, bug, |value| {
        value["protocol"]["raft"]["bugs"][bug] = Value::Bool(true);
    });
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
fn acknowledging_an_append_before_its_sync_loses_committed_entries() {
    assert_caught("rolling-restarts", "ack_before_sync", "leader_completeness");
}

#[test]
fn granting_a_vote_before_its_sync_elects_two_leaders() {
    assert_caught("vote-crash-point", "vote_before_sync", "election_safety");
}

/// A follower that applies and acknowledges an installed snapshot without writing it holds, on
/// disk, an old snapshot and a log that no longer follows it: the entries it acknowledges after
/// the snapshot would not survive a crash, so a lagging server could be elected with its vote.
#[test]
fn applying_a_snapshot_before_it_is_durable_loses_acknowledged_entries() {
    assert_caught(
        "snapshot-install",
        "apply_snapshot_before_durable",
        "leader_completeness",
    );
}

/// Alagappan et al.'s naive policies under one corrupted record on a follower the quorum later
/// needs: cutting the log there loses committed entries; refusing to start leaves the server
/// down. The protocol-aware default passes (first test).
#[test]
fn naive_corruption_policies_lose_data_or_the_server() {
    let failed = with_bug("corrupt-follower", "truncate_on_corruption");
    for check in ["leader_completeness", "state_machine_safety"] {
        assert!(
            failed.iter().any(|c| c == check),
            "{check} not in {failed:?}"
        );
    }
    assert_caught("corrupt-follower", "crash_on_corruption", "servers_start");
}

/// A zone's disk settings reach its servers' disks: without the slow zone's override, or with
/// it on the other zone instead (three slow voters of five: some client writes then time out),
/// the same scenario runs differently.
#[test]
fn a_zones_disk_settings_override_the_clusters() {
    let (_, pinned) = run_json(&repo("scenarios/storage/zone-disks.json"));
    let without = variant("zone-disks", "no-zone-override", |value| {
        value["cluster"]["disk"]
            .as_object_mut()
            .unwrap()
            .remove("zones");
    });
    let swapped = variant("zone-disks", "override-on-ssd", |value| {
        let zones = &mut value["cluster"]["disk"]["zones"];
        let hdd = zones["hdd"].take();
        *zones = serde_json::json!({ "ssd": hdd });
    });
    for path in [without, swapped] {
        let (_, report) = run_json(&path);
        assert_ne!(
            report["trace_hash"],
            pinned["trace_hash"],
            "{}",
            path.display()
        );
    }
}
