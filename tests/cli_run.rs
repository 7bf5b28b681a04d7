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

/// README: standard output closed early (`faultline ... | head`) ends the command quietly,
/// with the command's own exit code, never a panic.
#[test]
fn a_closed_pipe_ends_output_quietly_with_the_verdict() {
    let template = repo_arg("scenarios/fuzz/gossip.json");
    let heartbeat = repo_arg(HEARTBEAT);
    for (args, code) in [
        (vec!["expand", &template, "--seed", "3"], 0),
        (vec!["run", &heartbeat, "--json", "--seed", "7"], 0),
    ] {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_faultline"))
            .args(&args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        let output = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(code), "{args:?}: {stderr}");
        assert!(stderr.is_empty(), "{args:?}: quiet, found {stderr}");
    }
}

/// README: input files are read up to 16 MiB, counting the bytes read; `--max-input-bytes`
/// raises (or lowers) the limit, and the error names it.
#[test]
fn input_files_are_read_up_to_16_mib_unless_raised() {
    let dir = tempdir("input-limit");
    let at_limit = dir.join("at-limit.json");
    let file = std::fs::File::create(&at_limit).unwrap();
    file.set_len(16 << 20).unwrap();
    let out = faultline(&["run", at_limit.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr.contains("not valid JSON"), "read whole: {stderr}");
    let over = dir.join("over.json");
    std::fs::File::create(&over)
        .unwrap()
        .set_len((16 << 20) + 1)
        .unwrap();
    for command in ["run", "shrink"] {
        let out = faultline(&[command, over.to_str().unwrap()]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2));
        assert!(stderr.contains("larger than 16 MiB"), "{stderr}");
    }
    let out = faultline(&["fuzz", over.to_str().unwrap(), "--seeds", "0..1"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("larger than 16 MiB"), "{stderr}");
    assert!(stderr.contains("--max-input-bytes raises it"), "{stderr}");
    let out = faultline(&["run", "--max-input-bytes", "17MiB", over.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr.contains("not valid JSON"), "read whole: {stderr}");
    let out = faultline(&["run", HEARTBEAT, "--max-input-bytes", "100"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr.contains("larger than 100 bytes"), "{stderr}");
}

/// README: durations take the units ns, us, ms, s, m and h, with up to nine decimals, and a
/// scenario lasts at most 24h.
#[test]
fn durations_take_the_documented_units_and_at_most_24h() {
    let dir = tempdir("durations");
    let text = std::fs::read_to_string(repo("scenarios/fuzz/heartbeat.json")).unwrap();
    let with = |duration: &str, tail: &str| {
        let path = dir.join(format!("{duration}-{tail}.json"));
        let varied = text
            .replace(
                r#""duration": "6s""#,
                &format!(r#""duration": "{duration}""#),
            )
            .replace(
                r#""quiet_tail": "1.5s""#,
                &format!(r#""quiet_tail": "{tail}""#),
            );
        assert_ne!(varied, text);
        std::fs::write(&path, varied).unwrap();
        faultline(&["expand", path.to_str().unwrap(), "--seed", "1"])
    };
    for (duration, tail, printed) in [
        ("24h", "1.5h", "86400s"),
        ("90m", "500000us", "5400s"),
        ("2.5s", "20ns", "2500ms"),
        ("1.000000001s", "1ms", "1000000001ns"),
    ] {
        let out = with(duration, tail);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{duration}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let scenario: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(scenario["duration"], printed);
    }
    let too_long = with("24.001h", "1s");
    assert_eq!(too_long.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&too_long.stderr).contains("at most 24h"));
    for bad in ["1d", "1m30s", "1.0000000001s", "5"] {
        let out = with(bad, "1s");
        assert_eq!(out.status.code(), Some(2), "{bad}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("units ns, us, ms, s, m, h"),
            "{bad}"
        );
    }
}

/// README: a `--report` folder that already holds files is refused before anything runs.
#[test]
fn a_report_folder_with_files_is_refused_before_the_run() {
    let dir = tempdir("report-refused");
    std::fs::write(dir.join("report.html"), "an old report").unwrap();
    let out = faultline(&[
        "run",
        repo(HEARTBEAT).to_str().unwrap(),
        "--report",
        dir.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr.contains("already holds files") && stderr.contains("--overwrite"),
        "{stderr}"
    );
    assert!(out.stdout.is_empty(), "nothing ran");
    let names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(
        names,
        vec![std::ffi::OsString::from("report.html")],
        "nothing written"
    );
}

/// README: heartbeat takes up to 1,000 nodes, Raft up to 51, gossip up to 10^6: each limit is
/// accepted and one node more is refused, naming the field and the limit.
#[test]
fn each_protocol_takes_its_documented_node_count_and_no_more() {
    let dir = tempdir("node-limits");
    for (template, limit) in [("heartbeat", 1000), ("raft", 51), ("gossip", 1_000_000)] {
        let text = std::fs::read_to_string(repo(&format!("scenarios/fuzz/{template}.json")))
            .expect("shipped template");
        let mut value: serde_json::Value = serde_json::from_str(&text).unwrap();
        let vary = value["fuzz"].get_mut("vary");
        if let Some(vary) = vary.and_then(serde_json::Value::as_object_mut) {
            vary.remove("/cluster/nodes");
        }
        for nodes in [limit, limit + 1] {
            value["cluster"]["nodes"] = nodes.into();
            let path = dir.join(format!("{template}-{nodes}.json"));
            std::fs::write(&path, value.to_string()).unwrap();
            let out = faultline(&["expand", path.to_str().unwrap(), "--seed", "1"]);
            let stderr = String::from_utf8_lossy(&out.stderr);
            if nodes == limit {
                assert_eq!(out.status.code(), Some(0), "{template} {nodes}: {stderr}");
            } else {
                assert_eq!(out.status.code(), Some(2), "{template} {nodes}");
                assert!(stderr.contains("field `cluster.nodes`"), "{stderr}");
                assert!(stderr.contains(&format!("at most {limit}")), "{stderr}");
            }
        }
    }
}
