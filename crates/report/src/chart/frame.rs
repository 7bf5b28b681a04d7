//! Pieces shared by every chart: colours, fonts, ranges, tick text, legend placement.

use super::LegendPosition;
use crate::ReportError;
use plotters::chart::{ChartContext, SeriesLabelPosition};
use plotters::coord::CoordTranslate;
use plotters::prelude::{Color, DrawingBackend, WHITE};
use plotters::style::{FontDesc, IntoFont, RGBColor};

/// Title font size in pixels.
pub(crate) const TITLE_PX: u32 = 22;
/// Tick label font size in pixels.
pub(crate) const TICK_PX: u32 = 13;
/// Axis description and legend font size in pixels.
pub(crate) const LABEL_PX: u32 = 15;
/// Margin around the whole chart in pixels.
pub(crate) const MARGIN_PX: u32 = 12;

/// Ten colours that stay distinguishable (Tableau 10), used in series order.
const PALETTE: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

/// The colour of the `index`-th series.
pub(crate) fn color(index: usize) -> RGBColor {
    PALETTE[index % PALETTE.len()]
}

/// The font `family` at `px` pixels.
pub(crate) fn font(family: &'static str, px: u32) -> FontDesc<'static> {
    (family, px).into_font()
}

/// Converts any plotters error into ours.
pub(crate) fn draw_err(e: impl std::fmt::Display) -> ReportError {
    ReportError::Draw(e.to_string())
}

/// Draws the series legend in the house style (white box, grey border) at `position`.
pub(crate) fn draw_legend<'a, DB: DrawingBackend + 'a, CT: CoordTranslate>(
    chart: &mut ChartContext<'a, DB, CT>,
    position: LegendPosition,
    family: &'static str,
) -> Result<(), ReportError> {
    chart
        .configure_series_labels()
        .position(legend_position(position))
        .label_font(font(family, LABEL_PX))
        .background_style(WHITE.mix(0.85))
        .border_style(RGBColor(160, 160, 160))
        .draw()
        .map_err(draw_err)
}

/// Plotters' legend position for ours.
fn legend_position(p: LegendPosition) -> SeriesLabelPosition {
    match p {
        LegendPosition::UpperLeft => SeriesLabelPosition::UpperLeft,
        LegendPosition::UpperRight => SeriesLabelPosition::UpperRight,
        LegendPosition::LowerLeft => SeriesLabelPosition::LowerLeft,
        LegendPosition::LowerRight => SeriesLabelPosition::LowerRight,
    }
}

/// The axis range: `fixed` if given (checked), otherwise the span of `values` (all finite),
/// widened when it is a single point. `log` requires a positive range.
pub(crate) fn fit_range(
    what: &str,
    values: impl IntoIterator<Item = f64>,
    fixed: Option<(f64, f64)>,
    log: bool,
) -> Result<(f64, f64), ReportError> {
    let (lo, hi) = match fixed {
        Some((lo, hi)) => {
            if !(lo.is_finite() && hi.is_finite() && lo < hi) {
                return Err(ReportError::input(format!(
                    "{what}: range {lo}..{hi} is empty or not finite"
                )));
            }
            (lo, hi)
        }
        None => {
            let mut span: Option<(f64, f64)> = None;
            for v in values {
                if !v.is_finite() {
                    return Err(ReportError::input(format!(
                        "{what}: value {v} is not finite"
                    )));
                }
                span = Some(match span {
                    None => (v, v),
                    Some((lo, hi)) => (lo.min(v), hi.max(v)),
                });
            }
            let (lo, hi) = span.ok_or_else(|| ReportError::input(format!("{what}: no data")))?;
            if lo < hi {
                (lo, hi)
            } else if log {
                (lo / 2.0, hi * 2.0)
            } else {
                (lo - 1.0, hi + 1.0)
            }
        }
    };
    if log && lo <= 0.0 {
        return Err(ReportError::input(format!(
            "{what}: log scale needs a positive range, got {lo}..{hi}"
        )));
    }
    Ok((lo, hi))
}

/// Tick positions for a log axis over `lo..=hi` (positive): multiples of each power of ten
/// inside the range, from the densest set of multiples that gives at most ten ticks (1, 1.5,
/// 2, 3, ..., 9; then 1, 2, 5; then 1, 5; then 1); the range ends are added when fewer than
/// three remain.
pub(crate) fn log_ticks(lo: f64, hi: f64) -> Vec<f64> {
    let candidates = |mantissas: &[f64]| {
        let mut out = Vec::new();
        let mut decade = 10f64.powi(lo.log10().floor() as i32);
        while decade <= hi {
            for m in mantissas {
                let v = m * decade;
                if (lo..=hi).contains(&v) {
                    out.push(v);
                }
            }
            decade *= 10.0;
        }
        out
    };
    const SETS: [&[f64]; 4] = [
        &[1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0],
        &[1.0, 2.0, 5.0],
        &[1.0, 5.0],
        &[1.0],
    ];
    let mut ticks = SETS
        .iter()
        .map(|set| candidates(set))
        .find(|t| t.len() <= 10)
        .unwrap_or_default();
    if ticks.len() < 3 {
        ticks.insert(0, lo);
        ticks.push(hi);
        ticks.sort_by(f64::total_cmp);
        ticks.dedup();
    }
    ticks
}

/// Tick text: integers without decimals, other values with at most three decimals.
pub(crate) fn tick(v: f64) -> String {
    if v == v.trunc() && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        let s = format!("{v:.3}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_compact() {
        assert_eq!(tick(150.0), "150");
        assert_eq!(tick(0.25), "0.25");
        assert_eq!(tick(0.1 + 0.2), "0.3");
        assert_eq!(tick(-2.5), "-2.5");
    }

    #[test]
    fn log_ticks_follow_decades() {
        assert_eq!(log_ticks(100.0, 1000.0), vec![100.0, 200.0, 500.0, 1000.0]);
        assert_eq!(log_ticks(150.0, 100_000.0).len(), 9);
        assert_eq!(log_ticks(165.0, 315.0), vec![165.0, 200.0, 300.0, 315.0]);
        assert_eq!(log_ticks(151.0, 450.0), vec![200.0, 300.0, 400.0]);
        assert_eq!(log_ticks(1.0, 1e9).len(), 10);
    }

    #[test]
    fn ranges_fit_data_or_reject_bad_input() {
        assert_eq!(
            fit_range("x", [3.0, 1.0, 2.0], None, false).unwrap(),
            (1.0, 3.0)
        );
        assert_eq!(fit_range("x", [5.0], None, false).unwrap(), (4.0, 6.0));
        assert_eq!(fit_range("x", [5.0], None, true).unwrap(), (2.5, 10.0));
        assert_eq!(
            fit_range("x", [], Some((0.0, 1.0)), false).unwrap(),
            (0.0, 1.0)
        );
        assert!(fit_range("x", [], None, false).is_err());
        assert!(fit_range("x", [1.0, f64::NAN], None, false).is_err());
        assert!(fit_range("x", [], Some((1.0, 1.0)), false).is_err());
        assert!(fit_range("x", [0.0, 10.0], None, true).is_err());
    }
}
