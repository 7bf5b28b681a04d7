//! A tiny in-process network for driving a handful of gossip cores by hand in tests: fixed
//! latency, optional seeded loss, cut links and crashed nodes. Not the simulator: just enough to
//! exercise the protocols end to end.
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use faultline_gossip::{Body, Config, Event, GossipNode, Membership, Message, Topology};
use rand_chacha::ChaCha8Rng;
use rand_core::SeedableRng;

pub const MS: u64 = 1_000_000;
pub const SEC: u64 = 1_000 * MS;

pub struct Net {
    pub nodes: BTreeMap<u64, GossipNode>,
    pub now: u64,
    pub latency: u64,
    /// Probability that a message is lost, from a seeded stream.
    pub loss: f64,
    loss_state: u64,
    queue: BTreeMap<(u64, u64), (u64, u64, Message)>,
    seq: u64,
    /// Directed links that drop everything.
    pub cut: BTreeSet<(u64, u64)>,
    /// Nodes whose messages and timers vanish.
    pub crashed: BTreeSet<u64>,
    /// Every event with the time and node it happened at.
    pub events: Vec<(u64, u64, Event)>,
    /// Every message handed to the network: (time, from, to, message).
    pub sent: Vec<(u64, u64, u64, Message)>,
    pub record_sent: bool,
}

pub fn node(
    id: u64,
    config: Config,
    membership: Membership,
    topology: Option<Arc<Topology>>,
) -> GossipNode {
    GossipNode::new(
        id,
        config,
        membership,
        topology,
        ChaCha8Rng::seed_from_u64(1000 + id),
    )
    .unwrap()
}

impl Net {
    pub fn new(nodes: Vec<GossipNode>, latency: u64) -> Self {
        Self {
            nodes: nodes.into_iter().map(|n| (n.id(), n)).collect(),
            now: 0,
            latency,
            loss: 0.0,
            loss_state: 0x9e37_79b9_7f4a_7c15,
            queue: BTreeMap::new(),
            seq: 0,
            cut: BTreeSet::new(),
            crashed: BTreeSet::new(),
            events: Vec::new(),
            sent: Vec::new(),
            record_sent: false,
        }
    }

    /// Static-view nodes `0..n` with one configuration.
    pub fn static_cluster(
        n: u64,
        config: Config,
        topology: Option<Arc<Topology>>,
        latency: u64,
    ) -> Self {
        let nodes = (0..n)
            .map(|i| node(i, config, Membership::Static { nodes: n }, topology.clone()))
            .collect();
        Self::new(nodes, latency)
    }

    /// SWIM nodes `0..n` that all start knowing each other.
    pub fn swim_cluster(n: u64, config: Config, latency: u64) -> Self {
        let all: Vec<u64> = (0..n).collect();
        let nodes = (0..n)
            .map(|i| {
                node(
                    i,
                    config,
                    Membership::Swim {
                        members: all.clone().into(),
                    },
                    None,
                )
            })
            .collect();
        Self::new(nodes, latency)
    }

    fn lost(&mut self) -> bool {
        if self.loss <= 0.0 {
            return false;
        }
        self.loss_state ^= self.loss_state << 13;
        self.loss_state ^= self.loss_state >> 7;
        self.loss_state ^= self.loss_state << 17;
        ((self.loss_state >> 11) as f64 / (1u64 << 53) as f64) < self.loss
    }

    /// Moves a node's outputs and events into the network.
    pub fn collect(&mut self, id: u64) {
        let node = self.nodes.get_mut(&id).unwrap();
        let outputs = node.take_outputs();
        for e in node.take_events() {
            self.events.push((self.now, id, e));
        }
        for (to, msg) in outputs {
            if self.record_sent {
                self.sent.push((self.now, id, to, msg.clone()));
            }
            self.seq += 1;
            self.queue
                .insert((self.now + self.latency, self.seq), (id, to, msg));
        }
    }

    /// Runs every delivery and timer up to `end`.
    pub fn run_until(&mut self, end: u64) {
        loop {
            let next_msg = self.queue.first_key_value().map(|(k, _)| k.0);
            let next_timer = self
                .nodes
                .iter()
                .filter(|(id, _)| !self.crashed.contains(id))
                .filter_map(|(id, n)| n.poll_timeout().map(|t| (t, *id)))
                .min();
            let take_msg = match (next_msg, next_timer) {
                (Some(m), Some((t, _))) => m <= t,
                (Some(_), None) => true,
                (None, Some(_)) => false,
                (None, None) => break,
            };
            let t = if take_msg {
                next_msg.unwrap()
            } else {
                next_timer.unwrap().0
            };
            if t > end {
                break;
            }
            self.now = self.now.max(t);
            if take_msg {
                let (_, (from, to, msg)) = self.queue.pop_first().unwrap();
                let blocked = self.crashed.contains(&from)
                    || self.crashed.contains(&to)
                    || self.cut.contains(&(from, to));
                if blocked || self.lost() || !self.nodes.contains_key(&to) {
                    continue;
                }
                let now = self.now;
                self.nodes
                    .get_mut(&to)
                    .unwrap()
                    .handle_message(now, from, msg)
                    .unwrap();
                self.collect(to);
            } else {
                let id = next_timer.unwrap().1;
                let now = self.now;
                self.nodes.get_mut(&id).unwrap().handle_timeout(now);
                self.collect(id);
            }
        }
        self.now = end;
    }

    /// Runs until `done` holds (checked after each interval of `step`) or `limit`; returns the time.
    pub fn run_until_true(
        &mut self,
        step: u64,
        limit: u64,
        done: impl Fn(&Net) -> bool,
    ) -> Option<u64> {
        while self.now < limit {
            let next = self.now + step;
            self.run_until(next);
            if done(self) {
                return Some(self.now);
            }
        }
        None
    }

    pub fn put(&mut self, id: u64, key: &str, value: &[u8]) {
        let now = self.now;
        self.nodes
            .get_mut(&id)
            .unwrap()
            .put(now, key, value.to_vec())
            .unwrap();
        self.collect(id);
    }

    /// The convergence check: all live nodes hold equal digests.
    pub fn converged(&self) -> bool {
        let mut digests = self
            .nodes
            .iter()
            .filter(|(id, n)| !self.crashed.contains(id) && !n.has_left())
            .map(|(_, n)| n.digest());
        let first = digests.next();
        digests.all(|d| Some(d) == first)
    }

    /// Total bytes and messages sent by all nodes.
    pub fn traffic(&self) -> (u64, u64) {
        self.nodes.values().fold((0, 0), |(b, m), n| {
            (b + n.stats().bytes_sent, m + n.stats().messages_sent)
        })
    }

    /// Cuts every link between the two groups, both ways.
    pub fn partition(&mut self, a: &[u64], b: &[u64]) {
        for x in a {
            for y in b {
                self.cut.insert((*x, *y));
                self.cut.insert((*y, *x));
            }
        }
    }

    pub fn count_sent(&self, f: impl Fn(u64, u64, &Body) -> bool) -> usize {
        self.sent
            .iter()
            .filter(|(_, from, to, m)| f(*from, *to, &m.body))
            .count()
    }
}
