//! Reading a user's files within a stated size, and writing outputs safely: names made safe to
//! use as file names, every file written to a temporary file beside it and renamed into place (a
//! crash never leaves a half-written output), and an existing file replaced only when asked.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// Largest input file (scenario, template) read, in bytes: 16 MiB.
pub const MAX_INPUT_BYTES: u64 = 16 << 20;

/// Reads `path` as text, stopping after `limit` bytes: the bytes actually read are counted, so a
/// pipe or a device such as `/dev/urandom` is refused at the limit like a large file. A file over
/// the limit or not UTF-8 is an [`std::io::ErrorKind::InvalidData`] error that says so.
pub fn read_capped(path: &Path, limit: u64) -> std::io::Result<String> {
    let file = File::open(path)?;
    let mut bytes = Vec::new();
    file.take(limit + 1).read_to_end(&mut bytes)?;
    let invalid = |message: String| std::io::Error::new(std::io::ErrorKind::InvalidData, message);
    if bytes.len() as u64 > limit {
        return Err(invalid(format!(
            "larger than {}, the limit for input files (stopped reading there)",
            size_text(limit)
        )));
    }
    String::from_utf8(bytes).map_err(|e| {
        invalid(format!(
            "not UTF-8 text (invalid bytes at offset {})",
            e.utf8_error().valid_up_to()
        ))
    })
}

/// `16 MiB` for whole mebibytes, else `N bytes`.
pub fn size_text(bytes: u64) -> String {
    if bytes >= 1 << 20 && bytes % (1 << 20) == 0 {
        format!("{} MiB", bytes >> 20)
    } else {
        format!("{bytes} bytes")
    }
}

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
    }
}
