//! Zones and distances supplied by the caller, and peer choice over them: uniform, or Demers et
//! al.'s spatial distribution where a peer at distance `d` has weight `Q(d)^-a` and `Q(d)` counts
//! the candidates no farther than `d`. Shared by all nodes through an `Arc`, never copied per node.

use std::collections::BTreeMap;

use rand_core::RngCore;

use crate::config::PeerSelection;
use crate::error::ConfigError;
use crate::rng;
use crate::view::Pool;

/// Which zone every node is in and how far zones are from each other.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Topology {
    zone_of: Vec<u32>,
    distance: Vec<Vec<u32>>,
    zone_members: Vec<Vec<u64>>,
}

impl Topology {
    /// `zone_of[id]` is node `id`'s zone; `distance[a][b]` the distance between zones `a` and `b`
    /// (a square matrix; distances inside a zone usually small but positive).
    pub fn new(zone_of: Vec<u32>, distance: Vec<Vec<u32>>) -> Result<Self, ConfigError> {
        let zones = distance.len();
        if zones == 0 || distance.iter().any(|row| row.len() != zones) {
            return Err(ConfigError::new(
                "topology.distance",
                "a non-empty square matrix",
            ));
        }
        if zone_of.iter().any(|z| *z as usize >= zones) {
            return Err(ConfigError::new(
                "topology.zone_of",
                "zone numbers below the matrix size",
            ));
        }
        let mut zone_members = vec![Vec::new(); zones];
        for (id, z) in zone_of.iter().enumerate() {
            zone_members[*z as usize].push(id as u64);
        }
        Ok(Self {
            zone_of,
            distance,
            zone_members,
        })
    }

    /// Nodes `0..n` split into `zones` equal consecutive blocks, at distance `near` inside a block
    /// and `far` between blocks (e.g. two regions: `blocks(n, 2, 1, 10)`).
    pub fn blocks(n: u64, zones: u32, near: u32, far: u32) -> Result<Self, ConfigError> {
        if zones == 0 || n == 0 {
            return Err(ConfigError::new(
                "topology.zones",
                "at least one zone and one node",
            ));
        }
        let zone_of = (0..n).map(|i| (i * u64::from(zones) / n) as u32).collect();
        let z = zones as usize;
        let distance = (0..z)
            .map(|a| (0..z).map(|b| if a == b { near } else { far }).collect())
            .collect();
        Self::new(zone_of, distance)
    }

    /// Number of nodes the topology places.
    pub fn nodes(&self) -> u64 {
        self.zone_of.len() as u64
    }

    /// Node `id`'s zone, if placed.
    pub fn zone(&self, id: u64) -> Option<u32> {
        usize::try_from(id)
            .ok()
            .and_then(|i| self.zone_of.get(i))
            .copied()
    }

    /// Distance between two nodes' zones (`None` if either is not placed).
    pub fn distance(&self, a: u64, b: u64) -> Option<u32> {
        Some(self.distance[self.zone(a)? as usize][self.zone(b)? as usize])
    }
}

/// Chooses up to `count` distinct peers among nodes `0..n` other than `me`.
pub(crate) fn pick_static(
    rng: &mut impl RngCore,
    me: u64,
    n: u64,
    count: usize,
    selection: PeerSelection,
    topology: Option<&Topology>,
) -> Vec<u64> {
    let others = n.saturating_sub(u64::from(me < n));
    if others as usize <= count {
        return (0..n).filter(|p| *p != me).collect();
    }
    let mut chosen: Vec<u64> = Vec::with_capacity(count);
    let spatial = match (selection, topology) {
        (PeerSelection::Spatial { a }, Some(t)) => {
            t.zone(me).map(|z| (t, zone_weights(t, z, me, a)))
        }
        _ => None,
    };
    // Weights can underflow to zero for far zones; after enough misses, draw uniformly.
    let mut attempts = 0;
    while chosen.len() < count {
        attempts += 1;
        let zone = match &spatial {
            Some((_, weights)) if attempts <= 64 * count => weighted(rng, weights),
            _ => None,
        };
        let p = match (zone, &spatial) {
            (Some(z), Some((t, _))) => {
                let members = &t.zone_members[z];
                members[rng::below(rng, members.len() as u64) as usize]
            }
            _ => rng::below(rng, n),
        };
        if p != me && !chosen.contains(&p) {
            chosen.push(p);
        }
    }
    chosen
}

/// Weight of each zone as seen from `me` in zone `mine`: its peer count times `Q(d)^-a`.
fn zone_weights(t: &Topology, mine: u32, me: u64, a: f64) -> Vec<f64> {
    let counts: Vec<u64> = t
        .zone_members
        .iter()
        .enumerate()
        .map(|(z, m)| m.len() as u64 - u64::from(z == mine as usize && t.zone(me) == Some(mine)))
        .collect();
    let row = &t.distance[mine as usize];
    (0..counts.len())
        .map(|z| {
            let q: u64 = (0..counts.len())
                .filter(|y| row[*y] <= row[z])
                .map(|y| counts[y])
                .sum();
            if counts[z] == 0 {
                0.0
            } else {
                counts[z] as f64 * (q as f64).powf(-a)
            }
        })
        .collect()
}

/// An index drawn with probability proportional to `weights`; `None` when they sum to zero
/// (or are not finite), for callers to fall back to a uniform draw.
fn weighted(rng: &mut impl RngCore, weights: &[f64]) -> Option<usize> {
    let total: f64 = weights.iter().sum();
    if !(total.is_finite() && total > 0.0) {
        return None;
    }
    let mut x = rng::unit(rng) * total;
    for (i, w) in weights.iter().enumerate() {
        if x < *w {
            return Some(i);
        }
        x -= w;
    }
    weights.iter().rposition(|w| *w > 0.0)
}

/// Chooses up to `count` distinct peers from `candidates` (which exclude `me`).
pub(crate) fn pick_from(
    rng: &mut impl RngCore,
    me: u64,
    candidates: &(impl Pool + ?Sized),
    count: usize,
    selection: PeerSelection,
    topology: Option<&Topology>,
) -> Vec<u64> {
    let (PeerSelection::Spatial { a }, Some(t)) = (selection, topology) else {
        return rng::sample(rng, candidates, count);
    };
    let candidates: Vec<u64> = (0..candidates.size()).map(|i| candidates.at(i)).collect();
    let dist: Vec<u32> = candidates
        .iter()
        .map(|c| t.distance(me, *c).unwrap_or(u32::MAX))
        .collect();
    let mut per_distance: BTreeMap<u32, u64> = BTreeMap::new();
    for d in &dist {
        *per_distance.entry(*d).or_default() += 1;
    }
    let mut q = BTreeMap::new();
    let mut running = 0;
    for (d, c) in per_distance {
        running += c;
        q.insert(d, running as f64);
    }
    let mut weights: Vec<f64> = dist.iter().map(|d| q[d].powf(-a)).collect();
    let mut chosen = Vec::new();
    while chosen.len() < count.min(candidates.len()) {
        let i = match weighted(rng, &weights) {
            Some(i) => i,
            None => {
                let rest: Vec<usize> = (0..candidates.len())
                    .filter(|i| !chosen.contains(&candidates[*i]))
                    .collect();
                rest[rng::below(rng, rest.len() as u64) as usize]
            }
        };
        weights[i] = 0.0;
        chosen.push(candidates[i]);
    }
    chosen
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::ChaCha8Rng;
    use rand_core::SeedableRng;

    fn cross_fraction(selection: PeerSelection, t: &Topology, from_list: bool) -> f64 {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let n = t.nodes();
        let all: Vec<u64> = (1..n).collect();
        let mut cross = 0;
        let trials = 4000;
        for _ in 0..trials {
            let p = if from_list {
                pick_from(&mut rng, 0, &all[..], 1, selection, Some(t))[0]
            } else {
                pick_static(&mut rng, 0, n, 1, selection, Some(t))[0]
            };
            assert_ne!(p, 0);
            cross += u32::from(t.zone(p) != t.zone(0));
        }
        f64::from(cross) / f64::from(trials)
    }

    #[test]
    fn spatial_choice_favours_the_near_region() {
        let t = Topology::blocks(100, 2, 1, 10).unwrap();
        for from_list in [false, true] {
            let uniform = cross_fraction(PeerSelection::Uniform, &t, from_list);
            let spatial = cross_fraction(PeerSelection::Spatial { a: 2.0 }, &t, from_list);
            assert!((0.45..0.56).contains(&uniform), "uniform {uniform}");
            // Q(near) = 49, Q(far) = 99: cross weight 50/99² against 49/49² => about 0.17.
            assert!((0.13..0.22).contains(&spatial), "spatial {spatial}");
        }
    }

    #[test]
    fn picks_are_distinct_and_exclude_self() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let mut p = pick_static(&mut rng, 2, 10, 5, PeerSelection::Uniform, None);
        p.sort_unstable();
        p.dedup();
        assert_eq!(p.len(), 5);
        assert!(!p.contains(&2));
        assert_eq!(
            pick_static(&mut rng, 2, 3, 5, PeerSelection::Uniform, None),
            vec![0, 1]
        );
        assert!(Topology::new(vec![0, 3], vec![vec![1]]).is_err());
        assert!(Topology::new(vec![0], vec![vec![1, 2]]).is_err());
        // A huge exponent underflows the far weights to zero: picks still complete.
        let t = Topology::blocks(6, 2, 1, 10).unwrap();
        let huge = PeerSelection::Spatial { a: 1e6 };
        assert_eq!(pick_static(&mut rng, 0, 6, 4, huge, Some(&t)).len(), 4);
        let all: Vec<u64> = (1..6).collect();
        let mut p = pick_from(&mut rng, 0, &all[..], 4, huge, Some(&t));
        p.sort_unstable();
        p.dedup();
        assert_eq!(p.len(), 4);
    }
}
