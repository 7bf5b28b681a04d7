//! The planted-bug campaign: for each planted bug the protocol offers, fuzz the template with
//! that bug switched on and measure how many seeds it takes to find it and how small the shrunk
//! failure gets; then the same seeds with no bug must find nothing.

use super::expand::expand;
use super::shrink::shrink;
use super::template::Template;
use crate::scenario::Scenario;
use crate::{run, RunOptions};
use rayon::prelude::*;

/// What the campaign found for one bug (or for none).
#[derive(Clone, Debug, PartialEq)]
pub struct BugResult {
    /// The bug's switch name (`"none"` for the control run).
    pub bug: String,
    /// For each starting offset, how many seeds ran until the first failure (None: not found
    /// within the budget).
    pub seeds_to_failure: Vec<Option<u64>>,
    /// The checks that failed, over all first failures.
    pub failed_checks: Vec<String>,
    /// For each offset that found the bug: faults in its first failure, and after shrinking it.
    pub shrunk: Vec<(usize, usize)>,
}

impl BugResult {
    /// The median of the seeds-to-first-failure over the offsets where it was found, counting a
    /// miss as the budget (so misses push the median up, never down).
    pub fn median_seeds(&self, budget: u64) -> Option<u64> {
        if self.seeds_to_failure.iter().all(Option::is_none) {
            return None;
        }
        median(
            self.seeds_to_failure
                .iter()
                .map(|c| c.unwrap_or(budget))
                .collect(),
        )
    }

    /// Faults before and after shrinking, each the median over the offsets that found the bug,
    /// and the most faults any shrunk failure kept.
    pub fn shrink_summary(&self) -> Option<ShrinkSummary> {
        let after: Vec<usize> = self.shrunk.iter().map(|(_, a)| *a).collect();
        Some(ShrinkSummary {
            max_after: *after.iter().max()?,
            median_before: median(self.shrunk.iter().map(|(b, _)| *b).collect())?,
            median_after: median(after)?,
        })
    }

    /// True when every offset found the bug.
    pub fn always_found(&self) -> bool {
        self.seeds_to_failure.iter().all(Option::is_some)
    }
}

/// The upper median of `values` (`None` when empty).
fn median<T: Ord + Copy>(mut values: Vec<T>) -> Option<T> {
    values.sort_unstable();
    values.get(values.len() / 2).copied()
}

/// How much shrinking kept of a bug's first failures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ShrinkSummary {
    /// Median faults in a first failure.
    pub median_before: usize,
    /// Median faults after shrinking it.
    pub median_after: usize,
    /// Most faults after shrinking, over all of them.
    pub max_after: usize,
}

/// The planted-bug switch names the campaign hunts: the template's `hunt` list, or else every
/// key of its protocol's `bugs` block.
pub fn bug_names(template: &Template) -> Vec<String> {
    if let Some(hunt) = &template.fuzz.hunt {
        return hunt
            .iter()
            .map(|bug| canonical_bug(&template.base, bug).unwrap_or_else(|| bug.clone()))
            .collect();
    }
    protocol_block(template)
        .and_then(|block| {
            block
                .get("bugs")
                .and_then(|b| b.as_object())
                .map(|b| b.keys().cloned().collect())
        })
        .unwrap_or_default()
}

fn protocol_block(template: &Template) -> Option<serde_json::Value> {
    let value = serde_json::to_value(&template.base).ok()?;
    value.get("protocol")?.as_object()?.values().next().cloned()
}

/// `scenario` with the planted bug `bug` (its name, or an old name the protocol still accepts)
/// switched on; `None` when its protocol has no such bug.
pub fn with_bug(scenario: &Scenario, bug: &str) -> Option<Scenario> {
    let name = canonical_bug(scenario, bug)?;
    let mut value = serde_json::to_value(scenario).ok()?;
    bugs_block(&mut value)?
        .as_object_mut()?
        .insert(name, serde_json::Value::Bool(true));
    serde_json::from_value(value).ok()
}

/// The name under which `scenario`'s protocol writes the planted bug `bug`: `bug` itself, or the
/// switch an old name (a serde alias) stands for. Found by reading a `bugs` block holding only
/// `bug` and writing it back; `None` when the protocol has no such bug.
fn canonical_bug(scenario: &Scenario, bug: &str) -> Option<String> {
    let mut value = serde_json::to_value(scenario).ok()?;
    *bugs_block(&mut value)? = serde_json::json!({ bug: true });
    let parsed: Scenario = serde_json::from_value(value).ok()?;
    let mut value = serde_json::to_value(&parsed).ok()?;
    let bugs = bugs_block(&mut value)?.as_object()?;
    let mut on = bugs.iter().filter(|(_, v)| v.as_bool() == Some(true));
    match (on.next(), on.next()) {
        (Some((name, _)), None) => Some(name.clone()),
        _ => None,
    }
}

/// The `bugs` block of the scenario's (only) protocol, in its JSON form (an empty one added
/// where the protocol leaves it out with every bug off).
fn bugs_block(value: &mut serde_json::Value) -> Option<&mut serde_json::Value> {
    let block = value
        .get_mut("protocol")?
        .as_object_mut()?
        .values_mut()
        .next()?
        .as_object_mut()?;
    Some(block.entry("bugs").or_insert_with(|| serde_json::json!({})))
}

/// The scenario of `seed`: the template's expansion, with `bug` switched on when given. The bug
/// is armed after expansion, so every bug (and the control) runs the very same scenarios.
fn armed(template: &Template, seed: u64, bug: Option<&str>) -> Scenario {
    let scenario = expand(template, seed);
    bug.and_then(|name| with_bug(&scenario, name))
        .unwrap_or(scenario)
}

/// Runs seeds `offset, offset+1, ...` (up to `budget` of them, `jobs` at a time, in order) with
/// `bug` on until one fails; returns how many seeds that took and the failing seed.
fn first_failure(
    template: &Template,
    bug: Option<&str>,
    offset: u64,
    budget: u64,
    jobs: usize,
) -> std::io::Result<Option<(u64, u64)>> {
    let chunk = jobs.max(1) as u64 * 4;
    let mut start = 0;
    while start < budget {
        let seeds: Vec<u64> = (start..(start + chunk).min(budget)).collect();
        let outcomes: Vec<std::io::Result<bool>> = seeds
            .par_iter()
            .map(|i| run(&armed(template, offset + i, bug), RunOptions::default()).map(|r| r.ok()))
            .collect();
        for (i, outcome) in seeds.iter().zip(outcomes) {
            if !outcome? {
                return Ok(Some((i + 1, offset + i)));
            }
        }
        start += chunk;
    }
    Ok(None)
}

/// A hunt needs at least one offset and one seed per offset, and every seed it may run
/// (`offset .. offset + budget`) must be a u64.
fn check_hunt(offsets: &[u64], budget: u64) -> std::io::Result<()> {
    let invalid = |message: String| std::io::Error::new(std::io::ErrorKind::InvalidInput, message);
    if offsets.is_empty() {
        return Err(invalid("expected at least one starting offset".into()));
    }
    if budget == 0 {
        return Err(invalid(
            "expected a budget of at least one seed per offset".into(),
        ));
    }
    if let Some(offset) = offsets.iter().find(|o| o.checked_add(budget).is_none()) {
        return Err(invalid(format!(
            "offset {offset} plus a budget of {budget} seeds passes the last seed (2^64 - 1)"
        )));
    }
    Ok(())
}

/// Fuzzes `template` with `bug` on (or as it is, for `None`) from each offset, and shrinks the
/// first failure each offset found (the shrinks run in parallel). `on_offset` is called as
/// each offset's hunt ends (for progress).
pub fn hunt(
    template: &Template,
    bug: Option<&str>,
    offsets: &[u64],
    budget: u64,
    jobs: usize,
    on_offset: &dyn Fn(),
) -> std::io::Result<BugResult> {
    check_hunt(offsets, budget)?;
    if let Some(name) = bug {
        with_bug(&template.base, name).ok_or_else(|| {
            std::io::Error::other(format!(
                "the template's protocol has no planted bug {name:?}"
            ))
        })?;
    }
    let mut result = BugResult {
        bug: bug.unwrap_or("none").to_string(),
        seeds_to_failure: Vec::new(),
        failed_checks: Vec::new(),
        shrunk: Vec::new(),
    };
    let mut failures = Vec::new();
    for &offset in offsets {
        let found = first_failure(template, bug, offset, budget, jobs)?;
        on_offset();
        result.seeds_to_failure.push(found.map(|(count, _)| count));
        if let Some((_, seed)) = found {
            failures.push(armed(template, seed, bug));
        }
    }
    let examined = failures
        .par_iter()
        .map(|scenario| {
            let report = run(scenario, RunOptions::default())?;
            let checks: Vec<String> = report
                .failed_checks()
                .into_iter()
                .map(String::from)
                .collect();
            let sizes = shrink(scenario)?
                .map(|shrunk| (scenario.faults.len(), shrunk.scenario.faults.len()));
            Ok((checks, sizes))
        })
        .collect::<std::io::Result<Vec<_>>>()?;
    for (checks, sizes) in examined {
        for check in checks {
            if !result.failed_checks.contains(&check) {
                result.failed_checks.push(check);
            }
        }
        result.shrunk.extend(sizes);
    }
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A planted bug is switched on under the core's name or its old alias, the campaign names
    /// it by the core's name, and a name the protocol lacks is refused.
    #[test]
    fn old_bug_names_are_aliases_of_the_cores_names() {
        let path = std::path::Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../scenarios/raft/figure8.json"
        ));
        let scenario = crate::scenario::load(path).unwrap();
        let on = |bug: &str| {
            let value = serde_json::to_value(with_bug(&scenario, bug).unwrap()).unwrap();
            value["protocol"]["raft"]["bugs"].clone()
        };
        let bugs = on("figure8_commit");
        assert_eq!(bugs, on("commit_previous_term_by_counting"));
        assert_eq!(bugs["commit_previous_term_by_counting"], true);
        assert!(bugs.get("figure8_commit").is_none(), "{bugs}");
        for (old, new) in [
            ("stale_local_reads", "read_without_quorum_check"),
            ("lease_ignores_drift", "lease_ignores_clock_drift"),
            ("forget_vote_on_restart", "forget_vote_on_restart"),
        ] {
            assert_eq!(canonical_bug(&scenario, old).as_deref(), Some(new));
        }
        assert!(with_bug(&scenario, "no_such_bug").is_none());
        assert!(canonical_bug(&scenario, "election_timeout").is_none());
    }

    #[test]
    fn a_hunt_needs_offsets_a_budget_and_seeds_within_u64() {
        assert!(check_hunt(&[0, 10_000], 200).is_ok());
        assert!(check_hunt(&[u64::MAX - 10], 10).is_ok());
        assert!(check_hunt(&[], 200).is_err());
        assert!(check_hunt(&[0], 0).is_err());
        let past = check_hunt(&[0, u64::MAX - 5], 10).unwrap_err().to_string();
        assert!(past.contains("passes the last seed"), "{past}");
    }
}
