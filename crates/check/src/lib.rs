//! Histories, models and the linearizability checker.
