//! Randomized fault runs over the hand-driven cluster: message loss, duplication and
//! reordering, crashes and restarts, partitions, compaction. After every step the safety
//! properties of Figure 3 are checked; at the end the healed cluster must make progress.

use std::collections::{BTreeMap, BTreeSet};

use faultline_raft::{ConfChange, Config, Entry, PersistentState, Role};
use rand_chacha::ChaCha8Rng;
use rand_core::{RngCore, SeedableRng};

use crate::harness::*;

struct Oracle {
    /// For each read issued: the highest index known committed when it was issued.
    reads: BTreeMap<u64, u64>,
    /// How many read states of each server were already checked.
    read_cursor: BTreeMap<u64, usize>,
    /// Leader seen for each term (Election Safety).
    leaders: BTreeMap<u64, u64>,
    /// Entries known committed somewhere, with the observer's term: the entry was committed in
    /// that term or earlier, so every leader of that term or later must hold it.
    committed: BTreeMap<u64, (Entry, u64)>,
}

impl Oracle {
    fn check(&mut self, c: &Cluster) {
        for (id, term) in c.leaders() {
            let prev = *self.leaders.entry(term).or_insert(id);
            assert_eq!(prev, id, "two leaders in term {term}");
        }
        for slot in c.slots.values() {
            let Some(n) = slot.raft.as_ref() else {
                continue;
            };
            for i in n.first_index()..=n.commit_index() {
                if let Some(e) = n.entry(i) {
                    let known = self
                        .committed
                        .entry(i)
                        .or_insert_with(|| (e.clone(), n.term()));
                    assert_eq!(&known.0, e, "committed entry {i} changed");
                }
            }
        }
        for (id, term) in c.leaders() {
            let n = c.node(id);
            for (&i, (e, seen)) in self.committed.range(n.first_index()..) {
                if term >= *seen {
                    assert_eq!(n.entry(i), Some(e), "leader {id} lacks committed entry {i}");
                }
            }
        }
        c.assert_state_machine_safety();
        // Linearizable reads: a read may be served at an index no lower than anything
        // committed before it was issued.
        for (&id, slot) in &c.slots {
            let seen = self.read_cursor.entry(id).or_insert(0);
            for r in &slot.reads[*seen..] {
                if let (Ok(read), Some(&floor)) = (r.result, self.reads.get(&r.request_id)) {
                    let index = read.index;
                    assert!(
                        index >= floor,
                        "read {} at {index} misses commit {floor}",
                        r.request_id
                    );
                }
            }
            *seen = slot.reads.len();
        }
    }

    fn committed_index(&self) -> u64 {
        self.committed.keys().next_back().copied().unwrap_or(0)
    }
}

fn below(rng: &mut ChaCha8Rng, n: u64) -> u64 {
    rng.next_u64() % n
}

/// One randomized run: the cluster, its random stream and the oracle that watches it.
struct Chaos {
    c: Cluster,
    rng: ChaCha8Rng,
    oracle: Oracle,
    /// Number of servers (3 or 5).
    n: u64,
    proposals: u32,
}

impl Chaos {
    /// A cluster of 3 or 5 servers with the features drawn from `seed`; five-server runs start
    /// with three voters, 4 and 5 join later through membership changes.
    fn new(seed: u64) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let cfg = Config {
            pre_vote: rng.next_u64() % 2 == 0,
            check_quorum: rng.next_u64() % 2 == 0,
            lease_reads: rng.next_u64() % 2 == 0,
            max_entries_per_msg: 3,
            max_inflight_msgs: 4,
            snapshot_chunk_size: 8,
            ..test_config()
        };
        let n = 3 + 2 * below(&mut rng, 2);
        let mut c = Cluster::empty();
        for id in 1..=n {
            let disk = if id <= 3 {
                PersistentState::bootstrap(1..=3)
            } else {
                PersistentState::default()
            };
            c.add_node(id, cfg.clone(), disk);
            // Clocks run at 0.95x to 1.05x: within the 15 ms drift bound over a 100 ms lease.
            c.slots.get_mut(&id).unwrap().rate =
                [(19, 20), (1, 1), (21, 20)][below(&mut rng, 3) as usize];
        }
        let oracle = Oracle {
            reads: BTreeMap::new(),
            read_cursor: BTreeMap::new(),
            leaders: BTreeMap::new(),
            committed: BTreeMap::new(),
        };
        Chaos {
            c,
            rng,
            oracle,
            n,
            proposals: 0,
        }
    }

    fn below(&mut self, n: u64) -> u64 {
        below(&mut self.rng, n)
    }

    fn any_server(&mut self) -> u64 {
        1 + self.below(self.n)
    }

    /// One random action, then the safety check.
    fn step(&mut self) {
        match self.below(100) {
            0..=54 if !self.c.queue.is_empty() => self.deliver_random(),
            0..=79 => self.elapse(),
            80..=83 => self.read(),
            84..=89 => self.write(),
            90..=92 => self.crash_or_restart(),
            93..=95 => self.partition_or_heal(),
            96..=97 => self.change_membership(),
            _ => self.snapshot(),
        }
        self.oracle.check(&self.c);
    }

    /// Delivers a random queued message (reordering); sometimes loses or duplicates it.
    fn deliver_random(&mut self) {
        let i = self.below(self.c.queue.len() as u64) as usize;
        let m = self.c.queue.remove(i).unwrap();
        match self.below(20) {
            0 => {}
            1 => {
                self.c.queue.push_back(m.clone());
                self.c.queue.push_front(m);
                self.c.deliver_one();
            }
            _ => {
                self.c.queue.push_front(m);
                self.c.deliver_one();
            }
        }
    }

    /// Time passes; due timers fire.
    fn elapse(&mut self) {
        let by = 1 + self.below(15) * MS;
        self.c.elapse(by);
        let ids: Vec<u64> = self.c.slots.keys().copied().collect();
        for id in ids {
            let due = self.c.slots[&id]
                .raft
                .as_ref()
                .and_then(|r| r.poll_timeout())
                .is_some_and(|t| t <= self.c.local_now(id));
            if due {
                self.c.tick(id);
            }
        }
    }

    /// A linearizable read at a random server.
    fn read(&mut self) {
        let id = self.any_server();
        let now = self.c.local_now(id);
        let request = self.oracle.reads.len() as u64;
        if let Some(r) = self.c.slots.get_mut(&id).and_then(|s| s.raft.as_mut()) {
            if r.read_index(now, request).is_ok() {
                let floor = self.oracle.committed_index();
                self.oracle.reads.insert(request, floor);
            }
            self.c.process(id);
        }
    }

    /// A client write at whoever leads.
    fn write(&mut self) {
        if let Some(&(id, _)) = self.c.leaders().first() {
            let now = self.c.local_now(id);
            self.proposals += 1;
            let data = self.proposals.to_be_bytes().to_vec();
            let _ = self.c.node_mut(id).propose(now, data);
            self.c.process(id);
        }
    }

    /// Crashes or restarts one server (never more than a minority down).
    fn crash_or_restart(&mut self) {
        let id = self.any_server();
        let down = self.c.slots.values().filter(|s| s.raft.is_none()).count() as u64;
        if self.c.slots[&id].raft.is_none() {
            self.c.restart(id);
        } else if down < (self.n - 1) / 2 {
            self.c.crash(id);
        }
    }

    /// Partitions one server away, or heals.
    fn partition_or_heal(&mut self) {
        if self.c.cut.is_empty() {
            let id = self.any_server();
            self.c.isolate(id);
        } else {
            self.c.heal();
        }
    }

    /// A membership change: a random voter set, the other servers as learners.
    fn change_membership(&mut self) {
        let Some(&(id, _)) = self.c.leaders().first() else {
            return;
        };
        let n = self.n;
        let voters: BTreeSet<u64> = (1..=n).filter(|_| self.below(3) > 0).collect();
        let current = self.c.node(id).config().voters.clone();
        let learners = (1..=n)
            .filter(|v| !voters.contains(v) && !current.contains(v))
            .collect();
        let now = self.c.local_now(id);
        let _ = self
            .c
            .node_mut(id)
            .change_membership(now, ConfChange { voters, learners });
        self.c.process(id);
    }

    /// The application snapshots what it applied.
    fn snapshot(&mut self) {
        let id = self.any_server();
        if let Some(r) = self.c.slots.get_mut(&id).and_then(|s| s.raft.as_mut()) {
            let applied = r.applied_index();
            let _ = r.compact(applied, applied.to_be_bytes().to_vec());
            self.c.process(id);
        }
    }

    /// Liveness: heals everything and lets the cluster settle; one leader emerges, commits,
    /// and every member catches up.
    fn settle(mut self, seed: u64) {
        let c = &mut self.c;
        c.heal();
        let ids: Vec<u64> = c.slots.keys().copied().collect();
        for &id in &ids {
            if c.slots[&id].raft.is_none() {
                c.restart(id);
            }
        }
        for _ in 0..200 {
            c.elapse(10 * MS);
            for &id in &ids {
                if c.node(id)
                    .poll_timeout()
                    .is_some_and(|t| t <= c.local_now(id))
                {
                    c.tick(id);
                }
            }
            c.stabilize();
            self.oracle.check(c);
        }
        let leaders = c.leaders();
        assert_eq!(leaders.len(), 1, "seed {seed}: one leader after healing");
        let leader = leaders[0].0;
        // Followers learn the new commit index with the next heartbeats.
        let i = c.propose(leader, b"final");
        for _ in 0..3 {
            c.heartbeat(leader);
        }
        let members = c.node(leader).config().members();
        for &id in &ids {
            if members.contains(&id) {
                assert!(
                    c.node(id).commit_index() >= i,
                    "seed {seed}: server {id} caught up"
                );
            }
            assert_eq!(c.node(id).role() == Role::Leader, id == leader);
        }
        c.assert_log_matching();
        self.oracle.check(c);
    }
}

fn run(seed: u64, steps: usize) {
    eprintln!("chaos seed {seed}");
    let mut chaos = Chaos::new(seed);
    for _ in 0..steps {
        chaos.step();
    }
    chaos.settle(seed);
}

#[test]
fn random_faults_keep_raft_safe_and_live() {
    for seed in 0..60 {
        run(seed, 2500);
    }
}
