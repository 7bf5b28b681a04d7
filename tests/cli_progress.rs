//! Ctrl-C on the long commands besides `fuzz` (whose own test is in `cli_fuzz.rs`): `run`,
//! `campaign`, `experiment`, `chart` and `check` end with exit code 130, say what was kept, and
//! print the command that resumes or reruns them; an interrupted run leaves no partial trace
//! behind. Their progress bars draw only on a terminal: none of these outputs (pipes) holds one.

mod common;
use common::*;

use std::path::Path;
use std::process::Output;
use std::time::{Duration, Instant};

/// Whether process `pid` has a handler for SIGINT (Linux: bit 2 of `SigCgt`).
fn catches_sigint(pid: u32) -> bool {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("SigCgt:"))
        .and_then(|mask| u64::from_str_radix(mask.trim(), 16).ok())
        .is_some_and(|mask| mask & (1 << (libc::SIGINT - 1)) != 0)
}

/// Starts `faultline ARGS`, sends Ctrl-C (SIGINT) once it handles it and has worked for
/// `after`, and returns its output.
fn interrupted(args: &[&str], after: Duration) -> Output {
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    let child = spawn_limited(env!("CARGO_BIN_EXE_faultline"), &args);
    let deadline = Instant::now() + Duration::from_secs(30);
    while !catches_sigint(child.id()) {
        assert!(Instant::now() < deadline, "no Ctrl-C handler within 30 s");
        std::thread::sleep(Duration::from_millis(5));
    }
    std::thread::sleep(after);
    // SAFETY: sending a signal to our own child.
    assert_eq!(unsafe { libc::kill(child.id() as i32, libc::SIGINT) }, 0);
    child.wait_with_output().unwrap()
}

/// Checks exit code 130, no progress bar in the output, and returns standard error.
fn said(output: &Output) -> String {
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(130), "{stderr}");
    let all = format!("{stderr}{}", String::from_utf8_lossy(&output.stdout));
    assert!(
        !all.contains('█') && !all.contains('░'),
        "a bar on a pipe: {all}"
    );
    stderr
}

/// A heartbeat scenario that runs for hours of wall time.
fn long_scenario(dir: &Path) -> String {
    let path = dir.join("long.json");
    std::fs::write(
        &path,
        r#"{ "version": 1, "name": "long-heartbeat", "seed": 1, "duration": "36000s",
  "protocol": { "heartbeat": { "interval": "50ms", "timeout": "400ms" } },
  "cluster": { "nodes": 20 }, "network": { "latency": ["1ms", "10ms"] },
  "expect": { "live_nodes_connected": true } }"#,
    )
    .unwrap();
    path.display().to_string()
}

#[test]
fn ctrl_c_on_a_long_run_keeps_no_partial_trace_and_says_how_to_run_it_again() {
    let dir = tempdir("progress-run");
    let scenario = long_scenario(&dir);
    let trace = dir.join("trace.jsonl");
    let trace_arg = trace.display().to_string();
    let output = interrupted(
        &["run", &scenario, "--trace", &trace_arg],
        Duration::from_millis(300),
    );
    let stderr = said(&output);
    assert!(stderr.contains("nothing was kept"), "{stderr}");
    assert!(
        stderr.contains("the unfinished trace was removed"),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("run {scenario} --trace {trace_arg}")),
        "{stderr}"
    );
    let left: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(left, ["long.json"], "no trace, finished or not");
}

#[test]
fn ctrl_c_on_a_campaign_names_the_hunts_left_and_the_command_that_runs_them() {
    let template = repo_arg("tests/data/raft-planted.json");
    let output = interrupted(
        &["campaign", &template, "--offsets", "50", "--budget", "1000"],
        Duration::from_millis(300),
    );
    let stderr = said(&output);
    let command = format!("faultline campaign {template} --offsets 50 --budget 1000 --bugs ");
    assert!(stderr.contains(&command), "{stderr}");
    let left = stderr.split(&command).nth(1).unwrap().trim();
    assert!(left.ends_with("none"), "the control is left: {stderr}");
    assert!(
        stderr.contains(&format!("the hunts of {left} did not finish")),
        "{stderr}"
    );

    let unknown = faultline(&["campaign", &template, "--bugs", "no_such_bug"]);
    assert_eq!(unknown.status.code(), Some(2));
    let text = String::from_utf8_lossy(&unknown.stderr);
    assert!(
        text.contains("--bugs \"no_such_bug\": expected names among") && text.contains("none"),
        "{text}"
    );
}

#[test]
fn ctrl_c_on_an_experiment_says_nothing_was_kept_and_how_to_run_it_again() {
    let output = interrupted(
        &["experiment", "lifeguard", "--runs", "5000"],
        Duration::from_millis(300),
    );
    let stderr = said(&output);
    assert!(stderr.contains("nothing was kept"), "{stderr}");
    assert!(
        stderr.contains("experiment lifeguard --runs 5000"),
        "{stderr}"
    );
}

#[test]
fn ctrl_c_on_a_chart_says_what_is_in_its_folder_and_how_to_draw_it_again() {
    let out = tempdir("progress-chart").join("charts");
    let out_arg = out.display().to_string();
    let output = interrupted(
        &[
            "chart",
            "raft-elections",
            "--trials",
            "100000",
            "--out",
            &out_arg,
        ],
        Duration::from_millis(300),
    );
    let stderr = said(&output);
    assert!(
        stderr.contains(&format!("no chart was drawn yet in {out_arg}")),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!(
            "chart raft-elections --trials 100000 --out {out_arg}"
        )),
        "{stderr}"
    );
    assert!(!out.join("report.html").exists());
}

/// A linearizable register history of `ops` sequential writes and reads.
fn register_history(ops: u64) -> String {
    let lines: Vec<String> = (0..ops)
        .map(|i| {
            let (op, result) = if i % 2 == 0 {
                (
                    format!(r#"{{"f":"write","value":{i}}}"#),
                    r#"{"ok":true}"#.to_string(),
                )
            } else {
                (
                    r#"{"f":"read"}"#.to_string(),
                    format!(r#"{{"value":{}}}"#, i - 1),
                )
            };
            format!(
                r#"{{"client":0,"invoke_ns":{},"complete_ns":{},"op":{op},"result":{result}}}"#,
                i * 10,
                i * 10 + 4
            )
        })
        .collect();
    format!(r#"{{"model":"register","ops":[{}]}}"#, lines.join(",\n"))
}

#[test]
fn ctrl_c_on_a_check_says_which_verdicts_are_complete_and_where_to_go_on() {
    let dir = tempdir("progress-check");
    let history = dir.join("h.json");
    std::fs::write(&history, register_history(50_000)).unwrap();
    let path = history.display().to_string();
    let mut args = vec!["check"];
    args.extend(std::iter::repeat_n(path.as_str(), 300));
    let output = interrupted(&args, Duration::from_millis(500));
    let stderr = said(&output);
    assert!(
        stderr.contains("the verdicts printed above are complete: ")
            && stderr.contains(" of 300 histories")
            && stderr.contains(&format!("Check the rest (from {path} on)")),
        "{stderr}"
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let done: usize = stderr
        .split("complete: ")
        .nth(1)
        .and_then(|t| t.split(' ').next())
        .and_then(|n| n.parse().ok())
        .expect("a count");
    // A verdict printed just as Ctrl-C came may not be counted yet: it is checked again.
    let printed = stdout.matches(": linearizable").count();
    assert!((done..=done + 1).contains(&printed), "{done} vs {stdout}");
}

/// On a terminal the bar is drawn: `experiment` run under `script` (a pseudo-terminal) draws
/// its runs as a bar (at once here, through `FAULTLINE_PROGRESS_AFTER_MS=0`, so a fast machine
/// that finishes within the usual second still shows it).
#[test]
fn on_a_terminal_an_experiment_draws_its_runs_as_a_bar() {
    let command = format!(
        "{} experiment swim-suspicion --runs 100",
        env!("CARGO_BIN_EXE_faultline")
    );
    let Ok(output) = std::process::Command::new("script")
        .args(["-qfec", &command, "/dev/null"])
        .env("FAULTLINE_PROGRESS_AFTER_MS", "0")
        .output()
    else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set and `script` (util-linux) is missing"
        );
        eprintln!("SKIPPED: `script` is not installed");
        return;
    };
    let screen = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{screen}");
    assert!(screen.contains("/200 runs"), "no bar drawn: {screen}");
    assert!(
        screen.contains("suspicion on"),
        "the table follows: {screen}"
    );
}
