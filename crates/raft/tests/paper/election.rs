//! §5.2 Leader election, and Figure 2's RequestVote and "Rules for Servers".

use faultline_raft::{Config, HardState, MessageBody, PersistentState, RaftNode, Role};

use crate::harness::*;

fn no_prevote() -> Config {
    Config {
        pre_vote: false,
        ..test_config()
    }
}

fn voter(id: u64, terms: &[u64], term: u64) -> RaftNode {
    lone_node(id, no_prevote(), disk_with_log(&[1, 2, 3], terms, term))
}

fn vote_request(last_log_index: u64, last_log_term: u64) -> MessageBody {
    MessageBody::RequestVote {
        last_log_index,
        last_log_term,
        transfer: false,
    }
}

fn granted(out: &[(u64, faultline_raft::Message)]) -> Option<bool> {
    out.iter().find_map(|(_, m)| match m.body {
        MessageBody::RequestVoteResponse { granted } => Some(granted),
        _ => None,
    })
}

/// Figure 2, Followers: "If election timeout elapses without receiving AppendEntries from the
/// current leader or granting vote to candidate: convert to candidate." Candidates: increment
/// currentTerm, vote for self, send RequestVote to all other servers.
#[test]
fn follower_becomes_candidate_on_election_timeout() {
    let mut n = voter(1, &[1, 1], 1);
    let deadline = n.poll_timeout().unwrap();
    n.handle_timeout(deadline - 1);
    assert_eq!(n.role(), Role::Follower, "not before the timeout");
    n.handle_timeout(deadline);
    assert_eq!(n.role(), Role::Candidate);
    assert_eq!(n.term(), 2);
    let ready = n.take_ready();
    // The vote for itself is in the same Ready as the requests: persisted before sending.
    assert_eq!(
        ready.hard_state,
        Some(HardState {
            term: 2,
            vote: Some(1),
            commit: 0
        })
    );
    let mut to: Vec<u64> = ready.messages.iter().map(|o| o.to).collect();
    to.sort();
    assert_eq!(to, vec![2, 3]);
    for o in &ready.messages {
        assert_eq!(o.message.term, 2);
        assert_eq!(o.message.body, vote_request(2, 1));
    }
}

/// §5.2: election timeouts are chosen randomly from a fixed interval.
#[test]
fn election_timeouts_are_random_within_the_range() {
    let cfg = no_prevote();
    let mut seen = std::collections::BTreeSet::new();
    for seed in 0..20 {
        let mut n =
            RaftNode::with_seed(1, cfg.clone(), PersistentState::bootstrap([1, 2, 3]), seed)
                .unwrap();
        n.handle_timeout(1_000);
        let t = n.poll_timeout().unwrap() - 1_000;
        assert!((cfg.election_timeout_min..=cfg.election_timeout_max).contains(&t));
        seen.insert(t);
    }
    assert!(seen.len() > 10, "timeouts should differ across seeds");
}

/// Figure 2, Candidates: "If votes received from majority of servers: become leader", and
/// Leaders: "Upon election: send initial empty AppendEntries" (here: carrying the no-op).
#[test]
fn candidate_with_majority_becomes_leader_and_announces_itself() {
    let mut n = voter(1, &[1], 1);
    n.handle_timeout(n.poll_timeout().unwrap());
    drain(&mut n);
    n.handle_message(
        200 * MS,
        2,
        msg(2, MessageBody::RequestVoteResponse { granted: true }),
    );
    assert_eq!(n.role(), Role::Leader);
    assert_eq!(n.leader(), Some(1));
    let out = drain(&mut n);
    let mut to: Vec<u64> = out
        .iter()
        .filter(|(_, m)| matches!(m.body, MessageBody::AppendEntries { .. }))
        .map(|(to, _)| *to)
        .collect();
    to.sort();
    assert_eq!(to, vec![2, 3]);
    assert_eq!(n.last_index(), 2, "a no-op of the new term was appended");
    assert_eq!(n.term_at(2), Some(2));
}

/// A candidate that a majority refuses goes back to being a follower.
#[test]
fn candidate_rejected_by_majority_becomes_follower() {
    let mut n = voter(1, &[], 0);
    n.handle_timeout(n.poll_timeout().unwrap());
    drain(&mut n);
    let no = msg(1, MessageBody::RequestVoteResponse { granted: false });
    n.handle_message(200 * MS, 2, no.clone());
    assert_eq!(n.role(), Role::Candidate, "one refusal is not a majority");
    n.handle_message(200 * MS, 3, no);
    assert_eq!(n.role(), Role::Follower);
    assert_eq!(n.term(), 1);
}

/// Figure 2, Candidates: "If election timeout elapses: start new election."
#[test]
fn candidate_starts_a_new_election_on_timeout() {
    let mut n = voter(1, &[], 0);
    n.handle_timeout(n.poll_timeout().unwrap());
    assert_eq!(n.term(), 1);
    n.handle_timeout(n.poll_timeout().unwrap());
    assert_eq!((n.role(), n.term()), (Role::Candidate, 2));
}

/// Figure 2, Candidates: "If AppendEntries RPC received from new leader: convert to follower."
#[test]
fn candidate_steps_down_on_append_from_leader_of_same_term() {
    let mut n = voter(1, &[], 0);
    n.handle_timeout(n.poll_timeout().unwrap());
    drain(&mut n);
    n.handle_message(
        200 * MS,
        2,
        msg(
            1,
            MessageBody::AppendEntries {
                prev_log_index: 0,
                prev_log_term: 0,
                entries: vec![],
                leader_commit: 0,
            },
        ),
    );
    assert_eq!(
        (n.role(), n.term(), n.leader()),
        (Role::Follower, 1, Some(2))
    );
}

/// Figure 2, All Servers: "If RPC request or response contains term T > currentTerm: set
/// currentTerm = T, convert to follower."
#[test]
fn any_server_adopts_a_higher_term_and_follows() {
    let mut c = Cluster::new(3, no_prevote());
    c.elect(1);
    let leader = c.node_mut(1);
    let t = leader.term();
    leader.handle_message(
        1_000 * MS,
        2,
        msg(
            t + 3,
            MessageBody::AppendEntriesResponse {
                success: false,
                index: 0,
                hint: None,
            },
        ),
    );
    assert_eq!((leader.role(), leader.term()), (Role::Follower, t + 3));
    assert_eq!(leader.status().vote, None);
}

/// Figure 2, RequestVote receiver 1: "Reply false if term < currentTerm."
#[test]
fn vote_refused_for_stale_term() {
    let mut n = voter(2, &[1], 5);
    n.handle_message(0, 1, msg(4, vote_request(9, 4)));
    let out = drain(&mut n);
    assert_eq!(granted(&out), Some(false));
    assert_eq!(out[0].1.term, 5, "the refusal carries the newer term");
}

/// Figure 2, RequestVote receiver 2: "If votedFor is null or candidateId, and candidate's log
/// is at least as up-to-date as receiver's log, grant vote" — at most one vote per term.
#[test]
fn at_most_one_vote_per_term() {
    let mut n = voter(3, &[1], 1);
    n.handle_message(0, 1, msg(2, vote_request(1, 1)));
    assert_eq!(granted(&drain(&mut n)), Some(true));
    n.handle_message(0, 2, msg(2, vote_request(1, 1)));
    assert_eq!(granted(&drain(&mut n)), Some(false), "already voted for 1");
    n.handle_message(0, 1, msg(2, vote_request(1, 1)));
    assert_eq!(
        granted(&drain(&mut n)),
        Some(true),
        "a repeated request is granted again"
    );
    assert_eq!(n.status().vote, Some(1));
}

/// §5.4.1 election restriction: the voter denies its vote if its own log is more up-to-date
/// (later last term, or same last term and longer). Detects `vote_without_log_check`.
pub fn vote_requires_up_to_date_log(cfg: Config) {
    // Voter log: terms [1, 1, 2] (last index 3, last term 2).
    let cases = [
        (3, 2, true),  // identical
        (4, 2, true),  // same term, longer
        (1, 3, true),  // later term wins even if shorter
        (2, 2, false), // same term, shorter
        (9, 1, false), // earlier term loses even if longer
    ];
    for (last_index, last_term, expect) in cases {
        let mut n = lone_node(2, cfg.clone(), disk_with_log(&[1, 2, 3], &[1, 1, 2], 2));
        n.handle_message(0, 1, msg(5, vote_request(last_index, last_term)));
        assert_eq!(
            granted(&drain(&mut n)),
            Some(expect),
            "candidate log (index {last_index}, term {last_term})"
        );
    }
}

#[test]
fn vote_granted_only_to_up_to_date_logs() {
    vote_requires_up_to_date_log(no_prevote());
}

/// Granting a vote resets the election timer (Figure 2, Followers).
#[test]
fn granting_a_vote_resets_the_election_timer() {
    let mut n = voter(2, &[], 0);
    let first = n.poll_timeout().unwrap();
    n.handle_message(first - 1, 1, msg(1, vote_request(0, 0)));
    assert!(n.poll_timeout().unwrap() >= first - 1 + no_prevote().election_timeout_min);
}

/// §5.2: a cluster elects exactly one leader, and everyone learns who it is.
#[test]
fn five_servers_elect_one_leader() {
    let mut c = Cluster::new(5, no_prevote());
    c.elect(3);
    assert_eq!(c.leaders(), vec![(3, 1)]);
    for id in 1..=5 {
        assert_eq!(c.node(id).leader(), Some(3));
        assert_eq!(c.node(id).term(), 1);
    }
}

/// §5.2: with split votes nobody wins the term; a later timeout resolves it.
#[test]
fn split_vote_resolved_by_a_later_election() {
    let mut c = Cluster::new(4, no_prevote());
    // 3 hears from 1 first and 4 from 2 first: two votes each, no majority of three.
    c.holding.insert((1, 4));
    c.holding.insert((2, 3));
    c.elapse(300 * MS);
    c.tick(1);
    c.tick(2);
    c.stabilize();
    c.release_held();
    c.stabilize();
    assert!(c.leaders().is_empty(), "a split vote elects nobody");
    assert_eq!((c.node(1).term(), c.node(2).term()), (1, 1));
    c.elect(3);
    assert_eq!(c.leaders(), vec![(3, 2)]);
}

/// §6 (disruptive servers): a server that has heard from the leader within the minimum
/// election timeout ignores RequestVote, so a removed server cannot depose a healthy leader.
#[test]
fn removed_server_cannot_disrupt_the_cluster() {
    let cfg = no_prevote();
    let mut c = Cluster::new(3, cfg.clone());
    // Server 4 still believes it is part of a 4-voter cluster; the others never heard of it.
    c.add_node(4, cfg, PersistentState::bootstrap([1, 2, 3, 4]));
    c.elect(1);
    let term = c.node(1).term();
    for _ in 0..30 {
        c.heartbeat(1);
        c.tick(4);
        c.stabilize();
    }
    assert!(c.node(4).term() > term + 2, "server 4 kept campaigning");
    assert_eq!(c.leaders(), vec![(1, term)], "the leader was not disturbed");
    assert_eq!(c.node(2).term(), term);
}

/// The timeout is drawn from the closed interval: both ends occur (here a 1 ns wide range).
#[test]
fn election_timeouts_reach_both_ends_of_the_range() {
    let cfg = Config {
        election_timeout_max: 100 * MS + 1,
        ..no_prevote()
    };
    let mut seen = std::collections::BTreeSet::new();
    for seed in 0..64 {
        let disk = PersistentState::bootstrap([1, 2, 3]);
        let mut n = RaftNode::with_seed(1, cfg.clone(), disk, seed).unwrap();
        n.handle_timeout(1_000);
        seen.insert(n.poll_timeout().unwrap() - 1_000);
    }
    let ends: std::collections::BTreeSet<u64> = [100 * MS, 100 * MS + 1].into();
    assert_eq!(seen, ends);
}

/// Learning the leader of its own term keeps a follower's vote: a second candidate of that
/// term is refused, and nothing new is written.
#[test]
fn hearing_the_leader_of_the_same_term_keeps_the_vote() {
    let mut n = voter(3, &[1], 1);
    n.handle_message(0, 1, msg(2, vote_request(1, 1)));
    assert_eq!(granted(&drain(&mut n)), Some(true));
    n.take_ready();
    let heartbeat = MessageBody::Heartbeat { commit: 0, seq: 1 };
    n.handle_message(1, 1, msg(2, heartbeat));
    assert_eq!(n.take_ready().hard_state, None, "the same term and vote");
    n.handle_message(2, 2, msg(2, vote_request(1, 1)));
    assert_eq!(
        granted(&drain(&mut n)),
        Some(false),
        "voted for 1 in term 2"
    );
    assert_eq!(n.status().vote, Some(1));
    // A candidate that learns the winner of its term steps down and keeps its own vote.
    let mut c = voter(2, &[1], 1);
    c.handle_timeout(c.poll_timeout().unwrap());
    assert_eq!((c.role(), c.term()), (Role::Candidate, 2));
    c.take_ready();
    c.handle_message(3, 1, msg(2, MessageBody::Heartbeat { commit: 0, seq: 1 }));
    assert_eq!((c.role(), c.leader()), (Role::Follower, Some(1)));
    assert_eq!(c.take_ready().hard_state, None, "the same term and vote");
    c.handle_message(4, 3, msg(2, vote_request(1, 1)));
    assert_eq!(
        granted(&drain(&mut c)),
        Some(false),
        "voted for itself in term 2"
    );
}

/// A candidate counts only answers to its own round: a granted pre-vote (of any term) is no
/// vote, and a pre-candidate does not count a grant stamped with the term it already has (an
/// answer to an earlier round).
#[test]
fn only_answers_to_this_round_are_counted() {
    let pre_vote_answers = |n: &mut RaftNode, term, granted| {
        for from in [2, 3] {
            n.handle_message(0, from, msg(term, MessageBody::PreVoteResponse { granted }));
        }
    };
    let timed_out = |mut n: RaftNode| {
        n.handle_timeout(n.poll_timeout().unwrap());
        n
    };
    let pre_candidate = || {
        timed_out(lone_node(
            1,
            test_config(),
            disk_with_log(&[1, 2, 3], &[1], 1),
        ))
    };
    let mut n = timed_out(voter(1, &[1], 1));
    assert_eq!((n.role(), n.term()), (Role::Candidate, 2));
    pre_vote_answers(&mut n, 2, true);
    assert_eq!(n.role(), Role::Candidate, "pre-vote grants are not votes");
    let mut p = pre_candidate();
    assert_eq!((p.role(), p.term()), (Role::PreCandidate, 1));
    pre_vote_answers(&mut p, 1, true);
    assert_eq!(p.role(), Role::PreCandidate, "grants for an earlier round");
    p.handle_message(0, 2, msg(2, MessageBody::PreVoteResponse { granted: true }));
    assert_eq!((p.role(), p.term()), (Role::Candidate, 2));
    // Refusals name the voter's own term: from a majority at the pre-candidate's term, it
    // gives up the round.
    let mut q = pre_candidate();
    pre_vote_answers(&mut q, 1, false);
    assert_eq!((q.role(), q.term()), (Role::Follower, 1));
}

/// With lease reads, only a server that was in a term before promises not to vote after a
/// (re)start; a brand-new one (term 0) votes at once.
#[test]
fn a_server_that_never_had_a_term_makes_no_lease_promise() {
    let cfg = Config {
        lease_reads: true,
        max_clock_drift: 30 * MS,
        ..no_prevote()
    };
    let mut n = lone_node(3, cfg, PersistentState::bootstrap([1, 2, 3]));
    assert_eq!(n.term(), 0);
    n.handle_message(0, 1, msg(1, vote_request(0, 0)));
    assert_eq!(granted(&drain(&mut n)), Some(true));
}
