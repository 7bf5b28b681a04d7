//! Faults aimed at a server picked during the run: whichever server leads when the fault fires,
//! the next server to win an election, or each server that grants a vote, hit at that very step. Each is turned
//! into kernel faults (with their repair) at that moment. The choice depends only on the
//! simulated state, so a run replays exactly.

use super::actor::Actor;
use super::watch::{current_leader, Watch};
use crate::scenario::{node, rate_ppm, Aim, AimedFault, Scenario};
use faultline_sim::{Fault, NodeId, Simulation, Time, PPM_ONE};
use std::collections::VecDeque;

/// A fault waiting for an election or a vote, until it lapses.
struct Armed {
    aim: Aim,
    fault: AimedFault,
    lapses_at: Time,
}

/// The scenario's aimed faults still to fire.
pub struct AimedFaults {
    /// Not yet due, in time order.
    pending: VecDeque<(Time, Aim, AimedFault)>,
    /// Due, waiting for their moment, in the order they became due.
    armed: Vec<Armed>,
}

impl AimedFaults {
    /// The scenario's aimed faults, in time order (file order among equal times).
    pub fn new(scenario: &Scenario) -> Self {
        let mut pending: Vec<(Time, Aim, AimedFault)> = scenario
            .faults
            .iter()
            .filter_map(|f| {
                let (aim, fault) = f.aimed()?;
                Some((Time::from_nanos(f.at.nanos()), aim, fault.clone()))
            })
            .collect();
        pending.sort_by_key(|(at, _, _)| *at);
        AimedFaults {
            pending: pending.into(),
            armed: Vec::new(),
        }
    }

    /// Fires every leader fault due at or before `next` (the time of the next event) on the
    /// server that leads among `0..servers` (nothing happens while none does), and arms the
    /// faults that wait for an election or a vote.
    pub fn fire_due(&mut self, sim: &mut Simulation<Actor>, servers: u32, next: Time) {
        while self.pending.front().is_some_and(|(at, _, _)| *at <= next) {
            let Some((at, aim, fault)) = self.pending.pop_front() else {
                return;
            };
            if aim != Aim::Leader {
                let within = fault.within.unwrap_or_default().nanos();
                self.armed.push(Armed {
                    aim,
                    lapses_at: Time::from_nanos(at.as_nanos() + within),
                    fault,
                });
            } else if let Some(leader) = current_leader(sim, servers) {
                schedule(sim, servers, leader, at, &fault);
            }
        }
    }

    /// After a step at `now`, on the server the step concerned: if it won an election, fires
    /// (and disarms) the first armed `new_leader` fault; if it granted a vote, fires the first
    /// armed `voter` fault, which stays armed for later grants. Drops faults that lapsed.
    pub fn after_step(
        &mut self,
        sim: &mut Simulation<Actor>,
        servers: u32,
        watch: &Watch,
        now: Time,
    ) {
        self.armed.retain(|armed| armed.lapses_at >= now);
        for (aim, server) in [
            (Aim::NewLeader, watch.elected_now),
            (Aim::Voter, watch.voted_now),
        ] {
            let Some(server) = server else { continue };
            if aim == Aim::Voter {
                // Every grant in the window is a crash point, one server down at a time.
                let others_up = (0..servers)
                    .map(NodeId::new)
                    .filter(|n| *n != server)
                    .all(|n| sim.is_up(n));
                if others_up {
                    if let Some(armed) = self.armed.iter().find(|armed| armed.aim == aim) {
                        let fault = armed.fault.clone();
                        schedule(sim, servers, server, now, &fault);
                    }
                }
                continue;
            }
            if let Some(i) = self.armed.iter().position(|armed| armed.aim == aim) {
                let armed = self.armed.remove(i);
                schedule(sim, servers, server, now, &armed.fault);
            }
        }
    }
}

/// Schedules `fault` on `target` at `at`, and its repair after the fault's duration.
fn schedule(
    sim: &mut Simulation<Actor>,
    servers: u32,
    target: NodeId,
    at: Time,
    fault: &AimedFault,
) {
    let until = Time::from_nanos(at.as_nanos() + fault.duration().nanos());
    if fault.crash.is_some() {
        sim.schedule_fault(at, Fault::Crash(target));
        sim.schedule_fault(until, Fault::Restart(target));
        return;
    }
    if fault.pause.is_some() {
        sim.schedule_fault(at, Fault::Pause(target));
        sim.schedule_fault(until, Fault::Resume(target));
        return;
    }
    let others: Vec<NodeId> = (1..=servers).map(node).filter(|n| *n != target).collect();
    sim.schedule_fault(at, Fault::Partition(vec![vec![target], others]));
    if let Some(rate) = fault.clock {
        let rate_ppm = rate_ppm(rate);
        sim.schedule_fault(
            at,
            Fault::ClockRate {
                node: target,
                rate_ppm,
            },
        );
        sim.schedule_fault(
            until,
            Fault::ClockRate {
                node: target,
                rate_ppm: PPM_ONE,
            },
        );
    }
    sim.schedule_fault(until, Fault::Heal);
}
