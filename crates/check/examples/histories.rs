//! Generates large histories from a seed, by a simulated atomic object, and times the
//! checker on them (release build):
//!
//! ```text
//! cargo run --release -p faultline-check --example histories -- gen sequential 1 seq.json
//! cargo run --release -p faultline-check --example histories -- gen concurrent 1 conc.json
//! cargo run --release -p faultline-check --example histories -- gen register-info 1 reg.json
//! /usr/bin/time -v target/release/examples/histories check seq.json
//! ```
//!
//! - `sequential`: 10^6 kv operations on one key, one at a time (puts, appends, gets).
//! - `concurrent`: 10^5 kv operations over 10 keys from 20 clients, 5% indeterminate
//!   (half of those took effect).
//! - `register-info`: 81 register operations from 5 clients, 40 of the writes and
//!   cas indeterminate, values 0..5.
//!
//! Every operation takes effect at a linearization point inside its interval, so the
//! histories are linearizable; `check` loads a file, checks it and prints the verdict
//! and the time taken (load and check separately).

use std::time::Instant;

use faultline_check::formats::{
    json::to_json, load_history, AnyHistory, DEFAULT_MAX_HISTORY_BYTES,
};
use faultline_check::{
    CheckOptions, History, KvInput, KvModel, KvOutput, Model, RegisterInput, RegisterModel,
    RegisterOutput,
};

/// SplitMix64: a seeded stream, enough for test data.
struct Stream(u64);

impl Stream {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Shape of a generated history.
struct Shape {
    ops: usize,
    clients: u64,
    /// Per mille of operations left indeterminate.
    indeterminate_permille: u64,
}

/// Times of operation `k`: linearization points 100 apart; a client's consecutive
/// operations never overlap because there are at most 20 clients and intervals reach
/// at most 40 either side.
fn interval(rng: &mut Stream, k: usize) -> (u64, u64, u64) {
    let point = 1_000 + k as u64 * 100;
    (point - rng.below(40), point, point + 1 + rng.below(40))
}

fn kv_history(seed: u64, shape: &Shape, keys: u64) -> History<KvInput, KvOutput> {
    let mut rng = Stream(seed);
    let mut state = KvModel.init();
    let mut h = History::new();
    for k in 0..shape.ops {
        let key = format!("k{}", rng.below(keys));
        let input = match rng.below(10) {
            0..=4 => KvInput::Get { key },
            5..=7 => KvInput::Put {
                key,
                value: format!("v{k}"),
            },
            _ => KvInput::Append {
                key,
                value: format!(",{k}"),
            },
        };
        let (invoke, _, complete) = interval(&mut rng, k);
        let client = k as u64 % shape.clients;
        if rng.below(1000) < shape.indeterminate_permille {
            if rng.below(2) == 0 {
                state = KvModel.step(&state, &input, None).expect("total");
            }
            h.push_indeterminate(client, invoke, input);
            continue;
        }
        let output = match &input {
            KvInput::Get { key } => KvOutput::Value(state.get(key)),
            _ => KvOutput::Ok,
        };
        state = KvModel.step(&state, &input, Some(&output)).expect("valid");
        h.push_complete(client, invoke, complete, input, output);
    }
    h
}

fn register_history(seed: u64) -> History<RegisterInput, RegisterOutput> {
    let mut rng = Stream(seed);
    let mut state = RegisterModel.init();
    let mut h = History::new();
    let mut info = 0;
    for k in 0..81 {
        let input = match rng.below(5) {
            0 | 1 => RegisterInput::Read,
            2 | 3 => RegisterInput::Write(rng.below(5) as i64),
            _ => RegisterInput::Cas {
                expected: rng.below(5) as i64,
                new: rng.below(5) as i64,
            },
        };
        let (invoke, _, complete) = interval(&mut rng, k);
        let client = k as u64 % 5;
        if input != RegisterInput::Read && info < 40 {
            info += 1;
            if rng.below(2) == 0 {
                state = RegisterModel.step(&state, &input, None).expect("total");
            }
            h.push_indeterminate(client + 100 * info, invoke, input);
            continue;
        }
        let output = match &input {
            RegisterInput::Read => RegisterOutput::Value(state),
            RegisterInput::Write(_) => RegisterOutput::Ok,
            RegisterInput::Cas { expected, .. } => RegisterOutput::Cas(state == Some(*expected)),
        };
        state = RegisterModel
            .step(&state, &input, Some(&output))
            .expect("valid");
        h.push_complete(client, invoke, complete, input, output);
    }
    h
}

fn generate(kind: &str, seed: u64) -> AnyHistory {
    match kind {
        "sequential" => AnyHistory::Kv(kv_history(
            seed,
            &Shape {
                ops: 1_000_000,
                clients: 1,
                indeterminate_permille: 0,
            },
            1,
        )),
        "concurrent" => AnyHistory::Kv(kv_history(
            seed,
            &Shape {
                ops: 100_000,
                clients: 20,
                indeterminate_permille: 50,
            },
            10,
        )),
        "register-info" => AnyHistory::Register(register_history(seed)),
        other => panic!("unknown kind {other:?}: sequential, concurrent or register-info"),
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["gen", kind, seed, out] => {
            let seed = seed.parse().expect("seed is a number");
            let history = generate(kind, seed);
            std::fs::write(out, to_json(&history)).expect("output writable");
            println!(
                "{out}: {} ops, {} indeterminate",
                history.len(),
                history.indeterminate()
            );
        }
        ["check", file] => {
            let started = Instant::now();
            let history = load_history(
                std::path::Path::new(file),
                None,
                None,
                DEFAULT_MAX_HISTORY_BYTES,
            )
            .unwrap_or_else(|e| panic!("{e}"));
            let loaded = started.elapsed();
            let verdict = history.check(&CheckOptions::default());
            println!(
                "{file}: {verdict} ({} ops, {} indeterminate; load {:.2} s, check {:.2} s)",
                history.len(),
                history.indeterminate(),
                loaded.as_secs_f64(),
                (started.elapsed() - loaded).as_secs_f64()
            );
        }
        _ => panic!("usage: histories gen KIND SEED OUT | histories check FILE"),
    }
}
