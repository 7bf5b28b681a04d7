//! The first seeds of every shipped fuzz template pass, from `cargo test`. This is the bounded
//! sweep `scripts/mutants.sh` relies on to kill a core's mutants with the fuzzer's own checks:
//! `FAULTLINE_TEST_SEEDS` seeds per template (12 when unset, so the suite stays quick; `.ci/run`
//! sweeps 300 per template through the CLI).

use faultline_harness::fuzz::{assert_seeds_pass, load_template};
use std::path::{Path, PathBuf};

fn seeds_per_template() -> u64 {
    match std::env::var("FAULTLINE_TEST_SEEDS") {
        Err(_) => 12,
        Ok(text) => match text.parse::<u64>() {
            Ok(n) if (1..=1_000_000).contains(&n) => n,
            _ => {
                panic!("FAULTLINE_TEST_SEEDS: expected a whole number 1..=1000000, found {text:?}")
            }
        },
    }
}

fn templates() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios/fuzz");
    let mut found: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: cannot list the fuzz templates: {e}", dir.display()))
        .map(|entry| entry.expect("a readable folder entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "json"))
        .collect();
    found.sort();
    assert!(
        found.len() >= 4,
        "{}: expected the shipped fuzz templates, found {found:?}",
        dir.display()
    );
    found
}

#[test]
fn the_first_seeds_of_every_shipped_template_pass() {
    let seeds = seeds_per_template();
    for path in templates() {
        let template = load_template(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_seeds_pass(&template, 0..seeds);
    }
}
