//! Coverage-guided sweeps (`faultline fuzz --guided`): seeds run in batches, in order; a
//! scenario that passed a code probe, or a pair of probes, that no earlier seed passed joins a
//! corpus, and part of each later batch mutates corpus scenarios instead of expanding fresh
//! seeds. Which seeds mutate, which parent and which mutation all come from the seed's stream
//! `fuzz.guided`, and the corpus only changes between batches (in seed order), so the sweep is
//! deterministic from the seed range whatever the job count.
//!
//! A mutant borrows one thing from the fresh expansion of its own seed: the network draws (the
//! scenario seed), one configuration value of the protocol block, or one fault episode; or it
//! drops an episode or shifts a fault in time. Every mutant is validated (an invalid one runs
//! the fresh expansion instead), and a failing one is written out whole, so it replays with
//! `faultline run`.

use super::expand::expand;
use super::template::Template;
use crate::scenario::{
    episodes, validate, FaultAction, FaultSpec, ProtocolSpec, ReadMode, Scenario, Span,
};
use faultline_sim::{DetRng, RngStreams};
use std::collections::BTreeSet;
use std::time::Duration;

/// Seeds per batch: the corpus is updated between batches.
pub const BATCH: usize = 32;

/// Chance that a seed mutates a corpus scenario (once the corpus has one).
const MUTATE: f64 = 0.5;

/// Scenarios that reached new probes, and every probe and probe pair seen so far.
#[derive(Debug, Default)]
pub struct Corpus {
    entries: Vec<Scenario>,
    seen: BTreeSet<(String, String)>,
}

impl Corpus {
    /// Records what a run of `scenario` passed; keeps the scenario if a probe, or a pair of
    /// probes, is new. Returns true when it was kept.
    pub fn offer(&mut self, scenario: &Scenario, probes: &[String]) -> bool {
        let mut new = false;
        for (i, a) in probes.iter().enumerate() {
            for b in &probes[i..] {
                new |= self.seen.insert((a.clone(), b.clone()));
            }
        }
        if new {
            self.entries.push(scenario.clone());
        }
        new
    }

    /// Scenarios kept so far.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True before any scenario was kept.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// The scenario seed `seed` runs: the fresh expansion, or (with chance [`MUTATE`] once the
/// corpus has entries) a mutant of a corpus scenario.
pub fn scenario_for(template: &Template, corpus: &Corpus, seed: u64) -> Scenario {
    let fresh = expand(template, seed);
    let mut rng = RngStreams::new(seed).stream("fuzz.guided");
    if corpus.is_empty() || !rng.chance(MUTATE) {
        return fresh;
    }
    let parent = &corpus.entries[rng.below(corpus.len() as u64) as usize];
    // Mutants keep the template's quiet tail free of faults, as expansions do.
    let latest = template
        .base
        .duration
        .0
        .saturating_sub(template.fuzz.quiet_tail.0);
    let mut mutant = mutate(parent, &fresh, latest, &mut rng);
    keep_clocks_within_lease(&mut mutant, template.fuzz.clock_rate);
    mutant.name = format!("{}-seed-{seed}-mutant", template.base.name);
    match validate(&mutant) {
        Ok(()) => mutant,
        Err(_) => fresh,
    }
}

/// With lease reads, every clock rate of the faults clamped into what the lease's drift bound
/// allows ([`super::swarm::lease_clock_rates`] of the template's `rates`), as every expansion
/// draws them (expand's `narrow_clock_rates_to_lease`): a mutant may pair lease reads with a parent's clock faults drawn for another
/// read path, and a clock beyond the drift bound breaks a lease whatever the core does.
fn keep_clocks_within_lease(mutant: &mut Scenario, rates: [f64; 2]) {
    let ProtocolSpec::Raft(raft) = &mutant.protocol else {
        return;
    };
    if raft.reads != ReadMode::Lease {
        return;
    }
    let [low, high] = super::swarm::lease_clock_rates(raft, rates);
    for fault in &mut mutant.faults {
        match &mut fault.action {
            FaultAction::Clock(clock) => clock.rate = clock.rate.clamp(low, high),
            FaultAction::Aimed(_, aimed) => {
                if let Some(rate) = aimed.clock.as_mut() {
                    *rate = rate.clamp(low, high);
                }
            }
            _ => {}
        }
    }
}

/// One mutation of `parent`, borrowing from `fresh` where it needs new material; no fault is
/// moved past `latest`.
fn mutate(parent: &Scenario, fresh: &Scenario, latest: Duration, rng: &mut DetRng) -> Scenario {
    let mut mutant = parent.clone();
    match rng.below(5) {
        0 => mutant.seed = fresh.seed,
        1 => mutant = borrow_setting(parent, fresh, rng).unwrap_or(mutant),
        2 => add_episode(&mut mutant, fresh, rng),
        3 => drop_episode(&mut mutant, rng),
        _ => shift_episode(&mut mutant, latest, rng),
    }
    mutant
}

/// `parent` with one field of its protocol block set as in `fresh`.
fn borrow_setting(parent: &Scenario, fresh: &Scenario, rng: &mut DetRng) -> Option<Scenario> {
    let mut value = serde_json::to_value(parent).ok()?;
    let theirs = serde_json::to_value(fresh).ok()?;
    let block = |v: &serde_json::Value| v.get("protocol")?.as_object()?.values().next().cloned();
    let (ours, theirs) = (block(&value)?, block(&theirs)?);
    let keys: Vec<&String> = theirs
        .as_object()?
        .keys()
        .filter(|k| *k != "bugs")
        .collect();
    let key = *rng.pick(&keys)?;
    let mut ours = ours;
    ours.as_object_mut()?
        .insert(key.clone(), theirs[key].clone());
    let name = parent.protocol.name().to_string();
    *value.get_mut("protocol")?.get_mut(&name)? = ours;
    serde_json::from_value(value).ok()
}

/// One episode of `fresh` added to the mutant's faults.
fn add_episode(mutant: &mut Scenario, fresh: &Scenario, rng: &mut DetRng) {
    let theirs = episodes(&fresh.faults);
    let Some(episode) = rng.pick(&theirs) else {
        return;
    };
    mutant
        .faults
        .extend(episode.indices().map(|i| fresh.faults[i].clone()));
    mutant.faults.sort_by_key(|f| f.at);
}

/// One episode (a fault with its repair) removed.
fn drop_episode(mutant: &mut Scenario, rng: &mut DetRng) {
    let ours = episodes(&mutant.faults);
    let Some(episode) = rng.pick(&ours) else {
        return;
    };
    let gone: BTreeSet<usize> = episode.indices().collect();
    let kept: Vec<FaultSpec> = mutant
        .faults
        .iter()
        .enumerate()
        .filter(|(i, _)| !gone.contains(i))
        .map(|(_, f)| f.clone())
        .collect();
    mutant.faults = kept;
}

/// One episode (a fault and its repair together) moved by up to 100 ms either way, in whole
/// milliseconds, never before 0 nor past `latest`. Moving a fault alone could put a repair
/// before its cause and leave a node down for good, which fails any liveness check whatever
/// the protocol does.
fn shift_episode(mutant: &mut Scenario, latest: Duration, rng: &mut DetRng) {
    let ours = episodes(&mutant.faults);
    let Some(episode) = rng.pick(&ours) else {
        return;
    };
    let ms = Duration::from_millis(1).as_nanos() as i64;
    let times: Vec<(usize, i64)> = episode
        .indices()
        .map(|i| (i, mutant.faults[i].at.0.as_nanos() as i64))
        .collect();
    let first = times.iter().map(|(_, t)| *t).min().unwrap_or_default();
    // A self-repairing fault (a leader paused for 200 ms) is over only at its repair.
    let over = episode.indices().map(|i| mutant.faults[i].repaired_at());
    let last = over.max().unwrap_or_default().0.as_nanos() as i64;
    let room = (latest.as_nanos() as i64 - last).max(0);
    let shift = ((rng.between(0, 200) as i64 - 100) * ms).clamp(-first, room);
    for (i, t) in times {
        mutant.faults[i].at = Span(Duration::from_nanos((t + shift) as u64));
    }
    mutant.faults.sort_by_key(|f| f.at);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn template() -> Template {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios/fuzz");
        crate::fuzz::load_template(&dir.join("raft-swarm.json")).unwrap()
    }

    #[test]
    fn a_new_probe_or_pair_joins_the_corpus_once() {
        let t = template();
        let s = expand(&t, 1);
        let mut corpus = Corpus::default();
        let probes = |names: &[&str]| names.iter().map(|n| n.to_string()).collect::<Vec<_>>();
        assert!(corpus.offer(&s, &probes(&["a", "b"])));
        assert!(!corpus.offer(&s, &probes(&["a", "b"])));
        assert!(!corpus.offer(&s, &probes(&["b"])));
        assert!(corpus.offer(&s, &probes(&["b", "c"])));
        assert_eq!(corpus.len(), 2);
    }

    #[test]
    fn mutants_are_valid_deterministic_and_differ_from_fresh_seeds() {
        let t = template();
        let mut corpus = Corpus::default();
        assert_eq!(scenario_for(&t, &corpus, 5), expand(&t, 5));
        corpus.offer(&expand(&t, 1), &["x".to_string()]);
        let mut mutants = 0;
        for seed in 100..160 {
            let s = scenario_for(&t, &corpus, seed);
            assert!(validate(&s).is_ok(), "seed {seed}");
            assert_eq!(s, scenario_for(&t, &corpus, seed), "seed {seed}");
            mutants += usize::from(s.name.ends_with("-mutant"));
        }
        assert!((10..=50).contains(&mutants), "mutants: {mutants}");
    }

    /// A shifted episode keeps its repair after its cause (a fault moved alone could leave a
    /// node down for good) and never enters the quiet tail.
    #[test]
    fn shifted_episodes_keep_their_repairs_and_the_quiet_tail() {
        let t = template();
        let latest = t.base.duration.0 - t.fuzz.quiet_tail.0;
        let repaired = |s: &Scenario| {
            let all = episodes(&s.faults);
            all.iter().filter(|e| e.repair.is_some()).count()
        };
        let mut shifted = 0;
        for seed in 0..40 {
            let parent = expand(&t, seed);
            let mut rng = RngStreams::new(seed).stream("test");
            for _ in 0..20 {
                let mut mutant = parent.clone();
                shift_episode(&mut mutant, latest, &mut rng);
                assert_eq!(repaired(&mutant), repaired(&parent), "seed {seed}");
                let last = mutant.faults.iter().map(|f| f.repaired_at().0).max();
                assert!(
                    last <= Some(latest),
                    "seed {seed}: a fault over at {last:?}"
                );
                shifted += usize::from(mutant.faults != parent.faults);
            }
        }
        assert!(shifted > 400, "episodes moved: {shifted}");
    }

    /// A mutant with lease reads keeps its clock faults within the drift bound, as an
    /// expansion would have drawn them, whatever the template (here the default, not a swarm
    /// template): a parent with lease reads and a clock at half speed, beyond
    /// its bound.
    #[test]
    fn lease_mutants_keep_clocks_within_the_drift_bound() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios/fuzz");
        let t = crate::fuzz::load_template(&dir.join("raft.json")).unwrap();
        let mut parent = (0..200)
            .map(|seed| expand(&t, seed))
            .find(|s| {
                matches!(&s.protocol, ProtocolSpec::Raft(r) if r.reads == ReadMode::Lease
                    && crate::fuzz::swarm::lease_clock_rates(r, [0.5, 2.0])[0] > 0.5)
            })
            .expect("a seed with lease reads whose drift bound excludes half speed");
        parent.faults = vec![FaultSpec::new(
            Span(Duration::from_millis(100)),
            FaultAction::Clock(crate::scenario::ClockSpec { node: 1, rate: 0.5 }),
        )];
        let mut corpus = Corpus::default();
        corpus.offer(&parent, &["x".to_string()]);
        let mut checked = 0;
        for seed in 0..400 {
            let s = scenario_for(&t, &corpus, seed);
            let ProtocolSpec::Raft(raft) = &s.protocol else {
                unreachable!()
            };
            if !s.name.ends_with("-mutant") || raft.reads != ReadMode::Lease {
                continue;
            }
            let [low, high] = crate::fuzz::swarm::lease_clock_rates(raft, t.fuzz.clock_rate);
            for fault in &s.faults {
                if let FaultAction::Clock(clock) = &fault.action {
                    assert!((low..=high).contains(&clock.rate), "seed {seed}: {clock:?}");
                    checked += 1;
                }
            }
        }
        assert!(
            checked >= 20,
            "clock faults of lease mutants checked: {checked}"
        );
    }

    /// A guided sweep gives the same results with 1 or 2 jobs, and its second batch differs
    /// from the plain sweep's (it mutates the corpus the first batch built).
    #[test]
    fn guided_sweeps_do_not_depend_on_the_job_count() {
        use crate::fuzz::{read_results, sweep, ResultsHeader, Shard, SweepOptions};
        let t = template();
        let path = std::path::Path::new("raft-swarm.json");
        let results = |jobs: usize, guided: bool| {
            let out = std::env::temp_dir().join(format!(
                "faultline-guided-{}-{jobs}-{guided}",
                std::process::id()
            ));
            let _ = std::fs::remove_dir_all(&out);
            let options = SweepOptions {
                seeds: 0..2 * BATCH as u64,
                jobs,
                shard: Shard::ALL,
                out: out.clone(),
                resume: false,
                shrink: false,
                header: ResultsHeader::new(path, &t).with_guided(guided),
                interrupt: None,
            };
            sweep(&t, &options, &|_| {}).unwrap();
            let mut seeds = read_results(&out.join("results.jsonl")).unwrap().seeds;
            seeds.sort_by_key(|r| r.seed);
            std::fs::remove_dir_all(&out).unwrap();
            seeds
                .into_iter()
                .map(|r| (r.seed, r.trace_hash, r.probes))
                .collect::<Vec<_>>()
        };
        let guided = results(1, true);
        assert_eq!(guided, results(2, true));
        let plain = results(2, false);
        assert_eq!(guided[..BATCH], plain[..BATCH], "the first batch is fresh");
        assert_ne!(guided[BATCH..], plain[BATCH..], "the second batch mutates");
    }
}
