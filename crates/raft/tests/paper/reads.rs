//! Linearizable reads (§8): ReadIndex confirms leadership with a heartbeat round before
//! answering; lease reads skip the round only while the lease, shortened by the clock-drift
//! bound, is valid.

use faultline_raft::{
    Config, ConfirmedRead, MessageBody, Probe, ReadBasis, ReadError, ReadState, Role,
};

use crate::harness::*;

fn ok_reads(c: &Cluster, id: u64) -> Vec<(u64, u64)> {
    c.slots[&id]
        .reads
        .iter()
        .filter_map(|r| r.result.ok().map(|read| (r.request_id, read.index)))
        .collect()
}

/// ReadIndex: the leader records its commit index and answers only after a majority
/// acknowledged a heartbeat sent after the request.
#[test]
fn read_index_waits_for_a_heartbeat_quorum() {
    let mut c = Cluster::new(3, test_config());
    c.elect(1);
    let w = c.propose(1, b"w");
    let now = c.local_now(1);
    c.node_mut(1).read_index(now, 7).unwrap();
    c.process(1);
    assert!(c.slots[&1].reads.is_empty(), "not before the round");
    assert!(c
        .queue
        .iter()
        .any(|(_, _, m)| matches!(m.body, MessageBody::Heartbeat { .. })));
    c.stabilize();
    assert_eq!(ok_reads(&c, 1), vec![(7, w)]);
}

/// Followers do not answer reads; they point at the leader.
#[test]
fn read_index_on_a_follower_names_the_leader() {
    let mut c = Cluster::new(3, test_config());
    c.elect(1);
    let err = c.node_mut(2).read_index(0, 1).unwrap_err();
    assert_eq!(
        err,
        ReadError::NotLeader {
            leader_hint: Some(1)
        }
    );
}

/// §8: a new leader does not know the commit index until it commits an entry of its term, so
/// reads wait for its no-op to commit.
#[test]
fn read_index_waits_for_an_entry_of_the_leaders_term() {
    let cfg = Config {
        pre_vote: false,
        ..test_config()
    };
    let mut n = lone_node(1, cfg, disk_with_log(&[1, 2, 3], &[1, 1], 1));
    n.handle_timeout(n.poll_timeout().unwrap());
    n.handle_message(
        0,
        2,
        msg(2, MessageBody::RequestVoteResponse { granted: true }),
    );
    assert_eq!(n.role(), Role::Leader);
    n.read_index(0, 9).unwrap();
    assert!(n.take_ready().read_states.is_empty());
    let ack = msg(
        2,
        MessageBody::AppendEntriesResponse {
            success: true,
            index: 3,
            hint: None,
        },
    );
    n.handle_message(0, 2, ack);
    assert_eq!(n.commit_index(), 3);
    let hb: Vec<u64> = drain(&mut n)
        .into_iter()
        .filter_map(|(_, m)| match m.body {
            MessageBody::Heartbeat { seq, .. } => Some(seq),
            _ => None,
        })
        .collect();
    assert!(
        !hb.is_empty(),
        "the held read starts its confirmation round"
    );
    n.handle_message(0, 2, msg(2, MessageBody::HeartbeatResponse { seq: hb[0] }));
    assert_eq!(
        n.take_ready().read_states,
        vec![ReadState {
            request_id: 9,
            result: Ok(ConfirmedRead {
                index: 3,
                basis: ReadBasis::HeartbeatRound
            })
        }]
    );
}

/// A deposed leader must not serve reads: while a new leader commits writes in the majority,
/// the old one cannot confirm its leadership, so its read never completes with stale data.
/// Detects `read_without_quorum_check` (etcd 2.0's `quorum=false` reads).
pub fn deposed_leader_serves_no_stale_read(cfg: Config) {
    let cfg = Config {
        check_quorum: false,
        ..cfg
    };
    let mut c = Cluster::new(3, cfg);
    c.elect(1);
    c.propose(1, b"v1");
    c.isolate(1);
    c.elect(2);
    let w = c.propose(2, b"v2");
    assert_eq!(
        c.node(1).role(),
        Role::Leader,
        "the old leader does not know yet"
    );
    let now = c.local_now(1);
    c.node_mut(1).read_index(now, 1).unwrap();
    c.process(1);
    c.stabilize();
    for (_, index) in ok_reads(&c, 1) {
        assert!(index >= w, "stale read served at index {index} < {w}");
    }
    // Once the partition heals, the old leader learns of the new term and fails the read.
    c.heal();
    c.heartbeat(2);
    assert_eq!(
        c.slots[&1].reads.last().map(|r| r.result),
        Some(Err(ReadError::LeadershipLost))
    );
}

#[test]
fn deposed_leader_cannot_serve_reads() {
    deposed_leader_serves_no_stale_read(test_config());
}

fn lease_config(cfg: Config) -> Config {
    Config {
        lease_reads: true,
        election_timeout_min: 100 * MS,
        election_timeout_max: 100 * MS,
        heartbeat_interval: 20 * MS,
        max_clock_drift: 30 * MS,
        check_quorum: false,
        ..cfg
    }
}

/// With leases, a leader that a quorum acknowledged recently answers at once, without a round.
#[test]
fn lease_read_needs_no_round() {
    let mut c = Cluster::new(3, lease_config(test_config()));
    c.elect(1);
    c.heartbeat(1);
    let now = c.local_now(1);
    c.node_mut(1).read_index(now, 5).unwrap();
    c.process(1);
    assert!(c.queue.is_empty(), "no messages needed");
    assert_eq!(ok_reads(&c, 1).len(), 1);
    // Past the lease it falls back to a heartbeat round.
    c.isolate(1);
    c.elapse(80 * MS);
    let now = c.local_now(1);
    c.node_mut(1).read_index(now, 6).unwrap();
    c.process(1);
    assert_eq!(
        ok_reads(&c, 1).len(),
        1,
        "lease expired: no answer without a quorum"
    );
}

/// Leases depend on bounded clock drift. The followers' clocks run 25% fast, within the 30 ms
/// bound over a 100 ms lease: they time out and elect a new leader 80 ms (real time) after the
/// last heartbeat. A lease of `min - drift` = 70 ms has expired by then; one that ignores the
/// drift (100 ms) still answers with a stale index. Detects `lease_ignores_clock_drift`.
pub fn lease_respects_clock_drift(cfg: Config) {
    let mut c = Cluster::new(3, lease_config(cfg));
    c.elect(1);
    for id in [2, 3] {
        c.slots.get_mut(&id).unwrap().rate = (5, 4);
    }
    // Anchor the followers' timers on their (now fast) clocks with a fresh heartbeat.
    c.heartbeat(1);
    let t_heartbeat = c.now;
    c.isolate(1);
    // 80 ms of real time is 100 ms on the followers' clocks.
    c.now = t_heartbeat + 80 * MS;
    c.tick(2);
    c.stabilize();
    assert_eq!(c.node(2).role(), Role::Leader, "followers moved on");
    let w = c.propose(2, b"new");
    c.elapse(5 * MS);
    let now = c.local_now(1);
    c.node_mut(1).read_index(now, 1).unwrap();
    c.process(1);
    for (_, index) in ok_reads(&c, 1) {
        assert!(
            index >= w,
            "lease read at index {index} misses the write at {w}"
        );
    }
}

#[test]
fn lease_is_shortened_by_the_drift_bound() {
    lease_respects_clock_drift(test_config());
}

/// The lease depends on the drift bound holding: followers whose clocks run twice as fast
/// elect a new leader 50 ms (real time) after the last heartbeat, inside the old leader's
/// 70 ms lease, and the old leader then serves a stale read. This is the failure the
/// simulator's clock skew must be able to produce; ReadIndex does not have it.
#[test]
fn lease_reads_break_when_skew_exceeds_the_bound() {
    let mut c = Cluster::new(3, lease_config(test_config()));
    c.elect(1);
    for id in [2, 3] {
        c.slots.get_mut(&id).unwrap().rate = (2, 1);
    }
    c.heartbeat(1);
    let t_heartbeat = c.now;
    c.isolate(1);
    c.now = t_heartbeat + 50 * MS;
    c.tick(2);
    c.stabilize();
    assert_eq!(c.node(2).role(), Role::Leader);
    let w = c.propose(2, b"new");
    c.elapse(5 * MS);
    let now = c.local_now(1);
    c.node_mut(1).read_index(now, 1).unwrap();
    c.process(1);
    let stale: Vec<_> = ok_reads(&c, 1)
        .into_iter()
        .filter(|&(_, i)| i < w)
        .collect();
    assert_eq!(
        stale.len(),
        1,
        "the out-of-bound skew yields a stale lease read"
    );
}

/// By acknowledging a heartbeat, a follower promises not to vote for anyone else for the
/// minimum election timeout; the leader's lease counts on it. A follower that crashes and
/// restarts right after acknowledging must keep that promise: here node 3 stops hearing the
/// leader (a lossy link), node 2 acknowledges a heartbeat, crashes and restarts, and 3 times
/// out and asks 2 for its vote while 1's lease, anchored on 2's acknowledgement, still runs.
/// Granting it elects 3 while 1 answers reads from its lease: a stale read. Detects
/// `forget_lease_promise_on_restart` (found by the swarm Raft template).
pub fn restarted_follower_keeps_the_lease_promise(cfg: Config) {
    let mut c = Cluster::new(3, lease_config(cfg));
    c.elect(1);
    // 3 hears nothing more from 1 (and 1 nothing from 3); 2 keeps acknowledging.
    c.cut.insert((1, 3));
    c.cut.insert((3, 1));
    for _ in 0..4 {
        c.heartbeat(1);
    }
    c.crash(2);
    c.restart(2);
    // 3's timer, last reset when 1 was elected, fires; 1's lease (2's last ack) still runs.
    c.elapse(21 * MS);
    c.tick(3);
    c.stabilize();
    let Some(w) = (c.node(3).role() == Role::Leader).then(|| c.propose(3, b"new")) else {
        assert_eq!(c.leaders(), vec![(1, c.node(1).term())], "only 1 leads");
        return;
    };
    let now = c.local_now(1);
    c.node_mut(1).read_index(now, 1).unwrap();
    c.process(1);
    for (_, index) in ok_reads(&c, 1) {
        assert!(
            index >= w,
            "lease read at index {index} misses the write at {w} of the leader elected meanwhile"
        );
    }
}

#[test]
fn a_restarted_follower_keeps_its_lease_promise() {
    restarted_follower_keeps_the_lease_promise(test_config());
}

/// A follower under its promise learns a newer term only from that term's leader. Here node 2
/// follows leader 1, then gets a late answer stamped with a newer term (as a deposed leader
/// gets answers to the appends it sent before it was paused): adopting that term would clear
/// its vote, and a candidate of the term could then win it while 1's lease, anchored on 2's
/// acknowledgement, still runs. Found by the swarm template with disks (seed 16261 of
/// `raft-storage.json`, caught by `lease_safety` watching held leases).
#[test]
fn a_late_answer_from_a_newer_term_does_not_free_a_follower_of_its_promise() {
    let mut c = Cluster::new(3, lease_config(test_config()));
    c.elect(1);
    c.heartbeat(1);
    c.stabilize();
    let term = c.node(2).term();
    let now = c.local_now(2);
    let late_answer = faultline_raft::Message {
        term: term + 1,
        body: MessageBody::AppendEntriesResponse {
            success: false,
            index: 0,
            hint: None,
        },
    };
    c.node_mut(2).handle_message(now, 3, late_answer);
    assert_eq!(c.node(2).term(), term, "the answer's term is not adopted");
    let last_index = c.node(3).last_index();
    let last_term = c.node(3).term_at(last_index).unwrap_or(0);
    let request = faultline_raft::Message {
        term: term + 1,
        body: MessageBody::RequestVote {
            last_log_index: last_index,
            last_log_term: last_term,
            transfer: false,
        },
    };
    c.node_mut(2).handle_message(now, 3, request);
    assert_eq!(
        c.node(2).term(),
        term,
        "nor the candidate's, while the promise runs"
    );
}

/// The lease lasts `election_timeout_min - max_clock_drift` (70 ms here) from the send time of
/// the latest heartbeat a quorum acknowledged: held to the last nanosecond before, not at it;
/// never on a follower, nor with lease reads off. A read inside it passes the `LeaseRead`
/// probe, one after it `LeaseLapsed`.
#[test]
fn the_lease_runs_for_its_duration_from_the_acknowledged_heartbeat() {
    let mut c = Cluster::new(3, lease_config(test_config()));
    c.elect(1);
    c.heartbeat(1);
    let sent = c.local_now(1);
    let leader = c.node(1);
    assert!(leader.holds_read_lease(sent));
    assert!(leader.holds_read_lease(sent + 70 * MS - 1));
    assert!(!leader.holds_read_lease(sent + 70 * MS));
    assert!(
        !c.node(2).holds_read_lease(sent),
        "a follower holds no lease"
    );
    let passed = |c: &Cluster, probe: Probe| c.node(1).probes() & probe.bit() != 0;
    c.node_mut(1).read_index(sent + 70 * MS - 1, 7).unwrap();
    assert!(passed(&c, Probe::LeaseRead) && !passed(&c, Probe::LeaseLapsed));
    c.node_mut(1).read_index(sent + 70 * MS, 8).unwrap();
    assert!(passed(&c, Probe::LeaseLapsed));
    let no_leases = Config {
        lease_reads: false,
        ..lease_config(test_config())
    };
    let mut c = Cluster::new(3, no_leases);
    c.elect(1);
    c.heartbeat(1);
    let now = c.local_now(1);
    assert!(!c.node(1).holds_read_lease(now));
    c.node_mut(1).read_index(now, 9).unwrap();
    assert!(!passed(&c, Probe::LeaseRead) && !passed(&c, Probe::LeaseLapsed));
}

/// ReadIndex in five servers: the acknowledgements of one follower (with the leader, two of
/// five) confirm nothing, however many rounds; those of a quorum of the round sent after the
/// read do. A leadership that ends with a read pending fails it and passes `ReadsAborted`;
/// one that ends with none does not.
#[test]
fn a_read_needs_acknowledgements_from_a_quorum_of_its_round() {
    let mut c = Cluster::new(5, test_config());
    c.elect(1);
    let w = c.propose(1, b"w");
    for id in [3, 4, 5] {
        c.isolate(id);
    }
    let now = c.local_now(1);
    c.node_mut(1).read_index(now, 7).unwrap();
    c.process(1);
    c.stabilize();
    c.heartbeat(1);
    assert!(ok_reads(&c, 1).is_empty(), "two of five acknowledged");
    c.heal();
    c.heartbeat(1);
    assert_eq!(ok_reads(&c, 1), vec![(7, w)]);
    let aborted = |c: &Cluster, id| c.node(id).probes() & Probe::ReadsAborted.bit() != 0;
    c.isolate(1);
    let now = c.local_now(1);
    c.node_mut(1).read_index(now, 8).unwrap();
    c.process(1);
    c.elect(2);
    assert!(!aborted(&c, 2));
    c.heal();
    c.heartbeat(2);
    assert_eq!(c.node(1).role(), Role::Follower);
    let failed = c.slots[&1].reads.last().map(|r| (r.request_id, r.result));
    assert_eq!(failed, Some((8, Err(ReadError::LeadershipLost))));
    assert!(aborted(&c, 1));
    c.isolate(2);
    c.elect(3);
    c.heal();
    c.heartbeat(3);
    assert_eq!(c.node(2).role(), Role::Follower);
    assert!(!aborted(&c, 2), "node 2 led with no read pending");
}

/// A leader serves no read from its lease once it started handing leadership over, even
/// before the target caught up and was told to campaign (it may be told at any moment, and
/// then wins without waiting the lease out).
#[test]
fn no_lease_read_during_a_leadership_transfer() {
    let mut c = Cluster::new(3, lease_config(test_config()));
    c.elect(1);
    c.isolate(3);
    c.propose(1, b"a");
    c.heartbeat(1);
    let now = c.local_now(1);
    assert!(c.node(1).holds_read_lease(now), "1 and 2 acknowledged");
    c.node_mut(1).transfer_leadership(now, 3).unwrap();
    c.process(1);
    let told = c
        .queue
        .iter()
        .any(|(_, _, m)| m.body == MessageBody::TimeoutNow);
    assert!(!told, "3 lags: no TimeoutNow yet");
    assert!(!c.node(1).holds_read_lease(now));
}

/// The leader remembers the send times of its last 64 heartbeat rounds, and an answer to any
/// of them vouches for the lease from that round's send time: with a round every millisecond,
/// answers to the oldest remembered round (63 ms old, inside the 70 ms lease) hold the lease.
#[test]
fn an_answer_to_the_oldest_remembered_round_holds_the_lease() {
    let cfg = Config {
        heartbeat_interval: MS,
        ..lease_config(test_config())
    };
    let mut c = Cluster::new(3, cfg);
    c.elect(1);
    c.holding.extend([(2, 1), (3, 1)]);
    c.elapse(100 * MS);
    for _ in 0..64 {
        c.elapse(MS);
        c.tick(1);
        c.stabilize();
    }
    let now = c.local_now(1);
    assert!(!c.node(1).holds_read_lease(now), "no answer for 100 ms");
    let held = std::mem::take(&mut c.held);
    c.holding.clear();
    for follower in [2, 3] {
        let first = held
            .iter()
            .find(|(from, _, m)| {
                *from == follower && matches!(m.body, MessageBody::HeartbeatResponse { .. })
            })
            .cloned()
            .expect("an answer to the oldest round");
        c.queue.push_back(first);
    }
    c.stabilize();
    assert!(c.node(1).holds_read_lease(now));
}
