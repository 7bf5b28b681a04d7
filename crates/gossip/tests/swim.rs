//! SWIM membership on 3–8 hand-driven cores: detection of a crash (suspect, then dead), refutation
//! by incarnation, indirect probes around a cut link, joining through a seed, graceful leave,
//! removal of dead members, gossip only to live members, and false positives under loss.

mod common;

use std::collections::BTreeSet;

use common::{node, Net, MS, SEC};
use faultline_gossip::{
    Body, Config, Event, MemberState, MemberUpdate, Membership, Message, PlantedBugs, SwimConfig,
};

fn config(swim: SwimConfig) -> Config {
    Config {
        swim,
        ..Config::default()
    }
}

fn swim() -> SwimConfig {
    SwimConfig {
        reconnect_timeout: 20 * SEC,
        ..SwimConfig::default()
    }
}

fn state(net: &Net, observer: u64, member: u64) -> Option<MemberState> {
    net.nodes[&observer]
        .members()
        .unwrap()
        .get(&member)
        .map(|m| m.state)
}

/// Member-state events about `member`, per observer, in order.
fn history(net: &Net, member: u64) -> Vec<(u64, MemberState, u64)> {
    net.events
        .iter()
        .filter_map(|(_, at, e)| match e {
            Event::Member {
                id,
                state,
                incarnation,
            } if *id == member => Some((*at, *state, *incarnation)),
            _ => None,
        })
        .collect()
}

/// True when each of nodes `0..n` holds every other one alive.
fn all_alive(net: &Net, n: u64) -> bool {
    (0..n).all(|i| {
        (0..n)
            .filter(|j| *j != i)
            .all(|j| state(net, i, j) == Some(MemberState::Alive))
    })
}

fn accusations(net: &Net, members: &[u64]) -> usize {
    members
        .iter()
        .map(|m| {
            history(net, *m)
                .iter()
                .filter(|(at, s, _)| {
                    *at != *m && matches!(s, MemberState::Suspect | MemberState::Dead)
                })
                .count()
        })
        .sum()
}

#[test]
fn a_crashed_member_is_suspected_then_declared_dead_everywhere_then_forgotten() {
    let mut net = Net::swim_cluster(5, config(swim()), MS);
    net.record_sent = true;
    net.run_until(5 * SEC);
    net.crashed.insert(4);
    let crashed_at = net.now;
    let all_dead = |net: &Net| (0..4).all(|i| state(net, i, 4) == Some(MemberState::Dead));
    let t = net
        .run_until_true(100 * MS, 60 * SEC, all_dead)
        .expect("crash detected");
    // One probe period to notice, a 5 s suspicion timeout, then dissemination.
    assert!(
        t - crashed_at <= 12 * SEC,
        "took {} ms",
        (t - crashed_at) / MS
    );
    for observer in 0..4 {
        let seen: Vec<MemberState> = history(&net, 4)
            .iter()
            .filter(|h| h.0 == observer)
            .map(|h| h.1)
            .collect();
        assert_eq!(
            seen.first(),
            Some(&MemberState::Suspect),
            "observer {observer}: {seen:?}"
        );
        assert_eq!(seen.last(), Some(&MemberState::Dead));
    }
    assert_eq!(
        accusations(&net, &[0, 1, 2, 3]),
        0,
        "no live member accused"
    );
    // Gossip peers come from the live view only: once all know 4 dead, nothing but the occasional
    // reconnection ping (one in four periods per node on average) is addressed to it.
    let declared = net.now;
    net.run_until(declared + 10 * SEC);
    let late = |ping: bool| {
        let to_dead = net
            .sent
            .iter()
            .filter(|(at, _, to, _)| *at > declared + 2 * SEC && *to == 4);
        to_dead
            .filter(|(_, _, _, m)| matches!(m.body, Body::Ping { .. }) == ping)
            .count()
    };
    assert_eq!(late(false), 0);
    assert!(late(true) <= 4 * 8 / 2, "{} reconnection pings", late(true));
    // After the retention time the dead member is removed from every view.
    net.run_until(declared + 25 * SEC);
    assert!((0..4).all(|i| state(&net, i, 4).is_none()));
    assert!((0..4).all(|i| net.nodes[&i].members().unwrap().len() == 3));
}

#[test]
fn without_suspicion_a_failed_probe_declares_death_at_once() {
    let mut net = Net::swim_cluster(
        4,
        config(SwimConfig {
            suspicion: None,
            ..swim()
        }),
        MS,
    );
    net.run_until(3 * SEC);
    net.crashed.insert(3);
    let all_dead = |net: &Net| (0..3).all(|i| state(net, i, 3) == Some(MemberState::Dead));
    net.run_until_true(100 * MS, 30 * SEC, all_dead)
        .expect("crash detected");
    assert!(history(&net, 3).iter().all(|h| h.1 == MemberState::Dead));
}

#[test]
fn a_suspected_live_member_refutes_with_a_higher_incarnation() {
    let mut net = Net::swim_cluster(3, config(swim()), MS);
    net.run_until(2 * SEC);
    // Node 0 wrongly comes to suspect node 2 (as if its probe had been lost).
    let rumor = MemberUpdate {
        id: 2,
        incarnation: 0,
        state: MemberState::Suspect,
        by: 0,
    };
    let now = net.now;
    let msg = Message {
        body: Body::Ack { seq: 0 },
        members: vec![rumor],
    };
    net.nodes
        .get_mut(&0)
        .unwrap()
        .handle_message(now, 1, msg)
        .unwrap();
    net.collect(0);
    assert_eq!(state(&net, 0, 2), Some(MemberState::Suspect));
    let refuted = |net: &Net| {
        (0..2).all(|i| {
            net.nodes[&i].members().unwrap()[&2].incarnation == 1
                && state(net, i, 2) == Some(MemberState::Alive)
        })
    };
    net.run_until_true(50 * MS, 4 * SEC, refuted)
        .expect("refuted before the suspicion timeout");
    assert_eq!(net.nodes[&2].incarnation(), 1);
    net.run_until(net.now + 20 * SEC);
    assert!(
        history(&net, 2).iter().all(|h| h.1 != MemberState::Dead),
        "never declared dead"
    );
}

#[test]
fn indirect_probes_route_around_a_cut_link() {
    let run = |indirect_probes| {
        let mut net = Net::swim_cluster(
            5,
            config(SwimConfig {
                indirect_probes,
                ..swim()
            }),
            MS,
        );
        net.cut.insert((0, 3));
        net.cut.insert((3, 0));
        net.run_until(60 * SEC);
        net
    };
    let with = run(3);
    assert_eq!(
        accusations(&with, &[0, 1, 2, 3, 4]),
        0,
        "ping-req through others keeps 3 alive for 0"
    );
    // The check can fail: without helpers, node 0 suspects 3 (which then refutes).
    let without = run(0);
    assert!(history(&without, 3)
        .iter()
        .any(|(at, s, _)| *at == 0 && *s == MemberState::Suspect));
}

#[test]
fn a_new_node_joins_through_a_seed() {
    let all: Vec<u64> = (0..4).collect();
    let mut nodes: Vec<_> = all
        .iter()
        .map(|i| {
            node(
                *i,
                config(swim()),
                Membership::Swim {
                    members: all.clone().into(),
                },
                None,
            )
        })
        .collect();
    nodes.push(node(
        4,
        config(swim()),
        Membership::Swim {
            members: Vec::new().into(),
        },
        None,
    ));
    let mut net = Net::new(nodes, MS);
    net.run_until(2 * SEC);
    net.nodes.get_mut(&4).unwrap().join(net.now, &[0]).unwrap();
    net.collect(4);
    let everyone = |net: &Net| {
        (0..5u64).all(|i| {
            (0..5u64)
                .filter(|j| *j != i)
                .all(|j| state(net, i, j) == Some(MemberState::Alive))
        })
    };
    net.run_until_true(100 * MS, 15 * SEC, everyone)
        .expect("all five know each other");
    // Data now reaches the newcomer through gossip.
    net.put(1, "k", b"v");
    net.run_until_true(100 * MS, 30 * SEC, Net::converged)
        .expect("converges");
    assert_eq!(net.nodes[&4].get("k").len(), 1);
}

#[test]
fn a_graceful_leave_propagates_as_left_not_dead() {
    let mut net = Net::swim_cluster(5, config(swim()), MS);
    net.run_until(3 * SEC);
    let now = net.now;
    net.nodes.get_mut(&2).unwrap().leave(now).unwrap();
    net.collect(2);
    assert_eq!(net.nodes[&2].poll_timeout(), None);
    let all_left = |net: &Net| {
        [0, 1, 3, 4]
            .iter()
            .all(|i| state(net, *i, 2) == Some(MemberState::Left))
    };
    net.run_until_true(100 * MS, 5 * SEC, all_left)
        .expect("leave propagates");
    net.run_until(net.now + 10 * SEC);
    assert!(history(&net, 2).iter().all(|h| h.1 == MemberState::Left));
    let now = net.now;
    assert!(net
        .nodes
        .get_mut(&2)
        .unwrap()
        .put(now, "k", vec![])
        .is_err());
}

/// Under 5% loss, node 7 crashes half-way: returns the distinct (member, incarnation) pairs
/// declared dead among the members that stayed up, after checking every survivor saw 7 die.
fn false_deaths(suspicion: Option<u64>) -> usize {
    let cfg = config(SwimConfig {
        suspicion,
        indirect_probes: 1,
        ..swim()
    });
    let mut net = Net::swim_cluster(8, cfg, MS);
    net.loss = 0.05;
    net.run_until(100 * SEC);
    net.crashed.insert(7);
    net.run_until(200 * SEC);
    for observer in 0..7 {
        let saw = history(&net, 7)
            .iter()
            .any(|h| h.0 == observer && h.1 == MemberState::Dead);
        assert!(saw, "observer {observer} never saw the crashed member die");
    }
    let deaths: BTreeSet<(u64, u64)> = net
        .events
        .iter()
        .filter_map(|(_, _, e)| match e {
            Event::Member {
                id,
                state: MemberState::Dead,
                incarnation,
            } if *id != 7 => Some((*id, *incarnation)),
            _ => None,
        })
        .collect();
    deaths.len()
}

#[test]
fn suspicion_cuts_false_positives_under_message_loss() {
    let without = false_deaths(None);
    let with = false_deaths(Some(5 * SEC));
    eprintln!(
        "false deaths in 200 s, 8 nodes, 5% loss, k = 1: {without} without suspicion, {with} with"
    );
    assert!(
        without >= 5,
        "loss must cause false deaths without suspicion ({without})"
    );
    assert!(with * 5 <= without, "suspicion: {with} vs {without}");
}

#[test]
fn halves_that_declared_each_other_dead_reunite_after_a_partition_heals() {
    let cfg = config(SwimConfig {
        reconnect_timeout: 120 * SEC,
        ..swim()
    });
    let mut net = Net::swim_cluster(6, cfg, MS);
    net.run_until(2 * SEC);
    let (a, b) = ([0, 1, 2], [3, 4, 5]);
    net.partition(&a, &b);
    net.put(0, "left", b"1");
    net.put(4, "right", b"2");
    let split = |net: &Net| {
        a.iter().all(|x| {
            b.iter().all(|y| {
                state(net, *x, *y) == Some(MemberState::Dead)
                    && state(net, *y, *x) == Some(MemberState::Dead)
            })
        })
    };
    net.run_until_true(SEC, 60 * SEC, split)
        .expect("each half declares the other dead");
    net.cut.clear();
    let whole = |net: &Net| all_alive(net, 6);
    net.run_until_true(SEC, net.now + 60 * SEC, whole)
        .expect("the halves take each other back");
    net.run_until_true(100 * MS, net.now + 30 * SEC, Net::converged)
        .expect("and their data reconciles");
    assert!(net
        .nodes
        .values()
        .all(|n| n.get("left").len() == 1 && n.get("right").len() == 1));
}

/// Whether two halves of 6 nodes, split for `split_for`, all hold each other alive again within
/// 90 s of the heal, with or without the planted bug that forgets failed members after 30 s.
fn halves_reunite(split_for: u64, forget_failed_members: bool) -> bool {
    let cfg = config(SwimConfig {
        reconnect_timeout: 3_600 * SEC,
        bugs: PlantedBugs {
            forget_failed_members,
        },
        ..swim()
    });
    let mut net = Net::swim_cluster(6, cfg, MS);
    net.run_until(2 * SEC);
    net.partition(&[0, 1, 2], &[3, 4, 5]);
    net.run_until(net.now + split_for);
    net.cut.clear();
    let whole = |net: &Net| all_alive(net, 6);
    net.run_until_true(SEC, net.now + 90 * SEC, whole).is_some()
}

/// The planted bug brings back the split that outlived the old 30 s retention: after a
/// 60 s partition the halves have forgotten each other and never merge; a 10 s one, which
/// the retention outlasts, still heals; without the bug both heal.
#[test]
fn forgetting_failed_members_leaves_a_long_partition_split_for_good() {
    assert!(halves_reunite(60 * SEC, false));
    assert!(!halves_reunite(60 * SEC, true));
    assert!(halves_reunite(10 * SEC, true));
}

/// memberlist's rule: a member that left and joins again with a fresh core (incarnation 0)
/// finds its own tombstone in the seed's view and refutes it with a higher incarnation, so it
/// is back everywhere long before the tombstones expire. Without the refutation the others
/// keep it as left (a tombstone beats a join at the same incarnation).
#[test]
fn a_member_that_left_joins_again_before_its_tombstone_expires() {
    let mut net = Net::swim_cluster(5, config(swim()), MS);
    net.run_until(2 * SEC);
    let now = net.now;
    net.nodes.get_mut(&3).unwrap().leave(now).unwrap();
    net.collect(3);
    let left = |net: &Net| {
        (0..5)
            .filter(|i| *i != 3)
            .all(|i| state(net, i, 3) == Some(MemberState::Left))
    };
    net.run_until_true(100 * MS, 10 * SEC, left)
        .expect("the leave propagates");
    net.nodes.insert(
        3,
        node(
            3,
            config(swim()),
            Membership::Swim {
                members: Vec::new().into(),
            },
            None,
        ),
    );
    let now = net.now;
    net.nodes.get_mut(&3).unwrap().join(now, &[0]).unwrap();
    net.collect(3);
    let back = |net: &Net| {
        (0..5)
            .filter(|i| *i != 3)
            .all(|i| state(net, i, 3) == Some(MemberState::Alive))
            && net.nodes[&3].members().unwrap().len() == 4
    };
    let rejoined = net.run_until_true(100 * MS, net.now + 10 * SEC, back);
    assert!(
        rejoined.is_some(),
        "still left somewhere: {:?}",
        (0..5).map(|i| state(&net, i, 3)).collect::<Vec<_>>()
    );
    assert!(net.nodes[&3].incarnation() >= 1, "refuted its tombstone");
}

/// A join request that is lost is asked again every protocol period until a seed answers.
#[test]
fn a_lost_join_request_is_asked_again() {
    let all: Vec<u64> = (0..3).collect();
    let mut nodes: Vec<_> = all
        .iter()
        .map(|i| {
            node(
                *i,
                config(swim()),
                Membership::Swim {
                    members: all.clone().into(),
                },
                None,
            )
        })
        .collect();
    nodes.push(node(
        3,
        config(swim()),
        Membership::Swim {
            members: Vec::new().into(),
        },
        None,
    ));
    let mut net = Net::new(nodes, MS);
    net.run_until(SEC);
    // The seed is cut off from the joiner when it asks.
    net.cut.insert((3, 0));
    let now = net.now;
    net.nodes.get_mut(&3).unwrap().join(now, &[0]).unwrap();
    net.collect(3);
    net.run_until(net.now + 3 * SEC);
    assert!(net.nodes[&3].members().unwrap().is_empty(), "the cut held");
    net.cut.clear();
    let known = |net: &Net| (0..3).all(|i| state(net, i, 3) == Some(MemberState::Alive));
    net.run_until_true(100 * MS, net.now + 10 * SEC, known)
        .expect("joined once the seed could hear it");
    assert_eq!(net.nodes[&3].members().unwrap().len(), 3);
}

#[test]
fn a_crashed_member_that_restarts_rejoins_with_a_higher_incarnation() {
    let mut net = Net::swim_cluster(5, config(swim()), MS);
    net.run_until(2 * SEC);
    net.crashed.insert(4);
    let dead = |net: &Net| (0..4).all(|i| state(net, i, 4) == Some(MemberState::Dead));
    net.run_until_true(100 * MS, 30 * SEC, dead)
        .expect("crash detected");
    // It comes back with no memory of the cluster and joins through a seed.
    net.crashed.remove(&4);
    net.nodes.insert(
        4,
        node(
            4,
            config(swim()),
            Membership::Swim {
                members: Vec::new().into(),
            },
            None,
        ),
    );
    net.nodes.get_mut(&4).unwrap().join(net.now, &[1]).unwrap();
    net.collect(4);
    let back = |net: &Net| (0..4).all(|i| state(net, i, 4) == Some(MemberState::Alive));
    net.run_until_true(100 * MS, net.now + 20 * SEC, back)
        .expect("rejoined");
    assert!(
        net.nodes[&4].incarnation() >= 1,
        "refuted its death with a higher incarnation"
    );
    assert_eq!(net.nodes[&4].members().unwrap().len(), 4);
}

#[test]
fn several_simultaneous_crashes_are_all_detected() {
    let mut net = Net::swim_cluster(8, config(swim()), MS);
    net.run_until(3 * SEC);
    for c in [1, 4, 6] {
        net.crashed.insert(c);
    }
    let survivors = [0, 2, 3, 5, 7];
    let detected = |net: &Net| {
        survivors.iter().all(|o| {
            [1, 4, 6]
                .iter()
                .all(|c| state(net, *o, *c) == Some(MemberState::Dead))
        })
    };
    net.run_until_true(100 * MS, 40 * SEC, detected)
        .expect("every crash detected by every survivor");
    assert_eq!(accusations(&net, &survivors), 0);
}

/// A member holding a verdict older than the accused's incarnation (it missed every
/// retransmission of the refutation, say behind a partition) is answered straight away with
/// the current incarnation when the verdict reaches the accused; a current accusation is
/// refuted as before, and a ping from a member held left is answered with the tombstone.
#[test]
fn a_stale_verdict_is_answered_to_whoever_still_holds_it() {
    let all: Vec<u64> = (0..3).collect();
    let view = || Membership::Swim {
        members: all.clone().into(),
    };
    let mut b = node(1, config(swim()), view(), None);
    let accuse = |state, incarnation, by| MemberUpdate {
        id: 1,
        incarnation,
        state,
        by,
    };
    let ping = |members| Message {
        body: Body::Ping { seq: 7 },
        members,
    };
    b.handle_message(10 * MS, 2, ping(vec![accuse(MemberState::Suspect, 0, 2)]))
        .unwrap();
    assert_eq!(b.incarnation(), 1, "refuted the suspicion");
    b.take_outputs();
    b.handle_message(20 * MS, 0, ping(vec![accuse(MemberState::Dead, 0, 0)]))
        .unwrap();
    let answers: Vec<_> = b
        .take_outputs()
        .into_iter()
        .filter(|(to, m)| {
            *to == 0
                && m.body
                    == Body::MemberSync {
                        members: vec![accuse(MemberState::Alive, 1, 1)],
                        reply: false,
                    }
        })
        .collect();
    assert_eq!(answers.len(), 1, "the holder of the stale verdict is told");
    assert_eq!(
        b.incarnation(),
        1,
        "a stale verdict needs no new refutation"
    );

    let mut a = node(0, config(swim()), view(), None);
    a.handle_message(
        10 * MS,
        2,
        ping(vec![MemberUpdate {
            id: 2,
            incarnation: 0,
            state: MemberState::Left,
            by: 2,
        }]),
    )
    .unwrap();
    // Long enough for the tombstone's retransmissions to be spent.
    for t in (1..300).map(|i| i * 100 * MS) {
        a.handle_timeout(t);
        a.take_outputs();
    }
    a.handle_message(30 * SEC, 2, ping(vec![])).unwrap();
    let acks = a.take_outputs();
    let (_, ack) = acks.iter().find(|(to, _)| *to == 2).expect("acked");
    assert_eq!(
        ack.members.first().map(|u| (u.id, u.state)),
        Some((2, MemberState::Left))
    );
}
