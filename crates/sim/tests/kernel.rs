//! Behaviour of the kernel as a user's protocol sees it: determinism, partitions, crashes, skew.

use faultline_sim::{
    Context, Fault, LatencyDist, LinkConfig, NodeId, OneWayCut, Process, SimConfig, Simulation,
    Time, TimerId, TraceKind,
};
use proptest::prelude::*;
use std::cell::{Cell, RefCell};
use std::io::Write;
use std::rc::Rc;
use std::time::Duration;

/// Every 10 ms each node sends a numbered message to every other node, and logs what it receives.
#[derive(Debug, Default)]
struct Chatter {
    peers: u32,
    sent: u64,
    received: Vec<(NodeId, u64)>,
    timer_tags_fired: Vec<u64>,
}

/// What survives a crash: how many times the node started.
#[derive(Debug, Default)]
struct Boots(u32);

const TICK: u64 = 1;

impl Process for Chatter {
    type Message = u64;
    type Durable = Boots;

    fn on_start(&mut self, ctx: &mut Context<'_, u64, Boots>) {
        ctx.durable().0 += 1;
        ctx.set_timer(Duration::from_millis(10), TICK);
    }

    fn on_message(&mut self, _ctx: &mut Context<'_, u64, Boots>, from: NodeId, msg: u64) {
        self.received.push((from, msg));
    }

    fn on_timer(&mut self, ctx: &mut Context<'_, u64, Boots>, _timer: TimerId, tag: u64) {
        self.timer_tags_fired.push(tag);
        if tag != TICK {
            return;
        }
        for peer in 0..self.peers {
            if NodeId::new(peer) != ctx.id() {
                self.sent += 1;
                ctx.send(NodeId::new(peer), self.sent);
            }
        }
        ctx.set_timer(Duration::from_millis(10), TICK);
    }

    /// A message is one u64 on the wire.
    fn message_size(_msg: &u64) -> u64 {
        8
    }
}

fn lossy_link() -> LinkConfig {
    LinkConfig {
        latency: LatencyDist::Uniform {
            min: Duration::from_millis(1),
            max: Duration::from_millis(8),
        },
        drop: 0.1,
        duplicate: 0.05,
        reorder: 0.1,
    }
}

fn cluster(seed: u64, nodes: u32, link: LinkConfig) -> Simulation<Chatter> {
    let mut sim = Simulation::new(SimConfig::new(seed, link), move |_, _| Chatter {
        peers: nodes,
        ..Chatter::default()
    });
    for i in 0..nodes {
        sim.add_node(&format!("n{}", i + 1));
    }
    sim
}

fn n(i: u32) -> NodeId {
    NodeId::new(i)
}

/// A `Write` whose bytes the test can read afterwards.
#[derive(Clone, Default)]
struct SharedBuf(Rc<RefCell<Vec<u8>>>);

impl Write for SharedBuf {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn traced_run(seed: u64) -> (u64, Vec<u8>) {
    let mut sim = cluster(seed, 4, lossy_link());
    let buf = SharedBuf::default();
    sim.record_trace(Box::new(buf.clone()));
    sim.schedule_fault(
        Time::from_millis(100),
        Fault::Partition(vec![vec![n(0)], vec![n(1), n(2), n(3)]]),
    );
    sim.schedule_fault(Time::from_millis(200), Fault::Crash(n(2)));
    sim.schedule_fault(Time::from_millis(300), Fault::Heal);
    sim.schedule_fault(Time::from_millis(350), Fault::Restart(n(2)));
    sim.run_until(Time::from_millis(500));
    sim.finish_trace().unwrap();
    let bytes = buf.0.borrow().clone();
    (sim.trace_hash(), bytes)
}

#[test]
fn same_seed_gives_identical_hash_and_trace_file() {
    let (hash_a, file_a) = traced_run(11);
    let (hash_b, file_b) = traced_run(11);
    assert_eq!(hash_a, hash_b);
    assert_eq!(file_a, file_b);
    assert!(file_a.len() > 10_000, "the trace records every event");
    let first: serde_json::Value =
        serde_json::from_slice(file_a.split(|b| *b == b'\n').next().unwrap()).unwrap();
    assert_eq!(first["ev"], "start");
    assert_eq!(first["node"], "n1");
}

#[test]
fn trace_lines_link_each_delivery_to_its_send() {
    let (_, file) = traced_run(11);
    let events: Vec<serde_json::Value> = file
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).unwrap())
        .collect();
    let sends: std::collections::BTreeMap<u64, &serde_json::Value> = events
        .iter()
        .filter(|e| e["ev"] == "send")
        .map(|e| (e["msg"].as_u64().unwrap(), e))
        .collect();
    let deliveries: Vec<&serde_json::Value> =
        events.iter().filter(|e| e["ev"] == "deliver").collect();
    assert!(!deliveries.is_empty());
    for delivery in deliveries {
        let send = sends[&delivery["msg"]
            .as_u64()
            .expect("a delivery names its message")];
        assert_eq!(send["node"], delivery["peer"], "sender");
        assert_eq!(send["peer"], delivery["node"], "receiver");
        assert!(send["t_ns"].as_u64() <= delivery["t_ns"].as_u64());
        assert_eq!(send["detail"], delivery["detail"]);
    }
}

#[test]
fn a_different_seed_gives_a_different_hash() {
    assert_ne!(traced_run(11).0, traced_run(12).0);
}

#[test]
fn tracing_does_not_change_the_hash() {
    let mut untraced = cluster(11, 4, lossy_link());
    untraced.schedule_fault(
        Time::from_millis(100),
        Fault::Partition(vec![vec![n(0)], vec![n(1), n(2), n(3)]]),
    );
    untraced.schedule_fault(Time::from_millis(200), Fault::Crash(n(2)));
    untraced.schedule_fault(Time::from_millis(300), Fault::Heal);
    untraced.schedule_fault(Time::from_millis(350), Fault::Restart(n(2)));
    untraced.run_until(Time::from_millis(500));
    assert_eq!(untraced.trace_hash(), traced_run(11).0);
}

/// A link with no loss that delivers every message after exactly `ms` milliseconds.
fn fixed_latency(ms: u64) -> LinkConfig {
    LinkConfig {
        latency: LatencyDist::Fixed(Duration::from_millis(ms)),
        ..LinkConfig::default()
    }
}

fn received_from(sim: &Simulation<Chatter>, at: NodeId, from: NodeId) -> usize {
    sim.process(at)
        .unwrap()
        .received
        .iter()
        .filter(|(f, _)| *f == from)
        .count()
}

#[test]
fn no_message_crosses_a_partition_and_heal_restores_delivery() {
    let mut sim = cluster(1, 3, LinkConfig::default());
    sim.schedule_fault(
        Time::from_millis(50),
        Fault::Partition(vec![vec![n(0)], vec![n(1), n(2)]]),
    );
    sim.run_until(Time::from_millis(60));
    let before = (
        received_from(&sim, n(1), n(0)),
        received_from(&sim, n(0), n(1)),
    );
    sim.run_until(Time::from_millis(400));
    assert_eq!(
        received_from(&sim, n(1), n(0)),
        before.0,
        "0 -> 1 crossed the cut"
    );
    assert_eq!(
        received_from(&sim, n(0), n(1)),
        before.1,
        "1 -> 0 crossed the cut"
    );
    let inside = received_from(&sim, n(2), n(1));
    assert!(inside >= 39, "the majority side kept talking: {inside}");

    sim.schedule_fault(sim.now(), Fault::Heal);
    sim.run_until(Time::from_millis(600));
    assert!(received_from(&sim, n(1), n(0)) >= before.0 + 19);
    assert!(received_from(&sim, n(0), n(1)) >= before.1 + 19);
}

#[test]
fn messages_in_flight_when_a_cut_starts_are_lost() {
    let slow = fixed_latency(30);
    let mut sim = cluster(1, 2, slow);
    // First sends at 10 ms arrive at 40 ms; the cut at 20 ms must catch them on the wire.
    sim.schedule_fault(
        Time::from_millis(20),
        Fault::Partition(vec![vec![n(0)], vec![n(1)]]),
    );
    sim.run_until(Time::from_millis(100));
    assert_eq!(received_from(&sim, n(1), n(0)), 0);
    assert!(sim.counters().dropped >= 2);
}

#[test]
fn a_one_way_cut_passes_traffic_in_one_direction_only() {
    let mut sim = cluster(1, 2, LinkConfig::default());
    sim.schedule_fault(
        Time::ZERO,
        Fault::Cut(OneWayCut::new(vec![n(0)], vec![n(1)])),
    );
    sim.run_until(Time::from_millis(200));
    assert_eq!(received_from(&sim, n(1), n(0)), 0);
    assert!(received_from(&sim, n(0), n(1)) >= 19);
    sim.schedule_fault(sim.now(), Fault::Heal);
    sim.run_until(Time::from_millis(400));
    assert!(received_from(&sim, n(1), n(0)) >= 19);
}

#[test]
fn restart_keeps_durable_state_and_loses_volatile_state() {
    let mut sim = cluster(1, 2, LinkConfig::default());
    sim.run_until(Time::from_millis(100));
    assert!(!sim.process(n(1)).unwrap().received.is_empty());
    sim.schedule_fault(sim.now(), Fault::Crash(n(1)));
    sim.run_until(Time::from_millis(150));
    assert!(!sim.is_up(n(1)));
    assert_eq!(sim.durable(n(1)).unwrap().0, 1);

    sim.schedule_fault(sim.now(), Fault::Restart(n(1)));
    sim.run_until(Time::from_millis(150));
    let reborn = sim.process(n(1)).unwrap();
    assert!(
        reborn.received.is_empty() && reborn.sent == 0,
        "volatile state came back"
    );
    assert_eq!(sim.durable(n(1)).unwrap().0, 2, "durable state was lost");
    assert_eq!(sim.incarnation(n(1)), Some(1));
}

/// A node that sets a long timer once, in its first incarnation only.
#[derive(Default)]
struct LongTimer {
    fired: u32,
}

impl Process for LongTimer {
    type Message = ();
    type Durable = bool;
    fn on_start(&mut self, ctx: &mut Context<'_, (), bool>) {
        if !*ctx.durable() {
            *ctx.durable() = true;
            ctx.set_timer(Duration::from_millis(100), 7);
        }
    }
    fn on_message(&mut self, _: &mut Context<'_, (), bool>, _: NodeId, _: ()) {}
    fn on_timer(&mut self, _: &mut Context<'_, (), bool>, _: TimerId, _: u64) {
        self.fired += 1;
    }
}

#[test]
fn a_timer_set_before_a_crash_never_fires_after_it() {
    let mut sim = Simulation::new(SimConfig::new(1, LinkConfig::default()), |_, _| {
        LongTimer::default()
    });
    let node = sim.add_node("n1");
    sim.schedule_fault(Time::from_millis(50), Fault::Crash(node));
    sim.schedule_fault(Time::from_millis(60), Fault::Restart(node));
    sim.run_until(Time::from_secs(1));
    assert_eq!(sim.process(node).unwrap().fired, 0);
    assert_eq!(sim.counters().timers, 0);
}

#[test]
fn messages_in_flight_to_a_crashed_incarnation_never_reach_the_next() {
    let slow = fixed_latency(30);
    let mut sim = cluster(1, 2, slow);
    // n1 sends at 10 ms (arrives 40 ms); n2 crashes at 20 ms and is back at 25 ms.
    sim.schedule_fault(Time::from_millis(20), Fault::Crash(n(1)));
    sim.schedule_fault(Time::from_millis(25), Fault::Restart(n(1)));
    sim.run_until(Time::from_millis(45));
    assert_eq!(received_from(&sim, n(1), n(0)), 0);
}

#[test]
fn clock_skew_scales_timer_periods() {
    let mut config = SimConfig::new(3, LinkConfig::default());
    config.clock_skew_ppm = Some((500_000, 500_000));
    let mut sim = Simulation::new(config, |_, _| Chatter {
        peers: 1,
        ..Chatter::default()
    });
    let slow = sim.add_node("slow");
    sim.run_until(Time::from_millis(200));
    // A clock at half speed: 10 local ms take 20 true ms, so 10 ticks in 200 ms, not 20.
    assert_eq!(sim.process(slow).unwrap().timer_tags_fired.len(), 10);
    assert_eq!(sim.local_time(slow), Some(Time::from_millis(100)));

    sim.schedule_fault(
        sim.now(),
        Fault::ClockRate {
            node: slow,
            rate_ppm: 2_000_000,
        },
    );
    sim.run_until(Time::from_millis(300));
    assert_eq!(
        sim.local_time(slow),
        Some(Time::from_millis(300)),
        "local time stays continuous"
    );
}

/// Sets one timer of local 4 s at start.
#[derive(Debug, Default)]
struct Alarm;

impl Process for Alarm {
    type Message = u64;
    type Durable = Boots;

    fn on_start(&mut self, ctx: &mut Context<'_, u64, Boots>) {
        ctx.set_timer(Duration::from_secs(4), 0);
    }

    fn on_message(&mut self, _ctx: &mut Context<'_, u64, Boots>, _from: NodeId, _msg: u64) {}

    fn on_timer(&mut self, _ctx: &mut Context<'_, u64, Boots>, _timer: TimerId, _tag: u64) {}
}

/// The true times a 4 s (local) timer set at true 0 fires at, if the clock's rate becomes
/// `rate_ppm` at true 1 s, with `pause` (from, to) in ms on the node as well.
fn alarm_fires_at(rate_ppm: u64, pause: Option<(u64, u64)>) -> Vec<Time> {
    let mut sim = Simulation::new(SimConfig::new(1, LinkConfig::default()), |_, _| Alarm);
    let node = sim.add_node("n1");
    sim.schedule_fault(Time::from_secs(1), Fault::ClockRate { node, rate_ppm });
    if let Some((from, to)) = pause {
        sim.schedule_fault(Time::from_millis(from), Fault::Pause(node));
        sim.schedule_fault(Time::from_millis(to), Fault::Resume(node));
    }
    let mut fired = Vec::new();
    while let Some(step) = sim.step() {
        if step.kind == TraceKind::Timer && step.node == Some(node) {
            fired.push(step.time);
        }
    }
    fired
}

#[test]
fn clock_rate_change_replans_pending_timers() {
    // At true 1 s the clock reads 1 s; 3 local seconds remain.
    // At 2x they take 1.5 true seconds; at 0.5x, 6.
    assert_eq!(
        alarm_fires_at(2_000_000, None),
        vec![Time::from_millis(2_500)]
    );
    assert_eq!(alarm_fires_at(500_000, None), vec![Time::from_secs(7)]);
    assert_eq!(alarm_fires_at(1_000_000, None), vec![Time::from_secs(4)]);
    // Paused across the deadline: the timer fires once, at the resume.
    assert_eq!(
        alarm_fires_at(2_000_000, Some((500, 3_000))),
        vec![Time::from_secs(3)]
    );
    // Paused before the change, resumed before the new deadline: it fires at the new deadline.
    assert_eq!(
        alarm_fires_at(500_000, Some((500, 1_500))),
        vec![Time::from_secs(7)]
    );
}

#[test]
fn loss_duplication_and_counters_add_up() {
    let mut sim = cluster(
        5,
        3,
        LinkConfig {
            drop: 0.3,
            duplicate: 0.2,
            ..lossy_link()
        },
    );
    sim.run_until(Time::from_secs(2));
    let c = sim.counters();
    assert!(c.dropped > 0 && c.duplicated > 0);
    let in_flight = sim.counters().sent + c.duplicated - c.delivered - c.dropped;
    assert!(
        in_flight <= 3 * 2 * 2,
        "every message is delivered, dropped or still in flight"
    );
    let loss_rate = c.dropped as f64 / c.sent as f64;
    assert!((0.25..0.35).contains(&loss_rate), "{loss_rate}");
}

#[test]
fn fifo_links_keep_order_unless_reordering_is_allowed() {
    let jittery = LinkConfig {
        latency: LatencyDist::Uniform {
            min: Duration::from_millis(1),
            max: Duration::from_millis(50),
        },
        ..LinkConfig::default()
    };
    let in_order = |sim: &Simulation<Chatter>| {
        let seqs: Vec<u64> = sim
            .process(n(1))
            .unwrap()
            .received
            .iter()
            .map(|(_, s)| *s)
            .collect();
        seqs.windows(2).all(|w| w[0] < w[1])
    };
    let mut fifo = cluster(9, 2, jittery.clone());
    fifo.run_until(Time::from_secs(1));
    assert!(in_order(&fifo));
    let mut reordering = cluster(
        9,
        2,
        LinkConfig {
            reorder: 0.5,
            ..jittery
        },
    );
    reordering.run_until(Time::from_secs(1));
    assert!(!in_order(&reordering));
}

fn arb_fault(nodes: u32) -> impl Strategy<Value = Fault> {
    let node = (0..nodes).prop_map(NodeId::new);
    prop_oneof![
        node.clone().prop_map(Fault::Crash),
        node.clone().prop_map(Fault::Restart),
        proptest::collection::vec(0..3u32, nodes as usize).prop_map(|groups| {
            let mut split = vec![Vec::new(); 3];
            for (i, g) in groups.into_iter().enumerate() {
                split[g as usize].push(NodeId::new(i as u32));
            }
            Fault::Partition(split)
        }),
        (node.clone(), node.clone())
            .prop_map(|(a, b)| Fault::Cut(OneWayCut::new(vec![a], vec![b]))),
        Just(Fault::Heal),
        (node, 900_000..1_100_000u64)
            .prop_map(|(node, rate_ppm)| Fault::ClockRate { node, rate_ppm }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Random fault schedules on random small clusters never panic and always replay identically.
    #[test]
    fn random_fault_schedules_never_panic_and_always_replay(
        seed in any::<u64>(),
        nodes in 1..6u32,
        schedule in proptest::collection::vec((0..1000u64, arb_fault(5)), 0..20),
    ) {
        let run = || {
            let mut sim = cluster(seed, nodes, lossy_link());
            for (at, fault) in &schedule {
                sim.schedule_fault(Time::from_millis(*at), fault.clone());
            }
            sim.run_until(Time::from_secs(1));
            (sim.trace_hash(), sim.counters())
        };
        prop_assert_eq!(run(), run());
    }
}

/// Every send counts the protocol's size for its message, and trace files record it on the
/// send line (it stays out of the hash: the message's hash already is in it).
#[test]
fn sends_count_and_trace_the_bytes_the_protocol_reports() {
    let mut sim = cluster(3, 4, lossy_link());
    let buf = SharedBuf::default();
    sim.record_trace(Box::new(buf.clone()));
    sim.run_until(Time::from_millis(200));
    sim.finish_trace().unwrap();
    let counters = sim.counters();
    assert!(counters.sent > 0);
    assert_eq!(counters.sent_bytes, 8 * counters.sent);
    let text = String::from_utf8(buf.0.borrow().clone()).unwrap();
    let sends: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|v| v["ev"] == "send")
        .collect();
    assert_eq!(sends.len() as u64, counters.sent);
    assert!(sends.iter().all(|v| v["bytes"] == 8));
    let mut untraced = cluster(3, 4, lossy_link());
    untraced.run_until(Time::from_millis(200));
    assert_eq!(sim.trace_hash(), untraced.trace_hash());
}

#[test]
fn a_paused_node_handles_what_waited_in_arrival_order_when_it_resumes() {
    let fixed = fixed_latency(2);
    let mut sim = cluster(1, 2, fixed);
    sim.schedule_fault(Time::from_millis(15), Fault::Pause(n(1)));
    sim.schedule_fault(Time::from_millis(55), Fault::Resume(n(1)));
    // n1's messages of 20, 30, 40 and 50 ms arrive while n2 is frozen; so do its own ticks.
    sim.run_until(Time::from_millis(54));
    let frozen = sim.process(n(1)).unwrap();
    assert_eq!(
        received_from(&sim, n(0), n(1)),
        1,
        "only the 10 ms message got in"
    );
    assert_eq!(
        frozen.timer_tags_fired.len(),
        1,
        "only the 10 ms tick fired"
    );
    assert_eq!(frozen.sent, 1, "a frozen node sends nothing");
    sim.run_until(Time::from_millis(55));
    let resumed = sim.process(n(1)).unwrap();
    let messages: Vec<u64> = resumed
        .received
        .iter()
        .filter(|(from, _)| *from == n(0))
        .map(|(_, m)| *m)
        .collect();
    assert_eq!(messages, [1, 2, 3, 4, 5], "nothing lost, in order");
    assert_eq!(
        resumed.timer_tags_fired.len(),
        2,
        "the overdue tick fired once, on resume (it re-arms itself then)"
    );
}

#[test]
fn a_crash_while_paused_loses_what_waited() {
    let fixed = fixed_latency(2);
    let mut sim = cluster(1, 2, fixed);
    sim.schedule_fault(Time::from_millis(15), Fault::Pause(n(1)));
    sim.schedule_fault(Time::from_millis(35), Fault::Crash(n(1)));
    sim.schedule_fault(Time::from_millis(36), Fault::Restart(n(1)));
    sim.schedule_fault(Time::from_millis(37), Fault::Resume(n(1)));
    sim.run_until(Time::from_millis(45));
    let restarted = sim.process(n(1)).unwrap();
    assert_eq!(
        restarted.received,
        [(n(0), 4)],
        "the new incarnation sees only the 40 ms message"
    );
}

/// Re-arms a zero-delay timer every time it fires after 5 ms: virtual time never passes 5 ms.
#[derive(Default)]
struct Spinner {
    fired: u64,
}

impl Process for Spinner {
    type Message = ();
    type Durable = ();

    fn on_start(&mut self, ctx: &mut Context<'_, (), ()>) {
        ctx.set_timer(Duration::from_millis(5), 0);
    }

    fn on_message(&mut self, _: &mut Context<'_, (), ()>, _: NodeId, _: ()) {}

    fn on_timer(&mut self, ctx: &mut Context<'_, (), ()>, _: TimerId, _: u64) {
        self.fired += 1;
        ctx.set_timer(Duration::ZERO, 0);
    }
}

#[test]
fn a_livelock_stalls_the_run_at_its_instant_instead_of_hanging() {
    let mut sim = Simulation::new(SimConfig::new(1, LinkConfig::default()), |_, _| {
        Spinner::default()
    });
    let node = sim.add_node("spinner");
    sim.set_instant_limit(1_000);
    sim.run_until(Time::from_millis(100));
    let stall = sim.stall().expect("the zero-delay timer loop stalls");
    let expected = faultline_sim::Stall::TimeStoodStill {
        time: Time::from_millis(5),
        events: 1_000,
        limit: 1_000,
    };
    assert_eq!(stall, expected);
    assert_eq!(
        sim.now(),
        Time::from_millis(5),
        "time stays where it stood still"
    );
    assert_eq!(sim.process(node).unwrap().fired, 1_000);
    assert_eq!(sim.next_event_time(), None);
    assert!(sim.step().is_none());
}

#[test]
fn busy_instants_below_the_limit_do_not_stall() {
    let mut sim = cluster(3, 5, LinkConfig::default());
    sim.set_instant_limit(50);
    sim.run_until(Time::from_secs(1));
    assert_eq!(sim.stall(), None);
    assert_eq!(sim.now(), Time::from_secs(1));
}

/// A silent process that counts its drops in a shared cell.
struct Counted(Rc<Cell<u32>>);

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.set(self.0.get() + 1);
    }
}

impl Process for Counted {
    type Message = u64;
    type Durable = ();

    fn on_start(&mut self, _ctx: &mut Context<'_, u64, ()>) {}

    fn on_message(&mut self, _ctx: &mut Context<'_, u64, ()>, _from: NodeId, _msg: u64) {}

    fn on_timer(&mut self, _ctx: &mut Context<'_, u64, ()>, _timer: TimerId, _tag: u64) {}
}

/// How many of three nodes' processes a simulation's drop drops.
fn processes_dropped(skip_teardown: bool) -> u32 {
    let drops = Rc::new(Cell::new(0));
    let counter = Rc::clone(&drops);
    let mut sim = Simulation::new(SimConfig::new(1, fixed_latency(1)), move |_, _| {
        Counted(Rc::clone(&counter))
    });
    for i in 1..=3 {
        sim.add_node(&format!("n{i}"));
    }
    sim.run_until(Time::from_nanos(1_000_000));
    if skip_teardown {
        sim.skip_teardown();
    }
    drop(sim);
    drops.get()
}

#[test]
fn skip_teardown_leaves_the_nodes_allocated_when_the_simulation_drops() {
    assert_eq!(processes_dropped(false), 3);
    assert_eq!(processes_dropped(true), 0);
}
