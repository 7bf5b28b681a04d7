//! The persistence contract and restart from persisted state (Figure 2, "Persistent state on
//! all servers ... updated on stable storage before responding to RPCs").

use faultline_raft::{Config, MessageBody, RaftNode};

use crate::harness::*;

fn no_prevote() -> Config {
    Config {
        pre_vote: false,
        ..test_config()
    }
}

/// A vote is in the same `Ready` as the response that grants it (persisted before sending);
/// after a restart from that disk the server still refuses a second candidate of that term.
pub fn vote_survives_restart(cfg: Config) {
    let mut disk = faultline_raft::PersistentState::bootstrap([1, 2, 3]);
    let mut n = RaftNode::with_seed(3, cfg.clone(), disk.clone(), 3).unwrap();
    n.handle_timeout(0);
    let vote = msg(
        4,
        MessageBody::RequestVote {
            last_log_index: 0,
            last_log_term: 0,
            transfer: false,
        },
    );
    n.handle_message(0, 1, vote.clone());
    let ready = n.take_ready();
    assert_eq!(
        ready.hard_state.map(|h| (h.term, h.vote)),
        Some((4, Some(1)))
    );
    assert!(ready
        .messages
        .iter()
        .any(|o| o.message.body == MessageBody::RequestVoteResponse { granted: true }));
    disk.apply_ready(&ready);

    let mut n = RaftNode::with_seed(3, cfg, disk, 33).unwrap();
    n.handle_timeout(0);
    assert_eq!(n.term(), 4);
    n.handle_message(0, 2, vote);
    let granted = n
        .take_ready()
        .messages
        .iter()
        .any(|o| o.message.body == MessageBody::RequestVoteResponse { granted: true });
    assert!(
        !granted,
        "a second vote in term 4 after restart: two leaders possible"
    );
}

#[test]
fn restart_keeps_term_and_vote() {
    vote_survives_restart(no_prevote());
}

/// The whole cluster crashes and restarts from disk: committed entries survive, are applied
/// again in the same order, and the cluster goes on.
#[test]
fn cluster_restart_preserves_committed_entries() {
    let mut c = Cluster::new(3, test_config());
    c.elect(1);
    c.propose(1, b"a");
    c.propose(1, b"b");
    c.heartbeat(1);
    let before: Vec<_> = (1..=3).map(|id| c.slots[&id].applied.clone()).collect();
    for id in 1..=3 {
        c.crash(id);
    }
    for id in 1..=3 {
        c.slots.get_mut(&id).unwrap().applied.clear();
        c.restart(id);
        assert_eq!(c.node(id).commit_index(), before[0].len() as u64);
    }
    c.stabilize();
    for id in 1..=3 {
        assert_eq!(
            c.slots[&id].applied,
            before[id as usize - 1],
            "replayed on restart"
        );
    }
    c.elect(2);
    c.propose(2, b"c");
    c.heartbeat(2);
    for id in 1..=3 {
        assert_eq!(
            c.applied_data(id),
            vec![b"a".to_vec(), b"b".to_vec(), b"c".to_vec()]
        );
    }
    c.assert_log_matching();
}

/// Entries a follower acknowledged are on its disk before the acknowledgement leaves: a
/// follower that crashes right after acking still has them on restart.
#[test]
fn acknowledged_entries_are_durable() {
    let mut c = Cluster::new(3, test_config());
    c.elect(1);
    c.propose(1, b"a");
    let acked = c.node(2).last_index();
    c.crash(2);
    c.restart(2);
    assert_eq!(c.node(2).last_index(), acked);
    assert_eq!(c.node(2).term(), c.node(1).term());
}

/// A corrupt disk is an error, not a panic.
#[test]
fn inconsistent_disk_is_rejected() {
    let mut disk = disk_with_log(&[1, 2, 3], &[1, 2], 2);
    disk.entries.remove(0);
    assert!(RaftNode::with_seed(1, test_config(), disk, 1).is_err());
    let disk = disk_with_log(&[1, 2, 3], &[1, 5], 2);
    assert!(RaftNode::with_seed(1, test_config(), disk, 1).is_err());
}
