//! Errors for scenario files: each names the file, the field path and what was expected.

use std::path::PathBuf;

/// Why a scenario file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// The file could not be read.
    #[error("{file}: cannot read: {source}")]
    Io {
        /// The scenario file.
        file: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A field is missing, has the wrong type, an impossible value, or is unknown.
    #[error("{file}: {}", field_message(field, message))]
    Field {
        /// The scenario file.
        file: PathBuf,
        /// Path of the offending field, e.g. `faults[2].crash`.
        field: String,
        /// What was wrong and what was expected.
        message: String,
    },
    /// The text is not JSON.
    #[error("{file}: not valid JSON at line {line}, column {column}: {message}")]
    Syntax {
        /// The scenario file.
        file: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// The parser's message.
        message: String,
    },
}

/// `field `F`: message`, or the message alone for the whole file (an empty field path).
fn field_message(field: &str, message: &str) -> String {
    if field.is_empty() {
        message.to_string()
    } else {
        format!("field `{field}`: {message}")
    }
}

impl ScenarioError {
    /// The field path this error names, if it names one.
    pub fn field(&self) -> Option<&str> {
        match self {
            ScenarioError::Field { field, .. } => Some(field),
            _ => None,
        }
    }
}

/// A semantic problem found while validating, before the file name is attached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    /// Field path.
    pub field: String,
    /// What was expected.
    pub message: String,
}

/// An invalid scenario handed to a run: an [`std::io::ErrorKind::InvalidInput`] error naming
/// the field.
impl From<Invalid> for std::io::Error {
    fn from(invalid: Invalid) -> Self {
        std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("field `{}`: {}", invalid.field, invalid.message),
        )
    }
}

impl Invalid {
    /// A problem with `field`.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Invalid {
            field: field.into(),
            message: message.into(),
        }
    }
}
