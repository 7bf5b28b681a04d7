//! The `gossip` protocol block of a scenario.

use crate::scenario::{Invalid, Span};
use faultline_gossip::{
    Bandwidth, Config, ConflictMode, DynamicSuspicion, Exchange, Feedback, Lifeguard,
    LossOfInterest, MerkleShape, Mode, Packets, PeerSelection, PlantedBugs, Reconciliation,
    RetransmitScale, SwimConfig,
};
use serde::{Deserialize, Serialize};

/// Merkle trees of 16-way nodes, 3 levels: 4,096 buckets.
pub const MERKLE_SHAPE: MerkleShape = MerkleShape {
    fanout_bits: 4,
    depth: 3,
};

/// Parameters of a gossip cluster and the writes it disseminates.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GossipSpec {
    /// `"push"`, `"pull"`, `"push_pull"` (anti-entropy), or `{"rumor": {...}}`.
    pub mode: ModeSpec,
    /// Peers contacted per round.
    #[serde(default = "one")]
    pub fanout: u32,
    /// Time between a node's rounds.
    pub interval: Span,
    /// `"lww"` (last writer wins) or `"siblings"` (keep concurrent values).
    #[serde(default)]
    pub conflict: ConflictSpec,
    /// `"digest"` (Scuttlebutt summaries), `"merkle"` (descent of the fixed 4,096-bucket tree,
    /// buckets shipped both ways) or `{"merkle_tree": {...}}` (a tree sized for the keys, one way).
    #[serde(default)]
    pub reconciliation: ReconciliationSpec,
    /// Largest message, in bytes; deltas beyond it are split.
    #[serde(default = "default_budget")]
    pub max_message_bytes: usize,
    /// UDP-sized packets: probes, acks, rumors and digests of at most `max_bytes` (memberlist's
    /// 1,400 by default), carrying piggybacked updates only as far as they fit (absent: packets
    /// are limited by `max_message_bytes` alone).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub packets: Option<PacketsSpec>,
    /// A per-node outgoing budget, `{"bytes_per_second", "burst"}`, on the node's own clock
    /// (absent: unlimited). What does not fit waits or is dropped as README's gossip section
    /// tells.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bandwidth: Option<BandwidthSpec>,
    /// `"uniform"`, or `{"spatial": {"a": 2.0}}` to favour peers in the same zone.
    #[serde(default)]
    pub peers: PeersSpec,
    /// All nodes start their rounds together (the synchronous-rounds model of the analyses);
    /// by default each node's first round falls at a random offset within one interval.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub synchronous_rounds: bool,
    /// SWIM membership; absent: a static view of every node.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub swim: Option<SwimSpec>,
    /// End the run at the first convergence check that finds every live node holding one state
    /// after the last write and fault, instead of at `duration` (which stays the limit).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub stop_at_convergence: bool,
    /// Keep each node's own writes on its disk (needs `cluster.disk`): a write survives a crash
    /// once its sync completes, and the restarted node spreads it again. Off: a write not yet
    /// gossiped is lost with its writer's crash.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub durable: bool,
    /// The writes to disseminate.
    pub writes: WritesSpec,
    /// Planted bugs to switch on (all off by default).
    #[serde(default, skip_serializing_if = "GossipBugsSpec::none")]
    pub bugs: GossipBugsSpec,
}

/// Switches that bring back a fixed gossip bug, so the campaign keeps measuring how fast the
/// sweeps find it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GossipBugsSpec {
    /// With `swim`: failed members are forgotten 30 s after they were declared dead, whatever
    /// `reconnect_timeout` says, so a partition that outlasts that never heals.
    #[serde(default)]
    pub forget_failed_members: bool,
}

impl GossipBugsSpec {
    /// True when no bug is switched on.
    fn none(&self) -> bool {
        *self == Self::default()
    }
}

/// The packet size limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PacketsSpec {
    /// The largest packet, in bytes (64 to `max_message_bytes`; memberlist's 1,400 by default).
    #[serde(default = "udp_packet")]
    pub max_bytes: usize,
}

fn udp_packet() -> usize {
    1_400
}

/// A token bucket of outgoing bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BandwidthSpec {
    /// Refill rate, bytes per second of the node's clock (at least 1).
    pub bytes_per_second: u64,
    /// The most bytes sent at once (at least 64).
    pub burst: u64,
}

fn one() -> u32 {
    1
}

fn default_budget() -> usize {
    64 * 1024
}

/// How updates spread.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum ModeSpec {
    /// Anti-entropy, pushing.
    Push,
    /// Anti-entropy, pulling.
    Pull,
    /// Anti-entropy, both ways.
    PushPull,
    /// Rumor mongering.
    Rumor(RumorSpec),
}

/// Rumor-mongering parameters (Demers et al.).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RumorSpec {
    /// Loss-of-interest parameter.
    pub k: u32,
    /// Lose interest only after useless contacts (true), or after any contact (false: blind).
    #[serde(default = "yes")]
    pub feedback: bool,
    /// `"counter"` (after k) or `"coin"` (with probability 1/k each time).
    #[serde(default)]
    pub loss: LossSpec,
    /// An anti-entropy pass every this many rounds (0: pure rumor mongering).
    #[serde(default)]
    pub backup_every: u32,
}

fn yes() -> bool {
    true
}

/// Counter or coin loss of interest.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LossSpec {
    /// Stop after k contacts.
    #[default]
    Counter,
    /// Stop with probability 1/k per contact.
    Coin,
}

/// Conflict resolution.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConflictSpec {
    /// Last writer wins.
    #[default]
    Lww,
    /// Keep concurrent siblings.
    Siblings,
}

/// Reconciliation scheme.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReconciliationSpec {
    /// Scuttlebutt-style digests.
    #[default]
    Digest,
    /// Merkle-tree comparison over [`MERKLE_SHAPE`], whole buckets shipped both ways.
    Merkle,
    /// Merkle-tree comparison over a tree of the given (or a key-count-following) shape, only
    /// the newer side's versions shipped.
    MerkleTree(MerkleTreeSpec),
}

/// The shape of a `merkle_tree`: `2^fanout_bits`-way nodes, `depth` levels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MerkleTreeSpec {
    /// log2 of the branching (1 to 8; default 4, 16-way).
    #[serde(default = "default_fanout_bits")]
    pub fanout_bits: u32,
    /// Levels below the root (absent: the fewest that give one leaf per written key, within
    /// [`AUTO_MERKLE_BITS`] bits of leaves).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub depth: Option<u32>,
}

/// Most leaves, as a power of two, of a tree whose depth follows the key count (2^20 leaves:
/// 8 MiB of leaf hashes per node).
pub const AUTO_MERKLE_BITS: u32 = 20;

fn default_fanout_bits() -> u32 {
    4
}

impl MerkleTreeSpec {
    /// The tree's shape for `keys` distinct keys.
    pub fn shape(&self, keys: u32) -> MerkleShape {
        let bits = self.fanout_bits.max(1);
        let depth = self.depth.unwrap_or_else(|| {
            let mut depth = 1;
            while (depth + 1) * bits <= AUTO_MERKLE_BITS && (1u64 << (depth * bits)) < keys as u64 {
                depth += 1;
            }
            depth
        });
        MerkleShape {
            fanout_bits: self.fanout_bits,
            depth,
        }
    }

    /// Checks the branching and depth; field paths start at `protocol.gossip`.
    fn validate(&self) -> Result<(), Invalid> {
        let field = |name: &str| format!("protocol.gossip.reconciliation.merkle_tree.{name}");
        if !(1..=8).contains(&self.fanout_bits) {
            return Err(Invalid::new(
                field("fanout_bits"),
                format!("expected 1 to 8, found {}", self.fanout_bits),
            ));
        }
        let max_depth = 24 / self.fanout_bits;
        match self.depth {
            Some(depth) if !(1..=max_depth).contains(&depth) => Err(Invalid::new(
                field("depth"),
                format!("expected 1 to {max_depth} (fanout_bits * depth <= 24), found {depth}"),
            )),
            _ => Ok(()),
        }
    }
}

/// Peer selection.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum PeersSpec {
    /// Uniform over the view.
    #[default]
    Uniform,
    /// Demers et al.'s spatial distribution over the scenario's zones.
    Spatial(SpatialSpec),
}

/// Spatial peer selection: peer at distance d chosen with weight Q(d)^-a.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpatialSpec {
    /// The exponent a (0 is uniform; 2 strongly favours near peers).
    pub a: f64,
}

/// SWIM failure-detection parameters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SwimSpec {
    /// Time between probes.
    pub probe_interval: Span,
    /// Wait for a direct ack this long before asking others.
    pub ping_timeout: Span,
    /// Members asked to probe indirectly.
    #[serde(default = "three")]
    pub indirect_probes: u32,
    /// Suspect before declaring dead, for this long (absent: declare dead at once).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suspicion: Option<Span>,
    /// Keep failed members, retrying them, this long before forgetting them (Serf's reconnect
    /// timeout; `dead_retention` is accepted as its older name).
    #[serde(default = "default_reconnect_timeout", alias = "dead_retention")]
    pub reconnect_timeout: Span,
    /// How often a node tries to reconnect to one failed member.
    #[serde(default = "default_reconnect_interval")]
    pub reconnect_interval: Span,
    /// Keep members that left as tombstones this long.
    #[serde(default = "default_tombstone_timeout")]
    pub tombstone_timeout: Span,
    /// How often a node swaps whole views with one live member ("0s": never).
    #[serde(default = "default_push_pull_interval")]
    pub push_pull_interval: Span,
    /// Lifeguard's extensions, each switched on by its field (absent: plain SWIM).
    #[serde(default, skip_serializing_if = "LifeguardSpec::is_off")]
    pub lifeguard: LifeguardSpec,
    /// Each membership update is piggybacked `retransmit_mult * ceil(log(n + 1))` times (at
    /// least 1; 4 by default).
    #[serde(default = "four", skip_serializing_if = "is_four")]
    pub retransmit_mult: u32,
    /// The logarithm's base: `"log2"` (the default) or `"log10"` (memberlist's
    /// TransmitLimitedQueue).
    #[serde(default, skip_serializing_if = "RetransmitSpec::is_log2")]
    pub retransmit_scale: RetransmitSpec,
}

/// The base of the retransmit count's logarithm.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RetransmitSpec {
    /// `ceil(log2(n + 1))`.
    #[default]
    Log2,
    /// `ceil(log10(n + 1))`, as memberlist.
    Log10,
}

impl RetransmitSpec {
    fn is_log2(&self) -> bool {
        *self == RetransmitSpec::Log2
    }
}

fn four() -> u32 {
    SwimConfig::default().retransmit_mult
}

fn is_four(mult: &u32) -> bool {
    *mult == four()
}

/// Lifeguard's three extensions of SWIM; each absent one stays off.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LifeguardSpec {
    /// Local health multiplier: the largest factor (memberlist: 8) by which a node that misses
    /// acks and nacks stretches its own probe timeouts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local_health: Option<u32>,
    /// Dynamic suspicion: `{max_mult, confirmations}` (memberlist: 6 and 2); `swim.suspicion`
    /// becomes the base of `min = suspicion * max(1, log10 n)`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dynamic_suspicion: Option<DynamicSuspicionSpec>,
    /// Buddy system: a ping to a suspect carries the suspicion.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub buddy: bool,
}

impl LifeguardSpec {
    fn is_off(&self) -> bool {
        *self == LifeguardSpec::default()
    }

    fn config(&self) -> Lifeguard {
        Lifeguard {
            local_health: self.local_health,
            dynamic_suspicion: self.dynamic_suspicion.as_ref().map(|d| DynamicSuspicion {
                max_mult: d.max_mult,
                confirmations: d.confirmations,
            }),
            buddy: self.buddy,
        }
    }
}

/// Lifeguard's dynamic suspicion parameters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DynamicSuspicionSpec {
    /// A suspicion with no confirmation lasts `max_mult` times the minimum.
    pub max_mult: u32,
    /// Independent confirmations that bring it down to the minimum.
    pub confirmations: u32,
}

fn three() -> u32 {
    3
}

fn default_reconnect_timeout() -> Span {
    Span(std::time::Duration::from_nanos(
        SwimConfig::default().reconnect_timeout,
    ))
}

fn default_reconnect_interval() -> Span {
    Span(std::time::Duration::from_nanos(
        SwimConfig::default().reconnect_interval,
    ))
}

fn default_tombstone_timeout() -> Span {
    Span(std::time::Duration::from_nanos(
        SwimConfig::default().tombstone_timeout,
    ))
}

fn default_push_pull_interval() -> Span {
    Span(std::time::Duration::from_nanos(
        SwimConfig::default().push_pull_interval,
    ))
}

/// The writes: `count` writes of distinct values, to keys `k0..k{keys-1}`, at uniformly random
/// live nodes and times within `[from, until]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WritesSpec {
    /// Number of writes.
    pub count: u32,
    /// Number of distinct keys.
    pub keys: u32,
    /// Earliest write.
    pub from: Span,
    /// Latest write.
    pub until: Span,
}

impl SwimSpec {
    /// The core's SWIM parameters.
    fn config(&self) -> SwimConfig {
        SwimConfig {
            probe_interval: self.probe_interval.nanos(),
            ping_timeout: self.ping_timeout.nanos(),
            indirect_probes: self.indirect_probes,
            suspicion: self.suspicion.map(Span::nanos),
            reconnect_timeout: self.reconnect_timeout.nanos(),
            reconnect_interval: self.reconnect_interval.nanos(),
            tombstone_timeout: self.tombstone_timeout.nanos(),
            push_pull_interval: self.push_pull_interval.nanos(),
            lifeguard: self.lifeguard.config(),
            bugs: PlantedBugs::default(),
            retransmit_mult: self.retransmit_mult,
            retransmit_scale: match self.retransmit_scale {
                RetransmitSpec::Log2 => RetransmitScale::Log2,
                RetransmitSpec::Log10 => RetransmitScale::Log10,
            },
        }
    }
}

impl GossipSpec {
    /// The core's configuration.
    pub fn config(&self) -> Config {
        let mode = match &self.mode {
            ModeSpec::Push => Mode::AntiEntropy(Exchange::Push),
            ModeSpec::Pull => Mode::AntiEntropy(Exchange::Pull),
            ModeSpec::PushPull => Mode::AntiEntropy(Exchange::PushPull),
            ModeSpec::Rumor(r) => Mode::RumorMongering {
                feedback: if r.feedback {
                    Feedback::Feedback
                } else {
                    Feedback::Blind
                },
                loss: match r.loss {
                    LossSpec::Counter => LossOfInterest::Counter,
                    LossSpec::Coin => LossOfInterest::Coin,
                },
                k: r.k,
            },
        };
        let mut swim = self
            .swim
            .as_ref()
            .map_or_else(SwimConfig::default, SwimSpec::config);
        swim.bugs = PlantedBugs {
            forget_failed_members: self.bugs.forget_failed_members,
        };
        Config {
            mode,
            fanout: self.fanout,
            interval: self.interval.nanos(),
            max_message_bytes: self.max_message_bytes,
            packets: self
                .packets
                .map_or(Packets::Unlimited, |p| Packets::Limited {
                    max_bytes: p.max_bytes,
                }),
            bandwidth: self
                .bandwidth
                .map_or(Bandwidth::Unlimited, |b| Bandwidth::TokenBucket {
                    bytes_per_second: b.bytes_per_second,
                    burst: b.burst,
                }),
            conflict: match self.conflict {
                ConflictSpec::Lww => ConflictMode::Lww,
                ConflictSpec::Siblings => ConflictMode::Siblings,
            },
            reconciliation: match self.reconciliation {
                ReconciliationSpec::Digest => Reconciliation::Scuttlebutt,
                ReconciliationSpec::Merkle => Reconciliation::Merkle(MERKLE_SHAPE),
                ReconciliationSpec::MerkleTree(tree) => {
                    Reconciliation::MerkleOneWay(tree.shape(self.writes.keys))
                }
            },
            swim,
            peer_selection: match &self.peers {
                PeersSpec::Uniform => PeerSelection::Uniform,
                PeersSpec::Spatial(s) => PeerSelection::Spatial { a: s.a },
            },
            rumor_backup: match &self.mode {
                ModeSpec::Rumor(r) => r.backup_every,
                _ => 0,
            },
            stagger: !self.synchronous_rounds,
        }
    }

    /// Checks the block against the scenario's duration; field paths start at `protocol.gossip`.
    pub fn validate(&self, duration: Span) -> Result<(), Invalid> {
        let field = |name: &str| format!("protocol.gossip.{name}");
        if let ReconciliationSpec::MerkleTree(tree) = &self.reconciliation {
            tree.validate()?;
        }
        self.config()
            .validate()
            .map_err(|e| Invalid::new(field(e.field), format!("expected {}", e.expected)))?;
        let w = &self.writes;
        if w.keys == 0 && w.count > 0 {
            return Err(Invalid::new(
                field("writes.keys"),
                "expected at least 1 key",
            ));
        }
        if w.count > 1_000_000 {
            return Err(Invalid::new(
                field("writes.count"),
                format!("expected at most 1000000 writes, found {}", w.count),
            ));
        }
        if w.from > w.until || w.until > duration {
            return Err(Invalid::new(
                field("writes.until"),
                format!(
                    "expected from <= until <= the duration ({duration}), found {} and {}",
                    w.from, w.until
                ),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario;
    use std::path::Path;

    fn parse(reconciliation: &str) -> Result<GossipSpec, String> {
        let text = format!(
            r#"{{"version": 1, "name": "t", "seed": 1, "duration": "10s",
                "protocol": {{"gossip": {{"mode": "push_pull", "interval": "1s",
                  "reconciliation": {reconciliation},
                  "writes": {{"count": 10, "keys": 100000, "from": "1s", "until": "2s"}}}}}},
                "cluster": {{"nodes": 3}}}}"#
        );
        let s = scenario::parse(&text, Path::new("t.json")).map_err(|e| e.to_string())?;
        match s.protocol {
            scenario::ProtocolSpec::Gossip(g) => Ok(g),
            _ => unreachable!("a gossip block"),
        }
    }

    fn parse_limits(limits: &str) -> Result<GossipSpec, String> {
        let text = format!(
            r#"{{"version": 1, "name": "t", "seed": 1, "duration": "10s",
                "protocol": {{"gossip": {{"mode": "push_pull", "interval": "1s", {limits}
                  "writes": {{"count": 10, "keys": 10, "from": "1s", "until": "2s"}}}}}},
                "cluster": {{"nodes": 3}}}}"#
        );
        let s = scenario::parse(&text, Path::new("t.json")).map_err(|e| e.to_string())?;
        match s.protocol {
            scenario::ProtocolSpec::Gossip(g) => Ok(g),
            _ => unreachable!("a gossip block"),
        }
    }

    #[test]
    fn limits_default_off_and_take_memberlists_packet_size_when_asked() {
        let off = parse_limits("").unwrap().config();
        assert_eq!(
            (off.packets, off.bandwidth),
            (Packets::Unlimited, Bandwidth::Unlimited)
        );
        let on = parse_limits(
            r#""packets": {}, "bandwidth": {"bytes_per_second": 2000, "burst": 1400},"#,
        )
        .unwrap()
        .config();
        assert_eq!(on.packets, Packets::Limited { max_bytes: 1_400 });
        assert_eq!(
            on.bandwidth,
            Bandwidth::TokenBucket {
                bytes_per_second: 2_000,
                burst: 1_400
            }
        );
    }

    #[test]
    fn bad_limits_name_their_field() {
        for (limits, field, expected) in [
            (
                r#""packets": {"max_bytes": 32},"#,
                "protocol.gossip.packets.max_bytes",
                "64 <= max_bytes <= max_message_bytes",
            ),
            (
                r#""max_message_bytes": 1000, "packets": {},"#,
                "protocol.gossip.packets.max_bytes",
                "max_message_bytes",
            ),
            (
                r#""bandwidth": {"bytes_per_second": 0, "burst": 1400},"#,
                "protocol.gossip.bandwidth.bytes_per_second",
                "at least 1",
            ),
            (
                r#""bandwidth": {"bytes_per_second": 10, "burst": 10},"#,
                "protocol.gossip.bandwidth.burst",
                "at least 64",
            ),
            (
                r#""bandwidth": {"bytes_per_second": 10},"#,
                "protocol.gossip.bandwidth",
                "burst",
            ),
            (
                r#""swim": {"probe_interval": "1s", "ping_timeout": "1ms", "retransmit_mult": 0},"#,
                "protocol.gossip.swim.retransmit_mult",
                "at least 1",
            ),
            (
                r#""swim": {"probe_interval": "1s", "ping_timeout": "1ms", "retransmit_scale": "ln"},"#,
                "protocol.gossip.swim.retransmit_scale",
                "log10",
            ),
        ] {
            let err = parse_limits(limits).unwrap_err();
            assert!(
                err.contains(field) && err.contains(expected),
                "{limits}: {err}"
            );
        }
    }

    #[test]
    fn merkle_tree_depth_follows_the_keys_unless_given() {
        let old = parse(r#""merkle""#).unwrap().config().reconciliation;
        assert_eq!(old, Reconciliation::Merkle(MERKLE_SHAPE));
        let auto = parse(r#"{"merkle_tree": {}}"#).unwrap().config();
        // 16^4 = 65,536 < 100,000 keys <= 16^5.
        let shape = MerkleShape {
            fanout_bits: 4,
            depth: 5,
        };
        assert_eq!(auto.reconciliation, Reconciliation::MerkleOneWay(shape));
        let binary = parse(r#"{"merkle_tree": {"fanout_bits": 1}}"#).unwrap();
        assert_eq!(
            binary.config().reconciliation.merkle_shape(),
            Some(MerkleShape {
                fanout_bits: 1,
                depth: 17
            })
        );
        let given = parse(r#"{"merkle_tree": {"fanout_bits": 2, "depth": 3}}"#).unwrap();
        assert_eq!(
            given.config().reconciliation.merkle_shape(),
            Some(MerkleShape {
                fanout_bits: 2,
                depth: 3
            })
        );
        // Few keys: the cap never goes below one level.
        let one = MerkleTreeSpec {
            fanout_bits: 8,
            depth: None,
        };
        assert_eq!(one.shape(0).depth, 1);
        assert_eq!(one.shape(1 << 20).depth, 2);
    }

    #[test]
    fn a_bad_merkle_tree_names_its_field_and_the_range() {
        let deep = parse(r#"{"merkle_tree": {"fanout_bits": 4, "depth": 7}}"#).unwrap_err();
        assert!(
            deep.contains("protocol.gossip.reconciliation.merkle_tree.depth")
                && deep.contains("expected 1 to 6"),
            "{deep}"
        );
        let wide = parse(r#"{"merkle_tree": {"fanout_bits": 0}}"#).unwrap_err();
        assert!(
            wide.contains("protocol.gossip.reconciliation.merkle_tree.fanout_bits"),
            "{wide}"
        );
        let typo = parse(r#"{"merkle_tree": {"depht": 3}}"#).unwrap_err();
        assert!(typo.contains("depht"), "{typo}");
    }
}
