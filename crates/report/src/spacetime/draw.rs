//! The diagram's SVG, written directly: plain elements with CSS classes and `<title>` tooltips.

use super::layout::{send_index, Layout, LANE_W, LEFT, ROW_H, TOP};
use super::SpaceTimeOptions;
use crate::encode::escape;
use crate::trace::{describe, format_ms, EventKind, TraceEvent};
use crate::ReportError;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

const STYLE: &str = "\
text{font-family:sans-serif;font-size:12px;fill:#222}\
.title{font-size:16px;font-weight:bold}\
.lane-name{font-size:14px;font-weight:bold;text-anchor:middle}\
.time{font-size:10px;fill:#666;text-anchor:end}\
.lane{stroke:#bbb;stroke-width:1.5}\
.down{stroke:#fff;stroke-width:4}\
.down-dash{stroke:#d62728;stroke-width:1.5;stroke-dasharray:3 4}\
.window{fill:#ffeb3b;opacity:.3}\
.msg{stroke:#555;stroke-width:1.2;fill:none}\
.msg:hover{stroke-width:3}\
.msg.out{stroke-dasharray:5 4}\
.msg.lost{stroke:#d62728}\
.msg.hl{stroke:#ff7f0e;stroke-width:3}\
.cross{stroke:#d62728;stroke-width:2}\
.send{fill:#333}.deliver{fill:#1f77b4}.timer{fill:#aaa}.start{fill:#2ca02c}\
.dup{fill:none;stroke:#9467bd;stroke-width:2}\
.crash{stroke:#d62728;stroke-width:3}\
.fault{fill:#ff7f0e}\
.fault-label{font-size:11px;fill:#b22222}\
.netfault{stroke:#d62728;stroke-width:1.5;stroke-dasharray:8 4}\
.netfault.heal{stroke:#2ca02c}";

const DEFS: &str = "<defs>\
<marker id=\"st-arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"#555\"/></marker>\
<marker id=\"st-arrow-hl\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"5\" markerHeight=\"5\" orient=\"auto\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"#ff7f0e\"/></marker>\
</defs>";

/// Appends an element with `attrs`, a tooltip `title` if any, and self-closes it.
fn element(out: &mut String, tag: &str, attrs: &str, title: Option<&str>) {
    match title {
        Some(t) => {
            let _ = writeln!(out, "<{tag} {attrs}><title>{}</title></{tag}>", escape(t));
        }
        None => {
            let _ = writeln!(out, "<{tag} {attrs}/>");
        }
    }
}

fn line(
    out: &mut String,
    class: &str,
    (x1, y1): (f64, f64),
    (x2, y2): (f64, f64),
    extra: &str,
    title: Option<&str>,
) {
    let attrs = format!(
        "class=\"{class}\" x1=\"{x1:.1}\" y1=\"{y1:.1}\" x2=\"{x2:.1}\" y2=\"{y2:.1}\"{extra}"
    );
    element(out, "line", &attrs, title);
}

fn text(out: &mut String, class: &str, (x, y): (f64, f64), body: &str, title: Option<&str>) {
    let _ = write!(
        out,
        "<text class=\"{class}\" x=\"{x:.1}\" y=\"{y:.1}\">{}",
        escape(body)
    );
    if let Some(t) = title {
        let _ = write!(out, "<title>{}</title>", escape(t));
    }
    out.push_str("</text>\n");
}

fn cross(out: &mut String, class: &str, (x, y): (f64, f64), r: f64, title: &str) {
    let d = format!(
        "M{:.1},{:.1} L{:.1},{:.1} M{:.1},{:.1} L{:.1},{:.1}",
        x - r,
        y - r,
        x + r,
        y + r,
        x - r,
        y + r,
        x + r,
        y - r
    );
    element(
        out,
        "path",
        &format!("class=\"{class}\" d=\"{d}\""),
        Some(title),
    );
}

/// The diagram of `layout.selected` as an SVG document.
pub(crate) fn svg(
    events: &[TraceEvent],
    layout: &Layout,
    o: &SpaceTimeOptions,
) -> Result<String, ReportError> {
    let (w, h) = (layout.width(), layout.height());
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w:.0}\" height=\"{h:.0}\" viewBox=\"0 0 {w:.0} {h:.0}\">\n<style>{STYLE}</style>\n{DEFS}\n"
    );
    element(
        &mut out,
        "rect",
        &format!("x=\"0\" y=\"0\" width=\"{w:.0}\" height=\"{h:.0}\" fill=\"#fff\""),
        None,
    );
    text(&mut out, "title", (10.0, 24.0), &o.title, None);
    let right = LEFT + layout.lanes.len() as f64 * LANE_W;

    if let Some((a, b)) = o.highlight_window {
        let (y0, y1) = (layout.y(a) - ROW_H / 2.0, layout.y(b) + ROW_H / 2.0);
        let title = format!("highlighted window {} – {}", format_ms(a), format_ms(b));
        element(
            &mut out,
            "rect",
            &format!(
                "class=\"window\" x=\"{LEFT:.1}\" y=\"{y0:.1}\" width=\"{:.1}\" height=\"{:.1}\"",
                right - LEFT,
                (y1 - y0).max(2.0)
            ),
            Some(&title),
        );
    }
    lanes(&mut out, events, layout);
    time_labels(&mut out, layout);
    messages(&mut out, events, layout, o)?;
    marks(&mut out, events, layout, right);
    out.push_str("</svg>\n");
    Ok(out)
}

/// Lane names and lines, dashed red while the node is down.
fn lanes(out: &mut String, events: &[TraceEvent], layout: &Layout) {
    let (top, bottom) = (TOP - 8.0, layout.bottom_edge());
    let mut down_since: BTreeMap<&str, u64> = BTreeMap::new();
    let mut down: Vec<(&str, u64, Option<u64>)> = Vec::new();
    for e in events.iter().filter(|e| e.kind == EventKind::Fault) {
        let (Some(node), Some(fault)) = (e.node.as_deref(), e.fault.as_deref()) else {
            continue;
        };
        match fault {
            "crash" => {
                down_since.entry(node).or_insert(e.t_ns);
            }
            "restart" => {
                if let Some(since) = down_since.remove(node) {
                    down.push((node, since, Some(e.t_ns)));
                }
            }
            _ => {}
        }
    }
    down.extend(down_since.into_iter().map(|(n, since)| (n, since, None)));
    for name in &layout.lanes {
        let x = layout.x(name).unwrap_or(LEFT);
        text(out, "lane-name", (x, TOP - 16.0), name, None);
        line(out, "lane", (x, top), (x, bottom), "", None);
    }
    let (first, last) = layout.span_ns();
    for (node, since, until) in down {
        if since > last || until.is_some_and(|u| u < first) {
            continue;
        }
        let x = layout.x(node).unwrap_or(LEFT);
        let y0 = layout.y(since).max(top);
        let y1 = until.map_or(bottom, |u| layout.y(u));
        let title = format!(
            "{node} down {} – {}",
            format_ms(since),
            until.map_or("end".to_string(), format_ms)
        );
        line(out, "down", (x, y0), (x, y1), "", None);
        line(out, "down-dash", (x, y0), (x, y1), "", Some(&title));
    }
}

/// Time labels on the left, skipping those that would overlap.
fn time_labels(out: &mut String, layout: &Layout) {
    let mut last_y = f64::NEG_INFINITY;
    for (t, y) in layout.rows() {
        if y - last_y >= 12.0 {
            text(out, "time", (LEFT - 8.0, y + 3.5), &format_ms(t), None);
            last_y = y;
        }
    }
}

/// What message arrows are drawn from: the events, their layout and the highlights asked for.
struct Arrows<'a> {
    events: &'a [TraceEvent],
    layout: &'a Layout,
    options: &'a SpaceTimeOptions,
    highlighted: BTreeSet<u64>,
}

impl Arrows<'_> {
    /// Whether message `msg`, sent by `send`, is highlighted: by id, or by its send's detail.
    fn is_highlighted(&self, msg: u64, send: &TraceEvent) -> bool {
        self.highlighted.contains(&msg)
            || send.detail.as_deref().is_some_and(|d| {
                self.options
                    .highlight_detail
                    .iter()
                    .any(|h| d.contains(h.as_str()))
            })
    }

    /// The x of a node's lane (the left edge for no node or one outside the layout).
    fn x_of(&self, node: Option<&str>) -> f64 {
        node.and_then(|n| self.layout.x(n)).unwrap_or(LEFT)
    }
}

/// Message arrows: send → deliver, send → cross for drops, dashed to an edge when one end is
/// outside the selection.
fn messages(
    out: &mut String,
    events: &[TraceEvent],
    layout: &Layout,
    o: &SpaceTimeOptions,
) -> Result<(), ReportError> {
    let arrows = Arrows {
        events,
        layout,
        options: o,
        highlighted: o.highlight_msgs.iter().copied().collect(),
    };
    let drawn = outcome_arrows(out, &arrows)?;
    sends_without_drawn_outcome(out, &arrows, &drawn);
    Ok(())
}

/// An arrow for each selected delivery or drop, from its send (or the top edge when the send
/// is outside the selection); returns the messages drawn.
fn outcome_arrows(out: &mut String, arrows: &Arrows) -> Result<BTreeSet<u64>, ReportError> {
    let (events, layout) = (arrows.events, arrows.layout);
    let sends = send_index(events);
    let mut drawn: BTreeSet<u64> = BTreeSet::new();
    for &i in &layout.selected {
        let e = &events[i];
        if !matches!(e.kind, EventKind::Deliver | EventKind::Drop) {
            continue;
        }
        let msg = e.msg.unwrap_or_default();
        let &s = sends.get(&msg).ok_or_else(|| {
            ReportError::input(format!(
                "message {msg} has a {} at {} ns but no send",
                e.kind.as_str(),
                e.t_ns
            ))
        })?;
        let send = &events[s];
        let sx = arrows.x_of(send.node.as_deref());
        let start = if layout.contains(s) {
            (sx, layout.y(send.t_ns))
        } else {
            (sx, layout.top_edge())
        };
        let mut class = String::from("msg");
        if !layout.contains(s) {
            class.push_str(" out");
        }
        let hl = arrows.is_highlighted(msg, send);
        if hl {
            class.push_str(" hl");
        }
        let title = format!("{}\nsent {}", describe(e), format_ms(send.t_ns));
        if e.kind == EventKind::Deliver {
            let end = (arrows.x_of(e.node.as_deref()), layout.y(e.t_ns));
            line(out, &class, start, end, &marker(hl), Some(&title));
        } else {
            let rx = arrows.x_of(e.peer.as_deref());
            let mut y = layout.y(e.t_ns);
            if y <= start.1 {
                y = start.1 + ROW_H * 0.6;
            }
            let end = (sx + (rx - sx) * 0.4, y);
            class.push_str(" lost");
            line(out, &class, start, end, "", Some(&title));
            cross(out, "cross", end, 4.0, &title);
        }
        drawn.insert(msg);
    }
    Ok(drawn)
}

/// A dashed arrow to the bottom edge for each selected send whose delivery or drop was not
/// drawn (it falls outside the selection, or never happened), titled with its fate.
fn sends_without_drawn_outcome(out: &mut String, arrows: &Arrows, drawn: &BTreeSet<u64>) {
    let (events, layout) = (arrows.events, arrows.layout);
    let mut outcomes: BTreeMap<u64, Vec<usize>> = BTreeMap::new();
    for (i, e) in events.iter().enumerate() {
        if matches!(e.kind, EventKind::Deliver | EventKind::Drop) {
            outcomes
                .entry(e.msg.unwrap_or_default())
                .or_default()
                .push(i);
        }
    }
    for &i in &layout.selected {
        let e = &events[i];
        let Some(msg) = e
            .msg
            .filter(|m| e.kind == EventKind::Send && !drawn.contains(m))
        else {
            continue;
        };
        let later = outcomes
            .get(&msg)
            .and_then(|v| v.first())
            .map(|&j| &events[j]);
        let fate = match later {
            Some(l) => format!("{} {}", l.kind.as_str(), format_ms(l.t_ns)),
            None => "still in flight at the end of the trace".to_string(),
        };
        let sx = arrows.x_of(e.node.as_deref());
        let rx = arrows.x_of(e.peer.as_deref());
        let hl = arrows.is_highlighted(msg, e);
        let class = if hl { "msg out hl" } else { "msg out" };
        let title = format!("{}\n{fate} (outside the window)", describe(e));
        line(
            out,
            class,
            (sx, layout.y(e.t_ns)),
            (sx + (rx - sx) * 0.3, layout.bottom_edge()),
            &marker(hl),
            Some(&title),
        );
    }
}

fn marker(highlighted: bool) -> String {
    let id = if highlighted {
        "st-arrow-hl"
    } else {
        "st-arrow"
    };
    format!(" marker-end=\"url(#{id})\"")
}

/// Event marks on the lanes and network-wide fault lines.
fn marks(out: &mut String, events: &[TraceEvent], layout: &Layout, right: f64) {
    for &i in &layout.selected {
        let e = &events[i];
        let title = describe(e);
        let y = layout.y(e.t_ns);
        let Some(x) = e.node.as_deref().and_then(|n| layout.x(n)) else {
            // A network-wide fault: a line across every lane.
            let class = if e.fault.as_deref() == Some("heal") {
                "netfault heal"
            } else {
                "netfault"
            };
            line(out, class, (LEFT, y), (right, y), "", Some(&title));
            text(
                out,
                "fault-label",
                (LEFT + 4.0, y - 3.0),
                e.fault.as_deref().unwrap_or("fault"),
                Some(&title),
            );
            continue;
        };
        let circle = |out: &mut String, class: &str, r: f64| {
            element(
                out,
                "circle",
                &format!("class=\"{class}\" cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"{r}\""),
                Some(&title),
            );
        };
        match e.kind {
            EventKind::Send => circle(out, "send", 3.0),
            EventKind::Deliver => circle(out, "deliver", 3.5),
            EventKind::Timer => circle(out, "timer", 2.5),
            EventKind::Duplicate => circle(out, "dup", 5.0),
            // Drops are drawn with their message; a disk sync is not drawn.
            EventKind::Drop | EventKind::Sync => {}
            EventKind::Start => element(
                out,
                "rect",
                &format!(
                    "class=\"start\" x=\"{:.1}\" y=\"{:.1}\" width=\"8\" height=\"8\"",
                    x - 4.0,
                    y - 4.0
                ),
                Some(&title),
            ),
            EventKind::Fault => {
                let fault = e.fault.as_deref().unwrap_or("fault");
                if fault == "crash" {
                    cross(out, "crash", (x, y), 7.0, &title);
                } else {
                    circle(out, "fault", 5.0);
                }
                text(out, "fault-label", (x + 9.0, y - 4.0), fault, Some(&title));
            }
        }
    }
}
