//! Tuning knobs of a [`HybridStore`](crate::HybridStore).

/// How a [`HybridStore`](crate::HybridStore) decides when and how to compact.
///
/// ```
/// use memkv_hybrid::{HybridConfig, HybridStore};
/// let store: HybridStore<u64> =
///     HybridStore::with_config(HybridConfig::default().flush_threshold(1 << 20));
/// store.insert(b"k", 1);
/// assert_eq!(store.get(b"k"), Some(1));
/// ```
#[derive(Clone, Debug)]
pub struct HybridConfig {
    pub(crate) flush_threshold: usize,
    pub(crate) stall_factor: usize,
    pub(crate) merge_ratio: f64,
    pub(crate) background: bool,
    pub(crate) run_entries: usize,
}

impl Default for HybridConfig {
    /// A 4 MiB delta, writers held back at 2× that while a frozen delta waits,
    /// merges of 4 segments, background compaction.
    fn default() -> Self {
        HybridConfig {
            flush_threshold: 4 << 20,
            stall_factor: 2,
            merge_ratio: 4.0,
            background: true,
            run_entries: 1 << 18,
        }
    }
}

impl HybridConfig {
    /// Flushes the delta into a segment once it holds this many bytes (as the delta
    /// map's `memory_usage` counts them). Smaller means less memory and more merging.
    pub fn flush_threshold(mut self, bytes: usize) -> HybridConfig {
        self.flush_threshold = bytes.max(1);
        self
    }

    /// While a frozen delta waits to be flushed, writers wait once the new delta
    /// reaches `factor` times the flush threshold, so slow flushes cannot let the
    /// deltas grow without bound. Readers never wait. (Flushes go before merges: a
    /// long merge pauses between runs to flush a frozen delta, so writers do not wait
    /// for merges.)
    pub fn stall_factor(mut self, factor: usize) -> HybridConfig {
        self.stall_factor = factor.max(1);
        self
    }

    /// The merge fan-in: each flush becomes a segment of level 0, and once `ratio`
    /// (rounded down, at least 2) consecutive segments share a level, they are merged
    /// into one segment of the next level. Each level's segments are then about
    /// `ratio` times larger than the level below, there are fewer than `ratio` per
    /// level, so about (ratio − 1) × log<sub>ratio</sub>(keys / flush size) segments
    /// in all, and each entry is rewritten once per level. A larger ratio means less
    /// rewriting and more segments for lookups to ask. Values below 2 are replaced
    /// by the default.
    pub fn merge_ratio(mut self, ratio: f64) -> HybridConfig {
        self.merge_ratio = if ratio.is_finite() && ratio >= 2.0 {
            ratio
        } else {
            HybridConfig::default().merge_ratio
        };
        self
    }

    /// Whether flushes run on a background thread (the default) or inline, in the
    /// writer that crosses the threshold.
    pub fn background(mut self, background: bool) -> HybridConfig {
        self.background = background;
        self
    }

    /// The most entries in one run of a segment (default 262144; a run is also cut
    /// when its layer reaches 1 MiB, which usually comes first). Segments are built
    /// run by run, so this bounds the memory a build needs beside its result; it is
    /// exposed for tests, which use tiny runs to cross run boundaries often.
    #[doc(hidden)]
    pub fn run_entries(mut self, entries: usize) -> HybridConfig {
        self.run_entries = entries.max(1);
        self
    }
}

impl HybridConfig {
    /// How many segments of one level a merge takes.
    pub(crate) fn merge_width(&self) -> usize {
        // `merge_ratio` is finite and at least 2; the cast saturates anyway.
        (self.merge_ratio as usize).max(2)
    }
}
