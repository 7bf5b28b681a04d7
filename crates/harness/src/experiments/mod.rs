//! Experiments: many runs of generated scenarios, reduced to the figures the literature reports,
//! next to the figure the theory or the paper predicts.

pub mod gossip;
pub mod raft;

/// One row of an experiment's result table.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    /// What was measured (e.g. `n = 1000`).
    pub label: String,
    /// The measured mean.
    pub measured: f64,
    /// What theory or the paper gives, when there is a number to compare with.
    pub reference: Option<f64>,
    /// Runs behind the mean.
    pub runs: usize,
    /// Anything else worth printing (spread, units).
    pub note: String,
}

impl Row {
    /// measured / reference, when there is a reference.
    pub fn ratio(&self) -> Option<f64> {
        self.reference
            .filter(|r| *r != 0.0)
            .map(|r| self.measured / r)
    }
}

/// Mean of a non-empty slice (0 for an empty one).
pub fn mean(values: &[f64]) -> f64 {
    if values.is_empty() {
        0.0
    } else {
        values.iter().sum::<f64>() / values.len() as f64
    }
}
