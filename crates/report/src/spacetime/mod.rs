//! Space-time (Lamport) diagrams of a trace: nodes as vertical lanes, time downward, messages as
//! arrows from send to delivery, drops as arrows ending in a cross, crashes and restarts marked on
//! their lane, network-wide faults (partitions, cuts, heals) as lines across all lanes, and a
//! hover title with the detail text on every mark.
//!
//! A whole run is far too long to read, so a diagram shows a selection: a time window and at
//! most a number of events (200 by default). Arrows whose other end lies outside the selection
//! are drawn dashed to the top or bottom edge.

mod draw;
mod layout;

use crate::html::{Figure, Report};
use crate::trace::{format_ms, TraceEvent};
use crate::ReportError;

/// How virtual time maps to the vertical axis.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum TimeScale {
    /// Each distinct timestamp gets its own row: readable whatever the gaps (default).
    #[default]
    Ordinal,
    /// Distance proportional to elapsed virtual time.
    Linear,
}

/// What to draw and how.
#[derive(Clone, Debug, PartialEq)]
pub struct SpaceTimeOptions {
    /// Title drawn above the lanes.
    pub title: String,
    /// Only events at or after this time (virtual ns).
    pub from_ns: Option<u64>,
    /// Only events at or before this time (virtual ns).
    pub to_ns: Option<u64>,
    /// At most this many events (the first ones of the window); `None` for all.
    pub max_events: Option<usize>,
    /// Whether timer firings are drawn (they often dominate a trace).
    pub timers: bool,
    /// Message ids whose arrows are highlighted (for example the failing operations).
    pub highlight_msgs: Vec<u64>,
    /// Messages whose detail text contains any of these strings are highlighted too (for
    /// example `"seq: 12"` for a client's failing operation).
    pub highlight_detail: Vec<String>,
    /// A time window (virtual ns, inclusive) shaded across all lanes.
    pub highlight_window: Option<(u64, u64)>,
    /// Vertical time mapping.
    pub scale: TimeScale,
}

impl Default for SpaceTimeOptions {
    fn default() -> Self {
        Self {
            title: "Space-time diagram".to_string(),
            from_ns: None,
            to_ns: None,
            max_events: Some(200),
            timers: true,
            highlight_msgs: Vec::new(),
            highlight_detail: Vec::new(),
            highlight_window: None,
            scale: TimeScale::Ordinal,
        }
    }
}

/// A rendered diagram and what it covers.
#[derive(Clone, Debug, PartialEq)]
pub struct SpaceTimeDiagram {
    /// The SVG document.
    pub svg: String,
    /// Events drawn.
    pub shown: usize,
    /// Events in the whole trace.
    pub total: usize,
    /// Time of the first and last event drawn (virtual ns).
    pub span_ns: (u64, u64),
}

/// Draws the selected part of `events` (in trace order) as an SVG diagram. Errors if the
/// selection is empty or a message event has no send in the trace.
pub fn render_svg(
    events: &[TraceEvent],
    options: &SpaceTimeOptions,
) -> Result<SpaceTimeDiagram, ReportError> {
    let layout = layout::Layout::new(events, options)?;
    let svg = draw::svg(events, &layout, options)?;
    Ok(SpaceTimeDiagram {
        svg,
        shown: layout.selected.len(),
        total: events.len(),
        span_ns: layout.span_ns(),
    })
}

/// A self-contained HTML page with the diagram, a summary of the selection and a legend.
pub fn render_html(
    events: &[TraceEvent],
    options: &SpaceTimeOptions,
) -> Result<String, ReportError> {
    let d = render_svg(events, options)?;
    let mut report = Report::new(options.title.clone());
    report.summary = vec![
        (
            "events shown".to_string(),
            format!("{} of {}", d.shown, d.total),
        ),
        (
            "time span".to_string(),
            format!("{} – {}", format_ms(d.span_ns.0), format_ms(d.span_ns.1)),
        ),
        ("nodes".to_string(), crate::trace::nodes(events).join(", ")),
    ];
    if !options.highlight_msgs.is_empty() {
        let ids: Vec<String> = options
            .highlight_msgs
            .iter()
            .map(|m| format!("#{m}"))
            .collect();
        report
            .summary
            .push(("highlighted messages".to_string(), ids.join(", ")));
    }
    if !options.highlight_detail.is_empty() {
        report.summary.push((
            "highlighted detail".to_string(),
            options.highlight_detail.join(", "),
        ));
    }
    report.figures.push(Figure::svg(LEGEND, d.svg));
    report.to_html()
}

/// Caption explaining the marks.
const LEGEND: &str = "Time runs downward; each lane is a node. Arrows are messages from send to \
delivery; an arrow ending in a red cross was dropped; dashed arrows continue outside the shown \
window. Grey dots are timers, green squares starts, red crosses on a lane crashes (the lane is \
dashed while down), horizontal dashed lines network-wide faults. Highlighted messages are thick \
and orange. Hover any mark for its details.";
