//! The disk model as a process sees it through the kernel: syncs delivered as events after their
//! latency, crashes losing unsynced writes, faults, determinism.

use faultline_sim::{
    Context, CrashLoss, DiskConfig, DiskError, DiskFault, DiskTarget, Fault, LatencyDist,
    LinkConfig, NodeId, Process, SimConfig, Simulation, SyncId, Time, TimerId,
};
use std::time::Duration;

/// Appends one record every 10 ms and syncs every other one; remembers what it read back at
/// start and when each sync completed.
#[derive(Debug, Default)]
struct Logger {
    recovered: Vec<Vec<u8>>,
    synced: Vec<(SyncId, Time)>,
    failed_writes: u32,
    next: u8,
}

impl Process for Logger {
    type Message = ();
    type Durable = ();

    fn on_start(&mut self, ctx: &mut Context<'_, (), ()>) {
        let disk = ctx.disk();
        self.recovered = (0..disk.len())
            .map(|i| disk.read(i).map_or(b"?".to_vec(), <[u8]>::to_vec))
            .collect();
        self.next = self.recovered.len() as u8;
        ctx.set_timer(Duration::from_millis(10), 0);
    }

    fn on_message(&mut self, _: &mut Context<'_, (), ()>, _: NodeId, _: ()) {}

    fn on_timer(&mut self, ctx: &mut Context<'_, (), ()>, _: TimerId, _: u64) {
        match ctx.disk().append(vec![self.next; 4]) {
            Ok(_) => self.next += 1,
            Err(DiskError::Full) => self.failed_writes += 1,
            Err(e) => panic!("unexpected {e}"),
        }
        if self.next % 2 == 0 {
            ctx.sync();
        }
        ctx.set_timer(Duration::from_millis(10), 0);
    }

    fn on_sync(&mut self, ctx: &mut Context<'_, (), ()>, sync: SyncId) {
        self.synced.push((sync, ctx.sim_time()));
    }
}

fn sim(seed: u64, config: DiskConfig) -> (Simulation<Logger>, NodeId) {
    let mut sim = Simulation::new(SimConfig::new(seed, LinkConfig::default()), |_, _| {
        Logger::default()
    });
    let node = sim.add_node("n1");
    sim.configure_disk(node, config);
    (sim, node)
}

fn slow(ms: u64) -> DiskConfig {
    DiskConfig {
        sync_latency: LatencyDist::Fixed(Duration::from_millis(ms)),
        ..DiskConfig::default()
    }
}

#[test]
fn a_sync_completes_after_its_latency_as_an_event() {
    let (mut sim, node) = sim(1, slow(3));
    sim.run_until(Time::from_millis(45));
    let logger = sim.process(node).unwrap();
    // Records 1 and 2 are written at 10 and 20 ms; the sync asked at 20 ms completes at 23 ms.
    assert_eq!(logger.synced[0], (SyncId(0), Time::from_millis(23)));
    assert_eq!(logger.synced.len(), 2);
    assert_eq!(sim.counters().syncs, 2);
    assert_eq!(sim.disk(node).unwrap().durable_len(), 4);
}

#[test]
fn a_crash_loses_unsynced_writes_and_syncs_in_flight() {
    let (mut sim, node) = sim(1, slow(5));
    // At 41 ms records 0..4 are written; the sync asked at 40 ms (covering 0..4) is in flight.
    sim.schedule_fault(Time::from_millis(41), Fault::Crash(node));
    sim.schedule_fault(Time::from_millis(50), Fault::Restart(node));
    sim.run_until(Time::from_millis(51));
    let logger = sim.process(node).unwrap();
    assert_eq!(logger.recovered, vec![vec![0; 4], vec![1; 4]]);
    assert!(
        logger.synced.is_empty(),
        "a new incarnation hears of no old sync"
    );
}

#[test]
fn faults_corrupt_fail_reads_and_fill() {
    let (mut sim, node) = sim(2, DiskConfig::default());
    let disk = |fault| Fault::Disk { node, fault };
    sim.schedule_fault(
        Time::from_millis(45),
        disk(DiskFault::Corrupt(DiskTarget::Record(0))),
    );
    sim.schedule_fault(
        Time::from_millis(45),
        disk(DiskFault::ReadError(DiskTarget::Record(1))),
    );
    sim.schedule_fault(Time::from_millis(45), Fault::Crash(node));
    sim.schedule_fault(Time::from_millis(46), Fault::Restart(node));
    sim.schedule_fault(Time::from_millis(46), disk(DiskFault::Full));
    sim.run_until(Time::from_millis(80));
    let logger = sim.process(node).unwrap();
    assert_ne!(logger.recovered[0], vec![0; 4], "a flipped bit");
    assert_eq!(logger.recovered[1], b"?".to_vec(), "a read error");
    assert_eq!(logger.recovered[2..], [vec![2; 4], vec![3; 4]]);
    assert_eq!(logger.failed_writes, 3);
}

#[test]
fn disks_replay_from_the_seed() {
    let run = |seed| {
        let config = DiskConfig {
            sync_latency: LatencyDist::Uniform {
                min: Duration::from_millis(1),
                max: Duration::from_millis(30),
            },
            crash_loss: CrashLoss::Subset,
            torn_write: 0.5,
            capacity: None,
        };
        let (mut sim, node) = sim(seed, config);
        for k in 1..6 {
            sim.schedule_fault(Time::from_millis(k * 97), Fault::Crash(node));
            sim.schedule_fault(Time::from_millis(k * 97 + 5), Fault::Restart(node));
        }
        sim.run_until(Time::from_millis(600));
        let logger = sim.process(node).unwrap();
        (
            sim.trace_hash(),
            logger.recovered.clone(),
            logger.synced.clone(),
        )
    };
    assert_eq!(run(5), run(5));
    assert_ne!(run(5).0, run(6).0);
}
