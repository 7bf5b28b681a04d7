//! Deterministic simulation kernel.
