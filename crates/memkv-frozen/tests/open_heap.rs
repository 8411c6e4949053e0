//! `FrozenLayer::open` keeps almost nothing on the heap, whatever the file size:
//! the layer is served from the memory map. While it checks the FST's structure it
//! briefly holds the transition targets not yet matched with a node, a small
//! fraction of the file (about 1% on real key sets). Its own test binary, so that
//! the counting allocator sees no other test's allocations.

use std::sync::atomic::Ordering;

use memkv_frozen::FrozenLayer;

/// The counting allocator: the only unsafe code of these tests.
#[allow(unsafe_code)]
mod counting {
    use std::alloc::{GlobalAlloc, Layout, System};
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Counts bytes allocated (never decremented): an upper bound on live heap.
    pub struct Counting;

    pub static ALLOCATED: AtomicUsize = AtomicUsize::new(0);

    // SAFETY: defers every call to `System`, only adding a counter update.
    unsafe impl GlobalAlloc for Counting {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            ALLOCATED.fetch_add(layout.size(), Ordering::Relaxed);
            // SAFETY: the caller upholds `GlobalAlloc::alloc`'s contract, passed on as is.
            unsafe { System.alloc(layout) }
        }

        unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
            // SAFETY: `ptr` was allocated by `System` with `layout` (see `alloc`).
            unsafe { System.dealloc(ptr, layout) }
        }
    }
}

use counting::{Counting, ALLOCATED};

#[global_allocator]
static GLOBAL: Counting = Counting;

#[test]
fn open_allocates_a_small_fraction_of_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.frz");
    // Keys with little shared structure, so the file is large.
    let key = |i: u64| {
        format!(
            "{:016x}",
            i.wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(29)
        )
    };
    let keys = (0..200_000u64).map(|i| (key(i), i * 31 % 200_000));
    FrozenLayer::from_unsorted(keys, &Default::default())
        .unwrap()
        .write_to(&path)
        .unwrap();
    let size = std::fs::metadata(&path).unwrap().len();
    assert!(size > 1 << 20, "the file is large ({size} bytes)");

    let before = ALLOCATED.load(Ordering::Relaxed);
    let layer = FrozenLayer::open(&path).unwrap();
    let allocated = ALLOCATED.load(Ordering::Relaxed) - before;

    eprintln!("open allocated {allocated} bytes for a {size}-byte file");
    // Counted without frees: every growth step of the pending set adds up.
    assert!(
        allocated < (size as usize / 16).max(64 << 10),
        "open allocated {allocated} bytes"
    );
    assert!(layer.memory_usage() < 1024);
    assert_eq!(layer.mapped_bytes() as u64, size);
    assert_eq!(layer.get(key(10)), Some(310));
}
