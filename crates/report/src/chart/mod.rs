//! Chart primitives on plain data, each rendered to SVG text or PNG bytes at a given size.
//!
//! - [`LineChart`]: several series, optionally dashed (theoretical curves), with shaded and
//!   labelled windows (fault windows on a throughput-over-time chart).
//! - [`CdfChart`]: empirical CDFs from raw samples, one line per series (Raft Figure 16).
//! - [`HistogramChart`]: binned counts of raw samples (client latency).
//! - [`BarChart`]: grouped bars over named categories (messages per operation, bytes per node,
//!   fuzz failures by check).
//!
//! Wrap one in [`Chart`] and call [`Chart::to_svg`] or [`Chart::to_png`].

mod bar;
mod frame;
mod histogram;
mod line;

use crate::{font, ReportError};
use plotters::backend::{BitMapBackend, DrawingBackend, SVGBackend};
use plotters::coord::Shift;
use plotters::drawing::{DrawingArea, IntoDrawingArea};

/// Pixel size of a rendered chart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Size {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
}

impl Size {
    /// A size of `width` × `height` pixels.
    pub fn new(width: u32, height: u32) -> Self {
        Self { width, height }
    }
}

/// How a line is stroked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineStyle {
    /// A solid line: measured data.
    Solid,
    /// A dashed line: a theoretical or reference curve.
    Dashed,
}

/// One named line of `(x, y)` points.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    /// Legend text.
    pub name: String,
    /// Points in drawing order.
    pub points: Vec<(f64, f64)>,
    /// Solid or dashed.
    pub style: LineStyle,
    /// Palette index of its colour; `None` takes the series' position in the chart.
    pub color: Option<usize>,
}

impl Series {
    /// A solid series (measured data).
    pub fn solid(name: impl Into<String>, points: Vec<(f64, f64)>) -> Self {
        Self {
            name: name.into(),
            points,
            style: LineStyle::Solid,
            color: None,
        }
    }

    /// A dashed series (theoretical curve).
    pub fn dashed(name: impl Into<String>, points: Vec<(f64, f64)>) -> Self {
        Self {
            name: name.into(),
            points,
            style: LineStyle::Dashed,
            color: None,
        }
    }

    /// Uses palette colour `index` (to pair a theoretical curve with its measured one).
    pub fn with_color(mut self, index: usize) -> Self {
        self.color = Some(index);
        self
    }
}

/// One named set of raw samples (for CDFs and histograms).
#[derive(Clone, Debug, PartialEq)]
pub struct Samples {
    /// Legend text.
    pub name: String,
    /// The raw values, in any order.
    pub values: Vec<f64>,
}

impl Samples {
    /// A named sample set.
    pub fn new(name: impl Into<String>, values: Vec<f64>) -> Self {
        Self {
            name: name.into(),
            values,
        }
    }
}

/// A numeric axis: its label, an optional fixed range and an optional log scale.
#[derive(Clone, Debug, PartialEq)]
pub struct Axis {
    /// Axis description, drawn next to the axis.
    pub label: String,
    /// Fixed `(min, max)`; `None` fits the data.
    pub range: Option<(f64, f64)>,
    /// Logarithmic scale (x axis of line and CDF charts only; the range must be positive).
    pub log: bool,
}

impl Axis {
    /// A linear axis fitted to the data.
    pub fn new(label: impl Into<String>) -> Self {
        Self {
            label: label.into(),
            range: None,
            log: false,
        }
    }

    /// Fixes the range to `min..max`.
    pub fn with_range(mut self, min: f64, max: f64) -> Self {
        self.range = Some((min, max));
        self
    }

    /// Uses a logarithmic scale.
    pub fn log_scale(mut self) -> Self {
        self.log = true;
        self
    }
}

/// A shaded, labelled x interval (for example a fault window).
#[derive(Clone, Debug, PartialEq)]
pub struct Window {
    /// Start on the x axis.
    pub start: f64,
    /// End on the x axis.
    pub end: f64,
    /// Text drawn at the top of the window.
    pub label: String,
}

/// Where the legend box goes inside the plot area.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum LegendPosition {
    /// Top left corner.
    UpperLeft,
    /// Top right corner.
    UpperRight,
    /// Bottom left corner.
    LowerLeft,
    /// Bottom right corner (default: rising curves leave it empty).
    #[default]
    LowerRight,
}

/// Lines over a numeric x axis, with optional dashed curves and shaded windows.
#[derive(Clone, Debug, PartialEq)]
pub struct LineChart {
    /// Title above the plot.
    pub title: String,
    /// The x axis.
    pub x: Axis,
    /// The y axis (linear).
    pub y: Axis,
    /// The lines, drawn in order; colours follow the order.
    pub series: Vec<Series>,
    /// Shaded x intervals drawn behind the lines.
    pub windows: Vec<Window>,
    /// Legend placement.
    pub legend: LegendPosition,
}

impl LineChart {
    /// An empty line chart with the given title and axes.
    pub fn new(title: impl Into<String>, x: Axis, y: Axis) -> Self {
        Self {
            title: title.into(),
            x,
            y,
            series: Vec::new(),
            windows: Vec::new(),
            legend: LegendPosition::default(),
        }
    }
}

/// Empirical CDFs of raw samples, one line per sample set; y is the fraction of samples ≤ x.
#[derive(Clone, Debug, PartialEq)]
pub struct CdfChart {
    /// Title above the plot.
    pub title: String,
    /// The x axis (sample values).
    pub x: Axis,
    /// The y axis description (the range is always 0..1).
    pub y_label: String,
    /// The sample sets.
    pub series: Vec<Samples>,
    /// Legend placement.
    pub legend: LegendPosition,
}

/// Histogram of raw samples in equal-width bins shared by all sample sets.
#[derive(Clone, Debug, PartialEq)]
pub struct HistogramChart {
    /// Title above the plot.
    pub title: String,
    /// The x axis (sample values); a fixed range also fixes the bins' span.
    pub x: Axis,
    /// The y axis description (counts).
    pub y_label: String,
    /// The sample sets, drawn translucent on top of each other.
    pub series: Vec<Samples>,
    /// Number of bins (at least 1).
    pub bins: usize,
    /// Legend placement.
    pub legend: LegendPosition,
}

/// One named set of bar heights, one per category.
#[derive(Clone, Debug, PartialEq)]
pub struct BarGroup {
    /// Legend text.
    pub name: String,
    /// One value per category of the chart, in category order.
    pub values: Vec<f64>,
}

/// Grouped vertical bars over named categories, with the value printed above each bar.
#[derive(Clone, Debug, PartialEq)]
pub struct BarChart {
    /// Title above the plot.
    pub title: String,
    /// Description of the category axis.
    pub x_label: String,
    /// Description of the value axis.
    pub y_label: String,
    /// Category names, left to right.
    pub categories: Vec<String>,
    /// Bar groups; each holds one value per category.
    pub groups: Vec<BarGroup>,
    /// Legend placement.
    pub legend: LegendPosition,
}

/// Any chart this crate draws.
#[derive(Clone, Debug, PartialEq)]
pub enum Chart {
    /// A line chart.
    Line(LineChart),
    /// A CDF chart.
    Cdf(CdfChart),
    /// A histogram.
    Histogram(HistogramChart),
    /// A bar chart.
    Bar(BarChart),
}

impl Chart {
    /// The chart's title.
    pub fn title(&self) -> &str {
        match self {
            Chart::Line(c) => &c.title,
            Chart::Cdf(c) => &c.title,
            Chart::Histogram(c) => &c.title,
            Chart::Bar(c) => &c.title,
        }
    }

    /// Renders the chart as an SVG document.
    pub fn to_svg(&self, size: Size) -> Result<String, ReportError> {
        check_size(size)?;
        font::ensure_registered()?;
        let mut out = String::new();
        {
            let root =
                SVGBackend::with_string(&mut out, (size.width, size.height)).into_drawing_area();
            self.draw(&root, font::SVG_FAMILY)?;
            root.present().map_err(frame::draw_err)?;
        }
        Ok(out)
    }

    /// Renders the chart as a PNG image (RGB, 8 bits per channel).
    pub fn to_png(&self, size: Size) -> Result<Vec<u8>, ReportError> {
        check_size(size)?;
        font::ensure_registered()?;
        let mut rgb = vec![0u8; size.width as usize * size.height as usize * 3];
        {
            let root =
                BitMapBackend::with_buffer(&mut rgb, (size.width, size.height)).into_drawing_area();
            self.draw(&root, font::PNG_FAMILY)?;
            root.present().map_err(frame::draw_err)?;
        }
        encode_png(&rgb, size)
    }

    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        family: &'static str,
    ) -> Result<(), ReportError> {
        match self {
            Chart::Line(c) => line::draw(root, c, family),
            Chart::Cdf(c) => line::draw(root, &line::cdf_as_lines(c)?, family),
            Chart::Histogram(c) => histogram::draw(root, c, family),
            Chart::Bar(c) => bar::draw(root, c, family),
        }
    }
}

/// Largest accepted width or height, so a bad size cannot allocate gigabytes.
const MAX_SIDE: u32 = 4096;
/// Smallest accepted width or height that leaves room for title, labels and plot.
const MIN_SIDE: u32 = 120;

fn check_size(size: Size) -> Result<(), ReportError> {
    let ok = |side: u32| (MIN_SIDE..=MAX_SIDE).contains(&side);
    if ok(size.width) && ok(size.height) {
        Ok(())
    } else {
        Err(ReportError::input(format!(
            "chart size {}x{} outside {MIN_SIDE}..={MAX_SIDE} pixels per side",
            size.width, size.height
        )))
    }
}

fn encode_png(rgb: &[u8], size: Size) -> Result<Vec<u8>, ReportError> {
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, size.width, size.height);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder
            .write_header()
            .map_err(|e| ReportError::Png(e.to_string()))?;
        writer
            .write_image_data(rgb)
            .map_err(|e| ReportError::Png(e.to_string()))?;
    }
    Ok(out)
}
