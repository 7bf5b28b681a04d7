//! Property tests: merging is commutative, associative and idempotent, so any interleaving or
//! duplication of deliveries converges to the same state (same digest, same map).

use faultline_gossip::{ConflictMode, Store, Update};
use proptest::prelude::*;

#[derive(Clone, Debug)]
enum Action {
    /// Node writes (or deletes, when `value` is `None`) a key at a time.
    Write {
        node: usize,
        key: u8,
        value: Option<u8>,
        now: u64,
    },
    /// Node `to` receives everything node `from` has produced or seen so far.
    Sync { from: usize, to: usize },
}

const NODES: usize = 4;

fn action() -> impl Strategy<Value = Action> {
    prop_oneof![
        3 => (0..NODES, 0u8..4, proptest::option::weighted(0.85, any::<u8>()), 0u64..40)
            .prop_map(|(node, key, value, now)| Action::Write { node, key, value, now }),
        2 => (0..NODES, 0..NODES).prop_map(|(from, to)| Action::Sync { from, to }),
    ]
}

/// Runs the actions and returns every update ever produced (the writes of causally rich histories).
fn history(mode: ConflictMode, actions: &[Action]) -> Vec<Update> {
    let mut stores: Vec<Store> = (0..NODES)
        .map(|i| Store::new(i as u64, mode, None))
        .collect();
    let mut seen: Vec<Vec<Update>> = vec![Vec::new(); NODES];
    let mut all = Vec::new();
    for a in actions {
        match a {
            Action::Write {
                node,
                key,
                value,
                now,
            } => {
                let u = stores[*node].write(*now, &format!("k{key}"), value.map(|v| vec![v]));
                seen[*node].push(u.clone());
                all.push(u);
            }
            Action::Sync { from, to } => {
                let batch = seen[*from].clone();
                for u in &batch {
                    stores[*to].apply(u);
                }
                seen[*to].extend(batch);
            }
        }
    }
    all
}

/// Delivers `updates` in the order given by `order` (indices, duplicates allowed) to a fresh store.
fn deliver(mode: ConflictMode, updates: &[Update], order: &[usize]) -> Store {
    let mut s = Store::new(99, mode, None);
    for &i in order {
        s.apply(&updates[i]);
    }
    s
}

/// A permutation of `0..n` followed by `dups` repeated indices, from a seed.
fn order(n: usize, seed: u64, dups: usize) -> Vec<usize> {
    let mut x = seed | 1;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let mut idx: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        idx.swap(i, (next() % (i as u64 + 1)) as usize);
    }
    for _ in 0..dups.min(n * 2) {
        if n > 0 {
            idx.push((next() % n as u64) as usize);
        }
    }
    idx
}

fn check_convergence(
    mode: ConflictMode,
    actions: &[Action],
    seeds: &[u64],
) -> Result<(), TestCaseError> {
    let updates = history(mode, actions);
    let in_order: Vec<usize> = (0..updates.len()).collect();
    let reference = deliver(mode, &updates, &in_order);
    for (i, seed) in seeds.iter().enumerate() {
        let s = deliver(mode, &updates, &order(updates.len(), *seed, i * 3));
        prop_assert_eq!(s.digest(), reference.digest());
        let a: Vec<_> = s.iter().map(|(k, v)| (k.to_owned(), v.to_vec())).collect();
        let b: Vec<_> = reference
            .iter()
            .map(|(k, v)| (k.to_owned(), v.to_vec()))
            .collect();
        prop_assert_eq!(a, b);
    }
    // Idempotence: delivering everything again changes nothing.
    let mut twice = reference.clone();
    for u in &updates {
        prop_assert!(!twice.apply(u));
    }
    prop_assert_eq!(twice.digest(), reference.digest());
    // Associativity of state merges: ((A ⊔ B) ⊔ C) equals (A ⊔ (B ⊔ C)) for any split.
    let third = updates.len() / 3;
    let (x, rest) = updates.split_at(third);
    let (y, z) = rest.split_at(rest.len() / 2);
    let merged = |parts: &[&[Update]]| {
        let mut s = Store::new(98, mode, None);
        for p in parts {
            for u in *p {
                s.apply(u);
            }
        }
        s.digest()
    };
    prop_assert_eq!(merged(&[x, y, z]), merged(&[z, y, x]));
    prop_assert_eq!(merged(&[y, z, x]), reference.digest());
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn lww_any_delivery_order_converges(actions in prop::collection::vec(action(), 1..40),
                                        seeds in prop::collection::vec(any::<u64>(), 3)) {
        check_convergence(ConflictMode::Lww, &actions, &seeds)?;
    }

    #[test]
    fn siblings_any_delivery_order_converges(actions in prop::collection::vec(action(), 1..40),
                                             seeds in prop::collection::vec(any::<u64>(), 3)) {
        check_convergence(ConflictMode::Siblings, &actions, &seeds)?;
    }

    #[test]
    fn siblings_are_exactly_the_concurrent_maximal_versions(actions in prop::collection::vec(action(), 1..40)) {
        let updates = history(ConflictMode::Siblings, &actions);
        let order: Vec<usize> = (0..updates.len()).collect();
        let s = deliver(ConflictMode::Siblings, &updates, &order);
        for (key, versions) in s.iter() {
            // Every pair of siblings is concurrent...
            for (i, a) in versions.iter().enumerate() {
                for b in &versions[i + 1..] {
                    prop_assert_eq!(a.clock.compare(&b.clock), faultline_gossip::Causality::Concurrent);
                }
            }
            // ...and every write to the key is covered by some sibling.
            for u in updates.iter().filter(|u| u.key == key) {
                prop_assert!(versions.iter().any(|v| v.clock.descends(&u.version.clock)));
            }
        }
    }
}
