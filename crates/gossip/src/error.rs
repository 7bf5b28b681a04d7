//! Error values: bad configuration and bad input never panic.

use thiserror::Error;

/// A configuration value that cannot work, naming the field and what was expected.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[error("invalid config at `{field}`: expected {expected}")]
pub struct ConfigError {
    /// The field path.
    pub field: &'static str,
    /// What a valid value looks like.
    pub expected: &'static str,
}

impl ConfigError {
    pub(crate) fn new(field: &'static str, expected: &'static str) -> Self {
        Self { field, expected }
    }
}

/// Errors returned by the gossip node's inputs.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum GossipError {
    /// The configuration or topology was rejected.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A message claimed to come from this node itself.
    #[error("message from self")]
    FromSelf,
    /// A message that does not fit this node's configuration (e.g. Merkle without a tree).
    #[error("unexpected message: {0}")]
    Unexpected(&'static str),
    /// A Merkle message named a level or node outside the tree.
    #[error("merkle node out of range")]
    MerkleRange,
    /// The operation needs SWIM membership but the node uses a static view.
    #[error("operation needs SWIM membership")]
    NotSwim,
    /// The node has left the cluster and accepts no more operations.
    #[error("node has left")]
    Left,
}
