//! Shared output helpers: creating files without clobbering, and number formatting.

use anyhow::{bail, Context, Result};
use std::fs::{File, OpenOptions};
use std::path::Path;

/// Creates `path` for writing; refuses to replace an existing file unless `overwrite` is set.
pub fn create_file(path: &Path, overwrite: bool) -> Result<File> {
    if overwrite {
        return File::create(path).with_context(|| format!("{}: cannot create", path.display()));
    }
    match OpenOptions::new().write(true).create_new(true).open(path) {
        Ok(file) => Ok(file),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            bail!(
                "{}: already exists; pass --overwrite to replace it",
                path.display()
            )
        }
        Err(e) => Err(e).with_context(|| format!("{}: cannot create", path.display())),
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
