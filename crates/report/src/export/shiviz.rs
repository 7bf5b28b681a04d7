//! ShiViz logs: the parser regex on the first line, an empty execution delimiter on the second,
//! then two lines per event: a description, and the host with its vector clock as JSON.

use super::clock::vector_clocks;
use crate::trace::{describe, TraceEvent};
use crate::ReportError;

/// The parser regex written on the log's first line (ShiViz's named-group syntax).
pub const SHIVIZ_REGEX: &str = r"(?<event>.*)\n(?<host>\S*) (?<clock>{.*})";

/// The trace as a ShiViz log (upload the text as a file at the ShiViz site).
pub fn to_shiviz(events: &[TraceEvent]) -> Result<String, ReportError> {
    let clocks = vector_clocks(events)?;
    let mut out = format!("{SHIVIZ_REGEX}\n\n");
    for (e, (host, clock)) in events.iter().zip(&clocks) {
        if host.is_empty() || host.chars().any(char::is_whitespace) {
            return Err(ReportError::input(format!(
                "host name {host:?} cannot appear in a ShiViz log"
            )));
        }
        let clock = serde_json::to_string(clock).map_err(|e| ReportError::input(e.to_string()))?;
        out.push_str(&describe(e));
        out.push('\n');
        out.push_str(&format!("{host} {clock}\n"));
    }
    Ok(out)
}
