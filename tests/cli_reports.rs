//! End-to-end tests of the report outputs: `run --report DIR` and the `chart` experiments
//! produce files whose content is what a reader needs, not just files.

mod common;
use common::*;

use std::path::PathBuf;

/// Width and height from a PNG's IHDR chunk.
fn png_size(bytes: &[u8]) -> (u32, u32) {
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "a PNG file");
    let be = |at: usize| u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap());
    (be(16), be(20))
}

/// Runs `scenario` with `--report` into a fresh folder; returns the folder and `report.html`.
fn run_with_report(scenario: &str, folder: &str) -> (PathBuf, String) {
    let dir = tempdir(folder);
    let out = faultline(&[
        "run",
        repo(scenario).to_str().unwrap(),
        "--report",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    (dir, html)
}

#[test]
fn run_report_writes_a_readable_report_of_the_run() {
    let scenario = "scenarios/kernel/heartbeat-partition-crash.json";
    let (dir, html) = run_with_report(scenario, "run-report");
    for needle in [
        "heartbeat-partition-crash",
        "trace hash",
        "check live_nodes_connected",
        "<svg",
    ] {
        assert!(html.contains(needle), "report.html lacks {needle:?}");
    }
    assert_eq!(
        html.matches("http").count(),
        html.matches("http://www.w3.org/").count(),
        "no external resources"
    );
    let svg = std::fs::read_to_string(dir.join("spacetime.svg")).unwrap();
    assert!(
        svg.contains("n1") && svg.contains("n5") && svg.contains("<line"),
        "lanes and arrows"
    );
    assert_eq!(
        png_size(&std::fs::read(dir.join("messages.png")).unwrap()),
        (720, 400)
    );
    let chrome: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("trace.chrome.json")).unwrap()).unwrap();
    assert!(
        chrome["traceEvents"]
            .as_array()
            .is_some_and(|e| !e.is_empty())
            || chrome.as_array().is_some_and(|e| !e.is_empty())
    );
    assert!(
        std::fs::read_to_string(dir.join("trace.shiviz.log"))
            .unwrap()
            .lines()
            .count()
            > 100
    );
    let again = faultline(&[
        "run",
        repo(scenario).to_str().unwrap(),
        "--report",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(
        again.status.code(),
        Some(2),
        "never overwrites a report without --overwrite"
    );
}

/// Runs `faultline chart KIND --out DIR ARGS` into a fresh folder, which it returns.
fn chart(kind: &str, args: &[&str]) -> PathBuf {
    let dir = tempdir(&format!("chart-{kind}"));
    let mut all = vec!["chart", kind, "--out", dir.to_str().unwrap()];
    all.extend_from_slice(args);
    let out = faultline(&all);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    dir
}

#[test]
fn gossip_convergence_chart_draws_every_mode_and_its_theory() {
    let dir = chart("gossip-convergence", &["--nodes", "200"]);
    let svg = std::fs::read_to_string(dir.join("gossip-convergence-200.svg")).unwrap();
    for needle in [
        "Gossip convergence",
        "rounds since the write",
        "push-pull",
        "pull (theory)",
        "rumor k=2",
    ] {
        assert!(svg.contains(needle), "chart lacks {needle:?}");
    }
    assert_eq!(
        png_size(&std::fs::read(dir.join("gossip-convergence-200.png")).unwrap()),
        (800, 480)
    );
    for (stem, label) in [
        ("messages-per-update", "messages sent per node"),
        ("bytes-per-update", "bytes sent per node"),
    ] {
        let svg = std::fs::read_to_string(dir.join(format!("{stem}.svg"))).unwrap();
        for needle in [label, "push-pull", "rumor k=2"] {
            assert!(svg.contains(needle), "{stem} lacks {needle:?}");
        }
        assert_eq!(
            png_size(&std::fs::read(dir.join(format!("{stem}.png"))).unwrap()),
            (800, 480)
        );
    }
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(html.contains("200 nodes") && html.contains("everyone after"));
    assert!(html.contains("Cost of one update"));
}

#[test]
fn raft_elections_chart_draws_every_timeout_range_and_writes_the_raw_downtimes() {
    let dir = chart("raft-elections", &["--trials", "20"]);
    let svg = std::fs::read_to_string(dir.join("raft-elections.svg")).unwrap();
    for range in ["150-150 ms", "150-155 ms", "150-300 ms"] {
        assert!(svg.contains(range), "chart lacks {range:?}");
    }
    assert_eq!(
        png_size(&std::fs::read(dir.join("raft-elections.png")).unwrap()),
        (800, 480)
    );
    let raw: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("raft-elections.json")).unwrap()).unwrap();
    let downtimes = |range: &str| -> Vec<f64> {
        let values = raw[range].as_array().unwrap_or_else(|| panic!("{range}"));
        values.iter().map(|v| v.as_f64().unwrap()).collect()
    };
    assert_eq!(raw.as_object().unwrap().len(), 6);
    // No randomness: mostly endless split votes; 150 ms of it: every election within 10 s.
    let fixed = downtimes("150-150 ms");
    assert!(
        fixed.iter().filter(|d| **d >= 10_000.0).count() >= 10,
        "{fixed:?}"
    );
    let wide = downtimes("150-300 ms");
    assert_eq!(wide.len(), 20);
    assert!(wide.iter().all(|d| (50.0..1_000.0).contains(d)), "{wide:?}");
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(html.contains("Figure 16") && html.contains("split votes"));
}

#[test]
fn a_raft_run_report_charts_client_latency_throughput_and_messages_per_operation() {
    let (dir, html) = run_with_report("scenarios/raft/leader-partitioned.json", "raft-report");
    let view = std::fs::read_to_string(dir.join("history.html")).expect("history.html written");
    assert!(
        view.contains("client history"),
        "history.html names the history"
    );
    for needle in [
        "<iframe",
        "srcdoc=\"&lt;!DOCTYPE html&gt;",
        "The clients&#39; history (800 operations",
        "Client latency",
        "latency (ms)",
        "Throughput, fault windows shaded",
        "Messages per operation, fault windows shaded",
        "messages sent per completed operation",
        "Bytes sent per node",
        "KiB sent",
        "bytes sent",
        "partition",
        "check linearizable",
    ] {
        assert!(html.contains(needle), "report.html lacks {needle:?}");
    }
}

/// A failing run's report says where it first went wrong, and its space-time diagram shows the
/// events around that point with the failure's window highlighted.
#[test]
fn a_failing_run_report_zooms_in_on_the_first_failure() {
    let dir = tempdir("failing-report");
    let text = std::fs::read_to_string(repo("scenarios/raft/leader-partitioned.json")).unwrap();
    let mut scenario: serde_json::Value = serde_json::from_str(&text).unwrap();
    scenario["protocol"]["raft"]["bugs"]["stale_local_reads"] = serde_json::Value::Bool(true);
    let file = dir.join("stale-reads.json");
    std::fs::write(&file, scenario.to_string()).unwrap();
    let report = dir.join("report");
    let out = faultline(&[
        "run",
        file.to_str().unwrap(),
        "--report",
        report.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1), "the planted bug is caught");
    let html = std::fs::read_to_string(report.join("report.html")).unwrap();
    assert!(html.contains("first failure") && html.contains("lease_safety broke at"));
    let svg = std::fs::read_to_string(report.join("spacetime.svg")).unwrap();
    assert!(svg.contains("Around the first failure: lease_safety broke"));
    assert!(
        svg.contains("class=\"window\""),
        "the failure's window is highlighted"
    );
}

/// Faults aimed at the leader are shaded for as long as they last, like the others.
#[test]
fn leader_faults_are_shaded_in_the_client_charts() {
    let (_, html) = run_with_report(
        "scenarios/raft/leader-isolated-slow-clock.json",
        "leader-faults-report",
    );
    for needle in ["leader isolated", "leader crash"] {
        assert!(html.contains(needle), "report.html lacks {needle:?}");
    }
}
