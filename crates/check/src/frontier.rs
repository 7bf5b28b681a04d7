//! The configurations a partition's search can be in at a quiescent point, and the
//! linearization paths that reach them.
//!
//! A configuration is a model state and the set of live indeterminate operations
//! already applied. Of two configurations with the same state, the one that applied a
//! subset of the other's operations can do everything the other can, so only the
//! minimal ones are kept.

use std::collections::HashMap;
use std::hash::Hash;

use crate::hashing::FixedState;

/// Index of a path node; [`ROOT`] is the empty path.
pub(crate) type PathId = u32;
/// The empty path.
pub(crate) const ROOT: PathId = u32::MAX;

/// Linearization paths shared by prefix: each node is (parent, operation).
#[derive(Default)]
pub(crate) struct Paths {
    nodes: Vec<(PathId, u32)>,
}

impl Paths {
    /// The path `parent` followed by `ops`.
    pub(crate) fn extend(&mut self, mut parent: PathId, ops: impl Iterator<Item = u32>) -> PathId {
        for op in ops {
            self.nodes.push((parent, op));
            parent = (self.nodes.len() - 1) as PathId;
        }
        parent
    }

    /// The operations of `path`, first to last.
    pub(crate) fn unroll(&self, mut path: PathId) -> Vec<u32> {
        let mut out = Vec::new();
        while path != ROOT {
            let (parent, op) = self.nodes[path as usize];
            out.push(op);
            path = parent;
        }
        out.reverse();
        out
    }

    /// Bytes held.
    pub(crate) fn bytes(&self) -> usize {
        self.nodes.len() * std::mem::size_of::<(PathId, u32)>()
    }
}

/// One configuration at a quiescent point.
#[derive(Clone, Debug)]
pub(crate) struct Config<S> {
    pub(crate) state: S,
    /// Applied indeterminate operations (partition indices), sorted.
    pub(crate) applied: Vec<u32>,
    /// How it was reached.
    pub(crate) path: PathId,
}

/// The minimal configurations, in the order they were first found.
pub(crate) struct Frontier<S> {
    configs: Vec<Option<Config<S>>>,
    by_state: HashMap<S, Vec<usize>, FixedState>,
    live: usize,
}

fn subset(small: &[u32], big: &[u32]) -> bool {
    let mut big = big.iter();
    small.iter().all(|x| big.any(|y| y == x))
}

impl<S: Clone + Eq + Hash> Frontier<S> {
    pub(crate) fn new() -> Self {
        Self {
            configs: Vec::new(),
            by_state: HashMap::default(),
            live: 0,
        }
    }

    /// Adds `config` unless one with the same state applied a subset of its
    /// operations; drops those it makes redundant.
    pub(crate) fn add(&mut self, config: Config<S>) {
        let same = self.by_state.entry(config.state.clone()).or_default();
        for &i in same.iter() {
            if let Some(old) = &self.configs[i] {
                if subset(&old.applied, &config.applied) {
                    return;
                }
            }
        }
        same.retain(|&i| match &self.configs[i] {
            Some(old) if subset(&config.applied, &old.applied) => {
                self.configs[i] = None;
                self.live -= 1;
                false
            }
            _ => true,
        });
        same.push(self.configs.len());
        self.configs.push(Some(config));
        self.live += 1;
    }

    /// Number of configurations kept.
    pub(crate) fn len(&self) -> usize {
        self.live
    }

    /// The configurations, in the order found.
    pub(crate) fn into_configs(self) -> Vec<Config<S>> {
        self.configs.into_iter().flatten().collect()
    }

    /// Approximate bytes held (not counting memory the states point to).
    pub(crate) fn bytes(&self) -> usize {
        let per = std::mem::size_of::<Option<Config<S>>>() + std::mem::size_of::<S>() + 24;
        let applied: usize = self
            .configs
            .iter()
            .flatten()
            .map(|c| c.applied.len() * 4)
            .sum();
        self.configs.len() * per + applied
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(state: u8, applied: &[u32]) -> Config<u8> {
        Config {
            state,
            applied: applied.to_vec(),
            path: ROOT,
        }
    }

    #[test]
    fn keeps_only_minimal_applied_sets_per_state() {
        let mut f = Frontier::new();
        f.add(config(1, &[3, 5]));
        f.add(config(1, &[3, 5, 7]));
        f.add(config(2, &[3, 5, 7]));
        f.add(config(1, &[4]));
        f.add(config(1, &[5]));
        let kept: Vec<(u8, Vec<u32>)> = f
            .into_configs()
            .into_iter()
            .map(|c| (c.state, c.applied))
            .collect();
        assert_eq!(kept, [(2, vec![3, 5, 7]), (1, vec![4]), (1, vec![5])]);
    }

    #[test]
    fn paths_share_prefixes() {
        let mut p = Paths::default();
        let a = p.extend(ROOT, [1, 2].into_iter());
        let b = p.extend(a, [3].into_iter());
        let c = p.extend(a, [4, 5].into_iter());
        assert_eq!(p.unroll(b), [1, 2, 3]);
        assert_eq!(p.unroll(c), [1, 2, 4, 5]);
        assert_eq!(p.unroll(ROOT), Vec::<u32>::new());
    }
}
