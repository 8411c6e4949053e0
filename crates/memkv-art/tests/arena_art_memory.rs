//! `ArenaArt::memory_usage` against the allocator's own count.
//!
//! This binary installs a counting global allocator (its own test binary, so no
//! other test's allocations interfere) and checks that the map's figure equals the
//! bytes it really holds, exactly.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use memkv_art::ArenaArt;

thread_local! {
    /// Net bytes allocated by this thread (other test-harness threads do not count).
    static NET: Cell<isize> = const { Cell::new(0) };
}

#[allow(unsafe_code)]
mod counting {
    use super::*;

    /// Forwards to `System`, adding each allocation's size to `NET`.
    pub struct Counting;

    fn add(delta: isize) {
        // `try_with`: thread-local storage may be gone while a thread shuts down.
        let _ = NET.try_with(|n| n.set(n.get() + delta));
    }

    // SAFETY: every method forwards to `System` with the caller's arguments
    // unchanged, so `System`'s guarantees carry over; the counter has no effect on
    // the memory returned.
    unsafe impl GlobalAlloc for Counting {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            add(layout.size() as isize);
            // SAFETY: forwarded with the caller's layout (the caller's contract).
            unsafe { System.alloc(layout) }
        }
        unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
            add(-(layout.size() as isize));
            // SAFETY: `ptr` came from `alloc`/`realloc` above with this layout.
            unsafe { System.dealloc(ptr, layout) }
        }
        unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
            add(new_size as isize - layout.size() as isize);
            // SAFETY: forwarded with the caller's arguments (the caller's contract).
            unsafe { System.realloc(ptr, layout, new_size) }
        }
    }
}

#[global_allocator]
static ALLOC: counting::Counting = counting::Counting;

fn net() -> isize {
    NET.with(Cell::get)
}

#[test]
fn memory_usage_is_exact() {
    let n = if cfg!(miri) { 300 } else { 50_000 };
    let keys: Vec<Vec<u8>> = (0..n)
        .map(|i: u64| {
            format!(
                "/usr/share/doc/pkg{}/file{}.txt",
                i % 97,
                i.wrapping_mul(0x9E37_79B9) % 100_000
            )
            .into_bytes()
        })
        .collect();
    let before = net();
    let mut kv = ArenaArt::new();
    for (i, k) in keys.iter().enumerate() {
        kv.insert(k, i as u64);
    }
    assert_eq!(
        (net() - before) as usize,
        kv.memory_usage(),
        "after inserts"
    );
    for k in keys.iter().step_by(2) {
        kv.remove(k);
    }
    assert_eq!(
        (net() - before) as usize,
        kv.memory_usage(),
        "after removes"
    );
    let full = kv.memory_usage();
    kv.compact();
    assert_eq!(
        (net() - before) as usize,
        kv.memory_usage(),
        "after compact"
    );
    assert!(kv.memory_usage() < full);
    drop(kv);
    assert_eq!(net(), before, "everything is freed on drop");
}
