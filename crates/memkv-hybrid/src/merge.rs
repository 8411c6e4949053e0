//! The ordered k-way merge behind every scan and every compaction.
//!
//! Each layer (the delta snapshot, frozen deltas, each segment's live keys and its
//! tombstones) becomes a [`Cursor`]; sources are ranked newest first. For each key the
//! newest source wins and the copies in older sources are skipped, so shadowing and
//! tombstones come out right. The merge is double-ended: `next` takes the smallest
//! key left in any source and `next_back` the largest, and since a key is taken from
//! all sources at once, the two ends never yield the same key twice.
//!
//! Cursors read their immutable layer in chunks, each a fresh range query that starts
//! after the last key fetched: a scan holds `Arc`s to the layers it reads (so a
//! compaction that replaces them does not disturb it) but borrows nothing, and costs
//! memory for one chunk per source, not for its whole range.

use std::collections::VecDeque;
use std::ops::Bound;

use memkv_core::KeyBounds;

use crate::delta::Delta;
use crate::segment::{Part, Segment};
use crate::sync::Arc;

/// The first chunk a cursor fetches; chunks double up to [`MAX_CHUNK`], so short
/// scans stay cheap and long ones amortise their range queries.
const FIRST_CHUNK: usize = 16;
const MAX_CHUNK: usize = 1024;

/// An entry as layers hold it: a value, or `None` for a tombstone.
pub(crate) type Entry<V> = (Vec<u8>, Option<V>);

/// An immutable layer a cursor fetches chunks from.
pub(crate) enum Source<V> {
    /// A delta frozen for flushing.
    Delta(Arc<Delta<V>>),
    /// One part of a segment.
    Segment(Arc<Segment<V>>, Part),
}

impl<V: Clone + 'static> Source<V> {
    fn fetch(&self, bounds: &KeyBounds, limit: usize, from_back: bool) -> Vec<Entry<V>> {
        match self {
            Source::Delta(d) => d.entries(bounds, limit, from_back),
            Source::Segment(s, part) => s.entries(*part, bounds, limit, from_back),
        }
    }
}

/// One source of the merge, in key order, readable from both ends.
///
/// Its entries are split into three runs: `front` (fetched, lowest keys), `rest` (not
/// fetched yet, described by bounds) and `back` (fetched, highest keys, ascending).
pub(crate) struct Cursor<V> {
    layer: Option<Source<V>>,
    rest: KeyBounds,
    front: VecDeque<Entry<V>>,
    back: VecDeque<Entry<V>>,
    chunk: usize,
}

impl<V: Clone + 'static> Cursor<V> {
    /// A cursor over the entries of `layer` within `bounds`.
    pub(crate) fn new(layer: Source<V>, bounds: KeyBounds) -> Cursor<V> {
        let layer = (!bounds.is_empty()).then_some(layer);
        Cursor {
            layer,
            rest: bounds,
            front: VecDeque::new(),
            back: VecDeque::new(),
            chunk: FIRST_CHUNK,
        }
    }

    /// A cursor over entries already copied out, in ascending key order.
    pub(crate) fn from_sorted(entries: Vec<Entry<V>>) -> Cursor<V> {
        Cursor {
            layer: None,
            rest: KeyBounds::all(),
            front: entries.into(),
            back: VecDeque::new(),
            chunk: FIRST_CHUNK,
        }
    }

    /// Fetches the next chunk into `front` (or `back`) when it is empty and keys are
    /// left unfetched.
    fn fill(&mut self, from_back: bool) {
        let empty = if from_back {
            self.back.is_empty()
        } else {
            self.front.is_empty()
        };
        let Some(layer) = self.layer.as_ref().filter(|_| empty) else {
            return;
        };
        let got = layer.fetch(&self.rest, self.chunk, from_back);
        if got.len() < self.chunk {
            // The whole unfetched run came back.
            self.layer = None;
        } else {
            let last = got.last().map(|(k, _)| k.clone()).unwrap_or_default();
            if from_back {
                self.rest.end = Bound::Excluded(last);
            } else {
                self.rest.start = Bound::Excluded(last);
            }
            self.chunk = (self.chunk * 2).min(MAX_CHUNK);
            if self.rest.is_empty() {
                self.layer = None;
            }
        }
        if from_back {
            // `back` is empty and ascending; the chunk came in descending order.
            for entry in got {
                self.back.push_front(entry);
            }
        } else {
            self.front.extend(got);
        }
    }

    /// The key `pop` would return next, once `fill(from_back)` has run.
    fn head(&self, from_back: bool) -> Option<&[u8]> {
        let entry = if from_back {
            self.back.back().or_else(|| self.front.back())
        } else {
            self.front.front().or_else(|| self.back.front())
        };
        entry.map(|(k, _)| k.as_slice())
    }

    /// Removes and returns the entry with the smallest key, or the largest when
    /// `from_back`.
    pub(crate) fn pop(&mut self, from_back: bool) -> Option<Entry<V>> {
        self.fill(from_back);
        if from_back {
            self.back.pop_back().or_else(|| self.front.pop_back())
        } else {
            self.front.pop_front().or_else(|| self.back.pop_front())
        }
    }
}

/// The merge of cursors ranked newest first; yields tombstones too (compaction needs
/// them; scans filter them out).
pub(crate) struct Merge<V> {
    sources: Vec<Cursor<V>>,
}

impl<V: Clone + 'static> Merge<V> {
    /// Merges `sources`, the newest first.
    pub(crate) fn new(sources: Vec<Cursor<V>>) -> Merge<V> {
        Merge { sources }
    }

    /// The index of the newest source holding the smallest (or, `from_back`, the
    /// largest) key left.
    fn pick(&mut self, from_back: bool) -> Option<usize> {
        for s in &mut self.sources {
            s.fill(from_back);
        }
        let mut best: Option<(usize, &[u8])> = None;
        for (i, s) in self.sources.iter().enumerate() {
            let Some(key) = s.head(from_back) else {
                continue;
            };
            let better = match best {
                None => true,
                Some((_, b)) if from_back => key > b,
                Some((_, b)) => key < b,
            };
            if better {
                best = Some((i, key));
            }
        }
        best.map(|(i, _)| i)
    }

    fn take(&mut self, from_back: bool) -> Option<Entry<V>> {
        let winner = self.pick(from_back)?;
        let entry = self.sources[winner].pop(from_back)?;
        // Older copies of the same key are shadowed: drop them. Newer sources cannot
        // hold it, or one of them would have won.
        for s in &mut self.sources[winner + 1..] {
            s.fill(from_back);
            if s.head(from_back) == Some(entry.0.as_slice()) {
                s.pop(from_back);
            }
        }
        Some(entry)
    }
}

impl<V: Clone + 'static> Iterator for Merge<V> {
    type Item = Entry<V>;

    fn next(&mut self) -> Option<Entry<V>> {
        self.take(false)
    }
}

impl<V: Clone + 'static> DoubleEndedIterator for Merge<V> {
    fn next_back(&mut self) -> Option<Entry<V>> {
        self.take(true)
    }
}
