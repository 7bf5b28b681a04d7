//! A lock with acquire and release, as Knossos' `mutex` model: acquiring a held lock or
//! releasing a free one is impossible (a Jepsen `:fail` did not happen).

use std::fmt;

use crate::model::Model;

/// A mutex operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MutexInput {
    /// Take the lock.
    Acquire,
    /// Give the lock back.
    Release,
}

/// A mutex operation's result: it succeeded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MutexOutput;

/// Mutex model: starts free; the state is whether the lock is held.
#[derive(Clone, Copy, Debug, Default)]
pub struct MutexModel;

impl Model for MutexModel {
    type State = bool;
    type Input = MutexInput;
    type Output = MutexOutput;

    fn init(&self) -> bool {
        false
    }

    fn step(&self, held: &bool, input: &MutexInput, _output: Option<&MutexOutput>) -> Option<bool> {
        match input {
            MutexInput::Acquire => (!held).then_some(true),
            MutexInput::Release => held.then_some(false),
        }
    }

    fn describe_state(&self, held: &bool, _about: Option<&MutexInput>) -> String {
        if *held { "held" } else { "free" }.to_owned()
    }
}

impl fmt::Display for MutexInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            MutexInput::Acquire => "acquire",
            MutexInput::Release => "release",
        })
    }
}

impl fmt::Display for MutexOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ok")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn acquire_needs_a_free_lock_and_release_a_held_one() {
        let m = MutexModel;
        let held = m
            .step(&m.init(), &MutexInput::Acquire, Some(&MutexOutput))
            .unwrap();
        assert_eq!(m.step(&held, &MutexInput::Acquire, None), None);
        assert_eq!(m.step(&held, &MutexInput::Release, None), Some(false));
        assert_eq!(
            m.step(&false, &MutexInput::Release, Some(&MutexOutput)),
            None
        );
        assert_eq!(m.describe_state(&held, None), "held");
        assert_eq!(MutexInput::Release.to_string(), "release");
    }
}
