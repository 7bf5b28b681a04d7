// Builds an HTML report with SVG and PNG chart figures and opens it: summary rows, inline SVG
// with the chart's text, PNG data URIs that decode to the requested size, no external URLs.

mod common;

use common::{base64_decode, check_markup, Image};
use faultline_report::chart::{Axis, Chart, LineChart, Series, Size};
use faultline_report::html::{Figure, ImageFormat, Report};

fn chart() -> Chart {
    let mut c = LineChart::new("Throughput", Axis::new("time (s)"), Axis::new("ops/s"));
    c.series.push(Series::solid(
        "committed",
        vec![(0.0, 10.0), (1.0, 30.0), (2.0, 20.0)],
    ));
    Chart::Line(c)
}

fn report() -> Report {
    let size = Size::new(500, 300);
    let mut r = Report::new("Run <raft-leader-partitioned>");
    r.summary = vec![
        ("seed".into(), "7".into()),
        ("verdict".into(), "linearizable & safe".into()),
        ("trace hash".into(), "0x9f3c".into()),
    ];
    r.figures
        .push(Figure::chart("Throughput (vector)", &chart(), size, ImageFormat::Svg).unwrap());
    r.figures
        .push(Figure::chart("Throughput (raster)", &chart(), size, ImageFormat::Png).unwrap());
    r
}

#[test]
fn report_shows_title_summary_and_both_figures() {
    let html = report().to_html().unwrap();
    let names = check_markup(&html);
    assert_eq!(names.iter().filter(|n| *n == "figure").count(), 2);
    assert!(html.contains("<title>Run &lt;raft-leader-partitioned&gt;</title>"));
    assert!(html.contains("<h1>Run &lt;raft-leader-partitioned&gt;</h1>"));
    for row in [
        "<tr><th>seed</th><td>7</td></tr>",
        "<tr><th>verdict</th><td>linearizable &amp; safe</td></tr>",
        "<tr><th>trace hash</th><td>0x9f3c</td></tr>",
    ] {
        assert!(html.contains(row), "missing {row}");
    }
    assert!(html.contains("<figcaption>Figure 1. Throughput (vector)</figcaption>"));
    assert!(html.contains("<figcaption>Figure 2. Throughput (raster)</figcaption>"));

    // The SVG is inline, with the chart's own text.
    let svg = &html[html.find("<svg").unwrap()..html.find("</svg>").unwrap()];
    for text in ["Throughput", "committed", "ops/s", "time (s)"] {
        assert!(svg.contains(text), "inline SVG lacks {text}");
    }

    // The PNG is a data URI that decodes to the requested size with text drawn.
    let start = html.find("src=\"data:image/png;base64,").unwrap() + 27;
    let data = &html[start..start + html[start..].find('"').unwrap()];
    let img = Image::decode(&base64_decode(data));
    assert_eq!((img.width, img.height), (500, 300));
    assert!(img.dark_pixels_in_rows(0..40) > 50);
}

#[test]
fn report_needs_nothing_from_outside() {
    let html = report().to_html().unwrap();
    for needle in ["src=\"http", "href=", "url(", "@import", "<script", "<link"] {
        assert!(!html.contains(needle), "external reference {needle}");
    }
    // The only URL is the SVG namespace name, which is never fetched.
    let urls: Vec<&str> = html
        .match_indices("http")
        .map(|(i, _)| &html[i..i + 26])
        .collect();
    assert!(
        urls.iter().all(|u| *u == "http://www.w3.org/2000/svg"),
        "{urls:?}"
    );
}

#[test]
fn malformed_figures_are_errors() {
    let mut r = Report::new("t");
    r.figures
        .push(Figure::svg("not svg", "<p>hello</p>".into()));
    assert!(r.to_html().is_err());
    let mut r = Report::new("t");
    r.figures.push(Figure::png("not png", b"GIF89a".to_vec()));
    assert!(r.to_html().is_err());
    let mut r = Report::new("t");
    let prolog = format!(
        "<?xml version=\"1.0\"?>\n{}",
        chart().to_svg(Size::new(300, 200)).unwrap()
    );
    r.figures.push(Figure::svg("with prolog", prolog));
    let html = r.to_html().unwrap();
    assert!(!html.contains("<?xml"));
    check_markup(&html);
}

#[test]
fn a_page_is_embedded_as_an_escaped_srcdoc_frame_after_the_figures() {
    use faultline_report::html::Page;
    let mut r = report();
    r.pages.push(Page {
        caption: "History <view>".into(),
        html: "<!DOCTYPE html><p class=\"x\">a & b</p>".into(),
    });
    let html = r.to_html().unwrap();
    let frame = &html[html.find("<iframe").expect("an iframe")..];
    assert!(
        frame.contains(
            "srcdoc=\"&lt;!DOCTYPE html&gt;&lt;p class=&quot;x&quot;&gt;a &amp; b&lt;/p&gt;\""
        ),
        "{frame}"
    );
    assert!(html.contains("<figcaption>Figure 3. History &lt;view&gt;</figcaption>"));
    assert!(
        !frame.contains("<p class"),
        "the page's markup stays inside srcdoc"
    );
}
