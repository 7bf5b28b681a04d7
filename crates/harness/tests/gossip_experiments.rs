//! The published gossip measurements, re-run small enough for CI: each asserts the shape the
//! literature reports. The full-size figures come from `faultline experiment ...` (see README).

use faultline_harness::experiments::gossip;

#[test]
fn push_pull_rounds_track_log3_n_plus_ln_ln_n() {
    let rows = gossip::push_pull_table(&[(1000, 12)], 100, &|| {});
    let ratio = rows[0].ratio().unwrap();
    assert!((0.9..1.2).contains(&ratio), "{rows:?}");
}

#[test]
fn rumor_residue_of_all_four_variants_follows_demers() {
    let rows = gossip::rumor_table(500, 2, 8, 200, &|| {});
    assert_eq!(rows.len(), 8, "four variants, k = 1 and 2");
    for row in &rows {
        let reference = row.reference.unwrap();
        assert!(
            (row.measured - reference).abs() <= 0.25 * reference + 0.005,
            "{row:?}"
        );
    }
    let residue = |label: &str| rows.iter().find(|r| r.label == label).unwrap().measured;
    assert!(
        residue("feedback, counter, k = 2") < residue("feedback, counter, k = 1"),
        "a larger k leaves a smaller residue: {rows:?}"
    );
    // Demers: "the counter improves the percentage removed". A counter that never restarts
    // after a useful contact does about as well as the coin (0.058 vs 0.060 at k = 2).
    assert!(
        residue("feedback, counter, k = 2") < 0.8 * residue("feedback, coin, k = 2"),
        "{rows:?}"
    );
}

#[test]
fn suspicion_cuts_swim_false_positives() {
    let rows = gossip::swim_table(8, 0.05, 120, 2, 300, &|| {});
    let (without, with) = (rows[0].measured, rows[1].measured);
    assert!(
        without >= 4.0,
        "5% loss makes SWIM without suspicion declare live members dead: {rows:?}"
    );
    assert!(
        with * 4.0 <= without,
        "suspicion removes most of them: {rows:?}"
    );
}

#[test]
fn spatial_peer_choice_cuts_cross_region_traffic() {
    let rows = gossip::spatial_table(100, &[2.0], 3, 400, &|| {});
    assert!(rows[0].measured > 1.8, "{rows:?}");
}

/// A rumor that dies out must not be reported as having reached everyone (the last curve point
/// is where it stopped, not where every node held it); push, which does reach everyone, is.
#[test]
fn a_dying_rumor_is_not_reported_as_reaching_everyone() {
    let n = 300;
    let rumor = gossip::dissemination(
        serde_json::json!({ "rumor": { "k": 1, "feedback": true, "loss": "coin" } }),
        n,
        1,
    );
    let held = rumor.curve.last().expect("written").1;
    assert!(held < 1.0, "k = 1 leaves a residue of ~20%: {held}");
    let summary = rumor.reach_summary(n);
    assert!(
        summary.contains(&format!("of {n}")) && !summary.contains("everyone after"),
        "{summary}"
    );
    let push = gossip::dissemination(serde_json::json!("push"), n, 1);
    assert!(
        push.reach_summary(n).starts_with("everyone after"),
        "{}",
        push.reach_summary(n)
    );
}

/// The Lifeguard paper's setting (3 slow members of 32, messages to and from them taking
/// 1-4 s): plain SWIM with suspicion declares healthy members dead, mostly at the slow
/// observers; local health and dynamic suspicion each cut that, and all three together by the
/// paper's order of magnitude.
#[test]
fn lifeguard_cuts_false_positives_about_healthy_members() {
    let rows = gossip::lifeguard_table(32, 3, 300, 2, 500, &|| {});
    let cut = |set: usize| rows[set].measured;
    let plain = &rows[0].note;
    assert!(
        !plain.starts_with("0.00"),
        "slow members make plain SWIM wrong about healthy ones: {rows:?}"
    );
    assert!(cut(1) >= 2.0, "local health: {rows:?}");
    assert!(cut(2) >= 5.0, "dynamic suspicion: {rows:?}");
    assert!(cut(4) >= 20.0, "all three: {rows:?}");
}
