//! Maps shared between threads.

use std::borrow::Borrow;
use std::ops::{Bound, ControlFlow};
use std::sync::{PoisonError, RwLock};

use crate::map::{longest_prefix_by_seeks, prefixes_by_longest};
use crate::{KeyBounds, OrderedMapMut};

/// The operations of a map that many threads use at once, all through `&self`.
///
/// This is the engine interface of the facade's thread-safe `MemKV`. Values are
/// returned by clone and scans return owned snapshots, so no lock or guard outlives a
/// call.
pub trait SharedMap: Send + Sync {
    /// The stored value type.
    type Value: Clone;

    /// Stores `value` under `key`, returning the value it replaces.
    fn insert(&self, key: &[u8], value: Self::Value) -> Option<Self::Value>;
    /// Removes `key`, returning its value.
    fn remove(&self, key: &[u8]) -> Option<Self::Value>;
    /// Sets `key`'s value to `f(its current value)` atomically (`None` removes
    /// the key or leaves it absent) and returns the value it has now: concurrent
    /// updates of one key are never lost. `f` runs while the map's writers wait:
    /// keep it short, and do not touch the map from inside it.
    fn update(
        &self,
        key: &[u8],
        f: impl FnOnce(Option<&Self::Value>) -> Option<Self::Value>,
    ) -> Option<Self::Value>;
    /// A copy of the value stored under `key`.
    fn get(&self, key: &[u8]) -> Option<Self::Value>;
    /// Whether `key` is present.
    fn contains_key(&self, key: &[u8]) -> bool;
    /// The number of entries.
    fn len(&self) -> usize;
    /// Whether there are no entries.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// A scan's iterator: owned entries, in key order, as of the moment the scan
    /// began, holding no lock.
    type Scan: DoubleEndedIterator<Item = (Vec<u8>, Self::Value)>;
    /// The entries within `bounds`, in key order, as of one moment. An engine with
    /// immutable layers walks them lazily; a locked map copies the range out.
    fn scan(&self, bounds: &KeyBounds) -> Self::Scan;
    /// Calls `f` on the entries within `bounds`, in key order, as of one moment,
    /// until it returns `Break`. The default walks [`scan`](SharedMap::scan); an
    /// engine that can lend its keys overrides it to spare a `Vec<u8>` per entry.
    fn for_each_in(
        &self,
        bounds: &KeyBounds,
        mut f: impl FnMut(&[u8], &Self::Value) -> ControlFlow<()>,
    ) {
        for (key, value) in self.scan(bounds) {
            if f(&key, &value).is_break() {
                return;
            }
        }
    }
    /// The entries within `bounds`, collected.
    fn collect_range(&self, bounds: &KeyBounds) -> Vec<(Vec<u8>, Self::Value)> {
        self.scan(bounds).collect()
    }
    /// The entry whose key is the longest prefix of `key` (see
    /// [`OrderedMap::longest_prefix`](crate::OrderedMap::longest_prefix)). The
    /// default seeks with [`scan`](SharedMap::scan), each seek seeing the map as
    /// it is then; a locked map answers under one read lock.
    fn longest_prefix(&self, key: &[u8]) -> Option<(Vec<u8>, Self::Value)> {
        longest_prefix_by_seeks(key, |query| {
            let bounds = KeyBounds {
                start: Bound::Unbounded,
                end: Bound::Included(query.to_vec()),
            };
            self.scan(&bounds).next_back()
        })
    }
    /// Every entry whose key is a prefix of `key`, shortest first (see
    /// [`OrderedMap::common_prefixes`](crate::OrderedMap::common_prefixes)). The
    /// default asks [`longest_prefix`](SharedMap::longest_prefix) for ever
    /// shorter prefixes, each query seeing the map as it is then; a locked map
    /// answers under one read lock.
    fn common_prefixes<'k>(&self, key: &'k [u8]) -> Vec<(&'k [u8], Self::Value)> {
        prefixes_by_longest(key, |query| {
            self.longest_prefix(query).map(|(k, v)| (k.len(), v))
        })
    }
    /// The entry with the smallest key. The default takes the first entry of a
    /// scan; engines whose scans copy part of their contents override it.
    fn first(&self) -> Option<(Vec<u8>, Self::Value)> {
        self.scan(&KeyBounds::all()).next()
    }
    /// The entry with the largest key (see [`first`](SharedMap::first)).
    fn last(&self) -> Option<(Vec<u8>, Self::Value)> {
        self.scan(&KeyBounds::all()).next_back()
    }
    /// Removes and returns the entry with the smallest key. The default reads
    /// the [`first`](SharedMap::first) key and removes it, trying again if another thread
    /// removed it in between; a locked map does both under one write lock.
    fn pop_first(&self) -> Option<(Vec<u8>, Self::Value)> {
        pop_edge(self, false)
    }
    /// Removes and returns the entry with the largest key (see
    /// [`pop_first`](SharedMap::pop_first)).
    fn pop_last(&self) -> Option<(Vec<u8>, Self::Value)> {
        pop_edge(self, true)
    }
    /// Keeps only the entries for which `keep(key, value)` is true; returns how
    /// many it removed (see
    /// [`OrderedMapMut::retain`](crate::OrderedMapMut::retain)). The default judges
    /// the entries of one scan, then removes the rejected keys one by one: a key
    /// another thread rewrites in between goes by the value the scan saw. A
    /// locked map runs the whole pass under one write lock.
    fn retain(&self, keep: &mut dyn FnMut(&[u8], &Self::Value) -> bool) -> usize {
        let doomed: Vec<Vec<u8>> = self
            .scan(&KeyBounds::all())
            .filter(|(k, v)| !keep(k, v))
            .map(|(k, _)| k)
            .collect();
        doomed.iter().filter(|k| self.remove(k).is_some()).count()
    }
    /// Heap bytes owned by the map.
    fn memory_usage(&self) -> usize;
}

/// The default of [`SharedMap::pop_first`] (`last == false`) and `pop_last`:
/// read the end key, remove it, and look again if another thread took it.
fn pop_edge<M: SharedMap + ?Sized>(map: &M, last: bool) -> Option<(Vec<u8>, M::Value)> {
    loop {
        let (key, _) = if last { map.last() } else { map.first() }?;
        if let Some(value) = map.remove(&key) {
            return Some((key, value));
        }
    }
}

/// An entry a map lends, copied out so that no borrow outlives the lock.
fn owned_entry<K: AsRef<[u8]>, V: Clone>((k, v): (K, impl Borrow<V>)) -> (Vec<u8>, V) {
    (k.as_ref().to_vec(), v.borrow().clone())
}

/// Any [`OrderedMapMut`] behind a reader-writer lock: readers run concurrently,
/// a writer runs alone.
#[derive(Debug, Default)]
pub struct Locked<M>(RwLock<M>);

impl<M> Locked<M> {
    /// Wraps `map`.
    pub fn new(map: M) -> Locked<M> {
        Locked(RwLock::new(map))
    }

    /// Runs `f` with shared access to the map.
    ///
    /// A panic in another thread while it held the lock does not poison the map for
    /// everyone else: the maps in this workspace stay consistent when a caller's
    /// code panics between their operations.
    pub fn read<T>(&self, f: impl FnOnce(&M) -> T) -> T {
        f(&self.0.read().unwrap_or_else(PoisonError::into_inner))
    }

    /// Runs `f` with exclusive access to the map.
    pub fn write<T>(&self, f: impl FnOnce(&mut M) -> T) -> T {
        f(&mut self.0.write().unwrap_or_else(PoisonError::into_inner))
    }

    /// The wrapped map.
    pub fn into_inner(self) -> M {
        self.0.into_inner().unwrap_or_else(PoisonError::into_inner)
    }
}

impl<M> SharedMap for Locked<M>
where
    M: OrderedMapMut + Send + Sync,
    M::Value: Clone + Send + Sync,
{
    type Value = M::Value;

    fn insert(&self, key: &[u8], value: M::Value) -> Option<M::Value> {
        self.write(|m| m.insert(key, value))
    }
    fn remove(&self, key: &[u8]) -> Option<M::Value> {
        self.write(|m| m.remove(key))
    }
    fn update(
        &self,
        key: &[u8],
        f: impl FnOnce(Option<&M::Value>) -> Option<M::Value>,
    ) -> Option<M::Value> {
        self.write(|m| {
            let current = m.get(key).map(|v| v.borrow().clone());
            match f(current.as_ref()) {
                Some(new) => {
                    m.insert(key, new.clone());
                    Some(new)
                }
                None => {
                    if current.is_some() {
                        m.remove(key);
                    }
                    None
                }
            }
        })
    }
    fn get(&self, key: &[u8]) -> Option<M::Value> {
        self.read(|m| m.get(key).map(|v| v.borrow().clone()))
    }
    fn contains_key(&self, key: &[u8]) -> bool {
        self.read(|m| m.contains_key(key))
    }
    fn len(&self) -> usize {
        self.read(|m| m.len())
    }
    /// Copies the range out under the read lock, so no lock outlives the call.
    type Scan = std::vec::IntoIter<(Vec<u8>, M::Value)>;
    fn scan(&self, bounds: &KeyBounds) -> Self::Scan {
        self.read(|m| {
            m.range(bounds.clone())
                .map(owned_entry)
                .collect::<Vec<_>>()
                .into_iter()
        })
    }
    fn longest_prefix(&self, key: &[u8]) -> Option<(Vec<u8>, M::Value)> {
        self.read(|m| m.longest_prefix(key).map(owned_entry))
    }
    fn common_prefixes<'k>(&self, key: &'k [u8]) -> Vec<(&'k [u8], M::Value)> {
        self.read(|m| {
            m.common_prefixes(key)
                .into_iter()
                .map(|(k, v)| (k, v.borrow().clone()))
                .collect()
        })
    }
    fn first(&self) -> Option<(Vec<u8>, M::Value)> {
        self.read(|m| m.iter().next().map(owned_entry))
    }
    fn last(&self) -> Option<(Vec<u8>, M::Value)> {
        self.read(|m| m.iter().next_back().map(owned_entry))
    }
    fn pop_first(&self) -> Option<(Vec<u8>, M::Value)> {
        self.write(|m| m.pop_first())
    }
    fn pop_last(&self) -> Option<(Vec<u8>, M::Value)> {
        self.write(|m| m.pop_last())
    }
    fn retain(&self, keep: &mut dyn FnMut(&[u8], &M::Value) -> bool) -> usize {
        self.write(|m| m.retain(keep))
    }
    fn memory_usage(&self) -> usize {
        self.read(|m| m.memory_usage())
    }
}
