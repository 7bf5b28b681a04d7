//! The whole `faultline` command line with a protocol of your own, chain replication:
//!
//! ```sh
//! cargo run --example chain -- run examples/chain/scenario.json
//! cargo run --example chain -- fuzz examples/chain/template.json --seeds 0..100 --out /tmp/chain
//! cargo run --example chain -- campaign examples/chain/template.json --seeds 200
//! ```

mod protocol;

use faultline_harness::protocol::Registry;

fn main() -> std::process::ExitCode {
    faultline::cli::main_with(Registry::new().with(protocol::Chain))
}
