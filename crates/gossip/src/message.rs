//! The wire messages between gossip nodes and their estimated sizes.

use crate::bandwidth::{Priority, Transport};
use crate::clock::Dot;
use crate::config::Exchange;
use crate::dots::DotSet;
use crate::store::{Store, Update};
use crate::swim::MemberUpdate;

/// Fixed per-message overhead in the size estimate (type tag, lengths, framing).
pub const HEADER_BYTES: usize = 8;

/// One message: a body plus SWIM membership updates piggybacked within the byte budget.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Message {
    /// What the message is for.
    pub body: Body,
    /// Piggybacked membership updates (empty with a static view).
    pub members: Vec<MemberUpdate>,
}

/// The protocol content of a message.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Body {
    /// Opens an anti-entropy exchange with the initiator's root digest (constant size).
    SyncDigest {
        /// The initiator's store digest (also its Merkle root).
        root: u64,
        /// The direction the initiator asks for.
        exchange: Exchange,
    },
    /// Scuttlebutt: the responder's summary, sent when the roots differ.
    SyncSummary {
        /// The responder's causal context.
        context: DotSet,
        /// The exchange direction, echoed.
        exchange: Exchange,
    },
    /// Scuttlebutt pull: asks for the versions whose dots `context` lacks.
    SyncRequest {
        /// The requester's causal context.
        context: DotSet,
    },
    /// Scuttlebutt: the versions the receiver lacks, with the sender's context.
    SyncDelta {
        /// Versions whose dots the receiver's context lacks.
        updates: Vec<Update>,
        /// The sender's causal context (joined by the receiver when `complete`).
        context: DotSet,
        /// True when every missing version fit in the message.
        complete: bool,
        /// Fingerprint of the receiver's context the delta was computed against: the receiver
        /// joins `context` only if it still holds that context (a reply that reaches a fresh
        /// core, after its node left and joined again, skipped versions the core never had).
        answers: u64,
        /// True when the receiver should answer with the versions `context` lacks.
        reply: bool,
    },
    /// Merkle descent: hashes of tree nodes at one level, for the receiver to compare.
    MerkleNodes {
        /// The level (1 = the root's children).
        level: u32,
        /// `(index, hash)` of the nodes whose subtrees are in question.
        nodes: Vec<(u64, u64)>,
        /// The exchange direction of the initiator.
        exchange: Exchange,
        /// True when the sender is the exchange's initiator.
        from_initiator: bool,
    },
    /// Merkle leaves: the differing buckets and, if the sender gives data, its versions in them.
    MerkleLeaves {
        /// The differing leaf buckets.
        buckets: Vec<u64>,
        /// The sender's versions in those buckets (empty if it does not give data).
        updates: Vec<Update>,
        /// True when the receiver should answer with its own versions in the buckets.
        reply: bool,
    },
    /// Rumor mongering: hot updates.
    Rumor {
        /// The rumors.
        updates: Vec<Update>,
        /// True when the sender wants feedback.
        feedback: bool,
    },
    /// Rumor feedback, the answer to every rumor message that asks for it: which rumors were
    /// news (useful contacts) and which the receiver already knew (useless ones).
    RumorFeedback {
        /// Dots of the rumors that were not news.
        known: Vec<Dot>,
        /// Dots of the rumors that were news.
        fresh: Vec<Dot>,
    },
    /// SWIM direct probe.
    Ping {
        /// Probe sequence number, echoed in the ack.
        seq: u64,
    },
    /// SWIM acknowledgement (direct, or relayed for an indirect probe).
    Ack {
        /// The probe's sequence number.
        seq: u64,
    },
    /// Lifeguard's nack: a relay of an indirect probe heard no ack from the target in time (so
    /// the requester knows the relay, at least, is reachable).
    Nack {
        /// The requester's probe sequence number.
        seq: u64,
    },
    /// SWIM indirect probe request: ping `target` for me.
    PingReq {
        /// The requester's probe sequence number.
        seq: u64,
        /// The member to probe.
        target: u64,
    },
    /// SWIM join request to a seed.
    Join {
        /// The joiner's incarnation.
        incarnation: u64,
    },
    /// SWIM join reply: the seed's whole membership view.
    JoinReply {
        /// All members the seed knows, itself included.
        members: Vec<MemberUpdate>,
    },
    /// SWIM graceful leave notice (the `Left` update rides in the piggyback).
    Leave,
    /// SWIM push-pull state sync: part of the sender's whole view, itself included.
    MemberSync {
        /// Members with their states.
        members: Vec<MemberUpdate>,
        /// True when the receiver should answer with its own view (the initiator's first part).
        reply: bool,
    },
}

fn updates_size(updates: &[Update]) -> usize {
    4 + updates.iter().map(Update::size_bytes).sum::<usize>()
}

impl Body {
    /// Every version `store` holds, as one complete delta answering an empty context: what a
    /// node with nothing would be sent (experiments measure it; tests hand it to a node).
    pub fn full_state(store: &Store) -> Body {
        Body::SyncDelta {
            updates: store.updates(),
            context: store.context().clone(),
            complete: true,
            answers: DotSet::new().fingerprint(),
            reply: false,
        }
    }

    /// How the body travels: probes, acks, joins, leaves, rumors, their feedback and
    /// anti-entropy digests as packets (memberlist's UDP); summaries, deltas, Merkle messages
    /// and whole views as streams (memberlist's TCP push-pull).
    pub fn transport(&self) -> Transport {
        match self {
            Body::SyncDigest { .. }
            | Body::Rumor { .. }
            | Body::RumorFeedback { .. }
            | Body::Ping { .. }
            | Body::Ack { .. }
            | Body::Nack { .. }
            | Body::PingReq { .. }
            | Body::Join { .. }
            | Body::Leave => Transport::Packet,
            Body::SyncSummary { .. }
            | Body::SyncRequest { .. }
            | Body::SyncDelta { .. }
            | Body::MerkleNodes { .. }
            | Body::MerkleLeaves { .. }
            | Body::JoinReply { .. }
            | Body::MemberSync { .. } => Transport::Stream,
        }
    }

    /// How much of a bandwidth budget the body may use ([`Priority`]): the failure detector's
    /// own messages (pings, acks, nacks, indirect probe requests) the whole bucket; the bodies
    /// that open (or accept) an exchange whose later messages cost more (anti-entropy digests,
    /// the summary or first Merkle level that accepts one, a whole view pushed for an answer)
    /// must leave half of it; every other body all but the failure detector's reserve.
    pub fn priority(&self) -> Priority {
        match self {
            Body::Ping { .. } | Body::Ack { .. } | Body::Nack { .. } | Body::PingReq { .. } => {
                Priority::FailureDetection
            }
            Body::SyncDigest { .. } | Body::SyncSummary { .. } => Priority::Opens,
            Body::MerkleNodes {
                level,
                from_initiator,
                ..
            } if *level == 1 && !*from_initiator => Priority::Opens,
            Body::MemberSync { reply: true, .. } => Priority::Opens,
            _ => Priority::Continues,
        }
    }

    /// Estimated encoded size of the body alone.
    pub fn size_bytes(&self) -> usize {
        match self {
            Body::SyncDigest { .. } => 9,
            Body::SyncSummary { context, .. } => 1 + context.size_bytes(),
            Body::SyncRequest { context } => context.size_bytes(),
            Body::SyncDelta {
                updates, context, ..
            } => 2 + 8 + updates_size(updates) + context.size_bytes(),
            Body::MerkleNodes { nodes, .. } => 6 + 4 + 16 * nodes.len(),
            Body::MerkleLeaves {
                buckets, updates, ..
            } => 1 + 4 + 8 * buckets.len() + updates_size(updates),
            Body::Rumor { updates, .. } => 1 + updates_size(updates),
            Body::RumorFeedback { known, fresh } => 8 + 16 * (known.len() + fresh.len()),
            Body::Ping { .. } | Body::Ack { .. } | Body::Nack { .. } | Body::Join { .. } => 8,
            Body::PingReq { .. } => 16,
            Body::JoinReply { members } => 4 + MemberUpdate::SIZE * members.len(),
            Body::MemberSync { members, .. } => 5 + MemberUpdate::SIZE * members.len(),
            Body::Leave => 0,
        }
    }
}

impl Message {
    /// Estimated encoded size: header, body and piggybacked updates.
    pub fn size_bytes(&self) -> usize {
        HEADER_BYTES + self.body.size_bytes() + 2 + MemberUpdate::SIZE * self.members.len()
    }
}
