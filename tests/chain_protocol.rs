//! A protocol of a user's own (examples/chain: chain replication of a register) gets what the
//! built-in protocols get: scenario files, fuzz templates, the planted-bug campaign and
//! shrinking, from `cargo test` without the CLI.

#[path = "../examples/chain/protocol.rs"]
mod protocol;

use faultline_harness::fuzz::{self, assert_seeds_pass, load_template, with_bug};
use faultline_harness::protocol::Registry;
use faultline_harness::scenario;
use std::path::Path;

fn install() {
    Registry::new()
        .with(protocol::Chain)
        .install()
        .expect("chain is no built-in name");
}

fn repo(path: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

#[test]
fn the_chain_scenario_passes_and_replays() {
    install();
    let scenario = scenario::load(&repo("examples/chain/scenario.json")).unwrap();
    let first = faultline_harness::run(&scenario, Default::default()).unwrap();
    assert!(first.ok(), "{:?}", first.checks);
    let again = faultline_harness::run(&scenario, Default::default()).unwrap();
    assert_eq!(first.trace_hash, again.trace_hash);
}

#[test]
fn the_correct_chain_passes_every_seed_of_its_template() {
    install();
    let template = load_template(&repo("examples/chain/template.json")).unwrap();
    assert_seeds_pass(&template, 0..40);
}

#[test]
fn the_campaign_finds_the_planted_bug_and_shrinks_it_while_the_control_stays_clean() {
    install();
    let template = load_template(&repo("examples/chain/template.json")).unwrap();
    assert_eq!(fuzz::bug_names(&template), ["read_any_replica"]);
    let found = fuzz::hunt(
        &template,
        Some("read_any_replica"),
        &[0, 10_000],
        60,
        2,
        &|| {},
    )
    .unwrap();
    assert!(found.always_found(), "{found:?}");
    assert_eq!(found.failed_checks, ["linearizable"]);
    let shrunk = found.shrink_summary().expect("the failures shrink");
    assert!(shrunk.median_after <= shrunk.median_before, "{shrunk:?}");
    let control = fuzz::hunt(&template, None, &[0], 60, 2, &|| {}).unwrap();
    assert_eq!(
        control.seeds_to_failure,
        [None],
        "the correct chain never fails"
    );
}

#[test]
fn a_bad_chain_block_names_its_field() {
    install();
    let text = std::fs::read_to_string(repo("examples/chain/scenario.json")).unwrap();
    let bad = text.replace("\"clients\": 3", "\"clients\": 0");
    let error = scenario::parse(&bad, Path::new("bad.json")).unwrap_err();
    assert_eq!(error.field(), Some("protocol.chain.clients"), "{error}");
    let unknown = text.replace("\"timeout\"", "\"time_out\"");
    let error = scenario::parse(&unknown, Path::new("bad.json")).unwrap_err();
    assert!(error.to_string().contains("time_out"), "{error}");
    let scenario = scenario::load(&repo("examples/chain/scenario.json")).unwrap();
    assert!(with_bug(&scenario, "read_any_replica").is_some());
}

/// The chain's own expectation type reads the `expect` block: its errors name `expect.<field>`,
/// and a field of a built-in protocol's expectations names that protocol.
#[test]
fn a_bad_chain_expectation_names_its_field() {
    install();
    let text = std::fs::read_to_string(repo("examples/chain/scenario.json")).unwrap();
    let foreign = text.replace("\"linearizable\": true", "\"converged\": true");
    let error = scenario::parse(&foreign, Path::new("bad.json")).unwrap_err();
    assert_eq!(error.field(), Some("expect.converged"), "{error}");
    assert!(
        error
            .to_string()
            .contains("applies only to the gossip protocol")
            && error.to_string().contains("this scenario runs chain"),
        "{error}"
    );
    let mistyped = text.replace("\"linearizable\": true", "\"linearizable\": 3");
    let error = scenario::parse(&mistyped, Path::new("bad.json")).unwrap_err();
    assert_eq!(error.field(), Some("expect.linearizable"), "{error}");
}
