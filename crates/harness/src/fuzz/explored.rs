//! What a sweep explored: how often each fault kind and each configuration choice of the
//! template's `vary` block was drawn over its seeds, recomputed from the template (expansion is
//! cheap and deterministic, so results files need not carry it).

use super::expand::expand;
use super::signature::{fault_kind, is_cause};
use super::template::Template;
use std::collections::BTreeMap;

/// Most seeds [`explore`] expands; a larger sweep is described by its first seeds (the page
/// says how many).
pub const MAX_EXPLORED_SEEDS: usize = 100_000;

/// Counts of what a sweep's seeds drew.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Explored {
    /// Seeds expanded to make these counts.
    pub seeds: u64,
    /// Faults drawn per kind ([`fault_kind`]; repairs not counted), over all seeds.
    pub fault_kinds: BTreeMap<String, u64>,
    /// Per varied field (its JSON pointer), seeds per value drawn (the value as compact JSON).
    pub choices: BTreeMap<String, BTreeMap<String, u64>>,
}

/// Expands `template` for each of `seeds` (at most [`MAX_EXPLORED_SEEDS`] of them, in order) and
/// counts the fault kinds and varied values drawn.
pub fn explore(template: &Template, seeds: impl IntoIterator<Item = u64>) -> Explored {
    let mut explored = Explored::default();
    for seed in seeds.into_iter().take(MAX_EXPLORED_SEEDS) {
        let scenario = expand(template, seed);
        explored.seeds += 1;
        for fault in scenario.faults.iter().filter(|f| is_cause(f)) {
            *explored.fault_kinds.entry(fault_kind(fault)).or_insert(0) += 1;
        }
        if template.fuzz.vary.is_empty() {
            continue;
        }
        let Ok(value) = serde_json::to_value(&scenario) else {
            continue;
        };
        for pointer in template.fuzz.vary.keys() {
            let drawn = value
                .pointer(pointer)
                .map_or_else(|| "(absent)".to_string(), |v| v.to_string());
            let field = explored.choices.entry(pointer.clone()).or_default();
            *field.entry(drawn).or_insert(0) += 1;
        }
    }
    explored
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_raft_template_draws_every_cluster_size_and_several_fault_kinds() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../scenarios/fuzz/raft.json"
        );
        let template = super::super::load_template(std::path::Path::new(path)).unwrap();
        let explored = explore(&template, 0..40);
        assert_eq!(explored.seeds, 40);
        let sizes = &explored.choices["/cluster/nodes"];
        assert_eq!(sizes.keys().collect::<Vec<_>>(), ["3", "5"]);
        assert_eq!(sizes.values().sum::<u64>(), 40);
        assert!(
            explored.fault_kinds.len() >= 4,
            "{:?}",
            explored.fault_kinds
        );
        assert!(
            !explored.fault_kinds.contains_key("heal"),
            "repairs are not counted"
        );
    }
}
