//! Client histories: operations with their invocation and completion times.

/// One client operation as observed from outside the system.
///
/// `complete == None` means the client gave up (timeout, `:info`): the operation may
/// have taken effect at any point after `invoke`, or never. `output == None` means the
/// result is unknown; for a completed operation it still took effect between `invoke`
/// and `complete`. An operation completing at the instant another is invoked counts as
/// concurrent with it; a completion before the invocation is read as the invocation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Operation<I, O> {
    /// The client (process) that issued the operation.
    pub client: u64,
    /// Invocation time (virtual nanoseconds, or event position for logs without times).
    pub invoke: u64,
    /// Completion time, `None` when the outcome is indeterminate.
    pub complete: Option<u64>,
    /// What the client asked for.
    pub input: I,
    /// What the client was told, `None` when unknown.
    pub output: Option<O>,
}

impl<I, O> Operation<I, O> {
    /// True when the operation may or may not have taken effect.
    pub fn is_indeterminate(&self) -> bool {
        self.complete.is_none()
    }
}

/// A history: the operations of all clients, in no particular order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct History<I, O> {
    /// The operations.
    pub ops: Vec<Operation<I, O>>,
}

impl<I, O> Default for History<I, O> {
    fn default() -> Self {
        Self { ops: Vec::new() }
    }
}

impl<I, O> History<I, O> {
    /// An empty history.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds an operation that completed at `complete` with `output`.
    pub fn push_complete(&mut self, client: u64, invoke: u64, complete: u64, input: I, output: O) {
        self.ops.push(Operation {
            client,
            invoke,
            complete: Some(complete),
            input,
            output: Some(output),
        });
    }

    /// Adds an operation whose outcome is unknown (the client timed out).
    pub fn push_indeterminate(&mut self, client: u64, invoke: u64, input: I) {
        self.ops.push(Operation {
            client,
            invoke,
            complete: None,
            input,
            output: None,
        });
    }

    /// Number of operations.
    pub fn len(&self) -> usize {
        self.ops.len()
    }

    /// True when there are no operations.
    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }

    /// Number of indeterminate operations.
    pub fn indeterminate(&self) -> usize {
        self.ops.iter().filter(|op| op.is_indeterminate()).count()
    }
}
