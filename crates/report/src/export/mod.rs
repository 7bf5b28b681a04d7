//! Trace exports to formats existing viewers open: Chrome trace event JSON (Perfetto,
//! `chrome://tracing`) and ShiViz logs with vector clocks.

mod chrome;
mod clock;
mod shiviz;

pub use chrome::to_chrome_trace;
pub use clock::{vector_clocks, ClockTracker, VectorClock, NETWORK_HOST};
pub use shiviz::{to_shiviz, ShivizLog, SHIVIZ_REGEX};
