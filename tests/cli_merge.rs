//! End-to-end tests of `faultline merge`: the shards of a sweep, run as separate processes and
//! merged, give the results of one unsharded sweep (seeds, hashes, verdicts), with the failures
//! grouped by signature; shards left out, run twice, of another template or another range, or
//! disagreeing on a seed are refused with the seeds named.
//!
//! The full-size figure (4 shards x 2,500 seeds vs one 10,000-seed sweep) is measured
//! by the command in README's "Sweeps on many machines"; these tests use 24 seeds.

mod common;
use common::*;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

/// The default Raft template with two planted bugs: sweeps fail in several ways.
const PLANTED: &str = "tests/data/raft-planted.json";
const SEEDS: &str = "0..24";
const SHARDS: usize = 4;

/// The shard folders and the unsharded sweep's folder, made once for every test here.
struct Sweeps {
    shards: Vec<PathBuf>,
    whole: PathBuf,
}

fn sweeps() -> &'static Sweeps {
    static SWEEPS: OnceLock<Sweeps> = OnceLock::new();
    SWEEPS.get_or_init(|| {
        let dir = tempdir("merge-sweeps");
        let template = repo_arg(PLANTED);
        let shards: Vec<PathBuf> = (1..=SHARDS)
            .map(|k| dir.join(format!("shard-{k}")))
            .collect();
        // The shards run as separate processes at the same time, as on separate machines.
        let children: Vec<_> = shards
            .iter()
            .enumerate()
            .map(|(k, out)| {
                let shard = format!("{}/{SHARDS}", k + 1);
                let args = [
                    "fuzz", &template, "--seeds", SEEDS, "--shard", &shard, "--jobs", "1",
                ];
                Command::new(env!("CARGO_BIN_EXE_faultline"))
                    .args(args)
                    .args(["--shrink", "--out", out.to_str().unwrap()])
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .spawn()
                    .expect("a shard starts")
            })
            .collect();
        for mut child in children {
            assert_eq!(
                child.wait().unwrap().code(),
                Some(1),
                "planted bugs fail some seeds"
            );
        }
        let whole = dir.join("whole");
        let out = whole.to_str().unwrap();
        let run = faultline(&[
            "fuzz", &template, "--seeds", SEEDS, "--shrink", "--out", out,
        ]);
        assert_eq!(run.status.code(), Some(1));
        Sweeps { shards, whole }
    })
}

fn args<'a>(out: &'a Path, shards: &'a [PathBuf], extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["merge", out.to_str().unwrap()];
    args.extend(shards.iter().map(|s| s.to_str().unwrap()));
    args.extend_from_slice(extra);
    args
}

fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn merged_shards_equal_one_unsharded_sweep_and_group_the_failures() {
    let sweeps = sweeps();
    let out = tempdir("merge-exact").join("merged");
    let merged = faultline(&args(&out, &sweeps.shards, &[]));
    assert_eq!(merged.status.code(), Some(1), "{}", stderr(&merged));
    let (merged_rows, whole_rows) = (outcomes(&out), outcomes(&sweeps.whole));
    assert_eq!(merged_rows.len(), 24);
    assert_eq!(merged_rows, whole_rows, "seeds, hashes and verdicts match");
    let header = std::fs::read_to_string(out.join("results.jsonl")).unwrap();
    let header: serde_json::Value = serde_json::from_str(header.lines().next().unwrap()).unwrap();
    assert_eq!(header["seeds"], "0..24");
    assert!(
        header.get("shard").is_none(),
        "the merge is the whole range"
    );

    let failing: Vec<u64> = merged_rows.iter().filter(|r| !r.1).map(|r| r.0).collect();
    assert!(
        failing.len() >= 2,
        "the planted bugs fail seeds: {failing:?}"
    );
    let groups: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(out.join("failures.json")).unwrap()).unwrap();
    let mut grouped: Vec<u64> = groups
        .iter()
        .flat_map(|g| {
            g["seeds"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s.as_u64().unwrap())
        })
        .collect();
    grouped.sort_unstable();
    assert_eq!(
        grouped, failing,
        "every failing seed is in exactly one group"
    );
    assert!(groups.len() < failing.len(), "failures are deduplicated");
    let page = std::fs::read_to_string(out.join("summary.html")).unwrap();
    for group in &groups {
        check_group(&out, &page, group);
    }
    for needle in [
        "What the sweep explored",
        "configuration /cluster/nodes",
        "fault kinds",
    ] {
        assert!(page.contains(needle), "summary.html lacks {needle:?}");
    }
    let junit = std::fs::read_to_string(out.join("junit.xml")).unwrap();
    assert!(junit.contains(&format!("tests=\"24\" failures=\"{}\"", failing.len())));

    let again = faultline(&args(&out, &sweeps.shards, &["--no-reports"]));
    assert_eq!(again.status.code(), Some(2));
    assert!(
        stderr(&again).contains("pass --overwrite"),
        "{}",
        stderr(&again)
    );
    let replaced = faultline(&args(
        &out,
        &sweeps.shards,
        &["--no-reports", "--overwrite"],
    ));
    assert_eq!(replaced.status.code(), Some(1), "{}", stderr(&replaced));
}

/// One group of `failures.json`: its count is its seed list's length, the page and a report
/// show it, and its representative replays failing one of the group's checks.
fn check_group(out: &Path, page: &str, group: &serde_json::Value) {
    let count = group["count"].as_u64().unwrap();
    assert_eq!(count, group["seeds"].as_array().unwrap().len() as u64);
    let id = group["id"].as_str().unwrap();
    assert!(
        page.contains(&format!("id=\"{id}\"")),
        "the page shows group {id}"
    );
    assert!(out.join("reports").join(id).join("report.html").is_file());
    let scenario = out.join(group["representative"]["scenario"].as_str().unwrap());
    let (code, report) = run_json(&scenario);
    assert_eq!(
        code,
        Some(1),
        "{}: the representative fails",
        scenario.display()
    );
    let failed: Vec<&str> = report["checks"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, c)| c["ok"] == false)
        .map(|(name, _)| name.as_str())
        .collect();
    let checks = group["signature"]["checks"].as_array().unwrap();
    assert!(
        checks.iter().any(|c| failed.contains(&c.as_str().unwrap())),
        "{id}: replay fails {failed:?}, the group is of {checks:?}"
    );
}

#[test]
fn a_shard_left_out_or_run_twice_is_named_and_partial_merges_say_so() {
    let sweeps = sweeps();
    let dir = tempdir("merge-coverage");
    let s = &sweeps.shards;
    let missing = faultline(&args(
        &dir.join("a"),
        &[s[0].clone(), s[1].clone(), s[3].clone()],
        &[],
    ));
    assert_eq!(missing.status.code(), Some(2));
    let text = stderr(&missing);
    assert!(text.contains("missing 6 seeds"), "{text}");
    assert!(
        text.contains("seeds 2..=22 step 4"),
        "shard 3's seeds: {text}"
    );
    assert!(
        !dir.join("a").join("results.jsonl").exists(),
        "nothing written"
    );

    let twice = [
        s[0].clone(),
        s[1].clone(),
        s[1].clone(),
        s[2].clone(),
        s[3].clone(),
    ];
    let repeated = faultline(&args(&dir.join("b"), &twice, &[]));
    assert_eq!(repeated.status.code(), Some(2));
    let text = stderr(&repeated);
    assert!(text.contains("6 seeds recorded more than once"), "{text}");
    assert!(
        text.contains("seeds 1..=21 step 4"),
        "shard 2's seeds: {text}"
    );

    let partial_out = dir.join("c");
    let three = [s[0].clone(), s[1].clone(), s[3].clone()];
    let partial = faultline(&args(&partial_out, &three, &["--partial", "--no-reports"]));
    assert!(
        matches!(partial.status.code(), Some(0 | 1)),
        "{}",
        stderr(&partial)
    );
    assert_eq!(outcomes(&partial_out).len(), 18);
    let stdout = String::from_utf8_lossy(&partial.stdout);
    assert!(stdout.contains("seeds 2..=22 step 4"), "{stdout}");
    let page = std::fs::read_to_string(partial_out.join("summary.html")).unwrap();
    assert!(page.contains("partial merge"));
}

#[test]
fn shards_of_another_template_range_or_result_are_refused() {
    let sweeps = sweeps();
    let dir = tempdir("merge-refused");
    let other = dir.join("heartbeat");
    let template = repo_arg("scenarios/fuzz/heartbeat.json");
    let out = other.to_str().unwrap();
    faultline(&[
        "fuzz", &template, "--seeds", SEEDS, "--shard", "2/4", "--out", out,
    ]);
    let mixed = [sweeps.shards[0].clone(), other];
    let refused = faultline(&args(&dir.join("a"), &mixed, &[]));
    assert_eq!(refused.status.code(), Some(2));
    assert!(stderr(&refused).contains("every shard must run the same template"));

    let wider = dir.join("wider");
    let planted = repo_arg(PLANTED);
    let out = wider.to_str().unwrap();
    faultline(&[
        "fuzz", &planted, "--seeds", "0..8", "--shard", "2/4", "--out", out,
    ]);
    let refused = faultline(&args(
        &dir.join("b"),
        &[sweeps.shards[0].clone(), wider],
        &[],
    ));
    assert_eq!(refused.status.code(), Some(2));
    let text = stderr(&refused);
    assert!(
        text.contains("ran seeds 0..8 in 4 shards") && text.contains("0..24"),
        "{text}"
    );

    // A copy of shard 1 with one seed's trace hash changed: the same seed, two results.
    let edited = dir.join("edited");
    std::fs::create_dir_all(&edited).unwrap();
    let text = std::fs::read_to_string(sweeps.shards[0].join("results.jsonl")).unwrap();
    let line = text.lines().nth(1).unwrap();
    let seed: serde_json::Value = serde_json::from_str(line).unwrap();
    let changed = line.replace(seed["trace_hash"].as_str().unwrap(), "0000000000000000");
    std::fs::write(edited.join("results.jsonl"), text.replace(line, &changed)).unwrap();
    let shards = [sweeps.shards[0].clone(), edited];
    let refused = faultline(&args(&dir.join("c"), &shards, &["--partial"]));
    assert_eq!(refused.status.code(), Some(2));
    let text = stderr(&refused);
    assert!(
        text.contains(&format!("seed {}:", seed["seed"])) && text.contains("nondeterministic"),
        "{text}"
    );
}

/// The merged sweep's page opened in a real headless Chromium: its script runs to its end with
/// no error, and the page shows every failure group of `failures.json`. Chromium comes from
/// `scripts/install-chromium.sh`; without it the test fails when `CI` is set and is skipped,
/// loudly, otherwise.
#[test]
fn the_sweep_page_loads_in_chromium_and_shows_every_failure_group() {
    if !chromium_available() {
        return;
    }
    let sweeps = sweeps();
    let out = tempdir("merge-page").join("merged");
    let merged = faultline(&args(&out, &sweeps.shards, &[]));
    assert_eq!(merged.status.code(), Some(1), "{}", stderr(&merged));
    let (dom, log) = chromium_dom(&out.join("summary.html"));
    assert!(
        dom.contains("data-ready=\"yes\""),
        "the script did not finish: {log}"
    );
    assert!(!log.contains("Uncaught"), "script error: {log}");
    let groups: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(out.join("failures.json")).unwrap()).unwrap();
    assert!(groups.len() >= 2, "the planted bugs fail in several ways");
    for group in &groups {
        let id = group["id"].as_str().unwrap();
        assert!(dom.contains(&format!("id=\"{id}\"")), "group {id} shown");
    }
    assert!(dom.contains("Failures by signature"), "{dom}");
    let (probe, seeds) = most_passed_probe(&out.join("results.jsonl"));
    assert!(
        dom.contains(&format!(
            "<code>{probe}</code></td><td class=\"n\">{seeds}</td>"
        )),
        "the code-probe table shows {probe} passed by {seeds} seeds: {dom}"
    );
    assert!(dom.contains("Probes no seed passed"), "{dom}");
}

/// The code probe most seeds of a results file passed (ties: the first by name), and how many.
fn most_passed_probe(results: &Path) -> (String, usize) {
    let mut counts = std::collections::BTreeMap::<String, usize>::new();
    let text = std::fs::read_to_string(results).unwrap();
    for line in text.lines().skip(1) {
        let seed: serde_json::Value = serde_json::from_str(line).unwrap();
        for probe in seed["probes"].as_array().into_iter().flatten() {
            *counts
                .entry(probe.as_str().unwrap().to_string())
                .or_insert(0) += 1;
        }
    }
    let most = counts.values().copied().max();
    let most = most.expect("the merged results record code probes");
    counts.into_iter().find(|(_, n)| *n == most).unwrap()
}
