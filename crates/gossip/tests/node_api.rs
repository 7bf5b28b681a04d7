//! The node's edges: bad input gives errors, not panics; timers; restart with a restored write
//! counter; and a small fixed footprint per node for very large static-view runs.

mod common;

use common::{node, Net, MS, SEC};
use faultline_gossip::{
    Body, Config, Exchange, GossipError, GossipNode, Membership, MerkleShape, Message, Mode,
    PeerSelection, Reconciliation, Topology,
};
use rand_chacha::ChaCha8Rng;
use rand_core::SeedableRng;

fn msg(body: Body) -> Message {
    Message {
        body,
        members: vec![],
    }
}

#[test]
fn bad_messages_are_an_error_value() {
    let cfg = Config::default();
    let mut n = node(0, cfg, Membership::Static { nodes: 3 }, None);
    assert_eq!(
        n.handle_message(0, 0, msg(Body::Ping { seq: 1 })),
        Err(GossipError::FromSelf)
    );
    assert!(matches!(
        n.handle_message(0, 1, msg(Body::Ping { seq: 1 })),
        Err(GossipError::Unexpected(_))
    ));
    assert_eq!(n.join(0, &[1]), Err(GossipError::NotSwim));
    let merkle = msg(Body::MerkleNodes {
        level: 1,
        nodes: vec![(0, 1)],
        exchange: Exchange::Push,
        from_initiator: true,
    });
    assert!(matches!(
        n.handle_message(0, 1, merkle),
        Err(GossipError::Unexpected(_))
    ));
}

#[test]
fn merkle_ranges_outside_the_tree_are_an_error_value() {
    let cfg = Config::default();
    let shape = MerkleShape {
        fanout_bits: 2,
        depth: 2,
    };
    let mcfg = Config {
        reconciliation: Reconciliation::Merkle(shape),
        ..cfg
    };
    let mut m = node(0, mcfg, Membership::Static { nodes: 3 }, None);
    let deep = msg(Body::MerkleNodes {
        level: 3,
        nodes: vec![],
        exchange: Exchange::Push,
        from_initiator: true,
    });
    assert_eq!(m.handle_message(0, 1, deep), Err(GossipError::MerkleRange));
    let wide = msg(Body::MerkleNodes {
        level: 1,
        nodes: vec![(4, 0)],
        exchange: Exchange::Push,
        from_initiator: true,
    });
    assert_eq!(m.handle_message(0, 1, wide), Err(GossipError::MerkleRange));
    let bucket = msg(Body::MerkleLeaves {
        buckets: vec![16],
        updates: vec![],
        reply: true,
    });
    assert_eq!(
        m.handle_message(0, 1, bucket),
        Err(GossipError::MerkleRange)
    );
}

#[test]
fn configurations_the_node_cannot_run_are_an_error_value() {
    let cfg = Config::default();
    let rng = || ChaCha8Rng::seed_from_u64(1);
    let spatial = Config {
        peer_selection: PeerSelection::Spatial { a: 2.0 },
        ..cfg
    };
    assert!(GossipNode::new(0, spatial, Membership::Static { nodes: 4 }, None, rng()).is_err());
    let topo = std::sync::Arc::new(Topology::blocks(3, 1, 1, 1).unwrap());
    assert!(GossipNode::new(
        0,
        spatial,
        Membership::Static { nodes: 4 },
        Some(topo),
        rng()
    )
    .is_err());
    assert!(GossipNode::new(
        0,
        Config { interval: 0, ..cfg },
        Membership::Static { nodes: 4 },
        None,
        rng()
    )
    .is_err());
}

#[test]
fn timers_follow_the_interval_and_stagger_setting() {
    let cfg = Config {
        interval: 100 * MS,
        stagger: false,
        ..Config::default()
    };
    let mut n = node(0, cfg, Membership::Static { nodes: 3 }, None);
    assert_eq!(n.poll_timeout(), Some(0));
    n.handle_timeout(0);
    assert_eq!(n.take_outputs().len(), 1, "fanout 1: one digest per round");
    assert_eq!(n.poll_timeout(), Some(100 * MS));
    n.handle_timeout(250 * MS);
    assert_eq!(
        n.poll_timeout(),
        Some(300 * MS),
        "rounds stay on multiples of the interval"
    );
    let staggered = node(
        0,
        Config {
            stagger: true,
            ..cfg
        },
        Membership::Static { nodes: 3 },
        None,
    );
    assert!(staggered.poll_timeout().unwrap() < 100 * MS);
    let quiet = Config {
        fanout: 2,
        mode: Mode::AntiEntropy(Exchange::Pull),
        ..cfg
    };
    let mut two = node(0, quiet, Membership::Static { nodes: 3 }, None);
    two.handle_timeout(0);
    let mut to: Vec<u64> = two.take_outputs().into_iter().map(|(t, _)| t).collect();
    to.sort_unstable();
    assert_eq!(to, vec![1, 2]);
}

#[test]
fn a_restarted_node_needs_its_write_counter_to_be_heard() {
    let run = |restore: bool| {
        let cfg = Config {
            interval: 100 * MS,
            ..Config::default()
        };
        let mut net = Net::static_cluster(2, cfg, None, MS);
        for i in 0..3 {
            net.put(1, &format!("old-{i}"), b"v");
        }
        net.run_until_true(10 * MS, 10 * SEC, Net::converged)
            .unwrap();
        let counter = net.nodes[&1].write_counter();
        assert_eq!(counter, 3);
        // Node 1 crashes and comes back with an empty map.
        let mut fresh = node(1, cfg, Membership::Static { nodes: 2 }, None);
        if restore {
            fresh.restore_write_counter(counter);
        }
        net.nodes.insert(1, fresh);
        net.put(1, "new", b"after restart");
        net.run_until_true(10 * MS, net.now + 10 * SEC, Net::converged)
            .is_some()
    };
    assert!(run(true));
    assert!(
        !run(false),
        "a reused dot looks already seen and never spreads"
    );
}

#[test]
fn a_static_view_node_has_a_small_fixed_footprint() {
    let size = std::mem::size_of::<GossipNode>();
    assert!(size <= 1024, "GossipNode is {size} bytes");
}
