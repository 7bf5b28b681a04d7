//! Sample statistics for charts and summary tables: empirical CDFs and quantiles.

use crate::ReportError;

/// Sorted copy of `values`; an error if empty or any value is not finite.
fn sorted(values: &[f64]) -> Result<Vec<f64>, ReportError> {
    if values.is_empty() {
        return Err(ReportError::input("no samples"));
    }
    if let Some(bad) = values.iter().find(|v| !v.is_finite()) {
        return Err(ReportError::input(format!("sample {bad} is not finite")));
    }
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    Ok(v)
}

/// The empirical CDF of `values` as a step line: for each distinct value `v`, the points
/// `(v, F(v⁻))` and `(v, F(v))`, where `F(v)` is the fraction of samples ≤ `v`.
pub fn cdf_points(values: &[f64]) -> Result<Vec<(f64, f64)>, ReportError> {
    let v = sorted(values)?;
    let n = v.len() as f64;
    let mut points = Vec::new();
    let mut below = 0usize;
    let mut i = 0;
    while i < v.len() {
        let x = v[i];
        let mut j = i;
        while j < v.len() && v[j] == x {
            j += 1;
        }
        points.push((x, below as f64 / n));
        below = j;
        points.push((x, below as f64 / n));
        i = j;
    }
    Ok(points)
}

/// The `q`-quantile (0 ≤ q ≤ 1) by the nearest-rank method: the smallest sample with at least
/// `q` of the samples at or below it (`q = 0` gives the minimum).
pub fn quantile(values: &[f64], q: f64) -> Result<f64, ReportError> {
    if !(0.0..=1.0).contains(&q) {
        return Err(ReportError::input(format!("quantile {q} outside 0..=1")));
    }
    let v = sorted(values)?;
    Ok(v[nearest_rank(v.len(), q)])
}

fn nearest_rank(n: usize, q: f64) -> usize {
    ((q * n as f64).ceil() as usize).clamp(1, n) - 1
}

/// Summary of a sample set, as shown in report tables and the README.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SampleSummary {
    /// Number of samples.
    pub count: usize,
    /// Smallest sample.
    pub min: f64,
    /// Median (nearest rank).
    pub median: f64,
    /// 90th percentile (nearest rank).
    pub p90: f64,
    /// 99th percentile (nearest rank).
    pub p99: f64,
    /// Largest sample.
    pub max: f64,
    /// Arithmetic mean.
    pub mean: f64,
}

impl SampleSummary {
    /// Summarises `values`; an error if empty or not finite.
    pub fn of(values: &[f64]) -> Result<Self, ReportError> {
        let v = sorted(values)?;
        let n = v.len();
        Ok(Self {
            count: n,
            min: v[0],
            median: v[nearest_rank(n, 0.5)],
            p90: v[nearest_rank(n, 0.9)],
            p99: v[nearest_rank(n, 0.99)],
            max: v[n - 1],
            mean: v.iter().sum::<f64>() / n as f64,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cdf_steps_through_each_distinct_value() {
        let p = cdf_points(&[3.0, 1.0, 1.0, 2.0]).unwrap();
        assert_eq!(
            p,
            vec![
                (1.0, 0.0),
                (1.0, 0.5),
                (2.0, 0.5),
                (2.0, 0.75),
                (3.0, 0.75),
                (3.0, 1.0)
            ]
        );
    }

    #[test]
    fn quantiles_use_nearest_rank() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(quantile(&v, 0.5).unwrap(), 50.0);
        assert_eq!(quantile(&v, 0.99).unwrap(), 99.0);
        assert_eq!(quantile(&v, 1.0).unwrap(), 100.0);
        assert_eq!(quantile(&v, 0.0).unwrap(), 1.0);
        let s = SampleSummary::of(&v).unwrap();
        assert_eq!(
            (s.count, s.min, s.median, s.p90, s.max),
            (100, 1.0, 50.0, 90.0, 100.0)
        );
        assert_eq!(s.mean, 50.5);
    }

    #[test]
    fn bad_samples_are_errors() {
        assert!(cdf_points(&[]).is_err());
        assert!(quantile(&[1.0, f64::NAN], 0.5).is_err());
        assert!(quantile(&[1.0], 1.5).is_err());
        assert!(SampleSummary::of(&[f64::INFINITY]).is_err());
    }
}
