//! Kernel events per second for a no-op process, next to a bare `BinaryHeap` push/pop loop over
//! an event of the same shape, measured in the same run. Prints both and their ratio.
//!
//! `cargo bench -p faultline-sim --bench kernel`

use faultline_sim::{
    Context, LatencyDist, LinkConfig, NodeId, Process, SimConfig, Simulation, Time, TimerId,
};
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::hint::black_box;
use std::time::{Duration, Instant};

const NODES: u32 = 64;
const IN_FLIGHT: u32 = 1024;
const EVENTS: u64 = 4_000_000;

/// Passes each message on to the next node: the least a process can do and still make events.
struct Relay;

impl Process for Relay {
    type Message = u64;
    type Durable = ();
    fn on_start(&mut self, ctx: &mut Context<'_, u64, ()>) {
        for i in 0..IN_FLIGHT / NODES {
            ctx.send(
                NodeId::new((ctx.id().index() as u32 + 1) % NODES),
                u64::from(i),
            );
        }
    }
    fn on_message(&mut self, ctx: &mut Context<'_, u64, ()>, _: NodeId, msg: u64) {
        ctx.send(NodeId::new((ctx.id().index() as u32 + 1) % NODES), msg);
    }
    fn on_timer(&mut self, _: &mut Context<'_, u64, ()>, _: TimerId, _: u64) {}
}

fn kernel_events_per_sec() -> f64 {
    let link = LinkConfig {
        latency: LatencyDist::Fixed(Duration::from_millis(1)),
        ..LinkConfig::default()
    };
    let mut sim = Simulation::new(SimConfig::new(1, link), |_, _| Relay);
    for i in 0..NODES {
        sim.add_node(&format!("n{i}"));
    }
    let start = Instant::now();
    while sim.counters().events < EVENTS {
        sim.step();
    }
    black_box(sim.trace_hash());
    EVENTS as f64 / start.elapsed().as_secs_f64()
}

/// The same payload the kernel queues for a delivery: endpoints, incarnation, message.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
struct Delivery {
    from: u32,
    to: u32,
    incarnation: u32,
    msg: u64,
}

fn bare_heap_events_per_sec() -> f64 {
    let mut heap = BinaryHeap::new();
    let mut seq = 0u64;
    for i in 0..IN_FLIGHT {
        heap.push(Reverse((
            Time::ZERO,
            seq,
            Delivery {
                from: i % NODES,
                to: (i + 1) % NODES,
                incarnation: 0,
                msg: 0,
            },
        )));
        seq += 1;
    }
    let start = Instant::now();
    for _ in 0..EVENTS {
        let Reverse((time, _, d)) = heap.pop().expect("never empty");
        let next = Delivery {
            from: d.to,
            to: (d.to + 1) % NODES,
            incarnation: d.incarnation,
            msg: black_box(d.msg),
        };
        heap.push(Reverse((time + Duration::from_millis(1), seq, next)));
        seq += 1;
    }
    black_box(heap.len());
    EVENTS as f64 / start.elapsed().as_secs_f64()
}

fn main() {
    // Warm both up once, then measure.
    let _ = (kernel_events_per_sec(), bare_heap_events_per_sec());
    let bare = bare_heap_events_per_sec();
    let kernel = kernel_events_per_sec();
    println!("bare BinaryHeap push/pop : {:>12.0} events/s", bare);
    println!("kernel, no-op relay      : {:>12.0} events/s", kernel);
    println!(
        "kernel / bare            : {:>12.1}%",
        100.0 * kernel / bare
    );
}
