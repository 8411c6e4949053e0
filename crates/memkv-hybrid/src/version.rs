//! Versions: the immutable list of layers under the active delta, as published.
//!
//! A version is never changed once published; a writer that freezes the delta, or a
//! compaction that turns layers into a segment, builds a new one and swaps it in.
//! Readers clone the `Arc` of the version current when they start, so a compaction
//! never waits for them; replaced versions go to the graveyard (see `compact`), whose
//! sweeps free their layers once no reader holds them.

use std::ops::Range;

use memkv_core::KeyBounds;

use crate::delta::{Delta, Found};
use crate::filter::KeyHash;
use crate::merge::{Cursor, Source};
use crate::segment::{Part, Segment};
use crate::sync::Arc;

/// One layer under the active delta.
#[derive(Debug)]
pub(crate) enum Layer<V> {
    /// A delta frozen for flushing.
    Delta(Arc<Delta<V>>),
    /// A segment.
    Segment(Arc<Segment<V>>),
}

impl<V> Clone for Layer<V> {
    fn clone(&self) -> Self {
        match self {
            Layer::Delta(d) => Layer::Delta(Arc::clone(d)),
            Layer::Segment(s) => Layer::Segment(Arc::clone(s)),
        }
    }
}

impl<V> Layer<V> {
    /// Whether both are the same layer (not merely equal contents).
    pub(crate) fn same(&self, other: &Layer<V>) -> bool {
        match (self, other) {
            (Layer::Delta(a), Layer::Delta(b)) => Arc::ptr_eq(a, b),
            (Layer::Segment(a), Layer::Segment(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }

    /// The segment, if this layer is one.
    pub(crate) fn segment(&self) -> Option<&Arc<Segment<V>>> {
        match self {
            Layer::Segment(s) => Some(s),
            Layer::Delta(_) => None,
        }
    }
}

impl<V: Clone + 'static> Layer<V> {
    /// Entries, tombstones included.
    pub(crate) fn entry_count(&self) -> usize {
        match self {
            Layer::Delta(d) => d.len(),
            Layer::Segment(s) => s.entry_count(),
        }
    }

    fn prefetch_filter(&self, hash: KeyHash) {
        match self {
            Layer::Delta(d) => d.prefetch_filter(hash),
            Layer::Segment(s) => s.prefetch_filter(hash),
        }
    }

    fn find(&self, key: &[u8], hash: KeyHash) -> Found<V> {
        match self {
            Layer::Delta(d) => d.find_hashed(key, hash),
            Layer::Segment(s) => s.find(key, hash),
        }
    }

    fn memory_usage(&self) -> usize {
        match self {
            Layer::Delta(d) => d.memory_usage(),
            Layer::Segment(s) => s.memory_usage(),
        }
    }

    /// Cursors over this layer's entries within `bounds`, newest first.
    fn cursors(&self, bounds: &KeyBounds, out: &mut Vec<Cursor<V>>) {
        match self {
            Layer::Delta(d) => out.push(Cursor::new(Source::Delta(Arc::clone(d)), bounds.clone())),
            Layer::Segment(s) => {
                out.push(Cursor::new(
                    Source::Segment(Arc::clone(s), Part::Live),
                    bounds.clone(),
                ));
                if s.tombstone_count() > 0 {
                    out.push(Cursor::new(
                        Source::Segment(Arc::clone(s), Part::Tombstones),
                        bounds.clone(),
                    ));
                }
            }
        }
    }
}

/// The layers under the active delta, newest first.
#[derive(Debug)]
pub(crate) struct Version<V> {
    pub(crate) layers: Vec<Layer<V>>,
}

impl<V> Default for Version<V> {
    fn default() -> Self {
        Version { layers: Vec::new() }
    }
}

impl<V> Version<V> {
    /// Whether a frozen delta waits to be flushed.
    pub(crate) fn has_delta(&self) -> bool {
        self.layers.iter().any(|l| matches!(l, Layer::Delta(_)))
    }

    /// The frozen deltas, oldest first.
    pub(crate) fn deltas(&self) -> impl Iterator<Item = &Layer<V>> {
        self.layers
            .iter()
            .rev()
            .filter(|l| matches!(l, Layer::Delta(_)))
    }

    /// The segments, newest first.
    pub(crate) fn segments(&self) -> impl Iterator<Item = &Arc<Segment<V>>> {
        self.layers.iter().filter_map(Layer::segment)
    }

    /// Where the run `inputs` (consecutive layers of some earlier version) sits in
    /// this one; `None` if it is not here whole and in order.
    pub(crate) fn position(&self, inputs: &[Layer<V>]) -> Option<usize> {
        let first = inputs.first()?;
        let at = self.layers.iter().position(|l| l.same(first))?;
        let here = self.layers.get(at..at + inputs.len())?;
        here.iter()
            .zip(inputs)
            .all(|(a, b)| a.same(b))
            .then_some(at)
    }

    /// This version with the run `inputs` replaced by `output` (or just removed).
    pub(crate) fn replacing(
        &self,
        at: usize,
        inputs: usize,
        output: Option<Arc<Segment<V>>>,
    ) -> Version<V> {
        let mut layers = Vec::with_capacity(self.layers.len() + 1 - inputs);
        layers.extend(self.layers[..at].iter().cloned());
        layers.extend(output.map(Layer::Segment));
        layers.extend(self.layers[at + inputs..].iter().cloned());
        Version { layers }
    }
}

impl<V: Clone + 'static> Version<V> {
    /// Starts loading the filter block of `hash` in every layer. A lookup checks
    /// the layers' filters one after another, newest first, each a cache miss;
    /// asked for together beforehand, those misses overlap.
    pub(crate) fn prefetch_filters(&self, hash: KeyHash) {
        for l in &self.layers {
            l.prefetch_filter(hash);
        }
    }

    /// What the newest layer that knows `key` (whose hash is `hash`) says about it.
    pub(crate) fn find(&self, key: &[u8], hash: KeyHash) -> Found<V> {
        self.layers
            .iter()
            .map(|l| l.find(key, hash))
            .find(|f| !matches!(f, Found::Absent))
            .unwrap_or(Found::Absent)
    }

    /// Appends every layer's keys that are prefixes of `key`, with what each
    /// layer holds for them (a value, or `None` for a tombstone), newest layer
    /// first.
    pub(crate) fn prefixes(&self, key: &[u8], out: &mut Vec<(usize, Option<V>)>) {
        for layer in &self.layers {
            match layer {
                Layer::Delta(d) => d.prefixes(key, out),
                Layer::Segment(s) => s.prefixes(key, out),
            }
        }
    }

    /// The value of `key` (whose hash is `hash`), if it is live.
    pub(crate) fn get(&self, key: &[u8], hash: KeyHash) -> Option<V> {
        match self.find(key, hash) {
            Found::Value(v) => Some(v),
            Found::Deleted | Found::Absent => None,
        }
    }

    /// Cursors over `layers` within `bounds`, newest first.
    pub(crate) fn cursors_of(layers: &[Layer<V>], bounds: &KeyBounds) -> Vec<Cursor<V>> {
        let mut out = Vec::new();
        for l in layers {
            l.cursors(bounds, &mut out);
        }
        out
    }

    /// Cursors over all layers within `bounds`, newest first.
    pub(crate) fn cursors(&self, bounds: &KeyBounds) -> Vec<Cursor<V>> {
        Version::cursors_of(&self.layers, bounds)
    }

    /// The merge policy: the newest run of at least `width` consecutive segments of
    /// one level, to be merged into one segment of the next level.
    ///
    /// Flushed deltas start at level 0, so segments of level `l` hold about
    /// `width^l` flushes and there are fewer than `width` of each level once the
    /// merges have run: the number of segments stays logarithmic in the number of
    /// keys, and each entry is rewritten once per level.
    pub(crate) fn plan(&self, width: usize) -> Option<Range<usize>> {
        let mut i = 0;
        while i < self.layers.len() {
            let Some(level) = self.layers[i].segment().map(|s| s.level()) else {
                i += 1;
                continue;
            };
            let mut j = i + 1;
            while self
                .layers
                .get(j)
                .and_then(Layer::segment)
                .is_some_and(|s| s.level() == level)
            {
                j += 1;
            }
            if j - i >= width.max(2) {
                return Some(i..j);
            }
            i = j;
        }
        None
    }

    /// Heap bytes of all layers.
    pub(crate) fn memory_usage(&self) -> usize {
        self.layers.iter().map(Layer::memory_usage).sum()
    }
}
