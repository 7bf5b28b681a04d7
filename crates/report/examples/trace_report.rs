//! Turns a kernel trace into a report directory:
//!
//! ```text
//! cargo run -q -- run scenarios/kernel/heartbeat-partition-crash.json --trace /tmp/t.jsonl --overwrite
//! cargo run -q -p faultline-report --example trace_report -- /tmp/t.jsonl /tmp/report
//! ```
//!
//! Writes every file of [`faultline_report::run_report::run_artifacts`] (`faultline run
//! --report DIR` does the same for a run).

use faultline_report::run_report::run_artifacts;
use faultline_report::spacetime::SpaceTimeOptions;
use faultline_report::trace::parse_jsonl;
use std::error::Error;
use std::path::PathBuf;

fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [trace_path, out_dir] = args.as_slice() else {
        return Err("usage: trace_report TRACE.jsonl OUT_DIR".into());
    };
    let events = parse_jsonl(&std::fs::read_to_string(trace_path)?)?;
    let out = PathBuf::from(out_dir);
    std::fs::create_dir_all(&out)?;
    let summary = [("trace".to_string(), trace_path.clone())];
    for (name, bytes) in run_artifacts(
        "faultline run report",
        &summary,
        &events,
        &SpaceTimeOptions::default(),
        Vec::new(),
        Vec::new(),
    )? {
        std::fs::write(out.join(name), bytes)?;
    }
    println!("{} events -> {}", events.len(), out.display());
    Ok(())
}
