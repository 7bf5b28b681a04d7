//! The node's side of [`crate::bandwidth`]: how many bytes a message may take now, and the
//! gate every message passes before it is sent.

use super::GossipNode;
use crate::bandwidth::{Packets, Priority, Transport};
use crate::message::{Body, HEADER_BYTES};
use crate::store::Update;
use crate::swim::MemberUpdate;

impl GossipNode {
    /// The most bytes a message by `transport` of `priority` may take now, past which it is
    /// dropped: the packet limit (packets only) and the tokens in the bucket less the reserve
    /// `priority` leaves; `None` when neither applies.
    fn ceiling(&self, transport: Transport, priority: Priority) -> Option<usize> {
        let packet = match (self.config.packets, transport) {
            (Packets::Limited { max_bytes }, Transport::Packet) => Some(max_bytes),
            _ => None,
        };
        let tokens = self
            .bucket
            .as_deref()
            .map(|b| b.available(self.now).saturating_sub(b.reserve(priority)));
        match (packet, tokens) {
            (Some(p), Some(t)) => Some(p.min(t)),
            (p, t) => p.or(t),
        }
    }

    /// The size a message by `transport` of `priority` should keep to: `max_message_bytes`,
    /// and the ceiling.
    fn limit(&self, transport: Transport, priority: Priority) -> usize {
        let cap = self.config.max_message_bytes;
        self.ceiling(transport, priority)
            .map_or(cap, |c| c.min(cap))
    }

    /// Bytes left for versions in a message by `transport` once `fixed` bytes of the body are
    /// spent.
    pub(super) fn data_budget(&self, fixed: usize, transport: Transport) -> usize {
        self.limit(transport, Priority::Continues)
            .saturating_sub(HEADER_BYTES + 16 + fixed)
    }

    /// Room for piggybacked membership updates beside `body` (and `about`, which must ride
    /// along), or `None` when the message cannot go now: the message is then counted as
    /// dropped. The piggybacks are data: they never use the failure detector's reserve.
    pub(super) fn piggyback_room(&mut self, body: &Body, about: bool) -> Option<usize> {
        let (transport, priority) = (body.transport(), body.priority());
        let fixed = HEADER_BYTES + 2 + body.size_bytes() + usize::from(about) * MemberUpdate::SIZE;
        if self.ceiling(transport, priority).is_some_and(|c| fixed > c) {
            self.stats.messages_dropped += 1;
            self.stats.bytes_dropped += fixed as u64;
            return None;
        }
        let data = priority.max(Priority::Continues);
        Some(self.limit(transport, data).saturating_sub(fixed))
    }

    /// Takes `bytes` of a message being sent out of the bucket.
    pub(super) fn spend(&mut self, bytes: usize) {
        let now = self.now;
        if let Some(bucket) = &mut self.bucket {
            bucket.spend(now, bytes);
        }
    }

    /// Whether `update` can travel as a rumor: always, unless it alone overflows a packet.
    pub(super) fn fits_a_packet(&self, update: &Update) -> bool {
        let rumor = Body::Rumor {
            updates: Vec::new(),
            feedback: false,
        };
        match self.config.packets {
            Packets::Unlimited => true,
            Packets::Limited { max_bytes } => {
                HEADER_BYTES + 2 + rumor.size_bytes() + update.size_bytes() <= max_bytes
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bandwidth::{Bandwidth, FAILURE_DETECTOR_RESERVE};
    use crate::config::Config;
    use crate::node::Membership;
    use rand_core::SeedableRng;

    /// A node whose bucket (burst 1,400 B, refilled at 1 B/s) holds `left` bytes at time 0.
    fn node_holding(left: usize) -> GossipNode {
        let config = Config {
            bandwidth: Bandwidth::TokenBucket {
                bytes_per_second: 1,
                burst: 1_400,
            },
            ..Config::default()
        };
        let members = Membership::Static { nodes: 2 };
        let rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        let mut node = GossipNode::new(0, config, members, None, rng).unwrap();
        node.spend(1_400 - left);
        node
    }

    #[test]
    fn a_probe_may_spend_the_failure_detectors_reserve_but_its_piggybacks_and_data_may_not() {
        let reserve = FAILURE_DETECTOR_RESERVE as usize;
        let ping = Body::Ping { seq: 1 };
        let ping_bytes = HEADER_BYTES + 2 + ping.size_bytes();
        let mut node = node_holding(reserve);
        assert_eq!(
            node.piggyback_room(&ping, false),
            Some(0),
            "no room for piggybacks"
        );
        let rumor = Body::Rumor {
            updates: Vec::new(),
            feedback: false,
        };
        assert_eq!(node.piggyback_room(&rumor, false), None, "data is dropped");
        let mut node = node_holding(reserve + ping_bytes + 30);
        assert_eq!(node.piggyback_room(&ping, false), Some(30));
    }

    #[test]
    fn each_priority_leaves_its_reserve() {
        let node = node_holding(1_000);
        let bucket = node.bucket.as_deref().unwrap();
        assert_eq!(bucket.reserve(Priority::FailureDetection), 0);
        assert_eq!(
            bucket.reserve(Priority::Continues),
            FAILURE_DETECTOR_RESERVE as usize
        );
        assert_eq!(bucket.reserve(Priority::Opens), 700);
        assert_eq!(
            node.data_budget(0, Transport::Stream),
            1_000 - 64 - HEADER_BYTES - 16
        );
    }
}
