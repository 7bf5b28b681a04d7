//! Leadership transfer (thesis §3.10): bring the target up to date, then TimeoutNow.

use faultline_raft::{MessageBody, ProposeError, Role, TransferError};

use crate::harness::*;

/// An up-to-date target is told to campaign at once and wins the next term, even though the
/// other voters heard from the old leader moments ago (the transfer overrides that check).
#[test]
fn transfer_to_an_up_to_date_follower() {
    let mut c = Cluster::new(3, test_config());
    c.elect(1);
    c.heartbeat(1);
    let term = c.node(1).term();
    let now = c.local_now(1);
    c.node_mut(1).transfer_leadership(now, 2).unwrap();
    c.process(1);
    assert!(c
        .queue
        .iter()
        .any(|(_, to, m)| *to == 2 && m.body == MessageBody::TimeoutNow));
    c.stabilize();
    assert_eq!(c.leaders(), vec![(2, term + 1)]);
    assert_eq!(c.node(1).leader(), Some(2));
}

/// A lagging target first receives the missing entries; TimeoutNow follows once it matches.
#[test]
fn transfer_catches_up_a_lagging_target_first() {
    let mut c = Cluster::new(3, test_config());
    c.elect(1);
    c.isolate(3);
    c.propose(1, b"a");
    c.propose(1, b"b");
    c.heal();
    let now = c.local_now(1);
    c.node_mut(1).transfer_leadership(now, 3).unwrap();
    c.process(1);
    let mut saw_entries_before_timeout = false;
    let mut timeouts_now = Vec::new();
    while let Some((_, to, m)) = c.deliver_one() {
        match m.body {
            MessageBody::AppendEntries { ref entries, .. } if to == 3 && !entries.is_empty() => {
                saw_entries_before_timeout |= timeouts_now.is_empty()
            }
            MessageBody::TimeoutNow => timeouts_now.push(to),
            _ => {}
        }
    }
    assert!(saw_entries_before_timeout);
    assert_eq!(
        timeouts_now,
        vec![3],
        "once, to the target, once it caught up"
    );
    assert_eq!(c.node(3).role(), Role::Leader);
    assert_eq!(c.applied_data(3), vec![b"a".to_vec(), b"b".to_vec()]);
}

/// TimeoutNow goes to the transfer's target only: another follower whose acknowledgement
/// shows it caught up during the transfer is not told to campaign.
#[test]
fn only_the_target_is_told_to_campaign() {
    let mut c = Cluster::new(3, test_config());
    c.elect(1);
    c.heartbeat(1);
    let term = c.node(1).term();
    c.holding.insert((1, 2));
    c.isolate(3);
    let i = c.propose(1, b"a");
    let now = c.local_now(1);
    c.node_mut(1).transfer_leadership(now, 3).unwrap();
    c.process(1);
    c.release_held();
    let mut timeouts_now = Vec::new();
    while let Some((_, to, m)) = c.deliver_one() {
        if m.body == MessageBody::TimeoutNow {
            timeouts_now.push(to);
        }
    }
    assert_eq!(c.node(1).match_index(2), Some(i), "server 2 caught up");
    assert_eq!(timeouts_now, Vec::<u64>::new());
    assert_eq!(c.leaders(), vec![(1, term)]);
}

/// During a transfer the leader refuses new proposals; if the target never answers, the
/// transfer is abandoned after an election timeout and proposals are accepted again.
#[test]
fn transfer_blocks_proposals_and_times_out() {
    let mut c = Cluster::new(3, test_config());
    c.elect(1);
    c.isolate(3);
    c.propose(1, b"a");
    let now = c.local_now(1);
    c.node_mut(1).transfer_leadership(now, 3).unwrap();
    assert_eq!(
        c.node_mut(1).propose(now, b"b".to_vec()),
        Err(ProposeError::TransferInProgress)
    );
    // Still under way one heartbeat later, well within the election timeout.
    c.heartbeat(1);
    let later = c.local_now(1);
    assert_eq!(
        c.node_mut(1).propose(later, b"b".to_vec()),
        Err(ProposeError::TransferInProgress)
    );
    for _ in 0..5 {
        c.heartbeat(1);
    }
    assert_eq!(c.node(1).role(), Role::Leader);
    let now = c.local_now(1);
    assert!(c.node_mut(1).propose(now, b"b".to_vec()).is_ok());
}

/// Only the leader transfers, and only to a voter.
#[test]
fn transfer_preconditions() {
    let mut c = Cluster::new(3, test_config());
    c.elect(1);
    assert_eq!(
        c.node_mut(2).transfer_leadership(0, 3),
        Err(TransferError::NotLeader {
            leader_hint: Some(1)
        })
    );
    assert_eq!(
        c.node_mut(1).transfer_leadership(0, 9),
        Err(TransferError::NotVoter(9))
    );
}
