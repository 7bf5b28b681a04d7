//! ShiViz logs: the parser regex on the first line, an empty execution delimiter on the second,
//! then two lines per event: a description, and the host with its vector clock as JSON.

use super::clock::vector_clocks;
use crate::trace::{format_ms, EventKind, TraceEvent};
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

/// One line of text for an event: time, kind, the other end and the detail.
fn describe(e: &TraceEvent) -> String {
    let mut s = format!("{} {}", format_ms(e.t_ns), e.kind.as_str());
    if let Some(msg) = e.msg {
        s.push_str(&format!(" #{msg}"));
    }
    if let Some(peer) = &e.peer {
        let dir = if e.kind == EventKind::Deliver {
            "from"
        } else {
            "to"
        };
        s.push_str(&format!(" {dir} {peer}"));
    }
    if let Some(fault) = &e.fault {
        s.push_str(&format!(" {fault}"));
    }
    if let Some(reason) = &e.reason {
        s.push_str(&format!(" ({reason})"));
    }
    if let Some(detail) = &e.detail {
        s.push_str(": ");
        s.push_str(detail);
    }
    // One event per line: the regex's `.` does not cross newlines.
    s.replace(['\n', '\r'], " ")
}
