//! Adapters that run each protocol under the kernel, and their checks.

pub mod heartbeat;
pub mod raft;
