//! A three-server cluster driven by the loop the crate documentation describes (feed inputs,
//! take the ready, persist, send, apply), over an in-memory network with no latency. It
//! commits a batch of proposals and reports the core's throughput as a ratio against a
//! baseline measured in the same run: cloning messages of the same size through a bare queue.
//!
//! `cargo run --release -p faultline-raft --example cluster [proposals]`

use std::collections::VecDeque;
use std::time::Instant;

use faultline_raft::{
    Config, Entry, EntryKind, Message, MessageBody, PersistentState, RaftNode, Role,
};

const MS: u64 = 1_000_000;

struct Server {
    raft: RaftNode,
    disk: PersistentState,
    applied: u64,
}

fn main() {
    let proposals: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(20_000);
    let voters = [1, 2, 3];
    let mut servers: Vec<Server> = voters
        .iter()
        .map(|&id| {
            let disk = PersistentState::bootstrap(voters);
            let raft = RaftNode::with_seed(id, Config::default(), disk.clone(), id)
                .expect("valid configuration");
            Server {
                raft,
                disk,
                applied: 0,
            }
        })
        .collect();
    let mut net: VecDeque<(u64, u64, Message)> = VecDeque::new();
    let mut now = 0;
    let mut proposed = 0;
    let mut delivered = 0u64;
    let mut bytes = 0u64;
    let started = Instant::now();
    while servers.iter().map(|s| s.applied).min() < Some(proposals) {
        now += MS;
        for s in servers.iter_mut() {
            if s.raft.poll_timeout().is_some_and(|t| t <= now) {
                s.raft.handle_timeout(now);
            }
        }
        if let Some(leader) = servers.iter_mut().find(|s| s.raft.role() == Role::Leader) {
            for _ in 0..64 {
                if proposed < proposals {
                    proposed += 1;
                    let data = proposed.to_be_bytes().repeat(2);
                    leader.raft.propose(now, data).expect("leader accepts");
                }
            }
        }
        loop {
            for (i, s) in servers.iter_mut().enumerate() {
                let ready = s.raft.take_ready();
                s.disk.apply_ready(&ready); // 1. persist
                for out in ready.messages {
                    net.push_back((i as u64 + 1, out.to, out.message)); // 2. send
                }
                s.applied += ready
                    .committed_entries
                    .iter()
                    .filter(|e| matches!(e.kind, EntryKind::Normal(_)))
                    .count() as u64; // 3. apply
            }
            if net.is_empty() {
                break;
            }
            while let Some((from, to, msg)) = net.pop_front() {
                delivered += 1;
                bytes += msg.approx_size();
                servers[to as usize - 1].raft.handle_message(now, from, msg);
            }
        }
    }
    let core = started.elapsed();

    // Baseline: as many messages of the same average size, cloned through a bare queue.
    let per_message = (bytes / delivered.max(1)) as usize;
    let sample = Message {
        term: 1,
        body: MessageBody::AppendEntries {
            prev_log_index: 0,
            prev_log_term: 0,
            entries: (1..=(per_message / 32).max(1) as u64)
                .map(|index| Entry {
                    term: 1,
                    index,
                    kind: EntryKind::Normal(vec![0; 16].into()),
                })
                .collect(),
            leader_commit: 0,
        },
    };
    let started = Instant::now();
    let mut queue = VecDeque::new();
    let mut sink = 0u64;
    for i in 0..delivered {
        queue.push_back((i, sample.clone()));
        if let Some((j, m)) = queue.pop_front() {
            sink = sink.wrapping_add(j ^ m.approx_size());
        }
    }
    let baseline = started.elapsed();
    println!(
        "{proposals} proposals committed on 3 servers in {:.1} s of virtual time",
        now as f64 / 1e9
    );
    println!("{delivered} messages ({} KiB) delivered", bytes / 1024);
    println!(
        "core: {:.0} messages/s; bare queue: {:.0} messages/s; ratio {:.1}x (checksum {sink})",
        delivered as f64 / core.as_secs_f64(),
        delivered as f64 / baseline.as_secs_f64(),
        core.as_secs_f64() / baseline.as_secs_f64()
    );
}
