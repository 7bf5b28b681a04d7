//! Adapters that run each protocol under the kernel, and their checks.

pub mod gossip;
pub mod heartbeat;
pub mod raft;
