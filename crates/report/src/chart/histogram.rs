//! Histograms: equal-width bins shared by every sample set, bars drawn translucent.

use super::frame::{self, color, draw_err, fit_range, font, tick};
use super::HistogramChart;
use crate::ReportError;
use plotters::coord::Shift;
use plotters::prelude::*;

/// Bin counts of `values` over `bins` equal bins spanning `lo..=hi`; values outside are ignored.
pub(crate) fn bin_counts(values: &[f64], lo: f64, hi: f64, bins: usize) -> Vec<u64> {
    let mut counts = vec![0u64; bins];
    let width = (hi - lo) / bins as f64;
    for &v in values {
        if (lo..=hi).contains(&v) {
            let i = (((v - lo) / width) as usize).min(bins - 1);
            counts[i] += 1;
        }
    }
    counts
}

/// Draws `c` on `root`.
pub(crate) fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    c: &HistogramChart,
    family: &'static str,
) -> Result<(), ReportError> {
    if c.series.is_empty() {
        return Err(ReportError::input(format!(
            "histogram {:?} has no series",
            c.title
        )));
    }
    if c.bins == 0 || c.bins > 10_000 {
        return Err(ReportError::input(format!(
            "histogram bins must be 1..=10000, got {}",
            c.bins
        )));
    }
    if c.x.log {
        return Err(ReportError::input("histograms use a linear x axis"));
    }
    let all = c.series.iter().flat_map(|s| s.values.iter().copied());
    let (lo, hi) = fit_range("x axis", all, c.x.range, false)?;
    let width = (hi - lo) / c.bins as f64;
    let counts: Vec<Vec<u64>> = c
        .series
        .iter()
        .map(|s| bin_counts(&s.values, lo, hi, c.bins))
        .collect();
    let top = counts.iter().flatten().copied().max().unwrap_or(0).max(1) as f64 * 1.08;

    root.fill(&WHITE).map_err(draw_err)?;
    let mut chart = ChartBuilder::on(root)
        .caption(&c.title, font(family, frame::TITLE_PX))
        .margin(frame::MARGIN_PX)
        .x_label_area_size(48)
        .y_label_area_size(64)
        .build_cartesian_2d(lo..hi, 0.0..top)
        .map_err(draw_err)?;
    chart
        .configure_mesh()
        .x_desc(c.x.label.as_str())
        .y_desc(c.y_label.as_str())
        .x_label_formatter(&|v| tick(*v))
        .y_label_formatter(&|v| tick(*v))
        .label_style(font(family, frame::TICK_PX))
        .axis_desc_style(font(family, frame::LABEL_PX))
        .light_line_style(RGBColor(235, 235, 235))
        .draw()
        .map_err(draw_err)?;
    let alpha = if c.series.len() > 1 { 0.5 } else { 0.85 };
    for (i, (s, counts)) in c.series.iter().zip(&counts).enumerate() {
        let fill = color(i).mix(alpha).filled();
        let bars = counts
            .iter()
            .enumerate()
            .filter(|(_, &n)| n > 0)
            .map(|(b, &n)| {
                let x0 = lo + width * b as f64;
                Rectangle::new([(x0, 0.0), (x0 + width, n as f64)], fill)
            });
        chart
            .draw_series(bars)
            .map_err(draw_err)?
            .label(s.name.as_str())
            .legend(move |(x, y)| Rectangle::new([(x, y - 6), (x + 16, y + 6)], fill));
    }
    frame::draw_legend(&mut chart, c.legend, family)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bins_cover_the_range_and_ignore_outsiders() {
        let counts = bin_counts(&[0.0, 0.5, 1.0, 9.99, 10.0, -1.0, 11.0], 0.0, 10.0, 10);
        assert_eq!(counts, vec![2, 1, 0, 0, 0, 0, 0, 0, 0, 2]);
    }
}
