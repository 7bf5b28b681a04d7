//! Reconciliation costs, counted by the nodes' own byte counters: replicas that differ in `d` of
//! `n` keys exchange O(d log n) bytes with Merkle trees and O(d + origins) with Scuttlebutt
//! summaries, never O(n); equal replicas stop after one constant-size digest.

mod common;

use common::{node, Net, MS, SEC};
use faultline_gossip::{
    Body, Config, Exchange, Membership, MerkleShape, Message, Mode, Reconciliation,
};

/// Two replicas holding the same `n` keys, then node 1 rewrites `d` of them; returns the bytes
/// both nodes sent until they agree again.
fn sync_bytes(reconciliation: Reconciliation, n: usize, d: usize) -> u64 {
    let cfg = Config {
        mode: Mode::AntiEntropy(Exchange::PushPull),
        interval: SEC,
        max_message_bytes: 1 << 20,
        reconciliation,
        ..Config::default()
    };
    let mut a = node(0, cfg, Membership::Static { nodes: 2 }, None);
    let mut b = node(1, cfg, Membership::Static { nodes: 2 }, None);
    for i in 0..n {
        a.put(0, &format!("key-{i}"), b"value".to_vec()).unwrap();
    }
    let body = Body::full_state(a.store());
    b.handle_message(
        0,
        0,
        Message {
            body,
            members: vec![],
        },
    )
    .unwrap();
    assert_eq!(a.digest(), b.digest());
    for i in 0..d {
        b.put(1, &format!("key-{}", i * 7 % n), b"changed".to_vec())
            .unwrap();
    }
    let mut net = Net::new(vec![a, b], MS);
    let (before, _) = net.traffic();
    net.run_until_true(MS, 5 * SEC, Net::converged)
        .expect("converges");
    net.traffic().0 - before
}

fn merkle(depth: u32) -> Reconciliation {
    Reconciliation::Merkle(MerkleShape {
        fanout_bits: 2,
        depth,
    })
}

#[test]
fn merkle_bytes_grow_with_log_n_and_with_d_not_with_n() {
    // About one key per leaf: 4^4 = 256 and 4^6 = 4096 buckets.
    let small = sync_bytes(merkle(4), 256, 1);
    let large = sync_bytes(merkle(6), 4096, 1);
    eprintln!("d = 1: {small} bytes at n = 256, {large} bytes at n = 4096");
    // n grew 16x, log n grew 1.5x: the cost follows log n.
    assert!(large as f64 <= 2.0 * small as f64, "{small} -> {large}");
    assert!(large > small);
    let many = sync_bytes(merkle(6), 4096, 8);
    eprintln!("d = 8: {many} bytes at n = 4096");
    assert!(
        many as f64 <= 8.0 * large as f64 && many as f64 >= 3.0 * large as f64,
        "{large} -> {many}"
    );
    // A full-state transfer would cost about n update records.
    assert!((many as usize) < 4096 * 40 / 10);
}

#[test]
fn equal_replicas_stop_at_the_root() {
    assert!(sync_bytes(merkle(6), 4096, 0) <= 24);
    assert!(sync_bytes(Reconciliation::Scuttlebutt, 4096, 0) <= 24);
}

#[test]
fn scuttlebutt_bytes_follow_d_not_n() {
    let small = sync_bytes(Reconciliation::Scuttlebutt, 256, 1);
    let large = sync_bytes(Reconciliation::Scuttlebutt, 4096, 1);
    let many = sync_bytes(Reconciliation::Scuttlebutt, 4096, 8);
    eprintln!("scuttlebutt: d = 1: {small} bytes at n = 256, {large} at n = 4096; d = 8: {many}");
    assert!(large.abs_diff(small) <= 16, "{small} vs {large}");
    assert!(many > large && (many as f64) <= 8.0 * large as f64);
}

#[test]
fn one_way_merkle_ships_only_the_newer_side() {
    let shape = MerkleShape {
        fanout_bits: 2,
        depth: 6,
    };
    let both = sync_bytes(Reconciliation::Merkle(shape), 4096, 8);
    let one = sync_bytes(Reconciliation::MerkleOneWay(shape), 4096, 8);
    eprintln!("d = 8 at n = 4096: {both} bytes both ways, {one} one way");
    assert!(one < both, "{one} vs {both}");
}
