//! Fuzzing a user's own protocol from `cargo test`: run a check over many seeds and, on failure,
//! say which seed failed and how to replay exactly that one.

use std::ops::Range;

/// Environment variable that narrows [`check_seeds`] to one seed, for replaying a failure.
pub const SEED_ENV: &str = "FAULTLINE_SEED";

/// Runs `check` for each seed in `seeds` (or only the seed in `FAULTLINE_SEED`, if set) and
/// panics on the first failure with the seed, the error and the command that replays it.
///
/// ```
/// use faultline_sim::check_seeds;
/// check_seeds(0..50, |seed| if seed < 1000 { Ok(()) } else { Err(format!("seed {seed} too big")) });
/// ```
pub fn check_seeds(seeds: Range<u64>, check: impl Fn(u64) -> Result<(), String>) {
    let only = std::env::var(SEED_ENV)
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok());
    let chosen: Vec<u64> = match only {
        Some(seed) => vec![seed],
        None => seeds.collect(),
    };
    for seed in chosen {
        if let Err(error) = check(seed) {
            panic!(
                "{}",
                failure_message(seed, &error, std::thread::current().name())
            );
        }
    }
}

fn failure_message(seed: u64, error: &str, test: Option<&str>) -> String {
    let test = test.filter(|name| *name != "main").unwrap_or("<test name>");
    format!("seed {seed} failed: {error}\nreplay: {SEED_ENV}={seed} cargo test {test} -- --exact")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failing_seed_is_named_with_its_replay_command() {
        let outcome = std::panic::catch_unwind(|| {
            check_seeds(0..100, |seed| {
                if seed == 37 {
                    Err("lost a write".into())
                } else {
                    Ok(())
                }
            })
        });
        let message = *outcome.unwrap_err().downcast::<String>().unwrap();
        assert!(
            message.starts_with("seed 37 failed: lost a write"),
            "{message}"
        );
        assert!(
            message.contains("FAULTLINE_SEED=37 cargo test"),
            "{message}"
        );
        assert!(
            message.contains("a_failing_seed_is_named_with_its_replay_command"),
            "{message}"
        );
    }

    #[test]
    fn passing_seeds_are_all_run() {
        let count = std::cell::Cell::new(0);
        if std::env::var(SEED_ENV).is_err() {
            check_seeds(5..25, |_| {
                count.set(count.get() + 1);
                Ok(())
            });
            assert_eq!(count.get(), 20);
        }
    }
}
