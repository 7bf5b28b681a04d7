//! Outgoing limits on hand-driven cores: a node never sends more than its token bucket allows
//! over any window, updates still converge (later) under a tight budget, and with packets
//! limited no packet exceeds the limit, piggybacks and rumors waiting for later packets.

mod common;

use std::collections::BTreeMap;

use common::{Net, MS, SEC};
use faultline_gossip::{
    Bandwidth, Body, Config, Exchange, Feedback, LossOfInterest, MemberState, MemberUpdate, Mode,
    Packets, RetransmitScale, SwimConfig, Transport,
};

const RATE: u64 = 2_000;
const BURST: u64 = 1_400;

fn limited(config: Config) -> Config {
    Config {
        bandwidth: Bandwidth::TokenBucket {
            bytes_per_second: RATE,
            burst: BURST,
        },
        packets: Packets::Limited { max_bytes: 1_400 },
        ..config
    }
}

fn push_pull_fanout_3() -> Config {
    Config {
        mode: Mode::AntiEntropy(Exchange::PushPull),
        fanout: 3,
        interval: 200 * MS,
        ..Config::default()
    }
}

/// `count` writes of 200-byte values spread over the first nodes of `net` at the current time.
fn write_burst(net: &mut Net, count: u64) {
    for i in 0..count {
        let node = i % net.nodes.len() as u64;
        net.put(node, &format!("key-{i}"), &[i as u8; 200]);
    }
}

/// Every window [t_i, t_j] between two of `node`'s sends holds at most burst + rate * length.
fn assert_within_budget(net: &Net, node: u64) {
    let sends: Vec<(u64, u64)> = net
        .sent
        .iter()
        .filter(|(_, from, _, _)| *from == node)
        .map(|(at, _, _, m)| (*at, m.size_bytes() as u64))
        .collect();
    assert!(sends.len() > 20, "node {node} sent only {}", sends.len());
    for i in 0..sends.len() {
        let mut bytes = 0;
        for j in i..sends.len() {
            bytes += sends[j].1;
            let allowed = BURST + (sends[j].0 - sends[i].0) * RATE / SEC;
            assert!(
                bytes <= allowed,
                "node {node} sent {bytes} B in [{}, {}] ns, allowed {allowed}",
                sends[i].0,
                sends[j].0
            );
        }
    }
}

/// Time from now until every node holds the same map, within `limit`.
fn time_to_converge(net: &mut Net, limit: u64) -> Option<u64> {
    let start = net.now;
    net.run_until_true(50 * MS, start + limit, Net::converged)
        .map(|t| t - start)
}

#[test]
fn no_node_exceeds_its_budget_over_any_window() {
    let mut net = Net::swim_cluster(12, limited(push_pull_fanout_3()), MS);
    net.record_sent = true;
    net.run_until(SEC);
    write_burst(&mut net, 40);
    net.run_until(30 * SEC);
    for id in 0..12 {
        assert_within_budget(&net, id);
    }
    let dropped: u64 = net.nodes.values().map(|n| n.stats().messages_dropped).sum();
    assert!(dropped > 0, "the budget never bound");
}

#[test]
fn updates_converge_under_a_tight_budget_more_slowly() {
    let run = |config: Config| {
        let mut net = Net::static_cluster(24, config, None, MS);
        net.run_until(SEC);
        write_burst(&mut net, 40);
        let took = time_to_converge(&mut net, 120 * SEC);
        let dropped: u64 = net.nodes.values().map(|n| n.stats().messages_dropped).sum();
        (took, dropped)
    };
    let (free, free_dropped) = run(push_pull_fanout_3());
    let (tight, tight_dropped) = run(limited(push_pull_fanout_3()));
    let (free, tight) = (
        free.expect("converges"),
        tight.expect("converges under the budget"),
    );
    eprintln!(
        "24 nodes, 40 writes of 200 B: unlimited {} ms, {RATE} B/s burst {BURST} B {} ms ({tight_dropped} dropped)",
        free / MS,
        tight / MS
    );
    assert_eq!(free_dropped, 0);
    assert!(tight_dropped > 0);
    // 40 versions of ~250 B (10 KB) reach each node at 2 KB/s through its peers: seconds, not
    // the unlimited run's few rounds.
    assert!(tight >= 3 * free, "limited {tight} ns against {free} ns");
}

#[test]
fn with_packets_limited_no_packet_exceeds_the_limit() {
    let rumor = Config {
        mode: Mode::RumorMongering {
            feedback: Feedback::Feedback,
            loss: LossOfInterest::Counter,
            k: 3,
        },
        fanout: 3,
        interval: 200 * MS,
        rumor_backup: 10,
        swim: SwimConfig {
            probe_interval: 500 * MS,
            ping_timeout: 100 * MS,
            ..SwimConfig::default()
        },
        ..Config::default()
    };
    let largest_packet = |config: Config| {
        let mut net = Net::swim_cluster(16, config, MS);
        net.record_sent = true;
        net.run_until(SEC);
        write_burst(&mut net, 60);
        // Crashes make membership updates to piggyback.
        net.crashed.extend([13, 14, 15]);
        let took = time_to_converge(&mut net, 60 * SEC);
        let largest = net
            .sent
            .iter()
            .filter(|(_, _, _, m)| m.body.transport() == Transport::Packet)
            .map(|(_, _, _, m)| m.size_bytes())
            .max()
            .unwrap_or(0);
        let piggybacked = net.count_sent(|_, _, b| matches!(b, Body::Ping { .. }));
        (largest, took, piggybacked)
    };
    let (free, _, _) = largest_packet(rumor);
    assert!(
        free > 1_400,
        "the unlimited run's largest packet is {free} B"
    );
    let packets = Config {
        packets: Packets::Limited { max_bytes: 1_400 },
        ..rumor
    };
    let (largest, took, pings) = largest_packet(packets);
    assert!(largest <= 1_400, "a packet of {largest} B");
    assert!(took.is_some(), "updates did not converge");
    assert!(pings > 0);
}

/// The most times one node piggybacked one membership update, in a 20-node cluster where a
/// member crashes.
fn most_piggybacks(scale: RetransmitScale) -> usize {
    let config = Config {
        packets: Packets::Limited { max_bytes: 1_400 },
        swim: SwimConfig {
            retransmit_scale: scale,
            ..SwimConfig::default()
        },
        ..Config::default()
    };
    let mut net = Net::swim_cluster(20, config, MS);
    net.record_sent = true;
    net.run_until(2 * SEC);
    net.crashed.insert(19);
    net.run_until(40 * SEC);
    type Key = (u64, u64, u64, MemberState, u64);
    let mut counts: BTreeMap<Key, usize> = BTreeMap::new();
    for (_, from, _, m) in &net.sent {
        if !matches!(m.body, Body::MemberSync { .. } | Body::JoinReply { .. }) {
            for u in &m.members {
                let MemberUpdate {
                    id,
                    incarnation,
                    state,
                    by,
                } = *u;
                *counts
                    .entry((*from, id, incarnation, state, by))
                    .or_default() += 1;
            }
        }
    }
    counts.values().copied().max().unwrap_or(0)
}

#[test]
fn memberlists_queue_sends_each_update_mult_times_log10_of_n() {
    // retransmit_mult 4: 4 * ceil(log10(21)) = 8, against 4 * ceil(log2(21)) = 20.
    assert_eq!(most_piggybacks(RetransmitScale::Log10), 8);
    assert_eq!(most_piggybacks(RetransmitScale::Log2), 20);
}

#[test]
fn a_version_too_big_for_a_packet_is_not_rumored_but_arrives_by_anti_entropy() {
    let config = Config {
        mode: Mode::RumorMongering {
            feedback: Feedback::Feedback,
            loss: LossOfInterest::Counter,
            k: 2,
        },
        interval: 200 * MS,
        rumor_backup: 5,
        packets: Packets::Limited { max_bytes: 256 },
        ..Config::default()
    };
    let mut net = Net::static_cluster(8, config, None, MS);
    net.record_sent = true;
    net.run_until(SEC);
    net.put(0, "small", &[1; 16]);
    net.put(0, "large", &[2; 1_000]);
    assert_eq!(
        net.nodes[&0].hot_rumors(),
        1,
        "only the small version is a rumor"
    );
    assert!(time_to_converge(&mut net, 60 * SEC).is_some());
    let packets = net
        .sent
        .iter()
        .filter(|(_, _, _, m)| m.body.transport() == Transport::Packet);
    assert!(packets.clone().count() > 0);
    assert!(packets.map(|(_, _, _, m)| m.size_bytes()).all(|s| s <= 256));
}
