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
