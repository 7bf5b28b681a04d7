//! The sequential specification a history is checked against.

use std::fmt::{Debug, Display};
use std::hash::Hash;

/// A sequential object: a state machine whose steps are client operations.
///
/// The checker stores one copy of each state it reaches and compares states with `Eq`
/// and `Hash`, so both should be cheap (e.g. share large values behind `Rc`).
pub trait Model {
    /// The object's state.
    type State: Clone + Eq + Hash + Debug;
    /// An operation's arguments.
    type Input: Display;
    /// An operation's result.
    type Output: Display;

    /// The initial state.
    fn init(&self) -> Self::State;

    /// Applies `input` to `state`. Returns the next state when the operation can
    /// return `output` from `state` (`None` output: any result is acceptable), or
    /// `None` when it cannot.
    fn step(
        &self,
        state: &Self::State,
        input: &Self::Input,
        output: Option<&Self::Output>,
    ) -> Option<Self::State>;

    /// Renders a state for a counterexample; `about` is the operation that could not be
    /// placed, so a model may show only the part of the state it touches.
    fn describe_state(&self, state: &Self::State, about: Option<&Self::Input>) -> String {
        let _ = about;
        format!("{state:?}")
    }

    /// The independent part of the object an operation touches (e.g. its key), when
    /// the model is P-compositional; operations of different partitions are checked
    /// separately. `None` puts every operation in one partition.
    fn partition_key<'a>(&self, input: &'a Self::Input) -> Option<&'a str> {
        let _ = input;
        None
    }

    /// Whether `input`, returning `output`, leaves every state it is valid in unchanged
    /// (a read; a compare-and-set that reported no swap).
    ///
    /// `true` promises: whenever `step` accepts it, it returns the state it was given.
    /// The search then places such a completed operation as soon as it is valid instead
    /// of trying it in every position (any valid order can move it that early), which
    /// turns k concurrent reads from 2^k configurations into one. The default, `false`,
    /// is always sound.
    fn read_only(&self, input: &Self::Input, output: Option<&Self::Output>) -> bool {
        let _ = (input, output);
        false
    }

    /// Whether `observer`, which returned `output`, may become valid from `state` after
    /// some of the operations `before` (each at most once, in any order; `before` may
    /// hold the observer itself, which is then not to be counted, and leaves out
    /// completed operations that are [`Model::read_only`]).
    ///
    /// `false` promises that no such sequence makes `step` accept the observer. The
    /// search asks it after each state change about the next operations that must be
    /// placed, with the operations that may still go before each, and abandons the
    /// configuration at once instead of trying every order of those operations first
    /// (e.g. a get that returned "ab" when the value is already "ac" and only appends
    /// may come first). An answer must not get stricter when `before` grows. The
    /// default, `true`, is always sound.
    fn may_become_valid(
        &self,
        state: &Self::State,
        observer: &Self::Input,
        output: Option<&Self::Output>,
        before: &[&Self::Input],
    ) -> bool {
        let _ = (state, observer, output, before);
        true
    }

    /// Whether `effect`, an operation that may or may not have taken place (it never
    /// returned), can matter to `observer`, which returned `output` (`None`: unknown).
    ///
    /// `false` promises: in any valid sequence where `effect` is followed by
    /// `observer` and by no operation for which this returns `true`, removing `effect`
    /// leaves `observer` valid and every later state as it was, up to an operation that
    /// overwrites the difference. The checker then stops trying `effect` once every
    /// operation that may observe it has returned, and drops it when none may; so a
    /// register's write of a value nobody reads costs nothing. The default, `true`, is
    /// always sound.
    fn may_affect(
        &self,
        effect: &Self::Input,
        observer: &Self::Input,
        output: Option<&Self::Output>,
    ) -> bool {
        let _ = (effect, observer, output);
        true
    }
}
