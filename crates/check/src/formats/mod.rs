//! History file formats, format detection and loading.
//!
//! - [`Format::Json`]: faultline's own history (see [`json`]).
//! - [`Format::Edn`]: Jepsen EDN histories, a vector of op maps or one map per line;
//!   `:fail` did not happen, `:info` may have happened. Porcupine's kv files
//!   (`{:process 0, :type :invoke, :f :append, :key "0", :value "x"}` per line) are
//!   read with this format.
//! - [`Format::EtcdLog`]: Porcupine's Jepsen etcd logs, with Porcupine's meaning of
//!   `:fail` (see [`etcd_log`]).

pub mod edn;
pub mod etcd_log;
pub mod jepsen;
pub mod json;

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use crate::checker::{analyze, check, Analysis, CheckOptions, Verdict};
use crate::history::History;
use crate::models::kv::{KvInput, KvModel, KvOutput};
use crate::models::mutex::{MutexInput, MutexModel, MutexOutput};
use crate::models::queue::{FifoQueueModel, QueueInput, QueueOutput, UnorderedQueueModel};
use crate::models::register::{RegisterInput, RegisterModel, RegisterOutput};
use crate::models::set::{SetInput, SetModel, SetOutput};
use crate::view;

/// The deepest nesting of collections any history reader accepts (Jepsen ops nest a
/// few levels); deeper input is refused with an error naming this limit instead of
/// exhausting the stack.
pub const MAX_NESTING: usize = 100;

/// Which sequential model a history is checked against (named as Knossos names it).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum ModelKind {
    /// Key-value store: get, put, append, cas on string keys and values.
    Kv,
    /// One register: read, write, cas on integers, starting as nil (Knossos'
    /// `register` and `cas-register`).
    #[serde(alias = "cas-register")]
    Register,
    /// A set of integers: add, and read of the whole set.
    Set,
    /// A FIFO queue of integers: enqueue, dequeue of the oldest element.
    FifoQueue,
    /// An unordered queue of integers: enqueue, dequeue of any element.
    UnorderedQueue,
    /// A lock: acquire, release.
    Mutex,
}

impl ModelKind {
    /// Every model, in the order help texts list them.
    pub const ALL: [ModelKind; 6] = [
        ModelKind::Kv,
        ModelKind::Register,
        ModelKind::Set,
        ModelKind::FifoQueue,
        ModelKind::UnorderedQueue,
        ModelKind::Mutex,
    ];

    /// The model's name as used on the command line and in files.
    pub fn name(self) -> &'static str {
        match self {
            ModelKind::Kv => "kv",
            ModelKind::Register => "register",
            ModelKind::Set => "set",
            ModelKind::FifoQueue => "fifo-queue",
            ModelKind::UnorderedQueue => "unordered-queue",
            ModelKind::Mutex => "mutex",
        }
    }
}

impl fmt::Display for ModelKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for ModelKind {
    type Err = String;

    /// A model's name; `cas-register` (Knossos) is the register.
    fn from_str(s: &str) -> Result<Self, String> {
        if s == "cas-register" {
            return Ok(ModelKind::Register);
        }
        ModelKind::ALL
            .into_iter()
            .find(|kind| kind.name() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = ModelKind::ALL.iter().map(|k| k.name()).collect();
                format!(
                    "unknown model {s:?}, expected one of {} (or cas-register)",
                    names.join(", ")
                )
            })
    }
}

/// A history file format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// faultline's JSON history.
    Json,
    /// Jepsen EDN (also Porcupine's kv files).
    Edn,
    /// Porcupine's Jepsen etcd log lines.
    EtcdLog,
}

impl FromStr for Format {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "json" => Ok(Format::Json),
            "edn" => Ok(Format::Edn),
            "etcd-log" => Ok(Format::EtcdLog),
            other => Err(format!(
                "unknown format {other:?}, expected json, edn or etcd-log"
            )),
        }
    }
}

/// A history of any model.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AnyHistory {
    /// A key-value history.
    Kv(History<KvInput, KvOutput>),
    /// A register history.
    Register(History<RegisterInput, RegisterOutput>),
    /// A set history.
    Set(History<SetInput, SetOutput>),
    /// A FIFO queue history.
    FifoQueue(History<QueueInput, QueueOutput>),
    /// An unordered queue history.
    UnorderedQueue(History<QueueInput, QueueOutput>),
    /// A mutex history.
    Mutex(History<MutexInput, MutexOutput>),
}

/// Evaluates `$body` with `$h` bound to the history inside an [`AnyHistory`] and `$m`
/// to its model.
macro_rules! with_model {
    ($history:expr, |$h:ident, $m:ident| $body:expr) => {
        match $history {
            AnyHistory::Kv($h) => {
                let $m = KvModel;
                $body
            }
            AnyHistory::Register($h) => {
                let $m = RegisterModel;
                $body
            }
            AnyHistory::Set($h) => {
                let $m = SetModel;
                $body
            }
            AnyHistory::FifoQueue($h) => {
                let $m = FifoQueueModel;
                $body
            }
            AnyHistory::UnorderedQueue($h) => {
                let $m = UnorderedQueueModel;
                $body
            }
            AnyHistory::Mutex($h) => {
                let $m = MutexModel;
                $body
            }
        }
    };
}

impl AnyHistory {
    /// The model the history is for.
    pub fn model(&self) -> ModelKind {
        match self {
            AnyHistory::Kv(_) => ModelKind::Kv,
            AnyHistory::Register(_) => ModelKind::Register,
            AnyHistory::Set(_) => ModelKind::Set,
            AnyHistory::FifoQueue(_) => ModelKind::FifoQueue,
            AnyHistory::UnorderedQueue(_) => ModelKind::UnorderedQueue,
            AnyHistory::Mutex(_) => ModelKind::Mutex,
        }
    }

    /// Number of operations.
    pub fn len(&self) -> usize {
        with_model!(self, |h, _m| h.len())
    }

    /// True when there are no operations.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Number of indeterminate operations.
    pub fn indeterminate(&self) -> usize {
        with_model!(self, |h, _m| h.indeterminate())
    }

    /// Checks the history against its model.
    pub fn check(&self, options: &CheckOptions) -> Verdict {
        with_model!(self, |h, m| check(&m, h, options))
    }

    /// Searches every partition (see [`analyze`]).
    pub fn analyze(&self, options: &CheckOptions) -> Analysis {
        with_model!(self, |h, m| analyze(&m, h, options))
    }

    /// The verdict of an [`Analysis`] of this history.
    pub fn verdict(&self, analysis: &Analysis) -> Verdict {
        with_model!(self, |h, _m| analysis.verdict(h))
    }

    /// The data of the history view ([`crate::view`]) of this history, named `name`.
    pub fn view_data(&self, name: &str, analysis: &Analysis) -> serde_json::Value {
        let verdict = match self.verdict(analysis) {
            Verdict::NotLinearizable { .. } => "NOT linearizable".to_owned(),
            other => other.to_string(),
        };
        let model = self.model().name();
        with_model!(self, |h, _m| view::history_data(
            name, model, &verdict, h, analysis
        ))
    }
}

/// A parse error inside a history text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// What was wrong and what was expected.
    pub message: String,
}

impl ParseError {
    pub(crate) fn at(line: usize, message: impl Into<String>) -> Self {
        Self {
            line: Some(line),
            message: message.into(),
        }
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "line {line}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

/// Why a history file could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The file could not be read.
    #[error("{}: cannot read: {source}", file.display())]
    Io {
        /// The file.
        file: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is larger than the limit it was read with (a pipe or a device included: the
    /// bytes actually read are counted); the message names the flag that raises the limit.
    #[error("{}: larger than {}, the limit for history files (stopped reading there; \
             {HISTORY_LIMIT_FLAG} raises it)", file.display(), size_text(*limit))]
    TooLarge {
        /// The file.
        file: PathBuf,
        /// The limit, in bytes.
        limit: u64,
    },
    /// The file is blank: there is no history in it to check (e.g. Porcupine's
    /// `etcd_095.log`, from a cluster that never started). A history that holds no
    /// client operation (every one failed, or only nemesis events) is not this: it is
    /// checked, and is linearizable.
    #[error("{}: empty file: expected a history (faultline JSON, Jepsen EDN or an etcd log)", file.display())]
    EmptyFile {
        /// The file.
        file: PathBuf,
    },
    /// The content matches no known format.
    #[error("{}: unknown format: expected faultline JSON ('{{\"model\"'), Jepsen EDN ('{{:' or '[') or an etcd log ('INFO  jepsen.util')", file.display())]
    UnknownFormat {
        /// The file.
        file: PathBuf,
    },
    /// The content is malformed.
    #[error("{}:{} {}", file.display(), line.map_or(String::new(), |l| format!("{l}:")), message)]
    Parse {
        /// The file.
        file: PathBuf,
        /// 1-based line, when known.
        line: Option<usize>,
        /// What was wrong and what was expected.
        message: String,
    },
}

/// Guesses the format from the content: `{"` is JSON (and so is `[{"`, a JSON array,
/// which the JSON reader then refuses as such), `{:`, `[`, `(` or a `;` comment is EDN,
/// `INFO` is an etcd log. `None` for blank or unrecognised text.
pub fn detect_format(text: &str) -> Option<Format> {
    let trimmed = text.trim_start();
    if trimmed.starts_with("INFO") {
        return Some(Format::EtcdLog);
    }
    if let Some(inner) = trimmed.strip_prefix('[') {
        let json_object = inner
            .trim_start()
            .strip_prefix('{')
            .is_some_and(|rest| rest.trim_start().starts_with('"'));
        return Some(if json_object {
            Format::Json
        } else {
            Format::Edn
        });
    }
    if trimmed.starts_with(['(', ';']) {
        return Some(Format::Edn);
    }
    let inner = trimmed.strip_prefix('{')?.trim_start();
    match inner.chars().next() {
        Some('"') | Some('}') => Some(Format::Json),
        Some(':') => Some(Format::Edn),
        _ => None,
    }
}

/// Parses a history text. `format` defaults to [`detect_format`]; `model` overrides the
/// model named or implied by the text (it must agree with a JSON file's `model`).
pub fn parse_history(
    text: &str,
    format: Option<Format>,
    model: Option<ModelKind>,
) -> Result<AnyHistory, ParseError> {
    let format = format.or_else(|| detect_format(text)).ok_or(ParseError {
        line: None,
        message: "unknown format".into(),
    })?;
    match format {
        Format::Json => json::parse(text, model),
        Format::Edn => jepsen::parse_edn(text, model),
        Format::EtcdLog => etcd_log::parse(text, model),
    }
}

/// Largest history file read by default, in bytes: 256 MiB (a 10^6-operation history is well
/// below it).
pub const DEFAULT_MAX_HISTORY_BYTES: u64 = 256 << 20;

/// The command-line flag that sets the history size limit; [`LoadError::TooLarge`] names it.
pub const HISTORY_LIMIT_FLAG: &str = "--max-input-bytes";

/// `4 GiB`, `16 MiB` or `2 KiB` for whole gibi-, mebi- or kibibytes, else `N bytes`.
pub fn size_text(bytes: u64) -> String {
    if bytes >= 1 << 30 && bytes % (1 << 30) == 0 {
        format!("{} GiB", bytes >> 30)
    } else if bytes >= 1 << 20 && bytes % (1 << 20) == 0 {
        format!("{} MiB", bytes >> 20)
    } else if bytes >= 1 << 10 && bytes % (1 << 10) == 0 {
        format!("{} KiB", bytes >> 10)
    } else {
        format!("{bytes} bytes")
    }
}

/// Reads `path` as text, stopping after `limit` bytes: the bytes actually read are counted, so
/// a pipe or a device such as `/dev/urandom` is refused at the limit like a large file.
fn read_history_text(path: &Path, limit: u64) -> Result<String, LoadError> {
    use std::io::Read;
    let io = |source| LoadError::Io {
        file: path.to_path_buf(),
        source,
    };
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|file| file.take(limit.saturating_add(1)).read_to_end(&mut bytes))
        .map_err(io)?;
    if bytes.len() as u64 > limit {
        return Err(LoadError::TooLarge {
            file: path.to_path_buf(),
            limit,
        });
    }
    String::from_utf8(bytes).map_err(|e| {
        io(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!(
                "not UTF-8 text (invalid bytes at offset {})",
                e.utf8_error().valid_up_to()
            ),
        ))
    })
}

/// Reads and parses a history file of at most `max_bytes` bytes (larger is
/// [`LoadError::TooLarge`]; [`DEFAULT_MAX_HISTORY_BYTES`] unless the user asked otherwise). A
/// blank file is [`LoadError::EmptyFile`].
pub fn load_history(
    path: &Path,
    format: Option<Format>,
    model: Option<ModelKind>,
    max_bytes: u64,
) -> Result<AnyHistory, LoadError> {
    let file = path.to_path_buf();
    let text = read_history_text(path, max_bytes)?;
    if text.trim().is_empty() {
        return Err(LoadError::EmptyFile { file });
    }
    let Some(format) = format.or_else(|| detect_format(&text)) else {
        return Err(LoadError::UnknownFormat { file });
    };
    let history = parse_history(&text, Some(format), model).map_err(|e| LoadError::Parse {
        file: file.clone(),
        line: e.line,
        message: e.message,
    })?;
    Ok(history)
}

/// The outcome of checking one file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileReport {
    /// The file.
    pub file: PathBuf,
    /// The model it was checked against.
    pub model: ModelKind,
    /// Number of operations.
    pub ops: usize,
    /// Number of indeterminate operations among them.
    pub indeterminate: usize,
    /// The verdict.
    pub verdict: Verdict,
}

impl FileReport {
    /// `Some(true)`/`Some(false)`, or `None` when the budget ran out.
    pub fn linearizable(&self) -> Option<bool> {
        self.verdict.linearizable()
    }
}

/// Loads (as [`load_history`] does, within `max_bytes`) and checks one history file.
pub fn check_file(
    path: &Path,
    format: Option<Format>,
    model: Option<ModelKind>,
    max_bytes: u64,
    options: &CheckOptions,
) -> Result<FileReport, LoadError> {
    let history = load_history(path, format, model, max_bytes)?;
    Ok(FileReport {
        file: path.to_path_buf(),
        model: history.model(),
        ops: history.len(),
        indeterminate: history.indeterminate(),
        verdict: history.check(options),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_formats_by_content() {
        assert_eq!(detect_format("  {\"model\": \"kv\"}"), Some(Format::Json));
        assert_eq!(detect_format("{:process 0}"), Some(Format::Edn));
        assert_eq!(detect_format("\n[{:process 0}]"), Some(Format::Edn));
        assert_eq!(
            detect_format("INFO  jepsen.util - 0\t:invoke"),
            Some(Format::EtcdLog)
        );
        assert_eq!(
            detect_format("; a comment\n{:process 0}"),
            Some(Format::Edn)
        );
        assert_eq!(detect_format("({:process 0})"), Some(Format::Edn));
        assert_eq!(detect_format("[\n {\"client\": 0}]"), Some(Format::Json));
        assert_eq!(detect_format("[]"), Some(Format::Edn));
        assert_eq!(detect_format("hello"), None);
        assert_eq!(detect_format(""), None);
    }

    #[test]
    fn names_parse_both_ways() {
        for kind in ModelKind::ALL {
            assert_eq!(kind.name().parse::<ModelKind>(), Ok(kind));
            let json = serde_json::to_string(&kind).unwrap();
            assert_eq!(json, format!("{:?}", kind.name()));
            assert_eq!(serde_json::from_str::<ModelKind>(&json).unwrap(), kind);
        }
        assert_eq!("cas-register".parse::<ModelKind>(), Ok(ModelKind::Register));
        assert_eq!(
            serde_json::from_str::<ModelKind>("\"cas-register\"").unwrap(),
            ModelKind::Register
        );
        assert!("queue"
            .parse::<ModelKind>()
            .unwrap_err()
            .contains("kv, register, set, fifo-queue, unordered-queue, mutex"));
        assert_eq!("etcd-log".parse::<Format>(), Ok(Format::EtcdLog));
        assert!("xml".parse::<Format>().is_err());
    }

    struct TempFile(PathBuf);

    impl TempFile {
        fn new(name: &str, text: &str) -> Self {
            let path =
                std::env::temp_dir().join(format!("faultline-check-{}-{name}", std::process::id()));
            std::fs::write(&path, text).expect("temp file writable");
            TempFile(path)
        }
    }

    impl Drop for TempFile {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_device_is_refused_at_the_history_size_limit() {
        let err = load_history(
            Path::new("/dev/zero"),
            None,
            None,
            DEFAULT_MAX_HISTORY_BYTES,
        )
        .unwrap_err();
        assert!(matches!(err, LoadError::TooLarge { .. }), "{err}");
        assert!(err.to_string().contains("256 MiB"), "{err}");
        assert!(
            err.to_string().contains("--max-input-bytes raises it"),
            "{err}"
        );
        let lowered = load_history(Path::new("/dev/zero"), None, None, 1 << 20).unwrap_err();
        assert!(
            lowered.to_string().contains("larger than 1 MiB"),
            "{lowered}"
        );
    }

    #[test]
    fn load_errors_name_the_file_and_line() {
        let missing = load_history(
            Path::new("/nonexistent/h.edn"),
            None,
            None,
            DEFAULT_MAX_HISTORY_BYTES,
        )
        .unwrap_err();
        assert!(matches!(missing, LoadError::Io { .. }));
        assert!(missing
            .to_string()
            .starts_with("/nonexistent/h.edn: cannot read"));

        let empty = TempFile::new("empty.log", "\n  \n");
        let err = load_history(&empty.0, None, None, DEFAULT_MAX_HISTORY_BYTES).unwrap_err();
        assert!(matches!(err, LoadError::EmptyFile { .. }));
        assert!(err.to_string().contains("empty file: expected a history"));

        let junk = TempFile::new("junk.txt", "hello\n");
        let err = load_history(&junk.0, None, None, DEFAULT_MAX_HISTORY_BYTES).unwrap_err();
        assert!(matches!(err, LoadError::UnknownFormat { .. }));
        assert!(err.to_string().contains("expected faultline JSON"), "{err}");

        let bad = TempFile::new(
            "bad.edn",
            "{:process 0, :type :invoke, :f :read}\n{:process 0 :type :nope :f :read}\n",
        );
        let err = load_history(&bad.0, None, None, DEFAULT_MAX_HISTORY_BYTES).unwrap_err();
        let text = err.to_string();
        assert!(
            text.starts_with(&format!("{}:2: expected :type", bad.0.display())),
            "{text}"
        );
    }

    #[test]
    fn histories_without_client_operations_are_linearizable() {
        let cases = [
            (
                "nemesis.edn",
                "{:process :nemesis, :type :info, :f :start}\n",
            ),
            (
                "failed.edn",
                "; every op failed\n{:process 0, :type :invoke, :f :write, :value 1}\n\
                 {:process 0, :type :fail, :f :write, :value 1}\n",
            ),
            ("comments.edn", ";; Jepsen history\n; nothing ran\n"),
            ("no-ops.json", "{\"model\": \"kv\", \"ops\": []}"),
        ];
        for (name, text) in cases {
            let file = TempFile::new(name, text);
            let report = check_file(
                &file.0,
                None,
                None,
                DEFAULT_MAX_HISTORY_BYTES,
                &CheckOptions::default(),
            )
            .unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(
                (report.ops, report.linearizable()),
                (0, Some(true)),
                "{name}"
            );
        }
    }

    #[test]
    fn check_file_reports_counts_and_verdict() {
        let file = TempFile::new(
            "stale.edn",
            "[{:process 0 :type :invoke :f :write :value 1}\n\
              {:process 0 :type :ok :f :write :value 1}\n\
              {:process 1 :type :invoke :f :read :value nil}\n\
              {:process 1 :type :ok :f :read :value nil}\n\
              {:process 2 :type :invoke :f :write :value 2}]\n",
        );
        let report = check_file(
            &file.0,
            None,
            None,
            DEFAULT_MAX_HISTORY_BYTES,
            &CheckOptions::default(),
        )
        .unwrap();
        assert_eq!(report.model, ModelKind::Register);
        assert_eq!((report.ops, report.indeterminate), (3, 1));
        assert_eq!(report.linearizable(), Some(false));
        let forced = check_file(
            &file.0,
            Some(Format::Json),
            None,
            DEFAULT_MAX_HISTORY_BYTES,
            &CheckOptions::default(),
        );
        assert!(matches!(
            forced,
            Err(LoadError::Parse { line: Some(1), .. })
        ));
    }
}
