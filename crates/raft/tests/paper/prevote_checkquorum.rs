//! Pre-vote (thesis §9.6) and check-quorum: a partitioned server does not inflate terms, and a
//! leader that lost its majority steps down.

use faultline_raft::{Config, MessageBody, Role};

use crate::harness::*;

/// A pre-candidate asks without changing its term or vote (nothing to persist), naming the term
/// it would campaign in; only a majority of grants turns it into a real candidate.
#[test]
fn prevote_raises_the_term_only_after_a_majority_would_vote() {
    let mut n = lone_node(1, test_config(), disk_with_log(&[1, 2, 3], &[1], 1));
    n.take_ready();
    n.handle_timeout(n.poll_timeout().unwrap());
    assert_eq!((n.role(), n.term()), (Role::PreCandidate, 1));
    let ready = n.take_ready();
    assert_eq!(
        ready.hard_state, None,
        "a pre-vote changes no durable state"
    );
    assert!(ready
        .messages
        .iter()
        .all(|o| o.message.term == 2 && matches!(o.message.body, MessageBody::PreVote { .. })));
    n.handle_message(0, 2, msg(2, MessageBody::PreVoteResponse { granted: true }));
    assert_eq!((n.role(), n.term()), (Role::Candidate, 2));
    assert_eq!(n.status().vote, Some(1));
}

/// A pre-vote changes nothing at the receiver either, even when granted.
#[test]
fn answering_a_prevote_changes_nothing() {
    let mut n = lone_node(2, test_config(), disk_with_log(&[1, 2, 3], &[1], 1));
    n.take_ready();
    n.handle_message(
        500 * MS,
        1,
        msg(
            5,
            MessageBody::PreVote {
                last_log_index: 1,
                last_log_term: 1,
            },
        ),
    );
    let ready = n.take_ready();
    assert_eq!((n.term(), n.status().vote), (1, None));
    assert_eq!(ready.hard_state, None);
    assert!(ready
        .messages
        .iter()
        .any(|o| o.message.body == MessageBody::PreVoteResponse { granted: true }));
}

/// With pre-vote, a server cut off from the majority keeps its term while it retries, and
/// rejoins without deposing the leader.
#[test]
fn partitioned_server_does_not_disrupt_with_prevote() {
    let mut c = Cluster::new(3, test_config());
    c.elect(1);
    let term = c.node(1).term();
    c.isolate(3);
    for _ in 0..5 {
        c.campaign(3);
        c.heartbeat(1);
    }
    assert_eq!(
        c.node(3).term(),
        term,
        "pre-votes failed, so the term never rose"
    );
    c.heal();
    c.heartbeat(1);
    assert_eq!(c.leaders(), vec![(1, term)]);
    assert_eq!(c.node(3).leader(), Some(1));
}

/// Without pre-vote the same partition inflates the isolated server's term (the contrast that
/// motivates pre-vote).
#[test]
fn partitioned_server_inflates_its_term_without_prevote() {
    let cfg = Config {
        pre_vote: false,
        ..test_config()
    };
    let mut c = Cluster::new(3, cfg);
    c.elect(1);
    let term = c.node(1).term();
    c.isolate(3);
    for _ in 0..5 {
        c.campaign(3);
    }
    assert_eq!(c.node(3).term(), term + 5);
}

/// Check-quorum: a leader that has not heard from a majority within an election timeout steps
/// down, so clients stop sending it requests.
#[test]
fn leader_without_quorum_steps_down() {
    let mut c = Cluster::new(3, test_config());
    c.elect(1);
    c.isolate(1);
    for _ in 0..12 {
        c.heartbeat(1);
    }
    assert_eq!(c.node(1).role(), Role::Follower);
    assert_eq!(c.node(1).leader(), None);
}

/// Check-quorum keeps a leader whose followers answer.
#[test]
fn leader_with_quorum_stays() {
    let mut c = Cluster::new(3, test_config());
    c.elect(1);
    c.isolate(3);
    for _ in 0..30 {
        c.heartbeat(1);
    }
    assert_eq!(c.node(1).role(), Role::Leader);
}

/// Without check-quorum, an isolated leader keeps believing it leads.
#[test]
fn without_check_quorum_an_isolated_leader_stays() {
    let cfg = Config {
        check_quorum: false,
        ..test_config()
    };
    let mut c = Cluster::new(3, cfg);
    c.elect(1);
    c.isolate(1);
    for _ in 0..30 {
        c.heartbeat(1);
    }
    assert_eq!(c.node(1).role(), Role::Leader);
}

/// Leader stickiness (thesis §4.2.3): a follower that heard from the leader within the minimum
/// election timeout ignores a higher-term RequestVote, so a removed or partitioned server cannot
/// depose a working leader; past that time it votes.
#[test]
fn a_follower_ignores_vote_requests_while_it_hears_the_leader() {
    let mut c = Cluster::new(3, test_config());
    c.elect(1);
    c.heartbeat(1);
    let term = c.node(3).term();
    let request = || {
        msg(
            term + 1,
            MessageBody::RequestVote {
                last_log_index: 10,
                last_log_term: 10,
                transfer: false,
            },
        )
    };
    let now = c.local_now(3);
    c.node_mut(3).handle_message(now, 2, request());
    assert_eq!((c.node(3).term(), c.node(3).status().vote), (term, Some(1)));
    let later = now + test_config().election_timeout_min;
    c.node_mut(3).handle_message(later, 2, request());
    assert_eq!(
        (c.node(3).term(), c.node(3).status().vote),
        (term + 1, Some(2))
    );
}

/// A pre-vote refused by a server already at the campaign term: the refusal names the voter's
/// own term and the pre-candidate adopts it, so it can campaign past it next time. A refusal
/// that named the campaign term and was merely counted would leave two halves of an even
/// voter set (one a term ahead with the shorter logs) refusing each other forever. Detects
/// `prevote_rejection_hides_term` (found by the swarm Raft template).
pub fn prevote_refusal_from_a_later_term_is_adopted(cfg: Config) {
    // Node 1: term 1, log up to index 2. It pre-votes for term 2.
    let mut n = lone_node(1, cfg.clone(), disk_with_log(&[1, 2, 3, 4], &[1, 1], 1));
    n.take_ready();
    let timeout = n.poll_timeout().unwrap();
    n.handle_timeout(timeout);
    assert_eq!((n.role(), n.term()), (Role::PreCandidate, 1));
    n.take_ready();
    // Node 2, at term 2 with a shorter log, refuses: its term is not behind the campaign's.
    let mut voter = lone_node(2, cfg, disk_with_log(&[1, 2, 3, 4], &[1], 2));
    voter.take_ready();
    voter.handle_message(
        0,
        1,
        msg(
            2,
            MessageBody::PreVote {
                last_log_index: 2,
                last_log_term: 1,
            },
        ),
    );
    let refusal = drain(&mut voter).pop().expect("an answer").1;
    assert_eq!(
        refusal.body,
        MessageBody::PreVoteResponse { granted: false }
    );
    n.handle_message(timeout, 2, refusal);
    assert_eq!(
        (n.role(), n.term()),
        (Role::Follower, 2),
        "the pre-candidate catches up with the term that refused it"
    );
}

#[test]
fn a_prevote_refusal_from_a_later_term_is_adopted() {
    prevote_refusal_from_a_later_term_is_adopted(test_config());
}

/// A pre-vote for a term older than the voter's own is refused at once, stamped with the
/// voter's term, so the pre-candidate behind learns the term it must catch up to.
#[test]
fn a_prevote_from_an_older_term_is_refused_with_the_newer_term() {
    let mut n = lone_node(2, test_config(), disk_with_log(&[1, 2, 3], &[1], 5));
    n.take_ready();
    let pre_vote = MessageBody::PreVote {
        last_log_index: 9,
        last_log_term: 4,
    };
    n.handle_message(0, 1, msg(3, pre_vote));
    let answers = drain(&mut n);
    assert_eq!(answers.len(), 1, "{answers:?}");
    let (to, answer) = &answers[0];
    assert_eq!(*to, 1);
    assert_eq!(answer.term, 5);
    assert_eq!(answer.body, MessageBody::PreVoteResponse { granted: false });
}
