//! Scenario files, protocol adapters, and the driver that runs a scenario and checks it.
#![warn(missing_docs)]

mod driver;
pub mod experiments;
pub mod files;
pub mod fuzz;
pub mod protocol;
pub mod protocols;
pub mod report;
pub mod run;
pub mod scenario;

pub use report::{CheckOutcome, Focus, OpTiming, RunReport};
pub use run::{run, RunOptions};
