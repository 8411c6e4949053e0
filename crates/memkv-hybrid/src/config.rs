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
}

impl Default for HybridConfig {
    /// A 4 MiB delta, writers held back at 4× that, merge ratio 1.5, background
    /// compaction.
    fn default() -> Self {
        HybridConfig {
            flush_threshold: 4 << 20,
            stall_factor: 4,
            merge_ratio: 1.5,
            background: true,
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

    /// While a compaction runs, writers wait once the delta reaches `factor` times the
    /// flush threshold, so a slow merge cannot let the delta grow without bound.
    /// Readers never wait.
    pub fn stall_factor(mut self, factor: usize) -> HybridConfig {
        self.stall_factor = factor.max(1);
        self
    }

    /// A flush merges the new segment with each next older segment whose size is at
    /// most `ratio` times everything merged so far. Each segment is then more than
    /// `ratio` times larger than the next newer one, so with a ratio above 1 there are
    /// at most about log<sub>ratio</sub>(keys / flush size) segments; a larger ratio
    /// means fewer segments and more rewriting. Values of 1 or less are replaced by
    /// the default.
    pub fn merge_ratio(mut self, ratio: f64) -> HybridConfig {
        self.merge_ratio = if ratio.is_finite() && ratio > 1.0 {
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
}
