//! Rumor mongering on hand-driven cores: the loss-of-interest state machine (feedback or blind,
//! counter or coin) and a small-scale check of Demers et al.'s residue for feedback + coin.

mod common;

use common::{Net, MS, SEC};
use faultline_gossip::{Body, Config, Feedback, GossipNode, LossOfInterest, Membership, Mode};
use rand_chacha::ChaCha8Rng;
use rand_core::SeedableRng;

fn config(feedback: Feedback, loss: LossOfInterest, k: u32) -> Config {
    Config {
        mode: Mode::RumorMongering { feedback, loss, k },
        interval: 100 * MS,
        ..Config::default()
    }
}

fn two_nodes(feedback: Feedback, loss: LossOfInterest, k: u32) -> Net {
    let mut net = Net::static_cluster(2, config(feedback, loss, k), None, MS);
    net.record_sent = true;
    net.put(0, "news", b"!");
    net.run_until(30 * SEC);
    assert!(
        net.nodes.values().all(|n| n.hot_rumors() == 0),
        "both lost interest"
    );
    assert!(net.converged());
    net
}

#[test]
fn feedback_counter_stops_after_k_useless_contacts() {
    let net = two_nodes(Feedback::Feedback, LossOfInterest::Counter, 2);
    let rumors = |from| net.count_sent(|f, _, b| f == from && matches!(b, Body::Rumor { .. }));
    let feedback = net.count_sent(|_, _, b| matches!(b, Body::RumorFeedback { .. }));
    // Node 0: one useful contact, then two useless ones. Node 1 (infected by it): two useless.
    // Every rumor message is answered.
    assert_eq!((rumors(0), rumors(1), feedback), (3, 2, 5));
}

#[test]
fn blind_counter_stops_after_k_contacts_without_replies() {
    let net = two_nodes(Feedback::Blind, LossOfInterest::Counter, 3);
    let rumors = |from| net.count_sent(|f, _, b| f == from && matches!(b, Body::Rumor { .. }));
    let feedback = net.count_sent(|_, _, b| matches!(b, Body::RumorFeedback { .. }));
    assert_eq!((rumors(0), rumors(1), feedback), (3, 3, 0));
}

#[test]
fn coin_loses_interest_eventually_and_costs_more_with_larger_k() {
    let msgs = |k| {
        let net = two_nodes(Feedback::Feedback, LossOfInterest::Coin, k);
        net.count_sent(|_, _, b| matches!(b, Body::Rumor { .. }))
    };
    assert!(msgs(1) < msgs(8));
}

/// Fraction of `n` nodes that never hear one rumor (feedback, coin, fanout 1).
fn residue(n: u64, k: u32, seed: u64) -> f64 {
    let cfg = config(Feedback::Feedback, LossOfInterest::Coin, k);
    let nodes = (0..n)
        .map(|i| {
            let rng = ChaCha8Rng::seed_from_u64(seed * 100_000 + i);
            GossipNode::new(i, cfg, Membership::Static { nodes: n }, None, rng).unwrap()
        })
        .collect();
    let mut net = Net::new(nodes, MS);
    net.put(0, "rumor", b"x");
    net.run_until_true(SEC, 120 * SEC, |net| {
        net.nodes.values().all(|n| n.hot_rumors() == 0)
    })
    .expect("rumor dies");
    let reached = net
        .nodes
        .values()
        .filter(|n| !n.get("rumor").is_empty())
        .count();
    1.0 - reached as f64 / n as f64
}

#[test]
fn feedback_coin_residue_is_near_demers_prediction() {
    // s = e^(-(k+1)(1-s)): k = 1 gives 0.203, k = 2 gives 0.060.
    for (k, predicted) in [(1, 0.203), (2, 0.060)] {
        let runs = 4u32;
        let mean = (0..runs)
            .map(|seed| residue(400, k, u64::from(seed)))
            .sum::<f64>()
            / f64::from(runs);
        eprintln!("k = {k}: measured residue {mean:.3}, predicted {predicted:.3}");
        assert!(
            (mean - predicted).abs() < 0.06,
            "k = {k}: residue {mean} vs {predicted}"
        );
    }
}

#[test]
fn anti_entropy_backup_repairs_the_residue() {
    let run = |rumor_backup| {
        let cfg = Config {
            rumor_backup,
            ..config(Feedback::Blind, LossOfInterest::Counter, 1)
        };
        let mut net = Net::static_cluster(40, cfg, None, MS);
        net.put(0, "rumor", b"x");
        net.run_until(60 * SEC);
        net.nodes
            .values()
            .filter(|n| n.get("rumor").is_empty())
            .count()
    };
    // Blind, counter, k = 1: each node forwards once, so many never hear the rumor...
    assert!(run(0) > 0);
    // ...unless an occasional anti-entropy exchange backs the rumors up.
    assert_eq!(run(5), 0);
}
