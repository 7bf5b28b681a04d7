//! The malformed-input corpus: every case in `tests/malformed/corpus.tsv` (bad scenarios,
//! templates, histories and command-line arguments) runs as a child process limited to 10 s of
//! wall time and 512 MiB of address space, and must exit with its expected code and say the
//! words listed for it. A panic (exit 101), an abort (134), any other signal, a timeout or a
//! limit breach fails the case.
//!
//! A case may be marked pending a fix another change owns (a fifth column, `pending: why`):
//! while it does not behave it is listed loudly and does not fail the test; once it behaves the
//! test fails until the marker is removed. A panic, abort, signal or timeout fails any case.
//!
//! Cases run on a few threads; the whole corpus takes a few seconds in a debug build.

mod common;
use common::*;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, ExitStatus};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Wall-time limit per case.
const WALL_LIMIT: Duration = Duration::from_secs(10);
/// The corpus must not shrink below this many cases.
const MIN_CASES: usize = 200;
/// Threads running cases at once.
const THREADS: usize = 4;

/// One line of `corpus.tsv`.
struct Case {
    name: String,
    exit: i32,
    words: Vec<String>,
    args: Vec<String>,
    /// The fix this case waits for, when it is marked pending.
    pending: Option<String>,
}

fn corpus() -> Vec<Case> {
    let dir = repo("tests/malformed");
    let text = std::fs::read_to_string(dir.join("corpus.tsv"))
        .expect("tests/malformed/corpus.tsv is missing: the corpus test has nothing to run");
    text.lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .map(|line| {
            let cols: Vec<&str> = line.split('\t').collect();
            assert!(
                cols.len() == 4 || (cols.len() == 5 && cols[4].starts_with("pending: ")),
                "corpus.tsv: 4 tab-separated columns and an optional `pending: why`: {line}"
            );
            let words = cols[2]
                .split(" | ")
                .filter(|w| !w.is_empty())
                .map(String::from)
                .collect();
            Case {
                name: cols[0].to_string(),
                exit: cols[1].parse().expect("an exit code"),
                words,
                args: cols[3].split_whitespace().map(String::from).collect(),
                pending: cols
                    .get(4)
                    .map(|p| p.trim_start_matches("pending: ").to_string()),
            }
        })
        .collect()
}

/// The case's arguments with `{dir}`, `{repo}` and `{tmp}` filled in.
fn arguments(case: &Case, tmp: &Path) -> Vec<String> {
    let dir = repo("tests/malformed");
    let root = repo("");
    case.args
        .iter()
        .map(|arg| {
            arg.replace("{dir}", dir.to_str().unwrap())
                .replace("{repo}", root.to_str().unwrap().trim_end_matches('/'))
                .replace("{tmp}", tmp.to_str().unwrap())
        })
        .collect()
}

/// What went wrong with a case.
enum Failure {
    /// A panic, abort, signal or timeout: fails every case, pending or not.
    Crash(String),
    /// The wrong exit code or message.
    Wrong(String),
}

/// Runs one case; returns what went wrong, if anything.
fn run_case(case: &Case, tmp: &Path) -> Result<Duration, Failure> {
    let started = Instant::now();
    let mut child = spawn_limited(env!("CARGO_BIN_EXE_faultline"), &arguments(case, tmp));
    let (mut stdout, mut stderr) = (child.stdout.take().unwrap(), child.stderr.take().unwrap());
    let out_reader = std::thread::spawn(move || {
        let mut text = Vec::new();
        let _ = stdout.read_to_end(&mut text);
        text
    });
    let err_reader = std::thread::spawn(move || {
        let mut text = Vec::new();
        let _ = stderr.read_to_end(&mut text);
        text
    });
    let status = wait_limited(&mut child, started).map_err(Failure::Crash)?;
    let wall = started.elapsed();
    let output = String::from_utf8_lossy(&out_reader.join().unwrap()).into_owned()
        + &String::from_utf8_lossy(&err_reader.join().unwrap());
    let Some(code) = status.code() else {
        return Err(Failure::Crash(format!(
            "killed by a signal ({status}): {output}"
        )));
    };
    match code {
        101 => return Err(Failure::Crash(format!("panicked (exit 101): {output}"))),
        134 => return Err(Failure::Crash(format!("aborted (exit 134): {output}"))),
        _ => {}
    }
    if output.contains("panicked") || output.contains("memory allocation of") {
        return Err(Failure::Crash(format!(
            "exit {code} but the output shows a panic or abort: {output}"
        )));
    }
    if code != case.exit {
        return Err(Failure::Wrong(format!(
            "exit {code}, expected {}: {output}",
            case.exit
        )));
    }
    if let Some(repeated) = repeated_cause(&output) {
        return Err(Failure::Wrong(format!(
            "the error says {repeated:?} twice: {output}"
        )));
    }
    let missing: Vec<&String> = case
        .words
        .iter()
        .filter(|w| !output.contains(w.as_str()))
        .collect();
    if !missing.is_empty() {
        return Err(Failure::Wrong(format!(
            "the output lacks {missing:?}: {output}"
        )));
    }
    Ok(wall)
}

/// A part of the `error:` line said twice (an error that prints its cause, then the cause).
fn repeated_cause(output: &str) -> Option<String> {
    let line = output.lines().find(|l| l.starts_with("error: "))?;
    let parts: Vec<&str> = line.split(": ").filter(|p| p.len() >= 8).collect();
    parts
        .iter()
        .enumerate()
        .find(|(i, part)| parts[i + 1..].contains(part))
        .map(|(_, part)| part.to_string())
}

fn wait_limited(child: &mut Child, started: Instant) -> Result<ExitStatus, String> {
    loop {
        if let Some(status) = child.try_wait().expect("wait for the child") {
            return Ok(status);
        }
        if started.elapsed() > WALL_LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("still running after {WALL_LIMIT:?}: killed"));
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn every_malformed_input_gets_its_exit_code_and_a_clear_message() {
    let cases = corpus();
    assert!(
        cases.len() >= MIN_CASES,
        "the corpus has {} cases, fewer than {MIN_CASES}",
        cases.len()
    );
    let mut names: Vec<&str> = cases.iter().map(|c| c.name.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), cases.len(), "case names are unique");
    let scratch = tempdir("malformed-corpus");
    let next = AtomicUsize::new(0);
    let failures = Mutex::new(Vec::new());
    let still_pending = Mutex::new(Vec::new());
    let slowest = Mutex::new((Duration::ZERO, String::new()));
    std::thread::scope(|scope| {
        for _ in 0..THREADS {
            scope.spawn(|| loop {
                let index = next.fetch_add(1, Ordering::Relaxed);
                let Some(case) = cases.get(index) else { break };
                let tmp: PathBuf = scratch.join(index.to_string());
                std::fs::create_dir_all(&tmp).unwrap();
                let outcome = run_case(case, &tmp);
                if let Ok(wall) = outcome {
                    let mut slowest = slowest.lock().unwrap();
                    if wall > slowest.0 {
                        *slowest = (wall, case.name.clone());
                    }
                }
                let name = &case.name;
                match (outcome, &case.pending) {
                    (Ok(_), None) => {}
                    (Ok(_), Some(fix)) => failures.lock().unwrap().push(format!(
                        "{name}: behaves now; remove its `pending: {fix}` marker"
                    )),
                    (Err(Failure::Wrong(why)), Some(fix)) => still_pending
                        .lock()
                        .unwrap()
                        .push(format!("{name} (waits for {fix}): {why}")),
                    (Err(Failure::Crash(why) | Failure::Wrong(why)), _) => {
                        failures.lock().unwrap().push(format!("{name}: {why}"))
                    }
                }
            });
        }
    });
    let failures = failures.into_inner().unwrap();
    let still_pending = still_pending.into_inner().unwrap();
    let (wall, name) = slowest.into_inner().unwrap();
    for case in &still_pending {
        eprintln!("PENDING, NOT YET BEHAVING: {case}");
    }
    eprintln!(
        "{} corpus cases, {} failed, {} pending another fix; slowest {name} ({:.0} ms)",
        cases.len(),
        failures.len(),
        still_pending.len(),
        wall.as_secs_f64() * 1e3
    );
    assert!(
        failures.is_empty(),
        "{} of {} corpus cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn cases_run_under_the_memory_limit() {
    let child = spawn_limited("sh", &["-c".to_string(), "ulimit -v".to_string()]);
    let output = child.wait_with_output().unwrap();
    let kib: u64 = String::from_utf8_lossy(&output.stdout)
        .trim()
        .parse()
        .expect("ulimit -v prints the limit in KiB");
    assert_eq!(kib * 1024, MEMORY_LIMIT_BYTES);
}
