//! ShiViz logs: the parser regex on the first line, an empty execution delimiter on the second,
//! then two lines per event: a description, and the host with its vector clock as JSON.

use super::clock::ClockTracker;
use crate::trace::{describe, TraceEvent};
use crate::ReportError;

/// The parser regex written on the log's first line (ShiViz's named-group syntax).
pub const SHIVIZ_REGEX: &str = r"(?<event>.*)\n(?<host>\S*) (?<clock>{.*})";

/// A ShiViz log of a trace, or of its beginning.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShivizLog {
    /// The log text.
    pub text: String,
    /// How many of the trace's events it holds (the first ones).
    pub events: usize,
}

/// The trace as a ShiViz log (upload the text as a file at the ShiViz site), stopping before
/// the vector clocks written would exceed `max_clock_entries` in all: every event carries one
/// entry per host it has heard of, so a large, chatty cluster makes a log of events x hosts.
pub fn to_shiviz(
    events: &[TraceEvent],
    max_clock_entries: usize,
) -> Result<ShivizLog, ReportError> {
    let mut clocks = ClockTracker::new(events);
    let mut text = format!("{SHIVIZ_REGEX}\n\n");
    let mut entries = 0usize;
    let mut written = 0;
    for e in events {
        let (host, clock) = clocks.advance(e)?;
        entries = entries.saturating_add(clock.len());
        if entries > max_clock_entries {
            break;
        }
        if host.is_empty() || host.chars().any(char::is_whitespace) {
            return Err(ReportError::input(format!(
                "host name {host:?} cannot appear in a ShiViz log"
            )));
        }
        let clock = serde_json::to_string(clock).map_err(|e| ReportError::input(e.to_string()))?;
        text.push_str(&describe(e));
        text.push('\n');
        text.push_str(&format!("{host} {clock}\n"));
        written += 1;
    }
    Ok(ShivizLog {
        text,
        events: written,
    })
}
