//! Shared output helpers: standard output that survives a closed pipe, output files written
//! through a temporary file and never clobbered unless asked, output folders checked before any
//! work, and number formatting.

use anyhow::{bail, Context, Result};
use faultline_harness::files::{AtomicFile, Existing};
use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

/// Set once standard output is gone (a closed pipe, a full disk): later lines are dropped.
static STDOUT_CLOSED: AtomicBool = AtomicBool::new(false);

/// Writes one line to standard output. When the reader has gone (`faultline ... | head`), the
/// line and every later one are dropped quietly and the command goes on to its verdict and exit
/// code; any other write error is reported once on standard error.
pub fn print_line(args: std::fmt::Arguments) {
    if STDOUT_CLOSED.load(Ordering::Relaxed) {
        return;
    }
    let mut out = std::io::stdout().lock();
    let written = out
        .write_fmt(args)
        .and_then(|()| out.write_all(b"\n"))
        .and_then(|()| out.flush());
    if let Err(error) = written {
        STDOUT_CLOSED.store(true, Ordering::Relaxed);
        if error.kind() != std::io::ErrorKind::BrokenPipe {
            eprintln!("error: standard output: {error}");
        }
    }
}

/// `println!` through `print_line`: a closed pipe ends the output quietly instead of panicking.
#[macro_export]
macro_rules! outln {
    () => {
        $crate::output::print_line(format_args!(""))
    };
    ($($arg:tt)*) => {
        $crate::output::print_line(format_args!($($arg)*))
    };
}

fn existing(overwrite: bool) -> Existing {
    if overwrite {
        Existing::Replace
    } else {
        Existing::Keep
    }
}

/// Starts writing `path` through a temporary file; refuses to replace an existing file unless
/// `overwrite` is set. Nothing appears at `path` until [`commit`].
pub fn create_file(path: &Path, overwrite: bool) -> Result<AtomicFile> {
    AtomicFile::create(path, existing(overwrite)).map_err(|e| file_error(path, e))
}

/// Moves a finished output file into place.
pub fn commit(file: AtomicFile, path: &Path) -> Result<()> {
    file.commit().map_err(|e| file_error(path, e))
}

/// Writes `bytes` to `path` through a temporary file and a rename.
pub fn write_file(path: &Path, bytes: &[u8], overwrite: bool) -> Result<()> {
    let mut file = create_file(path, overwrite)?;
    file.write_all(bytes)
        .with_context(|| format!("{}: cannot write", path.display()))?;
    commit(file, path)
}

fn file_error(path: &Path, error: std::io::Error) -> anyhow::Error {
    if error.kind() == std::io::ErrorKind::AlreadyExists {
        anyhow::anyhow!(
            "{}: already exists; pass --overwrite to replace it",
            path.display()
        )
    } else {
        anyhow::Error::new(error).context(format!("{}: cannot write", path.display()))
    }
}

/// Makes sure `dir` can take a command's outputs before any work starts: created if missing;
/// refused if it is not a folder, or if it already holds files and `overwrite` is not set
/// (`flag` names the option that chose it).
pub fn prepare_output_dir(dir: &Path, overwrite: bool, flag: &str) -> Result<()> {
    match std::fs::read_dir(dir) {
        Ok(mut entries) => {
            if let Some(entry) = entries.next().filter(|_| !overwrite) {
                let name = entry
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .unwrap_or_default();
                bail!(
                    "{}: already holds files (such as {name}); pass --overwrite to replace them or choose another {flag}",
                    dir.display()
                );
            }
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => std::fs::create_dir_all(dir)
            .with_context(|| format!("{}: cannot create the {flag} folder", dir.display())),
        Err(e) if dir.exists() && !dir.is_dir() => Err(e)
            .with_context(|| format!("{}: {flag} expects a folder, found a file", dir.display())),
        Err(e) => {
            Err(e).with_context(|| format!("{}: cannot read the {flag} folder", dir.display()))
        }
    }
}

/// `1234567` as `1,234,567`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}
