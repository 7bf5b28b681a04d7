//! Faults aimed at the leader: resolved when they fire to whichever server leads then, and
//! turned into kernel faults (with their repair) at that moment. The choice depends only on the
//! simulated state, so a run replays exactly.

use super::actor::Actor;
use super::watch::current_leader;
use crate::scenario::{node, rate_ppm, LeaderFault, Scenario};
use faultline_sim::{Fault, NodeId, Simulation, Time, PPM_ONE};
use std::collections::VecDeque;

/// The scenario's leader faults still to fire, in time order.
pub struct AimedFaults {
    pending: VecDeque<(Time, LeaderFault)>,
}

impl AimedFaults {
    /// The leader faults of `scenario`, in time order (file order among equal times).
    pub fn new(scenario: &Scenario) -> Self {
        let mut pending: Vec<(Time, LeaderFault)> = scenario
            .faults
            .iter()
            .filter_map(|f| Some((Time::from_nanos(f.at.nanos()), f.leader.clone()?)))
            .collect();
        pending.sort_by_key(|(at, _)| *at);
        AimedFaults {
            pending: pending.into(),
        }
    }

    /// Fires every fault due at or before `next` (the time of the next event): finds the leader
    /// among servers `0..servers` and schedules the fault and its repair on it. A fault that
    /// finds no leader does nothing.
    pub fn fire_due(&mut self, sim: &mut Simulation<Actor>, servers: u32, next: Time) {
        while self.pending.front().is_some_and(|(at, _)| *at <= next) {
            let Some((at, fault)) = self.pending.pop_front() else {
                return;
            };
            if let Some(leader) = current_leader(sim, servers) {
                schedule(sim, servers, leader, at, &fault);
            }
        }
    }
}

/// Schedules `fault` on `leader` at `at`, and its repair after the fault's duration.
fn schedule(
    sim: &mut Simulation<Actor>,
    servers: u32,
    leader: NodeId,
    at: Time,
    fault: &LeaderFault,
) {
    let until = Time::from_nanos(at.as_nanos() + fault.duration().nanos());
    if fault.crash.is_some() {
        sim.schedule_fault(at, Fault::Crash(leader));
        sim.schedule_fault(until, Fault::Restart(leader));
        return;
    }
    let others: Vec<NodeId> = (1..=servers).map(node).filter(|n| *n != leader).collect();
    sim.schedule_fault(at, Fault::Partition(vec![vec![leader], others]));
    if let Some(rate) = fault.clock {
        let rate_ppm = rate_ppm(rate);
        sim.schedule_fault(
            at,
            Fault::ClockRate {
                node: leader,
                rate_ppm,
            },
        );
        sim.schedule_fault(
            until,
            Fault::ClockRate {
                node: leader,
                rate_ppm: PPM_ONE,
            },
        );
    }
    sim.schedule_fault(until, Fault::Heal);
}
