//! Pinned determinism: the trace hash and verdict of every scenario under `scenarios/` (the
//! fuzz templates excluded) and of the first seeds of every template in `scenarios/fuzz/`,
//! against the committed table `scenarios/HASHES.tsv`.
//!
//! A change that moves a hash rewrites the table in the same commit and says why in its message:
//!
//! ```text
//! FAULTLINE_BLESS=1 cargo test -p faultline-harness --test pinned_hashes
//! ```

use faultline_harness::fuzz::{expand, load_template};
use faultline_harness::scenario::{self, Scenario};
use faultline_harness::{run, RunOptions};
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Seeds pinned per fuzz template: `0..SEEDS_PER_TEMPLATE`.
const SEEDS_PER_TEMPLATE: u64 = 100;

/// The table, relative to the repository root.
const TABLE: &str = "scenarios/HASHES.tsv";

/// The table's first line.
const HEADER: &str = "# source\tseed\ttrace_hash\tverdict";

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Every `.json` file under `dir`, recursively, sorted, as paths relative to the root.
fn json_files(root: &Path, dir: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![root.join(dir)];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|x| x == "json") {
                let relative = path.strip_prefix(root).unwrap();
                out.push(relative.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    out.sort();
    out
}

/// One row to pin: where the scenario comes from and the scenario itself.
struct Case {
    source: String,
    seed: u64,
    scenario: Scenario,
}

fn cases(root: &Path) -> Vec<Case> {
    let mut cases = Vec::new();
    for file in json_files(root, "scenarios") {
        if file.starts_with("scenarios/fuzz/") {
            continue;
        }
        let scenario = scenario::load(&root.join(&file)).unwrap_or_else(|e| panic!("{e}"));
        let seed = scenario.seed;
        cases.push(Case {
            source: file,
            seed,
            scenario,
        });
    }
    for file in json_files(root, "scenarios/fuzz") {
        let template = load_template(&root.join(&file)).unwrap_or_else(|e| panic!("{e}"));
        for seed in 0..SEEDS_PER_TEMPLATE {
            cases.push(Case {
                source: file.clone(),
                seed,
                scenario: expand(&template, seed),
            });
        }
    }
    cases
}

/// `(source, seed)` → `(trace hash, verdict)`; the verdict is `pass` or the failed checks.
type Table = BTreeMap<(String, u64), (String, String)>;

fn measure(cases: &[Case]) -> Table {
    cases
        .par_iter()
        .map(|case| {
            let report = run(&case.scenario, RunOptions::default())
                .unwrap_or_else(|e| panic!("{} seed {}: {e}", case.source, case.seed));
            let verdict = match report.failed_checks() {
                failed if failed.is_empty() => "pass".to_string(),
                failed => format!("fail:{}", failed.join(",")),
            };
            (
                (case.source.clone(), case.seed),
                (report.trace_hash_hex(), verdict),
            )
        })
        .collect()
}

fn read_table(path: &Path) -> Table {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; write it with FAULTLINE_BLESS=1 cargo test -p faultline-harness --test pinned_hashes",
            path.display()
        )
    });
    let mut table = Table::new();
    for (number, line) in text.lines().enumerate() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split('\t').collect();
        let [source, seed, hash, verdict] = fields[..] else {
            panic!(
                "{}:{}: expected 4 tab-separated fields (source, seed, trace_hash, verdict), found {line:?}",
                path.display(),
                number + 1
            );
        };
        let seed = seed.parse().unwrap_or_else(|_| {
            panic!(
                "{}:{}: seed {seed:?} is not a u64",
                path.display(),
                number + 1
            )
        });
        table.insert(
            (source.to_string(), seed),
            (hash.to_string(), verdict.to_string()),
        );
    }
    table
}

fn write_table(path: &Path, table: &Table) {
    let mut text = String::from(HEADER);
    text.push('\n');
    for ((source, seed), (hash, verdict)) in table {
        text.push_str(&format!("{source}\t{seed}\t{hash}\t{verdict}\n"));
    }
    std::fs::write(path, text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
}

/// Every difference between the pinned table and what the runs gave, one line each.
fn mismatches(pinned: &Table, got: &Table) -> Vec<String> {
    let mut lines = Vec::new();
    for (key, now) in got {
        match pinned.get(key) {
            Some(then) if then == now => {}
            Some(then) => lines.push(format!(
                "{} seed {}: pinned {} {}, got {} {}",
                key.0, key.1, then.0, then.1, now.0, now.1
            )),
            None => lines.push(format!(
                "{} seed {}: not pinned, got {} {}",
                key.0, key.1, now.0, now.1
            )),
        }
    }
    for key in pinned.keys().filter(|key| !got.contains_key(*key)) {
        lines.push(format!(
            "{} seed {}: pinned but no longer run",
            key.0, key.1
        ));
    }
    lines
}

#[test]
fn every_pinned_trace_hash_is_unchanged() {
    let root = repo_root();
    let cases = cases(&root);
    assert!(
        cases.len() >= 300,
        "only {} cases: the scenario library is missing",
        cases.len()
    );
    let got = measure(&cases);
    let path = root.join(TABLE);
    if std::env::var_os("FAULTLINE_BLESS").is_some_and(|v| v == "1") {
        write_table(&path, &got);
        eprintln!(
            "FAULTLINE_BLESS=1: wrote {} rows to {}",
            got.len(),
            path.display()
        );
        return;
    }
    let pinned = read_table(&path);
    let lines = mismatches(&pinned, &got);
    assert!(
        lines.is_empty(),
        "{} of {} pinned runs differ from {TABLE} (if the change is intended, rewrite it with \
         FAULTLINE_BLESS=1 cargo test -p faultline-harness --test pinned_hashes and say why in \
         the commit message):\n{}",
        lines.len(),
        got.len(),
        lines.join("\n")
    );
}
