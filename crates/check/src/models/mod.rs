//! The sequential models shipped with the checker.

pub mod kv;
pub mod mutex;
pub mod queue;
pub mod register;
pub mod set;
pub mod text;
