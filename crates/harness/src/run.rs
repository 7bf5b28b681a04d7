//! Runs a scenario: looks its protocol up (a built-in one or one registered with
//! [`crate::protocol::Registry`]) and lets it run and check the scenario.

use crate::protocol::{registered, DynProtocol};
use crate::protocols::{gossip::Gossip, heartbeat::Heartbeat, raft::Raft};
use crate::report::RunReport;
use crate::scenario::{ProtocolSpec, Scenario};
use std::sync::Arc;

pub use crate::driver::RunOptions;

/// Runs `scenario` to its end and checks it.
pub fn run(scenario: &Scenario, options: RunOptions) -> std::io::Result<RunReport> {
    protocol_of(&scenario.protocol)?.run(scenario, options)
}

/// The protocol that runs `spec`.
fn protocol_of(spec: &ProtocolSpec) -> std::io::Result<Arc<dyn DynProtocol>> {
    match spec {
        ProtocolSpec::Heartbeat(_) => Ok(Arc::new(Heartbeat)),
        ProtocolSpec::Gossip(_) => Ok(Arc::new(Gossip)),
        ProtocolSpec::Raft(_) => Ok(Arc::new(Raft)),
        ProtocolSpec::Registered { name, .. } => registered(name).ok_or_else(|| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("protocol {name:?} is not registered in this process"),
            )
        }),
    }
}
