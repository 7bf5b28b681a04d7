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
fn histories_without_client_operations_decide_linearizable_in_the_usual_shape() {
    let dir = tempdir("check-no-ops");
    let nemesis = dir.join("nemesis.edn");
    std::fs::write(
        &nemesis,
        "; nemesis only\n{:process :nemesis, :type :info, :f :start, :value nil}\n",
    )
    .unwrap();
    let failed = dir.join("failed.edn");
    std::fs::write(
        &failed,
        "[{:process 0, :type :invoke, :f :write, :value 1}\n {:process 0, :type :fail, :f :write, :value 1}]\n",
    )
    .unwrap();
    let out = faultline(&[
        "check",
        "--json",
        nemesis.to_str().unwrap(),
        failed.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0));
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    for report in lines {
        assert_eq!(report["linearizable"], serde_json::json!(true), "{report}");
        assert_eq!(report["ops"], serde_json::json!(0), "{report}");
        assert_eq!(report["model"], serde_json::json!("register"), "{report}");
    }
}

#[test]
fn deeply_nested_edn_is_refused_naming_the_limit() {
    let dir = tempdir("check-deep");
    let deep = dir.join("deep.edn");
    std::fs::write(
        &deep,
        format!("{}{}", "[".repeat(20_000), "]".repeat(20_000)),
    )
    .unwrap();
    let out = faultline(&["check", deep.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("deep.edn") && stderr.contains("nesting deeper than 100 levels"),
        "{stderr}"
    );
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
fn an_empty_file_or_an_unreadable_one_exits_two() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("check-input");
    std::fs::create_dir_all(&dir).unwrap();
    let empty = dir.join("empty.log");
    std::fs::write(&empty, "").unwrap();
    let out = faultline(&["check", "--json", empty.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("empty.log: empty file: expected a history"),
        "{stderr}"
    );

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

/// A register history of `n` concurrent writes and then a read of a value nobody wrote:
/// refuting it means trying every order of the writes.
fn hard_refutation(n: usize) -> String {
    let mut text = String::new();
    for p in 0..n {
        text.push_str(&format!(
            "{{:process {p}, :type :invoke, :f :write, :value {p}}}\n"
        ));
    }
    for p in 0..n {
        text.push_str(&format!(
            "{{:process {p}, :type :ok, :f :write, :value {p}}}\n"
        ));
    }
    text.push_str("{:process 0, :type :invoke, :f :read, :value nil}\n");
    text.push_str("{:process 0, :type :ok, :f :read, :value 999}\n");
    text
}

#[test]
fn budgets_give_unknown_naming_the_flag_to_raise() {
    let dir = tempdir("check-budgets");
    let hard = dir.join("hard.edn");
    std::fs::write(&hard, hard_refutation(24)).unwrap();
    let hard = hard.to_str().unwrap();
    for (flag, value, words) in [
        (
            "--memory",
            "1MiB",
            "unknown: memory budget reached (raise --memory)",
        ),
        (
            "--max-steps",
            "1000",
            "unknown: step budget reached (raise --max-steps)",
        ),
    ] {
        let out = faultline(&["check", hard, flag, value]);
        assert_eq!(out.status.code(), Some(1), "{flag}");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains(words), "{flag}: {text}");
        let out = faultline(&["check", "--json", hard, flag, value]);
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(report["linearizable"], serde_json::Value::Null);
        assert!(
            report["unknown"].as_str().unwrap().contains(flag),
            "{report}"
        );
    }
    let bad_values = [
        ("--memory", "lots"),
        ("--memory", "12XB"),
        ("--memory", "1KiB"),
        ("--memory", "99999999999999999999GiB"),
        ("--max-steps", "0"),
        ("--max-steps", "-5"),
    ];
    for (flag, bad) in bad_values {
        let out = faultline(&["check", hard, flag, bad]);
        assert_eq!(out.status.code(), Some(2), "{flag} {bad}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains(flag),
            "{flag} {bad}"
        );
    }
}

#[test]
fn output_to_a_closed_pipe_ends_quietly() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    let dir = tempdir("check-pipe");
    let small = dir.join("small.edn");
    std::fs::write(
        &small,
        "{:process 0, :type :invoke, :f :write, :value 1}\n{:process 0, :type :ok, :f :write, :value 1}\n",
    )
    .unwrap();
    let small = small.to_str().unwrap();
    let mut args = vec!["check", "--json"];
    // Far more output than a pipe buffers, so writes continue after the reader leaves.
    args.extend(std::iter::repeat_n(small, 3000));
    let mut child = Command::new(env!("CARGO_BIN_EXE_faultline"))
        .args(&args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(first.contains("\"linearizable\":true"), "{first}");
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

/// The history view of a known bad history, opened in a real headless Chromium: the
/// script runs to its end with no error and the page names the operation that cannot
/// be placed. Chromium comes from `scripts/install-chromium.sh`; without it the test
/// fails when `CI` is set and is skipped, loudly, otherwise.
#[test]
fn history_view_loads_in_chromium_and_shows_the_failing_operation() {
    if !chromium_available() {
        return;
    }
    let dir = tempdir("check-view");
    let bad = dir.join("bad.edn");
    std::fs::write(
        &bad,
        "{:process 0, :type :invoke, :f :write, :value 1}\n{:process 0, :type :ok, :f :write, :value 1}\n\
         {:process 1, :type :invoke, :f :write, :value 2}\n{:process 2, :type :invoke, :f :read, :value nil}\n\
         {:process 1, :type :ok, :f :write, :value 2}\n{:process 2, :type :ok, :f :read, :value 2}\n\
         {:process 0, :type :invoke, :f :read, :value nil}\n{:process 0, :type :ok, :f :read, :value 1}\n",
    )
    .unwrap();
    let out_dir = dir.join("view");
    let out = faultline(&[
        "check",
        "--report",
        out_dir.to_str().unwrap(),
        bad.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let page = out_dir.join("history.html");
    let again = faultline(&[
        "check",
        "--report",
        out_dir.to_str().unwrap(),
        bad.to_str().unwrap(),
    ]);
    assert_eq!(
        again.status.code(),
        Some(2),
        "an old report is not overwritten unasked"
    );
    let (dom, log) = chromium_dom(&page);
    assert!(
        dom.contains("data-ready=\"yes\""),
        "the script did not finish: {log}"
    );
    assert!(!log.contains("Uncaught"), "script error: {log}");
    assert!(
        dom.contains("cannot be placed: #3 client 0: read -&gt; 1"),
        "the failing operation is not shown: {dom}"
    );
    assert!(dom.contains("class=\"op blocked\""), "{dom}");
}
