//! Helpers shared by the end-to-end tests: running the CLI, repository paths, scratch folders.
// Each test binary uses only some of these.
#![allow(dead_code)]

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

/// Address-space limit of a child started by [`spawn_limited`] (`setrlimit(RLIMIT_AS)`).
pub const MEMORY_LIMIT_BYTES: u64 = 512 << 20;

/// Starts `program` with `args`, no standard input, its output piped, and its address space
/// limited to [`MEMORY_LIMIT_BYTES`].
pub fn spawn_limited(program: &str, args: &[String]) -> Child {
    let mut command = Command::new(program);
    command
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // SAFETY: only async-signal-safe `setrlimit` runs between fork and exec.
    unsafe {
        command.pre_exec(|| {
            let limit = libc::rlimit {
                rlim_cur: MEMORY_LIMIT_BYTES as libc::rlim_t,
                rlim_max: MEMORY_LIMIT_BYTES as libc::rlim_t,
            };
            if libc::setrlimit(libc::RLIMIT_AS, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    command.spawn().expect("the program starts")
}

/// Runs the `faultline` binary with `args`.
pub fn faultline(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_faultline"))
        .args(args)
        .output()
        .expect("faultline runs")
}

/// A path inside the repository.
pub fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// A path inside the repository, as a command-line argument.
pub fn repo_arg(path: &str) -> String {
    repo(path).display().to_string()
}

/// A fresh, empty scratch folder for one test.
pub fn tempdir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs `faultline run PATH --json`: the exit code and the parsed report.
pub fn run_json(path: &Path) -> (Option<i32>, serde_json::Value) {
    let out = faultline(&["run", path.to_str().unwrap(), "--json"]);
    let report = serde_json::from_slice(&out.stdout).unwrap_or_else(|_| {
        panic!(
            "{}: no JSON report; stderr: {}",
            path.display(),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code(), report)
}

/// What a run decides for one seed: seed, verdict, trace hash, failed checks, faults, events,
/// faults after shrinking (paths left out: they name folders).
pub type Outcome = (u64, bool, String, Vec<String>, u64, u64, Option<u64>);

/// Every seed's [`Outcome`] in a sweep folder, sorted by seed.
pub fn outcomes(dir: &Path) -> Vec<Outcome> {
    let text = std::fs::read_to_string(dir.join("results.jsonl")).unwrap();
    let mut rows: Vec<_> = text
        .lines()
        .skip(1)
        .map(|line| {
            let r: serde_json::Value = serde_json::from_str(line).unwrap();
            let checks = r["failed_checks"].as_array().unwrap();
            (
                r["seed"].as_u64().unwrap(),
                r["ok"].as_bool().unwrap(),
                r["trace_hash"].as_str().unwrap().to_string(),
                checks
                    .iter()
                    .map(|c| c.as_str().unwrap().to_string())
                    .collect(),
                r["faults"].as_u64().unwrap(),
                r["events"].as_u64().unwrap(),
                r["shrunk_faults"].as_u64(),
            )
        })
        .collect();
    rows.sort_by_key(|row| row.0);
    rows
}

/// Whether headless Chromium can be used: `false`, said loudly, when it is not installed; with
/// `CI` set that fails instead (`scripts/install-chromium.sh` installs it).
pub fn chromium_available() -> bool {
    if Command::new("chromium").arg("--version").output().is_ok() {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "CI is set and chromium is missing: run scripts/install-chromium.sh"
    );
    eprintln!("SKIPPED: chromium is not installed (scripts/install-chromium.sh)");
    false
}

/// Opens `page` in headless Chromium and returns the DOM after its scripts ran, and
/// Chromium's log (where script errors appear as `Uncaught ...`).
pub fn chromium_dom(page: &Path) -> (String, String) {
    let shown = Command::new("chromium")
        .args(CHROMIUM_FLAGS)
        .arg("--dump-dom")
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("chromium runs");
    (
        String::from_utf8_lossy(&shown.stdout).into_owned(),
        String::from_utf8_lossy(&shown.stderr).into_owned(),
    )
}

/// Headless Chromium as root in a container, logging script errors to standard error.
const CHROMIUM_FLAGS: [&str; 5] = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--enable-logging=stderr",
    "--v=0",
];
