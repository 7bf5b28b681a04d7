//! Interned model states and a cache of transitions between them.

use std::collections::HashMap;

use crate::hashing::FixedState;
use crate::model::Model;

const FAILS: u32 = u32::MAX;

/// Maps each distinct model state to a small id and remembers `step` results, so the
/// search compares and hashes `u32`s instead of states.
pub(crate) struct StateTable<'m, M: Model> {
    model: &'m M,
    states: Vec<M::State>,
    ids: HashMap<M::State, u32, FixedState>,
    transitions: HashMap<(u32, u32), u32, FixedState>,
}

impl<'m, M: Model> StateTable<'m, M> {
    /// A table holding only the model's initial state, which gets id 0.
    pub(crate) fn new(model: &'m M) -> Self {
        let mut table = Self {
            model,
            states: Vec::new(),
            ids: HashMap::default(),
            transitions: HashMap::default(),
        };
        table.intern(model.init());
        table
    }

    fn intern(&mut self, state: M::State) -> u32 {
        if let Some(&id) = self.ids.get(&state) {
            return id;
        }
        let id = self.states.len() as u32;
        self.states.push(state.clone());
        self.ids.insert(state, id);
        id
    }

    /// The id of the state reached by applying operation `op` (`input`, `output`) in
    /// state `state`, or `None` when the model forbids it.
    pub(crate) fn step(
        &mut self,
        state: u32,
        op: u32,
        input: &M::Input,
        output: Option<&M::Output>,
    ) -> Option<u32> {
        if let Some(&next) = self.transitions.get(&(state, op)) {
            return (next != FAILS).then_some(next);
        }
        let next = match self.model.step(&self.states[state as usize], input, output) {
            Some(s) => self.intern(s),
            None => FAILS,
        };
        self.transitions.insert((state, op), next);
        (next != FAILS).then_some(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::register::{RegisterInput, RegisterModel, RegisterOutput};

    #[test]
    fn equal_states_share_an_id() {
        let mut t = StateTable::new(&RegisterModel);
        let w1 = t.step(0, 0, &RegisterInput::Write(1), Some(&RegisterOutput::Ok));
        let w1_again = t.step(0, 1, &RegisterInput::Write(1), None);
        assert_eq!(w1, Some(1));
        assert_eq!(w1_again, Some(1));
        let bad = t.step(
            1,
            2,
            &RegisterInput::Read,
            Some(&RegisterOutput::Value(None)),
        );
        assert_eq!(bad, None);
        assert_eq!(
            t.step(
                1,
                2,
                &RegisterInput::Read,
                Some(&RegisterOutput::Value(None))
            ),
            None
        );
    }
}
