//! A report of one run from its trace alone: message and fault counts, messages per node, drops
//! by reason, and a space-time diagram.

use crate::chart::{BarChart, BarGroup, Chart, LegendPosition, Size};
use crate::html::{Figure, ImageFormat, Page, Report};
use crate::spacetime::{self, SpaceTimeOptions};
use crate::trace::{format_ms, nodes, EventKind, TraceEvent};
use crate::ReportError;
use std::collections::BTreeMap;

/// Message counts of one node.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NodeCounts {
    /// Messages it sent.
    pub sent: u64,
    /// Bytes it sent (0 when the protocol does not size its messages).
    pub bytes_sent: u64,
    /// Messages delivered to it.
    pub received: u64,
    /// Messages it sent that were dropped.
    pub dropped: u64,
    /// Timer firings.
    pub timers: u64,
}

/// Counts over a whole trace.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TraceStats {
    /// Per node, in order of first appearance.
    pub nodes: Vec<(String, NodeCounts)>,
    /// Dropped messages by reason.
    pub drops_by_reason: BTreeMap<String, u64>,
    /// Duplicated messages.
    pub duplicates: u64,
    /// Faults as `(time, kind)`, in order.
    pub faults: Vec<(u64, String)>,
    /// Time of the last event (virtual ns).
    pub end_ns: u64,
}

impl TraceStats {
    /// Counts `events`.
    pub fn of(events: &[TraceEvent]) -> Self {
        let order = nodes(events);
        let mut counts: BTreeMap<&str, NodeCounts> = BTreeMap::new();
        let mut stats = TraceStats::default();
        for e in events {
            let node = e.node.as_deref().unwrap_or_default();
            match e.kind {
                EventKind::Send => {
                    let counts = counts.entry(node).or_default();
                    counts.sent += 1;
                    counts.bytes_sent += e.bytes.unwrap_or(0);
                }
                EventKind::Deliver => counts.entry(node).or_default().received += 1,
                EventKind::Drop => {
                    counts.entry(node).or_default().dropped += 1;
                    let reason = e.reason.clone().unwrap_or_else(|| "unknown".to_string());
                    *stats.drops_by_reason.entry(reason).or_default() += 1;
                }
                EventKind::Timer => counts.entry(node).or_default().timers += 1,
                EventKind::Duplicate => stats.duplicates += 1,
                EventKind::Fault => {
                    stats
                        .faults
                        .push((e.t_ns, e.fault.clone().unwrap_or_default()));
                }
                EventKind::Start | EventKind::Sync => {}
            }
            stats.end_ns = e.t_ns;
        }
        stats.nodes = order
            .iter()
            .map(|n| {
                (
                    n.clone(),
                    counts.get(n.as_str()).copied().unwrap_or_default(),
                )
            })
            .collect();
        stats
    }

    /// Total messages sent.
    pub fn sent(&self) -> u64 {
        self.nodes.iter().map(|(_, c)| c.sent).sum()
    }

    /// Total bytes sent.
    pub fn bytes_sent(&self) -> u64 {
        self.nodes.iter().map(|(_, c)| c.bytes_sent).sum()
    }

    /// Total messages delivered (duplicates count twice).
    pub fn delivered(&self) -> u64 {
        self.nodes.iter().map(|(_, c)| c.received).sum()
    }

    /// Total messages dropped.
    pub fn dropped(&self) -> u64 {
        self.drops_by_reason.values().sum()
    }
}

/// Most vector-clock entries the ShiViz log of a run report holds (roughly 150 MB of text,
/// more than ShiViz opens comfortably); a larger run's log stops there.
pub const SHIVIZ_MAX_CLOCK_ENTRIES: usize = 10_000_000;

/// Size of the charts in a run report.
const CHART: Size = Size {
    width: 720,
    height: 400,
};

/// A report of the run recorded in `events`: summary rows (`extra_summary` first, then the trace
/// counts), a chart of messages per node, one of drops by reason when there are drops, and the
/// space-time diagram selected by `diagram`.
pub fn run_report(
    title: &str,
    extra_summary: &[(String, String)],
    events: &[TraceEvent],
    diagram: &SpaceTimeOptions,
) -> Result<Report, ReportError> {
    let stats = TraceStats::of(events);
    let mut report = Report::new(title);
    report.summary.extend_from_slice(extra_summary);
    report.summary.extend(summary_rows(&stats, events.len()));
    push_message_charts(&mut report, &stats)?;
    let d = spacetime::render_svg(events, diagram)?;
    report.figures.push(Figure::svg(
        format!(
            "Space-time diagram: {} of {} events, {} – {}. Hover a mark for details.",
            d.shown,
            d.total,
            format_ms(d.span_ns.0),
            format_ms(d.span_ns.1)
        ),
        d.svg,
    ));
    Ok(report)
}

/// The trace's counts as summary rows: events, virtual time, nodes, messages and faults.
fn summary_rows(stats: &TraceStats, event_count: usize) -> Vec<(String, String)> {
    let drops: Vec<String> = stats
        .drops_by_reason
        .iter()
        .map(|(r, n)| format!("{r} {n}"))
        .collect();
    let faults: Vec<String> = stats
        .faults
        .iter()
        .map(|(t, f)| format!("{f} at {}", format_ms(*t)))
        .collect();
    let nodes: Vec<&str> = stats.nodes.iter().map(|(n, _)| n.as_str()).collect();
    let rows = [
        ("trace events", event_count.to_string()),
        ("virtual time", format_ms(stats.end_ns)),
        ("nodes", nodes.join(", ")),
        ("messages sent", stats.sent().to_string()),
        ("bytes sent", stats.bytes_sent().to_string()),
        ("messages delivered", stats.delivered().to_string()),
        (
            "messages dropped",
            format!("{} ({})", stats.dropped(), drops.join(", ")),
        ),
        ("messages duplicated", stats.duplicates.to_string()),
        (
            "faults",
            if faults.is_empty() {
                "none".to_string()
            } else {
                faults.join("; ")
            },
        ),
    ];
    rows.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}

/// The message charts: messages per node, bytes per node (when the protocol sizes its
/// messages) and drops by reason (when there are drops).
fn push_message_charts(report: &mut Report, stats: &TraceStats) -> Result<(), ReportError> {
    let categories: Vec<String> = stats.nodes.iter().map(|(n, _)| n.clone()).collect();
    let group = |name: &str, f: fn(&NodeCounts) -> u64| BarGroup {
        name: name.to_string(),
        values: stats.nodes.iter().map(|(_, c)| f(c) as f64).collect(),
    };
    let per_node = Chart::Bar(BarChart {
        title: "Messages per node".to_string(),
        x_label: "node".to_string(),
        y_label: "messages".to_string(),
        categories,
        groups: vec![
            group("sent", |c| c.sent),
            group("received", |c| c.received),
            group("dropped (as sender)", |c| c.dropped),
        ],
        legend: LegendPosition::UpperRight,
    });
    report.figures.push(Figure::chart(
        "Messages sent, received and dropped per node.",
        &per_node,
        CHART,
        ImageFormat::Svg,
    )?);
    if stats.bytes_sent() > 0 {
        let bytes = sent_per_node(stats, "Bytes sent per node", "KiB sent", |c| {
            c.bytes_sent as f64 / 1024.0
        });
        report.figures.push(Figure::chart(
            "Bytes each node sent, as the protocol sizes its messages: where the bandwidth goes.",
            &bytes,
            CHART,
            ImageFormat::Svg,
        )?);
    }
    if !stats.drops_by_reason.is_empty() {
        let by_reason = Chart::Bar(BarChart {
            title: "Dropped messages by reason".to_string(),
            x_label: "reason".to_string(),
            y_label: "messages".to_string(),
            categories: stats.drops_by_reason.keys().cloned().collect(),
            groups: vec![BarGroup {
                name: "dropped".to_string(),
                values: stats.drops_by_reason.values().map(|&n| n as f64).collect(),
            }],
            legend: LegendPosition::UpperRight,
        });
        report.figures.push(Figure::chart(
            "Why messages were lost: random loss, partitions, crashed receivers.",
            &by_reason,
            CHART,
            ImageFormat::Svg,
        )?);
    }
    Ok(())
}

/// Every file of a run's report directory, as (file name, contents): `report.html` (summary,
/// charts, space-time diagram, then `figures` and `pages` from the caller), `spacetime.svg` and `spacetime.html`, `messages.png` (messages
/// sent per node), `trace.chrome.json` (open in Perfetto) and `trace.shiviz.log` (for ShiViz).
pub fn run_artifacts(
    title: &str,
    summary: &[(String, String)],
    events: &[TraceEvent],
    diagram: &SpaceTimeOptions,
    figures: Vec<Figure>,
    pages: Vec<Page>,
) -> Result<Vec<(&'static str, Vec<u8>)>, ReportError> {
    let mut report = run_report(title, summary, events, diagram)?;
    report.figures.extend(figures);
    report.pages.extend(pages);
    let shiviz = crate::export::to_shiviz(events, SHIVIZ_MAX_CLOCK_ENTRIES)?;
    if shiviz.events < events.len() {
        report.summary.push((
            "ShiViz log".to_string(),
            format!(
                "the first {} of {} events (the whole run would need more than {SHIVIZ_MAX_CLOCK_ENTRIES} vector-clock entries)",
                shiviz.events,
                events.len()
            ),
        ));
    }
    let stats = TraceStats::of(events);
    let sent = sent_per_node(&stats, "Messages sent per node", "messages", |c| {
        c.sent as f64
    });
    Ok(vec![
        ("report.html", report.to_html()?.into_bytes()),
        (
            "spacetime.svg",
            spacetime::render_svg(events, diagram)?.svg.into_bytes(),
        ),
        (
            "spacetime.html",
            spacetime::render_html(events, diagram)?.into_bytes(),
        ),
        ("messages.png", sent.to_png(Size::new(720, 400))?),
        (
            "trace.chrome.json",
            crate::export::to_chrome_trace(events)?.into_bytes(),
        ),
        ("trace.shiviz.log", shiviz.text.into_bytes()),
    ])
}

/// A bar per node of what it sent, measured by `value`.
fn sent_per_node(
    stats: &TraceStats,
    title: &str,
    y_label: &str,
    value: fn(&NodeCounts) -> f64,
) -> Chart {
    Chart::Bar(BarChart {
        title: title.to_string(),
        x_label: "node".to_string(),
        y_label: y_label.to_string(),
        categories: stats.nodes.iter().map(|(n, _)| n.clone()).collect(),
        groups: vec![BarGroup {
            name: "sent".to_string(),
            values: stats.nodes.iter().map(|(_, c)| value(c)).collect(),
        }],
        legend: LegendPosition::UpperRight,
    })
}
