//! Scenario files, protocol adapters, and the driver that runs a scenario and checks it.
//!
//! What a user needs: [`scenario`] (load and validate scenario files), [`run()`] and its
//! [`RunReport`], [`fuzz`] (templates, sweeps, shrinking, the campaign, and
//! [`fuzz::assert_seeds_pass`] for `cargo test`), [`protocol`] (protocols of one's own),
//! [`figures`] (chart data) and [`experiments`] (published measurements re-run).
#![warn(missing_docs)]

mod driver;
pub mod experiments;
pub mod figures;
pub mod files;
pub mod fuzz;
pub mod probes;
pub mod protocol;
mod protocols;
mod report;
mod run;
pub mod scenario;

pub use report::{CheckOutcome, Focus, OpTiming, RunReport};
pub use run::{run, RunOptions};
