//! A set of integers with add and read, as Knossos' `set` model: a read returns the
//! whole set and must equal it exactly.

use std::collections::BTreeSet;
use std::fmt;

use crate::model::Model;

/// A set operation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SetInput {
    /// Add an element.
    Add(i64),
    /// Read every element.
    Read,
}

/// A set operation's result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SetOutput {
    /// An add was acknowledged.
    Ok,
    /// The elements a read returned.
    Values(BTreeSet<i64>),
}

/// Set model: starts empty.
#[derive(Clone, Copy, Debug, Default)]
pub struct SetModel;

impl Model for SetModel {
    type State = BTreeSet<i64>;
    type Input = SetInput;
    type Output = SetOutput;

    fn init(&self) -> BTreeSet<i64> {
        BTreeSet::new()
    }

    fn step(
        &self,
        state: &BTreeSet<i64>,
        input: &SetInput,
        output: Option<&SetOutput>,
    ) -> Option<BTreeSet<i64>> {
        match (input, output) {
            (SetInput::Add(v), None | Some(SetOutput::Ok)) => {
                let mut next = state.clone();
                next.insert(*v);
                Some(next)
            }
            (SetInput::Read, None) => Some(state.clone()),
            (SetInput::Read, Some(SetOutput::Values(seen))) => {
                (seen == state).then(|| state.clone())
            }
            _ => None,
        }
    }

    /// A read.
    fn read_only(&self, input: &SetInput, _output: Option<&SetOutput>) -> bool {
        matches!(input, SetInput::Read)
    }

    /// A read changes nothing; an add of `v` can matter only to a read that returned `v`
    /// (a read without `v` cannot follow it, and other operations never look).
    fn may_affect(
        &self,
        effect: &SetInput,
        observer: &SetInput,
        output: Option<&SetOutput>,
    ) -> bool {
        match (effect, observer, output) {
            (SetInput::Add(v), SetInput::Read, Some(SetOutput::Values(seen))) => seen.contains(v),
            _ => false,
        }
    }

    fn describe_state(&self, state: &BTreeSet<i64>, _about: Option<&SetInput>) -> String {
        fmt_elements(state.iter())
    }
}

/// `#{1 2 3}`, as EDN writes a set.
pub(crate) fn fmt_elements<'a>(items: impl Iterator<Item = &'a i64>) -> String {
    let items: Vec<String> = items.map(i64::to_string).collect();
    format!("#{{{}}}", items.join(" "))
}

impl fmt::Display for SetInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SetInput::Add(v) => write!(f, "add {v}"),
            SetInput::Read => f.write_str("read"),
        }
    }
}

impl fmt::Display for SetOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SetOutput::Ok => f.write_str("ok"),
            SetOutput::Values(items) => f.write_str(&fmt_elements(items.iter())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(items: &[i64]) -> SetOutput {
        SetOutput::Values(items.iter().copied().collect())
    }

    #[test]
    fn reads_must_see_exactly_the_added_elements() {
        let m = SetModel;
        let s = m
            .step(&m.init(), &SetInput::Add(2), Some(&SetOutput::Ok))
            .unwrap();
        let s = m.step(&s, &SetInput::Add(1), None).unwrap();
        assert!(m
            .step(&s, &SetInput::Read, Some(&values(&[1, 2])))
            .is_some());
        assert!(m.step(&s, &SetInput::Read, Some(&values(&[2]))).is_none());
        assert!(m
            .step(&s, &SetInput::Read, Some(&values(&[1, 2, 3])))
            .is_none());
        assert!(m.step(&s, &SetInput::Add(1), Some(&values(&[]))).is_none());
        assert_eq!(m.step(&s, &SetInput::Add(1), None), Some(s.clone()));
    }

    #[test]
    fn only_a_read_that_saw_the_element_depends_on_its_add() {
        let m = SetModel;
        let seen = values(&[3]);
        assert!(m.may_affect(&SetInput::Add(3), &SetInput::Read, Some(&seen)));
        assert!(!m.may_affect(&SetInput::Add(4), &SetInput::Read, Some(&seen)));
        assert!(!m.may_affect(&SetInput::Add(3), &SetInput::Read, None));
        assert!(!m.may_affect(&SetInput::Read, &SetInput::Read, Some(&seen)));
    }

    #[test]
    fn display_is_edn_like() {
        assert_eq!(values(&[3, 1]).to_string(), "#{1 3}");
        assert_eq!(SetInput::Add(4).to_string(), "add 4");
        assert_eq!(SetModel.describe_state(&BTreeSet::new(), None), "#{}");
    }
}
