//! Heap plus inline bytes per static-view node, empty and holding one replicated key: the figure
//! behind the 10^6-node push-pull budget. Counts allocations with a wrapping global allocator.
//! Run: `cargo run --release -p faultline-gossip --example footprint`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use faultline_gossip::{Body, Config, GossipNode, Membership, Message};
use rand_chacha::ChaCha8Rng;
use rand_core::SeedableRng;

struct Counting;

static BYTES: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards every call unchanged to the system allocator and only counts sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        BYTES.fetch_add(layout.size(), Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        BYTES.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn main() {
    let n = 10_000u64;
    let view = Membership::Static { nodes: 1_000_000 };
    let make = |i: u64| {
        GossipNode::new(
            i,
            Config::default(),
            view.clone(),
            None,
            ChaCha8Rng::seed_from_u64(i),
        )
    };
    let before = BYTES.load(Ordering::Relaxed);
    let mut nodes: Vec<GossipNode> = (0..n).map(|i| make(i).expect("valid config")).collect();
    let empty = BYTES.load(Ordering::Relaxed) - before;

    let mut writer = make(n).expect("valid config");
    writer.put(0, "key", b"value".to_vec()).expect("put");
    let store = writer.store();
    for node in &mut nodes {
        let body = Body::full_state(store);
        node.handle_message(
            0,
            n,
            Message {
                body,
                members: Vec::new(),
            },
        )
        .expect("valid message");
        node.take_events();
    }
    let full = BYTES.load(Ordering::Relaxed) - before;
    let per = |bytes: usize| bytes as f64 / n as f64;
    println!(
        "bytes per node: {:.0} empty, {:.0} holding one key",
        per(empty),
        per(full)
    );
    println!(
        "=> {:.2} GiB for 10^6 nodes holding one key",
        per(full) * 1e6 / f64::from(1u32 << 30)
    );
}
