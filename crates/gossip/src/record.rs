//! Durable records of versions: the bytes a caller keeps on its disk so that a node's own writes
//! survive a crash once synced ([`crate::GossipNode::restore`] takes them back). A record is
//! `checksum (8) | key length (4) | key | origin (8) | seq (8) | timestamp (8) | clock entries
//! (4) | (node, counter) pairs | value flag (1) | value`, little endian; the checksum covers the
//! rest, so a torn or corrupted record is refused instead of restored as garbage.

use crate::clock::{Dot, VectorClock};
use crate::hash::Hasher64;
use crate::store::{Update, Version};

/// The bytes of `update` as a checksummed record.
pub fn encode(update: &Update) -> Vec<u8> {
    let v = &update.version;
    let mut body = Vec::with_capacity(update.size_bytes() + 16);
    body.extend((update.key.len() as u32).to_le_bytes());
    body.extend(update.key.as_bytes());
    for n in [v.dot.origin, v.dot.seq, v.timestamp] {
        body.extend(n.to_le_bytes());
    }
    body.extend((v.clock.len() as u32).to_le_bytes());
    for (node, counter) in v.clock.entries() {
        body.extend(node.to_le_bytes());
        body.extend(counter.to_le_bytes());
    }
    match &v.value {
        Some(value) => {
            body.push(1);
            body.extend(value);
        }
        None => body.push(0),
    }
    let mut out = checksum(&body).to_le_bytes().to_vec();
    out.extend(body);
    out
}

/// The update a record holds, or `None` when it is torn, corrupted or not a record.
pub fn decode(bytes: &[u8]) -> Option<Update> {
    let (sum, body) = (bytes.get(..8)?, bytes.get(8..)?);
    if u64::from_le_bytes(sum.try_into().ok()?) != checksum(body) {
        return None;
    }
    let mut r = Reader(body);
    let key_len = r.u32()? as usize;
    let key = String::from_utf8(r.take(key_len)?.to_vec()).ok()?;
    let dot = Dot {
        origin: r.u64()?,
        seq: r.u64()?,
    };
    let timestamp = r.u64()?;
    let mut clock = VectorClock::new();
    for _ in 0..r.u32()? {
        let (origin, seq) = (r.u64()?, r.u64()?);
        clock.observe(Dot { origin, seq });
    }
    let value = match r.take(1)?[0] {
        0 => None,
        _ => Some(r.0.to_vec()),
    };
    Some(Update {
        key,
        version: Version {
            dot,
            clock,
            timestamp,
            value,
        },
    })
}

fn checksum(body: &[u8]) -> u64 {
    Hasher64::new().bytes(body).finish()
}

/// Reads little-endian fields off the front of a byte slice.
struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Option<&[u8]> {
        let (head, rest) = (self.0.get(..n)?, self.0.get(n..)?);
        self.0 = rest;
        Some(head)
    }

    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }

    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{ConflictMode, Store};

    #[test]
    fn records_round_trip_and_refuse_damage() {
        let mut store = Store::new(3, ConflictMode::Lww, None);
        store.write(5, "a", Some(b"one".to_vec()));
        let update = store.write(9, "a", Some(b"two".to_vec()));
        let tombstone = store.write(12, "b", None);
        for u in [&update, &tombstone] {
            assert_eq!(decode(&encode(u)).as_ref(), Some(u));
        }
        let mut flipped = encode(&update);
        flipped[12] ^= 4;
        assert_eq!(decode(&flipped), None, "a flipped bit is caught");
        let whole = encode(&update);
        assert_eq!(
            decode(&whole[..whole.len() - 1]),
            None,
            "a torn record is caught"
        );
        assert_eq!(decode(b"short"), None);
    }
}
