//! A hint to the CPU to start loading a cache line that will be read soon.
//!
//! A radix tree built from shuffled inserts scatters a run of neighbouring keys
//! across its arenas, so an ordered scan waits on one cache miss after another
//! (measured on 1M URLs: 13 M entries/s when inserted in order, 1.8 M/s shuffled).
//! Asking for the lines of the next few entries before they are needed lets those
//! misses overlap.

/// Starts loading the cache line holding `ptr`. It never faults and never reads
/// for the program: any address, even dangling, is fine.
#[inline(always)]
pub fn prefetch<T>(ptr: *const T) {
    #[cfg(all(target_arch = "x86_64", target_feature = "sse", not(miri)))]
    // SAFETY: `_mm_prefetch` needs SSE, which this `cfg` guarantees is enabled
    // for the whole build. A prefetch is only a hint: it does not dereference the
    // pointer in the abstract machine and cannot fault, whatever the address.
    unsafe {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        _mm_prefetch::<_MM_HINT_T0>(ptr.cast::<i8>());
    }
    #[cfg(not(all(target_arch = "x86_64", target_feature = "sse", not(miri))))]
    let _ = ptr;
}
