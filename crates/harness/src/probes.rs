//! Code probes across the cores: every probe's name, and the names a run's probe bits stand
//! for. The cores set bits (`faultline_raft::Probe`); the protocol adapters collect them after
//! each step, which changes nothing in the run.

use faultline_gossip::Probe as GossipProbe;
use faultline_raft::Probe as RaftProbe;
use faultline_sim::Probe as KernelProbe;

/// Every probe the kernel and the cores define, by name, in report order.
pub fn all() -> Vec<&'static str> {
    let kernel = KernelProbe::ALL.iter().map(|p| p.name());
    let raft = RaftProbe::ALL.iter().map(|p| p.name());
    let gossip = GossipProbe::ALL.iter().map(|p| p.name());
    kernel.chain(raft).chain(gossip).collect()
}

/// The probes a run of `protocol` can pass: the kernel's and those named `<protocol>.*`.
pub fn of_protocol(protocol: &str) -> Vec<&'static str> {
    all()
        .into_iter()
        .filter(|name| matches!(name.split('.').next(), Some(p) if p == protocol || p == "kernel"))
        .collect()
}

/// The names of the kernel probes set in `bits` ([`KernelProbe::bit`]).
pub fn kernel(bits: u64) -> Vec<&'static str> {
    named(bits, &KernelProbe::ALL, KernelProbe::bit, KernelProbe::name)
}

/// The names of the gossip probes set in `bits` ([`GossipProbe::bit`]).
pub fn gossip(bits: u64) -> Vec<&'static str> {
    named(bits, &GossipProbe::ALL, GossipProbe::bit, GossipProbe::name)
}

/// The names of the Raft probes set in `bits` ([`RaftProbe::bit`]).
pub fn raft(bits: u64) -> Vec<&'static str> {
    named(bits, &RaftProbe::ALL, RaftProbe::bit, RaftProbe::name)
}

fn named<P: Copy>(
    bits: u64,
    all: &[P],
    bit: fn(P) -> u64,
    name: fn(P) -> &'static str,
) -> Vec<&'static str> {
    all.iter()
        .filter(|&&p| bits & bit(p) != 0)
        .map(|&p| name(p))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each core lists every probe once, in bit order, and no two probes share a name.
    #[test]
    fn every_probe_is_listed_once_in_bit_order_with_a_unique_name() {
        fn in_order<P: Copy + std::fmt::Debug>(all: &[P], bit: fn(P) -> u64) {
            for (i, probe) in all.iter().enumerate() {
                assert_eq!(bit(*probe), 1 << i, "{probe:?}");
            }
        }
        in_order(&KernelProbe::ALL, KernelProbe::bit);
        in_order(&RaftProbe::ALL, RaftProbe::bit);
        in_order(&GossipProbe::ALL, GossipProbe::bit);
        let mut names = all();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), all().len());
        assert_eq!(raft(RaftProbe::LeaseRead.bit()), ["raft.lease_read"]);
        let gossip_run = of_protocol("gossip");
        assert!(gossip_run.contains(&"kernel.resumed_with_waiting"));
        assert!(!gossip_run.iter().any(|p| p.starts_with("raft.")));
    }
}
