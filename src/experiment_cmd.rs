//! `faultline experiment`: the literature's measurements, re-run on the simulator.

use crate::progress::{self, command_line, Watch};
use crate::EXIT_OK;
use anyhow::Result;
use faultline_harness::experiments::{
    check_exponent, check_keys, check_nodes, check_runs, gossip, merkle, storage, Row,
};

/// Which experiment to run.
#[derive(clap::Subcommand)]
pub enum Experiment {
    /// Synchronous push-pull rounds to full dissemination vs log3(n) + ln(ln(n)).
    GossipRounds {
        /// Runs at n = 1,000 (n = 10,000 gets a fifth as many).
        #[arg(long, default_value_t = 100)]
        runs: usize,
    },
    /// Pure rumor mongering residue, all four of Demers' variants (feedback/blind x counter/coin)
    /// for k = 1..5, vs Demers' Tables 1 and 2 and a bare model of his cycles.
    RumorResidue {
        /// Runs per variant and k.
        #[arg(long, default_value_t = 100)]
        runs: usize,
        /// Cluster size.
        #[arg(long, default_value_t = 1000)]
        nodes: u32,
    },
    /// SWIM false positives under 5% loss, with and without suspicion.
    SwimSuspicion {
        /// Runs (seeds) per setting.
        #[arg(long, default_value_t = 10)]
        runs: usize,
    },
    /// Lifeguard: false positives with a few slow members, plain SWIM vs each mechanism and all.
    Lifeguard {
        /// Runs (seeds) per setting.
        #[arg(long, default_value_t = 10)]
        runs: usize,
    },
    /// Cross-region traffic and convergence time, uniform vs spatial peer choice.
    Spatial {
        /// Runs per setting.
        #[arg(long, default_value_t = 20)]
        runs: usize,
        /// Spatial exponents a to compare with uniform choice.
        #[arg(long, num_args = 1.., default_values_t = vec![1.0, 2.0, 4.0, 8.0])]
        a: Vec<f64>,
    },
    /// Alagappan et al. (FAST 2018): one storage fault (corruption or read error in a log
    /// entry, the hard state or the snapshot) on the leader or a follower, under each recovery
    /// policy (protocol-aware, truncate, crash): safe, unavailable or data lost.
    StorageFaults {
        /// Seeds per cell.
        #[arg(long, default_value_t = 5)]
        runs: usize,
    },
    /// Anti-entropy repair bytes for d = 1, 10, 100, 10^4 differing keys: Scuttlebutt digests,
    /// the fixed Merkle tree and trees sized for the keys, against a full-state exchange.
    MerkleRepair {
        /// Keys both replicas hold.
        #[arg(long, default_value_t = 100_000)]
        keys: u32,
    },
}

/// Checks every argument before any run: counts, cluster sizes and exponents in range.
fn check(experiment: &Experiment) -> Result<()> {
    match experiment {
        Experiment::GossipRounds { runs }
        | Experiment::RumorResidue { runs, .. }
        | Experiment::SwimSuspicion { runs }
        | Experiment::Lifeguard { runs }
        | Experiment::Spatial { runs, .. }
        | Experiment::StorageFaults { runs } => check_runs("--runs", *runs as u64)?,
        Experiment::MerkleRepair { keys } => check_keys("--keys", *keys)?,
    }
    if let Experiment::RumorResidue { nodes, .. } = experiment {
        check_nodes("--nodes", *nodes)?;
    }
    if let Experiment::Spatial { a, .. } = experiment {
        for &a in a {
            check_exponent("--a", a)?;
        }
    }
    Ok(())
}

/// Largest k of `rumor-residue` (rumor mongering's k = 1..=5, as in Demers' tables).
const RUMOR_MAX_K: u32 = 5;

/// `gossip-rounds`: the cluster sizes and the runs at each (n = 10,000 gets a fifth as many).
fn push_pull_sizes(runs: usize) -> [(u32, usize); 2] {
    [(1000, runs), (10_000, (runs / 5).max(1))]
}

/// How many simulated runs the experiment makes (its progress bar's length).
fn simulated_runs(experiment: &Experiment) -> u64 {
    let runs = match experiment {
        Experiment::GossipRounds { runs } => push_pull_sizes(*runs).iter().map(|s| s.1).sum(),
        Experiment::RumorResidue { runs, .. } => {
            gossip::RumorVariant::ALL.len() * RUMOR_MAX_K as usize * runs
        }
        Experiment::SwimSuspicion { runs } => 2 * runs,
        Experiment::Lifeguard { runs } => gossip::LifeguardSet::ALL.len() * runs,
        Experiment::Spatial { runs, a } => (1 + a.len()) * runs,
        Experiment::StorageFaults { runs } => {
            storage::FAULTS.len()
                * storage::TARGETS.len()
                * storage::ROLES.len()
                * storage::POLICIES.len()
                * runs
        }
        Experiment::MerkleRepair { .. } => merkle::Method::ALL.len() * merkle::DIFFERENCES.len(),
    };
    runs as u64
}

/// Runs the experiment and prints its table; a bar shows the runs on a terminal, and Ctrl-C
/// ends it (130) saying that nothing was kept and how to run it again.
pub fn execute(experiment: Experiment) -> Result<u8> {
    check(&experiment)?;
    let bar = progress::bar(simulated_runs(&experiment), "runs");
    let watch = Watch::start(&bar, || {
        format!(
            "nothing was kept: an experiment prints its table only when every run is done. It does not resume; run it again (with fewer --runs for a quicker table):\n  {}",
            command_line()
        )
    });
    let tick = || bar.inc(1);
    let rows = match experiment {
        Experiment::GossipRounds { runs } => {
            gossip::push_pull_table(&push_pull_sizes(runs), 1, &tick)
        }
        Experiment::RumorResidue { runs, nodes } => {
            gossip::rumor_table(nodes, RUMOR_MAX_K, runs, 1, &tick)
        }
        Experiment::SwimSuspicion { runs } => gossip::swim_table(8, 0.05, 200, runs, 1, &tick),
        Experiment::Lifeguard { runs } => gossip::lifeguard_table(32, 3, 300, runs, 1, &tick),
        Experiment::Spatial { runs, a } => gossip::spatial_table(200, &a, runs, 1, &tick),
        Experiment::MerkleRepair { keys } => {
            merkle::repair_table(keys, &merkle::DIFFERENCES, &tick)
        }
        Experiment::StorageFaults { runs } => {
            let cells = storage::table(runs as u64, &tick);
            drop(watch);
            print_storage(&cells);
            return Ok(EXIT_OK);
        }
    };
    drop(watch);
    print_rows(&rows);
    Ok(EXIT_OK)
}

/// One line per (fault, target, role), one column per policy.
fn print_storage(cells: &[storage::Cell]) {
    let policies = storage::POLICIES.map(|(name, _)| name);
    outln!(
        "{:<11} {:<10} {:<9} {:<24} {:<24} {:<24}",
        "fault",
        "target",
        "role",
        policies[0],
        policies[1],
        policies[2]
    );
    for row in cells.chunks(policies.len()) {
        let outcome = |i: usize| storage::summary(&row[i].outcomes);
        outln!(
            "{:<11} {:<10} {:<9} {:<24} {:<24} {:<24}",
            row[0].fault,
            row[0].target,
            row[0].role,
            outcome(0),
            outcome(1),
            outcome(2)
        );
    }
}

fn print_rows(rows: &[Row]) {
    outln!(
        "{:<42} {:>10} {:>9} {:>10} {:>7} {:>5}  note",
        "measure",
        "measured",
        "std.err",
        "reference",
        "ratio",
        "runs"
    );
    for row in rows {
        let std_error = row.std_error.map_or("-".to_string(), |e| format!("{e:.4}"));
        let reference = row.reference.map_or("-".to_string(), |r| format!("{r:.4}"));
        let ratio = row.ratio().map_or("-".to_string(), |r| format!("{r:.3}"));
        outln!(
            "{:<42} {:>10.4} {std_error:>9} {reference:>10} {ratio:>7} {:>5}  {}",
            row.label,
            row.measured,
            row.runs,
            row.note
        );
    }
}
