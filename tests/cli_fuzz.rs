//! End-to-end tests of `faultline fuzz` and `faultline shrink`: parallel sweeps give the same
//! results whatever the job count or shard split, interrupted sweeps resume without losing or
//! repeating a seed, failures replay and shrink, and the default Raft template finds every
//! planted bug.

mod common;
use common::*;

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const TEMPLATE: &str = "scenarios/fuzz/heartbeat.json";

/// The header line of a sweep's `results.jsonl`.
fn header(out: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(out.join("results.jsonl")).unwrap();
    serde_json::from_str(text.lines().next().expect("a header line")).unwrap()
}

/// The result lines of a sweep (after its header), sorted by seed (they are appended in
/// completion order).
fn results(out: &Path) -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(out.join("results.jsonl")).unwrap();
    let mut lines: Vec<serde_json::Value> = text
        .lines()
        .skip(1)
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    lines.sort_by_key(|r| r["seed"].as_u64().unwrap());
    lines
}

fn sweep(template: &str, seeds: &str, out: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "fuzz",
        template,
        "--seeds",
        seeds,
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    faultline(&args)
}

#[test]
fn results_do_not_depend_on_jobs_or_shards() {
    let dir = tempdir("fuzz-jobs");
    let template = repo_arg(TEMPLATE);
    let one = dir.join("one");
    assert_eq!(
        sweep(&template, "0..60", &one, &["--jobs", "1"])
            .status
            .code(),
        Some(0)
    );
    let two = dir.join("two");
    assert_eq!(
        sweep(&template, "0..60", &two, &["--jobs", "2"])
            .status
            .code(),
        Some(0)
    );
    assert_eq!(results(&one), results(&two));
    assert_eq!(results(&one).len(), 60);

    let sharded = dir.join("sharded");
    for shard in ["1/3", "2/3", "3/3"] {
        let resume = if shard == "1/3" {
            vec!["--shard", shard]
        } else {
            vec!["--shard", shard, "--resume"]
        };
        assert_eq!(
            sweep(&template, "0..60", &sharded, &resume).status.code(),
            Some(0)
        );
    }
    assert_eq!(results(&sharded), results(&one));
    assert!(dir.join("one/junit.xml").exists());
}

#[test]
fn an_interrupted_sweep_resumes_without_losing_or_repeating_a_seed() {
    let dir = tempdir("fuzz-resume");
    let template = repo_arg(TEMPLATE);
    let whole = dir.join("whole");
    sweep(&template, "0..400", &whole, &["--jobs", "2"]);

    let cut = dir.join("cut");
    let mut child = Command::new(env!("CARGO_BIN_EXE_faultline"))
        .args([
            "fuzz",
            &template,
            "--seeds",
            "0..400",
            "--jobs",
            "2",
            "--out",
            cut.to_str().unwrap(),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let lines =
        || std::fs::read_to_string(cut.join("results.jsonl")).map_or(0, |t| t.lines().count());
    while lines() < 30 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let before = lines();
    assert!(
        (30..400).contains(&before),
        "killed mid-sweep, after {before} seeds"
    );

    let resumed = sweep(&template, "0..400", &cut, &["--jobs", "2", "--resume"]);
    assert_eq!(
        resumed.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&resumed.stderr)
    );
    let after = results(&cut);
    let seeds: Vec<u64> = after.iter().map(|r| r["seed"].as_u64().unwrap()).collect();
    assert_eq!(
        seeds,
        (0..400).collect::<Vec<_>>(),
        "every seed exactly once"
    );
    assert_eq!(after, results(&whole));
}

#[test]
fn an_existing_sweep_is_never_overwritten_without_resume() {
    let dir = tempdir("fuzz-clobber");
    let template = repo_arg(TEMPLATE);
    assert_eq!(sweep(&template, "0..5", &dir, &[]).status.code(), Some(0));
    let again = sweep(&template, "0..5", &dir, &[]);
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("--resume"));
    assert_eq!(results(&dir).len(), 5);
}

#[test]
fn failures_replay_to_the_same_failure_and_shrink() {
    let dir = tempdir("fuzz-failures");
    // A quiet tail shorter than the detector's timeout: some seeds end while nodes still suspect
    // peers they can reach again.
    let text = std::fs::read_to_string(repo_arg(TEMPLATE))
        .unwrap()
        .replace(r#""quiet_tail": "1.5s""#, r#""quiet_tail": "200ms""#);
    let template = dir.join("short-tail.json");
    std::fs::write(&template, text).unwrap();
    let out = dir.join("out");
    let sweep_out = sweep(template.to_str().unwrap(), "0..300", &out, &["--shrink"]);
    assert_eq!(sweep_out.status.code(), Some(1));
    let failed: Vec<serde_json::Value> = results(&out)
        .into_iter()
        .filter(|r| r["ok"] == false)
        .collect();
    let summary = std::fs::read_to_string(out.join("summary.html")).unwrap();
    for needle in [
        "Failing seeds by check",
        "live_nodes_connected",
        "Events per run",
        "<svg",
    ] {
        assert!(summary.contains(needle), "summary.html lacks {needle:?}");
    }
    assert!(
        !failed.is_empty(),
        "the fuzzer finds the late-repair failures"
    );
    for failure in &failed {
        assert_replays_and_shrinks(failure);
    }
    // `expand` prints exactly the scenario the sweep ran (and wrote) for a seed.
    let seed = failed[0]["seed"].as_u64().unwrap().to_string();
    let expanded = faultline(&["expand", template.to_str().unwrap(), "--seed", &seed]);
    assert_eq!(expanded.status.code(), Some(0));
    let written = std::fs::read(failed[0]["scenario"].as_str().unwrap()).unwrap();
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&expanded.stdout).unwrap(),
        serde_json::from_slice::<serde_json::Value>(&written).unwrap()
    );
    let copy = dir.join("copy.json");
    std::fs::copy(failed[0]["scenario"].as_str().unwrap(), &copy).unwrap();
    assert_shrink_command_keeps_files(&dir, &copy);
}

/// A sweep's failure replays to the same trace and failed check, and its shrunk scenario
/// (at most 5 faults, no more than the original) still fails.
fn assert_replays_and_shrinks(failure: &serde_json::Value) {
    let scenario = failure["scenario"].as_str().unwrap();
    let replay = faultline(&["run", scenario, "--json"]);
    assert_eq!(replay.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&replay.stdout).unwrap();
    assert_eq!(
        report["trace_hash"], failure["trace_hash"],
        "replays the same run"
    );
    assert_eq!(report["checks"]["live_nodes_connected"]["ok"], false);

    let shrunk = failure["shrunk"].as_str().unwrap();
    assert!(failure["shrunk_faults"].as_u64() <= failure["faults"].as_u64());
    assert!(failure["shrunk_faults"].as_u64().unwrap() <= 5);
    let replay_min = faultline(&["run", shrunk]);
    assert_eq!(
        replay_min.status.code(),
        Some(1),
        "the shrunk scenario still fails"
    );
}

/// `faultline shrink` of the failing scenario `copy` (in `dir`) exits 0 and writes
/// `copy.min.json`, never replaces it without `--overwrite`, gives the same shrink again with
/// it, and exits 1 on a scenario that passes.
fn assert_shrink_command_keeps_files(dir: &std::path::Path, copy: &std::path::Path) {
    let shrink = faultline(&["shrink", copy.to_str().unwrap()]);
    assert_eq!(shrink.status.code(), Some(0), "a successful shrink exits 0");
    let text = String::from_utf8_lossy(&shrink.stdout);
    assert!(
        text.contains("still fails  live_nodes_connected") && text.contains("  - removed "),
        "{text}"
    );
    assert!(dir.join("copy.min.json").exists());
    let min = std::fs::read(dir.join("copy.min.json")).unwrap();
    std::fs::write(dir.join("copy.min.json"), "precious").unwrap();
    let again = faultline(&["shrink", copy.to_str().unwrap()]);
    assert_eq!(again.status.code(), Some(2), "never overwrites");
    assert!(String::from_utf8_lossy(&again.stderr).contains("--overwrite"));
    assert_eq!(
        std::fs::read_to_string(dir.join("copy.min.json")).unwrap(),
        "precious"
    );
    let forced = faultline(&["shrink", copy.to_str().unwrap(), "--overwrite"]);
    assert_eq!(forced.status.code(), Some(0));
    assert_eq!(
        std::fs::read(dir.join("copy.min.json")).unwrap(),
        min,
        "the same shrink"
    );
    let passing = faultline(&[
        "shrink",
        &repo_arg("scenarios/kernel/heartbeat-partition-crash.json"),
    ]);
    assert_eq!(passing.status.code(), Some(1), "nothing to shrink");
}

/// An --out that cannot be created (here: under a file) is named as the --out folder, with
/// nothing written.
#[test]
fn an_out_folder_that_cannot_be_created_is_named() {
    let dir = tempdir("fuzz-out-under-file");
    let file = dir.join("a-file");
    std::fs::write(&file, "x").unwrap();
    let out = file.join("out");
    let run = sweep(&repo_arg(TEMPLATE), "0..2", &out, &[]);
    assert_eq!(run.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        stderr.contains(&format!(
            "{}: cannot create the --out folder",
            out.display()
        )),
        "{stderr}"
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "x");
}

/// Regression (issue 16): `--resume` into a folder holding another template's sweep ran 0 seeds,
/// counted the other template's results as resumed and exited 0.
#[test]
fn resuming_into_another_templates_results_is_refused_naming_both() {
    let dir = tempdir("fuzz-other-template");
    let heartbeat = repo_arg(TEMPLATE);
    assert_eq!(sweep(&heartbeat, "0..20", &dir, &[]).status.code(), Some(0));
    let header = header(&dir);
    assert_eq!(header["faultline_results"], 1);
    assert_eq!(header["template"], heartbeat.as_str());
    assert_eq!(header["template_hash"].as_str().unwrap().len(), 16);
    let before = std::fs::read(dir.join("results.jsonl")).unwrap();

    let gossip = repo_arg("scenarios/fuzz/gossip.json");
    let other = sweep(&gossip, "0..20", &dir, &["--resume"]);
    let stderr = String::from_utf8_lossy(&other.stderr);
    assert_eq!(other.status.code(), Some(2), "{stderr}");
    for needle in [&heartbeat, &gossip, "cannot resume", "--out"] {
        assert!(stderr.contains(needle), "lacks {needle:?}: {stderr}");
    }
    assert_eq!(
        std::fs::read(dir.join("results.jsonl")).unwrap(),
        before,
        "untouched"
    );

    // Another version of the same template is refused too; the same content under another
    // path (key order and spacing do not count) resumes.
    let edited = dir.join("edited.json");
    let text = std::fs::read_to_string(&heartbeat).unwrap();
    std::fs::write(
        &edited,
        text.replace(r#""max_faults": 8"#, r#""max_faults": 7"#),
    )
    .unwrap();
    let changed = sweep(edited.to_str().unwrap(), "0..20", &dir, &["--resume"]);
    assert_eq!(changed.status.code(), Some(2));
    let value: serde_json::Value = serde_json::from_str(&text).unwrap();
    let same = dir.join("same.json");
    std::fs::write(&same, serde_json::to_string(&value).unwrap()).unwrap();
    let resumed = sweep(same.to_str().unwrap(), "0..25", &dir, &["--resume"]);
    assert_eq!(
        resumed.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&resumed.stderr)
    );
    assert!(String::from_utf8_lossy(&resumed.stdout).contains("20 resumed"));
    assert_eq!(results(&dir).len(), 25);

    // Results without a header say nothing of their template: refused.
    let bare = tempdir("fuzz-no-header");
    let lines: Vec<&str> = std::str::from_utf8(&before)
        .unwrap()
        .lines()
        .skip(1)
        .collect();
    std::fs::write(bare.join("results.jsonl"), lines.join("\n") + "\n").unwrap();
    let headless = sweep(&heartbeat, "0..20", &bare, &["--resume"]);
    assert_eq!(headless.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&headless.stderr).contains("no results header"));
}

/// Regression (issue 16): a template named `../../escape` wrote its failure files two folders
/// above `--out/failures/`.
#[test]
fn a_template_name_cannot_write_outside_the_output_folder() {
    let dir = tempdir("fuzz-escape");
    let text = std::fs::read_to_string(repo_arg(TEMPLATE))
        .unwrap()
        .replace(r#""name": "fuzz-heartbeat""#, r#""name": "../../escape""#)
        .replace(r#""quiet_tail": "1.5s""#, r#""quiet_tail": "200ms""#);
    let template = dir.join("escape.json");
    std::fs::write(&template, text).unwrap();
    let out = dir.join("a").join("b").join("out");
    let swept = sweep(template.to_str().unwrap(), "0..60", &out, &["--jobs", "2"]);
    assert_eq!(
        swept.status.code(),
        Some(1),
        "some seeds fail: {}",
        String::from_utf8_lossy(&swept.stderr)
    );
    let failures = out.join("failures");
    let written: Vec<_> = results(&out)
        .iter()
        .filter_map(|r| r["scenario"].as_str().map(std::path::PathBuf::from))
        .collect();
    assert!(!written.is_empty());
    for path in &written {
        assert_eq!(
            path.parent(),
            Some(failures.as_path()),
            "{}",
            path.display()
        );
        assert!(path.exists(), "{}", path.display());
    }
    let escaped: Vec<_> = std::fs::read_dir(dir.join("a"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(
        escaped,
        vec![std::ffi::OsString::from("b")],
        "nothing beside b/"
    );
    assert!(
        std::fs::read_dir(dir.join("a/b")).unwrap().count() == 1,
        "nothing beside out/"
    );
}

#[test]
fn bad_fuzz_arguments_and_templates_exit_two() {
    let template = repo_arg(TEMPLATE);
    let out = tempdir("fuzz-bad");
    for seeds in ["10..5", "x..4", "7"] {
        assert_eq!(
            sweep(&template, seeds, &out.join("a"), &[]).status.code(),
            Some(2),
            "{seeds}"
        );
    }
    assert_eq!(
        sweep(&template, "0..4", &out.join("b"), &["--shard", "4/3"])
            .status
            .code(),
        Some(2)
    );
    let no_block = faultline(&[
        "fuzz",
        &repo_arg("scenarios/kernel/heartbeat-partition-crash.json"),
        "--seeds",
        "0..2",
        "--out",
        out.join("c").to_str().unwrap(),
    ]);
    assert_eq!(no_block.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&no_block.stderr).contains("field `fuzz`"));
}

/// The fuzzer finds planted bugs: the default Raft template, fuzzed with each bug switched on,
/// fails within 200 seeds from each of three offsets and shrinks every first failure; with no
/// bug, the same seeds find nothing. (The README's table is the 25-offset run of this.)
#[test]
fn the_default_template_finds_every_planted_raft_bug() {
    let out = faultline(&[
        "campaign",
        &repo_arg("scenarios/fuzz/raft.json"),
        "--offsets",
        "3",
        "--budget",
        "200",
    ]);
    let table = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{table}");
    for bug in [
        "vote_without_log_check",
        "forget_vote_on_restart",
        "read_without_quorum_check",
        "accept_stale_term_append",
        "lease_ignores_clock_drift",
        "commit_previous_term_by_counting",
    ] {
        let row = table
            .lines()
            .find(|l| l.starts_with(bug))
            .unwrap_or_else(|| panic!("no row for {bug}: {table}"));
        assert!(row.contains(" 3/3 "), "{row}");
        assert!(row.contains(" -> "), "the failures were shrunk: {row}");
    }
    let control = table.lines().find(|l| l.starts_with("none")).unwrap();
    assert!(control.contains(" 0/3 "), "{control}");
}

/// Ctrl-C stops a sweep cleanly: the seeds already running are recorded, the command that
/// resumes it is printed and the exit code is 130. The range is every u64 seed, under a 512 MiB
/// address-space limit: seeds are drawn lazily, so its length costs nothing.
#[test]
fn ctrl_c_stops_a_sweep_of_every_seed_and_prints_how_to_resume() {
    let dir = tempdir("fuzz-ctrl-c");
    let template = repo_arg(TEMPLATE);
    let out = dir.join("out");
    let args: Vec<String> = [
        "fuzz",
        &template,
        "--seeds",
        "0..18446744073709551615",
        "--jobs",
        "2",
        "--out",
        out.to_str().unwrap(),
    ]
    .map(String::from)
    .to_vec();
    let child = spawn_limited(env!("CARGO_BIN_EXE_faultline"), &args);
    let deadline = Instant::now() + Duration::from_secs(60);
    let lines =
        || std::fs::read_to_string(out.join("results.jsonl")).map_or(0, |t| t.lines().count());
    while lines() < 30 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    // SAFETY: sending a signal to our own child.
    assert_eq!(unsafe { libc::kill(child.id() as i32, libc::SIGINT) }, 0);
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(130), "{stderr}");
    let resume = format!(
        "faultline fuzz {template} --seeds 0.. --out {} --resume",
        out.display()
    );
    assert!(stderr.contains(&resume), "{stderr}");
    let recorded = results(&out);
    assert!(recorded.len() >= 29, "{} seeds recorded", recorded.len());
    let seeds: Vec<u64> = recorded
        .iter()
        .map(|r| r["seed"].as_u64().unwrap())
        .collect();
    assert_eq!(
        seeds,
        (0..seeds.len() as u64).collect::<Vec<_>>(),
        "no gap, no repeat"
    );
}
