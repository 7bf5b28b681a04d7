//! Each planted bug, switched on alone, makes at least one rule test fail: the tests can fail.

use std::panic::{catch_unwind, AssertUnwindSafe};

use faultline_raft::{Config, PlantedBugs};

use crate::harness::test_config;

fn with(bugs: PlantedBugs) -> Config {
    Config {
        bugs,
        ..test_config()
    }
}

/// Runs `scenario` with the bug on and asserts that it detects a violation (panics).
fn detects(name: &str, bugs: PlantedBugs, scenario: fn(Config)) {
    let outcome = catch_unwind(AssertUnwindSafe(|| scenario(with(bugs))));
    assert!(outcome.is_err(), "planted bug `{name}` went unnoticed");
    // And the same scenario passes without it.
    scenario(test_config());
}

#[test]
fn commit_previous_term_by_counting_is_caught() {
    let bugs = PlantedBugs {
        commit_previous_term_by_counting: true,
        ..PlantedBugs::default()
    };
    detects(
        "commit_previous_term_by_counting (unit)",
        bugs,
        crate::safety::leader_commits_only_current_term_entries_by_counting,
    );
    detects(
        "commit_previous_term_by_counting (Figure 8)",
        bugs,
        crate::safety::figure8,
    );
}

#[test]
fn vote_without_log_check_is_caught() {
    let bugs = PlantedBugs {
        vote_without_log_check: true,
        ..PlantedBugs::default()
    };
    detects(
        "vote_without_log_check (unit)",
        bugs,
        crate::election::vote_requires_up_to_date_log,
    );
    detects(
        "vote_without_log_check (leader completeness)",
        bugs,
        crate::safety::candidate_with_stale_log_loses,
    );
}

#[test]
fn accept_stale_term_append_is_caught() {
    let bugs = PlantedBugs {
        accept_stale_term_append: true,
        ..PlantedBugs::default()
    };
    detects(
        "accept_stale_term_append",
        bugs,
        crate::safety::stale_leader_cannot_overwrite,
    );
}

#[test]
fn read_without_quorum_check_is_caught() {
    let bugs = PlantedBugs {
        read_without_quorum_check: true,
        ..PlantedBugs::default()
    };
    detects(
        "read_without_quorum_check",
        bugs,
        crate::reads::deposed_leader_serves_no_stale_read,
    );
}

#[test]
fn lease_ignores_clock_drift_is_caught() {
    let bugs = PlantedBugs {
        lease_ignores_clock_drift: true,
        ..PlantedBugs::default()
    };
    detects(
        "lease_ignores_clock_drift",
        bugs,
        crate::reads::lease_respects_clock_drift,
    );
}

#[test]
fn forget_lease_promise_on_restart_is_caught() {
    let bugs = PlantedBugs {
        forget_lease_promise_on_restart: true,
        ..PlantedBugs::default()
    };
    detects(
        "forget_lease_promise_on_restart",
        bugs,
        crate::reads::restarted_follower_keeps_the_lease_promise,
    );
}

#[test]
fn prevote_rejection_hides_term_is_caught() {
    let bugs = PlantedBugs {
        prevote_rejection_hides_term: true,
        ..PlantedBugs::default()
    };
    detects(
        "prevote_rejection_hides_term",
        bugs,
        crate::prevote_checkquorum::prevote_refusal_from_a_later_term_is_adopted,
    );
}

/// The default configuration plants nothing.
#[test]
fn all_switches_are_off_by_default() {
    assert_eq!(test_config().bugs, PlantedBugs::default());
    assert_eq!(Config::default().bugs, PlantedBugs::default());
    let b = PlantedBugs::default();
    assert!(
        !(b.commit_previous_term_by_counting
            || b.vote_without_log_check
            || b.read_without_quorum_check
            || b.accept_stale_term_append
            || b.lease_ignores_clock_drift
            || b.forget_lease_promise_on_restart
            || b.prevote_rejection_hides_term)
    );
}
