// The standard charts: labels in the SVG, sizes of the PNG, and the Figure-16 summary numbers.

mod common;

use common::Image;
use faultline_report::chart::{Samples, Series, Size, Window};
use faultline_report::presets;
use faultline_report::theory::{convergence_curve, Dissemination};

const SIZE: Size = Size {
    width: 800,
    height: 480,
};

fn texts_present(svg: &str, texts: &[&str]) {
    for t in texts {
        assert!(
            svg.contains(&format!(">\n{t}\n<")) || svg.contains(&format!(">{t}<")),
            "missing {t:?}"
        );
    }
}

#[test]
fn gossip_convergence_overlays_theory_dashed() {
    let theory = convergence_curve(Dissemination::PushPull, 64, 1, 12).unwrap();
    let measured: Vec<(f64, f64)> = theory
        .iter()
        .map(|&(t, x)| (t, (x * 0.97).min(1.0)))
        .collect();
    let chart = presets::gossip_convergence(
        vec![Series::dashed("push-pull n=64", measured)],
        vec![Series::solid("push-pull theory", theory)],
        "time (rounds)",
    );
    let svg = chart.to_svg(SIZE).unwrap();
    texts_present(
        &svg,
        &[
            "Gossip convergence",
            "fraction of live nodes holding the update",
            "push-pull n=64",
            "push-pull theory",
        ],
    );
    // Styles are forced (measured solid, theory dashed) and the pair shares the first colour:
    // one solid path plus many dashes, and no second colour.
    assert!(svg.matches("stroke=\"#1F77B4\"").count() > 10);
    assert!(svg.matches("<polyline").count() >= 1);
    assert_eq!(svg.matches("stroke=\"#FF7F0E\"").count(), 0);
}

#[test]
fn figure16_chart_and_summary() {
    // Downtimes of 1..=100 trials: median 50, p99 99, worst 100 (nearest rank).
    let ranges = vec![
        Samples::new(
            "150-155 ms",
            (1..=100).map(|i| 150.0 + f64::from(i)).collect(),
        ),
        Samples::new(
            "150-300 ms",
            (1..=100).map(|i| 150.0 + 3.0 * f64::from(i)).collect(),
        ),
    ];
    let rows = presets::election_summary(&ranges).unwrap();
    assert_eq!(
        rows[0],
        (
            "150-155 ms".to_string(),
            "100 trials: median 200 ms, p99 249 ms, worst 250 ms".to_string()
        )
    );
    assert_eq!(
        rows[1].1,
        "100 trials: median 300 ms, p99 447 ms, worst 450 ms"
    );
    let chart = presets::election_downtime(ranges);
    texts_present(
        &chart.to_svg(SIZE).unwrap(),
        &[
            "Election downtime after leader crash",
            "time without leader (ms)",
            "150-155 ms",
            "200",
            "300",
        ],
    );
    let img = Image::decode(&chart.to_png(SIZE).unwrap());
    assert_eq!((img.width, img.height), (800, 480));
    assert!(presets::election_summary(&[Samples::new("empty", vec![])]).is_err());
}

#[test]
fn latency_throughput_and_fuzz_charts() {
    let lat = presets::client_latency(
        vec![Samples::new(
            "put",
            (0..300).map(|i| f64::from(i % 30)).collect(),
        )],
        30,
    );
    texts_present(
        &lat.to_svg(SIZE).unwrap(),
        &["Client latency", "latency (ms)", "operations", "put"],
    );

    let tp = presets::throughput(
        vec![Series::solid(
            "ops",
            (0..50)
                .map(|i| (f64::from(i) / 5.0, if i < 20 { 100.0 } else { 0.0 }))
                .collect(),
        )],
        vec![Window {
            start: 4.0,
            end: 6.0,
            label: "partition".into(),
        }],
    );
    let svg = tp.to_svg(SIZE).unwrap();
    texts_present(
        &svg,
        &["Throughput", "operations per second", "partition", "0"],
    );

    let fuzz =
        presets::fuzz_failures(&[("linearizability".into(), 7), ("election safety".into(), 2)]);
    texts_present(
        &fuzz.to_svg(SIZE).unwrap(),
        &[
            "Fuzz failures by check",
            "linearizability",
            "election safety",
            "7",
            "2",
        ],
    );

    let runs = presets::run_lengths((0..100).map(|i| f64::from(100 + i * 3)).collect(), 20);
    texts_present(
        &runs.to_svg(SIZE).unwrap(),
        &["Fuzz run lengths", "events per run", "runs"],
    );
}
