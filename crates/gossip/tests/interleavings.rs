//! Property test at the node level: whatever the network does to anti-entropy messages for a
//! while (reorder, duplicate, drop), once it behaves the replicas converge to one state that
//! reflects every write, under both conflict modes and both reconciliation schemes.

mod common;

use common::{node, Net, MS, SEC};
use faultline_gossip::{
    Config, ConflictMode, Exchange, GossipNode, Membership, MerkleShape, Message, Mode,
    Reconciliation, Store, Update,
};
use proptest::prelude::*;

#[derive(Clone, Debug)]
enum Op {
    Write {
        node: u64,
        key: u8,
    },
    Tick {
        node: u64,
    },
    Deliver {
        pick: prop::sample::Index,
        duplicate: bool,
    },
    Drop {
        pick: prop::sample::Index,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        2 => (0u64..3, 0u8..6).prop_map(|(node, key)| Op::Write { node, key }),
        2 => (0u64..3).prop_map(|node| Op::Tick { node }),
        5 => (any::<prop::sample::Index>(), any::<bool>()).prop_map(|(pick, duplicate)| Op::Deliver { pick, duplicate }),
        1 => any::<prop::sample::Index>().prop_map(|pick| Op::Drop { pick }),
    ]
}

fn cluster(conflict: ConflictMode, merkle: bool, exchange: Exchange) -> Vec<GossipNode> {
    let reconciliation = if merkle {
        Reconciliation::Merkle(MerkleShape {
            fanout_bits: 1,
            depth: 3,
        })
    } else {
        Reconciliation::Scuttlebutt
    };
    let cfg = Config {
        mode: Mode::AntiEntropy(exchange),
        interval: 10 * MS,
        max_message_bytes: 200,
        conflict,
        reconciliation,
        ..Config::default()
    };
    (0..3)
        .map(|i| node(i, cfg, Membership::Static { nodes: 3 }, None))
        .collect()
}

fn run(nodes: Vec<GossipNode>, ops: &[Op]) -> Result<(), TestCaseError> {
    let mut nodes = nodes;
    let mut pool: Vec<(u64, u64, Message)> = Vec::new();
    let mut writes: Vec<Update> = Vec::new();
    let mut now = 0;
    let drain = |nodes: &mut Vec<GossipNode>, i: usize, pool: &mut Vec<(u64, u64, Message)>| {
        for (to, m) in nodes[i].take_outputs() {
            pool.push((i as u64, to, m));
        }
    };
    for (step, op) in ops.iter().enumerate() {
        now += 5 * MS;
        match op {
            Op::Write { node, key } => {
                let (key, n) = (format!("k{key}"), &mut nodes[*node as usize]);
                let dot = n.put(now, &key, vec![step as u8]).unwrap();
                let version = n.get(&key).iter().find(|v| v.dot == dot).unwrap().clone();
                writes.push(Update { key, version });
            }
            Op::Tick { node } => {
                nodes[*node as usize].handle_timeout(now);
                drain(&mut nodes, *node as usize, &mut pool);
            }
            Op::Deliver { pick, duplicate } if !pool.is_empty() => {
                let i = pick.index(pool.len());
                let (from, to, m) = if *duplicate {
                    pool[i].clone()
                } else {
                    pool.swap_remove(i)
                };
                nodes[to as usize].handle_message(now, from, m).unwrap();
                drain(&mut nodes, to as usize, &mut pool);
            }
            Op::Drop { pick } if !pool.is_empty() => {
                pool.swap_remove(pick.index(pool.len()));
            }
            _ => {}
        }
    }
    let mut net = Net::new(nodes, MS);
    net.now = now;
    let converged = net.run_until_true(10 * MS, now + 60 * SEC, Net::converged);
    prop_assert!(converged.is_some(), "replicas never converged");
    // The common state is the join of every write ever made.
    let mut reference = Store::new(99, net.nodes[&0].store().mode(), None);
    for u in &writes {
        reference.apply(u);
    }
    prop_assert_eq!(net.nodes[&0].digest(), reference.digest());
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn scuttlebutt_survives_any_delivery_order(ops in prop::collection::vec(op(), 1..80), lww in any::<bool>(),
                                               ex in 0..3usize) {
        let conflict = if lww { ConflictMode::Lww } else { ConflictMode::Siblings };
        let exchange = [Exchange::Push, Exchange::Pull, Exchange::PushPull][ex];
        run(cluster(conflict, false, exchange), &ops)?;
    }

    #[test]
    fn merkle_survives_any_delivery_order(ops in prop::collection::vec(op(), 1..80), lww in any::<bool>(),
                                          ex in 0..3usize) {
        let conflict = if lww { ConflictMode::Lww } else { ConflictMode::Siblings };
        let exchange = [Exchange::Push, Exchange::Pull, Exchange::PushPull][ex];
        run(cluster(conflict, true, exchange), &ops)?;
    }
}
