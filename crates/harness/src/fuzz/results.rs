//! Sweep results: a header line saying what produced them, then one JSON line per seed
//! (appended as seeds finish), and a JUnit XML summary.
//!
//! `results.jsonl`, format version 1:
//!
//! ```text
//! {"faultline_results":1,"template":"scenarios/fuzz/raft.json","template_hash":"0123456789abcdef","faultline_version":"0.1.0"}
//! {"seed":0,"ok":true,"trace_hash":"...","failed_checks":[],"faults":3,"events":12345}
//! ...
//! ```
//!
//! The header is the first line. `template_hash` is a hash of the template's canonical content
//! (the parsed template written back as JSON: key order, spacing and defaults do not change it),
//! so `--resume` and the merging of shards can tell results of one template from another's.

use super::sweep::Shard;
use super::template::Template;
use faultline_sim::StableHasher;
use serde::{Deserialize, Serialize};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::ops::Range;
use std::path::Path;

/// The version of the `results.jsonl` format this build writes and reads.
pub const RESULTS_FORMAT: u32 = 1;

/// The first line of `results.jsonl`: which template, in which version, produced the results.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResultsHeader {
    /// The format version ([`RESULTS_FORMAT`]).
    pub faultline_results: u32,
    /// The template file as it was named on the command line.
    pub template: String,
    /// 16 hex digits: the stable hash of the template's canonical JSON.
    pub template_hash: String,
    /// The faultline version that ran the seeds (trace hashes may differ between versions).
    pub faultline_version: String,
    /// The seeds asked for, before sharding (absent in files written before shards were merged).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seeds: Option<SeedSpan>,
    /// The shard this file holds, when the sweep ran one (`--shard K/N`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<Shard>,
    /// The seeds ran coverage-guided (`fuzz --guided`): a seed's scenario may be a mutant of an
    /// earlier seed's, so it replays from its failure file, not from `expand TEMPLATE SEED`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub guided: bool,
}

impl ResultsHeader {
    /// The header for sweeping `template`, read from `path`, with this build of faultline.
    pub fn new(path: &Path, template: &Template) -> Self {
        ResultsHeader {
            faultline_results: RESULTS_FORMAT,
            template: path.display().to_string(),
            template_hash: template_hash(template),
            faultline_version: env!("CARGO_PKG_VERSION").to_string(),
            seeds: None,
            shard: None,
            guided: false,
        }
    }

    /// This header, saying whether the seeds ran coverage-guided.
    pub fn with_guided(self, guided: bool) -> Self {
        ResultsHeader { guided, ..self }
    }

    /// This header, saying which seeds and which shard of them the file holds.
    pub fn with_part(self, seeds: Range<u64>, shard: Shard) -> Self {
        ResultsHeader {
            seeds: Some(SeedSpan(seeds)),
            shard: (shard != Shard::ALL).then_some(shard),
            ..self
        }
    }

    /// True when results under `self` and under `other` come from the same template content, the
    /// same faultline version (the template's path may differ) and the same way of drawing seeds.
    pub fn same_sweep(&self, other: &ResultsHeader) -> bool {
        self.faultline_results == other.faultline_results
            && self.template_hash == other.template_hash
            && self.faultline_version == other.faultline_version
            && self.guided == other.guided
    }
}

impl std::fmt::Display for ResultsHeader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "template {} (hash {}), faultline {}",
            self.template, self.template_hash, self.faultline_version
        )?;
        if self.guided {
            write!(f, ", coverage-guided")?;
        }
        Ok(())
    }
}

/// A seed range as written in a results header: `"A..B"` (B excluded), or `"A.."` for an
/// open-ended sweep (`--for`), which is the range up to `u64::MAX`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeedSpan(pub Range<u64>);

impl SeedSpan {
    /// True when the range has no stated end (`A..`).
    pub fn is_open(&self) -> bool {
        self.0.end == u64::MAX
    }
}

impl std::fmt::Display for SeedSpan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.is_open() {
            write!(f, "{}..", self.0.start)
        } else {
            write!(f, "{}..{}", self.0.start, self.0.end)
        }
    }
}

/// Parses `A..B` (A < B) or `A..` (open-ended).
impl std::str::FromStr for SeedSpan {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let expected = || {
            format!("expected A..B with A < B (or A.. for no end), e.g. 0..1000; found {text:?}")
        };
        let (a, b) = text.split_once("..").ok_or_else(expected)?;
        let start: u64 = a.trim().parse().map_err(|_| expected())?;
        let end = match b.trim() {
            "" => u64::MAX,
            b => b.parse().map_err(|_| expected())?,
        };
        if start >= end {
            return Err(expected());
        }
        Ok(SeedSpan(start..end))
    }
}

impl Serialize for SeedSpan {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for SeedSpan {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

/// `--shard K/N` as written in a results header: `"K/N"`.
impl Serialize for Shard {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&format_args!("{}/{}", self.index + 1, self.count))
    }
}

impl<'de> Deserialize<'de> for Shard {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Shard::parse(&String::deserialize(deserializer)?).map_err(serde::de::Error::custom)
    }
}

/// The stable hash of a template's canonical content: its base scenario and fuzz block as JSON
/// with sorted keys and every default written out.
pub fn template_hash(template: &Template) -> String {
    let canonical = serde_json::json!({
        "scenario": template.base,
        "fuzz": template.fuzz,
    });
    format!(
        "{:016x}",
        StableHasher::hash_one(canonical.to_string().as_str())
    )
}

/// What `results.jsonl` holds: its header (absent in an empty file or one written before
/// headers existed) and the seed results.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Results {
    /// The first line, when it is a header.
    pub header: Option<ResultsHeader>,
    /// Every seed result, in file order.
    pub seeds: Vec<SeedResult>,
}

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
    /// The code probes the run passed, by name (see `faultline_harness::probes`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub probes: Vec<String>,
}

/// Reads the results already in `path` (none if it does not exist), dropping a trailing line
/// cut short by an interrupted write (the file is truncated to its last complete line). A
/// damaged line elsewhere is an error.
pub fn read_results(path: &Path) -> std::io::Result<Results> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Results::default()),
        Err(e) => return Err(e),
    };
    let complete = bytes.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
    let mut results = Results::default();
    for (number, line) in bytes[..complete].split(|b| *b == b'\n').enumerate() {
        if line.is_empty() {
            continue;
        }
        let damaged = |what: &str, e: serde_json::Error| {
            // Every caller names the file: the message names the line.
            let message = format!("line {}: not a {what}: {e}", number + 1);
            std::io::Error::new(std::io::ErrorKind::InvalidData, message)
        };
        if number == 0 && line.starts_with(b"{\"faultline_results\"") {
            results.header =
                Some(serde_json::from_slice(line).map_err(|e| damaged("results header", e))?);
            continue;
        }
        let result = serde_json::from_slice(line).map_err(|e| damaged("seed result", e))?;
        results.seeds.push(result);
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

    /// Writes one result (or the header) as a line and flushes it.
    pub fn write<T: Serialize>(&mut self, result: &T) -> std::io::Result<()> {
        let mut line = serde_json::to_string(result).map_err(std::io::Error::other)?;
        line.push('\n');
        self.file.write_all(line.as_bytes())?;
        self.file.flush()
    }
}

/// Writes a JUnit XML summary of `results` (sorted by seed) for CI dashboards, through a
/// temporary file and a rename (replacing an earlier summary).
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
    crate::files::write_atomic(path, xml.as_bytes(), crate::files::Existing::Replace)
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
            probes: Vec::new(),
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
            read_results(&path).unwrap().seeds,
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

    /// A guided sweep's header says so, survives a round trip, and is another sweep than a
    /// plain one of the same template (no resume or merge mixes them); a plain header keeps
    /// the format it had before the field existed.
    #[test]
    fn the_header_records_a_guided_sweep() {
        let plain = ResultsHeader {
            faultline_results: RESULTS_FORMAT,
            template: "t.json".into(),
            template_hash: "0123456789abcdef".into(),
            faultline_version: "0.1.0".into(),
            seeds: None,
            shard: None,
            guided: false,
        };
        let guided = plain.clone().with_guided(true);
        let text = serde_json::to_string(&guided).unwrap();
        assert!(text.contains("\"guided\":true"), "{text}");
        assert_eq!(
            serde_json::from_str::<ResultsHeader>(&text).unwrap(),
            guided
        );
        assert!(!serde_json::to_string(&plain).unwrap().contains("guided"));
        assert!(!plain.same_sweep(&guided) && plain.same_sweep(&plain.clone()));
        assert!(guided.to_string().ends_with(", coverage-guided"));
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
