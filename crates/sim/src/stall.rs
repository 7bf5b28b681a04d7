//! The guard against a livelock: a process that keeps scheduling work for the instant it is
//! in (a zero-delay timer re-armed as it fires, two nodes answering each other over
//! zero-latency links) never lets virtual time advance, and a run would never end. The kernel
//! counts the events that run at one instant; past a limit it stops handing out events, and
//! [`crate::Simulation::stall`] says where time stood still.
//!
//! The limit is generous, so no run that ends is cut short: [`INSTANT_EVENTS_BASE`] plus
//! [`INSTANT_EVENTS_PER_NODE`] for each node (a start, a timer and a burst of zero-latency
//! deliveries per node at one instant stay far below it). A test or a tool may set its own
//! with [`crate::Simulation::set_instant_limit`].

use crate::Time;

/// Events any one instant may hold before the run counts as stalled, before the per-node
/// share.
pub const INSTANT_EVENTS_BASE: u64 = 10_000_000;

/// Events each node adds to the limit of one instant.
pub const INSTANT_EVENTS_PER_NODE: u64 = 64;

/// Where virtual time stood still: the run stopped after `events` events at `time`, the
/// instant's limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stall {
    /// The instant that never ended.
    pub time: Time,
    /// The events that ran at it before the kernel stopped.
    pub events: u64,
    /// The limit in force (`events` reached it).
    pub limit: u64,
}

/// Counts the events of the current instant.
#[derive(Clone, Debug, Default)]
pub(crate) struct InstantGuard {
    time: Time,
    events: u64,
    /// A limit set by the caller, instead of the default for the node count.
    fixed_limit: Option<u64>,
    stall: Option<Stall>,
}

impl InstantGuard {
    /// Counts one event at `time` in a run of `nodes` nodes; the instant stalls when its
    /// events reach the limit.
    #[inline]
    pub(crate) fn count(&mut self, time: Time, nodes: usize) {
        if time != self.time {
            self.time = time;
            self.events = 1;
            return;
        }
        self.events += 1;
        if self.events < self.fixed_limit.unwrap_or(INSTANT_EVENTS_BASE) {
            return;
        }
        let limit = self.limit(nodes);
        if self.events >= limit {
            self.stall = Some(Stall {
                time,
                events: self.events,
                limit,
            });
        }
    }

    /// The limit for a run of `nodes` nodes.
    fn limit(&self, nodes: usize) -> u64 {
        self.fixed_limit.unwrap_or_else(|| {
            INSTANT_EVENTS_BASE.saturating_add(INSTANT_EVENTS_PER_NODE.saturating_mul(nodes as u64))
        })
    }

    /// Sets the limit (at least 1), whatever the node count.
    pub(crate) fn set_limit(&mut self, events: u64) {
        self.fixed_limit = Some(events.max(1));
    }

    /// The stall, once an instant reached its limit.
    pub(crate) fn stall(&self) -> Option<Stall> {
        self.stall
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_instant_stalls_at_its_limit_and_time_moving_on_resets_the_count() {
        let mut guard = InstantGuard::default();
        guard.set_limit(3);
        let at = |ms: u64| Time::from_nanos(ms * 1_000_000);
        for t in [1, 1, 2, 2, 3, 3] {
            guard.count(at(t), 5);
        }
        assert_eq!(guard.stall(), None);
        guard.count(at(3), 5);
        let stall = guard.stall().expect("three events at 3 ms");
        assert_eq!((stall.time, stall.events, stall.limit), (at(3), 3, 3));
    }

    #[test]
    fn the_default_limit_grows_with_the_nodes() {
        let guard = InstantGuard::default();
        assert_eq!(guard.limit(0), INSTANT_EVENTS_BASE);
        assert_eq!(
            guard.limit(1000),
            INSTANT_EVENTS_BASE + 1000 * INSTANT_EVENTS_PER_NODE
        );
    }
}
