//! Fuzz templates: a scenario plus a `fuzz` block saying which faults to draw, how often and how big.

use crate::scenario::{
    self, field_path, plain_message, LatencySpec, Scenario, ScenarioError, Span,
};
use faultline_sim::detmath::{exp, ln};
use faultline_sim::DetRng;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// Relative weights of the fault kinds a seed may draw (0 or absent: never).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KindWeights {
    /// A symmetric partition into two groups, healed later.
    #[serde(default)]
    pub partition: f64,
    /// A one-way cut between two node sets, healed later.
    #[serde(default)]
    pub one_way: f64,
    /// A crash, restarted later.
    #[serde(default)]
    pub crash: f64,
    /// A node frozen (a GC pause), resumed later.
    #[serde(default)]
    pub pause: f64,
    /// A burst of message loss (and duplication), then back to the base network.
    #[serde(default)]
    pub loss: f64,
    /// A latency spike, then back to the base network.
    #[serde(default)]
    pub latency: f64,
    /// One node's clock runs fast or slow, then back to true speed.
    #[serde(default)]
    pub clock: f64,
    /// Raft only: a voter is removed from the configuration, then added back.
    #[serde(default)]
    pub membership: f64,
    /// A restart storm: nodes crash in turn, each for a few milliseconds, every 50-250 ms for
    /// the episode (restarts that land inside elections and between votes).
    #[serde(default)]
    pub storm: f64,
    /// Raft only: whoever leads is crashed, and restarted later.
    #[serde(default)]
    pub leader_crash: f64,
    /// Raft only: whoever leads is cut off from the other servers (clients still reach it), with
    /// its clock at the slowest rate of `clock_rate`; healed later.
    #[serde(default)]
    pub leader_isolate: f64,
    /// Raft only: whoever leads is frozen (a GC pause) and resumes later, handling at once what
    /// reached it meanwhile.
    #[serde(default)]
    pub leader_pause: f64,
    /// Raft only: whoever leads is frozen for a pause (`pause_duration`), and the server that
    /// wins the election this forces is cut off as it wins, before its first appends arrive;
    /// healed later.
    #[serde(default)]
    pub new_leader: f64,
    /// Raft only: power blips (every server crashes and is back within a few milliseconds),
    /// repeated an election timeout and a catch-up apart for the episode, and each server that
    /// grants a vote in the elections that follow crashes as it grants it, for 1-3 ms; while
    /// the network is free each election is held across a bridge with its winner cut off as it
    /// wins. Drawn only while nothing else is down.
    #[serde(default)]
    pub voter: f64,
    /// Raft only: the next server to start a campaign is split off as it becomes a candidate,
    /// with the servers after it (half the cluster, rounded down), from the rest; healed
    /// later. Its campaign reaches its own side only, so the sides go on in different terms
    /// while the other side's leader, if any, keeps taking writes it cannot commit.
    #[serde(default)]
    pub campaign: f64,
    /// Raft only: for the episode, each server that acknowledges its leader (a heartbeat or
    /// an accepted append) crashes as the acknowledgement leaves and restarts within a few
    /// milliseconds, one server down at a time: restarts at the moment a follower has just
    /// promised its leader something (its lease).
    #[serde(default)]
    pub follower: f64,
    /// Raft only: the leader cut off, both ways, from half the other servers (rounded down),
    /// the rest hearing both sides (a bridge); healed later. The leader keeps a quorum (and
    /// a lease) while the servers it cannot reach time out and campaign through the others.
    #[serde(default)]
    pub leader_bridge: f64,
    /// Raft only: the operator asks for leadership to move to one of the initial voters,
    /// whatever else is going on (it may be down, cut off, lagging or already leading).
    #[serde(default)]
    pub transfer: f64,
    /// A storage fault on one node's disk, only with `cluster.disk`: a bit flipped in a log
    /// record or a metadata slot, or reads of it failing, found when the node crashes with it
    /// and restarts later; or its syncs slowed to `latency`, or its disk full, repaired later.
    #[serde(default)]
    pub disk: f64,
    /// Gossip with SWIM only: a node leaves gracefully, and joins again later through a seed
    /// (with a fresh core: it knows only the seed, and learns the members and the data
    /// through the protocol).
    #[serde(default)]
    pub churn: f64,
}

/// A kind of fault episode a template draws; [`KindWeights`] gives each its weight.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum EpisodeKind {
    /// A symmetric partition into two groups, healed later.
    Partition,
    /// A one-way cut between two node sets, healed later.
    OneWay,
    /// A crash, restarted later.
    Crash,
    /// A node frozen, resumed later.
    Pause,
    /// A burst of message loss, then back to the base network.
    Loss,
    /// A latency spike, then back to the base network.
    Latency,
    /// One node's clock runs fast or slow, then back to true speed.
    Clock,
    /// Raft: a voter removed, then added back.
    Membership,
    /// A restart storm: nodes crash in turn for milliseconds.
    Storm,
    /// Raft: the leader crashed, restarted later.
    LeaderCrash,
    /// Raft: the leader cut off with a slow clock, healed later.
    LeaderIsolate,
    /// Raft: the leader frozen, resumed later.
    LeaderPause,
    /// Raft: the leader frozen and the next winner cut off as it wins.
    NewLeader,
    /// Raft: power blips with each vote granter crashed as it grants.
    Voter,
    /// Raft: the next candidate split off, with half the cluster, as it campaigns.
    Campaign,
    /// Raft: each follower crashed for milliseconds as it acknowledges its leader.
    Follower,
    /// Raft: the leader cut off from half the others, the rest bridging the two sides.
    LeaderBridge,
    /// Raft: a leadership transfer asked of the cluster.
    Transfer,
    /// A storage fault on one node's disk (templates with `cluster.disk`), then its repair.
    Disk,
    /// Gossip: a node leaves gracefully, then joins again through a seed.
    Churn,
}

impl EpisodeKind {
    /// Every kind, in the order draws pick them (changing it moves every fuzz seed's hash).
    pub const ALL: [EpisodeKind; 20] = [
        EpisodeKind::Partition,
        EpisodeKind::OneWay,
        EpisodeKind::Crash,
        EpisodeKind::Pause,
        EpisodeKind::Loss,
        EpisodeKind::Latency,
        EpisodeKind::Clock,
        EpisodeKind::Membership,
        EpisodeKind::Storm,
        EpisodeKind::LeaderCrash,
        EpisodeKind::LeaderIsolate,
        EpisodeKind::LeaderPause,
        EpisodeKind::NewLeader,
        EpisodeKind::Voter,
        EpisodeKind::Disk,
        EpisodeKind::Churn,
        EpisodeKind::Campaign,
        EpisodeKind::Follower,
        EpisodeKind::LeaderBridge,
        EpisodeKind::Transfer,
    ];

    /// The kind's field in the template's `kinds` block.
    pub fn name(self) -> &'static str {
        match self {
            EpisodeKind::Partition => "partition",
            EpisodeKind::OneWay => "one_way",
            EpisodeKind::Crash => "crash",
            EpisodeKind::Pause => "pause",
            EpisodeKind::Loss => "loss",
            EpisodeKind::Latency => "latency",
            EpisodeKind::Clock => "clock",
            EpisodeKind::Membership => "membership",
            EpisodeKind::Storm => "storm",
            EpisodeKind::LeaderCrash => "leader_crash",
            EpisodeKind::LeaderIsolate => "leader_isolate",
            EpisodeKind::LeaderPause => "leader_pause",
            EpisodeKind::NewLeader => "new_leader",
            EpisodeKind::Voter => "voter",
            EpisodeKind::Disk => "disk",
            EpisodeKind::Churn => "churn",
            EpisodeKind::Campaign => "campaign",
            EpisodeKind::Follower => "follower",
            EpisodeKind::LeaderBridge => "leader_bridge",
            EpisodeKind::Transfer => "transfer",
        }
    }

    /// The only protocol that can carry this kind out, if only one can.
    pub fn protocol_only(self) -> Option<&'static str> {
        match self {
            EpisodeKind::Partition
            | EpisodeKind::OneWay
            | EpisodeKind::Crash
            | EpisodeKind::Pause
            | EpisodeKind::Loss
            | EpisodeKind::Latency
            | EpisodeKind::Clock
            | EpisodeKind::Storm
            | EpisodeKind::Disk => None,
            EpisodeKind::Membership
            | EpisodeKind::LeaderCrash
            | EpisodeKind::LeaderIsolate
            | EpisodeKind::LeaderPause
            | EpisodeKind::NewLeader
            | EpisodeKind::Voter
            | EpisodeKind::Campaign
            | EpisodeKind::Follower
            | EpisodeKind::LeaderBridge
            | EpisodeKind::Transfer => Some("raft"),
            EpisodeKind::Churn => Some("gossip"),
        }
    }

    /// True for the kinds added after templates were pinned (storage, churn, campaign): a swarm draws
    /// their keep-or-drop coin only when they are weighted, so templates without them keep
    /// every draw (and pinned hash) they had before.
    pub fn coin_only_when_weighted(self) -> bool {
        matches!(
            self,
            EpisodeKind::Disk
                | EpisodeKind::Churn
                | EpisodeKind::Campaign
                | EpisodeKind::Follower
                | EpisodeKind::LeaderBridge
                | EpisodeKind::Transfer
        )
    }
}

impl KindWeights {
    /// The weight of `kind`.
    pub fn weight(&self, kind: EpisodeKind) -> f64 {
        match kind {
            EpisodeKind::Partition => self.partition,
            EpisodeKind::OneWay => self.one_way,
            EpisodeKind::Crash => self.crash,
            EpisodeKind::Pause => self.pause,
            EpisodeKind::Loss => self.loss,
            EpisodeKind::Latency => self.latency,
            EpisodeKind::Clock => self.clock,
            EpisodeKind::Membership => self.membership,
            EpisodeKind::Storm => self.storm,
            EpisodeKind::LeaderCrash => self.leader_crash,
            EpisodeKind::LeaderIsolate => self.leader_isolate,
            EpisodeKind::LeaderPause => self.leader_pause,
            EpisodeKind::NewLeader => self.new_leader,
            EpisodeKind::Voter => self.voter,
            EpisodeKind::Disk => self.disk,
            EpisodeKind::Churn => self.churn,
            EpisodeKind::Campaign => self.campaign,
            EpisodeKind::Follower => self.follower,
            EpisodeKind::LeaderBridge => self.leader_bridge,
            EpisodeKind::Transfer => self.transfer,
        }
    }

    /// The weights indexed like [`EpisodeKind::ALL`].
    pub fn in_order(&self) -> [f64; 20] {
        EpisodeKind::ALL.map(|kind| self.weight(kind))
    }

    /// The inverse of [`KindWeights::in_order`].
    pub fn from_order(weights: &[f64]) -> Self {
        let w = |i: usize| weights.get(i).copied().unwrap_or(0.0);
        KindWeights {
            partition: w(0),
            one_way: w(1),
            crash: w(2),
            pause: w(3),
            loss: w(4),
            latency: w(5),
            clock: w(6),
            membership: w(7),
            storm: w(8),
            leader_crash: w(9),
            leader_isolate: w(10),
            leader_pause: w(11),
            new_leader: w(12),
            voter: w(13),
            disk: w(14),
            churn: w(15),
            campaign: w(16),
            follower: w(17),
            leader_bridge: w(18),
            transfer: w(19),
        }
    }
}

/// The `fuzz` block of a template.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FuzzSpec {
    /// Most fault episodes per seed (each is a fault and its repair); at least 0 are drawn.
    pub max_faults: u32,
    /// Which kinds to draw, by weight.
    pub kinds: KindWeights,
    /// How long an episode lasts before its repair, `[min, max]`.
    pub fault_duration: [Span; 2],
    /// How lengths are drawn within `fault_duration` and `pause_duration`.
    #[serde(default, skip_serializing_if = "DurationScale::is_uniform")]
    pub duration_scale: DurationScale,
    /// How long a frozen node (`pause`, `leader_pause`) stays frozen, `[min, max]` (default:
    /// `fault_duration`). The pauses that catch a protocol out are the ones that end just after
    /// the others have acted on the silence, so this is best set around its timeouts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pause_duration: Option<[Span; 2]>,
    /// No fault starts in this last part of the run, so liveness checks see a healed cluster.
    pub quiet_tail: Span,
    /// Most nodes down at once (default: a minority, `(nodes - 1) / 2`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_crashed: Option<u32>,
    /// Loss probability range for loss bursts (default `[0.2, 0.6]`).
    #[serde(default = "default_loss")]
    pub loss: [f64; 2],
    /// Latency during spikes (default `["50ms", "400ms"]`).
    #[serde(default = "default_spike")]
    pub latency: LatencySpec,
    /// Clock rate range for clock episodes (default `[0.9, 1.1]`).
    #[serde(default = "default_rates")]
    pub clock_rate: [f64; 2],
    /// Scenario fields to vary per seed: a JSON pointer into the scenario (e.g.
    /// `/protocol/raft/reads`) and the values to choose from. For an object field, an object
    /// choice is merged into it (e.g. `{"reads": "lease", "max_clock_drift": "100ms"}`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub vary: BTreeMap<String, Vec<serde_json::Value>>,
    /// Swarm testing: per seed, which fault kinds are in play at all and the configuration
    /// drawn over ranges (after `vary`, before the faults).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub swarm: Option<super::swarm::SwarmSpec>,
    /// The planted bugs `faultline campaign` hunts with this template (default: every bug the
    /// protocol offers). A tuned template lists the bugs its space was tuned for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hunt: Option<Vec<String>>,
}

impl FuzzSpec {
    /// How long a pause lasts, `[min, max]`: `pause_duration`, or else `fault_duration`.
    pub fn pause_range(&self) -> [Span; 2] {
        self.pause_duration.unwrap_or(self.fault_duration)
    }
}

fn default_loss() -> [f64; 2] {
    [0.2, 0.6]
}

fn default_spike() -> LatencySpec {
    let ms = |n| Span(std::time::Duration::from_millis(n));
    LatencySpec::Uniform(ms(50), ms(400))
}

fn default_rates() -> [f64; 2] {
    [0.9, 1.1]
}

/// How an episode's length is drawn within its range.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DurationScale {
    /// Every length in the range equally likely (whole milliseconds).
    #[default]
    Uniform,
    /// Log-uniform: every scale equally likely, so a range from 100 ms to 2 minutes draws
    /// blips shorter than a timeout as often as partitions that outlast every timeout.
    Log,
}

impl DurationScale {
    fn is_uniform(&self) -> bool {
        *self == DurationScale::Uniform
    }

    /// A length in whole milliseconds within `[low, high]`, from one draw of `rng`.
    pub fn draw(self, rng: &mut DetRng, low: u64, high: u64) -> u64 {
        match self {
            DurationScale::Uniform => rng.between(low, high),
            DurationScale::Log => {
                let (from, to) = (ln(low.max(1) as f64), ln(high.max(1) as f64));
                let drawn = exp(from + rng.unit() * (to - from)).round() as u64;
                drawn.clamp(low, high)
            }
        }
    }
}

/// A parsed template: the base scenario and how to fuzz it.
#[derive(Clone, Debug, PartialEq)]
pub struct Template {
    /// The scenario every seed starts from (its own faults are kept).
    pub base: Scenario,
    /// What to draw.
    pub fuzz: FuzzSpec,
    /// True once [`Template::check_vary`] found no combination of `vary` choices that makes the
    /// scenario invalid: `expand` may then set every drawn choice and parse the scenario once,
    /// rather than once per field to skip a choice that breaks it.
    pub(crate) vary_conflict_free: bool,
}

impl Template {
    /// The combinations of `vary` choices that make the scenario invalid ([`vary_conflicts`]);
    /// when there are none the template remembers it, so each expansion parses its scenario
    /// once rather than once per varied field (the same scenario either way).
    pub fn check_vary(&mut self) -> Vec<String> {
        let conflicts = vary_conflicts(self);
        self.vary_conflict_free = conflicts.is_empty();
        conflicts
    }
}

/// Reads and validates a template file (at most [`crate::files::input_limit`] bytes read, the
/// same limit as scenario files).
pub fn load_template(path: &Path) -> Result<Template, ScenarioError> {
    let text = crate::files::read_input(path).map_err(|source| ScenarioError::Io {
        file: path.to_path_buf(),
        source,
    })?;
    parse_template(&text, path)
}

/// Parses and validates template text; `path` names the file in errors.
pub fn parse_template(text: &str, path: &Path) -> Result<Template, ScenarioError> {
    let field_error = |field: String, message: String| ScenarioError::Field {
        file: path.to_path_buf(),
        field,
        message,
    };
    if let Some(found) = scenario::top_level_kind(text) {
        return Err(field_error(
            String::new(),
            format!(
                "expected a JSON object at the top level (a scenario with a `fuzz` block), found {found}"
            ),
        ));
    }
    let mut value: serde_json::Value =
        serde_json::from_str(text).map_err(|error| ScenarioError::Syntax {
            file: path.to_path_buf(),
            line: error.line(),
            column: error.column(),
            message: plain_message(&error.to_string()),
        })?;
    let fuzz_value = value
        .as_object_mut()
        .and_then(|object| object.remove("fuzz"))
        .ok_or_else(|| {
            field_error(
                "fuzz".into(),
                "missing field `fuzz`: a template needs a fuzz block".into(),
            )
        })?;
    if !fuzz_value.is_object() {
        return Err(field_error(
            "fuzz".into(),
            format!(
                "expected an object (the fuzz block), found {}",
                json_kind(&fuzz_value)
            ),
        ));
    }
    let in_fuzz = |path: &str, message: String| {
        let path = field_path(path, &message);
        field_error(
            if path.is_empty() {
                "fuzz".into()
            } else {
                format!("fuzz.{path}")
            },
            message,
        )
    };
    let fuzz: FuzzSpec = scenario::strict::read_block(fuzz_value)
        .map_err(|(path, message)| in_fuzz(&path, message))?;
    let base = scenario::parse(&value.to_string(), path)?;
    validate_fuzz(&fuzz, &base)
        .and_then(|()| validate_vary(&fuzz.vary, &base))
        .map_err(|(field, message)| field_error(format!("fuzz.{field}"), message))?;
    Ok(Template {
        base,
        fuzz,
        vary_conflict_free: false,
    })
}

/// `an array`, `a string`, ...: what a JSON value is, for messages.
fn json_kind(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

/// Most fields one template may vary.
pub const MAX_VARIED_FIELDS: usize = 64;
/// Most choices for one varied field.
pub const MAX_VARY_CHOICES: usize = 1024;

/// Most combinations of `vary` choices a template may have (each is checked when it loads).
pub const MAX_VARY_COMBINATIONS: u64 = 4096;

/// Every `vary` entry names a field of the scenario (one that exists in the template, or an
/// optional field of an object that does), every choice applied alone gives a valid scenario,
/// and there are at most [`MAX_VARY_COMBINATIONS`] combinations.
fn validate_vary(
    vary: &BTreeMap<String, Vec<serde_json::Value>>,
    base: &Scenario,
) -> Result<(), (String, String)> {
    if vary.len() > MAX_VARIED_FIELDS {
        return Err((
            "vary".into(),
            format!(
                "expected at most {MAX_VARIED_FIELDS} varied fields, found {}",
                vary.len()
            ),
        ));
    }
    let mut combinations = 1u64;
    for (pointer, choices) in vary {
        if choices.is_empty() || choices.len() > MAX_VARY_CHOICES {
            return Err((
                format!("vary[\"{pointer}\"]"),
                format!(
                    "expected 1 to {MAX_VARY_CHOICES} values to choose from, found {}",
                    choices.len()
                ),
            ));
        }
        combinations = combinations.saturating_mul(choices.len() as u64);
    }
    if combinations > MAX_VARY_COMBINATIONS {
        return Err((
            "vary".into(),
            format!("expected at most {MAX_VARY_COMBINATIONS} combinations of choices, found {combinations}"),
        ));
    }
    // The same JSON `expand` varies.
    let base = serde_json::to_value(base).map_err(|e| ("vary".to_string(), e.to_string()))?;
    for (pointer, choices) in vary {
        for (index, choice) in choices.iter().enumerate() {
            vary_step(&base, pointer, index, choice, &[])?;
        }
    }
    Ok(())
}

/// Combinations of `vary` choices that do not give a valid scenario, each described with the
/// choices that lead to it, as `expand` meets them: it applies the fields in pointer order, and a
/// choice that would make the scenario invalid on top of the earlier ones is not applied (the
/// field keeps its earlier value in that seed). `fuzz` and `expand` print these as warnings.
pub fn vary_conflicts(template: &Template) -> Vec<String> {
    let Ok(base) = serde_json::to_value(&template.base) else {
        return Vec::new();
    };
    let mut conflicts = Vec::new();
    let mut states: Vec<(serde_json::Value, Vec<String>)> = vec![(base, Vec::new())];
    for (pointer, choices) in &template.fuzz.vary {
        let mut next = Vec::with_capacity(states.len() * choices.len());
        for (value, earlier) in &states {
            for (index, choice) in choices.iter().enumerate() {
                let mut path = earlier.clone();
                match vary_step(value, pointer, index, choice, earlier) {
                    Ok(varied) => {
                        path.push(format!("{pointer} choice {index}"));
                        next.push((varied, path));
                    }
                    Err((field, message)) => {
                        conflicts.push(format!("fuzz.{field}: {message}"));
                        path.push(format!("{pointer} choice {index} (not applied)"));
                        next.push((value.clone(), path));
                    }
                }
            }
        }
        states = next;
    }
    conflicts
}

/// `value` with choice `index` of `pointer` applied, or why that is not a valid scenario
/// (`earlier`: the choices of the fields before it).
fn vary_step(
    value: &serde_json::Value,
    pointer: &str,
    index: usize,
    choice: &serde_json::Value,
    earlier: &[String],
) -> Result<serde_json::Value, (String, String)> {
    let field = format!("vary[\"{pointer}\"]");
    let Some(varied) = set_pointer(value, pointer, choice) else {
        return Err((
            field,
            "names no field of the scenario: expected a JSON pointer such as \
             \"/protocol/raft/reads\" to a field of the template, or to an optional \
             field of an object it has"
                .into(),
        ));
    };
    let Err(error) = scenario::parse(&varied.to_string(), Path::new("<vary>")) else {
        return Ok(varied);
    };
    let what = match &error {
        ScenarioError::Field { field, message, .. } if !field.is_empty() => {
            format!("field `{field}`: {message}")
        }
        ScenarioError::Field { message, .. } => message.clone(),
        other => other.to_string(),
    };
    let with = if earlier.is_empty() {
        String::new()
    } else {
        format!(" drawn with {}", earlier.join(", "))
    };
    Err((
        format!("{field}[{index}]"),
        format!("choice {index} ({choice}) makes the scenario invalid{with}: {what}"),
    ))
}

/// `value` with the field at `pointer` (which must exist, or whose parent object must) set to
/// `choice`; when both the field and the choice are objects, the choice's keys are merged in.
pub(crate) fn set_pointer(
    value: &serde_json::Value,
    pointer: &str,
    choice: &serde_json::Value,
) -> Option<serde_json::Value> {
    let mut varied = value.clone();
    set_pointer_in(&mut varied, pointer, choice).then_some(varied)
}

/// [`set_pointer`] in place: false (and `value` unchanged) when `pointer` names no field.
pub(crate) fn set_pointer_in(
    value: &mut serde_json::Value,
    pointer: &str,
    choice: &serde_json::Value,
) -> bool {
    if !pointer.starts_with('/') {
        return false;
    }
    if let Some(slot) = value.pointer_mut(pointer) {
        match (slot.as_object_mut(), choice.as_object()) {
            (Some(fields), Some(chosen)) => {
                fields.extend(chosen.iter().map(|(k, v)| (k.clone(), v.clone())));
            }
            _ => *slot = choice.clone(),
        }
        return true;
    }
    let Some((parent, key)) = pointer.rsplit_once('/') else {
        return false;
    };
    let Some(fields) = value
        .pointer_mut(parent)
        .and_then(serde_json::Value::as_object_mut)
    else {
        return false;
    };
    fields.insert(key.to_string(), choice.clone());
    true
}

fn validate_fuzz(fuzz: &FuzzSpec, base: &Scenario) -> Result<(), (String, String)> {
    let raft = matches!(base.protocol, crate::scenario::ProtocolSpec::Raft(_));
    validate_kinds(fuzz, base)?;
    if fuzz.kinds.disk > 0.0 && base.cluster.disk.is_none() {
        return Err((
            "kinds.disk".into(),
            "expected a `cluster.disk` block in the scenario: without one no node keeps a disk to fault".into(),
        ));
    }
    for (field, range) in [
        ("fault_duration", Some(fuzz.fault_duration)),
        ("pause_duration", fuzz.pause_duration),
    ] {
        if let Some([min, max]) = range.filter(|[min, max]| min.0.is_zero() || min > max) {
            return Err((
                field.into(),
                format!("expected [min, max] with 0 < min <= max, found [{min}, {max}]"),
            ));
        }
    }
    if fuzz.quiet_tail >= base.duration {
        return Err((
            "quiet_tail".into(),
            format!("expected less than the duration ({})", base.duration),
        ));
    }
    let [low, high] = fuzz.loss;
    if !(0.0..=1.0).contains(&low) || !(0.0..=1.0).contains(&high) || low > high {
        return Err((
            "loss".into(),
            format!("expected [low, high] probabilities with low <= high, found [{low}, {high}]"),
        ));
    }
    validate_rates(fuzz.clock_rate, "clock_rate")?;
    if let Some(swarm) = &fuzz.swarm {
        super::swarm::validate(swarm, raft)?;
    }
    validate_hunt(fuzz, base)?;
    crate::scenario::validate_latency(&fuzz.latency, "latency")
        .map_err(|invalid| (invalid.field, invalid.message))?;
    if let Some(max_crashed) = fuzz.max_crashed {
        if max_crashed > base.cluster.nodes {
            return Err((
                "max_crashed".into(),
                format!("expected at most the cluster size ({})", base.cluster.nodes),
            ));
        }
    }
    Ok(())
}

/// The fault kinds' weights (non-negative, finite, one positive when faults are drawn, the
/// Raft-only kinds only for Raft, churn only for gossip with SWIM) and `max_faults`.
fn validate_kinds(fuzz: &FuzzSpec, base: &Scenario) -> Result<(), (String, String)> {
    let kinds = &fuzz.kinds;
    let weights = kinds.in_order();
    if weights.iter().any(|w| !w.is_finite() || *w < 0.0) {
        return Err((
            "kinds".into(),
            "expected non-negative finite weights".into(),
        ));
    }
    if fuzz.max_faults > 0 && weights.iter().sum::<f64>() <= 0.0 {
        return Err((
            "kinds".into(),
            "expected at least one kind with a positive weight".into(),
        ));
    }
    let protocol = base.protocol.name();
    let misplaced = EpisodeKind::ALL.into_iter().find_map(|kind| {
        let owner = kind.protocol_only()?;
        (owner != protocol && kinds.weight(kind) > 0.0).then_some((kind, owner))
    });
    if let Some((kind, owner)) = misplaced {
        return Err((
            format!("kinds.{}", kind.name()),
            format!("applies only to the {owner} protocol"),
        ));
    }
    if let crate::scenario::ProtocolSpec::Gossip(gossip) = &base.protocol {
        if kinds.churn > 0.0 && gossip.swim.is_none() {
            return Err((
                "kinds.churn".into(),
                "expected protocol.gossip.swim to be set: a node joins again through SWIM".into(),
            ));
        }
    }
    if fuzz.max_faults > 1000 {
        return Err((
            "max_faults".into(),
            format!("expected at most 1000, found {}", fuzz.max_faults),
        ));
    }
    Ok(())
}

/// Every bug `hunt` names is a planted bug of the protocol.
fn validate_hunt(fuzz: &FuzzSpec, base: &Scenario) -> Result<(), (String, String)> {
    for (i, bug) in fuzz.hunt.iter().flatten().enumerate() {
        if super::campaign::with_bug(base, bug).is_none() {
            return Err((
                format!("hunt[{i}]"),
                format!("expected a planted bug of the protocol, found {bug:?}"),
            ));
        }
    }
    Ok(())
}

fn validate_rates([slow, fast]: [f64; 2], field: &str) -> Result<(), (String, String)> {
    if !(0.5..=2.0).contains(&slow) || !(0.5..=2.0).contains(&fast) || slow > fast {
        return Err((
            field.into(),
            format!(
                "expected [low, high] rates in [0.5, 2] with low <= high, found [{slow}, {fast}]"
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_scaled_durations_cover_every_decade_of_the_range_alike() {
        let (low, high) = (100, 100_000);
        let draws = |scale: DurationScale| {
            let mut rng = DetRng::from_seed(7);
            (0..9_000)
                .map(|_| scale.draw(&mut rng, low, high))
                .collect::<Vec<u64>>()
        };
        let in_decade = |draws: &[u64], from: u64| {
            draws
                .iter()
                .filter(|d| (from..from * 10).contains(*d))
                .count()
        };
        let log = draws(DurationScale::Log);
        assert!(log.iter().all(|d| (low..=high).contains(d)));
        for from in [100, 1_000, 10_000] {
            let n = in_decade(&log, from);
            assert!(
                (2_700..3_300).contains(&n),
                "{n} of 9,000 in [{from}, {})",
                from * 10
            );
        }
        let uniform = draws(DurationScale::Uniform);
        assert!(in_decade(&uniform, 100) < 150);
    }

    const BASE: &str = r#""version": 1, "name": "t", "seed": 1, "duration": "5s",
        "protocol": {"heartbeat": {"interval": "50ms", "timeout": "400ms"}}, "cluster": {"nodes": 3}"#;

    fn error_field(fuzz: &str) -> String {
        let text = format!("{{{BASE}, \"fuzz\": {fuzz}}}");
        match parse_template(&text, Path::new("t.json")) {
            Err(ScenarioError::Field { field, .. }) => field,
            other => panic!("expected a field error, got {other:?}"),
        }
    }

    #[test]
    fn template_errors_name_the_fuzz_field() {
        let ok = r#""max_faults": 3, "fault_duration": ["1s", "2s"], "quiet_tail": "1s""#;
        assert_eq!(
            error_field(&format!(
                r#"{{{ok}, "kinds": {{"crash": 1, "meteor": 1}}}}"#
            )),
            "fuzz.kinds.meteor"
        );
        assert_eq!(
            error_field(&format!(r#"{{{ok}, "kinds": {{}}}}"#)),
            "fuzz.kinds"
        );
        assert_eq!(
            error_field(&format!(r#"{{{ok}, "kinds": {{"crash": -1}}}}"#)),
            "fuzz.kinds"
        );
        assert_eq!(
            error_field(
                r#"{"max_faults": 3, "fault_duration": ["1s", "2s"], "quiet_tail": "9s", "kinds": {"crash": 1}}"#
            ),
            "fuzz.quiet_tail"
        );
        assert_eq!(
            error_field(
                r#"{"fault_duration": ["1s", "2s"], "quiet_tail": "1s", "kinds": {"crash": 1}}"#
            ),
            "fuzz.max_faults"
        );
        assert_eq!(
            error_field(&format!(
                r#"{{{ok}, "kinds": {{"crash": 1}}, "max_crashed": 9}}"#
            )),
            "fuzz.max_crashed"
        );
        assert_eq!(
            error_field(&format!(
                r#"{{{ok}, "kinds": {{"pause": 1}}, "pause_duration": ["300ms", "100ms"]}}"#
            )),
            "fuzz.pause_duration"
        );
        assert_eq!(
            error_field(&format!(r#"{{{ok}, "kinds": {{"churn": 1}}}}"#)),
            "fuzz.kinds.churn"
        );
        let no_block = parse_template(&format!("{{{BASE}}}"), Path::new("t.json")).unwrap_err();
        assert_eq!(no_block.field(), Some("fuzz"));
    }

    /// No combination of a shipped template's `vary` choices is invalid: a seed that drew one
    /// would silently run without the choice (and the CLI would warn on every sweep).
    #[test]
    fn the_shipped_templates_have_no_invalid_vary_combination() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios/fuzz");
        let mut names: Vec<_> = std::fs::read_dir(&dir)
            .expect("scenarios/fuzz exists")
            .map(|entry| entry.unwrap().path())
            .filter(|path| path.extension().is_some_and(|e| e == "json"))
            .collect();
        names.sort();
        assert!(names.len() >= 4, "shipped templates missing: {names:?}");
        for path in names {
            let template = load_template(&path).unwrap_or_else(|e| panic!("{e}"));
            let conflicts = vary_conflicts(&template);
            assert!(conflicts.is_empty(), "{}: {conflicts:#?}", path.display());
        }
    }
}
