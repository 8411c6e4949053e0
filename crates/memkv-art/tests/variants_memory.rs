//! `memory_usage()` of the boxed variants against the bytes actually requested from
//! the allocator. A test binary of its own, with one test, so that no other test
//! allocates while it counts.

use memkv_art::{AdaptiveRadixTree, CompactArt, UltraCompactArt};

/// A global allocator that counts live bytes: the only unsafe code here.
#[allow(unsafe_code)]
mod counting {
    use std::alloc::{GlobalAlloc, Layout, System};
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// The system allocator, counting the bytes currently allocated.
    pub struct Counting;

    static LIVE: AtomicUsize = AtomicUsize::new(0);

    /// Bytes currently allocated through [`Counting`].
    pub fn live() -> usize {
        LIVE.load(Ordering::Relaxed)
    }

    // SAFETY: every method forwards to `System` with the caller's arguments, so the
    // `GlobalAlloc` contract is `System`'s; the counter has no effect on the memory.
    unsafe impl GlobalAlloc for Counting {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            LIVE.fetch_add(layout.size(), Ordering::Relaxed);
            // SAFETY: the caller upholds `alloc`'s contract, which `System` shares.
            unsafe { System.alloc(layout) }
        }
        unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
            LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
            // SAFETY: `ptr` was allocated by `System` with `layout` (see `alloc`).
            unsafe { System.dealloc(ptr, layout) }
        }
    }
}

#[global_allocator]
static GLOBAL: counting::Counting = counting::Counting;

fn keys() -> Vec<Vec<u8>> {
    let n = if cfg!(miri) { 150 } else { 5_000 };
    let mut keys: Vec<Vec<u8>> = (0..n)
        .map(|i: u32| {
            let h = i.wrapping_mul(2_654_435_761);
            match i % 4 {
                0 => format!(
                    "/usr/lib/python3/dist-packages/pkg{}/mod{}.py",
                    h % 97,
                    h % 1013
                ),
                1 => format!("/usr/share/doc/{}", h % 5000),
                2 => vec![b'k'; (h % 40) as usize]
                    .into_iter()
                    .chain([0u8, (h >> 8) as u8])
                    .map(char::from)
                    .collect(),
                _ => format!("{h:x}"),
            }
            .into_bytes()
        })
        .collect();
    keys.push(Vec::new());
    keys.push(vec![0xFF; 300]);
    keys
}

/// Builds a map, removes every third key, and compares the allocator's count with
/// `memory_usage()` at both points.
macro_rules! check {
    ($map:ty, $keys:expr) => {{
        let before = counting::live();
        let mut map = <$map>::new();
        for (i, k) in $keys.iter().enumerate() {
            map.insert(k, i as u64);
        }
        let counted = counting::live() - before;
        assert_eq!(
            map.memory_usage(),
            counted,
            "{} after inserts",
            stringify!($map)
        );
        for k in $keys.iter().step_by(3) {
            map.remove(k);
        }
        let counted = counting::live() - before;
        assert_eq!(
            map.memory_usage(),
            counted,
            "{} after removes",
            stringify!($map)
        );
        drop(map);
        assert_eq!(counting::live(), before, "{} leaks", stringify!($map));
    }};
}

#[test]
fn memory_usage_is_the_requested_heap_bytes() {
    let keys = keys();
    check!(AdaptiveRadixTree<u64>, keys);
    check!(CompactArt<u64>, keys);
    check!(UltraCompactArt<u64>, keys);
}
