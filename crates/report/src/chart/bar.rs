//! Grouped bar charts over named categories, with each bar's value printed above it.

use super::frame::{self, color, draw_err, font, tick};
use super::BarChart;
use crate::ReportError;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// Fraction of a category slot covered by its bars.
const SLOT_FILL: f64 = 0.8;

/// Draws `c` on `root`.
pub(crate) fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    c: &BarChart,
    family: &'static str,
) -> Result<(), ReportError> {
    let n = check(c)?;
    let max = c
        .groups
        .iter()
        .flat_map(|g| g.values.iter().copied())
        .fold(0.0, f64::max);
    let top = if max > 0.0 { max * 1.15 } else { 1.0 };

    root.fill(&WHITE).map_err(draw_err)?;
    let mut chart = ChartBuilder::on(root)
        .caption(&c.title, font(family, frame::TITLE_PX))
        .margin(frame::MARGIN_PX)
        .x_label_area_size(48)
        .y_label_area_size(64)
        .build_cartesian_2d(-0.5..n as f64 - 0.5, 0.0..top)
        .map_err(draw_err)?;
    let categories = &c.categories;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_desc(c.x_label.as_str())
        .y_desc(c.y_label.as_str())
        .x_labels(n + 1)
        .x_label_formatter(&|v| category_at(categories, *v))
        .y_label_formatter(&|v| tick(*v))
        .label_style(font(family, frame::TICK_PX))
        .axis_desc_style(font(family, frame::LABEL_PX))
        .light_line_style(RGBColor(235, 235, 235))
        .draw()
        .map_err(draw_err)?;

    let width = SLOT_FILL / c.groups.len() as f64;
    let value_style =
        TextStyle::from(font(family, frame::TICK_PX)).pos(Pos::new(HPos::Center, VPos::Bottom));
    for (gi, g) in c.groups.iter().enumerate() {
        let fill = color(gi).filled();
        let left = |ci: usize| ci as f64 - SLOT_FILL / 2.0 + width * gi as f64;
        let bars = g
            .values
            .iter()
            .enumerate()
            .map(|(ci, &v)| Rectangle::new([(left(ci), 0.0), (left(ci) + width, v)], fill));
        chart
            .draw_series(bars)
            .map_err(draw_err)?
            .label(g.name.as_str())
            .legend(move |(x, y)| Rectangle::new([(x, y - 6), (x + 16, y + 6)], fill));
        let labels = g.values.iter().enumerate().map(|(ci, &v)| {
            Text::new(
                tick_value(v),
                (left(ci) + width / 2.0, v),
                value_style.clone(),
            )
        });
        chart.draw_series(labels).map_err(draw_err)?;
    }
    if c.groups.len() > 1 {
        frame::draw_legend(&mut chart, c.legend, family)?;
    }
    Ok(())
}

/// The chart's number of categories, once every group has one finite, non-negative value per
/// category.
fn check(c: &BarChart) -> Result<usize, ReportError> {
    let n = c.categories.len();
    if n == 0 || c.groups.is_empty() {
        return Err(ReportError::input(format!(
            "bar chart {:?} needs categories and groups",
            c.title
        )));
    }
    for g in &c.groups {
        if g.values.len() != n {
            return Err(ReportError::input(format!(
                "bar group {:?} has {} values for {n} categories",
                g.name,
                g.values.len()
            )));
        }
        if let Some(bad) = g.values.iter().find(|v| !v.is_finite() || **v < 0.0) {
            return Err(ReportError::input(format!(
                "bar group {:?}: value {bad} is not a finite non-negative number",
                g.name
            )));
        }
    }
    Ok(n)
}

/// The category name for an x tick that falls on a slot centre, otherwise nothing.
fn category_at(categories: &[String], x: f64) -> String {
    let i = x.round();
    if (x - i).abs() < 1e-6 && i >= 0.0 && (i as usize) < categories.len() {
        categories[i as usize].clone()
    } else {
        String::new()
    }
}

/// A bar's value: two decimals at most, none for integers.
fn tick_value(v: f64) -> String {
    if v == v.trunc() {
        tick(v)
    } else {
        let s = format!("{v:.2}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}
