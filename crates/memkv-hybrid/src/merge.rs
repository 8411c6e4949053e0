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
//! memory for one chunk per source, not for its whole range. A chunk keeps its keys
//! back to back in one buffer and the merge lends them ([`Merge::advance`], then
//! [`Merge::popped`]), so a scan walked through `for_each_in` allocates per chunk,
//! not per entry.

use std::cmp::Ordering;
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

/// Entries fetched from one layer, kept in ascending key order with their keys back
/// to back in one buffer, and taken from either end.
pub(crate) struct Chunk<V> {
    bytes: Vec<u8>,
    /// Each entry's key as `bytes[start..end]`.
    spans: Vec<(usize, usize)>,
    /// Each entry's value; `None` for a tombstone (or a value already moved out).
    values: Vec<Option<V>>,
    /// The entries `lo..hi` are not taken yet.
    lo: usize,
    hi: usize,
}

impl<V> Chunk<V> {
    fn new() -> Chunk<V> {
        Chunk {
            bytes: Vec::new(),
            spans: Vec::new(),
            values: Vec::new(),
            lo: 0,
            hi: 0,
        }
    }

    /// Appends an entry (see [`Chunk::reverse`] for entries fetched from the back).
    pub(crate) fn push(&mut self, key: &[u8], value: Option<V>) {
        let start = self.bytes.len();
        self.bytes.extend_from_slice(key);
        self.spans.push((start, self.bytes.len()));
        self.values.push(value);
        self.hi = self.spans.len();
    }

    /// How many entries have been pushed since the last clear.
    pub(crate) fn pushed(&self) -> usize {
        self.spans.len()
    }

    fn clear(&mut self) {
        self.bytes.clear();
        self.spans.clear();
        self.values.clear();
        self.lo = 0;
        self.hi = 0;
    }

    /// Puts entries pushed in descending key order into ascending order.
    fn reverse(&mut self) {
        self.spans.reverse();
        self.values.reverse();
    }

    fn is_empty(&self) -> bool {
        self.lo == self.hi
    }

    fn key(&self, i: usize) -> &[u8] {
        let (start, end) = self.spans[i];
        &self.bytes[start..end]
    }

    /// The smallest key not taken yet (the largest, `from_back`).
    fn end_key(&self, from_back: bool) -> Option<&[u8]> {
        if self.is_empty() {
            None
        } else if from_back {
            Some(self.key(self.hi - 1))
        } else {
            Some(self.key(self.lo))
        }
    }

    /// Takes the entry with the smallest key (the largest, `from_back`): its index,
    /// readable until the chunk is cleared.
    fn take(&mut self, from_back: bool) -> Option<usize> {
        if self.is_empty() {
            None
        } else if from_back {
            self.hi -= 1;
            Some(self.hi)
        } else {
            self.lo += 1;
            Some(self.lo - 1)
        }
    }
}

/// An immutable layer a cursor fetches chunks from.
pub(crate) enum Source<V> {
    /// A delta frozen for flushing.
    Delta(Arc<Delta<V>>),
    /// One part of a segment.
    Segment(Arc<Segment<V>>, Part),
}

impl<V: Clone + 'static> Source<V> {
    /// Pushes up to `limit` entries within `bounds` into `out`, from the low end
    /// (the high end and descending, `from_back`).
    fn fetch(&self, bounds: &KeyBounds, limit: usize, from_back: bool, out: &mut Chunk<V>) {
        match self {
            Source::Delta(d) => {
                for (key, value) in d.entries(bounds, limit, from_back) {
                    out.push(&key, value);
                }
            }
            Source::Segment(s, part) => s.fetch(*part, bounds, limit, from_back, out),
        }
    }
}

/// Which chunk of a cursor holds the entry it popped last, and where.
#[derive(Clone, Copy)]
struct Popped {
    from_back_chunk: bool,
    index: usize,
}

/// One source of the merge, in key order, readable from both ends.
///
/// Its entries are split into three runs: `front` (fetched, lowest keys), `rest` (not
/// fetched yet, described by bounds) and `back` (fetched, highest keys).
pub(crate) struct Cursor<V> {
    layer: Option<Source<V>>,
    rest: KeyBounds,
    front: Chunk<V>,
    back: Chunk<V>,
    chunk: usize,
    /// The entry [`Cursor::pop`] took last, readable until the next fill.
    popped: Option<Popped>,
}

impl<V: Clone + 'static> Cursor<V> {
    /// A cursor over the entries of `layer` within `bounds`.
    pub(crate) fn new(layer: Source<V>, bounds: KeyBounds) -> Cursor<V> {
        let layer = (!bounds.is_empty()).then_some(layer);
        Cursor {
            layer,
            rest: bounds,
            front: Chunk::new(),
            back: Chunk::new(),
            chunk: FIRST_CHUNK,
            popped: None,
        }
    }

    /// A cursor over entries already copied out, in ascending key order.
    pub(crate) fn from_sorted(entries: Vec<Entry<V>>) -> Cursor<V> {
        let mut front = Chunk::new();
        for (key, value) in entries {
            front.push(&key, value);
        }
        Cursor {
            layer: None,
            rest: KeyBounds::all(),
            front,
            back: Chunk::new(),
            chunk: FIRST_CHUNK,
            popped: None,
        }
    }

    /// Fetches the next chunk into `front` (or `back`) when it is empty and keys are
    /// left unfetched. Called for every source at every step, so the common case,
    /// nothing to do, is inlined.
    #[inline]
    fn fill(&mut self, from_back: bool) {
        let own = if from_back { &self.back } else { &self.front };
        if own.is_empty() && self.layer.is_some() {
            self.refill(from_back);
        }
    }

    #[inline(never)]
    fn refill(&mut self, from_back: bool) {
        let own = if from_back {
            &mut self.back
        } else {
            &mut self.front
        };
        let Some(layer) = self.layer.as_ref() else {
            return;
        };
        self.popped = None;
        own.clear();
        layer.fetch(&self.rest, self.chunk, from_back, own);
        let got = own.pushed();
        if got < self.chunk {
            // The whole unfetched run came back.
            self.layer = None;
        } else {
            // The last key fetched bounds what is left.
            let last = own.key(got - 1).to_vec();
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
            own.reverse();
        }
    }

    /// The key `pop` would return next, once `fill(from_back)` has run.
    fn head(&self, from_back: bool) -> Option<&[u8]> {
        let (own, other) = if from_back {
            (&self.back, &self.front)
        } else {
            (&self.front, &self.back)
        };
        own.end_key(from_back).or_else(|| other.end_key(from_back))
    }

    /// Takes the entry with the smallest key, or the largest when `from_back`; it
    /// stays readable through [`Cursor::popped`] until the cursor is filled again.
    pub(crate) fn pop(&mut self, from_back: bool) -> Option<()> {
        self.fill(from_back);
        let (own, other) = if from_back {
            (&mut self.back, &mut self.front)
        } else {
            (&mut self.front, &mut self.back)
        };
        let popped = match own.take(from_back) {
            Some(index) => Popped {
                from_back_chunk: from_back,
                index,
            },
            None => Popped {
                from_back_chunk: !from_back,
                index: other.take(from_back)?,
            },
        };
        self.popped = Some(popped);
        Some(())
    }

    fn popped_at(&self) -> (&Chunk<V>, usize) {
        let p = self.popped.expect("an entry was popped");
        let chunk = if p.from_back_chunk {
            &self.back
        } else {
            &self.front
        };
        (chunk, p.index)
    }

    /// The entry popped last: its key, and its value (`None`: a tombstone).
    pub(crate) fn popped(&self) -> (&[u8], Option<&V>) {
        let (chunk, i) = self.popped_at();
        (chunk.key(i), chunk.values[i].as_ref())
    }

    /// The entry popped last, copied out (its value moved).
    fn take_popped(&mut self) -> Entry<V> {
        let p = self.popped.take().expect("an entry was popped");
        let chunk = if p.from_back_chunk {
            &mut self.back
        } else {
            &mut self.front
        };
        (chunk.key(p.index).to_vec(), chunk.values[p.index].take())
    }
}

/// The merge of cursors ranked newest first; yields tombstones too (compaction needs
/// them; scans filter them out).
pub(crate) struct Merge<V> {
    sources: Vec<Cursor<V>>,
    /// The last full pick, while it still tells who wins next (see [`Streak`]).
    streak: Option<Streak>,
}

/// What the last full comparison of all heads found: the winner, and the source
/// with the best head among the others (`None` when no other has one).
///
/// Until some other source moves, their heads stay where they were, none ahead of
/// the runner-up's. So while the winner's next key is strictly ahead of the
/// runner-up's head, it wins again, and no other source holds that key: one key
/// comparison per entry instead of one per source, and no duplicate check. Layers
/// hold keys spread over the whole key space, so streaks are short, but most
/// entries still come from the largest segment in runs.
#[derive(Clone, Copy)]
struct Streak {
    winner: usize,
    runner_up: Option<usize>,
    from_back: bool,
}

/// Whether `key` comes before `other` in the direction of the walk.
fn ahead(key: &[u8], other: &[u8], from_back: bool) -> bool {
    if from_back {
        key > other
    } else {
        key < other
    }
}

impl<V: Clone + 'static> Merge<V> {
    /// Merges `sources`, the newest first.
    pub(crate) fn new(sources: Vec<Cursor<V>>) -> Merge<V> {
        Merge {
            sources,
            streak: None,
        }
    }

    /// The source of the last pick when it wins again by [`Streak`]'s rule.
    fn streak_winner(&mut self, from_back: bool) -> Option<usize> {
        let streak = self.streak.filter(|s| s.from_back == from_back)?;
        self.sources[streak.winner].fill(from_back);
        let key = self.sources[streak.winner].head(from_back)?;
        let Some(runner_up) = streak.runner_up else {
            return Some(streak.winner);
        };
        let other = self.sources[runner_up]
            .head(from_back)
            .expect("the runner-up keeps its head until it moves");
        ahead(key, other, from_back).then_some(streak.winner)
    }

    /// The index of the newest source holding the smallest (or, `from_back`, the
    /// largest) key left, found by comparing every source's head, and whether an
    /// older source holds the same key.
    fn pick(&mut self, from_back: bool) -> Option<(usize, bool)> {
        for s in &mut self.sources {
            s.fill(from_back);
        }
        let mut best: Option<(usize, &[u8])> = None;
        let mut second: Option<(usize, &[u8])> = None;
        let mut tied = false;
        for (i, s) in self.sources.iter().enumerate() {
            let Some(key) = s.head(from_back) else {
                continue;
            };
            let Some((_, b)) = best else {
                best = Some((i, key));
                continue;
            };
            // How `key` stands against the best so far, in the walk's direction.
            let order = if from_back { b.cmp(key) } else { key.cmp(b) };
            if order == Ordering::Less {
                second = best;
                best = Some((i, key));
                tied = false;
                continue;
            }
            tied |= order == Ordering::Equal;
            if second.is_none_or(|(_, c)| ahead(key, c, from_back)) {
                second = Some((i, key));
            }
        }
        let winner = best?.0;
        self.streak = Some(Streak {
            winner,
            runner_up: second.map(|(i, _)| i),
            from_back,
        });
        Some((winner, tied))
    }

    /// Takes the next entry (the smallest key left, or the largest when
    /// `from_back`) and returns the index of the source it came from, where
    /// [`Merge::popped`] reads it until the next call.
    pub(crate) fn advance(&mut self, from_back: bool) -> Option<usize> {
        if let Some(winner) = self.streak_winner(from_back) {
            self.sources[winner].pop(from_back)?;
            return Some(winner);
        }
        let (winner, tied) = self.pick(from_back)?;
        self.sources[winner].pop(from_back)?;
        if tied {
            // Older copies of the same key are shadowed: drop them. Newer sources
            // cannot hold it, or one of them would have won. Those that move may
            // overtake the runner-up, so the streak ends.
            let (newer, older) = self.sources.split_at_mut(winner + 1);
            let key = newer[winner].popped().0;
            for s in older {
                if s.head(from_back) == Some(key) {
                    s.pop(from_back);
                }
            }
            self.streak = None;
        }
        Some(winner)
    }

    /// The entry the last [`Merge::advance`] took from source `source`.
    pub(crate) fn popped(&self, source: usize) -> (&[u8], Option<&V>) {
        self.sources[source].popped()
    }

    /// The entry the last [`Merge::advance`] took from source `source`, copied out.
    pub(crate) fn take_popped(&mut self, source: usize) -> Entry<V> {
        self.sources[source].take_popped()
    }

    fn take(&mut self, from_back: bool) -> Option<Entry<V>> {
        let source = self.advance(from_back)?;
        Some(self.take_popped(source))
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

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use proptest::prelude::*;

    use super::*;

    /// One layer: each key's value, or `None` for a tombstone.
    type Layer = BTreeMap<Vec<u8>, Option<u8>>;

    /// Layers, newest first, and the walk's directions (`true`: from the back).
    fn layers_and_walk() -> impl Strategy<Value = (Vec<Layer>, Vec<bool>)> {
        // Few distinct short keys, so layers overlap and shadow each other.
        let key = prop::collection::vec(0u8..3, 0..3);
        let layer = prop::collection::btree_map(key, prop::option::of(any::<u8>()), 0..12);
        (
            prop::collection::vec(layer, 1..5),
            prop::collection::vec(any::<bool>(), 0..40),
        )
    }

    proptest! {
        /// The merge yields each key once, from its newest layer, in order from
        /// whichever end each step asks for: the streak shortcut never lets a
        /// shadowed copy through or skips a key.
        #[test]
        fn merge_matches_a_model((layers, walk) in layers_and_walk()) {
            let mut model = Layer::new();
            for layer in layers.iter().rev() {
                model.extend(layer.iter().map(|(k, v)| (k.clone(), *v)));
            }
            let sources = layers
                .iter()
                .map(|l| Cursor::from_sorted(l.iter().map(|(k, v)| (k.clone(), *v)).collect()))
                .collect();
            let mut merge = Merge::new(sources);
            for from_back in walk.into_iter().chain(std::iter::repeat_n(false, 64)) {
                let expected = if from_back {
                    model.pop_last()
                } else {
                    model.pop_first()
                };
                let got = if from_back { merge.next_back() } else { merge.next() };
                prop_assert_eq!(got, expected);
            }
        }
    }
}
