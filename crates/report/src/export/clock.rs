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
    let mut clocks: BTreeMap<String, VectorClock> = BTreeMap::new();
    let mut sent: BTreeMap<u64, VectorClock> = BTreeMap::new();
    let mut out = Vec::with_capacity(events.len());
    for e in events {
        let host = e.node.clone().unwrap_or_else(|| NETWORK_HOST.to_string());
        let clock = clocks.entry(host.clone()).or_default();
        if e.kind == EventKind::Deliver {
            let msg = e.msg.unwrap_or_default();
            let send = sent.get(&msg).ok_or_else(|| {
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
        *clock.entry(host.clone()).or_default() += 1;
        if e.kind == EventKind::Send {
            if let Some(msg) = e.msg {
                sent.insert(msg, clock.clone());
            }
        }
        out.push((host, clock.clone()));
    }
    Ok(out)
}
