//! Software prefetch: a hint to the CPU to start loading memory that the next event will read.
//!
//! At 10^6 nodes each event touches a random node whose slot and liveness entry are cache misses
//! (BENCHMARKS.md, "Push-pull at 10^6 nodes"). The queue knows the next event before the current
//! one runs, so its node's memory can be on its way while the current event is handled. A
//! prefetch never faults and changes no value: it only moves cache lines, so no outcome or trace
//! hash depends on it. On other architectures it is a no-op.

/// Below this many nodes the nodes' memory stays in the cache (4,096 gossip slots are ~2 MB):
/// the kernel gives no hints, which would only cost instructions (3.5% of the Raft swarm's).
pub(crate) const PREFETCH_FROM: usize = 4096;

/// Size of a cache line on the machines this targets.
const LINE: usize = 64;

/// Asks for every cache line of `*item` to be loaded into the cache.
#[inline(always)]
pub(crate) fn prefetch<T>(item: &T) {
    let start = std::ptr::from_ref(item).cast::<u8>();
    let end = start.wrapping_add(std::mem::size_of::<T>());
    let mut line = start.wrapping_sub(start as usize % LINE);
    while line < end {
        prefetch_line(line);
        line = line.wrapping_add(LINE);
    }
}

#[inline(always)]
fn prefetch_line(address: *const u8) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch is a hint; it never faults and reads nothing the program observes, so
    // any address is sound. SSE is part of the x86_64 baseline.
    unsafe {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        _mm_prefetch::<_MM_HINT_T0>(address.cast::<i8>());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = address;
}
