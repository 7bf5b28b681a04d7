//! The fast search against a brute-force checker (every order respecting real time, each
//! indeterminate operation placed anywhere after its invocation or left out) on small
//! random histories (at most 8 operations) of every model: a simulated atomic object's
//! history, with some results and operations replaced by plausible wrong ones so that both
//! verdicts occur.
//!
//! `FAULTLINE_BRUTE_CASES` sets the cases per model (default 200); the deep run is
//!
//! ```text
//! FAULTLINE_BRUTE_CASES=100000 nice -n 19 cargo test --release -p faultline-check \
//!     --test brute_force -- --nocapture
//! ```
//!
//! which prints, per model, how many cases were linearizable and how many not.

mod support;

use faultline_check::{
    check, CheckOptions, FifoQueueModel, KvModel, MutexModel, RegisterModel, SetModel,
    UnorderedQueueModel,
};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use std::cell::Cell;
use support::{brute_force, execute, Atomic, Raw};

fn cases() -> u32 {
    match std::env::var("FAULTLINE_BRUTE_CASES") {
        Err(_) => 200,
        Ok(text) => text.parse().unwrap_or_else(|_| {
            panic!("FAULTLINE_BRUTE_CASES={text:?}: expected a whole number of cases")
        }),
    }
}

/// Up to 8 operations, overlapping a lot (linearization points 1000 apart, intervals
/// reaching up to 2500 either side), a fifth indeterminate, a fifth corrupted.
fn raws() -> impl Strategy<Value = Vec<Raw>> {
    let raw = (
        any::<u8>(),
        any::<u8>(),
        0u64..2500,
        0u64..2500,
        prop::bool::weighted(0.2),
        any::<bool>(),
        prop::option::weighted(0.2, any::<u8>()),
    )
        .prop_map(
            |(a, b, before, after, indeterminate, applied, corrupt)| Raw {
                a,
                b,
                before,
                after,
                indeterminate,
                applied,
                corrupt,
            },
        );
    prop::collection::vec(raw, 1..=8)
}

/// Runs the comparison for one model; returns (linearizable, not linearizable) counts.
fn agree<M: Atomic>(model: M, partitions: &[bool]) -> (u64, u64) {
    let config = Config {
        cases: cases(),
        failure_persistence: None,
        ..Config::default()
    };
    let counts = (Cell::new(0u64), Cell::new(0u64));
    let mut runner = TestRunner::new(config);
    let result = runner.run(&raws(), |raws| {
        let history = execute(&model, &raws);
        let expected = brute_force(&model, &history);
        for &partition in partitions {
            let options = CheckOptions {
                partition,
                ..CheckOptions::default()
            };
            let got = check(&model, &history, &options).linearizable();
            prop_assert_eq!(
                got,
                Some(expected),
                "partition {}: {:?}",
                partition,
                history
            );
        }
        let count = if expected { &counts.0 } else { &counts.1 };
        count.set(count.get() + 1);
        Ok(())
    });
    if let Err(failure) = result {
        panic!(
            "{}: the fast search disagrees with brute force: {failure}",
            M::NAME
        );
    }
    let (yes, no) = (counts.0.get(), counts.1.get());
    println!(
        "{}: {} cases agree ({yes} linearizable, {no} not)",
        M::NAME,
        yes + no
    );
    assert!(yes > 0 && no > 0, "{}: both verdicts must occur", M::NAME);
    (yes, no)
}

#[test]
fn register_agrees_with_brute_force() {
    agree(RegisterModel, &[true]);
}

#[test]
fn kv_agrees_with_brute_force_with_and_without_partitions() {
    agree(KvModel, &[true, false]);
}

#[test]
fn set_agrees_with_brute_force() {
    agree(SetModel, &[true]);
}

#[test]
fn fifo_queue_agrees_with_brute_force() {
    agree(FifoQueueModel, &[true]);
}

#[test]
fn unordered_queue_agrees_with_brute_force() {
    agree(UnorderedQueueModel, &[true]);
}

#[test]
fn mutex_agrees_with_brute_force() {
    agree(MutexModel, &[true]);
}

/// The oracle itself must be able to say no, and yes.
#[test]
fn brute_force_decides_known_histories() {
    use faultline_check::{History, RegisterInput, RegisterOutput};
    let mut stale = History::new();
    stale.push_complete(0, 0, 10, RegisterInput::Write(1), RegisterOutput::Ok);
    stale.push_complete(1, 20, 30, RegisterInput::Read, RegisterOutput::Value(None));
    assert!(!brute_force(&RegisterModel, &stale));
    stale.ops[1].invoke = 10;
    assert!(
        brute_force(&RegisterModel, &stale),
        "touching ops are concurrent"
    );
    let mut late = History::new();
    late.push_complete(
        0,
        0,
        10,
        RegisterInput::Read,
        RegisterOutput::Value(Some(1)),
    );
    late.push_indeterminate(1, 20, RegisterInput::Write(1));
    assert!(
        !brute_force(&RegisterModel, &late),
        "not before its invocation"
    );
    late.ops[0].complete = Some(20);
    assert!(brute_force(&RegisterModel, &late));
}
