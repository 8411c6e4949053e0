//! The mutable delta: recent writes, each a value or a tombstone.

use std::borrow::Borrow;

use memkv_art::{ArenaArt, ArenaArtEntry as Entry};
use memkv_core::{KeyBounds, OrderedMap, OrderedMapMut};

use crate::filter::{KeyFilter, KeyHash};

/// The map the delta is kept in, an arena radix tree (compact, and its keys share
/// prefixes the way paths and URLs do); `None` values are tombstones.
type DeltaMap<V> = ArenaArt<Option<V>>;

/// What one layer of the store knows about a key.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Found<V> {
    /// The layer holds this value for the key.
    Value(V),
    /// The layer holds a tombstone: the key is deleted, older layers must not be asked.
    Deleted,
    /// The layer says nothing about the key.
    Absent,
}

/// Writes not yet flushed to a segment.
#[derive(Debug)]
pub(crate) struct Delta<V> {
    map: DeltaMap<V>,
    /// Every key ever put, so that lookups of the many keys a delta does not hold
    /// (every write looks up the value it replaces in the frozen deltas) skip the
    /// tree walk.
    filter: KeyFilter,
}

impl<V> Delta<V> {
    /// An empty delta whose filter is sized for `keys` keys (more only raise its
    /// false positive rate).
    pub(crate) fn new(keys: usize) -> Delta<V> {
        Delta {
            map: DeltaMap::new(),
            filter: KeyFilter::with_capacity(keys),
        }
    }
}

impl<V: Clone> Delta<V> {
    /// Starts loading the block of the delta's filter that
    /// [`find_hashed`](Delta::find_hashed) reads first for `hash`.
    pub(crate) fn prefetch_filter(&self, hash: KeyHash) {
        self.filter.prefetch(hash);
    }

    /// What the delta says about `key`, whose hash is `hash`.
    pub(crate) fn find_hashed(&self, key: &[u8], hash: KeyHash) -> Found<V> {
        if !self.filter.may_contain_hashed(hash) {
            return Found::Absent;
        }
        match OrderedMap::get(&self.map, key).map(owned) {
            Some(Some(v)) => Found::Value(v),
            Some(None) => Found::Deleted,
            None => Found::Absent,
        }
    }

    /// Records `entry` (a value, or `None` for a tombstone) under `key`, returning
    /// what the delta said about the key before.
    pub(crate) fn put(&mut self, key: &[u8], hash: KeyHash, entry: Option<V>) -> Found<V> {
        self.filter.insert_hashed(hash);
        match OrderedMapMut::insert(&mut self.map, key, entry) {
            Some(Some(v)) => Found::Value(v),
            Some(None) => Found::Deleted,
            None => Found::Absent,
        }
    }

    /// Sets `key` to `compute(its current value)` with one walk of the tree (an
    /// entry), where `below` is what the layers under this delta hold for it. A
    /// `None` from `compute` removes: a tombstone when `below` holds the key,
    /// else the delta forgets the key. Returns `None` when nothing changed (the
    /// key was absent and stays absent); else what the delta said before, as
    /// [`put`](Delta::put) does, and whether the key is now removed.
    pub(crate) fn update(
        &mut self,
        key: &[u8],
        hash: KeyHash,
        below: Option<&V>,
        compute: impl FnOnce(Option<&V>) -> Option<V>,
    ) -> Option<(Found<V>, bool)> {
        match self.map.entry(key) {
            Entry::Occupied(mut e) => {
                let was = e.get().is_some();
                let entry = compute(e.get().as_ref());
                let removing = entry.is_none();
                let old = if removing && !was {
                    return None;
                } else if removing && below.is_none() {
                    e.remove()
                } else {
                    e.insert(entry)
                };
                Some((old.map_or(Found::Deleted, Found::Value), removing))
            }
            Entry::Vacant(e) => {
                let entry = compute(below);
                let removing = entry.is_none();
                if removing && below.is_none() {
                    return None;
                }
                self.filter.insert_hashed(hash);
                e.insert(entry);
                Some((Found::Absent, removing))
            }
        }
    }

    /// Forgets `key` entirely (used when no older layer holds it, so no tombstone is
    /// needed).
    pub(crate) fn forget(&mut self, key: &[u8]) {
        OrderedMapMut::remove(&mut self.map, key);
    }

    /// Appends each of this delta's keys that is a prefix of `key` as its length
    /// and what the delta holds for it: a value, or `None` for a tombstone (see
    /// [`crate::HybridStore::common_prefixes`]).
    pub(crate) fn prefixes(&self, key: &[u8], out: &mut Vec<(usize, Option<V>)>)
    where
        V: Clone,
    {
        let found = self.map.common_prefixes(key);
        out.extend(found.into_iter().map(|(k, v)| (k.len(), v.clone())));
    }

    /// Up to `limit` entries within `bounds`, from the low end, or from the high end
    /// (in descending order) when `from_back`.
    pub(crate) fn entries(
        &self,
        bounds: &KeyBounds,
        limit: usize,
        from_back: bool,
    ) -> Vec<(Vec<u8>, Option<V>)> {
        let range = OrderedMap::range(&self.map, bounds.clone());
        if from_back {
            range.rev().take(limit).map(copy_entry).collect()
        } else {
            range.take(limit).map(copy_entry).collect()
        }
    }

    /// The number of entries, tombstones included.
    pub(crate) fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether the delta holds nothing.
    pub(crate) fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Heap bytes of the delta: the map's own figure (see its documentation), which
    /// the flush threshold weighs, plus the filter.
    pub(crate) fn memory_usage(&self) -> usize {
        self.map_bytes() + self.filter.memory_usage()
    }

    /// Heap bytes of the map alone.
    pub(crate) fn map_bytes(&self) -> usize {
        self.map.memory_usage()
    }
}

/// A value of the delta map copied out of it.
fn owned<V: Clone>(v: impl Borrow<Option<V>>) -> Option<V> {
    v.borrow().clone()
}

/// An entry of the delta map copied out of it.
fn copy_entry<V: Clone>(
    (k, v): (impl AsRef<[u8]>, impl Borrow<Option<V>>),
) -> (Vec<u8>, Option<V>) {
    (k.as_ref().to_vec(), owned(v))
}
