//! Anti-entropy end to end on a few hand-driven cores: push, pull and push-pull converge;
//! partitions keep halves apart until healed (and the convergence check does fail meanwhile);
//! identical replicas exchange one constant-size message; the byte budget splits large deltas.

mod common;

use common::{Net, MS, SEC};
use faultline_gossip::{Body, Config, ConflictMode, Event, Exchange, Message, Mode, Probe};

fn config(exchange: Exchange) -> Config {
    Config {
        mode: Mode::AntiEntropy(exchange),
        interval: 100 * MS,
        ..Config::default()
    }
}

fn converge_time(exchange: Exchange, n: u64) -> u64 {
    let mut net = Net::static_cluster(n, config(exchange), None, MS);
    net.run_until(50 * MS);
    net.put(0, "a", b"1");
    net.put(7, "b", b"2");
    let t = net
        .run_until_true(10 * MS, 30 * SEC, Net::converged)
        .expect("converges");
    for node in net.nodes.values() {
        assert_eq!(node.get("a")[0].value.as_deref(), Some(&b"1"[..]));
        assert_eq!(node.get("b")[0].value.as_deref(), Some(&b"2"[..]));
    }
    // Every node recorded when each update reached it.
    let applied = net
        .events
        .iter()
        .filter(|(_, _, e)| matches!(e, Event::Applied { .. }))
        .count();
    assert_eq!(applied as u64, 2 * n);
    t
}

#[test]
fn push_pull_and_push_pull_all_converge_and_push_pull_is_fastest() {
    let n = 64;
    let push = converge_time(Exchange::Push, n);
    let pull = converge_time(Exchange::Pull, n);
    let push_pull = converge_time(Exchange::PushPull, n);
    // log3(64) + ln ln 64 is about 5.2 rounds of 100 ms; allow slack for the random start offsets.
    assert!(push_pull <= 1_500 * MS, "push-pull took {push_pull} ns");
    assert!(
        push_pull <= push && push_pull <= pull,
        "push {push} pull {pull} push-pull {push_pull}"
    );
}

#[test]
fn identical_replicas_exchange_one_constant_size_message() {
    let bytes_per_round = |keys: usize| {
        let mut net = Net::static_cluster(2, config(Exchange::PushPull), None, MS);
        for i in 0..keys {
            net.put(0, &format!("key-{i}"), b"some value");
        }
        net.run_until_true(10 * MS, 10 * SEC, Net::converged)
            .expect("converges");
        net.run_until(net.now + SEC);
        let (bytes, msgs) = net.traffic();
        net.run_until(net.now + 10 * SEC);
        let (bytes2, msgs2) = net.traffic();
        // Ten seconds = 100 rounds per node: each round is one digest message and nothing back.
        assert_eq!(msgs2 - msgs, 200);
        (bytes2 - bytes) / 200
    };
    let small = bytes_per_round(10);
    let large = bytes_per_round(1_000);
    assert_eq!(small, large);
    assert!(small <= 24, "a digest message costs {small} bytes");
}

#[test]
fn a_partition_keeps_halves_apart_until_it_heals() {
    let mut net = Net::static_cluster(8, config(Exchange::PushPull), None, MS);
    let (left, right) = ([0, 1, 2, 3], [4, 5, 6, 7]);
    net.partition(&left, &right);
    net.put(0, "x", b"left");
    net.put(5, "y", b"right");
    // The check must be able to fail: with the partition in place it never holds.
    assert_eq!(net.run_until_true(100 * MS, 20 * SEC, Net::converged), None);
    let d = |net: &Net, i: u64| net.nodes[&i].digest();
    assert!(left.iter().all(|i| d(&net, *i) == d(&net, 0)));
    assert!(right.iter().all(|i| d(&net, *i) == d(&net, 4)));
    net.cut.clear();
    let healed_at = net.now;
    let t = net
        .run_until_true(10 * MS, 40 * SEC, Net::converged)
        .expect("halves reconcile");
    assert!(t - healed_at < 3 * SEC);
    assert!(net
        .nodes
        .values()
        .all(|n| n.get("x").len() == 1 && n.get("y").len() == 1));
}

fn concurrent_writes(conflict: ConflictMode) -> Net {
    let cfg = Config {
        conflict,
        ..config(Exchange::PushPull)
    };
    let mut net = Net::static_cluster(6, cfg, None, MS);
    net.partition(&[0, 1, 2], &[3, 4, 5]);
    net.put(0, "k", b"from-0");
    net.put(3, "k", b"from-3");
    net.run_until(5 * SEC);
    net.cut.clear();
    net.run_until_true(10 * MS, 30 * SEC, Net::converged)
        .expect("converges");
    net
}

#[test]
fn concurrent_writes_resolve_under_both_conflict_modes() {
    let lww = concurrent_writes(ConflictMode::Lww);
    let winner = lww.nodes[&0].get("k").to_vec();
    assert_eq!(winner.len(), 1);
    assert!(lww.nodes.values().all(|n| n.get("k") == winner.as_slice()));

    let mut sib = concurrent_writes(ConflictMode::Siblings);
    let values: Vec<_> = sib.nodes[&2]
        .get("k")
        .iter()
        .map(|v| v.value.clone().unwrap())
        .collect();
    assert_eq!(
        values.len(),
        2,
        "both concurrent writes survive as siblings"
    );
    assert!(values.contains(&b"from-0".to_vec()) && values.contains(&b"from-3".to_vec()));
    // A later write that has seen both supersedes them everywhere.
    sib.put(4, "k", b"merged");
    sib.run_until_true(10 * MS, 30 * SEC, Net::converged)
        .expect("converges");
    assert!(sib
        .nodes
        .values()
        .all(|n| n.get("k").len() == 1 && n.get("k")[0].value.as_deref() == Some(&b"merged"[..])));
}

#[test]
fn the_byte_budget_splits_large_deltas_and_still_converges() {
    let budget = 400;
    let cfg = Config {
        max_message_bytes: budget,
        ..config(Exchange::PushPull)
    };
    let mut net = Net::static_cluster(4, cfg, None, MS);
    net.record_sent = true;
    for i in 0..60 {
        net.put(0, &format!("key-{i:03}"), b"0123456789");
    }
    net.run_until_true(10 * MS, 60 * SEC, Net::converged)
        .expect("converges under a budget");
    assert!(net.nodes.values().all(|n| n.store().len() == 60));
    let biggest = net
        .sent
        .iter()
        .map(|(_, _, _, m)| {
            (
                m.size_bytes(),
                format!("{:?}", m.body)
                    .chars()
                    .take(300)
                    .collect::<String>(),
            )
        })
        .max()
        .unwrap();
    assert!(biggest.0 <= budget, "{biggest:?}");
    let deltas = net
        .count_sent(|_, _, b| matches!(b, Body::SyncDelta { updates, .. } if !updates.is_empty()));
    assert!(
        deltas >= 3 * 60 * 70 / budget,
        "only {deltas} data-bearing deltas"
    );
}

#[test]
fn deletes_replicate_as_tombstones() {
    let mut net = Net::static_cluster(5, config(Exchange::PushPull), None, MS);
    net.put(1, "gone", b"v");
    net.run_until_true(10 * MS, 20 * SEC, Net::converged)
        .unwrap();
    let now = net.now;
    net.nodes.get_mut(&3).unwrap().delete(now, "gone").unwrap();
    net.collect(3);
    net.run_until_true(10 * MS, 40 * SEC, Net::converged)
        .unwrap();
    assert!(net
        .nodes
        .values()
        .all(|n| n.get("gone").len() == 1 && n.get("gone")[0].value.is_none()));
}

/// Found by the gossip swarm template (seeds 14125 and 18208 of `gossip-swarm.json`): a node
/// that left and joined again with a fresh core received, under a latency spike, the reply to
/// an exchange its old core had asked for. The reply carried nothing (the old core lacked
/// nothing) and the sender's whole context; joining that context made the fresh core claim
/// versions it never had, so no peer ever sent them. A delta now names the context it answers,
/// and a receiver that no longer holds that context takes its updates but not its context.
#[test]
fn a_reply_meant_for_an_earlier_core_does_not_hide_versions_from_a_fresh_one() {
    let cfg = config(Exchange::PushPull);
    let mut net = Net::static_cluster(2, cfg, None, MS);
    for i in 0..5 {
        net.put(0, &format!("k{i}"), b"v");
    }
    let knows_everything = net.nodes[&0].store().context().clone();
    let stale = Message {
        body: Body::SyncDelta {
            updates: Vec::new(),
            context: knows_everything.clone(),
            complete: true,
            answers: knows_everything.fingerprint(),
            reply: false,
        },
        members: Vec::new(),
    };
    let fresh = net.nodes.get_mut(&1).unwrap();
    fresh.handle_message(0, 0, stale).unwrap();
    assert!(fresh.probes() & Probe::DeltaContextNotJoined.bit() != 0);
    net.run_until_true(10 * MS, 5 * SEC, Net::converged)
        .expect("the fresh core still gets every version");
}
