//! Anti-entropy repair cost: two replicas hold the same `n` keys, one rewrites `d` of them, and
//! the replicas run push-pull exchanges until they agree again. The bytes they send, counted by
//! the messages' own size estimates, are compared across reconciliation schemes (Scuttlebutt
//! digests, the fixed 4,096-bucket Merkle tree, trees sized for `n`) and a full-state exchange.
//!
//! The two gossip cores are driven by hand (no network, no loss, no SWIM): the figure is the
//! protocol's own cost, not the simulator's.

use super::Row;
use crate::protocols::gossip::{MerkleTreeSpec, MERKLE_SHAPE};
use faultline_gossip::{
    Body, Config, Exchange, GossipNode, Membership, Message, Mode, Reconciliation,
};
use rand_chacha::ChaCha8Rng;
use rand_core::SeedableRng;

/// The differing-key counts of the table.
pub const DIFFERENCES: [u32; 4] = [1, 10, 100, 10_000];

/// Exchange rounds after which a repair that has not converged is reported as such.
const MAX_ROUNDS: u32 = 1_000;

/// A reconciliation scheme under test.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// Scuttlebutt per-origin summaries and deltas.
    Digest,
    /// The scenarios' `"merkle"`: 16-way, 3 levels, buckets shipped both ways.
    FixedMerkle,
    /// `{"merkle_tree": {"fanout_bits": b}}`: depth following the key count, one way.
    MerkleTree {
        /// log2 of the branching.
        fanout_bits: u32,
    },
}

impl Method {
    /// Every scheme in table order.
    pub const ALL: [Method; 4] = [
        Method::Digest,
        Method::FixedMerkle,
        Method::MerkleTree { fanout_bits: 4 },
        Method::MerkleTree { fanout_bits: 1 },
    ];

    /// The core's reconciliation for `n` keys, as a scenario would configure it.
    pub fn reconciliation(self, n: u32) -> Reconciliation {
        match self {
            Method::Digest => Reconciliation::Scuttlebutt,
            Method::FixedMerkle => Reconciliation::Merkle(MERKLE_SHAPE),
            Method::MerkleTree { fanout_bits } => Reconciliation::MerkleOneWay(
                MerkleTreeSpec {
                    fanout_bits,
                    depth: None,
                }
                .shape(n),
            ),
        }
    }

    /// The scheme's name in the table, with its tree shape for `n` keys.
    pub fn label(self, n: u32) -> String {
        match self.reconciliation(n) {
            Reconciliation::Scuttlebutt => "digest".to_string(),
            Reconciliation::Merkle(s) => {
                format!("merkle ({}-way, depth {})", s.fanout(), s.depth)
            }
            Reconciliation::MerkleOneWay(s) => {
                format!("merkle_tree ({}-way, depth {})", s.fanout(), s.depth)
            }
        }
    }
}

/// What one repair cost.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Repair {
    /// Bytes both replicas sent.
    pub bytes: u64,
    /// Exchange rounds (the initiator's gossip rounds) until the digests matched.
    pub rounds: u32,
    /// False when the digests still differed after 1,000 rounds (`MAX_ROUNDS`).
    pub converged: bool,
}

fn replica(id: u64, reconciliation: Reconciliation) -> GossipNode {
    let config = Config {
        mode: Mode::AntiEntropy(Exchange::PushPull),
        reconciliation,
        stagger: false,
        ..Config::default()
    };
    let stream = ChaCha8Rng::seed_from_u64(0x6d65_726b_6c65 + id);
    GossipNode::new(id, config, Membership::Static { nodes: 2 }, None, stream)
        .expect("the experiment's configurations are valid")
}

/// Every version `node` holds, as one message carrying its whole state.
fn full_state(node: &GossipNode) -> Message {
    let body = Body::full_state(node.store());
    Message {
        body,
        members: Vec::new(),
    }
}

/// Two equal replicas of `n` keys (`key-0..`), then replica 1 rewrites `d` of them.
fn diverged(reconciliation: Reconciliation, n: u32, d: u32) -> (GossipNode, GossipNode) {
    let mut a = replica(0, reconciliation);
    let mut b = replica(1, reconciliation);
    for i in 0..n {
        a.put(0, &format!("key-{i}"), b"value".to_vec())
            .expect("a static node accepts writes");
    }
    b.handle_message(0, 0, full_state(&a))
        .expect("a full state applies");
    // 7 is prime to 10^k, so the rewritten keys are distinct while d <= n.
    for i in 0..u64::from(d) {
        let key = format!("key-{}", i * 7 % u64::from(n));
        b.put(1, &key, b"changed".to_vec())
            .expect("a static node accepts writes");
    }
    (a, b)
}

/// Delivers messages between the two replicas until neither has any; returns their bytes.
fn pump(now: u64, nodes: &mut [GossipNode; 2]) -> u64 {
    let mut bytes = 0;
    loop {
        let mut quiet = true;
        for from in 0..2 {
            for (to, msg) in nodes[from].take_outputs() {
                quiet = false;
                bytes += msg.size_bytes() as u64;
                nodes[to as usize]
                    .handle_message(now, from as u64, msg)
                    .expect("replicas of one configuration understand each other");
            }
        }
        if quiet {
            return bytes;
        }
    }
}

/// The cost of repairing `d` differing keys out of `n` with `method`.
pub fn repair(method: Method, n: u32, d: u32) -> Repair {
    let (a, b) = diverged(method.reconciliation(n), n, d);
    let mut nodes = [a, b];
    let mut repair = Repair {
        bytes: 0,
        rounds: 0,
        converged: false,
    };
    while repair.rounds < MAX_ROUNDS && nodes[0].digest() != nodes[1].digest() {
        let now = nodes[0]
            .poll_timeout()
            .expect("an anti-entropy node has a round timer");
        nodes[0].handle_timeout(now);
        repair.bytes += pump(now, &mut nodes);
        repair.rounds += 1;
    }
    repair.converged = nodes[0].digest() == nodes[1].digest();
    repair
}

/// Bytes of one replica's whole state of `n` keys in one message (the full exchange's one way).
pub fn full_exchange_bytes(n: u32) -> u64 {
    let (a, _) = diverged(Reconciliation::Scuttlebutt, n, 0);
    full_state(&a).size_bytes() as u64
}

/// One row per (d, scheme): bytes to repair, against the full exchange; `on_run` after each
/// repair.
pub fn repair_table(n: u32, differences: &[u32], on_run: &dyn Fn()) -> Vec<Row> {
    let full = full_exchange_bytes(n) as f64;
    let log_n = f64::from(n).log2();
    let mut rows = Vec::new();
    for &d in differences {
        let mut digest_bytes = None;
        for method in Method::ALL {
            let r = repair(method, n, d);
            on_run();
            let bytes = r.bytes as f64;
            let digest = *digest_bytes.get_or_insert(bytes);
            let per_key = bytes / f64::from(d.max(1));
            rows.push(Row {
                label: format!("d = {d}: {}", method.label(n)),
                measured: bytes,
                std_error: None,
                reference: Some(full),
                runs: 1,
                note: format!(
                    "{per_key:.0} B/key ({:.1} B per key and log2 n), {:.2}x digest, {} round(s){}",
                    per_key / log_n,
                    bytes / digest,
                    r.rounds,
                    if r.converged { "" } else { ", NOT converged" }
                ),
            });
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sized_tree_repairs_one_way_and_cheaper_than_the_fixed_tree() {
        let n = 4096;
        let sized = repair(Method::MerkleTree { fanout_bits: 4 }, n, 8);
        let fixed = repair(Method::FixedMerkle, n, 8);
        assert!(sized.converged && fixed.converged);
        assert!(sized.bytes < fixed.bytes, "{sized:?} vs {fixed:?}");
        assert!(sized.bytes < full_exchange_bytes(n));
        let none = repair(Method::MerkleTree { fanout_bits: 4 }, n, 0);
        assert_eq!((none.bytes, none.rounds), (0, 0));
    }
}
