//! Adapters that run each protocol under the kernel, and their checks.

pub mod gossip;
pub mod heartbeat;
pub mod raft;

use crate::protocol::DynProtocol;

/// The protocol whose expectations have a field named `field`: a built-in one, else an
/// installed one.
pub(crate) fn expectation_owner(field: &str) -> Option<&'static str> {
    let built_in: [&dyn DynProtocol; 3] = [&heartbeat::Heartbeat, &gossip::Gossip, &raft::Raft];
    let installed = crate::protocol::installed();
    let owner = built_in
        .into_iter()
        .chain(installed.iter().map(|protocol| protocol.as_ref()))
        .find(|protocol| protocol.expectations().contains(&field))
        .map(|protocol| protocol.name());
    owner
}
