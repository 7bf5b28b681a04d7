//! The CI recipes under `examples/ci/`: the GitHub Actions workflow is valid against the
//! workflow schema, the Kubernetes manifests against the API's schemas of their kinds (both
//! vendored under `examples/ci/schemas/`, with their sources), the three recipes run the same
//! sweep, and each recipe's own shard and merge scripts, run here as separate processes the way
//! its runner would run them, give the results of one unsharded sweep.
//!
//! `kubectl apply --dry-run=client` is not used: it still asks a server for the API's schema.

mod common;
use common::*;

use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

const WORKFLOW: &str = "examples/ci/github-actions/faultline-sweep.yml";
const K8S_SWEEP: &str = "examples/ci/kubernetes/sweep.yaml";
const K8S_MERGE: &str = "examples/ci/kubernetes/merge.yaml";
const SLURM: &str = "examples/ci/slurm";
/// Where the Kubernetes image keeps the repository's scenarios.
const IMAGE_SCENARIOS: &str = "/opt/faultline/";

/// Every YAML document of a repository file, as JSON values.
fn yaml_docs(path: &str) -> Vec<Value> {
    let text = std::fs::read_to_string(repo(path)).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_norway::Deserializer::from_str(&text)
        .map(|doc| Value::deserialize(doc).unwrap_or_else(|e| panic!("{path}: {e}")))
        .collect()
}

/// The validator of a vendored schema (`examples/ci/schemas/NAME`).
fn validator(name: &str) -> jsonschema::Validator {
    let path = repo("examples/ci/schemas").join(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: the vendored schema is missing: {e}", path.display()));
    let schema: Value = serde_json::from_str(&text).unwrap();
    jsonschema::draft7::new(&schema).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// What `validator` finds wrong in `doc`, one line per error with where it is.
fn errors(validator: &jsonschema::Validator, doc: &Value) -> Vec<String> {
    validator
        .iter_errors(doc)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
}

/// The schema file of a Kubernetes kind.
fn k8s_schema(kind: &str) -> &'static str {
    match kind {
        "Job" => "job-batch-v1.json",
        "Pod" => "pod-v1.json",
        "PersistentVolumeClaim" => "persistentvolumeclaim-v1.json",
        other => panic!("no vendored schema for kind {other}"),
    }
}

#[test]
fn the_workflow_is_valid_against_the_github_actions_schema_and_a_broken_one_is_not() {
    let schema = validator("github-workflow.json");
    let docs = yaml_docs(WORKFLOW);
    assert_eq!(docs.len(), 1);
    let workflow = &docs[0];
    assert!(
        workflow.get("on").is_some(),
        "`on` read as a key (YAML 1.2)"
    );
    assert_eq!(errors(&schema, workflow), Vec::<String>::new());

    let mut no_runner = workflow.clone();
    no_runner["jobs"]["build"]
        .as_object_mut()
        .unwrap()
        .remove("runs-on");
    assert!(
        !errors(&schema, &no_runner).is_empty(),
        "a job needs runs-on"
    );
    let mut misspelt = workflow.clone();
    misspelt["jobs"]["shard"]["stratgy"] = misspelt["jobs"]["shard"]["strategy"].clone();
    assert!(!errors(&schema, &misspelt).is_empty(), "unknown job keys");
}

#[test]
fn the_kubernetes_manifests_are_valid_against_the_api_schemas_and_broken_ones_are_not() {
    let mut kinds = Vec::new();
    for path in [K8S_SWEEP, K8S_MERGE] {
        for doc in yaml_docs(path) {
            let kind = doc["kind"].as_str().expect("every document has a kind");
            let schema = validator(k8s_schema(kind));
            assert_eq!(
                errors(&schema, &doc),
                Vec::<String>::new(),
                "{path}: {kind}"
            );
            kinds.push(kind.to_string());
        }
    }
    assert_eq!(kinds, ["PersistentVolumeClaim", "Job", "Job", "Pod"]);

    let job = shard_job();
    let schema = validator("job-batch-v1.json");
    let mut misspelt = job.clone();
    misspelt["spec"]["completion_mode"] = "Indexed".into();
    assert!(!errors(&schema, &misspelt).is_empty(), "unknown fields");
    let mut wrong_type = job.clone();
    wrong_type["spec"]["completions"] = "four".into();
    assert!(
        !errors(&schema, &wrong_type).is_empty(),
        "completions is a number"
    );
    let mut wrong_kind = job;
    wrong_kind["apiVersion"] = "batch/v2".into();
    assert!(!errors(&schema, &wrong_kind).is_empty(), "Job is batch/v1");
}

/// The Indexed Job of `sweep.yaml`.
fn shard_job() -> Value {
    yaml_docs(K8S_SWEEP)
        .into_iter()
        .find(|doc| doc["kind"] == "Job")
        .expect("sweep.yaml has a Job")
}

/// The Job of `merge.yaml`.
fn merge_job() -> Value {
    yaml_docs(K8S_MERGE)
        .into_iter()
        .find(|doc| doc["kind"] == "Job")
        .expect("merge.yaml has a Job")
}

/// The first container's environment of a Job, as a map.
fn container_env(job: &Value) -> BTreeMap<String, String> {
    let env = job["spec"]["template"]["spec"]["containers"][0]["env"]
        .as_array()
        .expect("the container has env");
    env.iter()
        .map(|var| {
            let value = var["value"].as_str().expect("env values are strings");
            (var["name"].as_str().unwrap().to_string(), value.to_string())
        })
        .collect()
}

/// The default `submit.sh` gives `name` (`export NAME="${NAME:-default}"`).
fn slurm_default(name: &str) -> String {
    let text = std::fs::read_to_string(repo(SLURM).join("submit.sh")).unwrap();
    let prefix = format!("export {name}=\"${{{name}:-");
    let line = text
        .lines()
        .find_map(|line| line.strip_prefix(&prefix))
        .unwrap_or_else(|| panic!("submit.sh sets no default {name}"));
    line.strip_suffix("}\"").unwrap().to_string()
}

/// The workflow's top-level `env`.
fn workflow_env() -> BTreeMap<String, String> {
    serde_json::from_value(yaml_docs(WORKFLOW)[0]["env"].clone()).unwrap()
}

#[test]
fn the_three_recipes_run_the_same_sweep_with_as_many_shards_as_they_merge() {
    let gh = workflow_env();
    let shards: u64 = gh["SHARDS"].parse().unwrap();
    assert!(repo(&gh["TEMPLATE"]).is_file(), "{}", gh["TEMPLATE"]);
    let matrix = &yaml_docs(WORKFLOW)[0]["jobs"]["shard"]["strategy"]["matrix"]["shard"];
    let listed: Vec<u64> = serde_json::from_value(matrix.clone()).unwrap();
    assert_eq!(listed, (1..=shards).collect::<Vec<_>>(), "matrix vs SHARDS");

    let job = shard_job();
    let k8s = container_env(&job);
    assert_eq!(job["spec"]["completionMode"], "Indexed");
    assert_eq!(job["spec"]["completions"], shards);
    assert_eq!(job["spec"]["parallelism"], shards);
    assert_eq!(k8s["SHARDS"], gh["SHARDS"]);
    assert_eq!(container_env(&merge_job())["SHARDS"], gh["SHARDS"]);
    assert_eq!(
        k8s["TEMPLATE"],
        format!("{IMAGE_SCENARIOS}{}", gh["TEMPLATE"])
    );
    assert_eq!(k8s["SEEDS"], gh["SEEDS"]);

    for name in ["TEMPLATE", "SEEDS", "SHARDS"] {
        assert_eq!(slurm_default(name), gh[name], "slurm {name}");
    }
}

/// The CI recipes, each run here the way its runner runs it.
#[derive(Clone, Copy, Debug)]
enum Recipe {
    /// Matrix jobs, each in its own checkout with the built binary at `bin/faultline`; the
    /// merge job downloads every shard's artifact to `shards/shard-K`.
    GitHubActions,
    /// Pods of an Indexed Job (`JOB_COMPLETION_INDEX`) on a shared volume at `RESULTS`.
    Kubernetes,
    /// Slurm array tasks (`SLURM_ARRAY_TASK_ID`) on a shared file system.
    Slurm,
}

/// The small sweep the recipes are run with here: their template and seeds are replaced.
struct Sweep {
    template: String,
    seeds: &'static str,
    shards: u64,
}

/// A scratch folder of one recipe's run, and the binary under test.
struct Place {
    dir: PathBuf,
    binary: PathBuf,
}

impl Place {
    fn new(recipe: Recipe) -> Place {
        Place {
            dir: tempdir(&format!("ci-recipe-{recipe:?}")),
            binary: PathBuf::from(env!("CARGO_BIN_EXE_faultline")),
        }
    }

    /// A runner's work folder with the binary at `bin/faultline`, as the workflow downloads it.
    fn checkout(&self, name: &str) -> PathBuf {
        let dir = self.dir.join(name);
        std::fs::create_dir_all(dir.join("bin")).unwrap();
        std::os::unix::fs::symlink(&self.binary, dir.join("bin/faultline")).unwrap();
        dir
    }

    /// `PATH` with the binary's folder first, as in the image.
    fn path_with_binary(&self) -> String {
        let bin = self.binary.parent().unwrap().display().to_string();
        format!("{bin}:{}", std::env::var("PATH").unwrap_or_default())
    }
}

/// A GitHub Actions `run:` step: bash as the runner starts it, with the step's environment.
fn gh_step(script: &str, dir: &Path, env: &BTreeMap<String, String>) -> Command {
    let mut command = Command::new("bash");
    command
        .args(["--noprofile", "--norc", "-eo", "pipefail", "-c", script])
        .current_dir(dir)
        .envs(env);
    command
}

/// The `run:` script of the first step of workflow job `job` that `pick` accepts.
fn workflow_script(job: &str, pick: impl Fn(&Value) -> bool) -> String {
    let steps = yaml_docs(WORKFLOW)[0]["jobs"][job]["steps"].clone();
    let step = steps.as_array().unwrap().iter().find(|s| pick(s)).cloned();
    let step = step.unwrap_or_else(|| panic!("the {job} job has no such step"));
    step["run"].as_str().unwrap().to_string()
}

/// A Kubernetes container's `command` + `args` with its env, `overrides` applied.
fn pod_command(job: &Value, overrides: &[(&str, String)]) -> Command {
    let container = &job["spec"]["template"]["spec"]["containers"][0];
    let words: Vec<String> = ["command", "args"]
        .iter()
        .flat_map(|key| container[key].as_array().unwrap().clone())
        .map(|w| w.as_str().unwrap().to_string())
        .collect();
    let mut command = Command::new(&words[0]);
    command.args(&words[1..]).envs(container_env(job));
    command.envs(overrides.iter().map(|(k, v)| (k, v)));
    command
}

impl Recipe {
    const ALL: [Recipe; 3] = [Recipe::GitHubActions, Recipe::Kubernetes, Recipe::Slurm];

    /// Starts shard `k` (1-based) as its runner would.
    fn start_shard(self, place: &Place, sweep: &Sweep, k: u64) -> Child {
        let mut command = match self {
            Recipe::GitHubActions => {
                let script = workflow_script("shard", |s| s["env"].get("SHARD").is_some());
                let mut env = workflow_env();
                env.insert("TEMPLATE".into(), sweep.template.clone());
                env.insert("SEEDS".into(), sweep.seeds.into());
                env.insert("SHARD".into(), k.to_string());
                gh_step(&script, &place.checkout(&format!("runner-{k}")), &env)
            }
            Recipe::Kubernetes => pod_command(
                &shard_job(),
                &[
                    ("TEMPLATE", sweep.template.clone()),
                    ("SEEDS", sweep.seeds.into()),
                    ("RESULTS", place.dir.join("volume").display().to_string()),
                    ("JOB_COMPLETION_INDEX", (k - 1).to_string()),
                    ("PATH", place.path_with_binary()),
                ],
            ),
            Recipe::Slurm => {
                let mut command = Command::new("bash");
                command
                    .arg(repo(SLURM).join("shard.sbatch"))
                    .envs(slurm_env(place, sweep))
                    .env("SLURM_ARRAY_TASK_ID", k.to_string());
                command
            }
        };
        command.stdout(Stdio::null()).stderr(Stdio::piped());
        command.spawn().expect("a shard starts")
    }

    /// Runs the merge step; returns its exit code and the merged folder.
    fn merge(self, place: &Place, sweep: &Sweep) -> (Option<i32>, PathBuf) {
        let (mut command, merged) = match self {
            Recipe::GitHubActions => {
                let dir = place.checkout("merge");
                for k in 1..=sweep.shards {
                    let artifact = place.dir.join(format!("runner-{k}/shard-{k}"));
                    std::fs::create_dir_all(dir.join("shards")).unwrap();
                    std::fs::rename(artifact, dir.join(format!("shards/shard-{k}"))).unwrap();
                }
                let script = workflow_script("merge", |s| s["id"] == "merge");
                let mut env = workflow_env();
                let output = place.dir.join("github-output");
                env.insert("GITHUB_OUTPUT".into(), output.display().to_string());
                (gh_step(&script, &dir, &env), dir.join("merged"))
            }
            Recipe::Kubernetes => {
                let volume = place.dir.join("volume");
                let results = ("RESULTS", volume.display().to_string());
                let command =
                    pod_command(&merge_job(), &[results, ("PATH", place.path_with_binary())]);
                (command, volume.join("merged"))
            }
            Recipe::Slurm => {
                let mut command = Command::new("bash");
                command
                    .arg(repo(SLURM).join("merge.sbatch"))
                    .envs(slurm_env(place, sweep));
                (command, place.dir.join("results/merged"))
            }
        };
        let out = command.output().expect("the merge step runs");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(merged.join("results.jsonl").is_file(), "{self:?}: {stderr}");
        (out.status.code(), merged)
    }

    /// The merge step's exit code when some seeds failed: the workflow and the Job succeed and
    /// say so (the workflow in its step output, checked by a later step); Slurm's job fails.
    fn merge_code_with_failures(self) -> i32 {
        match self {
            Recipe::GitHubActions | Recipe::Kubernetes => 0,
            Recipe::Slurm => 1,
        }
    }
}

/// The environment `submit.sh` exports to the Slurm jobs.
fn slurm_env(place: &Place, sweep: &Sweep) -> BTreeMap<String, String> {
    BTreeMap::from([
        ("TEMPLATE".into(), sweep.template.clone()),
        ("SEEDS".into(), sweep.seeds.into()),
        ("SHARDS".into(), sweep.shards.to_string()),
        (
            "RESULTS".into(),
            place.dir.join("results").display().to_string(),
        ),
        ("FAULTLINE".into(), place.binary.display().to_string()),
    ])
}

#[test]
fn each_recipe_run_locally_merges_into_the_results_of_one_unsharded_sweep() {
    let sweep = Sweep {
        template: repo_arg("tests/data/raft-planted.json"),
        seeds: "0..12",
        shards: workflow_env()["SHARDS"].parse().unwrap(),
    };
    let whole = tempdir("ci-recipe-whole");
    let out = whole.to_str().unwrap();
    let template = &sweep.template;
    let run = faultline(&[
        "fuzz",
        template,
        "--seeds",
        sweep.seeds,
        "--shrink",
        "--out",
        out,
    ]);
    assert_eq!(
        run.status.code(),
        Some(1),
        "the planted bugs fail some seeds"
    );
    let expected = outcomes(&whole);
    assert_eq!(expected.len(), 12);

    for recipe in Recipe::ALL {
        let place = Place::new(recipe);
        let shards: Vec<Child> = (1..=sweep.shards)
            .map(|k| recipe.start_shard(&place, &sweep, k))
            .collect();
        for (k, shard) in shards.into_iter().enumerate() {
            let out = shard.wait_with_output().unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(
                out.status.code(),
                Some(0),
                "{recipe:?} shard {}: {stderr}",
                k + 1
            );
        }
        let (code, merged) = recipe.merge(&place, &sweep);
        assert_eq!(code, Some(recipe.merge_code_with_failures()), "{recipe:?}");
        if let Recipe::GitHubActions = recipe {
            let said = std::fs::read_to_string(place.dir.join("github-output")).unwrap();
            assert_eq!(said.trim(), "status=1", "the output the last step fails on");
        }
        assert_eq!(
            outcomes(&merged),
            expected,
            "{recipe:?}: seeds, hashes, verdicts"
        );
        assert!(merged.join("summary.html").is_file(), "{recipe:?}");
    }
}
