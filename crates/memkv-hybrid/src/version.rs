//! Versions: the immutable set of layers under the active delta, as published.
//!
//! A version is never changed once published; a compaction builds a new one and
//! swaps it in. Readers clone the `Arc` of the version current when they start, so a
//! compaction never waits for them, and the layers it replaced are freed when the
//! last reader holding them lets go.

use memkv_core::KeyBounds;

use crate::delta::{Delta, Found};
use crate::merge::{Cursor, Layer};
use crate::segment::{Part, Segment};
use crate::sync::Arc;

/// The layers under the active delta, newest first.
#[derive(Debug)]
pub(crate) struct Version<V> {
    /// Deltas frozen for flushing, newest first; a compaction is turning them into a
    /// segment.
    pub(crate) frozen: Vec<Arc<Delta<V>>>,
    /// Segments, newest first.
    pub(crate) segments: Vec<Arc<Segment<V>>>,
}

impl<V> Default for Version<V> {
    fn default() -> Self {
        Version {
            frozen: Vec::new(),
            segments: Vec::new(),
        }
    }
}

impl<V> Clone for Version<V> {
    fn clone(&self) -> Self {
        Version {
            frozen: self.frozen.clone(),
            segments: self.segments.clone(),
        }
    }
}

impl<V: Clone + 'static> Version<V> {
    /// What the newest layer that knows `key` says about it.
    pub(crate) fn find(&self, key: &[u8]) -> Found<V> {
        let frozen = self.frozen.iter().map(|d| d.find(key));
        let segments = self.segments.iter().map(|s| s.find(key));
        frozen
            .chain(segments)
            .find(|f| !matches!(f, Found::Absent))
            .unwrap_or(Found::Absent)
    }

    /// The value of `key`, if it is live.
    pub(crate) fn get(&self, key: &[u8]) -> Option<V> {
        match self.find(key) {
            Found::Value(v) => Some(v),
            Found::Deleted | Found::Absent => None,
        }
    }

    /// Cursors over the frozen deltas and the `segments` newest segments within
    /// `bounds`, newest first.
    pub(crate) fn cursors(&self, bounds: &KeyBounds, segments: usize) -> Vec<Cursor<V>> {
        let mut out = Vec::new();
        for d in &self.frozen {
            out.push(Cursor::new(Layer::Delta(Arc::clone(d)), bounds.clone()));
        }
        for s in &self.segments[..segments] {
            out.push(Cursor::new(
                Layer::Segment(Arc::clone(s), Part::Live),
                bounds.clone(),
            ));
            if s.tombstone_count() > 0 {
                out.push(Cursor::new(
                    Layer::Segment(Arc::clone(s), Part::Tombstones),
                    bounds.clone(),
                ));
            }
        }
        out
    }

    /// How many of the newest segments a flush of the frozen deltas should merge with,
    /// so that each segment stays larger than `ratio` times all newer ones together and
    /// the number of segments stays logarithmic in the number of keys.
    pub(crate) fn plan(&self, ratio: f64) -> usize {
        let mut acc: usize = self.frozen.iter().map(|d| d.len()).sum();
        let mut k = 0;
        while let Some(s) = self.segments.get(k) {
            if s.entry_count() as f64 > acc as f64 * ratio {
                break;
            }
            acc += s.entry_count();
            k += 1;
        }
        k
    }

    /// Entries (tombstones included) in the frozen deltas and the `segments` newest
    /// segments: an upper bound on the size of their merge.
    pub(crate) fn entry_count(&self, segments: usize) -> usize {
        self.frozen.iter().map(|d| d.len()).sum::<usize>()
            + self.segments[..segments]
                .iter()
                .map(|s| s.entry_count())
                .sum::<usize>()
    }

    /// Heap bytes of all layers.
    pub(crate) fn memory_usage(&self) -> usize {
        self.frozen.iter().map(|d| d.memory_usage()).sum::<usize>()
            + self
                .segments
                .iter()
                .map(|s| s.memory_usage())
                .sum::<usize>()
    }
}
