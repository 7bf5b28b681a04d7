//! Sans-IO gossip core for faultline: a replicated key-value map versioned by vector clocks,
//! spread by anti-entropy (push, pull, push-pull; Scuttlebutt digests or Merkle trees) or rumor
//! mongering, with SWIM membership and spatial peer choice. The caller owns time (`u64` ns),
//! the network and the random seed: feed inputs into a [`GossipNode`], drain its outputs.
//!
//! - **Data** ([`store`]): each value carries a [`VectorClock`] and the [`Dot`] of its write;
//!   merges are joins (commutative, associative, idempotent) under [`ConflictMode::Lww`] or
//!   [`ConflictMode::Siblings`]. [`GossipNode::digest`] is an XOR of version hashes.
//! - **Anti-entropy** ([`Mode::AntiEntropy`]): every interval, `fanout` peers get a constant-size
//!   `SyncDigest`; equal roots end the exchange. Otherwise Scuttlebutt: the responder's
//!   [`DotSet`] summary, then deltas of the versions the other side lacks, in dot order within the
//!   byte budget (push: 3 messages, pull and push-pull: 4). Or Merkle: a descent of
//!   `MerkleNodes` levels to the differing buckets, then `MerkleLeaves` with their versions.
//! - **Rumor mongering** ([`Mode::RumorMongering`]): hot updates pushed every interval; interest
//!   lost by counter or coin with parameter `k`, on every contact (blind) or on useless ones
//!   (feedback, reported by `RumorFeedback`; a useful contact resets the counter).
//! - **Membership** ([`Membership`]): a static view `0..n` (no per-node tables), or SWIM with
//!   ping, ping-req through `k` members, suspicion and refutation by incarnation, piggybacked
//!   updates on every message, joins through seeds, graceful leave, failed members kept for
//!   hours and retried periodically, tombstones for the left, and a periodic push-pull of whole
//!   views, so healed partitions reunite.
//! - **Peers**: uniform, or Demers et al.'s spatial `Q(d)^-a` over a shared [`Topology`], with
//!   cross-zone messages and bytes counted in [`Stats`].
//! - **Limits** ([`bandwidth`]): an optional bytes-per-second token bucket per node and an
//!   optional size limit on UDP-like packets (memberlist's 1,400 bytes); content is cut to fit
//!   and what cannot fit waits for later messages, a message that cannot fit at all is dropped.
//! - **Monitoring**: [`Event::Applied`] when a version enters a node's map, [`Event::Member`] on
//!   every view change; [`Message::size_bytes`] and [`Stats`] for traffic.
//!
//! ```
//! use faultline_gossip::{Config, GossipNode, Membership};
//! use rand_chacha::ChaCha8Rng;
//! use rand_core::SeedableRng;
//!
//! let cfg = Config::default(); // push-pull anti-entropy, Scuttlebutt digests, LWW
//! let view = || Membership::Static { nodes: 2 };
//! let mut a = GossipNode::new(0, cfg, view(), None, ChaCha8Rng::seed_from_u64(0)).unwrap();
//! let mut b = GossipNode::new(1, cfg, view(), None, ChaCha8Rng::seed_from_u64(1)).unwrap();
//! a.put(0, "greeting", b"hello".to_vec()).unwrap();
//! // Fire a's round and shuttle messages until both are quiet.
//! a.handle_timeout(a.poll_timeout().unwrap());
//! let mut in_flight: Vec<(u64, u64, _)> = a.take_outputs().into_iter().map(|(to, m)| (0, to, m)).collect();
//! while let Some((from, to, msg)) = in_flight.pop() {
//!     let node = if to == 0 { &mut a } else { &mut b };
//!     node.handle_message(1, from, msg).unwrap();
//!     in_flight.extend(node.take_outputs().into_iter().map(|(t, m)| (to, t, m)));
//! }
//! assert_eq!(a.digest(), b.digest());
//! assert_eq!(b.get("greeting")[0].value.as_deref(), Some(&b"hello"[..]));
//! ```
#![warn(missing_docs)]

pub mod bandwidth;
pub mod clock;
pub mod config;
pub mod dots;
pub mod error;
pub mod event;
mod hash;
mod lifeguard;
pub mod merkle;
pub mod message;
pub mod node;
mod order;
mod probe;
pub mod record;
mod rng;
mod rumor;
pub mod store;
pub mod swim;
pub mod topology;
pub mod view;

pub use bandwidth::{Bandwidth, Packets, Transport};
pub use clock::{Causality, Dot, VectorClock};
pub use config::{
    Config, DynamicSuspicion, Exchange, Feedback, Lifeguard, LossOfInterest, Mode, PeerSelection,
    PlantedBugs, Reconciliation, RetransmitScale, SwimConfig, FORGOTTEN_AFTER,
};
pub use dots::DotSet;
pub use error::{ConfigError, GossipError};
pub use event::Event;
pub use merkle::MerkleShape;
pub use message::{Body, Message};
pub use node::{GossipNode, Membership, Stats};
pub use probe::Probe;
pub use store::{ConflictMode, Key, Store, Update, Value, Version};
pub use swim::{Member, MemberState, MemberUpdate};
pub use topology::Topology;
pub use view::MemberView;
