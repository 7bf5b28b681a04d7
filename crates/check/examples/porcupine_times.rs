//! Times the checker on the Porcupine reference histories (release build):
//! `cargo run --release -p faultline-check --example porcupine_times [PORCUPINE_DIR]`.
//!
//! Prints, per set, the check time (parsing excluded; best of a few runs) next to
//! the verdict, so the numbers can be compared with the reference checker's.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use faultline_check::formats::{load_history, AnyHistory, DEFAULT_MAX_HISTORY_BYTES};
use faultline_check::CheckOptions;

const RUNS: usize = 7;

fn best_of(history: &AnyHistory, options: &CheckOptions) -> (Duration, Option<bool>) {
    let mut best = Duration::MAX;
    let mut verdict = None;
    for _ in 0..RUNS {
        let start = Instant::now();
        verdict = history.check(options).linearizable();
        best = best.min(start.elapsed());
    }
    (best, verdict)
}

fn load(path: &Path) -> AnyHistory {
    load_history(path, None, None, DEFAULT_MAX_HISTORY_BYTES).unwrap_or_else(|e| panic!("{e}"))
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1e3)
}

fn main() {
    let dir = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/porcupine"));
    let partitioned = CheckOptions::default();
    let whole = CheckOptions {
        partition: false,
        ..CheckOptions::default()
    };

    println!("kv, partitioned by key:");
    let mut total = Duration::ZERO;
    for name in [
        "c01-ok", "c01-bad", "c10-ok", "c10-bad", "c50-ok", "c50-bad",
    ] {
        let history = load(&dir.join(format!("kv/{name}.txt")));
        let (took, verdict) = best_of(&history, &partitioned);
        total += took;
        println!(
            "  {name:8} {:>5} ops  {verdict:?}  {}",
            history.len(),
            ms(took)
        );
    }
    println!("  all kv files: {}", ms(total));

    println!("kv, not partitioned:");
    for name in ["c10-ok", "c10-bad"] {
        let history = load(&dir.join(format!("kv/{name}.txt")));
        let (took, verdict) = best_of(&history, &whole);
        println!(
            "  {name:8} {:>5} ops  {verdict:?}  {}",
            history.len(),
            ms(took)
        );
    }

    println!("etcd logs:");
    let mut total = Duration::ZERO;
    let mut slowest = (Duration::ZERO, String::new());
    let mut files = 0;
    for i in 0..=102 {
        let name = format!("etcd_{i:03}.log");
        let path = dir.join("jepsen").join(&name);
        let Ok(history) = load_history(&path, None, None, DEFAULT_MAX_HISTORY_BYTES) else {
            continue;
        };
        let (took, _) = best_of(&history, &partitioned);
        total += took;
        files += 1;
        if took > slowest.0 {
            slowest = (took, name);
        }
    }
    println!(
        "  {files} logs: {} total, slowest {} ({})",
        ms(total),
        slowest.1,
        ms(slowest.0)
    );
}
