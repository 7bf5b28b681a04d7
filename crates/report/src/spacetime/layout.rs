//! Where everything goes: the selected events, lane x positions and the time-to-y mapping.

use super::{SpaceTimeOptions, TimeScale};
use crate::trace::{nodes, EventKind, TraceEvent};
use crate::ReportError;
use std::collections::BTreeMap;

/// Pixels between lane centres.
pub(crate) const LANE_W: f64 = 130.0;
/// Left margin holding the time labels.
pub(crate) const LEFT: f64 = 100.0;
/// Top margin holding the title and lane names.
pub(crate) const TOP: f64 = 70.0;
/// Height of one row in the ordinal scale.
pub(crate) const ROW_H: f64 = 22.0;
/// Space below the last row, where arrows leaving the window end.
pub(crate) const BOTTOM: f64 = 40.0;

/// The geometry of one diagram.
pub(crate) struct Layout {
    /// Lane names, left to right.
    pub lanes: Vec<String>,
    /// Indexes (into the trace) of the events drawn, in trace order.
    pub selected: Vec<usize>,
    /// Distinct times of the selected events, ascending.
    times: Vec<u64>,
    scale: TimeScale,
    /// Height of the area between the top margin and the bottom margin.
    body_h: f64,
}

impl Layout {
    pub fn new(events: &[TraceEvent], o: &SpaceTimeOptions) -> Result<Self, ReportError> {
        if let (Some(from), Some(to)) = (o.from_ns, o.to_ns) {
            if from > to {
                return Err(ReportError::input(format!(
                    "time window {from}..{to} is empty"
                )));
            }
        }
        let selected: Vec<usize> = events
            .iter()
            .enumerate()
            .filter(|(_, e)| {
                o.from_ns.is_none_or(|t| e.t_ns >= t) && o.to_ns.is_none_or(|t| e.t_ns <= t)
            })
            .filter(|(_, e)| o.timers || e.kind != EventKind::Timer)
            .map(|(i, _)| i)
            .take(o.max_events.unwrap_or(usize::MAX))
            .collect();
        if selected.is_empty() {
            return Err(ReportError::input("no trace events in the selected window"));
        }
        let mut times: Vec<u64> = selected.iter().map(|&i| events[i].t_ns).collect();
        times.dedup();
        let body_h = (times.len() as f64 * ROW_H).max(ROW_H * 8.0);
        Ok(Self {
            lanes: nodes(events),
            selected,
            times,
            scale: o.scale,
            body_h,
        })
    }

    /// Total SVG width.
    pub fn width(&self) -> f64 {
        LEFT + self.lanes.len() as f64 * LANE_W + 20.0
    }

    /// Total SVG height.
    pub fn height(&self) -> f64 {
        TOP + self.body_h + BOTTOM
    }

    /// The y where arrows entering from before the window start.
    pub fn top_edge(&self) -> f64 {
        TOP - 4.0
    }

    /// The y where arrows leaving after the window end.
    pub fn bottom_edge(&self) -> f64 {
        TOP + self.body_h + BOTTOM / 2.0
    }

    /// First and last selected time.
    pub fn span_ns(&self) -> (u64, u64) {
        (self.times[0], self.times[self.times.len() - 1])
    }

    /// Distinct selected times with their y, for axis labels.
    pub fn rows(&self) -> impl Iterator<Item = (u64, f64)> + '_ {
        self.times.iter().map(|&t| (t, self.y(t)))
    }

    /// Lane centre of `node`.
    pub fn x(&self, node: &str) -> Option<f64> {
        self.lanes
            .iter()
            .position(|n| n == node)
            .map(|i| LEFT + LANE_W * (i as f64 + 0.5))
    }

    /// The y of time `t`: clamped to the edges outside the selection; between two rows in the
    /// ordinal scale when `t` has no row of its own.
    pub fn y(&self, t: u64) -> f64 {
        let (first, last) = self.span_ns();
        if t < first {
            return self.top_edge();
        }
        if t > last {
            return self.bottom_edge();
        }
        match self.scale {
            TimeScale::Ordinal => {
                let row = self.times.partition_point(|&r| r < t);
                let centre = TOP + ROW_H * (row as f64 + 0.5);
                if self.times[row] == t {
                    centre
                } else {
                    centre - ROW_H / 2.0
                }
            }
            TimeScale::Linear => {
                let span = (last - first).max(1) as f64;
                TOP + ROW_H / 2.0 + (self.body_h - ROW_H) * (t - first) as f64 / span
            }
        }
    }

    /// Whether trace event `i` is drawn.
    pub fn contains(&self, i: usize) -> bool {
        self.selected.binary_search(&i).is_ok()
    }
}

/// Where each message was sent: message id to the index of its send event.
pub(crate) fn send_index(events: &[TraceEvent]) -> BTreeMap<u64, usize> {
    events
        .iter()
        .enumerate()
        .filter(|(_, e)| e.kind == EventKind::Send)
        .filter_map(|(i, e)| e.msg.map(|m| (m, i)))
        .collect()
}
