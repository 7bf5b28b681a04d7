//! Node configuration: dissemination mode, timing, budgets, conflict mode, reconciliation, SWIM
//! parameters and peer selection. Durations are nanoseconds.

use crate::bandwidth::{Bandwidth, Packets};
use crate::error::ConfigError;
use crate::merkle::MerkleShape;
use crate::store::ConflictMode;

/// Which way state flows in one anti-entropy exchange, from the initiator's side.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Exchange {
    /// The initiator sends what the peer lacks.
    Push,
    /// The initiator fetches what it lacks.
    Pull,
    /// Both directions.
    PushPull,
}

impl Exchange {
    /// Whether the initiator gives data.
    pub fn pushes(self) -> bool {
        matches!(self, Exchange::Push | Exchange::PushPull)
    }

    /// Whether the initiator receives data.
    pub fn pulls(self) -> bool {
        matches!(self, Exchange::Pull | Exchange::PushPull)
    }
}

/// Whether a rumor's sender learns if the contact was useful.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Feedback {
    /// The receiver replies which rumors it already knew; interest is lost only on useless contacts.
    Feedback,
    /// No reply; interest is lost on every contact.
    Blind,
}

/// How a node loses interest in a rumor (Demers et al.).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LossOfInterest {
    /// After `k` (useless, with feedback) contacts.
    Counter,
    /// With probability `1/k` at each (useless, with feedback) contact.
    Coin,
}

/// How updates spread.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Every interval, exchange state with `fanout` random peers.
    AntiEntropy(Exchange),
    /// Every interval, push hot rumors to `fanout` random peers until interest is lost.
    RumorMongering {
        /// Feedback or blind.
        feedback: Feedback,
        /// Counter or coin.
        loss: LossOfInterest,
        /// The parameter `k` (>= 1).
        k: u32,
    },
}

/// How anti-entropy finds the differences.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reconciliation {
    /// Root digest, then per-origin version summaries (Scuttlebutt) and the missing versions.
    Scuttlebutt,
    /// Root digest, then a descent of a Merkle tree over key hashes to the differing buckets,
    /// whose versions both sides ship whole.
    Merkle(MerkleShape),
    /// The same descent, but only one side's versions travel where it is the newer one: the
    /// answer to a bucket's versions carries only the versions the sender lacks after merging
    /// them (nothing when the sender was newer everywhere).
    MerkleOneWay(MerkleShape),
}

impl Reconciliation {
    /// The Merkle tree's shape, for either Merkle scheme.
    pub fn merkle_shape(&self) -> Option<MerkleShape> {
        match self {
            Reconciliation::Scuttlebutt => None,
            Reconciliation::Merkle(shape) | Reconciliation::MerkleOneWay(shape) => Some(*shape),
        }
    }

    /// True when a bucket's answer leaves out what the asking side sent or superseded.
    pub fn one_way(&self) -> bool {
        matches!(self, Reconciliation::MerkleOneWay(_))
    }
}

/// How gossip peers are chosen among the known ones.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum PeerSelection {
    /// Uniformly at random.
    Uniform,
    /// Demers et al.'s spatial distribution: a peer at distance `d` is chosen with weight
    /// `Q(d)^-a`, where `Q(d)` counts peers no farther than `d` (needs a [`crate::Topology`]).
    Spatial {
        /// The exponent `a` (>= 0; 0 is uniform, 2 is Demers' recommendation).
        a: f64,
    },
}

/// Lifeguard's three extensions of SWIM, each switched on its own (all off: plain SWIM).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Lifeguard {
    /// Local health multiplier, `Some(max)` (memberlist: 8): missed acks and nacks and having to
    /// refute raise a score in `0..max`, answered probes lower it, and this node's probe
    /// timeouts stretch by `score + 1`.
    pub local_health: Option<u32>,
    /// Dynamic suspicion: the timeout starts long and shrinks with independent confirmations,
    /// scaled by log10 of the cluster size; `None`: the fixed `suspicion` timeout.
    pub dynamic_suspicion: Option<DynamicSuspicion>,
    /// Buddy system: a ping to a member this node suspects carries the suspicion, so the member
    /// hears it at once and can refute.
    pub buddy: bool,
}

/// Lifeguard's dynamic suspicion timeout (memberlist's `SuspicionMaxTimeoutMult` and
/// `SuspicionMult - 2`): `min = suspicion * max(1, log10 n)`, starting at `max_mult * min` and
/// reaching `min` after `confirmations` independent accusers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DynamicSuspicion {
    /// How many times `min` a suspicion lasts with no confirmation (>= 1; memberlist: 6).
    pub max_mult: u32,
    /// Independent confirmations that bring the timeout down to `min` (memberlist: 2).
    pub confirmations: u32,
}

/// How the number of times a membership update is piggybacked grows with the cluster size `n`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum RetransmitScale {
    /// `ceil(log2(n + 1))`: the SWIM paper's bound, faultline's default.
    #[default]
    Log2,
    /// `ceil(log10(n + 1))`: memberlist's `TransmitLimitedQueue`, for UDP-sized packets that
    /// hold few updates each.
    Log10,
}

impl RetransmitScale {
    /// The logarithm of `n_plus_one` (>= 2) in this base, rounded up.
    pub fn scale(self, n_plus_one: u64) -> u32 {
        match self {
            RetransmitScale::Log2 => 64 - (n_plus_one - 1).leading_zeros(),
            RetransmitScale::Log10 => {
                let mut digits = 0;
                let mut power = 1u64;
                while power < n_plus_one {
                    power = power.saturating_mul(10);
                    digits += 1;
                }
                digits
            }
        }
    }
}

const SECOND: u64 = 1_000_000_000;
const HOUR: u64 = 3_600 * SECOND;

/// SWIM failure-detector and dissemination parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SwimConfig {
    /// The protocol period: one probe per period.
    pub probe_interval: u64,
    /// How long to wait for a direct ack before asking others (must be < `probe_interval`).
    pub ping_timeout: u64,
    /// How many members relay an indirect ping (`k`).
    pub indirect_probes: u32,
    /// `Some(timeout)`: a failed probe makes a member suspect, dead after the timeout unless it
    /// refutes; `None`: a failed probe declares it dead at once.
    pub suspicion: Option<u64>,
    /// Each membership update is piggybacked `retransmit_mult * ceil(log(n + 1))` times, the
    /// logarithm's base given by `retransmit_scale`.
    pub retransmit_mult: u32,
    /// The base of that logarithm.
    pub retransmit_scale: RetransmitScale,
    /// Failed (dead) members are kept, and retried by reconnection, this long before they are
    /// forgotten (Serf's `reconnect_timeout`, 24 h by default): a partition shorter than this
    /// heals by itself.
    pub reconnect_timeout: u64,
    /// Every this often, with probability failed / alive (at most 1), a node pings one random
    /// failed member, telling it it is thought dead; one that is up refutes and is taken back
    /// (Serf's `reconnect_interval`, 30 s by default).
    pub reconnect_interval: u64,
    /// Members that left gracefully are kept as tombstones this long, so a stale `Alive` cannot
    /// bring them back (Serf's `tombstone_timeout`, 24 h by default).
    pub tombstone_timeout: u64,
    /// Every this often a node sends its whole view to one random live member, which answers with
    /// its own (memberlist's `PushPullInterval`, 30 s by default); 0 disables it.
    pub push_pull_interval: u64,
    /// Lifeguard's extensions (all off by default).
    pub lifeguard: Lifeguard,
    /// Planted bugs (all off by default).
    pub bugs: PlantedBugs,
}

/// Switches that bring back a fixed SWIM bug, so a sweep can show it finds it and the
/// planted-bug campaign keeps measuring how fast.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PlantedBugs {
    /// Failed members are forgotten [`FORGOTTEN_AFTER`] after they were declared dead, whatever
    /// `reconnect_timeout` says (the retention before Serf's reconnect timeout): once a
    /// partition outlasts it, neither side remembers the other to retry it, and the two halves
    /// never merge again.
    pub forget_failed_members: bool,
}

/// How long [`PlantedBugs::forget_failed_members`] keeps a failed member: 30 s.
pub const FORGOTTEN_AFTER: u64 = 30 * SECOND;

impl SwimConfig {
    /// How long a failed member is kept (and retried) before it is forgotten.
    pub fn failed_retention(&self) -> u64 {
        if self.bugs.forget_failed_members {
            self.reconnect_timeout.min(FORGOTTEN_AFTER)
        } else {
            self.reconnect_timeout
        }
    }
}

impl Default for SwimConfig {
    fn default() -> Self {
        Self {
            probe_interval: 1_000_000_000,
            ping_timeout: 200_000_000,
            indirect_probes: 3,
            suspicion: Some(5_000_000_000),
            retransmit_mult: 4,
            retransmit_scale: RetransmitScale::Log2,
            reconnect_timeout: 24 * HOUR,
            reconnect_interval: 30 * SECOND,
            tombstone_timeout: 24 * HOUR,
            push_pull_interval: 30 * SECOND,
            lifeguard: Lifeguard::default(),
            bugs: PlantedBugs::default(),
        }
    }
}

/// Everything a node needs to know about how to behave.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Config {
    /// Anti-entropy or rumor mongering.
    pub mode: Mode,
    /// Peers contacted per interval.
    pub fanout: u32,
    /// The gossip interval (one round).
    pub interval: u64,
    /// Estimated size limit of one message; data and piggybacked membership updates are cut to
    /// fit (a message always carries at least one update so exchanges progress).
    pub max_message_bytes: usize,
    /// Size limit of packet messages (probes, rumors, digests; see [`Packets`]); unlimited by
    /// default.
    pub packets: Packets,
    /// Outgoing bytes-per-second budget (see [`Bandwidth`]); unlimited by default.
    pub bandwidth: Bandwidth,
    /// LWW or siblings.
    pub conflict: ConflictMode,
    /// Scuttlebutt digests or Merkle trees.
    pub reconciliation: Reconciliation,
    /// SWIM parameters (used with SWIM membership only).
    pub swim: SwimConfig,
    /// Uniform or spatial peer choice.
    pub peer_selection: PeerSelection,
    /// With rumor mongering, every this many rounds also run one push-pull anti-entropy exchange
    /// with a random peer (Demers et al.'s backup, which repairs the residue); 0 disables it.
    pub rumor_backup: u32,
    /// `true`: a node's first round (and first probe) falls at a random offset within one
    /// interval, so nodes do not act in lockstep. `false`: rounds fall on multiples of the
    /// interval for every node, i.e. synchronous rounds as in the epidemic analyses.
    pub stagger: bool,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            mode: Mode::AntiEntropy(Exchange::PushPull),
            fanout: 1,
            interval: 1_000_000_000,
            max_message_bytes: 64 * 1024,
            packets: Packets::Unlimited,
            bandwidth: Bandwidth::Unlimited,
            conflict: ConflictMode::Lww,
            reconciliation: Reconciliation::Scuttlebutt,
            swim: SwimConfig::default(),
            peer_selection: PeerSelection::Uniform,
            stagger: true,
            rumor_backup: 0,
        }
    }
}

impl Config {
    /// Checks every field; the error names the first bad one.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.fanout == 0 {
            return Err(ConfigError::new("fanout", "at least 1"));
        }
        if self.interval == 0 {
            return Err(ConfigError::new("interval", "a positive duration"));
        }
        if self.max_message_bytes < 64 {
            return Err(ConfigError::new("max_message_bytes", "at least 64"));
        }
        self.packets.validate(self.max_message_bytes)?;
        self.bandwidth.validate()?;
        if let Mode::RumorMongering { k: 0, .. } = self.mode {
            return Err(ConfigError::new("mode.k", "at least 1"));
        }
        if let Some(shape) = self.reconciliation.merkle_shape() {
            shape.validate()?;
        }
        if let PeerSelection::Spatial { a } = self.peer_selection {
            if !(a.is_finite() && a >= 0.0) {
                return Err(ConfigError::new("peer_selection.a", "a finite number >= 0"));
            }
        }
        let s = &self.swim;
        if s.probe_interval == 0 || s.ping_timeout == 0 || s.ping_timeout >= s.probe_interval {
            return Err(ConfigError::new(
                "swim.ping_timeout",
                "0 < ping_timeout < probe_interval",
            ));
        }
        if s.suspicion == Some(0) {
            return Err(ConfigError::new(
                "swim.suspicion",
                "a positive timeout or none",
            ));
        }
        if s.retransmit_mult == 0 {
            return Err(ConfigError::new("swim.retransmit_mult", "at least 1"));
        }
        if s.lifeguard.local_health == Some(0) {
            return Err(ConfigError::new(
                "swim.lifeguard.local_health",
                "a maximum multiplier of at least 1",
            ));
        }
        if let Some(dynamic) = s.lifeguard.dynamic_suspicion {
            if dynamic.max_mult == 0 {
                return Err(ConfigError::new(
                    "swim.lifeguard.dynamic_suspicion.max_mult",
                    "at least 1",
                ));
            }
            if s.suspicion.is_none() {
                return Err(ConfigError::new(
                    "swim.lifeguard.dynamic_suspicion",
                    "a suspicion timeout to scale (swim.suspicion)",
                ));
            }
        }
        if s.reconnect_interval == 0 {
            return Err(ConfigError::new(
                "swim.reconnect_interval",
                "a positive duration",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_is_valid_and_bad_fields_are_named() {
        assert_eq!(Config::default().validate(), Ok(()));
        let bad = Config {
            fanout: 0,
            ..Config::default()
        };
        assert_eq!(bad.validate().unwrap_err().field, "fanout");
        let bad = Config {
            mode: Mode::RumorMongering {
                feedback: Feedback::Blind,
                loss: LossOfInterest::Coin,
                k: 0,
            },
            ..Config::default()
        };
        assert_eq!(bad.validate().unwrap_err().field, "mode.k");
        let swim = SwimConfig {
            ping_timeout: 2_000_000_000,
            ..SwimConfig::default()
        };
        assert_eq!(
            Config {
                swim,
                ..Config::default()
            }
            .validate()
            .unwrap_err()
            .field,
            "swim.ping_timeout"
        );
        let spatial = Config {
            peer_selection: PeerSelection::Spatial { a: f64::NAN },
            ..Config::default()
        };
        assert!(spatial.validate().is_err());
        assert_eq!(RetransmitScale::Log2.scale(21), 5);
        assert_eq!(RetransmitScale::Log10.scale(21), 2);
        assert_eq!(RetransmitScale::Log10.scale(10), 1);
        assert_eq!(RetransmitScale::Log10.scale(11), 2);
        assert!(
            Exchange::PushPull.pushes() && Exchange::PushPull.pulls() && !Exchange::Push.pulls()
        );
    }
}
