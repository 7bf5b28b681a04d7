//! The network model: per-link latency, loss, duplication and reordering; zones; partitions and cuts.

use crate::detmath;
use crate::hash::StableBuildHasher;
use crate::rng::DetRng;
use crate::time::{duration_nanos, Time};
use crate::NodeId;
use std::collections::HashMap;
use std::time::Duration;

/// How long a message takes on a link.
#[derive(Clone, Debug, PartialEq)]
pub enum LatencyDist {
    /// Every message takes exactly this long.
    Fixed(Duration),
    /// Uniform between `min` and `max` inclusive.
    Uniform {
        /// Shortest latency.
        min: Duration,
        /// Longest latency.
        max: Duration,
    },
    /// Heavy-tailed: Pareto with scale `min` and shape `alpha`, truncated at `max`.
    /// Smaller `alpha` means a heavier tail (1.1–2 is typical of real networks).
    Pareto {
        /// Scale: the shortest (and most common) latency.
        min: Duration,
        /// Shape parameter, positive.
        alpha: f64,
        /// Cap on any single draw.
        max: Duration,
    },
}

impl LatencyDist {
    /// Draws one latency.
    pub fn sample(&self, rng: &mut DetRng) -> Duration {
        Duration::from_nanos(self.sample_nanos(rng))
    }

    /// Draws one latency in whole nanoseconds (saturating at `u64::MAX`): the same draw as
    /// [`LatencyDist::sample`] without the round trip through `Duration` (the send path
    /// wants nanoseconds).
    #[inline]
    pub fn sample_nanos(&self, rng: &mut DetRng) -> u64 {
        match *self {
            LatencyDist::Fixed(d) => duration_nanos(d),
            LatencyDist::Uniform { min, max } => {
                rng.between(duration_nanos(min), duration_nanos(max))
            }
            LatencyDist::Pareto { min, alpha, max } => {
                // Inverse CDF: min * U^(-1/alpha), U in (0, 1].
                let u = 1.0 - rng.unit();
                let factor = pareto_factor(u, alpha);
                let nanos = duration_nanos(min) as f64 * factor;
                let capped = nanos.min(duration_nanos(max) as f64);
                capped as u64
            }
        }
    }

    /// The latency in nanoseconds when it is fixed.
    pub fn fixed_nanos(&self) -> Option<u64> {
        match *self {
            LatencyDist::Fixed(d) => Some(duration_nanos(d)),
            _ => None,
        }
    }

    /// The largest latency this distribution can produce.
    pub fn max(&self) -> Duration {
        match *self {
            LatencyDist::Fixed(d) => d,
            LatencyDist::Uniform { max, .. } | LatencyDist::Pareto { max, .. } => max,
        }
    }
}

/// `u^(-1/alpha)` for `u` in (0, 1]: with `alpha` 1 (the common heavy tail) the correctly
/// rounded `1 / u`, one division in place of the `ln` and `exp` series (~350 instructions);
/// otherwise `exp(-ln(u) / alpha)`. Both use only IEEE operations, so every machine draws the
/// same latencies; the division is the more exact, and in 10^8 draws scaled to 1 ms neither
/// truncated to nanoseconds differs from the other (`pareto_factor_of_alpha_one` checks 10^6).
fn pareto_factor(u: f64, alpha: f64) -> f64 {
    if alpha == 1.0 {
        1.0 / u
    } else {
        detmath::exp(-detmath::ln(u) / alpha)
    }
}

/// Behaviour of one directed link (or of every link between two zones).
#[derive(Clone, Debug, PartialEq)]
pub struct LinkConfig {
    /// Latency distribution.
    pub latency: LatencyDist,
    /// Probability that a message is lost.
    pub drop: f64,
    /// Probability that a message is delivered twice (the copy has its own latency).
    pub duplicate: f64,
    /// Probability that a message may overtake earlier ones on its link. Messages that are not
    /// reordered are delivered in send order (FIFO per directed link).
    pub reorder: f64,
}

impl Default for LinkConfig {
    /// A reliable link with 1 ms latency.
    fn default() -> Self {
        LinkConfig {
            latency: LatencyDist::Fixed(Duration::from_millis(1)),
            drop: 0.0,
            duplicate: 0.0,
            reorder: 0.0,
        }
    }
}

/// Index of a zone (rack, region) in a [`Topology`].
pub type ZoneId = u16;

/// Nodes placed in zones, with link behaviour per ordered pair of zones.
#[derive(Clone, Debug)]
pub struct Topology {
    zone_names: Vec<String>,
    /// Row-major `zones x zones` matrix; `None` falls back to the default link.
    pair_links: Vec<Option<LinkConfig>>,
    default_link: LinkConfig,
}

impl Topology {
    /// One zone, every link behaving as `default_link`.
    pub fn uniform(default_link: LinkConfig) -> Self {
        Topology {
            zone_names: vec!["default".into()],
            pair_links: vec![None],
            default_link,
        }
    }

    /// Adds a zone and returns its id.
    pub fn add_zone(&mut self, name: &str) -> ZoneId {
        let old = self.zone_names.len();
        let new = old + 1;
        let mut links = vec![None; new * new];
        for from in 0..old {
            for to in 0..old {
                links[from * new + to] = self.pair_links[from * old + to].take();
            }
        }
        self.pair_links = links;
        self.zone_names.push(name.to_string());
        ZoneId::try_from(old).expect("more than 65535 zones")
    }

    /// Id of the zone called `name`.
    pub fn zone(&self, name: &str) -> Option<ZoneId> {
        self.zone_names
            .iter()
            .position(|z| z == name)
            .map(|i| i as ZoneId)
    }

    /// Name of a zone.
    pub fn zone_name(&self, zone: ZoneId) -> &str {
        &self.zone_names[zone as usize]
    }

    /// Number of zones.
    pub fn zone_count(&self) -> usize {
        self.zone_names.len()
    }

    /// Sets the link behaviour for messages from zone `from` to zone `to`.
    pub fn set_link(&mut self, from: ZoneId, to: ZoneId, link: LinkConfig) {
        let n = self.zone_names.len();
        self.pair_links[from as usize * n + to as usize] = Some(link);
    }

    /// Replaces the default link (used where no zone pair overrides it).
    pub fn set_default_link(&mut self, link: LinkConfig) {
        self.default_link = link;
    }

    /// The default link.
    pub fn default_link(&self) -> &LinkConfig {
        &self.default_link
    }

    /// Link behaviour from zone `from` to zone `to`.
    pub fn link(&self, from: ZoneId, to: ZoneId) -> &LinkConfig {
        let n = self.zone_names.len();
        self.pair_links[from as usize * n + to as usize]
            .as_ref()
            .unwrap_or(&self.default_link)
    }
}

/// A one-way cut: messages from any node in `from` to any node in `to` are lost.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OneWayCut {
    from: Vec<NodeId>,
    to: Vec<NodeId>,
}

impl OneWayCut {
    /// A cut blocking `from -> to` (the reverse direction still passes).
    pub fn new(mut from: Vec<NodeId>, mut to: Vec<NodeId>) -> Self {
        from.sort_unstable();
        to.sort_unstable();
        OneWayCut { from, to }
    }

    fn blocks(&self, from: NodeId, to: NodeId) -> bool {
        self.from.binary_search(&from).is_ok() && self.to.binary_search(&to).is_ok()
    }
}

/// Which directed links are currently cut.
#[derive(Clone, Debug, Default)]
pub struct Connectivity {
    /// Partition group of each node; nodes without a group reach everyone.
    group_of: Vec<Option<u32>>,
    cuts: Vec<OneWayCut>,
}

impl Connectivity {
    /// Splits the listed nodes into `groups` that cannot reach each other (replacing any earlier
    /// partition). Nodes listed in no group keep reaching everyone.
    pub fn partition(&mut self, groups: &[Vec<NodeId>]) {
        self.group_of.iter_mut().for_each(|g| *g = None);
        for (index, group) in groups.iter().enumerate() {
            for node in group {
                let slot = node.index();
                if self.group_of.len() <= slot {
                    self.group_of.resize(slot + 1, None);
                }
                self.group_of[slot] = Some(index as u32);
            }
        }
    }

    /// Adds a one-way cut.
    pub fn cut(&mut self, cut: OneWayCut) {
        self.cuts.push(cut);
    }

    /// Removes every partition and cut.
    pub fn heal(&mut self) {
        self.group_of.clear();
        self.cuts.clear();
    }

    /// True if messages from `from` to `to` are currently lost.
    #[inline]
    pub fn is_blocked(&self, from: NodeId, to: NodeId) -> bool {
        let group = |n: NodeId| self.group_of.get(n.index()).copied().flatten();
        if let (Some(a), Some(b)) = (group(from), group(to)) {
            if a != b {
                return true;
            }
        }
        self.cuts.iter().any(|cut| cut.blocks(from, to))
    }

    /// True when no partition or cut is in force.
    pub fn is_healed(&self) -> bool {
        self.cuts.is_empty() && self.group_of.iter().all(Option::is_none)
    }
}

/// Per-link FIFO bookkeeping: the latest delivery time scheduled on each directed link.
///
/// Links between the first [`DENSE_NODES`] nodes live in a dense table indexed by the pair
/// (one load and store per send in a small cluster); the others in a hash map with a fixed
/// hasher, used only for lookups (never iterated to decide anything). A link without an entry
/// and a link whose entry is [`Time::ZERO`] or in the past order alike: a new message never
/// arrives before now. In a large cluster each sender's latest link is kept with the sender
/// instead ([`LastLink`], [`FifoLinks::order_from`]); the map then holds only links left while
/// a message on them was still in flight.
#[derive(Debug, Default)]
pub(crate) struct FifoLinks {
    /// Row-major `dim x dim`: the latest delivery from node `i` to node `j` at `i * dim + j`.
    dense: Vec<Time>,
    dim: usize,
    last_delivery: HashMap<(NodeId, NodeId), Time, StableBuildHasher>,
    prune_at: usize,
}

/// Links between nodes below this index are kept in [`FifoLinks`]' dense table (at most
/// 32 KiB); the rest in its map.
const DENSE_NODES: usize = 64;

/// From this many nodes the kernel orders FIFO links with [`FifoLinks::order_from`]. At 10^6
/// nodes the map is a cache miss per send while the sender's own metadata is in cache (it is
/// running); in a small cluster the map stays in cache, and a Raft leader's heartbeats to every
/// peer in turn would move its one remembered link in and out of the map at every send.
pub(crate) const LAST_LINK_FROM: usize = 4096;

/// A sender's most recent FIFO link and the latest delivery scheduled on it. That link has no
/// entry in [`FifoLinks`]' map.
#[derive(Clone, Copy, Debug)]
pub(crate) struct LastLink {
    to: NodeId,
    at: Time,
}

impl Default for LastLink {
    /// No link yet (no node has index `u32::MAX`).
    fn default() -> Self {
        LastLink {
            to: NodeId::new(u32::MAX),
            at: Time::ZERO,
        }
    }
}

impl FifoLinks {
    /// The delivery time for a FIFO message proposed to arrive at `arrival`: never before an
    /// earlier message on the same link.
    #[inline]
    pub(crate) fn order(&mut self, from: NodeId, to: NodeId, arrival: Time, now: Time) -> Time {
        match self.dense_index(from, to) {
            Some(i) => {
                let at = arrival.max(self.dense[i]);
                self.dense[i] = at;
                at
            }
            None => self.order_in_map(from, to, arrival, now),
        }
    }

    /// [`FifoLinks::order`] for a link kept in the map.
    #[inline(never)]
    fn order_in_map(&mut self, from: NodeId, to: NodeId, arrival: Time, now: Time) -> Time {
        let slot = self.last_delivery.entry((from, to)).or_insert(Time::ZERO);
        let at = arrival.max(*slot);
        *slot = at;
        self.prune(now);
        at
    }

    /// Like [`FifoLinks::order`], with `last`, the sender's remembered link, looked at first.
    /// Sending on another link moves the remembered one into the table if a message on it is
    /// still in flight, and takes the new link out of the table: each link has one entry.
    pub(crate) fn order_from(
        &mut self,
        last: &mut LastLink,
        (from, to): (NodeId, NodeId),
        arrival: Time,
        now: Time,
    ) -> Time {
        if last.to != to {
            if last.at > now {
                self.put((from, last.to), last.at, now);
            }
            let at = self.take((from, to));
            *last = LastLink { to, at };
        }
        last.at = arrival.max(last.at);
        last.at
    }

    /// Records `at` as the latest delivery on `link`.
    fn put(&mut self, (from, to): (NodeId, NodeId), at: Time, now: Time) {
        match self.dense_index(from, to) {
            Some(i) => self.dense[i] = at,
            None => {
                self.last_delivery.insert((from, to), at);
                self.prune(now);
            }
        }
    }

    /// Removes and returns the latest delivery on `link` ([`Time::ZERO`] if none).
    fn take(&mut self, (from, to): (NodeId, NodeId)) -> Time {
        match self.dense_index(from, to) {
            Some(i) => std::mem::replace(&mut self.dense[i], Time::ZERO),
            None if self.last_delivery.is_empty() => Time::ZERO,
            None => self.last_delivery.remove(&(from, to)).unwrap_or(Time::ZERO),
        }
    }

    /// The dense table's slot for the link, growing the table to take its nodes; `None` for a
    /// link kept in the map.
    #[inline]
    fn dense_index(&mut self, from: NodeId, to: NodeId) -> Option<usize> {
        let (from, to) = (from.index(), to.index());
        let needed = from.max(to) + 1;
        if needed > DENSE_NODES {
            return None;
        }
        if needed > self.dim {
            self.grow(needed.max(2 * self.dim).min(DENSE_NODES));
        }
        Some(from * self.dim + to)
    }

    /// Re-lays the dense table out as `dim x dim`, keeping every entry.
    #[cold]
    #[inline(never)]
    fn grow(&mut self, dim: usize) {
        let mut dense = vec![Time::ZERO; dim * dim];
        for (from, row) in self.dense.chunks_exact(self.dim.max(1)).enumerate() {
            dense[from * dim..from * dim + row.len()].copy_from_slice(row);
        }
        self.dense = dense;
        self.dim = dim;
    }

    /// Entries in the past no longer constrain anything; dropping them changes no outcome.
    fn prune(&mut self, now: Time) {
        if self.last_delivery.len() > self.prune_at.max(1024) {
            self.last_delivery.retain(|_, last| *last > now);
            self.prune_at = self.last_delivery.len() * 2;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(i: u32) -> NodeId {
        NodeId::new(i)
    }

    #[test]
    fn partition_blocks_across_groups_only() {
        let mut c = Connectivity::default();
        c.partition(&[vec![n(0)], vec![n(1), n(2)]]);
        assert!(c.is_blocked(n(0), n(1)) && c.is_blocked(n(2), n(0)));
        assert!(!c.is_blocked(n(1), n(2)));
        assert!(
            !c.is_blocked(n(3), n(0)) && !c.is_blocked(n(0), n(3)),
            "unlisted nodes reach all"
        );
        c.heal();
        assert!(!c.is_blocked(n(0), n(1)) && c.is_healed());
    }

    #[test]
    fn one_way_cut_blocks_one_direction() {
        let mut c = Connectivity::default();
        c.cut(OneWayCut::new(vec![n(0)], vec![n(1), n(2)]));
        assert!(c.is_blocked(n(0), n(1)) && c.is_blocked(n(0), n(2)));
        assert!(!c.is_blocked(n(1), n(0)) && !c.is_blocked(n(2), n(0)));
    }

    #[test]
    fn latency_draws_respect_bounds() {
        let mut rng = DetRng::from_seed(3);
        let uniform = LatencyDist::Uniform {
            min: Duration::from_millis(1),
            max: Duration::from_millis(10),
        };
        let pareto = LatencyDist::Pareto {
            min: Duration::from_millis(1),
            alpha: 1.5,
            max: Duration::from_millis(500),
        };
        let mut above_10ms = 0;
        for _ in 0..10_000 {
            let u = uniform.sample(&mut rng);
            assert!(u >= Duration::from_millis(1) && u <= Duration::from_millis(10));
            let p = pareto.sample(&mut rng);
            assert!(p >= Duration::from_millis(1) && p <= Duration::from_millis(500));
            above_10ms += usize::from(p > Duration::from_millis(10));
        }
        // P(X > 10 min) = 10^-1.5 ~ 3.2%: a real tail, not a uniform in disguise.
        assert!((200..=450).contains(&above_10ms), "{above_10ms}");
    }

    /// The shape-1 Pareto factor is the division `1 / u`; scaled to 1 ms and truncated to
    /// nanoseconds it gives the latencies the `ln`/`exp` series gave, so no trace hash moves.
    #[test]
    fn pareto_factor_of_alpha_one() {
        let mut rng = DetRng::from_seed(11);
        let nanos = |factor: f64| (1e6 * factor).min(1e9) as u64;
        for _ in 0..1_000_000 {
            let u = 1.0 - rng.unit();
            let series = detmath::exp(-detmath::ln(u) / 1.0);
            assert_eq!(nanos(pareto_factor(u, 1.0)), nanos(series), "u = {u}");
        }
        assert_eq!(pareto_factor(1.0, 1.0), 1.0);
        assert_eq!(
            pareto_factor(0.25, 2.0),
            detmath::exp(-detmath::ln(0.25) / 2.0)
        );
    }

    #[test]
    fn zone_pairs_override_the_default_link() {
        let mut topo = Topology::uniform(LinkConfig::default());
        let us = topo.add_zone("us");
        let eu = topo.add_zone("eu");
        let slow = LinkConfig {
            latency: LatencyDist::Fixed(Duration::from_millis(80)),
            ..LinkConfig::default()
        };
        topo.set_link(us, eu, slow.clone());
        assert_eq!(topo.link(us, eu), &slow);
        assert_eq!(topo.link(eu, us), &LinkConfig::default());
        assert_eq!(topo.zone("eu"), Some(eu));
    }

    #[test]
    fn fifo_links_never_deliver_out_of_order() {
        let mut fifo = FifoLinks::default();
        let now = Time::ZERO;
        assert_eq!(
            fifo.order(n(0), n(1), Time::from_millis(9), now),
            Time::from_millis(9)
        );
        assert_eq!(
            fifo.order(n(0), n(1), Time::from_millis(3), now),
            Time::from_millis(9)
        );
        assert_eq!(
            fifo.order(n(1), n(0), Time::from_millis(3), now),
            Time::from_millis(3)
        );
    }

    /// Node indices on both sides of the dense table's edge and of its growth steps.
    const NODES: [u32; 6] = [0, 1, 5, 63, 64, 900];

    proptest::proptest! {
        /// The dense table (grown as nodes appear) and the map together give every message
        /// the delivery time of a plain per-link record of the latest delivery.
        #[test]
        fn dense_table_orders_as_a_plain_record(
            sends in proptest::collection::vec((0usize..6, 0usize..6, 0u64..20, 0u64..3), 1..300)
        ) {
            let mut fifo = FifoLinks::default();
            let mut record = std::collections::BTreeMap::new();
            let mut now = 0;
            for (from, to, latency, wait) in sends {
                now += wait;
                let (from, to) = (n(NODES[from]), n(NODES[to]));
                let arrival = Time::from_nanos(now + latency);
                let last = record.entry((from, to)).or_insert(Time::ZERO);
                *last = arrival.max(*last);
                let got = fifo.order(from, to, arrival, Time::from_nanos(now));
                proptest::prop_assert_eq!(got, *last);
            }
        }

        /// The senders' remembered links with the map give every message the same delivery
        /// time as the map alone, whatever the order of sends over a few links.
        #[test]
        fn remembered_links_order_as_the_map_alone(
            sends in proptest::collection::vec((0usize..3, 0usize..6, 0u64..20, 0u64..3), 1..300)
        ) {
            let (mut plain, mut remembered) = (FifoLinks::default(), FifoLinks::default());
            let mut last = [LastLink::default(); 3];
            let mut now = 0;
            for (sender, to, latency, wait) in sends {
                now += wait;
                let (arrival, at) = (Time::from_nanos(now + latency), Time::from_nanos(now));
                let (from, to) = (n(NODES[sender * 2]), n(NODES[to]));
                let expected = plain.order(from, to, arrival, at);
                let got = remembered.order_from(&mut last[sender], (from, to), arrival, at);
                proptest::prop_assert_eq!(got, expected);
            }
        }
    }
}
