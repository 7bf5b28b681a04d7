//! The gossip node: a sans-IO state machine tying together the store, dissemination (anti-entropy
//! or rumor mongering), reconciliation (Scuttlebutt or Merkle), peer choice and SWIM membership.
//! The caller passes time in, delivers messages, and drains outputs and events.

use std::sync::Arc;

use rand_chacha::ChaCha8Rng;

use crate::bandwidth::{TokenBucket, Transport};
use crate::clock::Dot;
use crate::config::{Config, Exchange, Feedback, Mode, PeerSelection};
use crate::error::{ConfigError, GossipError};
use crate::event::Event;
use crate::message::{Body, Message, HEADER_BYTES};
use crate::rng::{self, NodeRng};
use crate::rumor::Rumors;
use crate::store::{Store, Update, Value, Version};
use crate::swim::{MemberUpdate, Out, Swim};
use crate::topology::{self, Topology};
use crate::view::MemberView;

mod limits;
mod sync;

/// Where a node finds its peers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Membership {
    /// A fixed view shared by all: the nodes `0..nodes`. Costs nothing per node (for very large runs).
    Static {
        /// Number of nodes; ids are `0..nodes`.
        nodes: u64,
    },
    /// SWIM, starting from these members (more can join through seeds).
    Swim {
        /// Initially known members (may be empty; then `join` through seeds). Sorted without
        /// repeats, the list is shared by every node built from it rather than copied into each.
        members: Arc<[u64]>,
    },
}

/// Per-node traffic counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Messages sent.
    pub messages_sent: u64,
    /// Estimated bytes sent.
    pub bytes_sent: u64,
    /// Messages received.
    pub messages_received: u64,
    /// Estimated bytes received.
    pub bytes_received: u64,
    /// Messages sent to a node in another zone (needs a topology).
    pub cross_zone_messages: u64,
    /// Bytes sent to a node in another zone.
    pub cross_zone_bytes: u64,
    /// Versions sent (in deltas, Merkle leaves and rumors).
    pub updates_sent: u64,
    /// Messages not sent for want of bandwidth or packet room ([`crate::bandwidth`]).
    pub messages_dropped: u64,
    /// Bytes of those messages, piggyback aside.
    pub bytes_dropped: u64,
}

#[derive(Clone, Debug)]
enum View {
    Static(u64),
    Swim(Box<Swim>),
}

/// One gossip node.
#[derive(Clone, Debug)]
pub struct GossipNode {
    id: u64,
    /// Shared by every node built from the same `Arc` (160 bytes each otherwise).
    config: Arc<Config>,
    rng: NodeRng,
    store: Store,
    view: View,
    topology: Option<Arc<Topology>>,
    rumors: Rumors,
    next_round: u64,
    rounds: u64,
    outputs: Vec<(u64, Message)>,
    events: Vec<Event>,
    stats: Stats,
    left: bool,
    /// The local time of the latest input (what the bandwidth budget is spent against).
    now: u64,
    /// The bandwidth budget's state (`None`: unlimited; boxed, so an unlimited node pays one
    /// word for it: the push-pull footprint at 10^6 nodes is under 1 KiB).
    bucket: Option<Box<TokenBucket>>,
    /// The code probes of this node outside SWIM, one bit per [`crate::Probe`].
    probes: u64,
}

impl GossipNode {
    /// A node `id` with its configuration, membership, optional shared topology (needed for
    /// spatial peer choice and cross-zone counters) and random generator. With `config.stagger`
    /// the first gossip round and probe fall at a random offset within one interval. Pass the
    /// configuration as an `Arc` to share one copy among many nodes.
    pub fn new(
        id: u64,
        config: impl Into<Arc<Config>>,
        membership: Membership,
        topology: Option<Arc<Topology>>,
        mut rng: ChaCha8Rng,
    ) -> Result<Self, GossipError> {
        let config: Arc<Config> = config.into();
        config.validate()?;
        if matches!(config.peer_selection, PeerSelection::Spatial { .. }) && topology.is_none() {
            return Err(
                ConfigError::new("peer_selection", "a topology for spatial selection").into(),
            );
        }
        if let (Membership::Static { nodes }, Some(t)) = (&membership, &topology) {
            if t.nodes() != *nodes {
                return Err(ConfigError::new(
                    "topology.zone_of",
                    "exactly one zone per node of the static view",
                )
                .into());
            }
        }
        let merkle = config.reconciliation.merkle_shape();
        let mut offset = |period: u64| {
            if config.stagger {
                rng::below(&mut rng, period)
            } else {
                0
            }
        };
        let next_round = offset(config.interval);
        let view = match membership {
            Membership::Static { nodes } => View::Static(nodes),
            Membership::Swim { members } => {
                let first = offset(config.swim.probe_interval);
                let largest = config.bandwidth.cap(config.max_message_bytes);
                let budget = largest.saturating_sub(HEADER_BYTES + 8);
                View::Swim(Box::new(Swim::new(id, config.swim, members, first, budget)))
            }
        };
        let bucket = TokenBucket::new(config.bandwidth).map(Box::new);
        Ok(Self {
            id,
            store: Store::new(id, config.conflict, merkle),
            config,
            rng: NodeRng::from(rng),
            view,
            topology,
            rumors: Rumors::default(),
            next_round,
            rounds: 0,
            outputs: Vec::new(),
            events: Vec::new(),
            stats: Stats::default(),
            left: false,
            now: 0,
            bucket,
            probes: 0,
        })
    }

    /// This node's id.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The replica (read access to the map, its digest and context).
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The versions of `key` (one under LWW, the siblings otherwise; a `None` value is a delete).
    pub fn get(&self, key: &str) -> &[Version] {
        self.store.get(key)
    }

    /// Digest of the replicated map: deterministic, equal across nodes iff their maps are equal.
    pub fn digest(&self) -> u64 {
        self.store.digest()
    }

    /// The highest write counter this node has used: keep it in durable storage and hand it to
    /// [`GossipNode::restore_write_counter`] after a restart that lost the map, so new writes
    /// never reuse a dot (a reused dot would look already seen to every peer).
    pub fn write_counter(&self) -> u64 {
        self.store.write_counter()
    }

    /// Resumes this node's write counter above `counter` (see [`GossipNode::write_counter`]).
    pub fn restore_write_counter(&mut self, counter: u64) {
        self.store.restore_write_counter(counter);
    }

    /// The code probes this node passed since it was built, one bit per
    /// [`crate::Probe`] ([`crate::Probe::bit`]); reading them changes nothing.
    pub fn probes(&self) -> u64 {
        match &self.view {
            View::Swim(swim) => self.probes | swim.code_probes(),
            View::Static(_) => self.probes,
        }
    }

    /// Traffic counters.
    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// Number of rumors this node is still spreading.
    pub fn hot_rumors(&self) -> usize {
        self.rumors.len()
    }

    /// The SWIM view (`None` with a static view).
    pub fn members(&self) -> Option<&MemberView> {
        match &self.view {
            View::Swim(s) => Some(s.members()),
            View::Static(_) => None,
        }
    }

    /// This node's SWIM incarnation (0 with a static view).
    pub fn incarnation(&self) -> u64 {
        match &self.view {
            View::Swim(s) => s.incarnation(),
            View::Static(_) => 0,
        }
    }

    /// Lifeguard's local health score: 0 when healthy, and 0 without SWIM or without local
    /// health awareness.
    pub fn local_health(&self) -> u32 {
        match &self.view {
            View::Swim(s) => s.health_score(),
            View::Static(_) => 0,
        }
    }

    /// Whether `leave` was called.
    pub fn has_left(&self) -> bool {
        self.left
    }

    /// Drains the messages to send, as `(destination, message)`.
    pub fn take_outputs(&mut self) -> Vec<(u64, Message)> {
        std::mem::take(&mut self.outputs)
    }

    /// Drains the monitoring events.
    pub fn take_events(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.events)
    }

    /// When `handle_timeout` should next be called (`None` once left).
    pub fn poll_timeout(&self) -> Option<u64> {
        if self.left {
            return None;
        }
        let swim = match &self.view {
            View::Swim(s) => s.deadline(),
            View::Static(_) => None,
        };
        Some(swim.map_or(self.next_round, |t| t.min(self.next_round)))
    }

    /// Writes `value` to `key`; returns the write's dot.
    pub fn put(&mut self, now: u64, key: &str, value: Value) -> Result<Dot, GossipError> {
        self.write(now, key, Some(value))
    }

    /// Deletes `key` (a replicated tombstone); returns the write's dot.
    pub fn delete(&mut self, now: u64, key: &str) -> Result<Dot, GossipError> {
        self.write(now, key, None)
    }

    fn write(&mut self, now: u64, key: &str, value: Option<Value>) -> Result<Dot, GossipError> {
        if self.left {
            return Err(GossipError::Left);
        }
        let update = self.store.write(now, key, value);
        let dot = update.version.dot;
        self.events.push(Event::Applied {
            key: update.key.clone(),
            dot,
        });
        self.rumor(update);
        Ok(dot)
    }

    /// Starts spreading `update` as a rumor, with rumor mongering, when it fits a packet.
    fn rumor(&mut self, update: Update) {
        if matches!(self.config.mode, Mode::RumorMongering { .. }) && self.fits_a_packet(&update) {
            self.rumors.add(update, self.rounds);
        }
    }

    /// Takes back a version this node kept in durable storage (see [`crate::record`]) after a
    /// restart; returns whether it was news. It spreads like any version the node holds.
    pub fn restore(&mut self, update: &Update) -> bool {
        self.absorb(update)
    }

    /// Joins through `seeds` (SWIM only), asking them again every protocol period until one
    /// answers.
    pub fn join(&mut self, now: u64, seeds: &[u64]) -> Result<(), GossipError> {
        if self.left {
            return Err(GossipError::Left);
        }
        let View::Swim(swim) = &mut self.view else {
            return Err(GossipError::NotSwim);
        };
        self.now = now;
        let mut send = Vec::new();
        swim.join(now, seeds, &mut send);
        self.flush(send);
        Ok(())
    }

    /// Leaves gracefully: with SWIM, tells a few members; then the node goes quiet for good.
    pub fn leave(&mut self, now: u64) -> Result<(), GossipError> {
        if self.left {
            return Err(GossipError::Left);
        }
        self.now = now;
        let mut send = Vec::new();
        if let View::Swim(swim) = &mut self.view {
            swim.leave(&mut Out {
                rng: &mut self.rng,
                send: &mut send,
                events: &mut self.events,
            });
        }
        self.flush(send);
        self.left = true;
        Ok(())
    }

    /// Runs everything due at `now`: a gossip round and the SWIM timers.
    pub fn handle_timeout(&mut self, now: u64) {
        if self.left {
            return;
        }
        self.now = now;
        if now >= self.next_round {
            while self.next_round <= now {
                self.next_round += self.config.interval;
            }
            self.round();
        }
        let mut send = Vec::new();
        if let View::Swim(swim) = &mut self.view {
            swim.tick(
                now,
                &mut Out {
                    rng: &mut self.rng,
                    send: &mut send,
                    events: &mut self.events,
                },
            );
        }
        self.flush(send);
    }

    fn round(&mut self) {
        self.rounds += 1;
        match self.config.mode {
            Mode::AntiEntropy(exchange) => {
                for p in self.choose_peers(self.config.fanout as usize) {
                    let root = self.store.digest();
                    self.send(p, Body::SyncDigest { root, exchange });
                }
            }
            Mode::RumorMongering { feedback, loss, k } => {
                let backup = u64::from(self.config.rumor_backup);
                if backup > 0 && self.rounds % backup == 0 {
                    for p in self.choose_peers(1) {
                        let root = self.store.digest();
                        self.send(
                            p,
                            Body::SyncDigest {
                                root,
                                exchange: Exchange::PushPull,
                            },
                        );
                    }
                }
                if self.rumors.len() == 0 {
                    return;
                }
                for p in self.choose_peers(self.config.fanout as usize) {
                    let updates = self.rumors.batch(self.data_budget(0, Transport::Packet));
                    let dots: Vec<Dot> = updates.iter().map(|u| u.version.dot).collect();
                    let feedback_wanted = feedback == Feedback::Feedback;
                    let body = Body::Rumor {
                        updates,
                        feedback: feedback_wanted,
                    };
                    if self.send(p, body) && !feedback_wanted {
                        self.rumors.contacted(&dots, loss, k, &mut self.rng);
                    }
                }
            }
        }
    }

    /// Up to `count` distinct peers from the static view or SWIM's live view.
    fn choose_peers(&mut self, count: usize) -> Vec<u64> {
        let sel = self.config.peer_selection;
        let topo = self.topology.as_deref();
        match &self.view {
            View::Static(n) => topology::pick_static(&mut self.rng, self.id, *n, count, sel, topo),
            View::Swim(s) => {
                topology::pick_from(&mut self.rng, self.id, &s.live(), count, sel, topo)
            }
        }
    }

    fn flush(&mut self, send: Vec<(u64, Body, Option<MemberUpdate>)>) {
        for (to, body, about) in send {
            self.send_with(to, body, about);
        }
    }

    /// Sends `body`; false when it could not go ([`crate::bandwidth`]'s policy).
    fn send(&mut self, to: u64, body: Body) -> bool {
        self.send_with(to, body, None)
    }

    /// Wraps `body` with piggybacked membership updates (`about` first, if given), counts it and
    /// queues it, or drops it when it does not fit the limits now (returning false).
    fn send_with(&mut self, to: u64, body: Body, about: Option<MemberUpdate>) -> bool {
        let Some(room) = self.piggyback_room(&body, about.is_some()) else {
            return false;
        };
        let mut members: Vec<MemberUpdate> = about.into_iter().collect();
        if let View::Swim(s) = &mut self.view {
            members.extend(s.piggyback(room));
        }
        let updates = match &body {
            Body::SyncDelta { updates, .. }
            | Body::MerkleLeaves { updates, .. }
            | Body::Rumor { updates, .. } => updates.len() as u64,
            _ => 0,
        };
        let msg = Message { body, members };
        self.spend(msg.size_bytes());
        let size = msg.size_bytes() as u64;
        self.stats.messages_sent += 1;
        self.stats.bytes_sent += size;
        self.stats.updates_sent += updates;
        if let Some(t) = &self.topology {
            if t.zone(self.id) != t.zone(to) {
                self.stats.cross_zone_messages += 1;
                self.stats.cross_zone_bytes += size;
            }
        }
        self.outputs.push((to, msg));
        true
    }

    /// Merges a received version; emits `Applied` when it was news.
    fn absorb(&mut self, update: &Update) -> bool {
        let changed = self.store.apply(update);
        if changed {
            self.events.push(Event::Applied {
                key: update.key.clone(),
                dot: update.version.dot,
            });
        }
        changed
    }

    /// Takes in a rumor's updates and, when asked, tells the sender which were news.
    fn on_rumor(&mut self, from: u64, updates: Vec<Update>, feedback: bool) {
        let (mut known, mut fresh) = (Vec::new(), Vec::new());
        for u in updates {
            let dot = u.version.dot;
            if self.absorb(&u) {
                fresh.push(dot);
                self.rumor(u);
            } else if self.rumors.learned_in(&dot, self.rounds) {
                // News this round: the contact was as useful as the one that came first.
                fresh.push(dot);
            } else {
                known.push(dot);
            }
        }
        if feedback {
            self.send(from, Body::RumorFeedback { known, fresh });
        }
    }

    /// Handles one message from `from`. Messages arriving after `leave` are ignored.
    pub fn handle_message(&mut self, now: u64, from: u64, msg: Message) -> Result<(), GossipError> {
        if from == self.id {
            return Err(GossipError::FromSelf);
        }
        if self.left {
            return Ok(());
        }
        self.now = now;
        self.stats.messages_received += 1;
        self.stats.bytes_received += msg.size_bytes() as u64;
        let Message { body, members } = msg;
        let mut send = Vec::new();
        if let View::Swim(swim) = &mut self.view {
            let mut out = Out {
                rng: &mut self.rng,
                send: &mut send,
                events: &mut self.events,
            };
            for u in members {
                swim.apply_from(now, from, u, &mut out);
            }
        }
        self.flush(send);
        match body {
            body @ (Body::SyncDigest { .. }
            | Body::SyncSummary { .. }
            | Body::SyncRequest { .. }
            | Body::SyncDelta { .. }
            | Body::MerkleNodes { .. }
            | Body::MerkleLeaves { .. }) => self.on_sync(from, body),
            Body::Rumor { updates, feedback } => {
                self.on_rumor(from, updates, feedback);
                Ok(())
            }
            Body::RumorFeedback { known, fresh } => {
                if let Mode::RumorMongering { loss, k, .. } = self.config.mode {
                    self.rumors.useful(&fresh);
                    self.rumors.contacted(&known, loss, k, &mut self.rng);
                }
                Ok(())
            }
            swim_body => {
                let View::Swim(swim) = &mut self.view else {
                    return Err(GossipError::Unexpected(
                        "SWIM message without SWIM membership",
                    ));
                };
                let mut send = Vec::new();
                let mut out = Out {
                    rng: &mut self.rng,
                    send: &mut send,
                    events: &mut self.events,
                };
                swim.handle(now, from, &swim_body, &mut out);
                self.flush(send);
                Ok(())
            }
        }
    }
}
