//! A user-defined protocol under the faultline kernel: a primary counts and replicates to backups.
//! Backups persist what they learn; a partition and a crash show what survives.
//!
//! `cargo run --example replicated_counter`

use faultline_sim::{
    Context, Fault, LatencyDist, LinkConfig, NodeId, Process, SimConfig, Simulation, Time, TimerId,
};
use std::time::Duration;

const PRIMARY: NodeId = NodeId::new(0);

/// Volatile state: the highest value seen this incarnation. Durable state: the highest persisted.
#[derive(Default)]
struct Counter {
    seen: u64,
}

impl Process for Counter {
    type Message = u64;
    type Durable = u64;

    fn on_start(&mut self, ctx: &mut Context<'_, u64, u64>) {
        self.seen = *ctx.durable(); // recover from disk after a restart
        if ctx.id() == PRIMARY {
            ctx.set_timer(Duration::from_millis(10), 0);
        }
    }

    fn on_message(&mut self, ctx: &mut Context<'_, u64, u64>, _from: NodeId, value: u64) {
        if value > self.seen {
            self.seen = value;
            *ctx.durable() = value; // written through to durable storage
        }
    }

    fn on_timer(&mut self, ctx: &mut Context<'_, u64, u64>, _: TimerId, _: u64) {
        self.seen += 1;
        *ctx.durable() = self.seen;
        for backup in 1..3 {
            ctx.send(NodeId::new(backup), self.seen);
        }
        ctx.set_timer(Duration::from_millis(10), 0);
    }
}

fn main() {
    let link = LinkConfig {
        latency: LatencyDist::Uniform {
            min: Duration::from_millis(1),
            max: Duration::from_millis(5),
        },
        drop: 0.05,
        ..LinkConfig::default()
    };
    let mut sim = Simulation::new(SimConfig::new(42, link), |_, _| Counter::default());
    let nodes: Vec<NodeId> = ["primary", "backup-1", "backup-2"]
        .iter()
        .map(|n| sim.add_node(n))
        .collect();

    sim.schedule_fault(
        Time::from_millis(200),
        Fault::Partition(vec![vec![nodes[0]], vec![nodes[1]]]),
    );
    sim.schedule_fault(Time::from_millis(400), Fault::Heal);
    sim.schedule_fault(Time::from_millis(500), Fault::Crash(nodes[2]));
    sim.run_until(Time::from_millis(700));
    println!(
        "backup-2 is down; its disk holds {}",
        sim.durable(nodes[2]).unwrap()
    );

    sim.schedule_fault(sim.now(), Fault::Restart(nodes[2]));
    sim.run_until(Time::from_secs(1));
    for &node in &nodes {
        let seen = sim.process(node).map_or(0, |p| p.seen);
        println!("{:<9} seen {seen:>3}", sim.node_name(node).unwrap());
    }
    let c = sim.counters();
    println!(
        "{} events, {} sent, {} dropped, trace {:016x}",
        c.events,
        c.sent,
        c.dropped,
        sim.trace_hash()
    );
}
