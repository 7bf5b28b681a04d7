//! A short, printable explanation of why a history is not linearizable.

use std::fmt;

use crate::checker::{PartitionAnalysis, PartitionResult};
use crate::history::{History, Operation};

/// How many of the last linearized operations a counterexample shows.
const PREFIX_SHOWN: usize = 6;
/// Longest rendering of one call or result before it is shortened.
const TEXT_MAX: usize = 60;

/// One operation of a counterexample, rendered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpSummary {
    /// Index of the operation in the history.
    pub index: usize,
    /// Its client.
    pub client: u64,
    /// Invocation time.
    pub invoke: u64,
    /// Completion time (`None`: indeterminate).
    pub complete: Option<u64>,
    /// The call, e.g. `append("k", "x")`.
    pub call: String,
    /// The result (`None`: unknown).
    pub result: Option<String>,
}

/// The smallest failing partition and the point where every linearization attempt of
/// it got stuck.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Counterexample {
    /// The partition (e.g. the key); `None` when the history was checked as a whole.
    pub partition: Option<String>,
    /// Number of operations in that partition.
    pub partition_ops: usize,
    /// Length of the longest linearizable prefix found.
    pub linearized: usize,
    /// The last few operations of that prefix, in linearization order.
    pub prefix_tail: Vec<OpSummary>,
    /// The model state after that prefix.
    pub state: String,
    /// The operation that completed before it could be placed after that prefix.
    pub blocked: Option<OpSummary>,
    /// Other operations invoked but not yet placed at that point (at most a few).
    pub pending: Vec<OpSummary>,
}

fn shorten(text: String) -> String {
    if text.chars().count() <= TEXT_MAX {
        return text;
    }
    let head: String = text.chars().take(TEXT_MAX / 2).collect();
    let tail: Vec<char> = text.chars().rev().take(TEXT_MAX / 2 - 4).collect();
    let tail: String = tail.into_iter().rev().collect();
    format!("{head} ... {tail}")
}

fn summary<I: fmt::Display, O: fmt::Display>(index: usize, op: &Operation<I, O>) -> OpSummary {
    OpSummary {
        index,
        client: op.client,
        invoke: op.invoke,
        complete: op.complete,
        call: shorten(op.input.to_string()),
        result: op.output.as_ref().map(|o| shorten(o.to_string())),
    }
}

impl Counterexample {
    /// Renders a refuted partition of `history`.
    pub(crate) fn new<I: fmt::Display, O: fmt::Display>(
        part: &PartitionAnalysis,
        history: &History<I, O>,
    ) -> Self {
        let PartitionResult::NotLinearizable {
            prefix,
            blocked,
            pending,
            state,
        } = &part.result
        else {
            unreachable!("counterexamples come from refuted partitions")
        };
        let render = |index: usize| summary(index, &history.ops[index]);
        let skip = prefix.len().saturating_sub(PREFIX_SHOWN);
        Counterexample {
            partition: part.key.clone(),
            partition_ops: part.ops.len(),
            linearized: prefix.len(),
            prefix_tail: prefix[skip..].iter().map(|&op| render(op)).collect(),
            state: shorten(state.clone()),
            blocked: blocked.map(render),
            pending: pending.iter().map(|&op| render(op)).collect(),
        }
    }
}

impl fmt::Display for OpSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "#{} client {} [{}, ",
            self.index, self.client, self.invoke
        )?;
        match self.complete {
            Some(t) => write!(f, "{t}]")?,
            None => f.write_str("never returned)")?,
        }
        write!(f, " {} -> ", self.call)?;
        match &self.result {
            Some(r) => f.write_str(r),
            None => f.write_str("?"),
        }
    }
}

impl fmt::Display for Counterexample {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.partition {
            Some(p) => write!(f, "partition {p:?} ({} ops)", self.partition_ops)?,
            None => write!(f, "history ({} ops)", self.partition_ops)?,
        }
        writeln!(f, " cannot be linearized")?;
        writeln!(
            f,
            "  longest linearizable prefix: {} ops, ending with:",
            self.linearized
        )?;
        if self.prefix_tail.is_empty() {
            writeln!(f, "    (nothing)")?;
        }
        for op in &self.prefix_tail {
            writeln!(f, "    {op}")?;
        }
        writeln!(f, "  state then: {}", self.state)?;
        if let Some(op) = &self.blocked {
            writeln!(f, "  then this op returned but cannot be placed:")?;
            writeln!(f, "    {op}")?;
        }
        if !self.pending.is_empty() {
            writeln!(f, "  while these were pending:")?;
            for op in &self.pending {
                writeln!(f, "    {op}")?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_values_are_shortened() {
        let long = "x".repeat(500);
        let short = shorten(long);
        assert!(short.len() < 70, "{short}");
        assert!(short.contains(" ... "));
        assert_eq!(shorten("abc".into()), "abc");
    }
}
