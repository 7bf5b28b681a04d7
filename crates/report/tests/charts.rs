// Renders every chart kind to SVG and PNG and checks what was drawn.

mod common;

use common::Image;
use faultline_report::chart::{
    Axis, BarChart, BarGroup, CdfChart, Chart, HistogramChart, LegendPosition, LineChart, Samples,
    Series, Size, Window,
};

const SIZE: Size = Size {
    width: 640,
    height: 420,
};

fn convergence() -> Chart {
    let mut c = LineChart::new(
        "Gossip convergence",
        Axis::new("time (rounds)"),
        Axis::new("fraction of live nodes informed").with_range(0.0, 1.0),
    );
    let logistic = |k: f64| {
        (0..=20)
            .map(move |t| {
                (
                    f64::from(t),
                    1.0 / (1.0 + (-(f64::from(t) - 8.0) / k).exp()),
                )
            })
            .collect()
    };
    c.series.push(Series::solid("push n=64", logistic(1.5)));
    c.series
        .push(Series::solid("push-pull n=64", logistic(1.0)));
    c.series.push(Series::dashed("theory push", logistic(1.4)));
    Chart::Line(c)
}

fn throughput() -> Chart {
    let mut c = LineChart::new("Throughput", Axis::new("time (s)"), Axis::new("ops/s"));
    c.series.push(Series::solid(
        "committed ops",
        (0..100)
            .map(|i| {
                (
                    f64::from(i) / 10.0,
                    if (30..50).contains(&i) { 5.0 } else { 120.0 },
                )
            })
            .collect(),
    ));
    c.windows.push(Window {
        start: 3.0,
        end: 5.0,
        label: "leader partitioned".into(),
    });
    c.legend = LegendPosition::UpperRight;
    Chart::Line(c)
}

fn election_cdf() -> Chart {
    let trials = |base: f64, spread: f64| {
        Samples::new(
            format!("{base}-{}ms", base + spread),
            (0..200)
                .map(|i| base + spread * f64::from(i * 37 % 200) / 200.0 + 15.0)
                .collect(),
        )
    };
    Chart::Cdf(CdfChart {
        title: "Election downtime".into(),
        x: Axis::new("time without leader (ms)").log_scale(),
        y_label: "cumulative fraction of trials".into(),
        series: vec![trials(150.0, 5.0), trials(150.0, 150.0)],
        legend: LegendPosition::LowerRight,
    })
}

fn latency() -> Chart {
    Chart::Histogram(HistogramChart {
        title: "Client latency".into(),
        x: Axis::new("latency (ms)"),
        y_label: "operations".into(),
        series: vec![Samples::new(
            "get",
            (0..500).map(|i| f64::from(i % 50) + 2.0).collect(),
        )],
        bins: 25,
        legend: LegendPosition::UpperRight,
    })
}

fn failures() -> Chart {
    Chart::Bar(BarChart {
        title: "Fuzz failures by check".into(),
        x_label: "check".into(),
        y_label: "failing seeds".into(),
        categories: vec![
            "linearizable".into(),
            "election-safety".into(),
            "log-matching".into(),
        ],
        groups: vec![
            BarGroup {
                name: "raft".into(),
                values: vec![12.0, 3.0, 0.0],
            },
            BarGroup {
                name: "raft+prevote".into(),
                values: vec![4.0, 0.5, 1.0],
            },
        ],
        legend: LegendPosition::UpperRight,
    })
}

/// The text of every `<text>` element, in document order.
fn svg_texts(svg: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = svg;
    while let Some(start) = rest.find("<text") {
        let after = &rest[start..];
        let open_end = after.find('>').expect("text tag closes");
        let close = after.find("</text>").expect("text element closes");
        out.push(after[open_end + 1..close].trim().to_string());
        rest = &after[close..];
    }
    out
}

fn assert_svg_has(chart: &Chart, expected: &[&str]) -> String {
    let svg = chart.to_svg(SIZE).unwrap();
    assert!(svg.starts_with("<svg"), "SVG root element");
    assert!(svg.contains(r#"width="640""#) && svg.contains(r#"height="420""#));
    let texts = svg_texts(&svg);
    for want in expected {
        assert!(
            texts.iter().any(|t| t == want),
            "missing text {want:?} in {texts:?}"
        );
    }
    svg
}

fn assert_png_drawn(chart: &Chart) -> Image {
    let img = Image::decode(&chart.to_png(SIZE).unwrap());
    assert_eq!((img.width, img.height), (640, 420));
    // The caption sits in the top 40 rows: dark pixels there mean the bundled font drew glyphs.
    assert!(img.dark_pixels_in_rows(0..40) > 100, "title text not drawn");
    assert!(img.distinct_colors() > 10, "image is nearly blank");
    img
}

#[test]
fn line_chart_shows_series_labels_and_dashed_theory() {
    let chart = convergence();
    let svg = assert_svg_has(
        &chart,
        &[
            "Gossip convergence",
            "time (rounds)",
            "fraction of live nodes informed",
            "push n=64",
            "push-pull n=64",
            "theory push",
            "1",
            "0.5",
        ],
    );
    // Solid series are one polyline each; the dashed one is drawn as many short dashes.
    let strokes = |rgb: &str| svg.matches(&format!(r#"stroke="{rgb}""#)).count();
    assert!(
        strokes("#1F77B4") <= 3,
        "solid series should be a single path"
    );
    assert!(
        strokes("#2CA02C") > 10,
        "dashed series should be many dashes"
    );
    let img = assert_png_drawn(&chart);
    assert!(img.contains_color([31, 119, 180], 0) && img.contains_color([44, 160, 44], 0));
}

#[test]
fn time_series_shades_and_labels_fault_windows() {
    let chart = throughput();
    assert_svg_has(
        &chart,
        &["Throughput", "leader partitioned", "committed ops", "ops/s"],
    );
    let img = assert_png_drawn(&chart);
    // The shaded window is a light grey that appears nowhere else.
    assert!(
        img.contains_color([224, 224, 224], 8),
        "fault window not shaded"
    );
}

#[test]
fn cdf_chart_draws_each_trial_set_on_a_log_axis() {
    let chart = election_cdf();
    let svg = assert_svg_has(
        &chart,
        &[
            "Election downtime",
            "time without leader (ms)",
            "cumulative fraction of trials",
            "150-155ms",
            "150-300ms",
        ],
    );
    assert!(svg_texts(&svg).iter().any(|t| t == "200"), "log axis ticks");
    assert_png_drawn(&chart);
}

#[test]
fn histogram_shows_bins_and_labels() {
    let chart = latency();
    let svg = assert_svg_has(
        &chart,
        &["Client latency", "latency (ms)", "operations", "get"],
    );
    // 25 bins, each holding 20 samples: 25 filled bars of the first palette colour.
    assert!(svg.matches(r##"fill="#1F77B4""##).count() >= 25);
    assert_png_drawn(&chart);
}

#[test]
fn bar_chart_names_every_category_and_prints_values() {
    let chart = failures();
    assert_svg_has(
        &chart,
        &[
            "Fuzz failures by check",
            "linearizable",
            "election-safety",
            "log-matching",
            "12",
            "0.5",
            "raft+prevote",
        ],
    );
    assert_png_drawn(&chart);
}

#[test]
fn bad_inputs_are_errors_not_panics() {
    let empty = Chart::Line(LineChart::new("t", Axis::new("x"), Axis::new("y")));
    assert!(empty.to_svg(SIZE).is_err());
    let Chart::Bar(mut bar) = failures() else {
        unreachable!()
    };
    bar.groups[0].values.pop();
    assert!(Chart::Bar(bar).to_png(SIZE).is_err());
    let nan = Chart::Cdf(CdfChart {
        title: "t".into(),
        x: Axis::new("x"),
        y_label: "y".into(),
        series: vec![Samples::new("s", vec![1.0, f64::NAN])],
        legend: LegendPosition::LowerRight,
    });
    assert!(nan.to_svg(SIZE).is_err());
    let log_zero = Chart::Cdf(CdfChart {
        title: "t".into(),
        x: Axis::new("x").log_scale(),
        y_label: "y".into(),
        series: vec![Samples::new("s", vec![0.0, 1.0])],
        legend: LegendPosition::LowerRight,
    });
    assert!(log_zero.to_svg(SIZE).is_err());
    // A fixed positive log range does not make non-positive samples drawable.
    let Chart::Cdf(mut fixed) = log_zero else {
        unreachable!()
    };
    fixed.x.range = Some((1.0, 100.0));
    assert!(Chart::Cdf(fixed).to_png(SIZE).is_err());
    assert!(convergence().to_png(Size::new(0, 100)).is_err());
    assert!(convergence().to_png(Size::new(100_000, 400)).is_err());
}

#[test]
fn rendering_is_deterministic_and_png_text_comes_from_the_bundled_font() {
    let chart = election_cdf();
    assert_eq!(chart.to_svg(SIZE).unwrap(), chart.to_svg(SIZE).unwrap());
    let png = chart.to_png(SIZE).unwrap();
    assert_eq!(png, chart.to_png(SIZE).unwrap());
    // The title is centred: glyph pixels lie around the middle of the caption rows, not at the
    // edges, and are anti-aliased (grey levels between ink and paper), as the bundled
    // rasteriser draws them.
    let img = Image::decode(&png);
    let ink: Vec<u32> = (0..31)
        .flat_map(|y| (0..img.width).map(move |x| (x, y)))
        .filter(|&(x, y)| img.pixel(x, y)[0] < 128)
        .map(|(x, _)| x)
        .collect();
    let (left, right) = (*ink.iter().min().unwrap(), *ink.iter().max().unwrap());
    assert!(left > 200 && right < 440, "title spans {left}..{right}");
    let greys = (0..31)
        .flat_map(|y| (left..=right).map(move |x| (x, y)))
        .filter(|&(x, y)| (40..220).contains(&img.pixel(x, y)[0]))
        .count();
    assert!(greys > 20, "no anti-aliased glyph edges");
}
