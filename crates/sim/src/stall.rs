//! The guards against a runaway run, which would otherwise hang or exhaust memory:
//!
//! - **Time standing still** (a livelock): a process that keeps scheduling work for the instant
//!   it is in (a zero-delay timer re-armed as it fires, two nodes answering each other over
//!   zero-latency links) never lets virtual time advance. The kernel counts the events that
//!   run at one instant, up to [`INSTANT_EVENTS_BASE`] plus [`INSTANT_EVENTS_PER_NODE`] per node.
//! - **A backlog without bound** (a message storm: each message answered by two): the events
//!   waiting in the queue grow until memory runs out. The kernel caps them at
//!   [`BACKLOG_BASE`] plus [`BACKLOG_PER_NODE`] per node.
//!
//! Past either limit the kernel hands out no more events and [`crate::Simulation::stall`] says
//! what happened and when. The limits are generous, so no run that ends is cut short (a
//! 10^6-node gossip run, its million first timers queued at once, stays under its 17 million). A test or a
//! tool may set its own with [`crate::Simulation::set_instant_limit`] and
//! [`crate::Simulation::set_backlog_limit`].

use crate::Time;

/// Events any one instant may hold before the run counts as stalled, before the per-node
/// share.
pub const INSTANT_EVENTS_BASE: u64 = 10_000_000;

/// Events each node adds to the limit of one instant.
pub const INSTANT_EVENTS_PER_NODE: u64 = 64;

/// Events that may wait in the queue at once, before the per-node share.
pub const BACKLOG_BASE: u64 = 1 << 20;

/// Queued events each node adds to the backlog's limit.
pub const BACKLOG_PER_NODE: u64 = 16;

/// Why a run stopped before its end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stall {
    /// Virtual time stood still: `events` events ran at `time`, the instant's limit.
    TimeStoodStill {
        /// The instant that never ended.
        time: Time,
        /// The events that ran at it before the kernel stopped.
        events: u64,
        /// The limit in force (`events` reached it).
        limit: u64,
    },
    /// Work grew faster than it was done: `pending` events waited in the queue at `time`.
    Backlog {
        /// When the queue reached its limit.
        time: Time,
        /// The events waiting then.
        pending: u64,
        /// The limit in force (`pending` reached it).
        limit: u64,
    },
}

impl Stall {
    /// When the run stopped.
    pub fn time(&self) -> Time {
        match *self {
            Stall::TimeStoodStill { time, .. } | Stall::Backlog { time, .. } => time,
        }
    }
}

/// One of the guard's limits: `base` plus `per_node` for each node, unless the caller fixed it.
#[derive(Clone, Copy, Debug)]
struct Limit {
    base: u64,
    per_node: u64,
    fixed: Option<u64>,
}

impl Limit {
    const fn new(base: u64, per_node: u64) -> Self {
        Limit {
            base,
            per_node,
            fixed: None,
        }
    }

    /// A count below this is under the limit whatever the node count (a cheap first test).
    #[inline]
    fn floor(&self) -> u64 {
        self.fixed.unwrap_or(self.base)
    }

    /// The limit for a run of `nodes` nodes, when `count` reached it.
    fn reached(&self, count: u64, nodes: usize) -> Option<u64> {
        let limit = self.fixed.unwrap_or_else(|| {
            self.base
                .saturating_add(self.per_node.saturating_mul(nodes as u64))
        });
        (count >= limit).then_some(limit)
    }
}

/// Watches the events of the current instant and the queue's length.
#[derive(Clone, Debug)]
pub(crate) struct RunawayGuard {
    time: Time,
    events: u64,
    instant: Limit,
    backlog: Limit,
    stall: Option<Stall>,
}

impl Default for RunawayGuard {
    fn default() -> Self {
        RunawayGuard {
            time: Time::ZERO,
            events: 0,
            instant: Limit::new(INSTANT_EVENTS_BASE, INSTANT_EVENTS_PER_NODE),
            backlog: Limit::new(BACKLOG_BASE, BACKLOG_PER_NODE),
            stall: None,
        }
    }
}

impl RunawayGuard {
    /// Counts one event at `time` in a run of `nodes` nodes, with `pending` events still
    /// queued; the run stalls when the instant's events or the queue reach their limit.
    #[inline]
    pub(crate) fn count(&mut self, time: Time, nodes: usize, pending: usize) {
        let pending = pending as u64;
        if pending >= self.backlog.floor() {
            if let Some(limit) = self.backlog.reached(pending, nodes) {
                self.stall.get_or_insert(Stall::Backlog {
                    time,
                    pending,
                    limit,
                });
            }
        }
        if time != self.time {
            self.time = time;
            self.events = 1;
            return;
        }
        self.events += 1;
        if self.events >= self.instant.floor() {
            if let Some(limit) = self.instant.reached(self.events, nodes) {
                self.stall.get_or_insert(Stall::TimeStoodStill {
                    time,
                    events: self.events,
                    limit,
                });
            }
        }
    }

    /// Sets the instant's limit (at least 1), whatever the node count.
    pub(crate) fn set_instant_limit(&mut self, events: u64) {
        self.instant.fixed = Some(events.max(1));
    }

    /// Sets the backlog's limit (at least 1), whatever the node count.
    pub(crate) fn set_backlog_limit(&mut self, pending: u64) {
        self.backlog.fixed = Some(pending.max(1));
    }

    /// Why the run stopped, once it did.
    pub(crate) fn stall(&self) -> Option<Stall> {
        self.stall
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(ms: u64) -> Time {
        Time::from_nanos(ms * 1_000_000)
    }

    #[test]
    fn an_instant_stalls_at_its_limit_and_time_moving_on_resets_the_count() {
        let mut guard = RunawayGuard::default();
        guard.set_instant_limit(3);
        for t in [1, 1, 2, 2, 3, 3] {
            guard.count(at(t), 5, 0);
        }
        assert_eq!(guard.stall(), None);
        guard.count(at(3), 5, 0);
        let stall = Stall::TimeStoodStill {
            time: at(3),
            events: 3,
            limit: 3,
        };
        assert_eq!(guard.stall(), Some(stall));
    }

    #[test]
    fn a_backlog_stalls_at_its_limit() {
        let mut guard = RunawayGuard::default();
        guard.set_backlog_limit(100);
        guard.count(at(1), 5, 99);
        assert_eq!(guard.stall(), None);
        guard.count(at(2), 5, 100);
        let stall = Stall::Backlog {
            time: at(2),
            pending: 100,
            limit: 100,
        };
        assert_eq!(guard.stall(), Some(stall));
        assert_eq!(guard.stall().unwrap().time(), at(2));
    }

    #[test]
    fn the_default_limits_grow_with_the_nodes() {
        let mut guard = RunawayGuard::default();
        let backlog = BACKLOG_BASE + 1000 * BACKLOG_PER_NODE;
        guard.count(at(1), 1000, backlog as usize - 1);
        assert_eq!(guard.stall(), None);
        guard.count(at(1), 1000, backlog as usize);
        assert!(matches!(guard.stall(), Some(Stall::Backlog { limit, .. }) if limit == backlog));
        let instant = INSTANT_EVENTS_BASE + 1000 * INSTANT_EVENTS_PER_NODE;
        assert_eq!(guard.instant.reached(instant - 1, 1000), None);
        assert_eq!(guard.instant.reached(instant, 1000), Some(instant));
    }
}
