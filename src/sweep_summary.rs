//! The sweep page (`summary.html`) of `fuzz` and `merge`: joins the harness's results, failure
//! groups and explored counts to the report crate's page.

use crate::output::write_file;
use anyhow::{Context, Result};
use faultline_harness::fuzz::{self, FailureGroup, SeedResult, Template};
use faultline_report::chart::Size;
use faultline_report::html::{Figure, ImageFormat};
use faultline_report::presets;
use faultline_report::sweep_page::{
    Distribution, FailureGroupView, NeverHit, ProbeCounts, SweepPage,
};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Most failure groups whose representative `merge` replays into a `run --report` folder; the
/// others get the command only.
pub const MAX_GROUP_REPORTS: usize = 20;

/// Timing of the seeds a shard ran, kept beside its results (`timing.json`) and summed over
/// resumed runs, so a merge can say how fast the sweep went.
#[derive(Clone, Copy, Debug, Default)]
pub struct Timing {
    /// Seeds run.
    pub seeds_run: u64,
    /// Wall time spent running them, in seconds.
    pub wall_seconds: f64,
}

impl Timing {
    /// The timing recorded in `dir`, if any (a damaged file counts as none: it only feeds a rate).
    pub fn read(dir: &Path) -> Option<Timing> {
        let text = std::fs::read_to_string(dir.join("timing.json")).ok()?;
        let value: serde_json::Value = serde_json::from_str(&text).ok()?;
        Some(Timing {
            seeds_run: value.get("seeds_run")?.as_u64()?,
            wall_seconds: value.get("wall_seconds")?.as_f64()?,
        })
    }

    /// Adds `seeds` run in `wall_seconds` to the timing in `dir`.
    pub fn add(dir: &Path, seeds: u64, wall_seconds: f64) -> Result<()> {
        let earlier = Timing::read(dir).unwrap_or_default();
        let timing = Timing {
            seeds_run: earlier.seeds_run + seeds,
            wall_seconds: earlier.wall_seconds + wall_seconds,
        };
        let path = dir.join("timing.json");
        let json = serde_json::json!({
            "seeds_run": timing.seeds_run,
            "wall_seconds": timing.wall_seconds,
        });
        write_file(&path, format!("{json}\n").as_bytes(), true)
    }

    /// Seeds per second, when any time was spent.
    pub fn rate(self) -> Option<f64> {
        (self.wall_seconds > 0.0).then(|| self.seeds_run as f64 / self.wall_seconds)
    }
}

/// What the page is about, beyond the seeds themselves.
pub struct PageInput<'a> {
    /// The folder the page, `failures/` and `reports/` are in.
    pub out: &'a Path,
    /// The template's name.
    pub name: &'a str,
    /// The template, when at hand (for what the seeds drew).
    pub template: Option<&'a Template>,
    /// Why the template is not at hand, when it is not.
    pub template_note: String,
    /// Facts for the top table, in order.
    pub facts: Vec<(String, String)>,
    /// Failure groups, largest first.
    pub groups: &'a [FailureGroup],
    /// Report folders written per group id (relative to `out`).
    pub reports: BTreeMap<String, PathBuf>,
}

/// Writes `summary.html` into `input.out` for `seeds`; returns its path.
pub fn write_page(input: PageInput, seeds: &[SeedResult]) -> Result<PathBuf> {
    let mut by_check: BTreeMap<String, u64> = BTreeMap::new();
    for check in seeds.iter().flat_map(|r| &r.failed_checks) {
        *by_check.entry(check.clone()).or_insert(0) += 1;
    }
    let (explored, explored_note) = match input.template {
        Some(template) => explored(template, seeds),
        None => (Vec::new(), input.template_note.clone()),
    };
    let page = SweepPage {
        title: format!("Fuzz sweep: {}", input.name),
        facts: input.facts,
        failures_by_check: by_check.into_iter().collect(),
        groups: input
            .groups
            .iter()
            .map(|g| group_view(g, input.reports.get(&g.signature.id())))
            .collect(),
        explored,
        explored_note,
        figures: events_figure(seeds)?,
        probes: probe_counts(input.template, seeds),
        tables: Vec::new(),
    };
    let path = input.out.join("summary.html");
    write_file(&path, page.to_html()?.as_bytes(), true)?;
    Ok(path)
}

/// Seeds per code probe over `seeds`, most passed first. The template names the protocol, hence
/// its probes no seed passed; without it only the probes passed are known.
fn probe_counts(template: Option<&Template>, seeds: &[SeedResult]) -> ProbeCounts {
    let protocol = template.map(|t| t.base.protocol.name());
    let counted = fuzz::SweepSummary::of_results(protocol.unwrap_or(""), seeds).probe_seeds;
    let (hit, never): (Vec<_>, Vec<_>) = counted.into_iter().partition(|(_, n)| *n > 0);
    let mut hit: Vec<(String, u64)> = hit.into_iter().map(|(p, n)| (p, n as u64)).collect();
    hit.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let never_hit = match protocol {
        Some(_) => NeverHit::Known(never.into_iter().map(|(p, _)| p).collect()),
        None => NeverHit::Unknown(
            "the template (which names the protocol) is not at hand; see above".into(),
        ),
    };
    ProbeCounts {
        seeds: seeds.len() as u64,
        hit,
        never_hit,
    }
}

/// The distribution of run lengths (kernel events per seed).
fn events_figure(seeds: &[SeedResult]) -> Result<Vec<Figure>> {
    if seeds.is_empty() {
        return Ok(Vec::new());
    }
    let lengths: Vec<f64> = seeds.iter().map(|r| r.events as f64).collect();
    let chart = presets::run_lengths(lengths, 30);
    Ok(vec![Figure::chart(
        "Events per run",
        &chart,
        Size::new(720, 400),
        ImageFormat::Svg,
    )?])
}

fn group_view(group: &FailureGroup, report: Option<&PathBuf>) -> FailureGroupView {
    let file = group
        .scenario_path
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    let id = group.signature.id();
    FailureGroupView {
        checks: group.signature.checks.clone(),
        faults: group.signature.faults.clone(),
        roles: group
            .signature
            .roles
            .iter()
            .map(|r| r.name().to_string())
            .collect(),
        seeds: group.seeds.clone(),
        representative: group.representative.seed,
        scenario_link: format!("failures/{file}"),
        scenario_text: serde_json::to_string_pretty(&group.scenario).unwrap_or_default(),
        replay: format!("faultline run failures/{file} --report reports/{id}"),
        report_link: report.map(|dir| dir.join("report.html").display().to_string()),
        id,
    }
}

/// The distributions of fault kinds and varied fields over `seeds`.
fn explored(template: &Template, seeds: &[SeedResult]) -> (Vec<Distribution>, String) {
    let counted = fuzz::explore(template, seeds.iter().map(|r| r.seed));
    let mut note = format!(
        "Drawn by {} seeds (each seed's scenario expanded again from the template).",
        counted.seeds
    );
    if (seeds.len() as u64) > counted.seeds {
        note += &format!(
            " The sweep has {} seeds; the first {} are counted (the limit).",
            seeds.len(),
            fuzz::MAX_EXPLORED_SEEDS
        );
    }
    let by_count = |counts: BTreeMap<String, u64>| {
        let mut counts: Vec<(String, u64)> = counts.into_iter().collect();
        counts.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        counts
    };
    let mut distributions = vec![Distribution {
        title: "fault kinds".into(),
        unit: "faults".into(),
        counts: by_count(counted.fault_kinds),
    }];
    for (pointer, counts) in counted.choices {
        distributions.push(Distribution {
            title: format!("configuration {pointer}"),
            unit: "seeds".into(),
            counts: by_count(counts),
        });
    }
    (distributions, note)
}

/// Groups the failures of `seeds` found in `dir` (one sweep folder).
pub fn groups_in(dir: &Path, seeds: &[SeedResult]) -> Result<Vec<FailureGroup>> {
    fuzz::group_failures(seeds.iter().map(|r| (r, dir)))
        .with_context(|| format!("{}: cannot group the failures", dir.display()))
}
