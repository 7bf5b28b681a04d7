//! Faults aimed at a server picked during the run: whichever server leads when the fault fires,
//! the next server to win an election, or each server that grants a vote, hit at that very step. Each is turned
//! into kernel faults (with their repair) at that moment. The choice depends only on the
//! simulated state, so a run replays exactly.

use super::actor::Actor;
use super::watch::{current_leader, Watch};
use crate::scenario::{rate_ppm, Aim, AimedEffect, AimedFault, Scenario};
use faultline_sim::{Fault, NodeId, OneWayCut, Simulation, Time, PPM_ONE};
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
    /// (and disarms) the first armed `new_leader` fault; if it started a campaign, the first
    /// armed `candidate` fault; if it granted a vote, fires the first armed `voter` fault,
    /// and if it acknowledged its leader, the first armed `follower` fault, both staying armed
    /// for later moments. Drops faults that lapsed.
    pub fn after_step(
        &mut self,
        sim: &mut Simulation<Actor>,
        servers: u32,
        watch: &Watch,
        now: Time,
    ) {
        self.armed.retain(|armed| armed.lapses_at >= now);
        if self.armed.is_empty() {
            return;
        }
        let once = [
            (Aim::NewLeader, watch.elected_now),
            (Aim::Candidate, watch.campaigned_now),
        ];
        for (aim, target) in once {
            let Some(target) = target else { continue };
            if let Some(i) = self.armed.iter().position(|a| a.aim == aim) {
                let armed = self.armed.remove(i);
                schedule(sim, servers, target, now, &armed.fault);
            }
        }
        let repeated = [
            (Aim::Voter, watch.voted_now),
            (Aim::Follower, watch.acked_now),
        ];
        for (aim, target) in repeated {
            let Some(target) = target else { continue };
            let Some(armed) = self.armed.iter().find(|a| a.aim == aim) else {
                continue;
            };
            // Every moment in the window is a fault point, one server down at a time.
            let others_up = (0..servers)
                .map(NodeId::new)
                .all(|n| n == target || sim.is_up(n));
            if others_up {
                schedule(sim, servers, target, now, &armed.fault);
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
    let (own, others) = match fault.effect() {
        AimedEffect::Crash => {
            sim.schedule_fault(at, Fault::Crash(target));
            sim.schedule_fault(until, Fault::Restart(target));
            return;
        }
        AimedEffect::Pause => {
            sim.schedule_fault(at, Fault::Pause(target));
            sim.schedule_fault(until, Fault::Resume(target));
            return;
        }
        AimedEffect::Bridge => {
            let far = servers_after(target, servers.saturating_sub(1) / 2, servers);
            sim.schedule_fault(at, Fault::Cut(OneWayCut::new(vec![target], far.clone())));
            sim.schedule_fault(at, Fault::Cut(OneWayCut::new(far, vec![target])));
            sim.schedule_fault(until, Fault::Heal);
            return;
        }
        AimedEffect::Split => split_after(
            target,
            (servers / 2).max(1),
            servers,
            &leading(sim, servers),
        ),
        AimedEffect::Isolate => split_after(target, 1, servers, &[]),
    };
    sim.schedule_fault(at, Fault::Partition(vec![own, others]));
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

/// The servers that hold the leader role now, of any term (a leader a candidate is deposing
/// still leads until it hears of the new term).
fn leading(sim: &Simulation<Actor>, servers: u32) -> Vec<NodeId> {
    (0..servers)
        .map(NodeId::new)
        .filter(|n| {
            sim.process(*n)
                .and_then(Actor::server)
                .is_some_and(|s| s.core().role() == faultline_raft::Role::Leader)
        })
        .collect()
}

/// The `count` servers after `target` by id, wrapping round.
fn servers_after(target: NodeId, count: u32, servers: u32) -> Vec<NodeId> {
    let first = target.index() as u32;
    (1..=count)
        .map(|k| NodeId::new((first + k) % servers))
        .collect()
}

/// `target` and the servers after it by id (wrapping round, passing over those in `apart`),
/// `side` in all as far as there are enough; and the others.
fn split_after(
    target: NodeId,
    side: u32,
    servers: u32,
    apart: &[NodeId],
) -> (Vec<NodeId>, Vec<NodeId>) {
    let first = target.index() as u32;
    let own: Vec<NodeId> = (0..servers)
        .map(|k| NodeId::new((first + k) % servers))
        .filter(|n| *n == target || !apart.contains(n))
        .take(side as usize)
        .collect();
    let others = (0..servers)
        .map(NodeId::new)
        .filter(|n| !own.contains(n))
        .collect();
    (own, others)
}

#[cfg(test)]
mod tests {
    use super::split_after;
    use crate::driver::RunOptions;
    use crate::protocols::raft::{simulate, watch::LeaderChange};
    use crate::scenario::{parse, ProtocolSpec};
    use faultline_sim::{NodeId, Time};
    use std::path::Path;

    /// Leadership changes of a 5-server run with `faults` (a JSON array), after 2 s.
    fn leaders_after_two_seconds(faults: &str) -> Vec<LeaderChange> {
        leaders_after_two_seconds_with("", faults)
    }

    /// The same with more Raft settings (`, "pre_vote": false`).
    fn leaders_after_two_seconds_with(settings: &str, faults: &str) -> Vec<LeaderChange> {
        let text = format!(
            r#"{{"version": 1, "name": "t", "seed": 3, "duration": "6s",
              "protocol": {{"raft": {{"election_timeout": ["150ms", "300ms"], "heartbeat": "50ms"{settings}}}}},
              "cluster": {{"nodes": 5}}, "network": {{"latency": ["1ms", "5ms"]}},
              "workload": {{"clients": 2, "ops": 200, "keys": 2, "timeout": "1s", "mix": {{"put": 1.0}}}},
              "faults": {faults}}}"#
        );
        let scenario = parse(&text, Path::new("t.json")).unwrap();
        let ProtocolSpec::Raft(spec) = &scenario.protocol else {
            unreachable!()
        };
        let run = simulate(&scenario, spec, RunOptions::default()).unwrap();
        run.leaders
            .into_iter()
            .filter(|l| l.at >= Time::from_secs(2))
            .collect()
    }

    /// The first server to win after the leader's crash is cut off the moment it wins, so
    /// another server wins a later term while it is still cut off. Without the new-leader
    /// fault the first winner keeps leading.
    #[test]
    fn a_new_leader_fault_cuts_off_the_next_winner_as_it_wins() {
        let crash = r#"{"at": "2s", "leader": {"crash": "3s"}}"#;
        let alone = leaders_after_two_seconds(&format!("[{crash}]"));
        assert_eq!(alone.len(), 1, "one election after the crash: {alone:?}");

        let cut = r#"{"at": "2s", "new_leader": {"isolate": "1s", "within": "2s"}}"#;
        let leaders = leaders_after_two_seconds(&format!("[{crash}, {cut}]"));
        let (first, next) = (leaders[0], leaders[1]);
        assert_ne!(first.id, next.id);
        assert!(next.term > first.term);
        assert!(
            next.at.as_nanos() < first.at.as_nanos() + 1_000_000_000,
            "the next winner took over while the first was cut off: {leaders:?}"
        );
    }

    /// A candidate fault splits the first server to campaign after the leader's crash off
    /// with one other server (half of five, rounded down); the other side holds two live
    /// servers of five, so no side has a quorum and no leader is elected until the heal.
    #[test]
    fn a_candidate_fault_splits_the_next_candidate_off_with_half_the_cluster() {
        let crash = r#"{"at": "2s", "leader": {"crash": "3s"}}"#;
        let alone = leaders_after_two_seconds(&format!("[{crash}]"));
        let split = r#"{"at": "2s", "candidate": {"split": "1s", "within": "2s"}}"#;
        let leaders = leaders_after_two_seconds(&format!("[{crash}, {split}]"));
        let (quick, held) = (alone[0].at.as_nanos(), leaders[0].at.as_nanos());
        assert!(
            held >= quick + 700_000_000,
            "no election while split: {alone:?} then {leaders:?}"
        );
        assert!(
            held < quick + 1_700_000_000,
            "elected soon after the heal: {alone:?} then {leaders:?}"
        );
    }

    /// The side of a split is the target and the next servers by id, wrapping round and
    /// passing over servers kept apart (a leader).
    #[test]
    fn a_split_side_follows_the_target_and_passes_over_leaders() {
        let ids = |v: &[NodeId]| v.iter().map(|n| n.index()).collect::<Vec<_>>();
        let (own, others) = split_after(NodeId::new(3), 2, 5, &[NodeId::new(4)]);
        assert_eq!((ids(&own), ids(&others)), (vec![3, 0], vec![1, 2, 4]));
        let (own, _) = split_after(NodeId::new(1), 1, 5, &[]);
        assert_eq!(ids(&own), vec![1]);
    }

    /// A bridge keeps the leader in touch with a quorum: with pre-vote and check-quorum the
    /// servers it cannot reach find no support and it leads on; without them their campaigns
    /// reach it through the servers between, and leadership changes.
    #[test]
    fn a_bridge_cuts_the_leader_from_half_the_others_only() {
        let bridge = r#"[{"at": "2s", "leader": {"bridge": "1s"}}]"#;
        let sticky = leaders_after_two_seconds(bridge);
        assert!(sticky.is_empty(), "the leader keeps leading: {sticky:?}");
        let plain = r#", "pre_vote": false, "check_quorum": false"#;
        let unguarded = leaders_after_two_seconds_with(plain, bridge);
        assert!(!unguarded.is_empty(), "a cut-off server campaigns and wins");
        assert!(leaders_after_two_seconds_with(plain, "[]").is_empty());
    }

    /// A follower fault crashes each server as it acknowledges its leader, over and over
    /// while armed; a correct Raft keeps every invariant and a linearizable history.
    #[test]
    fn a_follower_fault_crashes_servers_as_they_acknowledge() {
        let text = r#"{"version": 1, "name": "t", "seed": 3, "duration": "4s",
              "protocol": {"raft": {"election_timeout": ["150ms", "300ms"], "heartbeat": "50ms", "reads": "lease"}},
              "cluster": {"nodes": 3}, "network": {"latency": ["1ms", "5ms"]},
              "workload": {"clients": 2, "ops": 100, "keys": 1, "timeout": "1s", "mix": {"put": 0.5, "get": 0.5}},
              "faults": [{"at": "1s", "follower": {"crash": "1ms", "within": "1s"}}]}"#;
        let scenario = parse(text, Path::new("t.json")).unwrap();
        let report = crate::run::run(&scenario, RunOptions::default()).unwrap();
        // A heartbeat every 50 ms for a second, two followers: well over ten crash points.
        assert!(
            report.counters.faults >= 20,
            "faults applied: {}",
            report.counters.faults
        );
        assert!(report.ok(), "{:?}", report.failed_checks());
    }

    /// A voter fault crashes every server that grants a vote in its window: with the leader
    /// briefly crashed, the election that follows restarts its voters.
    #[test]
    fn a_voter_fault_crashes_each_server_as_it_grants_its_vote() {
        let text = r#"{"version": 1, "name": "t", "seed": 3, "duration": "4s",
              "protocol": {"raft": {"election_timeout": ["150ms", "300ms"], "heartbeat": "50ms"}},
              "cluster": {"nodes": 5}, "network": {"latency": ["1ms", "5ms"]},
              "workload": {"clients": 1, "ops": 50, "keys": 1, "timeout": "1s", "mix": {"put": 1.0}},
              "faults": [{"at": "2s", "leader": {"crash": "2ms"}},
                         {"at": "2s", "voter": {"crash": "1ms", "within": "1s"}}]}"#;
        let scenario = parse(text, Path::new("t.json")).unwrap();
        let report = crate::run::run(&scenario, RunOptions::default()).unwrap();
        // The leader's crash and restart, then at least two voters' crash and restart.
        assert!(
            report.counters.faults >= 6,
            "faults applied: {}",
            report.counters.faults
        );
        assert!(
            report.ok(),
            "a correct Raft keeps its votes across restarts"
        );
    }
}
