//! The crate's error type.

/// Everything that can go wrong while building a chart, report or export.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The input data cannot be drawn or exported (empty, inconsistent, out of range).
    #[error("invalid input: {0}")]
    Input(String),
    /// A trace line could not be parsed.
    #[error("trace line {line}: {message}")]
    Trace {
        /// 1-based line number in the trace text.
        line: usize,
        /// What was wrong with it.
        message: String,
    },
    /// The bundled font could not be loaded.
    #[error("bundled font could not be registered")]
    Font,
    /// The drawing backend failed.
    #[error("drawing failed: {0}")]
    Draw(String),
    /// PNG encoding failed.
    #[error("PNG encoding failed: {0}")]
    Png(String),
}

impl ReportError {
    /// Shorthand for [`ReportError::Input`].
    pub(crate) fn input(message: impl Into<String>) -> Self {
        Self::Input(message.into())
    }
}
