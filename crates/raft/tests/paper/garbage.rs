//! Bad input never panics: random, malformed and extreme messages are ignored or rejected.

use faultline_raft::{
    ConflictHint, Entry, EntryKind, Membership, Message, MessageBody, PersistentState, RaftNode,
    SnapshotMeta,
};
use rand_chacha::ChaCha8Rng;
use rand_core::{RngCore, SeedableRng};

use crate::harness::*;

fn num(rng: &mut ChaCha8Rng) -> u64 {
    match rng.next_u64() % 4 {
        0 => rng.next_u64(),
        1 => u64::MAX - rng.next_u64() % 3,
        _ => rng.next_u64() % 8,
    }
}

/// Up to three configuration entries, their indexes consecutive or arbitrary.
fn random_entries(rng: &mut ChaCha8Rng) -> Vec<Entry> {
    let start = num(rng);
    (0..rng.next_u64() % 4)
        .map(|i| Entry {
            term: num(rng),
            index: if rng.next_u64() % 2 == 0 {
                start.wrapping_add(i)
            } else {
                num(rng)
            },
            kind: EntryKind::Config(Membership::new([num(rng), 1])),
        })
        .collect()
}

fn random_message(rng: &mut ChaCha8Rng) -> Message {
    let body = random_body(rng);
    let term = if rng.next_u64() % 3 == 0 {
        num(rng)
    } else {
        rng.next_u64() % 4
    };
    Message { term, body }
}

/// Any message body, its numbers drawn from the edges of their ranges.
fn random_body(rng: &mut ChaCha8Rng) -> MessageBody {
    match rng.next_u64() % 11 {
        0 => MessageBody::PreVote {
            last_log_index: num(rng),
            last_log_term: num(rng),
        },
        1 => MessageBody::PreVoteResponse {
            granted: rng.next_u64() % 2 == 0,
        },
        2 => MessageBody::RequestVote {
            last_log_index: num(rng),
            last_log_term: num(rng),
            transfer: rng.next_u64() % 2 == 0,
        },
        3 => MessageBody::RequestVoteResponse {
            granted: rng.next_u64() % 2 == 0,
        },
        4 => MessageBody::AppendEntries {
            prev_log_index: num(rng),
            prev_log_term: num(rng),
            entries: random_entries(rng),
            leader_commit: num(rng),
        },
        5 => MessageBody::AppendEntriesResponse {
            success: rng.next_u64() % 2 == 0,
            index: num(rng),
            hint: Some(ConflictHint {
                index: num(rng),
                term: Some(num(rng)),
            }),
        },
        6 => MessageBody::Heartbeat {
            commit: num(rng),
            seq: num(rng),
        },
        7 => MessageBody::HeartbeatResponse { seq: num(rng) },
        8 => MessageBody::InstallSnapshot {
            meta: Box::new(SnapshotMeta {
                index: num(rng),
                term: num(rng),
                config: Membership::new([1, 2, 3]),
            }),
            offset: num(rng),
            data: vec![0; (rng.next_u64() % 5) as usize],
            done: rng.next_u64() % 2 == 0,
        },
        9 => MessageBody::InstallSnapshotResponse {
            index: num(rng),
            next_offset: num(rng),
            done: rng.next_u64() % 2 == 0,
        },
        _ => MessageBody::TimeoutNow,
    }
}

#[test]
fn random_messages_never_panic() {
    let mut rng = ChaCha8Rng::seed_from_u64(99);
    for round in 0..300 {
        // Nodes in each role: a fresh follower, and the leader of a small cluster.
        let mut c = Cluster::new(3, test_config());
        if round % 2 == 0 {
            c.elect(1);
            c.propose(1, b"x");
        }
        let mut node: RaftNode = c.slots.remove(&1).unwrap().raft.unwrap();
        for step in 0..40u64 {
            let m = random_message(&mut rng);
            let from = 1 + rng.next_u64() % 4;
            node.handle_message(step * MS, from, m);
            node.handle_timeout(step * MS);
            let _ = node.read_index(step * MS, step);
            let _ = node.propose(step * MS, vec![1]);
            let _ = node.compact(num(&mut rng), vec![]);
            let _ = node.transfer_leadership(step * MS, num(&mut rng) % 5);
            let ready = node.take_ready();
            let mut disk = PersistentState::default();
            disk.apply_ready(&ready);
            let _ = node.status();
            let _ = node.poll_timeout();
        }
    }
}
