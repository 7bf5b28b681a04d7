//! A node's outgoing limits: a bytes-per-second budget (a token bucket on the node's own clock)
//! and a size limit on UDP-like packets, as in memberlist.
//!
//! **Policy: fit or drop.** Every message is sized against what it may use now: its transport's
//! size limit ([`Transport::Packet`] messages: the packet limit; [`Transport::Stream`] ones:
//! `max_message_bytes`) and the bytes left in the bucket. Content that can be cut is cut to fit
//! and the rest waits in the node for a later message: piggybacked membership updates stay in
//! SWIM's queue (least-sent first), hot rumors stay hot, versions missing from a delta go in the
//! next exchange. A message whose fixed part does not fit is not sent at all and is counted in
//! [`crate::Stats::messages_dropped`]: the protocol's own repetition (the next round, probe or
//! push-pull period) carries its work later, so full-state syncs are in effect deferred. Nothing
//! is queued as whole messages, so a node over budget never sends a burst later.
//!
//! **Priority.** Each message leaves a reserve in the bucket for the classes above it
//! ([`Priority`]): the failure detector's pings, acks, nacks and indirect requests may use every
//! token; other messages leave [`FAILURE_DETECTOR_RESERVE`] bytes for them; messages that open
//! an exchange leave half the burst, so exchanges already begun can finish.
//!
//! With neither limit set nothing is cut or dropped beyond `max_message_bytes` (a message still
//! carries at least one version so exchanges progress), exactly as before the limits existed.

use crate::error::ConfigError;

/// Nanoseconds per second: tokens are kept in byte-nanoseconds so refills are exact integers.
const NANOS: u128 = 1_000_000_000;

/// The smallest packet limit and bucket burst accepted: room for the largest fixed packet body
/// (an indirect probe request) with its header and one piggybacked update.
pub const MIN_LIMIT_BYTES: usize = 64;

/// A node's outgoing bandwidth budget.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Bandwidth {
    /// No budget: every message is sent.
    #[default]
    Unlimited,
    /// A token bucket on the node's local clock: `burst` bytes at most at once, refilled at
    /// `bytes_per_second`; over any window of `w` seconds the node sends at most
    /// `burst + bytes_per_second * w` bytes. The bucket starts full.
    TokenBucket {
        /// Refill rate (>= 1).
        bytes_per_second: u64,
        /// Capacity (>= [`MIN_LIMIT_BYTES`]).
        burst: u64,
    },
}

/// The size limit of packet messages (SWIM probes, acks and nacks, joins, leaves, rumors and
/// their feedback, anti-entropy digests): memberlist sends these as UDP packets of ~1,400 bytes
/// and piggybacks membership updates only as far as they fit.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Packets {
    /// Packets are limited by `max_message_bytes` like every message.
    #[default]
    Unlimited,
    /// No packet message exceeds `max_bytes` (memberlist: 1,400). A version too large for any
    /// packet is not rumored (anti-entropy, e.g. the rumor backup, still carries it).
    Limited {
        /// The limit (>= [`MIN_LIMIT_BYTES`], <= `max_message_bytes`).
        max_bytes: usize,
    },
}

/// Bytes every message but the failure detector's leaves in the bucket (at most a quarter of
/// the burst): a ping with the member update it is about and an ack, header and all. Measured
/// on `scenarios/gossip/bandwidth-limited.json` starved to 80-100 B/s per node (40 seeds each),
/// it turns runs that declared live members dead from 21 and 5 of 40 into 6 and 0; a larger
/// reserve (128 B, a quarter of the burst) starves the data more: at 500 B/s no run converged.
pub const FAILURE_DETECTOR_RESERVE: u64 = 64;

/// How much of a [`Bandwidth::TokenBucket`] a message may use: each class must leave a reserve
/// in the bucket for the classes above it, so what matters most still goes out when a node's
/// budget runs low.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Priority {
    /// The failure detector's own messages (pings, acks, nacks, indirect probe requests): the
    /// whole bucket, so a node busy with data still probes and answers probes instead of
    /// being suspected for its own traffic. Their piggybacked updates are data: they leave the
    /// failure detector's reserve, as [`Priority::Continues`] does.
    FailureDetection,
    /// Everything else that is not [`Priority::Opens`]: must leave the failure detector's
    /// reserve, [`FAILURE_DETECTOR_RESERVE`] bytes (at most a quarter of the burst).
    Continues,
    /// Messages that open (or accept) an exchange whose later messages cost more: must leave
    /// half the burst, so the exchanges already begun can finish.
    Opens,
}

/// How a message travels, which sets its size limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    /// A datagram: bounded by the packet limit (and `max_message_bytes`).
    Packet,
    /// A stream (memberlist's TCP push-pull): bounded by `max_message_bytes`.
    Stream,
}

impl Bandwidth {
    /// `bytes`, or the burst if smaller: the most one message can ever take.
    pub fn cap(&self, bytes: usize) -> usize {
        match *self {
            Bandwidth::Unlimited => bytes,
            Bandwidth::TokenBucket { burst, .. } => {
                bytes.min(usize::try_from(burst).unwrap_or(usize::MAX))
            }
        }
    }

    /// Checks the rate and burst; the error names the bad field.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if let Bandwidth::TokenBucket {
            bytes_per_second,
            burst,
        } = *self
        {
            if bytes_per_second == 0 {
                return Err(ConfigError::new(
                    "bandwidth.bytes_per_second",
                    "at least 1 byte per second",
                ));
            }
            if burst < MIN_LIMIT_BYTES as u64 {
                return Err(ConfigError::new("bandwidth.burst", "at least 64 bytes"));
            }
        }
        Ok(())
    }
}

impl Packets {
    /// Checks the limit against `max_message_bytes`; the error names the bad field.
    pub fn validate(&self, max_message_bytes: usize) -> Result<(), ConfigError> {
        if let Packets::Limited { max_bytes } = *self {
            if max_bytes < MIN_LIMIT_BYTES || max_bytes > max_message_bytes {
                return Err(ConfigError::new(
                    "packets.max_bytes",
                    "64 <= max_bytes <= max_message_bytes",
                ));
            }
        }
        Ok(())
    }

    /// The size limit of a message travelling by `transport`.
    pub fn limit(&self, transport: Transport, max_message_bytes: usize) -> usize {
        match (self, transport) {
            (Packets::Limited { max_bytes }, Transport::Packet) => *max_bytes,
            _ => max_message_bytes,
        }
    }
}

/// The spending state of a [`Bandwidth::TokenBucket`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct TokenBucket {
    rate: u128,
    capacity: u128,
    /// Byte-nanoseconds available.
    tokens: u128,
    /// Local time of the last refill.
    last: u64,
}

impl TokenBucket {
    /// A full bucket for `bandwidth` (`None` when unlimited).
    pub(crate) fn new(bandwidth: Bandwidth) -> Option<Self> {
        match bandwidth {
            Bandwidth::Unlimited => None,
            Bandwidth::TokenBucket {
                bytes_per_second,
                burst,
            } => Some(Self {
                rate: u128::from(bytes_per_second),
                capacity: u128::from(burst) * NANOS,
                tokens: u128::from(burst) * NANOS,
                last: 0,
            }),
        }
    }

    /// Byte-nanoseconds held at local time `now` (a clock that went back refills nothing).
    fn tokens_at(&self, now: u64) -> u128 {
        let earned = u128::from(now.saturating_sub(self.last)) * self.rate;
        (self.tokens + earned).min(self.capacity)
    }

    /// Whole bytes available at local time `now`.
    pub(crate) fn available(&self, now: u64) -> usize {
        usize::try_from(self.tokens_at(now) / NANOS).unwrap_or(usize::MAX)
    }

    /// Bytes a message of `priority` must leave in the bucket ([`Priority`]).
    pub(crate) fn reserve(&self, priority: Priority) -> usize {
        let burst = self.capacity / NANOS;
        let reserve = match priority {
            Priority::FailureDetection => 0,
            Priority::Continues => (burst / 4).min(u128::from(FAILURE_DETECTOR_RESERVE)),
            Priority::Opens => burst / 2,
        };
        usize::try_from(reserve).unwrap_or(usize::MAX)
    }

    /// Spends `bytes` at local time `now`; the caller checked them against
    /// [`TokenBucket::available`].
    pub(crate) fn spend(&mut self, now: u64, bytes: usize) {
        self.tokens = self.tokens_at(now).saturating_sub(bytes as u128 * NANOS);
        self.last = self.last.max(now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bucket_starts_full_refills_at_its_rate_and_caps_at_its_burst() {
        let bw = Bandwidth::TokenBucket {
            bytes_per_second: 1_000,
            burst: 1_500,
        };
        let mut b = TokenBucket::new(bw).unwrap();
        assert_eq!(b.available(0), 1_500);
        b.spend(0, 1_500);
        assert_eq!(b.available(0), 0);
        // 1,000 B/s: one byte per millisecond, none for less.
        assert_eq!(b.available(999_999), 0);
        assert_eq!(b.available(1_000_000), 1);
        assert_eq!(b.available(500_000_000), 500);
        assert_eq!(b.available(10_000_000_000), 1_500);
        assert_eq!(TokenBucket::new(Bandwidth::Unlimited), None);
    }

    #[test]
    fn bad_limits_name_their_field() {
        let zero_rate = Bandwidth::TokenBucket {
            bytes_per_second: 0,
            burst: 1_000,
        };
        assert_eq!(
            zero_rate.validate().unwrap_err().field,
            "bandwidth.bytes_per_second"
        );
        let tiny = Bandwidth::TokenBucket {
            bytes_per_second: 1,
            burst: 63,
        };
        assert_eq!(tiny.validate().unwrap_err().field, "bandwidth.burst");
        let big = Packets::Limited { max_bytes: 2_000 };
        assert_eq!(big.validate(1_400).unwrap_err().field, "packets.max_bytes");
        assert_eq!(
            Packets::Limited { max_bytes: 1_400 }.validate(1_400),
            Ok(())
        );
        assert_eq!(
            Packets::Limited { max_bytes: 1_400 }.limit(Transport::Stream, 65_536),
            65_536
        );
    }
}
