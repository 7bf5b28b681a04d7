//! Sweep results: one JSON line per seed (appended as seeds finish), and a JUnit XML summary.

use serde::{Deserialize, Serialize};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::Path;

/// The outcome of one seed, as written to `results.jsonl`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeedResult {
    /// The seed.
    pub seed: u64,
    /// True when every check held.
    pub ok: bool,
    /// The run's trace hash (16 hex digits).
    pub trace_hash: String,
    /// Names of the checks that failed.
    pub failed_checks: Vec<String>,
    /// Number of faults in the expanded scenario.
    pub faults: usize,
    /// Kernel events the run processed (its length).
    #[serde(default)]
    pub events: u64,
    /// Path of the expanded failing scenario, when the seed failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scenario: Option<String>,
    /// Path of the shrunk scenario, when the seed failed and shrinking was asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shrunk: Option<String>,
    /// Faults left after shrinking.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shrunk_faults: Option<usize>,
}

/// Reads the results already in `path`, dropping a trailing line cut short by an interrupted
/// write (the file is truncated to its last complete line). A damaged line elsewhere is an error.
pub fn read_results(path: &Path) -> std::io::Result<Vec<SeedResult>> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let complete = bytes.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
    let mut results = Vec::new();
    for (number, line) in bytes[..complete].split(|b| *b == b'\n').enumerate() {
        if line.is_empty() {
            continue;
        }
        let result = serde_json::from_slice(line).map_err(|e| {
            let message = format!("{}:{}: not a seed result: {e}", path.display(), number + 1);
            std::io::Error::new(std::io::ErrorKind::InvalidData, message)
        })?;
        results.push(result);
    }
    if complete < bytes.len() {
        OpenOptions::new()
            .write(true)
            .open(path)?
            .set_len(complete as u64)?;
    }
    Ok(results)
}

/// Appends results to `results.jsonl`, one flushed line each, so an interrupt loses nothing
/// that was reported.
pub struct ResultsWriter {
    file: File,
}

impl ResultsWriter {
    /// Opens `path` for appending (creating it).
    pub fn append(path: &Path) -> std::io::Result<Self> {
        Ok(ResultsWriter {
            file: OpenOptions::new().create(true).append(true).open(path)?,
        })
    }

    /// Writes one result as a line and flushes it.
    pub fn write(&mut self, result: &SeedResult) -> std::io::Result<()> {
        let mut line = serde_json::to_string(result).map_err(std::io::Error::other)?;
        line.push('\n');
        self.file.write_all(line.as_bytes())?;
        self.file.flush()
    }
}

/// Writes a JUnit XML summary of `results` (sorted by seed) for CI dashboards.
pub fn write_junit(path: &Path, suite: &str, results: &[SeedResult]) -> std::io::Result<()> {
    let mut sorted: Vec<&SeedResult> = results.iter().collect();
    sorted.sort_by_key(|r| r.seed);
    let failures = sorted.iter().filter(|r| !r.ok).count();
    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    xml += &format!(
        "<testsuites><testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\">\n",
        escape(suite),
        sorted.len()
    );
    for result in sorted {
        xml += &format!(
            "  <testcase classname=\"{}\" name=\"seed {}\"",
            escape(suite),
            result.seed
        );
        if result.ok {
            xml += "/>\n";
            continue;
        }
        let replay = result
            .shrunk
            .as_ref()
            .or(result.scenario.as_ref())
            .map_or(String::new(), |p| format!("faultline run {p}"));
        xml += &format!(
            "><failure message=\"failed: {}\">replay: {}</failure></testcase>\n",
            escape(&result.failed_checks.join(", ")),
            escape(&replay)
        );
    }
    xml += "</testsuite></testsuites>\n";
    std::fs::write(path, xml)
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(seed: u64, ok: bool) -> SeedResult {
        SeedResult {
            seed,
            ok,
            trace_hash: format!("{seed:016x}"),
            failed_checks: if ok {
                vec![]
            } else {
                vec!["linearizable".into()]
            },
            faults: 2,
            events: 1000,
            scenario: (!ok).then(|| format!("out/failures/t-seed-{seed}.json")),
            shrunk: None,
            shrunk_faults: None,
        }
    }

    #[test]
    fn results_round_trip_and_a_torn_last_line_is_dropped() {
        let dir = std::env::temp_dir().join(format!("faultline-results-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("results.jsonl");
        let _ = std::fs::remove_file(&path);
        let mut writer = ResultsWriter::append(&path).unwrap();
        writer.write(&result(1, true)).unwrap();
        writer.write(&result(2, false)).unwrap();
        let mut file = OpenOptions::new().append(true).open(&path).unwrap();
        file.write_all(b"{\"seed\":3,\"ok\":tr").unwrap();
        assert_eq!(
            read_results(&path).unwrap(),
            vec![result(1, true), result(2, false)]
        );
        assert!(
            std::fs::read(&path).unwrap().ends_with(b"}\n"),
            "torn line removed"
        );
        std::fs::write(&path, "garbage\n{\"seed\":1}\n").unwrap();
        assert!(
            read_results(&path).is_err(),
            "damage before the end is an error"
        );
    }

    #[test]
    fn junit_lists_every_seed_and_the_replay_command() {
        let path = std::env::temp_dir().join(format!("faultline-junit-{}.xml", std::process::id()));
        write_junit(&path, "raft<default>", &[result(2, false), result(1, true)]).unwrap();
        let xml = std::fs::read_to_string(&path).unwrap();
        assert!(xml.contains("tests=\"2\" failures=\"1\""));
        assert!(xml.contains("name=\"raft&lt;default&gt;\""));
        assert!(xml.find("seed 1").unwrap() < xml.find("seed 2").unwrap());
        assert!(xml.contains("replay: faultline run out/failures/t-seed-2.json"));
    }
}
