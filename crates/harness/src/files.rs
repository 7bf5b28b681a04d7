//! Reading a user's files within a stated size, and writing outputs safely: names made safe to
//! use as file names, every file written to a temporary file beside it and renamed into place (a
//! crash never leaves a half-written output), and an existing file replaced only when asked.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Largest input file (scenario, template) read by default, in bytes: 16 MiB.
pub const DEFAULT_INPUT_LIMIT: u64 = 16 << 20;

/// Largest value the input limit may be raised to, in bytes: 4 GiB.
pub const MAX_INPUT_LIMIT: u64 = 4 << 30;

/// The command-line flag that sets the input limit; the error of a file over the limit names it.
pub const INPUT_LIMIT_FLAG: &str = "--max-input-bytes";

/// The input limit in force for this process (see [`set_input_limit`]).
static INPUT_LIMIT: AtomicU64 = AtomicU64::new(DEFAULT_INPUT_LIMIT);

/// Sets the largest input file [`read_input`] reads, for the whole process (the CLI sets it once
/// from [`INPUT_LIMIT_FLAG`]); `bytes` must be 1 to [`MAX_INPUT_LIMIT`].
pub fn set_input_limit(bytes: u64) -> Result<(), String> {
    if !(1..=MAX_INPUT_LIMIT).contains(&bytes) {
        return Err(format!(
            "{INPUT_LIMIT_FLAG}: expected 1 byte to {}, found {bytes} bytes",
            size_text(MAX_INPUT_LIMIT)
        ));
    }
    INPUT_LIMIT.store(bytes, Ordering::Relaxed);
    Ok(())
}

/// The largest input file [`read_input`] reads, in bytes.
pub fn input_limit() -> u64 {
    INPUT_LIMIT.load(Ordering::Relaxed)
}

/// Parses a size in bytes: `N`, or `N` followed by `B`, `KiB`, `MiB` or `GiB` (also `K`, `M`,
/// `G`); `None` for anything else or a size over `u64::MAX`.
pub fn parse_size(text: &str) -> Option<u64> {
    let digits = text.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let shift = match &text[digits.len()..] {
        "" | "B" => 0,
        "K" | "KiB" => 10,
        "M" | "MiB" => 20,
        "G" | "GiB" => 30,
        _ => return None,
    };
    digits.parse::<u64>().ok()?.checked_mul(1 << shift)
}

/// Parses a size for [`INPUT_LIMIT_FLAG`] ([`parse_size`]), from 1 byte to [`MAX_INPUT_LIMIT`].
pub fn parse_input_limit(text: &str) -> Result<u64, String> {
    parse_size(text)
        .filter(|bytes| (1..=MAX_INPUT_LIMIT).contains(bytes))
        .ok_or_else(|| {
            format!(
                "expected a size from 1 to {} like 64MiB or 1GiB, found {text:?}",
                size_text(MAX_INPUT_LIMIT)
            )
        })
}

/// Reads an input file (scenario, template) as text within [`input_limit`]: the bytes actually
/// read are counted, so a pipe or a device such as `/dev/urandom` is refused at the limit like a
/// large file. A file over the limit (the error names [`INPUT_LIMIT_FLAG`]) or not UTF-8 is an
/// [`std::io::ErrorKind::InvalidData`] error that says so.
pub fn read_input(path: &Path) -> std::io::Result<String> {
    read_capped(path, input_limit())
}

/// [`read_input`] with the limit given.
fn read_capped(path: &Path, limit: u64) -> std::io::Result<String> {
    let file = File::open(path)?;
    let mut bytes = Vec::new();
    file.take(limit + 1).read_to_end(&mut bytes)?;
    let invalid = |message: String| std::io::Error::new(std::io::ErrorKind::InvalidData, message);
    if bytes.len() as u64 > limit {
        return Err(invalid(format!(
            "larger than {}, the limit for input files (stopped reading there; \
             {INPUT_LIMIT_FLAG} raises it, up to {})",
            size_text(limit),
            size_text(MAX_INPUT_LIMIT)
        )));
    }
    String::from_utf8(bytes).map_err(|e| {
        invalid(format!(
            "not UTF-8 text (invalid bytes at offset {})",
            e.utf8_error().valid_up_to()
        ))
    })
}

/// `4 GiB`, `16 MiB` or `2 KiB` for whole gibi-, mebi- or kibibytes, else `N bytes` (shared
/// with the history reader's size limit, so both say sizes alike).
pub use faultline_check::formats::size_text;

/// Longest file stem [`safe_file_stem`] returns, in bytes.
pub const MAX_STEM_BYTES: usize = 120;

/// `name` as a file stem that stays inside the folder it is joined to: every character other
/// than ASCII letters, digits, `-`, `_` and `.` becomes `_` (so no `/`, `\` or `..` component
/// survives), a leading `.` becomes `_`, at most [`MAX_STEM_BYTES`] bytes, never empty.
pub fn safe_file_stem(name: &str) -> String {
    let mut stem: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .take(MAX_STEM_BYTES)
        .collect();
    if stem.starts_with('.') {
        stem.replace_range(..1, "_");
    }
    if stem.is_empty() {
        stem.push_str("unnamed");
    }
    stem
}

/// Whether an output may replace a file already at its path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Existing {
    /// Refuse with [`std::io::ErrorKind::AlreadyExists`].
    Keep,
    /// Replace it.
    Replace,
}

/// An output file being written: the bytes go to a temporary file beside `path`, which
/// [`AtomicFile::commit`] moves into place; dropped uncommitted, the temporary file is removed
/// and `path` is untouched. A path that exists and is not a regular file (a device such as
/// `/dev/null`, a FIFO) is written directly.
pub struct AtomicFile {
    file: File,
    path: PathBuf,
    temp: Option<PathBuf>,
    existing: Existing,
}

impl AtomicFile {
    /// Starts writing `path`; fails at once if it exists and `existing` is [`Existing::Keep`].
    pub fn create(path: &Path, existing: Existing) -> std::io::Result<AtomicFile> {
        match std::fs::metadata(path) {
            Ok(meta) if !meta.is_file() && !meta.is_dir() => {
                let file = OpenOptions::new().write(true).open(path)?;
                return Ok(AtomicFile {
                    file,
                    path: path.to_path_buf(),
                    temp: None,
                    existing,
                });
            }
            Ok(_) if existing == Existing::Keep => return Err(already_exists()),
            _ => {}
        }
        let name = path
            .file_name()
            .map_or_else(|| "output".into(), |n| n.to_string_lossy().into_owned());
        let temp = path.with_file_name(format!(".{name}.tmp-{}", std::process::id()));
        let file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&temp)?;
        Ok(AtomicFile {
            file,
            path: path.to_path_buf(),
            temp: Some(temp),
            existing,
        })
    }

    /// The temporary file being written, until it is committed (`None` for a device written
    /// directly): what to remove if the process must end before the commit.
    pub fn temp_path(&self) -> Option<&Path> {
        self.temp.as_deref()
    }

    /// A second handle to the file being written, for a writer that must be handed away (a
    /// trace sink); commit once that writer has been flushed.
    pub fn handle(&self) -> std::io::Result<File> {
        self.file.try_clone()
    }

    /// Flushes the bytes and moves the file into place (refusing, when asked to keep an existing
    /// file, if one appeared at `path` meanwhile).
    pub fn commit(mut self) -> std::io::Result<()> {
        self.file.flush()?;
        let Some(temp) = self.temp.take() else {
            return Ok(());
        };
        let placed = match self.existing {
            Existing::Replace => std::fs::rename(&temp, &self.path),
            // A hard link never replaces: it fails if the path exists.
            Existing::Keep => match std::fs::hard_link(&temp, &self.path) {
                Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => {
                    if self.path.exists() {
                        Err(already_exists())
                    } else {
                        std::fs::rename(&temp, &self.path)
                    }
                }
                linked => linked,
            },
        };
        let _ = std::fs::remove_file(&temp);
        placed
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.file.write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.file.flush()
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if let Some(temp) = &self.temp {
            let _ = std::fs::remove_file(temp);
        }
    }
}

fn already_exists() -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::AlreadyExists, "already exists")
}

/// Writes `bytes` to `path` through a temporary file and a rename.
pub fn write_atomic(path: &Path, bytes: &[u8], existing: Existing) -> std::io::Result<()> {
    let mut file = AtomicFile::create(path, existing)?;
    file.write_all(bytes)?;
    file.commit()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("faultline-files-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn names_never_leave_their_folder() {
        assert_eq!(safe_file_stem("../../escape"), "_._.._escape");
        assert_eq!(safe_file_stem("raft-seed-7"), "raft-seed-7");
        assert_eq!(safe_file_stem("/etc/passwd"), "_etc_passwd");
        assert_eq!(safe_file_stem(".."), "_.");
        assert_eq!(safe_file_stem(""), "unnamed");
        assert_eq!(safe_file_stem("a\\b\0c"), "a_b_c");
        assert_eq!(safe_file_stem(&"x".repeat(500)).len(), MAX_STEM_BYTES);
    }

    #[test]
    fn an_existing_file_is_kept_unless_replacing_is_asked_and_no_temp_file_is_left() {
        let dir = scratch("atomic");
        let path = dir.join("out.txt");
        write_atomic(&path, b"first", Existing::Keep).unwrap();
        let refused = write_atomic(&path, b"second", Existing::Keep).unwrap_err();
        assert_eq!(refused.kind(), std::io::ErrorKind::AlreadyExists);
        assert_eq!(std::fs::read(&path).unwrap(), b"first");
        write_atomic(&path, b"third", Existing::Replace).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"third");
        drop(AtomicFile::create(&dir.join("abandoned"), Existing::Keep).unwrap());
        let names: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("out.txt")]);
    }

    #[test]
    fn reads_stop_at_the_limit_even_on_a_device() {
        let dir = scratch("capped");
        let path = dir.join("small.json");
        std::fs::write(&path, "{}").unwrap();
        assert_eq!(read_capped(&path, 2).unwrap(), "{}");
        let over = read_capped(&path, 1).unwrap_err().to_string();
        assert!(over.contains("larger than 1 bytes"), "{over}");
        let device = read_capped(Path::new("/dev/zero"), 1 << 20)
            .unwrap_err()
            .to_string();
        assert!(device.contains("larger than 1 MiB"), "{device}");
        assert!(device.contains("--max-input-bytes raises it"), "{device}");
    }

    #[test]
    fn input_limits_parse_with_units_and_stay_in_range() {
        assert_eq!(parse_input_limit("100"), Ok(100));
        assert_eq!(parse_input_limit("64MiB"), Ok(64 << 20));
        assert_eq!(parse_input_limit("2K"), Ok(2048));
        assert_eq!(parse_input_limit("4GiB"), Ok(MAX_INPUT_LIMIT));
        assert_eq!(parse_size("3B"), Some(3));
        assert_eq!(parse_size("16G"), Some(16 << 30));
        assert_eq!(parse_size("18446744073709551615G"), None);
        for bad in ["0", "5GiB", "", "MiB", "12XB", "-1", "99999999999999999999"] {
            let error = parse_input_limit(bad).unwrap_err();
            assert!(error.contains("4 GiB"), "{bad}: {error}");
        }
        assert!(set_input_limit(0).unwrap_err().contains(INPUT_LIMIT_FLAG));
        assert_eq!(input_limit(), DEFAULT_INPUT_LIMIT);
    }
}
