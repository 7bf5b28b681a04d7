//! Anti-entropy exchanges: root digests, then Scuttlebutt summaries and deltas or a Merkle
//! descent to the differing buckets.

use super::GossipNode;
use crate::bandwidth::Transport;
use crate::config::{Exchange, Reconciliation};
use crate::dots::DotSet;
use crate::error::GossipError;
use crate::merkle::MerkleTree;
use crate::message::Body;
use crate::probe::Probe;
use crate::store::Update;
use rand_core::RngCore;

impl GossipNode {
    /// Handles one anti-entropy message body.
    pub(super) fn on_sync(&mut self, from: u64, body: Body) -> Result<(), GossipError> {
        match body {
            Body::SyncDigest { root, exchange } => return self.on_digest(from, root, exchange),
            Body::SyncSummary { context, exchange } => {
                if exchange.pushes() {
                    self.send_delta(from, &context, exchange.pulls());
                } else {
                    let context = self.store.context().clone();
                    self.send(from, Body::SyncRequest { context });
                }
            }
            Body::SyncRequest { context } => self.send_delta(from, &context, false),
            Body::SyncDelta {
                updates,
                context,
                complete,
                answers,
                reply,
            } => {
                // The sender left out what the context it answers holds: joining its context
                // is sound only while this node still holds that context.
                let answered = answers == self.store.context().fingerprint();
                for u in &updates {
                    self.absorb(u);
                }
                if complete && answered {
                    self.store.union_context(&context);
                } else if complete {
                    self.probes |= Probe::DeltaContextNotJoined.bit();
                }
                if reply {
                    self.send_delta(from, &context, false);
                }
            }
            Body::MerkleNodes {
                level,
                nodes,
                exchange,
                from_initiator,
            } => return self.on_merkle_nodes(from, level, &nodes, exchange, from_initiator),
            Body::MerkleLeaves {
                buckets,
                updates,
                reply,
            } => return self.on_merkle_leaves(from, buckets, &updates, reply),
            _ => return Err(GossipError::Unexpected("not an anti-entropy message")),
        }
        Ok(())
    }

    fn on_digest(&mut self, from: u64, root: u64, exchange: Exchange) -> Result<(), GossipError> {
        if root == self.store.digest() {
            return Ok(());
        }
        match self.config.reconciliation {
            Reconciliation::Scuttlebutt => {
                let context = self.store.context().clone();
                self.send(from, Body::SyncSummary { context, exchange });
            }
            Reconciliation::Merkle(_) | Reconciliation::MerkleOneWay(_) => {
                let nodes = self.tree()?.children(0, 0);
                self.send(
                    from,
                    Body::MerkleNodes {
                        level: 1,
                        nodes,
                        exchange,
                        from_initiator: false,
                    },
                );
            }
        }
        Ok(())
    }

    /// Sends the versions `theirs` lacks, with this node's context.
    fn send_delta(&mut self, to: u64, theirs: &DotSet, reply: bool) {
        let context = self.store.context().clone();
        let (updates, complete) = self.store.missing(
            theirs,
            self.data_budget(context.size_bytes(), Transport::Stream),
        );
        self.send(
            to,
            Body::SyncDelta {
                updates,
                context,
                complete,
                answers: theirs.fingerprint(),
                reply,
            },
        );
    }

    fn tree(&self) -> Result<&MerkleTree, GossipError> {
        self.store.merkle().ok_or(GossipError::Unexpected(
            "Merkle message without a Merkle tree",
        ))
    }

    fn on_merkle_nodes(
        &mut self,
        from: u64,
        level: u32,
        nodes: &[(u64, u64)],
        exchange: Exchange,
        from_initiator: bool,
    ) -> Result<(), GossipError> {
        let tree = self.tree()?;
        let depth = tree.shape().depth;
        if level == 0 || level > depth {
            return Err(GossipError::MerkleRange);
        }
        let mut differing = Vec::new();
        for (index, hash) in nodes {
            if tree.node(level, *index).ok_or(GossipError::MerkleRange)? != *hash {
                differing.push(*index);
            }
        }
        if differing.is_empty() {
            return Ok(());
        }
        let all_differ = differing.len() == nodes.len() && nodes.len() > 1;
        let i_initiate = !from_initiator;
        if level < depth {
            let max = self.data_budget(0, Transport::Stream) / 16;
            let children: Vec<(u64, u64)> = differing
                .iter()
                .flat_map(|i| tree.children(level, *i))
                .take(max.max(1))
                .collect();
            self.all_ranges_differ(all_differ);
            let body = Body::MerkleNodes {
                level: level + 1,
                nodes: children,
                exchange,
                from_initiator: i_initiate,
            };
            self.send(from, body);
            return Ok(());
        }
        self.all_ranges_differ(all_differ);
        let (i_give, they_give) = if i_initiate {
            (exchange.pushes(), exchange.pulls())
        } else {
            (exchange.pulls(), exchange.pushes())
        };
        let updates = if i_give {
            self.bucket_updates(&differing, &[])
        } else {
            Vec::new()
        };
        self.send(
            from,
            Body::MerkleLeaves {
                buckets: differing,
                updates,
                reply: they_give,
            },
        );
        Ok(())
    }

    /// Marks [`Probe::MerkleAllRangesDiffer`] when `all_differ`.
    fn all_ranges_differ(&mut self, all_differ: bool) {
        if all_differ {
            self.probes |= Probe::MerkleAllRangesDiffer.bit();
        }
    }

    /// This node's versions in `buckets` except those in `known` (what the peer just sent),
    /// within the budget, from a random rotation.
    fn bucket_updates(&mut self, buckets: &[u64], known: &[Update]) -> Vec<Update> {
        let budget = self.data_budget(8 * buckets.len(), Transport::Stream);
        let rotation = self.rng.next_u64();
        self.store.in_buckets(buckets, known, budget, rotation).0
    }

    fn on_merkle_leaves(
        &mut self,
        from: u64,
        buckets: Vec<u64>,
        updates: &[Update],
        reply: bool,
    ) -> Result<(), GossipError> {
        let shape = self.tree()?.shape();
        if buckets.iter().any(|b| *b >= shape.width(shape.depth)) {
            return Err(GossipError::MerkleRange);
        }
        for u in updates {
            self.absorb(u);
        }
        if reply {
            // One way: after the merge, what the peer sent or superseded is common to both.
            let known = if self.config.reconciliation.one_way() {
                updates
            } else {
                &[]
            };
            let updates = self.bucket_updates(&buckets, known);
            self.send(
                from,
                Body::MerkleLeaves {
                    buckets,
                    updates,
                    reply: false,
                },
            );
        }
        Ok(())
    }
}
