//! Histories, sequential models and a linearizability checker.
//!
//! - [`History`] holds client operations with invocation and completion times;
//!   indeterminate operations (timeouts, Jepsen `:info`) may take effect at any point
//!   after their invocation, or never.
//! - [`Model`] is a sequential specification; [`RegisterModel`], [`KvModel`],
//!   [`SetModel`], [`FifoQueueModel`], [`UnorderedQueueModel`] and [`MutexModel`] ship
//!   (Knossos' `register`/`cas-register`, `set`, `fifo-queue`, `unordered-queue`, `mutex`).
//! - [`check`] partitions the history by key when the model allows, cuts each
//!   partition at quiescent points and runs a Wing–Gong/Lowe search per segment,
//!   carrying the set of reachable states across; every partition is searched, in
//!   parallel, under deterministic step and memory budgets ([`analyze`] gives each
//!   partition's linearization or longest prefix).
//! - [`formats`] reads faultline JSON, Jepsen EDN and Porcupine etcd logs;
//!   [`formats::check_file`] loads and checks one file.
//!
//! Nothing here reads a clock, draws a random number or iterates a hash map: a
//! history, a model and a step budget determine the verdict and the counterexample.
//!
//! ```
//! use faultline_check::{check, CheckOptions, History, RegisterInput, RegisterModel, RegisterOutput};
//!
//! let mut h = History::new();
//! h.push_complete(0, 0, 10, RegisterInput::Write(1), RegisterOutput::Ok);
//! h.push_complete(1, 20, 30, RegisterInput::Read, RegisterOutput::Value(None));
//! let verdict = check(&RegisterModel, &h, &CheckOptions::default());
//! assert_eq!(verdict.linearizable(), Some(false));
//! println!("{verdict}");
//! ```
#![warn(missing_docs)]

mod checker;
mod counterexample;
mod events;
pub mod formats;
mod frontier;
mod hashing;
mod history;
mod memo;
mod model;
pub mod models;
mod plan;
mod search;
pub mod view;

pub use checker::{
    analyze, check, Analysis, CheckOptions, Exhausted, PartitionAnalysis, PartitionResult, Verdict,
    DEFAULT_MAX_MEMORY, DEFAULT_MAX_STEPS,
};
pub use counterexample::{Counterexample, OpSummary};
pub use history::{History, Operation};
pub use model::Model;
pub use models::kv::{KvInput, KvModel, KvOutput};
pub use models::mutex::{MutexInput, MutexModel, MutexOutput};
pub use models::queue::{FifoQueueModel, QueueInput, QueueOutput, UnorderedQueueModel};
pub use models::register::{RegisterInput, RegisterModel, RegisterOutput};
pub use models::set::{SetInput, SetModel, SetOutput};
