//! A self-contained HTML view of checked histories, in the spirit of Porcupine's: pick
//! a history and a partition (key); each client is a lane and each operation a bar with
//! its call and result; hovering a bar numbers the linearization up to it. For a
//! partition that is not linearizable the bars of the longest linearizable prefix found
//! are green, the operation that could not be placed is red and the ones pending then
//! are orange. No network: the data, script and style are inline.

use std::fmt::Display;

use serde_json::{json, Value};

use crate::checker::{Analysis, PartitionResult};
use crate::history::History;

/// A partition with more operations than this is shown as a window of this many,
/// around the operation that could not be placed (or from the start).
pub const MAX_VIEW_OPS: usize = 2_000;

/// The view data of one checked history: its name, model, verdict and partitions.
pub fn history_data<I: Display, O: Display>(
    name: &str,
    model: &str,
    verdict: &str,
    history: &History<I, O>,
    analysis: &Analysis,
) -> Value {
    let partitions: Vec<Value> = analysis
        .partitions
        .iter()
        .map(|part| {
            let outcome = Outcome::of(&part.result);
            let shown = window(&part.ops, history, outcome.blocked);
            json!({
                "key": part.key,
                "status": outcome.status,
                "total": part.ops.len(),
                "ops": op_rows(&shown, history),
                "order": outcome.order,
                "blocked": outcome.blocked,
                "pending": outcome.pending,
                "state": outcome.state,
            })
        })
        .collect();
    json!({ "name": name, "model": model, "verdict": verdict, "partitions": partitions })
}

/// What the view shows of a partition's result.
struct Outcome {
    status: String,
    /// The linearization, or the longest linearizable prefix found.
    order: Vec<usize>,
    blocked: Option<usize>,
    pending: Vec<usize>,
    /// The model state after the prefix of a refuted partition.
    state: Option<String>,
}

impl Outcome {
    fn of(result: &PartitionResult) -> Self {
        let plain = |status: String| Outcome {
            status,
            order: Vec::new(),
            blocked: None,
            pending: Vec::new(),
            state: None,
        };
        match result {
            PartitionResult::Linearizable { order } => Outcome {
                order: order.clone(),
                ..plain("linearizable".to_owned())
            },
            PartitionResult::NotLinearizable {
                prefix,
                blocked,
                pending,
                state,
            } => Outcome {
                status: "NOT linearizable".to_owned(),
                order: prefix.clone(),
                blocked: *blocked,
                pending: pending.clone(),
                state: Some(state.clone()),
            },
            PartitionResult::Unknown(why) => plain(format!("unknown: {why}")),
            PartitionResult::Skipped => {
                plain("skipped: another partition was refuted first".to_owned())
            }
        }
    }
}

/// One row per shown operation: index, client, call and return times, input, output.
fn op_rows<I: Display, O: Display>(shown: &[usize], history: &History<I, O>) -> Vec<Value> {
    shown
        .iter()
        .map(|&i| {
            let op = &history.ops[i];
            json!([
                i,
                op.client,
                op.invoke,
                op.complete,
                op.input.to_string(),
                op.output.as_ref().map(ToString::to_string)
            ])
        })
        .collect()
}

/// The operations shown of a partition: all, or [`MAX_VIEW_OPS`] of them by invocation,
/// centred on `focus`.
fn window<I, O>(ops: &[usize], history: &History<I, O>, focus: Option<usize>) -> Vec<usize> {
    if ops.len() <= MAX_VIEW_OPS {
        return ops.to_vec();
    }
    let mut by_time = ops.to_vec();
    by_time.sort_by_key(|&i| (history.ops[i].invoke, i));
    let at = focus
        .and_then(|f| by_time.iter().position(|&i| i == f))
        .unwrap_or(0);
    let start = at
        .saturating_sub(MAX_VIEW_OPS / 2)
        .min(by_time.len() - MAX_VIEW_OPS);
    by_time[start..start + MAX_VIEW_OPS].to_vec()
}

/// The page showing `histories` (from [`history_data`]).
pub fn render_page(histories: &[Value]) -> String {
    // `</` cannot appear inside the inline script: a value holding "</script>" would end it.
    let data = serde_json::to_string(histories)
        .unwrap_or_else(|_| "[]".into())
        .replace("</", "<\\/");
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>faultline history view</title><style>{STYLE}</style></head>\
         <body><header><h1>faultline history view</h1>\
         <label>partition <select id=\"pick\"></select></label></header>\
         <p id=\"summary\"></p><p id=\"legend\"></p><div id=\"lanes\"></div>\
         <p id=\"steps\"></p>\
         <script>const HISTORIES = {data};</script><script>{SCRIPT}</script></body></html>\n"
    )
}

const STYLE: &str = r#"
body { font: 13px system-ui, sans-serif; margin: 16px; color: #222; }
h1 { font-size: 18px; display: inline; margin-right: 24px; }
select { font: inherit; max-width: 70vw; }
#lanes { position: relative; overflow-x: auto; border-top: 1px solid #ccc; }
.lane { position: relative; height: 30px; border-bottom: 1px solid #eee; }
.lane-name { position: absolute; left: 0; width: 80px; top: 7px; color: #666; }
.op { position: absolute; top: 4px; height: 20px; box-sizing: border-box; border: 1px solid #777;
  background: #dde; border-radius: 3px; overflow: hidden; white-space: nowrap; font-size: 11px;
  padding: 2px 3px; cursor: default; }
.op.open { border-style: dashed; border-right: none; }
.op.linearized { background: #cfc; border-color: #4a4; }
.op.blocked { background: #f88; border: 2px solid #c00; font-weight: bold; }
.op.pending { background: #fc8; border-color: #c80; }
.op.dim { opacity: 0.35; }
.op .step { display: inline-block; min-width: 14px; margin-right: 3px; background: #333; color: #fff;
  border-radius: 7px; text-align: center; font-size: 10px; }
#summary.bad { color: #a00; font-weight: bold; }
#legend span { display: inline-block; padding: 1px 6px; margin-right: 8px; border: 1px solid #777; }
#steps { font-family: ui-monospace, monospace; white-space: pre-wrap; }
"#;

const SCRIPT: &str = r##"
(function () {
  const pick = document.getElementById("pick");
  const lanes = document.getElementById("lanes");
  const summary = document.getElementById("summary");
  const steps = document.getElementById("steps");
  const PX = 26, LEFT = 90;
  const choices = [];
  HISTORIES.forEach((h, hi) => h.partitions.forEach((p, pi) => {
    const option = document.createElement("option");
    option.value = choices.length;
    option.textContent = h.name + " / " + (p.key === null ? "(whole history)" : "key " + p.key) +
      " (" + p.status + ")";
    pick.appendChild(option);
    choices.push([hi, pi]);
  }));
  const firstBad = choices.findIndex(([hi, pi]) => HISTORIES[hi].partitions[pi].blocked !== null);
  function label(op) {
    return op[4] + " -> " + (op[5] === null ? "?" : op[5]);
  }
  function describe(op) {
    return "#" + op[0] + " client " + op[1] + ": " + label(op);
  }
  function show(choice) {
    const [hi, pi] = choices[choice];
    const h = HISTORIES[hi], p = h.partitions[pi];
    const times = new Set();
    p.ops.forEach(op => { times.add(op[2]); if (op[3] !== null) times.add(op[3]); });
    const sorted = Array.from(times).sort((a, b) => a - b);
    const rank = new Map(sorted.map((t, i) => [t, i]));
    const end = sorted.length;
    const clients = Array.from(new Set(p.ops.map(op => op[1]))).sort((a, b) => a - b);
    const step = new Map(p.order.map((id, i) => [id, i]));
    const pending = new Set(p.pending);
    const byId = new Map(p.ops.map(op => [op[0], op]));
    lanes.innerHTML = "";
    lanes.style.width = (LEFT + (end + 2) * PX) + "px";
    const bars = [];
    clients.forEach(c => {
      const lane = document.createElement("div");
      lane.className = "lane";
      const name = document.createElement("span");
      name.className = "lane-name";
      name.textContent = "client " + c;
      lane.appendChild(name);
      p.ops.filter(op => op[1] === c).forEach(op => {
        const bar = document.createElement("div");
        const from = rank.get(op[2]), to = op[3] === null ? end + 1 : rank.get(op[3]);
        bar.className = "op" + (op[3] === null ? " open" : "") +
          (op[0] === p.blocked ? " blocked" : pending.has(op[0]) ? " pending" :
           step.has(op[0]) ? " linearized" : "");
        bar.style.left = (LEFT + from * PX) + "px";
        bar.style.width = Math.max(PX, (to - from + 1) * PX - 4) + "px";
        bar.textContent = label(op);
        bar.title = describe(op) + (op[0] === p.blocked ? " (cannot be placed)" : "");
        bar.dataset.id = op[0];
        bar.addEventListener("mouseenter", () => hover(op[0]));
        bar.addEventListener("mouseleave", () => hover(null));
        lane.appendChild(bar);
        bars.push(bar);
      });
      lanes.appendChild(lane);
    });
    function hover(id) {
      const upto = id !== null && step.has(id) ? step.get(id) : -1;
      bars.forEach(bar => {
        const s = step.has(+bar.dataset.id) ? step.get(+bar.dataset.id) : -1;
        const old = bar.querySelector(".step");
        if (old) old.remove();
        bar.classList.toggle("dim", upto >= 0 && (s < 0 || s > upto));
        if (upto >= 0 && s >= 0 && s <= upto) {
          const badge = document.createElement("span");
          badge.className = "step";
          badge.textContent = s + 1;
          bar.prepend(badge);
        }
      });
      if (upto >= 0) {
        steps.textContent = "linearization up to this operation:\n" + p.order.slice(0, upto + 1)
          .map((i, k) => (k + 1) + ". " + (byId.has(i) ? describe(byId.get(i)) : "#" + i)).join("\n");
      } else {
        steps.textContent = baseSteps;
      }
    }
    const shown = p.ops.length < p.total ? " (showing " + p.ops.length + " of " + p.total + " operations)" : "";
    summary.className = p.blocked !== null ? "bad" : "";
    let text = h.name + " (" + h.model + "): " + h.verdict + ". Partition " +
      (p.key === null ? "(whole history)" : JSON.stringify(p.key)) + ": " + p.status + shown + ".";
    let baseSteps = "Hover an operation to see the linearization up to it.";
    if (p.blocked !== null) {
      const blocked = byId.get(p.blocked);
      text += " Longest linearizable prefix: " + p.order.length + " operations (green); state then: " +
        p.state + ". The red operation returned but cannot be placed: " +
        (blocked ? describe(blocked) : "#" + p.blocked) + ". Orange: pending then, and not placeable.";
      baseSteps = "cannot be placed: " + (blocked ? describe(blocked) : "#" + p.blocked);
    }
    summary.textContent = text;
    steps.textContent = baseSteps;
  }
  document.getElementById("legend").innerHTML =
    '<span style="background:#cfc">linearized</span><span style="background:#f88">cannot be placed</span>' +
    '<span style="background:#fc8">pending</span><span style="border-style:dashed">never returned</span>';
  pick.addEventListener("change", () => show(+pick.value));
  if (choices.length > 0) {
    pick.value = firstBad >= 0 ? firstBad : 0;
    show(+pick.value);
  } else {
    summary.textContent = "No history to show.";
  }
  document.body.dataset.ready = "yes";
})();
"##;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checker::{analyze, CheckOptions};
    use crate::models::register::{RegisterInput as RI, RegisterModel, RegisterOutput as RO};

    #[test]
    fn data_marks_the_prefix_the_blocked_and_the_pending_ops() {
        let mut h = History::new();
        h.push_complete(0, 0, 10, RI::Write(1), RO::Ok);
        h.push_complete(1, 20, 30, RI::Read, RO::Value(None));
        let analysis = analyze(&RegisterModel, &h, &CheckOptions::default());
        let data = history_data("h.edn", "register", "NOT linearizable", &h, &analysis);
        let part = &data["partitions"][0];
        assert_eq!(part["status"], "NOT linearizable");
        assert_eq!(part["order"], json!([0]));
        assert_eq!(part["blocked"], json!(1));
        assert_eq!(part["ops"][1], json!([1, 1, 20, 30, "read", "nil"]));
        let page = render_page(&[data]);
        assert!(page.contains("const HISTORIES = [{"));
        assert!(!page.contains("http://") && !page.contains("https://"));
    }

    #[test]
    fn values_cannot_close_the_script() {
        let page = render_page(&[json!({ "name": "</script><b>x" })]);
        assert!(!page.contains("</script><b>"));
    }

    #[test]
    fn long_partitions_show_a_window_around_the_failure() {
        let mut h = History::new();
        for i in 0..(MAX_VIEW_OPS as u64 * 3) {
            h.push_complete(0, i * 10, i * 10 + 5, RI::Write(1), RO::Ok);
        }
        let ops: Vec<usize> = (0..h.len()).collect();
        let shown = window(&ops, &h, Some(4_000));
        assert_eq!(shown.len(), MAX_VIEW_OPS);
        assert_eq!(shown[0], 3_000);
        assert_eq!(window(&ops, &h, None)[0], 0);
    }
}
