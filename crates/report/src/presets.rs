//! The standard charts with their titles and axes fixed, so every experiment draws them
//! the same way: gossip convergence, Raft Figure 16, client latency, throughput with fault
//! windows, fuzz failures by check and run lengths.

use crate::chart::{
    Axis, BarChart, BarGroup, CdfChart, Chart, HistogramChart, LegendPosition, LineChart,
    LineStyle, Samples, Series, Window,
};
use crate::stats::SampleSummary;
use crate::ReportError;

/// Fraction of live nodes holding an update over time: `measured` curves (one per mode and
/// cluster size) solid, `theory` curves dashed after them; `theory[i]` takes the colour of
/// `measured[i]` unless it has one, so a curve and its prediction match.
pub fn gossip_convergence(measured: Vec<Series>, theory: Vec<Series>, time_label: &str) -> Chart {
    let mut c = LineChart::new(
        "Gossip convergence",
        Axis::new(time_label),
        Axis::new("fraction of live nodes holding the update").with_range(0.0, 1.0),
    );
    let solid = measured.into_iter().enumerate().map(|(i, s)| Series {
        style: LineStyle::Solid,
        color: s.color.or(Some(i)),
        ..s
    });
    c.series = solid.collect();
    let dashed = theory.into_iter().enumerate().map(|(i, s)| Series {
        style: LineStyle::Dashed,
        color: s.color.or(Some(i)),
        ..s
    });
    c.series.extend(dashed);
    Chart::Line(c)
}

/// Raft Figure 16: CDF of the time without a leader after the leader crashes, one line per
/// election-timeout range (samples in milliseconds), on a log time axis as in the paper.
pub fn election_downtime(ranges: Vec<Samples>) -> Chart {
    Chart::Cdf(CdfChart {
        title: "Election downtime after leader crash".to_string(),
        x: Axis::new("time without leader (ms)").log_scale(),
        y_label: "cumulative fraction of trials".to_string(),
        series: ranges,
        legend: LegendPosition::LowerRight,
    })
}

/// Summary rows for Figure 16: per range, the trial count, median, 99th percentile and worst
/// case in milliseconds (the numbers the paper quotes).
pub fn election_summary(ranges: &[Samples]) -> Result<Vec<(String, String)>, ReportError> {
    ranges
        .iter()
        .map(|r| {
            let s = SampleSummary::of(&r.values)
                .map_err(|e| ReportError::input(format!("range {:?}: {e}", r.name)))?;
            Ok((
                r.name.clone(),
                format!(
                    "{} trials: median {:.0} ms, p99 {:.0} ms, worst {:.0} ms",
                    s.count, s.median, s.p99, s.max
                ),
            ))
        })
        .collect()
}

/// Client latency histogram (samples in milliseconds, one set per operation kind).
pub fn client_latency(samples: Vec<Samples>, bins: usize) -> Chart {
    Chart::Histogram(HistogramChart {
        title: "Client latency".to_string(),
        x: Axis::new("latency (ms)"),
        y_label: "operations".to_string(),
        series: samples,
        bins,
        legend: LegendPosition::UpperRight,
    })
}

/// Throughput over time (seconds) with fault windows shaded and labelled; the y axis starts at 0.
pub fn throughput(series: Vec<Series>, faults: Vec<Window>) -> Chart {
    over_time("Throughput", "operations per second", series, faults)
}

/// Messages sent (by every node and client) per completed client operation, per time window
/// (seconds), with fault windows shaded: what each fault costs in traffic.
pub fn messages_per_operation(series: Vec<Series>, faults: Vec<Window>) -> Chart {
    over_time(
        "Messages per operation",
        "messages sent per completed operation",
        series,
        faults,
    )
}

/// A time series (seconds) with fault windows shaded and labelled; the y axis starts at 0.
fn over_time(title: &str, y_label: &str, series: Vec<Series>, faults: Vec<Window>) -> Chart {
    let top = series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.1))
        .fold(0.0, f64::max);
    let mut c = LineChart::new(
        title,
        Axis::new("time (s)"),
        Axis::new(y_label).with_range(0.0, if top > 0.0 { top * 1.1 } else { 1.0 }),
    );
    c.series = series;
    c.windows = faults;
    c.legend = LegendPosition::LowerRight;
    Chart::Line(c)
}

/// Fuzz sweep: failing seeds per check.
pub fn fuzz_failures(by_check: &[(String, u64)]) -> Chart {
    Chart::Bar(BarChart {
        title: "Fuzz failures by check".to_string(),
        x_label: "check".to_string(),
        y_label: "failing seeds".to_string(),
        categories: by_check.iter().map(|(c, _)| c.clone()).collect(),
        groups: vec![BarGroup {
            name: "failures".to_string(),
            values: by_check.iter().map(|&(_, n)| n as f64).collect(),
        }],
        legend: LegendPosition::UpperRight,
    })
}

/// Fuzz sweep: distribution of run lengths (events per run).
pub fn run_lengths(lengths: Vec<f64>, bins: usize) -> Chart {
    Chart::Histogram(HistogramChart {
        title: "Fuzz run lengths".to_string(),
        x: Axis::new("events per run"),
        y_label: "runs".to_string(),
        series: vec![Samples::new("runs", lengths)],
        bins,
        legend: LegendPosition::UpperRight,
    })
}
