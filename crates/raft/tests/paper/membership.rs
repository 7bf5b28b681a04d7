//! §6 Cluster membership changes: joint consensus with learners, the configuration taking
//! effect from the log, removing the leader.

use std::collections::BTreeSet;

use faultline_raft::{
    ConfChange, ConfChangeError, Config, Entry, EntryKind, Membership, MessageBody,
    PersistentState, Probe, Role,
};

use crate::harness::*;

fn set(ids: &[u64]) -> BTreeSet<u64> {
    ids.iter().copied().collect()
}

fn change(voters: &[u64], learners: &[u64]) -> ConfChange {
    ConfChange {
        voters: set(voters),
        learners: set(learners),
    }
}

fn propose_change(c: &mut Cluster, leader: u64, cc: ConfChange) -> Result<u64, ConfChangeError> {
    let now = c.local_now(leader);
    let r = c
        .node_mut(leader)
        .change_membership(now, cc)
        .map(|p| p.index);
    c.process(leader);
    r
}

/// Adds servers that start empty (they learn everything from the leader).
fn add_joiners(c: &mut Cluster, ids: &[u64]) {
    for &id in ids {
        c.add_node(id, test_config(), PersistentState::default());
    }
}

/// §6: "a server always uses the latest configuration in its log, regardless of whether the
/// entry is committed" — the leader switches on append.
#[test]
fn configuration_takes_effect_when_appended() {
    let mut c = Cluster::new(3, test_config());
    add_joiners(&mut c, &[4]);
    c.elect(1);
    propose_change(&mut c, 1, change(&[1, 2, 3, 4], &[])).unwrap();
    let cfg = c.node(1).config().clone();
    assert!(cfg.is_joint(), "joint consensus in force before commit");
    assert_eq!(cfg.outgoing, set(&[1, 2, 3]));
    assert_eq!(cfg.voters, set(&[1, 2, 3, 4]));
    assert!(c.node(1).commit_index() < c.node(1).last_index());
}

/// §6: a configuration entry that is truncated away takes its configuration with it.
#[test]
fn truncated_configuration_is_undone() {
    let mut n = lone_node(2, test_config(), PersistentState::bootstrap([1, 2, 3]));
    let cfg_entry = Entry {
        term: 1,
        index: 1,
        kind: EntryKind::Config(Membership::new([1, 2, 3, 4])),
    };
    let append = |term, entries| {
        msg(
            term,
            MessageBody::AppendEntries {
                prev_log_index: 0,
                prev_log_term: 0,
                entries,
                leader_commit: 0,
            },
        )
    };
    n.handle_message(0, 1, append(1, vec![cfg_entry]));
    assert_eq!(n.config().voters, set(&[1, 2, 3, 4]));
    n.handle_message(0, 3, append(2, vec![entry(1, 2)]));
    assert_eq!(
        n.config().voters,
        set(&[1, 2, 3]),
        "back to the previous configuration"
    );
}

/// Learners receive the log but do not count towards commitment or elections; promotion goes
/// through joint consensus, which the leader leaves by itself once the joint entry commits.
#[test]
fn learner_catches_up_then_is_promoted() {
    let mut c = Cluster::new(3, test_config());
    add_joiners(&mut c, &[4]);
    c.elect(1);
    c.propose(1, b"a");
    propose_change(&mut c, 1, change(&[1, 2, 3], &[4])).unwrap();
    c.stabilize();
    c.heartbeat(1);
    assert_eq!(c.node(4).config().learners, set(&[4]));
    assert_eq!(
        c.applied_data(4),
        vec![b"a".to_vec()],
        "the learner caught up"
    );
    // A learner's acknowledgement does not help commit: with 2 and 3 cut off nothing commits.
    c.isolate(2);
    c.isolate(3);
    let before = c.node(1).commit_index();
    c.propose(1, b"b");
    assert_eq!(c.node(4).last_index(), c.node(1).last_index());
    assert_eq!(c.node(1).commit_index(), before);
    // Nor can a learner campaign, not even while a change (a second learner) is uncommitted.
    c.campaign(4);
    assert_eq!(c.node(4).role(), Role::Follower);
    add_joiners(&mut c, &[5]);
    propose_change(&mut c, 1, change(&[1, 2, 3], &[4, 5])).unwrap();
    c.stabilize();
    assert!(c.node(4).commit_index() < c.node(4).last_index());
    c.campaign(4);
    assert_eq!(c.node(4).role(), Role::Follower);
    c.heal();
    c.heartbeat(1);
    // Promotion (5 stays a learner).
    propose_change(&mut c, 1, change(&[1, 2, 3, 4], &[5])).unwrap();
    c.stabilize();
    c.heartbeat(1);
    for id in 1..=4 {
        let cfg = c.node(id).config();
        assert!(!cfg.is_joint(), "server {id} left joint consensus");
        assert_eq!(cfg.voters, set(&[1, 2, 3, 4]));
        assert_eq!(cfg.learners, set(&[5]));
    }
    let configs: Vec<Membership> = c.slots[&4]
        .applied
        .values()
        .filter_map(|e| match &e.kind {
            EntryKind::Config(m) => Some(m.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(
        configs.len(),
        4,
        "learner 4, learner 5, enter joint, leave joint"
    );
    assert!(configs[2].is_joint() && !configs[3].is_joint());
}

/// §6: during joint consensus, agreement needs separate majorities of the old and the new
/// configuration.
#[test]
fn joint_consensus_needs_both_majorities() {
    let mut c = Cluster::new(3, test_config());
    add_joiners(&mut c, &[4, 5]);
    c.elect(1);
    c.isolate(4);
    c.isolate(5);
    let joint = propose_change(&mut c, 1, change(&[1, 4, 5], &[])).unwrap();
    c.stabilize();
    c.heartbeat(1);
    assert!(
        c.node(1).commit_index() < joint,
        "old majority {{1,2,3}} alone cannot commit the joint entry"
    );
    c.heal();
    c.heartbeat(1);
    c.heartbeat(1);
    assert!(
        c.node(1).commit_index() > joint,
        "both majorities, then the leave entry"
    );
    assert_eq!(c.node(1).config(), &Membership::new([1, 4, 5]));
    // The new configuration alone decides from now on: 2 and 3 are not needed.
    c.isolate(2);
    c.isolate(3);
    let i = c.propose(1, b"new world");
    assert_eq!(c.node(1).commit_index(), i);
}

/// §6: the leader can remove itself. It manages the cluster until the configuration without
/// it commits, then steps down and never campaigns again; the rest elect a new leader.
#[test]
fn removed_leader_steps_down() {
    let mut c = Cluster::new(3, test_config());
    c.elect(1);
    propose_change(&mut c, 1, change(&[2, 3], &[])).unwrap();
    c.stabilize();
    c.heartbeat(1);
    assert_eq!(c.node(1).role(), Role::Follower);
    assert_eq!(c.node(2).config(), &Membership::new([2, 3]));
    let term = c.node(1).term();
    c.campaign(1);
    assert_eq!(c.node(1).term(), term, "a removed server does not campaign");
    c.elect(2);
    let i = c.propose(2, b"after");
    assert_eq!(c.node(3).commit_index(), i);
}

/// One change at a time, and only once the leader has committed an entry of its own term
/// (the fix published for single-server changes, applied here too).
#[test]
fn change_preconditions() {
    let cfg = Config {
        pre_vote: false,
        ..test_config()
    };
    let mut n = lone_node(1, cfg, PersistentState::bootstrap([1, 2, 3]));
    n.handle_timeout(n.poll_timeout().unwrap());
    n.handle_message(
        0,
        2,
        msg(1, MessageBody::RequestVoteResponse { granted: true }),
    );
    assert_eq!(n.role(), Role::Leader);
    assert_eq!(
        n.change_membership(0, change(&[1, 2], &[])),
        Err(ConfChangeError::NoCommitInTerm)
    );
    let ack = msg(
        1,
        MessageBody::AppendEntriesResponse {
            success: true,
            index: 1,
            hint: None,
        },
    );
    n.handle_message(0, 2, ack);
    assert_eq!(n.commit_index(), 1);
    assert_eq!(
        n.change_membership(0, change(&[], &[])),
        Err(ConfChangeError::Invalid("the configuration needs a voter"))
    );
    assert!(matches!(
        n.change_membership(0, change(&[1, 2], &[3])),
        Err(ConfChangeError::Invalid(_))
    ));
    n.change_membership(0, change(&[1, 2, 3, 4], &[])).unwrap();
    assert_eq!(
        n.change_membership(0, change(&[1, 2, 3], &[])),
        Err(ConfChangeError::ChangeInProgress)
    );
    let mut f = lone_node(2, test_config(), PersistentState::bootstrap([1, 2, 3]));
    assert!(matches!(
        f.change_membership(0, change(&[1], &[])),
        Err(ConfChangeError::NotLeader { .. })
    ));
}

/// The applied configuration trails the one in force: it changes only once the configuration
/// entry is committed and handed out for applying.
#[test]
fn the_applied_configuration_follows_the_applied_index() {
    let mut c = Cluster::new(3, test_config());
    add_joiners(&mut c, &[4]);
    c.elect(1);
    c.isolate(2);
    c.isolate(3);
    let index = propose_change(&mut c, 1, change(&[1, 2, 3, 4], &[])).unwrap();
    c.stabilize();
    let leader = c.node(1);
    assert_eq!(leader.id(), 1);
    assert!(leader.config().is_joint());
    assert!(
        leader.applied_index() < index,
        "no majority of both halves yet"
    );
    assert_eq!(leader.applied_config().voters, set(&[1, 2, 3]));
    assert!(!leader.applied_config().is_joint());
    let kind = &leader.entry(index).expect("held").kind;
    assert!(matches!(kind, EntryKind::Config(_)), "{kind:?}");
    c.heal();
    c.heartbeat(1);
    let leader = c.node(1);
    assert!(leader.applied_index() >= index);
    assert_eq!(leader.applied_config().voters, set(&[1, 2, 3, 4]));
    let left_for_another = Probe::JointLeftByNewLeader.bit();
    assert_eq!(
        leader.probes() & left_for_another,
        0,
        "it left its own joint entry"
    );
}

/// A second change waits until the first commits, even one that needs no joint consensus
/// (a learner added).
#[test]
fn a_change_waits_for_the_uncommitted_one_before_it() {
    let mut c = Cluster::new(3, test_config());
    add_joiners(&mut c, &[4, 5]);
    c.elect(1);
    c.isolate(2);
    c.isolate(3);
    propose_change(&mut c, 1, change(&[1, 2, 3], &[4])).unwrap();
    assert!(!c.node(1).config().is_joint());
    let second = propose_change(&mut c, 1, change(&[1, 2, 3], &[4, 5]));
    assert_eq!(second, Err(ConfChangeError::ChangeInProgress));
    c.heal();
    c.heartbeat(1);
    assert!(propose_change(&mut c, 1, change(&[1, 2, 3], &[4, 5])).is_ok());
}

/// A server added by a change starts in Probe state one past the leader's last entry: the
/// leader probes it once, at that entry (an empty append the joiner refuses with a hint), and
/// sends nothing more until it answers; its answer alone brings it the whole log, without
/// waiting for a heartbeat. A paused probe is not a full pipeline (no flow-control probe).
#[test]
fn a_joiner_is_probed_once_at_the_leaders_last_entry() {
    let mut c = Cluster::new(3, test_config());
    add_joiners(&mut c, &[4]);
    c.elect(1);
    c.propose(1, b"a");
    c.holding.insert((1, 4));
    let index = propose_change(&mut c, 1, change(&[1, 2, 3], &[4])).unwrap();
    c.stabilize();
    assert_eq!(c.node(1).commit_index(), index, "committed by 1, 2 and 3");
    let probes: Vec<(u64, usize)> = c
        .held
        .iter()
        .filter_map(|(_, _, m)| match &m.body {
            MessageBody::AppendEntries {
                prev_log_index,
                entries,
                ..
            } => Some((*prev_log_index, entries.len())),
            _ => None,
        })
        .collect();
    assert_eq!(
        probes,
        vec![(index, 0)],
        "one empty probe at the last entry"
    );
    let full = Probe::FlowControlFull.bit();
    assert_eq!(
        c.node(1).probes() & full,
        0,
        "a paused probe is no full window"
    );
    c.release_held();
    c.stabilize();
    assert_eq!(
        c.node(4).last_index(),
        index,
        "caught up by the probe's answer"
    );
    assert_eq!(c.applied_data(4), vec![b"a".to_vec()]);
}
