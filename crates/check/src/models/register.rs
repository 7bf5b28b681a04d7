//! A single register holding an integer or nil, with read, write and compare-and-set.

use std::fmt;

use crate::model::Model;

/// A register operation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RegisterInput {
    /// Read the current value.
    Read,
    /// Overwrite the value.
    Write(i64),
    /// Set the value to `new` if it currently equals `expected`.
    Cas {
        /// The value the register must hold for the swap to happen.
        expected: i64,
        /// The value written when it does.
        new: i64,
    },
}

/// A register operation's result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RegisterOutput {
    /// The value a read returned (`None` is nil).
    Value(Option<i64>),
    /// A write was acknowledged.
    Ok,
    /// Whether a compare-and-set swapped.
    Cas(bool),
}

/// Register model: starts as nil.
#[derive(Clone, Copy, Debug, Default)]
pub struct RegisterModel;

impl Model for RegisterModel {
    type State = Option<i64>;
    type Input = RegisterInput;
    type Output = RegisterOutput;

    fn init(&self) -> Option<i64> {
        None
    }

    fn step(
        &self,
        state: &Option<i64>,
        input: &RegisterInput,
        output: Option<&RegisterOutput>,
    ) -> Option<Option<i64>> {
        match (input, output) {
            (RegisterInput::Read, None) => Some(*state),
            (RegisterInput::Read, Some(RegisterOutput::Value(v))) => (v == state).then_some(*state),
            (RegisterInput::Write(v), None | Some(RegisterOutput::Ok)) => Some(Some(*v)),
            (RegisterInput::Cas { expected, new }, out) => {
                let swaps = *state == Some(*expected);
                match out {
                    None => Some(if swaps { Some(*new) } else { *state }),
                    Some(RegisterOutput::Cas(true)) if swaps => Some(Some(*new)),
                    Some(RegisterOutput::Cas(false)) if !swaps => Some(*state),
                    _ => None,
                }
            }
            _ => None,
        }
    }

    /// A read that returned `v` (a cas that swapped from `v`) needs the register to hold
    /// `v`: it does already, or a write or cas among `before` may write it.
    fn may_become_valid(
        &self,
        state: &Option<i64>,
        observer: &RegisterInput,
        output: Option<&RegisterOutput>,
        before: &[&RegisterInput],
    ) -> bool {
        let needed = match (observer, output) {
            (RegisterInput::Read, Some(RegisterOutput::Value(v))) => *v,
            (RegisterInput::Cas { expected, .. }, Some(RegisterOutput::Cas(true))) => {
                Some(*expected)
            }
            _ => return true,
        };
        *state == needed
            || before.iter().any(|op| match op {
                RegisterInput::Write(v) | RegisterInput::Cas { new: v, .. } => needed == Some(*v),
                RegisterInput::Read => false,
            })
    }

    /// A read; a cas that did not swap.
    fn read_only(&self, input: &RegisterInput, output: Option<&RegisterOutput>) -> bool {
        matches!(
            (input, output),
            (RegisterInput::Read, _)
                | (RegisterInput::Cas { .. }, Some(RegisterOutput::Cas(false)))
        )
    }

    /// A read changes nothing; a write or cas of `v` can matter only to a read of `v`, a
    /// cas that swapped from `v`, or a cas whose result is false or unknown (it may
    /// have needed the register not to hold its expected value).
    fn may_affect(
        &self,
        effect: &RegisterInput,
        observer: &RegisterInput,
        output: Option<&RegisterOutput>,
    ) -> bool {
        let written = match effect {
            RegisterInput::Read => return false,
            RegisterInput::Write(v) | RegisterInput::Cas { new: v, .. } => *v,
        };
        match (observer, output) {
            (RegisterInput::Read, Some(RegisterOutput::Value(seen))) => *seen == Some(written),
            (RegisterInput::Cas { expected, .. }, Some(RegisterOutput::Cas(true))) => {
                *expected == written
            }
            (RegisterInput::Cas { .. }, _) => true,
            (RegisterInput::Read | RegisterInput::Write(_), _) => false,
        }
    }

    fn describe_state(&self, state: &Option<i64>, _about: Option<&RegisterInput>) -> String {
        state.map_or_else(|| "nil".to_owned(), |v| v.to_string())
    }
}

fn fmt_value(v: Option<i64>, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    match v {
        Some(v) => write!(f, "{v}"),
        None => f.write_str("nil"),
    }
}

impl fmt::Display for RegisterInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RegisterInput::Read => f.write_str("read"),
            RegisterInput::Write(v) => write!(f, "write {v}"),
            RegisterInput::Cas { expected, new } => write!(f, "cas {expected}->{new}"),
        }
    }
}

impl fmt::Display for RegisterOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RegisterOutput::Value(v) => fmt_value(*v, f),
            RegisterOutput::Ok => f.write_str("ok"),
            RegisterOutput::Cas(swapped) => write!(f, "{swapped}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(s: Option<i64>, i: RegisterInput, o: Option<RegisterOutput>) -> Option<Option<i64>> {
        RegisterModel.step(&s, &i, o.as_ref())
    }

    #[test]
    fn a_read_is_reachable_only_from_its_value_or_a_write_of_it() {
        let m = RegisterModel;
        let read = |v: Option<i64>| Some(RegisterOutput::Value(v));
        let w = |v: i64| RegisterInput::Write(v);
        let cas = RegisterInput::Cas {
            expected: 1,
            new: 2,
        };
        assert!(m.may_become_valid(&Some(1), &RegisterInput::Read, read(Some(1)).as_ref(), &[]));
        assert!(!m.may_become_valid(
            &Some(1),
            &RegisterInput::Read,
            read(Some(2)).as_ref(),
            &[&w(3)]
        ));
        assert!(m.may_become_valid(
            &Some(1),
            &RegisterInput::Read,
            read(Some(2)).as_ref(),
            &[&cas]
        ));
        assert!(!m.may_become_valid(
            &Some(1),
            &RegisterInput::Read,
            read(None).as_ref(),
            &[&w(3)]
        ));
        assert!(m.may_become_valid(&None, &RegisterInput::Read, None, &[]));
        let swapped = Some(RegisterOutput::Cas(true));
        assert!(!m.may_become_valid(&Some(5), &cas, swapped.as_ref(), &[&cas, &w(2)]));
        assert!(m.may_become_valid(&Some(5), &cas, swapped.as_ref(), &[&w(1)]));
    }

    #[test]
    fn starts_nil_and_reads_what_was_written() {
        let m = RegisterModel;
        assert_eq!(m.init(), None);
        let s = step(None, RegisterInput::Write(4), Some(RegisterOutput::Ok)).unwrap();
        assert_eq!(s, Some(4));
        assert_eq!(
            step(s, RegisterInput::Read, Some(RegisterOutput::Value(Some(4)))),
            Some(s)
        );
        assert_eq!(
            step(s, RegisterInput::Read, Some(RegisterOutput::Value(None))),
            None
        );
        assert_eq!(step(s, RegisterInput::Read, None), Some(s));
    }

    #[test]
    fn cas_swaps_only_on_match_and_result_must_agree() {
        let cas = RegisterInput::Cas {
            expected: 1,
            new: 2,
        };
        assert_eq!(
            step(Some(1), cas.clone(), Some(RegisterOutput::Cas(true))),
            Some(Some(2))
        );
        assert_eq!(
            step(Some(1), cas.clone(), Some(RegisterOutput::Cas(false))),
            None
        );
        assert_eq!(
            step(Some(3), cas.clone(), Some(RegisterOutput::Cas(false))),
            Some(Some(3))
        );
        assert_eq!(
            step(None, cas.clone(), Some(RegisterOutput::Cas(true))),
            None
        );
        assert_eq!(step(Some(1), cas.clone(), None), Some(Some(2)));
        assert_eq!(step(Some(0), cas, None), Some(Some(0)));
    }

    #[test]
    fn mismatched_output_kind_is_rejected() {
        assert_eq!(
            step(
                None,
                RegisterInput::Write(1),
                Some(RegisterOutput::Cas(true))
            ),
            None
        );
        assert_eq!(
            step(None, RegisterInput::Read, Some(RegisterOutput::Ok)),
            None
        );
    }

    #[test]
    fn display_is_compact() {
        assert_eq!(
            RegisterInput::Cas {
                expected: 1,
                new: 2
            }
            .to_string(),
            "cas 1->2"
        );
        assert_eq!(RegisterOutput::Value(None).to_string(), "nil");
        assert_eq!(RegisterModel.describe_state(&Some(3), None), "3");
        assert_eq!(RegisterModel.describe_state(&None, None), "nil");
    }
}
