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
