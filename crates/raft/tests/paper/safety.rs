//! §5.4 Safety: the election restriction, committing entries from previous terms (Figure 8),
//! and the checks that keep a stale leader from rewriting history.

use faultline_raft::{Config, MessageBody, Role};

use crate::harness::*;

fn no_prevote() -> Config {
    Config {
        pre_vote: false,
        ..test_config()
    }
}

/// Lets `id` campaign (repeatedly if needed) and delivers messages only until it wins,
/// leaving the rest of the traffic queued.
fn win_election(c: &mut Cluster, id: u64) {
    for _ in 0..5 {
        c.elapse(c.slots[&id].config.election_timeout_max + 1);
        c.tick(id);
        while c.node(id).role() != Role::Leader && c.deliver_one().is_some() {}
        if c.node(id).role() == Role::Leader {
            return;
        }
    }
    panic!("server {id} did not win an election");
}

fn purge_from(c: &mut Cluster, id: u64) {
    c.queue.retain(|(from, _, _)| *from != id);
}

/// §5.4.2, hand-fed: a leader does not commit an entry of an earlier term by counting replicas;
/// it commits once an entry of its own term is replicated on a majority.
pub fn leader_commits_only_current_term_entries_by_counting(cfg: Config) {
    let cfg = Config {
        pre_vote: false,
        ..cfg
    };
    let mut n = lone_node(1, cfg, disk_with_log(&[1, 2, 3], &[1, 2], 2));
    n.handle_timeout(n.poll_timeout().unwrap());
    n.handle_message(
        0,
        2,
        msg(3, MessageBody::RequestVoteResponse { granted: true }),
    );
    assert_eq!(n.role(), Role::Leader);
    assert_eq!(n.term_at(3), Some(3), "the no-op of term 3");
    drain(&mut n);
    let ack = |index| {
        msg(
            3,
            MessageBody::AppendEntriesResponse {
                success: true,
                index,
                hint: None,
            },
        )
    };
    n.handle_message(0, 2, ack(2));
    assert_eq!(
        n.commit_index(),
        0,
        "entry 2 (term 2) is on a majority but must not be committed by counting"
    );
    n.handle_message(0, 2, ack(3));
    assert_eq!(
        n.commit_index(),
        3,
        "committing the term-3 entry commits entry 2 with it"
    );
}

#[test]
fn only_current_term_entries_are_committed_by_counting() {
    leader_commits_only_current_term_entries_by_counting(no_prevote());
}

/// Figure 8 played out on five servers. (a) S1 leads term 1 and replicates entry 2 to S2 only.
/// (b) S1 crashes; S5 wins the next term with votes from S3, S4 and appends its own entry 2,
/// then crashes. (c) S1 restarts, wins again and replicates its old entry 2 to S3: it is now on
/// a majority, but of an old term. (d) S1 crashes; S5 wins and overwrites entry 2 everywhere.
/// Had S1 committed entry 2 at (c), two servers would apply different entries at index 2.
pub fn figure8(cfg: Config) {
    let cfg = Config {
        pre_vote: false,
        max_entries_per_msg: 1,
        ..cfg
    };
    let mut c = Cluster::new(5, cfg);
    c.elect(1);
    c.heartbeat(1);
    // (a)
    for to in [3, 4, 5] {
        c.cut.insert((1, to));
    }
    c.propose(1, b"A");
    assert_eq!(c.node(2).last_index(), 2);
    // (b)
    c.crash(1);
    c.heal();
    win_election(&mut c, 5);
    c.crash(5);
    purge_from(&mut c, 5);
    c.stabilize();
    // (c)
    c.restart(1);
    win_election(&mut c, 1);
    c.queue
        .retain(|(from, to, _)| *from != 1 || *to == 2 || *to == 3);
    for to in [4, 5] {
        c.cut.insert((1, to));
    }
    c.deliver_until(|from, to, m| {
        from == 3
            && to == 1
            && matches!(
                m.body,
                MessageBody::AppendEntriesResponse {
                    success: true,
                    index: 2,
                    ..
                }
            )
    });
    assert_eq!(
        c.node(3).term_at(2),
        Some(1),
        "S1's old entry 2 is on S1, S2, S3"
    );
    c.crash(1);
    purge_from(&mut c, 1);
    c.stabilize();
    // (d)
    c.heal();
    c.restart(5);
    win_election(&mut c, 5);
    c.stabilize();
    c.heartbeat(5);
    assert_eq!(c.node(3).term_at(2), Some(2), "S5 overwrote entry 2");
    c.assert_state_machine_safety();
}

#[test]
fn figure8_old_term_entry_is_not_committed() {
    figure8(test_config());
}

/// §5.4.1 election restriction on a cluster: a server missing committed entries cannot win,
/// so every future leader holds every committed entry (Leader Completeness).
pub fn candidate_with_stale_log_loses(cfg: Config) {
    let mut c = Cluster::new(3, cfg);
    c.elect(1);
    c.isolate(3);
    c.propose(1, b"a");
    c.propose(1, b"b");
    c.heartbeat(1);
    let committed = c.node(1).commit_index();
    c.crash(1);
    c.heal();
    for _ in 0..3 {
        c.campaign(3);
        assert_ne!(c.node(3).role(), Role::Leader, "a stale log must not win");
    }
    c.elect(2);
    let leader = c.node(2);
    assert!(leader.commit_index() >= committed);
    c.heartbeat(2);
    assert_eq!(c.applied_data(3), vec![b"a".to_vec(), b"b".to_vec()]);
}

#[test]
fn leader_completeness() {
    candidate_with_stale_log_loses(test_config());
}

/// Figure 2, AppendEntries receiver 1 in a real interleaving: a deposed leader's delayed append
/// reaches a follower of the new term. Accepting it would overwrite an entry the new leader
/// has committed, and the follower would later apply the wrong entry.
pub fn stale_leader_cannot_overwrite(cfg: Config) {
    let mut c = Cluster::new(3, cfg);
    c.elect(1);
    c.propose(1, b"a");
    c.heartbeat(1);
    // S1 appends two entries; its message to S3 is delayed, the one to S2 lost.
    c.holding.insert((1, 3));
    c.cut.insert((1, 2));
    let now = c.local_now(1);
    c.node_mut(1).propose(now, b"y1".to_vec()).unwrap();
    c.node_mut(1).propose(now, b"y2".to_vec()).unwrap();
    c.process(1);
    c.stabilize();
    // S2 takes over; S3 learns of the no-op's commit but not yet of "x"'s.
    c.isolate(1);
    c.elect(2);
    let now = c.local_now(2);
    c.node_mut(2).propose(now, b"x".to_vec()).unwrap();
    c.process(2);
    c.deliver_until(|from, to, m| {
        from == 3 && to == 2 && matches!(m.body, MessageBody::AppendEntriesResponse { .. })
    });
    c.cut.insert((2, 3));
    c.stabilize();
    assert_eq!(
        c.applied_data(2).last(),
        Some(&b"x".to_vec()),
        "x is committed"
    );
    // The old append finally arrives.
    c.heal();
    c.release_held();
    c.stabilize();
    c.heartbeat(2);
    c.heartbeat(2);
    c.assert_state_machine_safety();
    assert_eq!(c.applied_data(3), c.applied_data(2));
}

#[test]
fn stale_leader_append_is_refused() {
    stale_leader_cannot_overwrite(test_config());
}
