//! Turns a kernel trace into a report directory:
//!
//! ```text
//! cargo run -q -- run scenarios/kernel/heartbeat-partition-crash.json --trace /tmp/t.jsonl --overwrite
//! cargo run -q -p faultline-report --example trace_report -- /tmp/t.jsonl /tmp/report
//! ```
//!
//! Writes `report.html` (summary, message charts, space-time diagram of the first 200 events),
//! `spacetime.svg` and `spacetime.html`, `messages.png`, `trace.chrome.json` (open in Perfetto)
//! and `trace.shiviz.log` (upload to ShiViz).

use faultline_report::chart::{BarChart, BarGroup, Chart, LegendPosition, Size};
use faultline_report::export::{to_chrome_trace, to_shiviz};
use faultline_report::run_report::{run_report, TraceStats};
use faultline_report::spacetime::{render_html, render_svg, SpaceTimeOptions};
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

    let diagram = SpaceTimeOptions::default();
    let summary = [("trace".to_string(), trace_path.clone())];
    let report = run_report("faultline run report", &summary, &events, &diagram)?;
    std::fs::write(out.join("report.html"), report.to_html()?)?;
    std::fs::write(
        out.join("spacetime.svg"),
        render_svg(&events, &diagram)?.svg,
    )?;
    std::fs::write(out.join("spacetime.html"), render_html(&events, &diagram)?)?;

    let stats = TraceStats::of(&events);
    let sent = Chart::Bar(BarChart {
        title: "Messages sent per node".to_string(),
        x_label: "node".to_string(),
        y_label: "messages".to_string(),
        categories: stats.nodes.iter().map(|(n, _)| n.clone()).collect(),
        groups: vec![BarGroup {
            name: "sent".to_string(),
            values: stats.nodes.iter().map(|(_, c)| c.sent as f64).collect(),
        }],
        legend: LegendPosition::UpperRight,
    });
    std::fs::write(out.join("messages.png"), sent.to_png(Size::new(720, 400))?)?;

    std::fs::write(out.join("trace.chrome.json"), to_chrome_trace(&events)?)?;
    std::fs::write(out.join("trace.shiviz.log"), to_shiviz(&events)?)?;
    println!("{} events -> {}", events.len(), out.display());
    Ok(())
}
