//! §5.3 Log replication, and Figure 2's AppendEntries rules.

use faultline_raft::{Config, ConflictHint, EntryKind, Message, MessageBody, Probe, Ready, Role};

use crate::harness::*;

fn follower(terms: &[u64], term: u64) -> faultline_raft::RaftNode {
    lone_node(2, test_config(), disk_with_log(&[1, 2, 3], terms, term))
}

fn append(
    prev: u64,
    prev_term: u64,
    entries: Vec<faultline_raft::Entry>,
    commit: u64,
) -> MessageBody {
    MessageBody::AppendEntries {
        prev_log_index: prev,
        prev_log_term: prev_term,
        entries,
        leader_commit: commit,
    }
}

fn response(out: &[(u64, Message)]) -> (u64, MessageBody) {
    let (_, m) = out
        .iter()
        .find(|(_, m)| matches!(m.body, MessageBody::AppendEntriesResponse { .. }))
        .expect("an append response");
    (m.term, m.body.clone())
}

fn terms(n: &faultline_raft::RaftNode) -> Vec<u64> {
    (n.first_index()..=n.last_index())
        .map(|i| n.term_at(i).unwrap())
        .collect()
}

/// Figure 2, AppendEntries receiver 1: "Reply false if term < currentTerm."
#[test]
fn append_from_stale_term_is_refused() {
    let mut n = follower(&[1, 2], 3);
    n.handle_message(0, 1, msg(2, append(2, 2, vec![entry(3, 2)], 3)));
    let (term, body) = response(&drain(&mut n));
    assert_eq!(term, 3, "the refusal tells the stale leader the newer term");
    assert!(matches!(
        body,
        MessageBody::AppendEntriesResponse { success: false, .. }
    ));
    assert_eq!(n.last_index(), 2);
    assert_eq!(n.commit_index(), 0);
}

/// Figure 2, AppendEntries receiver 2: "Reply false if log doesn't contain an entry at
/// prevLogIndex whose term matches prevLogTerm" — with a hint for fast backtracking.
#[test]
fn append_with_missing_or_mismatching_prev_is_refused_with_a_hint() {
    // Missing: follower has 2 entries, leader probes at 5.
    let mut n = follower(&[1, 1], 3);
    n.handle_message(0, 1, msg(3, append(5, 3, vec![], 0)));
    let (_, body) = response(&drain(&mut n));
    assert_eq!(
        body,
        MessageBody::AppendEntriesResponse {
            success: false,
            index: 5,
            hint: Some(ConflictHint {
                index: 3,
                term: None
            }),
        }
    );
    // Mismatch: follower's entry 4 has term 2 (run of term 2 starts at 3).
    let mut n = follower(&[1, 1, 2, 2], 3);
    n.handle_message(0, 1, msg(3, append(4, 3, vec![], 0)));
    let (_, body) = response(&drain(&mut n));
    assert_eq!(
        body,
        MessageBody::AppendEntriesResponse {
            success: false,
            index: 4,
            hint: Some(ConflictHint {
                index: 3,
                term: Some(2)
            }),
        }
    );
    assert_eq!(n.last_index(), 4, "a refused append changes nothing");
}

/// Figure 2, AppendEntries receiver 3 and 4: "If an existing entry conflicts with a new one
/// (same index but different terms), delete the existing entry and all that follow it" and
/// "Append any new entries not already in the log." The truncation is part of what to persist.
#[test]
fn conflicting_suffix_is_replaced() {
    let mut n = follower(&[1, 1, 2, 2], 3);
    n.take_ready();
    n.handle_message(
        0,
        1,
        msg(
            3,
            append(2, 1, vec![entry(3, 3), entry(4, 3), entry(5, 3)], 0),
        ),
    );
    assert_eq!(terms(&n), vec![1, 1, 3, 3, 3]);
    let truncated = Probe::LogTruncated.bit();
    assert_ne!(n.probes() & truncated, 0, "entries were truncated");
    let ready = n.take_ready();
    let write = ready.log.expect("log write");
    assert_eq!(write.truncate_from, 3);
    assert_eq!(write.entries.len(), 3);
    assert!(ready.messages.iter().any(|o| o.message.body
        == MessageBody::AppendEntriesResponse {
            success: true,
            index: 5,
            hint: None
        }));
}

/// An append whose entries are already present (a duplicate or reordered message) must not
/// truncate anything that follows them.
#[test]
fn duplicate_append_keeps_later_entries() {
    let mut n = follower(&[1, 1, 1, 1], 1);
    n.handle_message(0, 1, msg(1, append(1, 1, vec![entry(2, 1)], 0)));
    assert_eq!(n.last_index(), 4);
    assert!(n.take_ready().log.is_none(), "nothing new to persist");
}

/// Figure 2, AppendEntries receiver 5: "If leaderCommit > commitIndex, set commitIndex =
/// min(leaderCommit, index of last new entry)."
#[test]
fn follower_commit_is_bounded_by_last_new_entry() {
    let mut n = follower(&[1, 1, 1, 1], 1);
    // The leader has committed 10 but only vouches for entries up to 2 here.
    n.handle_message(0, 1, msg(1, append(1, 1, vec![entry(2, 1)], 10)));
    assert_eq!(n.commit_index(), 2);
    let truncated = Probe::LogTruncated.bit();
    assert_eq!(
        n.probes() & truncated,
        0,
        "an append past the log truncates nothing"
    );
    let ready = n.take_ready();
    assert_eq!(
        ready.committed_entries.len(),
        2,
        "Figure 2: apply once committed"
    );
    n.handle_message(0, 1, msg(1, append(4, 1, vec![], 3)));
    assert_eq!(n.commit_index(), 3);
    n.handle_message(0, 1, msg(1, append(4, 1, vec![], 1)));
    assert_eq!(n.commit_index(), 3, "the commit index never moves back");
}

/// §5.3: the leader appends the command, replicates it, and once it is committed every server
/// applies it in log order.
#[test]
fn proposals_are_replicated_committed_and_applied_everywhere() {
    let mut c = Cluster::new(3, test_config());
    c.elect(1);
    let i = c.propose(1, b"a");
    c.propose(1, b"b");
    c.heartbeat(1);
    for id in 1..=3 {
        assert_eq!(c.node(id).commit_index(), i + 1);
        assert_eq!(c.applied_data(id), vec![b"a".to_vec(), b"b".to_vec()]);
    }
    assert!(
        c.node_mut(2).propose(0, b"x".to_vec()).is_err(),
        "followers refuse proposals"
    );
}

/// §5.3 and Figure 7: a leader brings divergent followers' logs in line with its own, and the
/// conflict hints let it skip a whole term per round trip instead of one entry.
#[test]
fn leader_repairs_divergent_followers_quickly() {
    let cfg = Config {
        pre_vote: false,
        ..test_config()
    };
    let mut c = Cluster::empty();
    let voters = [1, 2, 3, 4, 5];
    c.add_node(
        1,
        cfg.clone(),
        disk_with_log(&voters, &[1, 1, 1, 4, 4, 5, 5, 6, 6, 6], 6),
    );
    c.add_node(
        2,
        cfg.clone(),
        disk_with_log(&voters, &[1, 1, 1, 4, 4, 5, 5, 6, 6], 6),
    );
    c.add_node(
        3,
        cfg.clone(),
        disk_with_log(&voters, &[1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3], 3),
    );
    c.add_node(4, cfg.clone(), disk_with_log(&voters, &[1, 1, 1, 4], 4));
    c.add_node(5, cfg, disk_with_log(&voters, &[1, 1, 1, 4, 4, 4, 4], 4));
    c.campaign(1);
    assert_eq!(c.node(1).role(), Role::Leader);
    let mut rejections = 0;
    while let Some((_, to, m)) = c.deliver_one() {
        if to == 1
            && matches!(
                m.body,
                MessageBody::AppendEntriesResponse { success: false, .. }
            )
        {
            rejections += 1;
        }
    }
    c.heartbeat(1);
    let leader_terms = terms(c.node(1));
    for id in 2..=5 {
        assert_eq!(
            terms(c.node(id)),
            leader_terms,
            "server {id} matches the leader"
        );
    }
    assert!(
        rejections <= 4,
        "one rejection per diverging term run, got {rejections}"
    );
    c.assert_log_matching();
    assert_eq!(c.node(3).commit_index(), 11);
}

/// Three servers, server 1 leading after a heartbeat round, sending one entry per append with
/// at most two appends in flight per follower.
fn pipelined_with_window_of_two() -> Cluster {
    let cfg = Config {
        max_inflight_msgs: 2,
        max_entries_per_msg: 1,
        ..test_config()
    };
    let mut c = Cluster::new(3, cfg);
    c.elect(1);
    c.heartbeat(1);
    c
}

/// Pipelining: in Replicate state the leader sends without waiting, but never more than
/// `max_inflight_msgs` messages ahead; acknowledgements reopen the window.
#[test]
fn inflight_appends_are_bounded() {
    let mut c = pipelined_with_window_of_two();
    for k in 0..6u8 {
        c.node_mut(1).propose(0, vec![k]).unwrap();
    }
    c.process(1);
    let to2 = c
        .queue
        .iter()
        .filter(|(_, to, m)| *to == 2 && matches!(m.body, MessageBody::AppendEntries { .. }))
        .count();
    assert_eq!(to2, 2, "two appends in flight, the rest wait");
    c.stabilize();
    c.heartbeat(1);
    assert_eq!(
        c.applied_data(2).len(),
        6,
        "the window reopens as acks arrive"
    );
}

/// The in-flight byte budget also pauses sending.
#[test]
fn inflight_bytes_are_bounded() {
    let cfg = Config {
        max_inflight_bytes: 1_000,
        max_entries_per_msg: 1,
        ..test_config()
    };
    let mut c = Cluster::new(3, cfg);
    c.elect(1);
    c.heartbeat(1);
    for _ in 0..5 {
        c.node_mut(1).propose(0, vec![0; 600]).unwrap();
    }
    c.process(1);
    let to2 = c.queue.iter().filter(|(_, to, _)| *to == 2).count();
    assert_eq!(
        to2, 2,
        "600 + 600 bytes exceed the 1000-byte budget after the second"
    );
    c.stabilize();
    c.heartbeat(1);
    assert_eq!(c.applied_data(3).len(), 5);
}

/// Batching: proposals made between two `take_ready` calls travel in one message.
#[test]
fn proposals_are_batched() {
    let mut c = Cluster::new(3, test_config());
    c.elect(1);
    c.heartbeat(1);
    for k in 0..10u8 {
        c.node_mut(1).propose(0, vec![k]).unwrap();
    }
    c.process(1);
    let appends: Vec<usize> = c
        .queue
        .iter()
        .filter(|(_, to, _)| *to == 2)
        .filter_map(|(_, _, m)| match &m.body {
            MessageBody::AppendEntries { entries, .. } => Some(entries.len()),
            _ => None,
        })
        .collect();
    assert_eq!(appends, vec![10]);
}

/// Lost appends are recovered: heartbeat answers show the follower is behind and the leader
/// probes and resends.
#[test]
fn lost_appends_are_resent() {
    let mut c = Cluster::new(3, test_config());
    c.elect(1);
    c.heartbeat(1);
    c.cut.insert((1, 3));
    c.propose(1, b"lost");
    c.propose(1, b"also lost");
    c.heal();
    c.heartbeat(1);
    c.heartbeat(1);
    assert_eq!(
        c.applied_data(3),
        vec![b"lost".to_vec(), b"also lost".to_vec()]
    );
}

/// An append that only carries the commit index (nothing new to send) names the follower's
/// match point, which it is known to hold: even when the append before it was lost, the
/// follower accepts it instead of refusing it and knocking a pipelining follower back to probing.
#[test]
fn a_commit_only_append_names_the_match_point() {
    let mut c = Cluster::new(3, test_config());
    c.elect(1);
    c.heartbeat(1);
    let matched = c.node(1).match_index(3).expect("a follower");
    c.holding.insert((1, 3));
    let i = c.propose(1, b"lost");
    assert_eq!(c.node(1).commit_index(), i, "committed with server 2");
    let mut held = std::mem::take(&mut c.held);
    assert_eq!(held.len(), 2, "the entry, then the commit index: {held:?}");
    let (from, to, commit_only) = held.pop().expect("two");
    let MessageBody::AppendEntries {
        prev_log_index,
        ref entries,
        leader_commit,
        ..
    } = commit_only.body
    else {
        panic!("{commit_only:?}");
    };
    assert_eq!(
        (prev_log_index, entries.len(), leader_commit),
        (matched, 0, i)
    );
    // The entry's append is lost; the commit-only one arrives and is accepted.
    c.holding.clear();
    c.queue.push_back((from, to, commit_only));
    c.deliver_one();
    let answer = c.queue.back().map(|(_, _, m)| m.body.clone());
    assert!(
        matches!(
            answer,
            Some(MessageBody::AppendEntriesResponse { success: true, .. })
        ),
        "{answer:?}"
    );
    c.stabilize();
    c.heartbeat(1);
    assert_eq!(c.applied_data(3), vec![b"lost".to_vec()]);
}

/// A heartbeat round in a caught-up cluster is only heartbeats and their answers: an answer
/// from a follower that holds the leader's last entry asks for no append.
#[test]
fn a_caught_up_follower_gets_only_heartbeats() {
    let mut c = Cluster::new(3, test_config());
    c.elect(1);
    c.propose(1, b"a");
    c.heartbeat(1);
    c.elapse(20 * MS);
    c.tick(1);
    let mut bodies = Vec::new();
    while let Some((_, _, m)) = c.deliver_one() {
        bodies.push(m.body);
    }
    assert_eq!(bodies.len(), 4, "{bodies:?}");
    assert!(bodies.iter().all(|b| matches!(
        b,
        MessageBody::Heartbeat { .. } | MessageBody::HeartbeatResponse { .. }
    )));
}

/// A heartbeat answer frees a slot of the in-flight window only when the window is full (the
/// answer proves the follower is alive, so one slot is reopened to avoid a stall); a window
/// with room keeps counting the unacknowledged append.
#[test]
fn a_heartbeat_answer_frees_no_slot_of_a_window_with_room() {
    let mut c = pipelined_with_window_of_two();
    // Server 2 receives everything, but its append answers are held back.
    let acks_from_2 = |from: u64, to: u64, m: &Message| {
        (from, to) == (2, 1) && matches!(m.body, MessageBody::AppendEntriesResponse { .. })
    };
    let mut delayed = Vec::new();
    let mut run = |c: &mut Cluster| {
        while let Some((from, to, m)) = c.queue.pop_front() {
            if acks_from_2(from, to, &m) {
                delayed.push((from, to, m));
            } else {
                c.queue.push_front((from, to, m));
                c.deliver_one();
            }
        }
    };
    c.node_mut(1).propose(0, b"a".to_vec()).unwrap();
    c.process(1);
    run(&mut c);
    c.elapse(20 * MS);
    c.tick(1);
    run(&mut c);
    c.node_mut(1).propose(0, b"b".to_vec()).unwrap();
    c.node_mut(1).propose(0, b"c".to_vec()).unwrap();
    c.process(1);
    let to2: Vec<usize> = c
        .queue
        .iter()
        .filter(|(_, to, _)| *to == 2)
        .filter_map(|(_, _, m)| match &m.body {
            MessageBody::AppendEntries { entries, .. } if !entries.is_empty() => {
                Some(entries.len())
            }
            _ => None,
        })
        .collect();
    assert_eq!(to2, vec![1], "\"a\" still in flight: room for one more");
    c.stabilize();
    c.queue.extend(delayed);
    c.stabilize();
    c.heartbeat(1);
    assert_eq!(c.applied_data(2).len(), 3);
}

/// §5.3: heartbeats keep followers from starting elections.
#[test]
fn heartbeats_hold_off_elections() {
    let mut c = Cluster::new(3, test_config());
    c.elect(1);
    let term = c.node(1).term();
    for _ in 0..50 {
        c.heartbeat(1);
        c.tick(2);
        c.tick(3);
        c.stabilize();
    }
    assert_eq!(c.leaders(), vec![(1, term)]);
}

/// A leader's log is append-only: it never overwrites or deletes its own entries.
#[test]
fn leader_never_truncates_its_log() {
    let mut c = Cluster::new(3, test_config());
    c.elect(1);
    let before: Vec<_> = (1..=c.node(1).last_index())
        .map(|i| c.node(1).entry(i).cloned())
        .collect();
    // A follower's stale claim of a conflicting log does not change the leader's log.
    let t = c.node(1).term();
    c.node_mut(1).handle_message(
        0,
        2,
        msg(
            t,
            append(
                1,
                9,
                vec![faultline_raft::Entry {
                    term: t,
                    index: 2,
                    kind: EntryKind::Noop,
                }],
                0,
            ),
        ),
    );
    let after: Vec<_> = (1..=before.len() as u64)
        .map(|i| c.node(1).entry(i).cloned())
        .collect();
    assert_eq!(before, after);
}

/// A follower whose acknowledgement arrives after the commit index already moved on (thanks to
/// the other followers) is told the new commit index at once, not at the next heartbeat.
#[test]
fn late_acknowledger_learns_the_commit_index_at_once() {
    let mut c = Cluster::new(3, test_config());
    c.elect(1);
    c.heartbeat(1);
    c.holding.insert((3, 1));
    let i = c.propose(1, b"a");
    assert_eq!(c.node(1).commit_index(), i, "committed with server 2");
    c.release_held();
    c.stabilize();
    assert_eq!(c.node(3).commit_index(), i);
}

/// Figure 2, Leaders: "If AppendEntries fails because of log inconsistency: decrement
/// nextIndex and retry", sped up by the follower's hint: skip the follower's whole conflicting
/// term when the leader has none of it, or jump to the leader's last entry of that term.
#[test]
fn leader_backs_off_using_the_conflict_hint() {
    let cfg = Config {
        pre_vote: false,
        ..test_config()
    };
    let leader_log = [1, 1, 1, 4, 4, 5, 5, 6, 6, 6];
    let probe_after = |hint: ConflictHint| {
        let mut n = lone_node(1, cfg.clone(), disk_with_log(&[1, 2, 3], &leader_log, 7));
        n.handle_timeout(n.poll_timeout().unwrap());
        n.handle_message(
            0,
            3,
            msg(8, MessageBody::RequestVoteResponse { granted: true }),
        );
        assert_eq!(n.role(), Role::Leader);
        let first: Vec<_> = drain(&mut n)
            .into_iter()
            .filter(|(to, m)| *to == 2 && matches!(m.body, MessageBody::AppendEntries { .. }))
            .collect();
        assert!(matches!(
            first[0].1.body,
            MessageBody::AppendEntries {
                prev_log_index: 10,
                ..
            }
        ));
        let reject = MessageBody::AppendEntriesResponse {
            success: false,
            index: 10,
            hint: Some(hint),
        };
        n.handle_message(0, 2, msg(8, reject));
        drain(&mut n)
            .into_iter()
            .find_map(|(to, m)| match m.body {
                MessageBody::AppendEntries {
                    prev_log_index,
                    entries,
                    ..
                } if to == 2 => Some((prev_log_index, entries.first().map(|e| e.index))),
                _ => None,
            })
            .expect("a new probe")
    };
    // The follower's entries 4.. are of term 2, which the leader never had: skip them all.
    assert_eq!(
        probe_after(ConflictHint {
            index: 4,
            term: Some(2)
        }),
        (3, Some(4))
    );
    // The follower has term 4 from index 4 on: resume after the leader's last term-4 entry.
    assert_eq!(
        probe_after(ConflictHint {
            index: 4,
            term: Some(4)
        }),
        (5, Some(6))
    );
    // The follower's log is too short: resume right after its end.
    assert_eq!(
        probe_after(ConflictHint {
            index: 7,
            term: None
        }),
        (6, Some(7))
    );
}

/// `match_index` on a leader: its own last index for itself, each follower's acknowledged
/// index for the others (a cut-off follower stays behind), nothing for a stranger; and nothing
/// at all on a follower.
#[test]
fn a_leader_knows_how_far_each_follower_has_replicated() {
    let mut c = Cluster::new(3, test_config());
    c.elect(1);
    c.isolate(3);
    for i in 0..3 {
        c.propose(1, &[i]);
    }
    let leader = c.node(1);
    let last = leader.last_index();
    assert_eq!(leader.match_index(1), Some(last));
    assert_eq!(leader.match_index(2), Some(last));
    let behind = leader.match_index(3).expect("a member");
    assert!(behind < last, "n3 was cut off: {behind} of {last}");
    assert_eq!(leader.match_index(9), None, "not a member");
    assert_eq!(
        c.node(2).match_index(1),
        None,
        "only a leader tracks replication"
    );
}

/// The hard state is written only when it changed: a second append naming the commit index
/// the follower already has asks for no write.
#[test]
fn an_unchanged_commit_index_is_not_written_again() {
    let mut n = follower(&[1, 1], 1);
    n.handle_message(0, 1, msg(1, append(2, 1, vec![], 2)));
    assert_eq!(n.take_ready().hard_state.map(|h| h.commit), Some(2));
    n.handle_message(1, 1, msg(1, append(2, 1, vec![], 2)));
    assert_eq!(n.take_ready().hard_state, None);
}

/// A leader's next timer is its next heartbeat, one interval after the last (check-quorum's
/// round, an election timeout long, comes later).
#[test]
fn a_leaders_next_timer_is_its_next_heartbeat() {
    let mut c = Cluster::new(3, test_config());
    c.elect(1);
    c.heartbeat(1);
    let now = c.local_now(1);
    assert_eq!(c.node(1).poll_timeout(), Some(now + 20 * MS));
}

/// A ready handed back with `recycle` lends its vectors to the next readies (the log write
/// and the outbox keep the memory a larger ready grew), and nothing it held shows again.
#[test]
fn recycled_readies_lend_their_vectors_and_show_nothing_old() {
    let mut c = Cluster::new(3, test_config());
    c.elect(1);
    let now = c.local_now(1);
    let node = c.node_mut(1);
    let mut capacities = Vec::new();
    for batch in [6, 1, 1] {
        let indexes: Vec<u64> = (0..batch)
            .map(|_| node.propose(now, b"x".to_vec()).expect("leader").index)
            .collect();
        if batch > 1 {
            // Heartbeats as well: this outbox grows larger than the later ones need.
            node.read_index(now, 1).expect("leader");
            node.handle_timeout(now + 20 * MS);
        }
        let ready = node.take_ready();
        let entries = &ready.log.as_ref().expect("a log write").entries;
        assert_eq!(entries.iter().map(|e| e.index).collect::<Vec<_>>(), indexes);
        let sent: Vec<u64> = (ready.messages.iter())
            .filter_map(|out| match &out.message.body {
                MessageBody::AppendEntries { entries, .. } => Some(entries),
                _ => None,
            })
            .flatten()
            .map(|e| e.index)
            .collect();
        assert!(
            !sent.is_empty() && sent.iter().all(|i| indexes.contains(i)),
            "{sent:?}"
        );
        capacities.push((entries.capacity(), ready.messages.capacity()));
        node.recycle(ready);
    }
    assert!(capacities[1].0 >= 6, "the log write reuses its vector");
    assert!(
        capacities[2].1 >= capacities[0].1,
        "outbox and ready swap their vectors"
    );
}

/// A ready filled in place by `take_ready_into` holds what `take_ready` returns: two copies of
/// a cluster driven alike give equal readies, one taken fresh, the other into one kept ready
/// that is never drained, so nothing it held before may show again (or be sent twice).
#[test]
fn readies_filled_in_place_equal_fresh_ones() {
    let (mut fresh, mut kept) = (
        Cluster::new(3, test_config()),
        Cluster::new(3, test_config()),
    );
    fresh.elect(1);
    kept.elect(1);
    let now = fresh.local_now(1);
    let mut ready = Ready::default();
    let mut committed = 0;
    for batch in [6, 1, 0, 2] {
        for c in [&mut fresh, &mut kept] {
            let node = c.node_mut(1);
            for _ in 0..batch {
                node.propose(now, b"x".to_vec()).expect("leader");
            }
            node.read_index(now, 1).expect("leader");
            node.handle_timeout(now + 20 * MS);
        }
        let expected = fresh.node_mut(1).take_ready();
        kept.node_mut(1).take_ready_into(&mut ready);
        assert!(!expected.messages.is_empty());
        assert_eq!(ready, expected, "batch {batch}");
        committed += ready.committed_entries.len();
        // The followers answer, so that the next readies commit entries.
        for c in [&mut fresh, &mut kept] {
            answer_leader(c, &expected.messages, now);
        }
    }
    assert!(committed >= 7, "{committed} entries committed");
}

/// Hands `sent` (the leader n1's messages) to their followers and their answers back to n1.
fn answer_leader(c: &mut Cluster, sent: &[faultline_raft::Outbound], now: u64) {
    for out in sent {
        let follower = c.node_mut(out.to);
        follower.handle_message(now, 1, out.message.clone());
        for answer in follower.take_ready().messages {
            c.node_mut(1).handle_message(now, out.to, answer.message);
        }
    }
}
