//! Vector clocks computed from a trace's send/deliver pairs.

use crate::trace::{EventKind, TraceEvent};
use crate::ReportError;
use std::collections::BTreeMap;

/// A vector clock: host name to the number of that host's events known to have happened before.
pub type VectorClock = BTreeMap<String, u64>;

/// The host that owns network-wide events (partitions, cuts, heals), which name no node.
pub const NETWORK_HOST: &str = "network";

/// The host and vector clock of every event, in trace order. Each event increments its host's
/// own entry by one; a delivery first merges (entry-wise maximum) the clock of its send, so it
/// dominates it. Errors if a delivery's message was never sent.
pub fn vector_clocks(events: &[TraceEvent]) -> Result<Vec<(String, VectorClock)>, ReportError> {
    let mut tracker = ClockTracker::new(events);
    events
        .iter()
        .map(|e| {
            let (host, clock) = tracker.advance(e)?;
            Ok((host.to_string(), clock.clone()))
        })
        .collect()
}

/// Computes vector clocks one event at a time, keeping only what later events need: each
/// host's current clock, and the clock of each message still to be delivered or dropped.
pub struct ClockTracker {
    clocks: BTreeMap<String, VectorClock>,
    /// Clock at send of each message with outcomes (deliveries, drops) still to come.
    sent: BTreeMap<u64, VectorClock>,
    /// Outcomes still to come per message id.
    outcomes: BTreeMap<u64, usize>,
}

impl ClockTracker {
    /// A tracker for `events` (it counts each message's deliveries and drops up front, to
    /// forget a send's clock after its last one).
    pub fn new(events: &[TraceEvent]) -> Self {
        let mut outcomes: BTreeMap<u64, usize> = BTreeMap::new();
        for e in events {
            if matches!(e.kind, EventKind::Deliver | EventKind::Drop) {
                if let Some(msg) = e.msg {
                    *outcomes.entry(msg).or_default() += 1;
                }
            }
        }
        ClockTracker {
            clocks: BTreeMap::new(),
            sent: BTreeMap::new(),
            outcomes,
        }
    }

    /// The host and vector clock of `e`, the next event of the trace.
    pub fn advance(&mut self, e: &TraceEvent) -> Result<(&str, &VectorClock), ReportError> {
        let host = e.node.clone().unwrap_or_else(|| NETWORK_HOST.to_string());
        let msg = e.msg.unwrap_or_default();
        let last_outcome = matches!(e.kind, EventKind::Deliver | EventKind::Drop)
            && e.msg.is_some()
            && self.outcomes.get_mut(&msg).is_some_and(|left| {
                *left -= 1;
                *left == 0
            });
        let clock = self.clocks.entry(host.clone()).or_default();
        if e.kind == EventKind::Deliver {
            let send = self.sent.get(&msg).ok_or_else(|| {
                ReportError::input(format!(
                    "message {msg} delivered at {} ns but never sent",
                    e.t_ns
                ))
            })?;
            for (h, &n) in send {
                let mine = clock.entry(h.clone()).or_default();
                *mine = (*mine).max(n);
            }
        }
        if last_outcome {
            self.sent.remove(&msg);
        }
        *clock.entry(host.clone()).or_default() += 1;
        if e.kind == EventKind::Send && e.msg.is_some() && self.outcomes.contains_key(&msg) {
            self.sent.insert(msg, clock.clone());
        }
        let (host, clock) = self.clocks.get_key_value(&host).expect("inserted above");
        Ok((host.as_str(), clock))
    }
}
