//! Every reference history of `shared/porcupine/EXPECTED.tsv` gets its expected verdict,
//! operation count and indeterminate count. Without the data the test fails under `CI`
//! and is reported as SKIPPED otherwise.

use std::path::{Path, PathBuf};

use faultline_check::formats::{check_file, LoadError, ModelKind, DEFAULT_MAX_HISTORY_BYTES};
use faultline_check::CheckOptions;

/// The Porcupine reference data beside the checkout (`../shared/porcupine`), or `None` after
/// saying loudly, past the test harness's capture, that `test` is skipped and checked
/// nothing. With `CI` set (`.ci/run` sets it), missing data fails the test instead.
fn reference_data(test: &str) -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/porcupine");
    if dir.join("EXPECTED.tsv").exists() {
        return Some(dir);
    }
    let why = format!(
        "{}/EXPECTED.tsv is missing (the Porcupine reference histories go in shared/ beside the checkout)",
        dir.display()
    );
    assert!(
        std::env::var_os("CI").is_none(),
        "{test}: CI is set and {why}"
    );
    use std::io::Write;
    let _ = writeln!(
        std::io::stderr(),
        "\nSKIPPED {test}: {why}; it checked nothing"
    );
    None
}

struct Row {
    path: String,
    model: String,
    expected: String,
    ops: usize,
    indeterminate: usize,
}

fn rows(dir: &Path) -> Vec<Row> {
    let table = std::fs::read_to_string(dir.join("EXPECTED.tsv")).expect("EXPECTED.tsv readable");
    table
        .lines()
        .filter(|line| !line.starts_with('#') && !line.starts_with("path\t") && !line.is_empty())
        .map(|line| {
            let cols: Vec<&str> = line.split('\t').collect();
            assert_eq!(cols.len(), 5, "bad EXPECTED.tsv row {line:?}");
            Row {
                path: cols[0].to_owned(),
                model: cols[1].to_owned(),
                expected: cols[2].to_owned(),
                ops: cols[3].parse().expect("n_ops"),
                indeterminate: cols[4].parse().expect("n_pending_info"),
            }
        })
        .collect()
}

#[test]
fn every_reference_history_gets_its_expected_verdict() {
    let Some(dir) = reference_data("every_reference_history_gets_its_expected_verdict") else {
        return;
    };
    let rows = rows(&dir);
    let mut checked = 0;
    let mut wrong = Vec::new();
    for row in &rows {
        let file = dir.join(&row.path);
        let result = check_file(
            &file,
            None,
            None,
            DEFAULT_MAX_HISTORY_BYTES,
            &CheckOptions::default(),
        );
        if row.expected == "n/a" {
            assert!(
                matches!(result, Err(LoadError::EmptyFile { .. })),
                "{}: expected an empty history, got {result:?}",
                row.path
            );
            continue;
        }
        let report = result.unwrap_or_else(|e| panic!("{e}"));
        let model = if row.model.starts_with("kv") {
            ModelKind::Kv
        } else {
            ModelKind::Register
        };
        assert_eq!(report.model, model, "{}", row.path);
        assert_eq!(report.ops, row.ops, "{}: op count", row.path);
        assert_eq!(
            report.indeterminate, row.indeterminate,
            "{}: :info count",
            row.path
        );
        let expected = Some(row.expected == "true");
        if report.linearizable() != expected {
            wrong.push(format!(
                "{}: expected {expected:?}, got {:?}",
                row.path,
                report.linearizable()
            ));
        }
        checked += 1;
    }
    assert!(wrong.is_empty(), "wrong verdicts:\n{}", wrong.join("\n"));
    assert_eq!(checked, 108, "expected 108 non-empty reference histories");
}
