//! Charts and reports for faultline runs.
//!
//! Everything here works on plain data (series of points, raw samples, trace events), so experiments and the
//! CLI can feed it whatever they measured; nothing depends on the simulator.
//!
//! - [`chart`]: line charts (with dashed theoretical curves and shaded windows), CDFs, histograms
//!   and bar charts, each rendered to SVG text or PNG bytes. PNG text uses a bundled font, so it
//!   renders on a machine without any system fonts.
//! - [`trace`]: the kernel's trace JSON lines as typed events.
//! - [`export`]: Chrome trace event JSON (Perfetto) and ShiViz logs with vector clocks.
//! - [`spacetime`]: a Lamport space-time diagram (SVG and HTML) of a trace.
//! - [`html`]: a self-contained HTML report with a summary table and figures.
//! - [`presets`]: the issue's standard charts (gossip convergence, Raft Figure 16, latency,
//!   throughput with fault windows, fuzz summaries) with fixed titles and axes.
//! - [`run_report`]: a report of one run from its trace alone (counts, per-node messages,
//!   drops by reason, space-time diagram).
//! - [`sweep_page`]: the page of a fuzz sweep (failure groups, what the seeds drew).
//! - [`stats`]: empirical CDFs and sample summaries (median, percentiles).
//! - [`theory`]: mean-field gossip convergence curves to overlay on measured ones.
//!
//! ```
//! use faultline_report::chart::{Axis, Chart, LineChart, Series, Size};
//! use faultline_report::html::{Figure, ImageFormat, Report};
//! use faultline_report::theory::{convergence_curve, Dissemination};
//!
//! let mut chart = LineChart::new("Gossip convergence", Axis::new("round"), Axis::new("informed"));
//! let theory = convergence_curve(Dissemination::PushPull, 64, 1, 10)?;
//! chart.series.push(Series::dashed("push-pull (theory)", theory));
//! let chart = Chart::Line(chart);
//!
//! let mut report = Report::new("Gossip, 64 nodes");
//! report.summary.push(("seed".into(), "7".into()));
//! report.figures.push(Figure::chart("Convergence", &chart, Size::new(640, 400), ImageFormat::Svg)?);
//! report.figures.push(Figure::chart("Convergence", &chart, Size::new(640, 400), ImageFormat::Png)?);
//! let html = report.to_html()?;
//! assert!(html.contains("push-pull (theory)") && html.contains("data:image/png;base64,"));
//! # Ok::<(), faultline_report::ReportError>(())
//! ```
#![warn(missing_docs)]

pub mod chart;
mod encode;
mod error;
pub mod export;
mod font;
pub mod html;
pub mod presets;
pub mod run_report;
pub mod spacetime;
pub mod stats;
pub mod sweep_page;
pub mod theory;
pub mod trace;

pub use error::ReportError;
