//! Transparent huge pages for the large arrays of a large simulation: the node slots, their
//! `NodeMeta`, and the event queue's slab.
//!
//! At 10^6 gossip nodes each event reads a random node's slot in a ~500 MB array and a slab
//! slot in a ~40 MB one: with 4 KiB pages nearly every such read misses the TLB, and in a
//! virtual machine the page walk that follows is itself several cache misses (BENCHMARKS.md,
//! "Push-pull at 10^6 nodes"). Where the kernel gives huge pages only to memory that asks
//! (`madvise` mode, a common default), the arrays ask for them. Advice changes where pages come from, never a value: no outcome or
//! trace hash depends on it. Elsewhere than Linux it is a no-op.

/// Below this many bytes an array's pages stay in the TLB's reach; no advice is given.
const ADVISE_FROM: usize = 16 << 20;

/// Size of a huge page on x86_64 and aarch64 Linux.
const HUGE: usize = 2 << 20;

/// Asks the operating system to back the contents and spare capacity of `items` with huge
/// pages, if they span at least [`ADVISE_FROM`] bytes. Best before the pages are first
/// written: pages already in use stay as they are.
pub(crate) fn advise<T>(items: &Vec<T>) {
    let bytes = items.capacity() * std::mem::size_of::<T>();
    if let Some((address, length)) = whole_huge_pages(items.as_ptr() as usize, bytes) {
        advise_range(address, length);
    }
}

/// The whole huge pages inside `bytes` bytes from `start`, as (address, length), if the range
/// is large enough to advise and holds any.
fn whole_huge_pages(start: usize, bytes: usize) -> Option<(usize, usize)> {
    if bytes < ADVISE_FROM {
        return None;
    }
    let first = start.next_multiple_of(HUGE);
    let end = (start + bytes) / HUGE * HUGE;
    (end > first).then(|| (first, end - first))
}

#[cfg(target_os = "linux")]
fn advise_range(address: usize, length: usize) {
    // SAFETY: the range lies inside the vector's own allocation, and `MADV_HUGEPAGE` changes
    // only how its pages are backed, not their contents; a refusal (no THP support) is harmless.
    unsafe {
        libc::madvise(address as *mut libc::c_void, length, libc::MADV_HUGEPAGE);
    }
}

#[cfg(not(target_os = "linux"))]
fn advise_range(_address: usize, _length: usize) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_whole_huge_pages_inside_the_array_are_advised() {
        // An mmap'd allocation starts 16 bytes into a page: the first partial huge page and the
        // last are left out.
        let start = 7 * HUGE + 16;
        let bytes = 10 * HUGE;
        assert_eq!(whole_huge_pages(start, bytes), Some((8 * HUGE, 9 * HUGE)));
        let (address, length) = whole_huge_pages(start, 496_000_000).unwrap();
        assert!(address >= start && address + length <= start + 496_000_000);
        assert_eq!(address % HUGE, 0);
        assert_eq!(length % HUGE, 0);
    }

    #[test]
    fn small_arrays_are_left_alone() {
        assert_eq!(whole_huge_pages(0, ADVISE_FROM - 1), None);
        assert_eq!(whole_huge_pages(0, ADVISE_FROM), Some((0, ADVISE_FROM)));
    }
}
