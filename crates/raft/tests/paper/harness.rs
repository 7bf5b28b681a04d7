//! A hand-driven cluster for the rule tests: it routes messages between nodes one at a time,
//! persists each node's `Ready` into an in-memory disk before sending, and records what each
//! node applied (then hands the ready back for its vectors to be reused). No simulator, no
//! clock: tests move time explicitly.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use faultline_raft::{
    Config, Entry, EntryKind, Message, MessageBody, NodeId, Outbound, PersistentState, RaftNode,
    ReadState, Role,
};

/// One millisecond in nanoseconds.
pub const MS: u64 = 1_000_000;

/// The configuration most tests use: short, round timeouts.
pub fn test_config() -> Config {
    Config {
        election_timeout_min: 100 * MS,
        election_timeout_max: 200 * MS,
        heartbeat_interval: 20 * MS,
        ..Config::default()
    }
}

/// A server slot: the running node (None while crashed), its disk and what it applied.
pub struct Slot {
    pub raft: Option<RaftNode>,
    pub disk: PersistentState,
    /// Applied entries by index (kept across restarts: it is what the outside world saw).
    pub applied: BTreeMap<u64, Entry>,
    pub reads: Vec<ReadState>,
    /// Clock rate as a fraction: local time = global time * num / den.
    pub rate: (u64, u64),
    pub restarts: u64,
    pub config: Config,
}

/// A cluster whose network is a FIFO queue the test drains explicitly.
pub struct Cluster {
    pub now: u64,
    pub slots: BTreeMap<NodeId, Slot>,
    pub queue: VecDeque<(NodeId, NodeId, Message)>,
    /// Directed links whose messages are dropped.
    pub cut: BTreeSet<(NodeId, NodeId)>,
    /// Directed links whose messages are held back until released.
    pub holding: BTreeSet<(NodeId, NodeId)>,
    pub held: Vec<(NodeId, NodeId, Message)>,
    pub delivered: u64,
}

impl Cluster {
    /// `n` founding voters 1..=n with `config`.
    pub fn new(n: u64, config: Config) -> Self {
        let voters: Vec<NodeId> = (1..=n).collect();
        let mut c = Cluster::empty();
        for &id in &voters {
            c.add_node(
                id,
                config.clone(),
                PersistentState::bootstrap(voters.clone()),
            );
        }
        c
    }

    /// A cluster with no nodes yet.
    pub fn empty() -> Self {
        Cluster {
            now: 0,
            slots: BTreeMap::new(),
            queue: VecDeque::new(),
            cut: BTreeSet::new(),
            holding: BTreeSet::new(),
            held: Vec::new(),
            delivered: 0,
        }
    }

    /// Adds a server restored from `disk` (bootstrap, default for a joiner, or a crafted log).
    pub fn add_node(&mut self, id: NodeId, config: Config, disk: PersistentState) {
        let raft = RaftNode::with_seed(id, config.clone(), disk.clone(), id).expect("valid node");
        self.slots.insert(
            id,
            Slot {
                raft: Some(raft),
                disk,
                applied: BTreeMap::new(),
                reads: Vec::new(),
                rate: (1, 1),
                restarts: 0,
                config,
            },
        );
        self.tick(id);
    }

    pub fn node(&self, id: NodeId) -> &RaftNode {
        self.slots[&id].raft.as_ref().expect("node is up")
    }

    pub fn node_mut(&mut self, id: NodeId) -> &mut RaftNode {
        self.slots
            .get_mut(&id)
            .and_then(|s| s.raft.as_mut())
            .expect("node is up")
    }

    /// The node's local clock.
    pub fn local_now(&self, id: NodeId) -> u64 {
        let (num, den) = self.slots[&id].rate;
        self.now * num / den
    }

    /// Drains the node's `Ready`: persist, then queue messages, then apply.
    pub fn process(&mut self, id: NodeId) {
        let Some(slot) = self.slots.get_mut(&id) else {
            return;
        };
        let Some(raft) = slot.raft.as_mut() else {
            return;
        };
        let (pending, applied) = (raft.has_ready(), raft.applied_index());
        let mut ready = raft.take_ready();
        // `has_ready` is the promise that `take_ready` returns something, and only then.
        assert_eq!(
            pending,
            !ready.is_empty(),
            "node {id}: has_ready against {ready:?}"
        );
        assert!(
            !raft.has_ready(),
            "node {id}: something left after take_ready"
        );
        slot.disk.apply_ready(&ready);
        for out in &ready.messages {
            assert_durable_before_send(id, &slot.disk, out);
        }
        for out in ready.messages.drain(..) {
            self.queue.push_back((id, out.to, out.message));
        }
        // An incarnation hands each index out for applying once, in order.
        let indices: Vec<u64> = ready.committed_entries.iter().map(|e| e.index).collect();
        let in_order = indices.windows(2).all(|w| w[1] == w[0] + 1);
        let fresh = indices.first().is_none_or(|first| *first > applied);
        assert!(in_order && fresh, "node {id}: {indices:?} after {applied}");
        for e in ready.committed_entries.drain(..) {
            slot.applied.insert(e.index, e);
        }
        slot.reads.append(&mut ready.read_states);
        // Handing the ready back makes every test run on reused vectors.
        raft.recycle(ready);
    }

    /// Fires the node's due timers at its local time.
    pub fn tick(&mut self, id: NodeId) {
        let now = self.local_now(id);
        if let Some(raft) = self.slots.get_mut(&id).and_then(|s| s.raft.as_mut()) {
            raft.handle_timeout(now);
        }
        self.process(id);
    }

    /// Moves global time forward.
    pub fn elapse(&mut self, d: u64) {
        self.now += d;
    }

    /// Delivers the next queued message. Returns it (with its endpoints) if there was one.
    pub fn deliver_one(&mut self) -> Option<(NodeId, NodeId, Message)> {
        let (from, to, msg) = self.queue.pop_front()?;
        if self.holding.contains(&(from, to)) {
            self.held.push((from, to, msg.clone()));
            return Some((from, to, msg));
        }
        if self.cut.contains(&(from, to)) {
            return Some((from, to, msg));
        }
        let now = self.local_now(to);
        if let Some(raft) = self.slots.get_mut(&to).and_then(|s| s.raft.as_mut()) {
            raft.handle_message(now, from, msg.clone());
            self.delivered += 1;
            self.process(to);
        }
        Some((from, to, msg))
    }

    /// Delivers messages until none is left.
    pub fn stabilize(&mut self) {
        let mut steps = 0;
        while self.deliver_one().is_some() {
            steps += 1;
            assert!(steps < 100_000, "cluster does not quiesce");
        }
    }

    /// Delivers messages until one matching `pred` has been handled.
    pub fn deliver_until(&mut self, pred: impl Fn(NodeId, NodeId, &Message) -> bool) {
        while let Some((from, to, msg)) = self.deliver_one() {
            if pred(from, to, &msg) {
                return;
            }
        }
        panic!("no matching message was delivered");
    }

    /// Puts held messages back on the network.
    pub fn release_held(&mut self) {
        self.holding.clear();
        for m in std::mem::take(&mut self.held) {
            self.queue.push_back(m);
        }
    }

    /// Cuts every link to and from `id` (messages are dropped).
    pub fn isolate(&mut self, id: NodeId) {
        let ids: Vec<NodeId> = self.slots.keys().copied().collect();
        for other in ids.into_iter().filter(|&o| o != id) {
            self.cut.insert((id, other));
            self.cut.insert((other, id));
        }
    }

    /// Restores every link.
    pub fn heal(&mut self) {
        self.cut.clear();
    }

    /// Lets enough time pass that `id`'s election timer fires, fires it, and delivers.
    pub fn campaign(&mut self, id: NodeId) {
        self.elapse(self.slots[&id].config.election_timeout_max + 1);
        self.tick(id);
        self.stabilize();
    }

    /// Runs an election at `id` and asserts that it wins.
    pub fn elect(&mut self, id: NodeId) {
        self.campaign(id);
        assert_eq!(
            self.node(id).role(),
            Role::Leader,
            "node {id} should have won"
        );
        self.stabilize();
    }

    /// One heartbeat interval passes and `leader` sends its heartbeats.
    pub fn heartbeat(&mut self, leader: NodeId) {
        self.elapse(self.slots[&leader].config.heartbeat_interval);
        self.tick(leader);
        self.stabilize();
    }

    /// Proposes `data` at `id` (which must lead) and delivers everything.
    pub fn propose(&mut self, id: NodeId, data: &[u8]) -> u64 {
        let now = self.local_now(id);
        let p = self
            .node_mut(id)
            .propose(now, data.to_vec())
            .expect("leader accepts");
        self.process(id);
        self.stabilize();
        p.index
    }

    /// Crashes `id`: the process and its volatile state are gone, the disk stays.
    pub fn crash(&mut self, id: NodeId) {
        if let Some(slot) = self.slots.get_mut(&id) {
            slot.raft = None;
        }
    }

    /// Restarts `id` from its disk.
    pub fn restart(&mut self, id: NodeId) {
        let slot = self.slots.get_mut(&id).expect("known node");
        slot.restarts += 1;
        let seed = id + 1000 * slot.restarts;
        let raft = RaftNode::with_seed(id, slot.config.clone(), slot.disk.clone(), seed)
            .expect("disk restores");
        slot.raft = Some(raft);
        self.tick(id);
    }

    /// Nodes that currently believe they lead, with their terms.
    pub fn leaders(&self) -> Vec<(NodeId, u64)> {
        self.slots
            .iter()
            .filter_map(|(&id, s)| s.raft.as_ref().map(|r| (id, r)))
            .filter(|(_, r)| r.role() == Role::Leader)
            .map(|(id, r)| (id, r.term()))
            .collect()
    }

    /// Data of the normal entries `id` applied, in order.
    pub fn applied_data(&self, id: NodeId) -> Vec<Vec<u8>> {
        self.slots[&id]
            .applied
            .values()
            .filter_map(|e| match &e.kind {
                EntryKind::Normal(d) => Some(d.to_vec()),
                _ => None,
            })
            .collect()
    }

    /// State machine safety: no two servers applied different entries at the same index.
    pub fn assert_state_machine_safety(&self) {
        let mut seen: BTreeMap<u64, (NodeId, &Entry)> = BTreeMap::new();
        for (&id, slot) in &self.slots {
            for (index, e) in &slot.applied {
                if let Some((other, prev)) = seen.get(index) {
                    assert_eq!(
                        *prev, e,
                        "servers {other} and {id} applied different entries at index {index}"
                    );
                } else {
                    seen.insert(*index, (id, e));
                }
            }
        }
    }

    /// Log matching: if two logs hold an entry with the same index and term, they are equal
    /// up to there.
    pub fn assert_log_matching(&self) {
        let nodes: Vec<&RaftNode> = self
            .slots
            .values()
            .filter_map(|s| s.raft.as_ref())
            .collect();
        for a in &nodes {
            for b in &nodes {
                let hi = a.last_index().min(b.last_index());
                let lo = a.first_index().max(b.first_index());
                let mut i = hi;
                while i >= lo && i > 0 {
                    if a.term_at(i) == b.term_at(i) {
                        for j in lo..=i {
                            assert_eq!(
                                a.entry(j),
                                b.entry(j),
                                "logs differ at {j} below a match at {i}"
                            );
                        }
                        break;
                    }
                    i -= 1;
                }
            }
        }
    }
}

/// The persistence contract: whatever a message vouches for is already on the sender's disk
/// once its `Ready` was persisted.
fn assert_durable_before_send(id: NodeId, disk: &PersistentState, out: &Outbound) {
    let hs = disk.hard_state;
    match &out.message.body {
        MessageBody::RequestVoteResponse { granted: true } => {
            assert_eq!(
                (hs.term, hs.vote),
                (out.message.term, Some(out.to)),
                "vote not durable"
            );
        }
        MessageBody::RequestVote { .. } => {
            assert_eq!(
                (hs.term, hs.vote),
                (out.message.term, Some(id)),
                "self-vote not durable"
            );
        }
        MessageBody::AppendEntriesResponse {
            success: true,
            index,
            ..
        } => {
            let last = disk
                .entries
                .last()
                .map_or(disk.snapshot.meta.index, |e| e.index);
            assert!(*index <= last, "acknowledged entries not durable");
            assert!(hs.term >= out.message.term);
        }
        _ => assert!(
            hs.term >= out.message.term
                || matches!(
                    out.message.body,
                    MessageBody::PreVote { .. } | MessageBody::PreVoteResponse { .. }
                ),
            "term not durable"
        ),
    }
}

/// A message with term and body.
pub fn msg(term: u64, body: faultline_raft::MessageBody) -> Message {
    Message { term, body }
}

/// A plain entry.
pub fn entry(index: u64, term: u64) -> Entry {
    Entry {
        term,
        index,
        kind: EntryKind::Normal(vec![index as u8, term as u8].into()),
    }
}

/// Disk contents of a founding member with `voters`, the given log terms and current term.
pub fn disk_with_log(voters: &[NodeId], terms: &[u64], term: u64) -> PersistentState {
    let mut d = PersistentState::bootstrap(voters.iter().copied());
    d.entries = terms
        .iter()
        .enumerate()
        .map(|(i, &t)| entry(i as u64 + 1, t))
        .collect();
    d.hard_state.term = term;
    d
}

/// A single node built from `disk`, with its timer started at time 0.
pub fn lone_node(id: NodeId, config: Config, disk: PersistentState) -> RaftNode {
    let mut n = RaftNode::with_seed(id, config, disk, id).expect("valid node");
    n.handle_timeout(0);
    n
}

/// Drains the node's ready and returns its messages as (to, message).
pub fn drain(node: &mut RaftNode) -> Vec<(NodeId, Message)> {
    node.take_ready()
        .messages
        .into_iter()
        .map(|o| (o.to, o.message))
        .collect()
}
