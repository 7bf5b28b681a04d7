//! `faultline merge OUT SHARD_DIR...`: the output folders of a sweep's shards as one sweep.

use crate::output::{commit, create_file, prepare_output_dir, thousands, write_file};
use crate::sweep_summary::{write_page, PageInput, Timing, MAX_GROUP_REPORTS};
use crate::{EXIT_CHECK_FAILED, EXIT_OK};
use anyhow::{bail, Context, Result};
use clap::Parser;
use faultline_harness::fuzz::{self, FailureGroup, Merged, SeedResult, ShardDir, Template};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Arguments of `faultline merge`.
#[derive(clap::Args)]
pub struct MergeArgs {
    /// The folder to write the merged sweep to (refused if it holds files, unless --overwrite).
    out: PathBuf,
    /// The shards' output folders (each the --out of one `faultline fuzz --shard K/N`).
    #[arg(required = true, num_args = 1..)]
    shards: Vec<PathBuf>,
    /// Merge even if the shards miss seeds or repeat some (gaps are listed and left out; a seed
    /// run twice with the same result is kept once). Seeds with different results are refused.
    #[arg(long)]
    partial: bool,
    /// Write into OUT even if it holds files (replacing the files a merge writes).
    #[arg(long)]
    overwrite: bool,
    /// The template the shards ran, for the page's distributions (default: the path in the
    /// results header, used only if its content hash matches).
    #[arg(long)]
    template: Option<PathBuf>,
    /// Do not replay each group's representative into reports/ (run --report).
    #[arg(long)]
    no_reports: bool,
}

/// Checks and merges the shards, then writes the merged folder.
pub fn execute(args: MergeArgs) -> Result<u8> {
    refuse_out_among_shards(&args)?;
    let shards = args
        .shards
        .iter()
        .map(|dir| fuzz::read_shard(dir))
        .collect::<Result<Vec<ShardDir>, _>>()?;
    let merged = fuzz::merge(&shards, args.partial)?;
    let groups = fuzz::group_failures(
        merged
            .seeds
            .iter()
            .map(|(result, shard)| (result, shards[*shard].dir.as_path())),
    )?;
    let (template, template_note) = template_at_hand(&args, &merged)?;
    prepare_output_dir(&args.out, args.overwrite, "OUT")?;
    let seeds = copy_failures(&args, &merged, &shards)?;
    write_results(&args, &merged, &seeds)?;
    let junit = args.out.join("junit.xml");
    fuzz::write_junit(&junit, &template_name(&merged, template.as_ref()), &seeds)
        .with_context(|| format!("{}: cannot write", junit.display()))?;
    write_groups(&args.out, &groups)?;
    let reports = if args.no_reports {
        BTreeMap::new()
    } else {
        write_reports(&args.out, &groups)?
    };
    let facts = facts(&merged, &shards, &groups);
    let input = PageInput {
        out: &args.out,
        name: &template_name(&merged, template.as_ref()),
        template: template.as_ref(),
        template_note,
        facts,
        groups: &groups,
        reports,
    };
    let page = write_page(input, &seeds)?;
    print_merge(&args, &merged, &groups, &page);
    let failing = seeds.iter().any(|r| !r.ok);
    Ok(if failing { EXIT_CHECK_FAILED } else { EXIT_OK })
}

/// OUT must not be one of the shard folders (the merge would overwrite what it reads).
fn refuse_out_among_shards(args: &MergeArgs) -> Result<()> {
    let Ok(out) = args.out.canonicalize() else {
        return Ok(());
    };
    for shard in &args.shards {
        if shard.canonicalize().is_ok_and(|s| s == out) {
            bail!(
                "{}: OUT is also given as a shard folder; choose another OUT",
                args.out.display()
            );
        }
    }
    Ok(())
}

/// The template for the distributions: `--template` (its hash must match the results), else
/// the header's path if it still holds the same template; `None` with a note saying why not.
fn template_at_hand(args: &MergeArgs, merged: &Merged) -> Result<(Option<Template>, String)> {
    let expected = &merged.header.template_hash;
    if let Some(path) = &args.template {
        let mut template = fuzz::load_template(path)?;
        template.check_vary();
        let found = fuzz::template_hash(&template);
        if &found != expected {
            bail!(
                "--template {}: its content hash is {found}, but the shards ran a template with hash {expected}",
                path.display()
            );
        }
        return Ok((Some(template), String::new()));
    }
    let path = Path::new(&merged.header.template);
    match fuzz::load_template(path) {
        Ok(mut t) if &fuzz::template_hash(&t) == expected => {
            // Expansions parse once per seed when no vary combination conflicts.
            t.check_vary();
            Ok((Some(t), String::new()))
        }
        Ok(_) => Ok((None, format!(
            "Not shown: {} now holds another template than the shards ran (hash {expected}); pass --template to merge.",
            path.display()
        ))),
        Err(_) => Ok((None, format!(
            "Not shown: the template {} is not readable here; pass --template to merge.",
            path.display()
        ))),
    }
}

fn template_name(merged: &Merged, template: Option<&Template>) -> String {
    template.map_or_else(
        || {
            let path = Path::new(&merged.header.template);
            path.file_stem()
                .map_or("sweep".into(), |s| s.to_string_lossy().into_owned())
        },
        |t| t.base.name.clone(),
    )
}

/// Copies every failing seed's scenario files into OUT/failures/ and returns the seeds with
/// their paths pointing there.
fn copy_failures(
    args: &MergeArgs,
    merged: &Merged,
    shards: &[ShardDir],
) -> Result<Vec<SeedResult>> {
    let target = args.out.join("failures");
    let mut seeds = Vec::with_capacity(merged.seeds.len());
    for (result, shard) in &merged.seeds {
        let mut result = result.clone();
        let dir = &shards[*shard].dir;
        for recorded in [&mut result.scenario, &mut result.shrunk]
            .into_iter()
            .flatten()
        {
            let Some(name) = Path::new(recorded.as_str()).file_name().map(PathBuf::from) else {
                continue;
            };
            let from = dir.join("failures").join(&name);
            let bytes = std::fs::read(&from).with_context(|| {
                format!(
                    "{}: cannot read the failure file of seed {}",
                    from.display(),
                    result.seed
                )
            })?;
            std::fs::create_dir_all(&target)
                .with_context(|| format!("{}: cannot create", target.display()))?;
            let to = target.join(&name);
            write_file(&to, &bytes, args.overwrite)?;
            *recorded = to.display().to_string();
        }
        seeds.push(result);
    }
    Ok(seeds)
}

/// OUT/results.jsonl: the merged header, then every seed sorted.
fn write_results(args: &MergeArgs, merged: &Merged, seeds: &[SeedResult]) -> Result<()> {
    let path = args.out.join("results.jsonl");
    let mut file = create_file(&path, args.overwrite)?;
    let mut text = serde_json::to_string(&merged.header)? + "\n";
    for result in seeds {
        text += &serde_json::to_string(result)?;
        text.push('\n');
    }
    file.write_all(text.as_bytes())
        .with_context(|| format!("{}: cannot write", path.display()))?;
    commit(file, &path)
}

/// OUT/failures.json: each group's signature, seeds and representative.
fn write_groups(out: &Path, groups: &[FailureGroup]) -> Result<()> {
    let json: Vec<serde_json::Value> = groups
        .iter()
        .map(|g| {
            let file = g
                .scenario_path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned());
            serde_json::json!({
                "id": g.signature.id(),
                "signature": g.signature,
                "count": g.seeds.len(),
                "seeds": g.seeds,
                "representative": {
                    "seed": g.representative.seed,
                    "scenario": file.map(|f| format!("failures/{f}")),
                    "faults": g.representative.shrunk_faults.unwrap_or(g.representative.faults),
                },
            })
        })
        .collect();
    let path = out.join("failures.json");
    write_file(
        &path,
        (serde_json::to_string_pretty(&json)? + "\n").as_bytes(),
        true,
    )
}

/// `faultline run <representative> --report OUT/reports/<id>` for the largest groups.
fn write_reports(out: &Path, groups: &[FailureGroup]) -> Result<BTreeMap<String, PathBuf>> {
    #[derive(Parser)]
    struct RunLine {
        #[command(flatten)]
        args: crate::run_cmd::RunArgs,
    }
    let mut reports = BTreeMap::new();
    for group in groups.iter().take(MAX_GROUP_REPORTS) {
        let id = group.signature.id();
        let relative = PathBuf::from("reports").join(&id);
        let scenario = out
            .join("failures")
            .join(group.scenario_path.file_name().unwrap_or_default());
        let line = RunLine::try_parse_from([
            "run".as_ref(),
            scenario.as_os_str(),
            "--report".as_ref(),
            out.join(&relative).as_os_str(),
            "--overwrite".as_ref(),
        ])?;
        crate::run_cmd::execute(line.args)?;
        reports.insert(id, relative);
    }
    Ok(reports)
}

fn facts(merged: &Merged, shards: &[ShardDir], groups: &[FailureGroup]) -> Vec<(String, String)> {
    let failing = merged.seeds.iter().filter(|(r, _)| !r.ok).count() as u64;
    let header = &merged.header;
    let mut facts = vec![
        (
            "template".to_string(),
            format!("{} (hash {})", header.template, header.template_hash),
        ),
        ("faultline".to_string(), header.faultline_version.clone()),
        (
            "seeds".to_string(),
            format!(
                "{} of {}",
                thousands(merged.seeds.len() as u64),
                header.seeds.as_ref().map_or("?".into(), |s| s.to_string())
            ),
        ),
        ("shards".to_string(), shards.len().to_string()),
        ("failing seeds".to_string(), thousands(failing)),
        ("failure groups".to_string(), groups.len().to_string()),
    ];
    let timings: Vec<Timing> = shards.iter().filter_map(|s| Timing::read(&s.dir)).collect();
    if timings.len() == shards.len() {
        let seeds: u64 = timings.iter().map(|t| t.seeds_run).sum();
        let longest = timings.iter().map(|t| t.wall_seconds).fold(0.0, f64::max);
        let total: f64 = timings.iter().map(|t| t.wall_seconds).sum();
        if longest > 0.0 {
            facts.push((
                "seeds/s (all shards at once)".into(),
                format!("{:.1}", seeds as f64 / longest),
            ));
            facts.push((
                "seeds/s (per shard)".into(),
                format!("{:.1}", seeds as f64 / total),
            ));
        }
    }
    if !merged.coverage.exact() {
        facts.push(("partial merge".into(), merged.coverage.describe()));
    }
    facts
}

fn print_merge(args: &MergeArgs, merged: &Merged, groups: &[FailureGroup], page: &Path) {
    let failing = merged.seeds.iter().filter(|(r, _)| !r.ok).count() as u64;
    outln!(
        "merged     {} shards, {} seeds",
        args.shards.len(),
        thousands(merged.seeds.len() as u64)
    );
    if !merged.coverage.exact() {
        outln!(
            "partial    seeds {} not covered exactly once:",
            merged.coverage.range
        );
        for line in merged.coverage.describe().lines() {
            outln!("{line}");
        }
    }
    outln!(
        "failures   {} seeds in {} groups",
        thousands(failing),
        groups.len()
    );
    for group in groups {
        outln!(
            "  {:>6}  {}  {}  (e.g. seed {})",
            group.seeds.len(),
            group.signature.id(),
            group.signature,
            group.representative.seed
        );
    }
    outln!("results    {}", args.out.join("results.jsonl").display());
    outln!("summary    {}", page.display());
}
