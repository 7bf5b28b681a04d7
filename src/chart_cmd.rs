//! `faultline chart`: experiments drawn as SVG and PNG charts inside a self-contained HTML page.

use crate::output::{prepare_output_dir, write_file};
use crate::progress::{command_line, Watch};
use crate::EXIT_OK;
use anyhow::Result;
use faultline_harness::experiments::{check_nodes, check_runs, gossip, raft};
use faultline_report::chart::{BarChart, BarGroup, Chart, LegendPosition, Samples, Series, Size};
use faultline_report::html::{Figure, ImageFormat, Report};
use faultline_report::presets;
use faultline_report::theory::{convergence_curve, Dissemination};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;
use std::path::{Path, PathBuf};

/// Which chart to draw.
#[derive(clap::Subcommand)]
pub enum ChartKind {
    /// Fraction of nodes holding one update over synchronous rounds for push, pull, push-pull and
    /// rumor mongering, with the mean-field curves dashed; one chart per cluster size.
    GossipConvergence {
        /// Output folder.
        #[arg(long, default_value = "reports/gossip-convergence")]
        out: PathBuf,
        /// Cluster sizes.
        #[arg(long, num_args = 1.., default_values_t = vec![1000, 10_000])]
        nodes: Vec<u32>,
        /// Replace files that exist.
        #[arg(long)]
        overwrite: bool,
    },
    /// The Raft paper's Figure 16: CDF of the time without a leader after the leader crashes,
    /// one line per election-timeout range (5 servers, about 15 ms broadcast time).
    RaftElections {
        /// Output folder.
        #[arg(long, default_value = "reports/raft-elections")]
        out: PathBuf,
        /// Trials per timeout range.
        #[arg(long, default_value_t = 1000)]
        trials: u64,
        /// Replace files that exist.
        #[arg(long)]
        overwrite: bool,
    },
}

/// The dissemination modes drawn: label, scenario mode, theory model.
fn modes() -> [(&'static str, serde_json::Value, Dissemination); 4] {
    [
        ("push", json!("push"), Dissemination::Push),
        ("pull", json!("pull"), Dissemination::Pull),
        ("push-pull", json!("push_pull"), Dissemination::PushPull),
        (
            "rumor k=2 (coin, feedback)",
            json!({ "rumor": { "k": 2, "feedback": true, "loss": "coin" } }),
            Dissemination::Rumor {
                k: 2,
                feedback: true,
            },
        ),
    ]
}

/// Draws the chart; writes SVG and PNG files and `report.html` into the output folder.
pub fn execute(kind: ChartKind) -> Result<u8> {
    match kind {
        ChartKind::GossipConvergence {
            out,
            nodes,
            overwrite,
        } => gossip_convergence(&out, &nodes, overwrite),
        ChartKind::RaftElections {
            out,
            trials,
            overwrite,
        } => raft_elections(&out, trials, overwrite),
    }
}

/// Watches a chart's runs: on Ctrl-C, says what is in `out` (`kept`) and how to draw it again.
fn chart_watch(bar: &ProgressBar, out: &Path, kept: &'static str) -> Watch {
    let out = out.display().to_string();
    Watch::start(bar, move || {
        format!(
            "{kept} in {out}; report.html is written only at the end. Charts do not resume; draw them again (with --overwrite if the folder is not empty):\n  {}",
            command_line()
        )
    })
}

fn raft_elections(out: &Path, trials: u64, overwrite: bool) -> Result<u8> {
    check_runs("--trials", trials)?;
    prepare_output_dir(out, overwrite, "--out")?;
    let bar = ProgressBar::new(trials * raft::FIGURE16_RANGES.len() as u64);
    bar.set_style(
        ProgressStyle::with_template("{bar:30} {pos}/{len} trials, {per_sec}, ETA {eta}")
            .expect("static template"),
    );
    let watch = chart_watch(&bar, out, "no chart was drawn yet");
    let samples: Vec<Samples> = raft::figure16(trials, &|| bar.inc(1))
        .into_iter()
        .map(|((min, max), values)| Samples::new(format!("{min}-{max} ms"), values))
        .collect();
    drop(watch);
    bar.finish_and_clear();
    let mut report =
        Report::new("Raft: time without a leader after the leader crashes (the paper's Figure 16)");
    report.summary.push((
        "setup".into(),
        format!("5 servers, latency {}-{} ms each way, heartbeat half the minimum timeout, no pre-vote or check-quorum (as in the paper); {trials} trials per range", raft::LATENCY_MS.0, raft::LATENCY_MS.1),
    ));
    report.summary.extend(presets::election_summary(&samples)?);
    for s in &samples {
        let stuck = s.values.iter().filter(|v| **v >= raft::GIVE_UP_MS).count();
        if stuck > 0 {
            report.summary.push((
                format!("{} split votes", s.name),
                format!(
                    "{stuck} of {} trials without a new leader within 10 s (plotted at 10 s)",
                    s.values.len()
                ),
            ));
        }
    }
    // The raw downtimes (to the microsecond), so readers can redo the chart's statistics.
    let data: serde_json::Map<String, serde_json::Value> = samples
        .iter()
        .map(|s| {
            let micros: Vec<f64> = s.values.iter().map(|v| (v * 1e3).round() / 1e3).collect();
            (s.name.clone(), json!(micros))
        })
        .collect();
    write_file(
        &out.join("raft-elections.json"),
        serde_json::to_string(&data)?.as_bytes(),
        overwrite,
    )?;
    let chart = presets::election_downtime(samples);
    write_chart(out, "raft-elections", &chart, overwrite)?;
    report.figures.push(Figure::chart(
        "Cumulative fraction of trials by time without a leader",
        &chart,
        Size::new(800, 480),
        ImageFormat::Svg,
    )?);
    write_html(out, &report, overwrite)
}

fn write_html(out: &Path, report: &Report, overwrite: bool) -> Result<u8> {
    let html = out.join("report.html");
    write_file(&html, report.to_html()?.as_bytes(), overwrite)?;
    for (key, value) in &report.summary {
        outln!("{key:<26} {value}");
    }
    outln!("wrote {}", html.display());
    Ok(EXIT_OK)
}

fn gossip_convergence(out: &Path, nodes: &[u32], overwrite: bool) -> Result<u8> {
    for &n in nodes {
        check_nodes("--nodes", n)?;
    }
    prepare_output_dir(out, overwrite, "--out")?;
    let bar = ProgressBar::new((nodes.len() * modes().len()) as u64);
    bar.set_style(
        ProgressStyle::with_template("{bar:30} {pos}/{len} runs {msg}").expect("static template"),
    );
    let mut report =
        Report::new("Gossip convergence: measured (solid) and mean-field theory (dashed)");
    report.summary.push((
        "model".into(),
        "synchronous rounds of 1 s, 1 ms latency, fanout 1, one write half-way through round 0"
            .into(),
    ));
    let watch = chart_watch(
        &bar,
        out,
        "the charts of the cluster sizes already done are",
    );
    let mut costs = Vec::new();
    for &n in nodes {
        let mut measured = Vec::new();
        let mut theory = Vec::new();
        for (label, mode, model) in modes() {
            bar.set_message(format!("{label}, n = {n}"));
            let spread = gossip::dissemination(mode, n, 1);
            report
                .summary
                .push((format!("n = {n}, {label}"), spread.reach_summary(n)));
            let curve = spread.curve;
            costs.push(UpdateCost {
                mode: label,
                nodes: n,
                messages: spread.messages,
                bytes: spread.bytes,
            });
            let rounds = curve.last().map_or(10.0, |(x, _)| x.ceil()) as usize + 1;
            measured.push(Series::solid(label, thin(&curve, 400)));
            theory.push(Series::dashed(
                format!("{label} (theory)"),
                convergence_curve(model, n as usize, 1, rounds)?,
            ));
            bar.inc(1);
        }
        let chart = presets::gossip_convergence(measured, theory, "rounds since the write");
        write_chart(out, &format!("gossip-convergence-{n}"), &chart, overwrite)?;
        let caption = format!("{n} nodes");
        report.figures.push(Figure::chart(
            &caption,
            &chart,
            Size::new(800, 480),
            ImageFormat::Svg,
        )?);
    }
    drop(watch);
    bar.finish_and_clear();
    for (stem, chart) in update_costs(&costs, nodes) {
        write_chart(out, stem, &chart, overwrite)?;
        report.figures.push(Figure::chart(
            "Cost of one update until it stopped spreading (every node holds it, or the rumor died out), per node, by mode and cluster size",
            &chart,
            Size::new(800, 480),
            ImageFormat::Svg,
        )?);
    }
    write_html(out, &report, overwrite)
}

/// What one update cost a mode at a cluster size, until it stopped spreading: every node held
/// it, or (a rumor) it died out.
struct UpdateCost {
    mode: &'static str,
    nodes: u32,
    messages: u64,
    bytes: u64,
}

/// Bar charts of what one update cost each mode until it stopped spreading: messages and bytes
/// sent per node, one bar per cluster size.
fn update_costs(costs: &[UpdateCost], nodes: &[u32]) -> [(&'static str, Chart); 2] {
    let modes: Vec<String> = modes()
        .iter()
        .map(|(label, ..)| label.to_string())
        .collect();
    let per_node = |value: fn(&UpdateCost) -> u64| -> Vec<BarGroup> {
        nodes
            .iter()
            .map(|&n| BarGroup {
                name: format!("{n} nodes"),
                values: modes
                    .iter()
                    .map(|mode| {
                        costs
                            .iter()
                            .find(|c| c.mode == mode && c.nodes == n)
                            .map_or(0.0, |c| value(c) as f64 / f64::from(n))
                    })
                    .collect(),
            })
            .collect()
    };
    let chart = |title: &str, y_label: &str, groups| {
        Chart::Bar(BarChart {
            title: title.to_string(),
            x_label: "mode".to_string(),
            y_label: y_label.to_string(),
            categories: modes.clone(),
            groups,
            legend: LegendPosition::UpperRight,
        })
    };
    [
        (
            "messages-per-update",
            chart(
                "Messages per update",
                "messages sent per node",
                per_node(|c| c.messages),
            ),
        ),
        (
            "bytes-per-update",
            chart(
                "Bytes per update",
                "bytes sent per node",
                per_node(|c| c.bytes),
            ),
        ),
    ]
}

/// At most about `points` points of a monotone curve: keeps the first and last, and every point
/// where the value moved by at least 1/`points` since the last kept one.
fn thin(curve: &[(f64, f64)], points: usize) -> Vec<(f64, f64)> {
    let step = 1.0 / points as f64;
    let mut kept: Vec<(f64, f64)> = Vec::new();
    for (i, &point) in curve.iter().enumerate() {
        let moved = kept
            .last()
            .is_none_or(|last| (point.1 - last.1).abs() >= step);
        if moved || i + 1 == curve.len() {
            kept.push(point);
        }
    }
    kept
}

fn write_chart(dir: &Path, stem: &str, chart: &Chart, overwrite: bool) -> Result<()> {
    let size = Size::new(800, 480);
    write_file(
        &dir.join(format!("{stem}.svg")),
        chart.to_svg(size)?.as_bytes(),
        overwrite,
    )?;
    write_file(
        &dir.join(format!("{stem}.png")),
        &chart.to_png(size)?,
        overwrite,
    )?;
    Ok(())
}
