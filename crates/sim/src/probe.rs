//! Code probes of the kernel (FoundationDB's `CODE_PROBE`): named points at its rare paths.
//! The simulation sets a probe's bit when it passes the point ([`crate::Simulation::probes`]);
//! nothing reads the bits during a run, so probes never change a trace.

/// A rare path of the kernel.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Probe {
    /// A message was lost in flight: its target crashed (or restarted) after it was sent.
    LostToCrashInFlight,
    /// A message was lost in flight: a partition or cut began after it was sent.
    LostToPartitionInFlight,
    /// A paused node resumed with deliveries or timers waiting for it.
    ResumedWithWaiting,
}

impl Probe {
    /// Every probe, in declaration order (the bit order of [`crate::Simulation::probes`]).
    pub const ALL: [Probe; 3] = [
        Probe::LostToCrashInFlight,
        Probe::LostToPartitionInFlight,
        Probe::ResumedWithWaiting,
    ];

    /// The probe's name in reports (`kernel.` and snake case).
    pub fn name(self) -> &'static str {
        match self {
            Probe::LostToCrashInFlight => "kernel.lost_to_crash_in_flight",
            Probe::LostToPartitionInFlight => "kernel.lost_to_partition_in_flight",
            Probe::ResumedWithWaiting => "kernel.resumed_with_waiting",
        }
    }

    /// The probe's bit in a probe set.
    pub fn bit(self) -> u64 {
        1 << self as u32
    }
}
