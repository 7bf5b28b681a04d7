//! End-to-end tests of `faultline check` against Porcupine's reference histories and bad input.

mod common;
use common::*;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The Porcupine reference data beside the checkout, or `None` after saying loudly that the
/// test that needed it is skipped. With `CI` set, missing data fails the test instead: CI must
/// never pass a reference test that checked nothing.
fn porcupine(test: &str) -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/porcupine");
    if dir.join("EXPECTED.tsv").exists() {
        return Some(dir);
    }
    let why = format!(
        "{}/EXPECTED.tsv is missing (the Porcupine reference histories go beside the checkout)",
        dir.display()
    );
    assert!(
        std::env::var_os("CI").is_none(),
        "{test}: CI is set and {why}"
    );
    // Written to the process's stderr, not through `eprintln!`, so the test harness does not
    // capture it: the skip shows in the test output next to the test's `ok`.
    use std::io::Write;
    let _ = writeln!(
        std::io::stderr(),
        "\nSKIPPED {test}: {why}; it checked nothing"
    );
    None
}

/// file → expected verdict, from EXPECTED.tsv (the empty etcd_095.log has no verdict: "n/a").
fn expected(dir: &Path) -> BTreeMap<String, bool> {
    std::fs::read_to_string(dir.join("EXPECTED.tsv"))
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with("path\t"))
        .map(|l| l.split('\t').collect::<Vec<&str>>())
        .filter(|cols| cols[2] != "n/a")
        .map(|cols| (cols[0].to_string(), cols[2] == "true"))
        .collect()
}

#[test]
fn every_reference_history_gets_the_expected_verdict() {
    let Some(dir) = porcupine("every_reference_history_gets_the_expected_verdict") else {
        return;
    };
    let expected = expected(&dir);
    assert_eq!(
        expected.len(),
        108,
        "EXPECTED.tsv lists the 108 non-empty histories"
    );
    let files: Vec<String> = expected
        .keys()
        .map(|f| dir.join(f).display().to_string())
        .collect();
    let mut args = vec!["check", "--json"];
    args.extend(files.iter().map(String::as_str));
    let out = faultline(&args);
    assert_eq!(
        out.status.code(),
        Some(1),
        "some reference histories are not linearizable"
    );
    let mut seen = 0;
    for line in String::from_utf8(out.stdout).unwrap().lines() {
        let report: serde_json::Value = serde_json::from_str(line).unwrap();
        let file = report["file"].as_str().unwrap();
        let name = file.rsplit_once("porcupine/").unwrap().1;
        assert_eq!(
            report["linearizable"].as_bool(),
            Some(expected[name]),
            "{name}"
        );
        seen += 1;
    }
    assert_eq!(seen, 108);
}

#[test]
fn linearizable_histories_exit_zero_and_a_bad_one_prints_a_counterexample() {
    let Some(dir) =
        porcupine("linearizable_histories_exit_zero_and_a_bad_one_prints_a_counterexample")
    else {
        return;
    };
    let ok = faultline(&["check", dir.join("kv/c01-ok.txt").to_str().unwrap()]);
    assert_eq!(ok.status.code(), Some(0));
    let bad = faultline(&["check", dir.join("kv/c01-bad.txt").to_str().unwrap()]);
    assert_eq!(bad.status.code(), Some(1));
    let text = String::from_utf8(bad.stdout).unwrap();
    assert!(
        text.contains("NOT linearizable") && text.contains("cannot be placed"),
        "{text}"
    );
}

#[test]
fn an_empty_history_is_skipped_and_an_unreadable_one_exits_two() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("check-input");
    std::fs::create_dir_all(&dir).unwrap();
    let empty = dir.join("empty.log");
    std::fs::write(&empty, "").unwrap();
    let out = faultline(&["check", empty.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("skipped"));

    let garbage = dir.join("garbage.edn");
    std::fs::write(
        &garbage,
        "{:process 0, :type :invoke, :f :put, :key \"a\"\n",
    )
    .unwrap();
    let out = faultline(&["check", garbage.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("garbage.edn"));
    assert_eq!(
        faultline(&["check", "/nonexistent.edn"]).status.code(),
        Some(2)
    );
    assert_eq!(
        faultline(&["check", empty.to_str().unwrap(), "--model", "queue"])
            .status
            .code(),
        Some(2)
    );
}
