//! `HybridStore::settle` leaves the store holding only what `memory_usage`
//! counts: no merge buffers, frozen deltas or replaced layers beside it.
//!
//! This binary installs a counting global allocator (its own test binary, with
//! one test, so nothing else allocates meanwhile) that counts every thread's
//! allocations, the background thread's included.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};

use memkv_hybrid::{HybridConfig, HybridStore};

/// Net bytes allocated by the whole process.
static NET: AtomicIsize = AtomicIsize::new(0);

#[allow(unsafe_code)]
mod counting {
    use super::*;

    /// Forwards to `System`, adding each allocation's size to `NET`.
    pub struct Counting;

    // SAFETY: every method forwards to `System` with the caller's arguments
    // unchanged, so `System`'s guarantees carry over; the counter has no effect on
    // the memory returned.
    unsafe impl GlobalAlloc for Counting {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            NET.fetch_add(layout.size() as isize, Ordering::Relaxed);
            // SAFETY: forwarded with the caller's layout (the caller's contract).
            unsafe { System.alloc(layout) }
        }
        unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
            NET.fetch_sub(layout.size() as isize, Ordering::Relaxed);
            // SAFETY: `ptr` came from `alloc`/`realloc` above with this layout.
            unsafe { System.dealloc(ptr, layout) }
        }
        unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
            NET.fetch_add(
                new_size as isize - layout.size() as isize,
                Ordering::Relaxed,
            );
            // SAFETY: forwarded with the caller's arguments (the caller's contract).
            unsafe { System.realloc(ptr, layout, new_size) }
        }
    }
}

#[global_allocator]
static ALLOC: counting::Counting = counting::Counting;

#[test]
fn after_settle_memory_usage_is_what_the_store_holds() {
    let n = 200_000u64;
    let before = NET.load(Ordering::SeqCst);
    // Small deltas: many flushes and merges, the last ones still running when
    // the inserts end.
    let store: HybridStore<u64> =
        HybridStore::with_config(HybridConfig::default().flush_threshold(256 << 10));
    for i in 0..n {
        let key = format!(
            "/usr/share/doc/pkg{}/file{}.txt",
            i % 97,
            i.wrapping_mul(0x9E37_79B9) % 1_000_000
        );
        store.insert(key, i);
    }
    store.settle().unwrap();
    let held = (NET.load(Ordering::SeqCst) - before) as f64;
    let reported = store.memory_usage() as f64;
    assert_eq!(store.stats().frozen_deltas, 0);
    let off = (reported - held) / held;
    assert!(
        off.abs() < 0.05,
        "memory_usage {reported} B against {held} B allocated ({:+.1}%)",
        off * 100.0
    );
}
