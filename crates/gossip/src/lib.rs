//! Sans-IO gossip core for faultline: a replicated key-value map versioned by vector clocks,
//! spread by anti-entropy (push, pull, push-pull; Scuttlebutt digests or Merkle trees) or rumor
//! mongering, with SWIM membership and spatial peer choice. The caller owns time (`u64` ns),
//! the network and the random seed: feed inputs into a [`GossipNode`], drain its outputs.
#![warn(missing_docs)]

pub mod clock;
pub mod config;
pub mod dots;
pub mod error;
pub mod event;
mod hash;
pub mod merkle;
pub mod message;
pub mod node;
mod rng;
mod rumor;
pub mod store;
pub mod swim;
pub mod topology;

pub use clock::{Causality, Dot, VectorClock};
pub use config::{
    Config, Exchange, Feedback, LossOfInterest, Mode, PeerSelection, Reconciliation, SwimConfig,
};
pub use dots::DotSet;
pub use error::{ConfigError, GossipError};
pub use event::Event;
pub use merkle::MerkleShape;
pub use message::{Body, Message};
pub use node::{GossipNode, Membership, Stats};
pub use store::{ConflictMode, Key, Store, Update, Value, Version};
pub use swim::{Member, MemberState, MemberUpdate};
pub use topology::Topology;
