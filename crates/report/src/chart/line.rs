//! Line charts (solid and dashed series, shaded windows) and CDFs drawn as line charts.

use super::frame::{self, color, draw_err, fit_range, font, tick};
use super::{Axis, CdfChart, LineChart, LineStyle, Series};
use crate::{stats, ReportError};
use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::coord::Shift;
use plotters::prelude::*;

/// A CDF chart as a line chart of step curves with y fixed to 0..1.
pub(crate) fn cdf_as_lines(c: &CdfChart) -> Result<LineChart, ReportError> {
    let mut series = Vec::with_capacity(c.series.len());
    for s in &c.series {
        let points = stats::cdf_points(&s.values)
            .map_err(|e| ReportError::input(format!("series {:?}: {e}", s.name)))?;
        series.push(Series::solid(s.name.clone(), points));
    }
    Ok(LineChart {
        title: c.title.clone(),
        x: c.x.clone(),
        y: Axis::new(c.y_label.clone()).with_range(0.0, 1.0),
        series,
        windows: Vec::new(),
        legend: c.legend,
    })
}

/// Every point of every series is finite (checked before anything is drawn).
fn check_points(c: &LineChart) -> Result<(), ReportError> {
    for s in &c.series {
        if let Some(bad) = s
            .points
            .iter()
            .find(|p| !(p.0.is_finite() && p.1.is_finite()))
        {
            return Err(ReportError::input(format!(
                "series {:?}: point {bad:?} is not finite",
                s.name
            )));
        }
    }
    Ok(())
}
/// Draws `c` on `root`.
pub(crate) fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    c: &LineChart,
    family: &'static str,
) -> Result<(), ReportError> {
    if c.series.is_empty() {
        return Err(ReportError::input(format!(
            "line chart {:?} has no series",
            c.title
        )));
    }
    if c.y.log {
        return Err(ReportError::input(
            "log scale is supported on the x axis only",
        ));
    }
    for w in &c.windows {
        if !(w.start.is_finite() && w.end.is_finite() && w.start <= w.end) {
            return Err(ReportError::input(format!(
                "window {:?} is not a finite interval",
                w.label
            )));
        }
    }
    let all = || c.series.iter().flat_map(|s| s.points.iter());
    if c.x.log {
        if let Some(p) = all().find(|p| p.0 <= 0.0) {
            return Err(ReportError::input(format!(
                "log x axis cannot show the point {p:?}"
            )));
        }
    }
    let x = fit_range("x axis", all().map(|p| p.0), c.x.range, c.x.log)?;
    let (y_lo, y_hi) = fit_range("y axis", all().map(|p| p.1), c.y.range, false)?;
    // Leave headroom above the data unless the range was fixed.
    let y = if c.y.range.is_some() {
        y_lo..y_hi
    } else {
        y_lo..y_hi + (y_hi - y_lo) * 0.05
    };
    if c.x.log {
        let ticks = frame::log_ticks(x.0, x.1);
        plot(
            root,
            c,
            family,
            (x.0..x.1).log_scale().with_key_points(ticks),
            y,
        )
    } else {
        plot(root, c, family, x.0..x.1, y)
    }
}

fn plot<DB, X>(
    root: &DrawingArea<DB, Shift>,
    c: &LineChart,
    family: &'static str,
    x: X,
    y: std::ops::Range<f64>,
) -> Result<(), ReportError>
where
    DB: DrawingBackend,
    X: AsRangedCoord<Value = f64>,
    X::CoordDescType: ValueFormatter<f64>,
{
    check_points(c)?;
    root.fill(&WHITE).map_err(draw_err)?;
    let (y_lo, y_hi) = (y.start, y.end);
    let mut chart = ChartBuilder::on(root)
        .caption(&c.title, font(family, frame::TITLE_PX))
        .margin(frame::MARGIN_PX)
        .x_label_area_size(48)
        .y_label_area_size(64)
        .build_cartesian_2d(x, y)
        .map_err(draw_err)?;
    chart
        .configure_mesh()
        .x_desc(c.x.label.as_str())
        .y_desc(c.y.label.as_str())
        .x_label_formatter(&|v| tick(*v))
        .y_label_formatter(&|v| tick(*v))
        .label_style(font(family, frame::TICK_PX))
        .axis_desc_style(font(family, frame::LABEL_PX))
        .light_line_style(RGBColor(235, 235, 235))
        .draw()
        .map_err(draw_err)?;

    draw_windows(&mut chart, c, family, (y_lo, y_hi))?;
    draw_lines(&mut chart, c)?;
    frame::draw_legend(&mut chart, c.legend, family)?;
    Ok(())
}

/// Shades each window across the whole height (`y` is its low and high end) and labels it
/// at its top left.
fn draw_windows<'a, DB, CT>(
    chart: &mut ChartContext<'a, DB, CT>,
    c: &LineChart,
    family: &'static str,
    (y_lo, y_hi): (f64, f64),
) -> Result<(), ReportError>
where
    DB: DrawingBackend + 'a,
    CT: CoordTranslate<From = (f64, f64)>,
{
    for w in &c.windows {
        let shade = RGBColor(120, 120, 120).mix(0.18).filled();
        chart
            .draw_series(std::iter::once(Rectangle::new(
                [(w.start, y_lo), (w.end, y_hi)],
                shade,
            )))
            .map_err(draw_err)?;
        chart
            .draw_series(std::iter::once(Text::new(
                w.label.clone(),
                (w.start, y_hi),
                font(family, frame::TICK_PX).color(&RGBColor(80, 80, 80)),
            )))
            .map_err(draw_err)?;
    }
    Ok(())
}

/// Draws each series, solid or dashed, with a legend entry drawn the same way.
fn draw_lines<'a, DB, CT>(
    chart: &mut ChartContext<'a, DB, CT>,
    c: &LineChart,
) -> Result<(), ReportError>
where
    DB: DrawingBackend + 'a,
    CT: CoordTranslate<From = (f64, f64)>,
{
    for (i, s) in c.series.iter().enumerate() {
        let style = color(s.color.unwrap_or(i)).stroke_width(2);
        let points = s.points.iter().copied();
        let anno = match s.style {
            LineStyle::Solid => chart.draw_series(LineSeries::new(points, style)),
            LineStyle::Dashed => chart.draw_series(DashedLineSeries::new(points, 8, 5, style)),
        }
        .map_err(draw_err)?;
        let dashed = s.style == LineStyle::Dashed;
        anno.label(s.name.as_str()).legend(move |(lx, ly)| {
            let end = if dashed { lx + 9 } else { lx + 22 };
            EmptyElement::at((lx, ly))
                + PathElement::new(vec![(0, 0), (end - lx, 0)], style)
                + PathElement::new(
                    if dashed {
                        vec![(13, 0), (22, 0)]
                    } else {
                        vec![]
                    },
                    style,
                )
        });
    }
    Ok(())
}
