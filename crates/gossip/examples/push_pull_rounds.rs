//! Measures push-pull anti-entropy rounds to full dissemination of one update, against
//! log3(n) + ln(ln(n)) (Karp et al.): with synchronous rounds (`stagger: false`, counted as the
//! index of the round in which the last node is informed) and with staggered rounds (elapsed time
//! over the interval). A minimal event loop, not the faultline simulator. Run: `cargo run --release -p faultline-gossip --example push_pull_rounds`.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use faultline_gossip::{Config, Event, Exchange, GossipNode, Membership, Message, Mode};
use rand_chacha::ChaCha8Rng;
use rand_core::SeedableRng;

const INTERVAL: u64 = 1_000_000_000;
const LATENCY: u64 = 1_000_000;

/// Rounds until every node holds the update written at node 0 half-way through round 0.
fn rounds(n: u64, seed: u64, stagger: bool) -> f64 {
    let cfg = Config {
        mode: Mode::AntiEntropy(Exchange::PushPull),
        interval: INTERVAL,
        stagger,
        ..Config::default()
    };
    let mut nodes: Vec<GossipNode> = (0..n)
        .map(|i| {
            let rng = ChaCha8Rng::seed_from_u64(seed.wrapping_mul(1_000_003) ^ i);
            GossipNode::new(i, cfg, Membership::Static { nodes: n }, None, rng)
                .expect("valid config")
        })
        .collect();
    // (time, sequence, node, message slot or none for a timer)
    let mut queue: BinaryHeap<Reverse<(u64, u64, u64, usize)>> = BinaryHeap::new();
    let mut slots: Vec<Option<(u64, Message)>> = Vec::new();
    let mut seq = 0;
    for (i, node) in nodes.iter().enumerate() {
        seq += 1;
        queue.push(Reverse((
            node.poll_timeout().unwrap(),
            seq,
            i as u64,
            usize::MAX,
        )));
    }
    let written_at = INTERVAL / 2;
    let mut have = 0;
    let mut written = false;
    while let Some(Reverse((t, _, id, slot))) = queue.pop() {
        if !written && t >= written_at {
            nodes[0]
                .put(written_at, "update", b"v".to_vec())
                .expect("put");
            written = true;
            have = 1;
            nodes[0].take_events();
        }
        let node = &mut nodes[id as usize];
        if slot == usize::MAX {
            if node.poll_timeout() != Some(t) {
                continue;
            }
            node.handle_timeout(t);
            seq += 1;
            queue.push(Reverse((node.poll_timeout().unwrap(), seq, id, usize::MAX)));
        } else {
            let (from, msg) = slots[slot].take().expect("delivered once");
            node.handle_message(t, from, msg).expect("valid message");
        }
        have += node
            .take_events()
            .iter()
            .filter(|e| matches!(e, Event::Applied { .. }))
            .count() as u64;
        if have == n {
            let elapsed = (t - written_at) as f64 / INTERVAL as f64;
            return if stagger { elapsed } else { elapsed.ceil() };
        }
        for (to, msg) in node.take_outputs() {
            slots.push(Some((id, msg)));
            seq += 1;
            queue.push(Reverse((t + LATENCY, seq, to, slots.len() - 1)));
        }
    }
    unreachable!("the update reaches everyone")
}

fn main() {
    for stagger in [false, true] {
        for (n, runs) in [(1_000u64, 200u64), (10_000, 50)] {
            let measured: Vec<f64> = (0..runs).map(|s| rounds(n, s, stagger)).collect();
            let mean = measured.iter().sum::<f64>() / runs as f64;
            let (min, max) = measured
                .iter()
                .fold((f64::MAX, 0f64), |(a, b), x| (a.min(*x), b.max(*x)));
            let nf = n as f64;
            let predicted = nf.ln() / 3f64.ln() + nf.ln().ln();
            let kind = if stagger { "staggered" } else { "synchronous" };
            println!(
                "{kind} n = {n}: mean {mean:.2} rounds over {runs} runs (min {min:.2}, max {max:.2}), \
                 log3(n) + ln(ln(n)) = {predicted:.2}, ratio {:.3}",
                mean / predicted
            );
        }
    }
}
