//! `SimpleKV`: the `BTreeMap`-backed reference map.

use std::collections::btree_map::{self, BTreeMap};
use std::mem;
use std::ops::{Bound, RangeBounds};

use crate::{KeyBounds, OrderedMap, OrderedMapMut};

/// An ordered byte-key map on `std`'s `BTreeMap<Vec<u8>, V>`.
///
/// The fallback of the seed design and the baseline every other map is measured
/// against: simple, fast, and about 2× the raw key bytes in memory.
///
/// ```
/// use memkv_core::SimpleKV;
/// let mut kv = SimpleKV::new();
/// kv.insert(b"user:1001", 42u64);
/// assert_eq!(kv.get(b"user:1001"), Some(&42));
/// assert_eq!(kv.prefix_scan(b"user:").count(), 1);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SimpleKV<V> {
    map: BTreeMap<Vec<u8>, V>,
    /// Bytes of all key buffers, kept up to date so `memory_usage` is O(1).
    key_bytes: usize,
}

/// The iterator of [`SimpleKV::range`].
pub type SimpleRange<'a, V> =
    std::iter::Map<btree_map::Range<'a, Vec<u8>, V>, fn((&'a Vec<u8>, &'a V)) -> (&'a [u8], &'a V)>;

impl<V> SimpleKV<V> {
    /// An empty map.
    pub fn new() -> SimpleKV<V> {
        SimpleKV {
            map: BTreeMap::new(),
            key_bytes: 0,
        }
    }

    /// Stores `value` under `key`, returning the value it replaces.
    pub fn insert(&mut self, key: impl AsRef<[u8]>, value: V) -> Option<V> {
        // One descent, as a plain `BTreeMap` user writes it: looking the key up first
        // to spare the copy on a replace cost a second descent on every new key
        // (inserts ran at 0.75x `BTreeMap`'s rate). On a replace, the map keeps its
        // own copy of the key and drops this one.
        let key = key.as_ref();
        let old = self.map.insert(key.to_vec(), value);
        if old.is_none() {
            self.key_bytes += key.len();
        }
        old
    }

    /// Removes `key`, returning its value.
    pub fn remove(&mut self, key: impl AsRef<[u8]>) -> Option<V> {
        let (k, v) = self.map.remove_entry(key.as_ref())?;
        self.key_bytes -= k.len();
        Some(v)
    }

    /// The value stored under `key`.
    pub fn get(&self, key: impl AsRef<[u8]>) -> Option<&V> {
        self.map.get(key.as_ref())
    }

    /// A mutable reference to the value stored under `key`.
    pub fn get_mut(&mut self, key: impl AsRef<[u8]>) -> Option<&mut V> {
        self.map.get_mut(key.as_ref())
    }

    /// Whether `key` is present.
    pub fn contains_key(&self, key: impl AsRef<[u8]>) -> bool {
        self.map.contains_key(key.as_ref())
    }

    /// The entry whose key is the longest prefix of `key` (`key` itself included),
    /// if any (see [`OrderedMap::longest_prefix`]).
    pub fn longest_prefix(&self, key: impl AsRef<[u8]>) -> Option<(&[u8], &V)> {
        OrderedMap::longest_prefix(self, key)
    }

    /// Every entry whose key is a prefix of `key` (`key` itself included),
    /// shortest first (see [`OrderedMap::common_prefixes`]).
    pub fn common_prefixes<'k>(&self, key: &'k [u8]) -> Vec<(&'k [u8], &V)> {
        OrderedMap::common_prefixes(self, key)
    }

    /// Removes and returns the entry with the smallest key.
    pub fn pop_first(&mut self) -> Option<(Vec<u8>, V)> {
        let (k, v) = self.map.pop_first()?;
        self.key_bytes -= k.len();
        Some((k, v))
    }

    /// Removes and returns the entry with the largest key.
    pub fn pop_last(&mut self) -> Option<(Vec<u8>, V)> {
        let (k, v) = self.map.pop_last()?;
        self.key_bytes -= k.len();
        Some((k, v))
    }

    /// Keeps only the entries for which `keep(key, value)` is true; returns how
    /// many it removed (see [`OrderedMapMut::retain`]).
    pub fn retain(&mut self, mut keep: impl FnMut(&[u8], &V) -> bool) -> usize {
        let (before, mut freed) = (self.map.len(), 0);
        self.map.retain(|k, v| {
            let kept = keep(k, v);
            if !kept {
                freed += k.len();
            }
            kept
        });
        self.key_bytes -= freed;
        before - self.map.len()
    }

    /// Removes every entry.
    pub fn clear(&mut self) {
        self.map.clear();
        self.key_bytes = 0;
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether there are no entries.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// The entries within `range`, in key order.
    pub fn range<R: RangeBounds<[u8]>>(&self, range: R) -> SimpleRange<'_, V> {
        // `BTreeMap::range` panics on inverted bounds; an empty result is the
        // contract's answer.
        let bounds = KeyBounds::from_range(&range);
        let inner = if bounds.is_empty() {
            self.map
                .range::<[u8], _>((Bound::Included(&b""[..]), Bound::Excluded(&b""[..])))
        } else {
            self.map.range::<[u8], _>(bounds)
        };
        inner.map(|(k, v)| (k.as_slice(), v))
    }

    /// All entries in key order.
    pub fn iter(&self) -> SimpleRange<'_, V> {
        self.range(KeyBounds::all())
    }

    /// The entries whose keys start with `prefix`.
    pub fn prefix_scan(&self, prefix: impl AsRef<[u8]>) -> SimpleRange<'_, V> {
        self.range(KeyBounds::prefix(prefix.as_ref()))
    }

    /// An estimate of the heap bytes owned: the key buffers plus `BTreeMap` nodes at
    /// an assumed two-thirds fill. `BTreeMap` does not expose its node count, so this
    /// is an estimate; the benchmark harness reports it beside jemalloc's exact count.
    pub fn memory_usage(&self) -> usize {
        const CAPACITY: usize = 11; // B-tree node capacity in std.
        let entry = mem::size_of::<Vec<u8>>() + mem::size_of::<V>();
        let leaf = 16 + CAPACITY * entry;
        let nodes = (self.map.len() * 3).div_ceil(CAPACITY * 2);
        self.key_bytes + nodes * leaf
    }
}

impl<V> Default for SimpleKV<V> {
    fn default() -> Self {
        SimpleKV::new()
    }
}

impl<V> OrderedMap for SimpleKV<V> {
    type Value = V;
    type KeyRef<'a>
        = &'a [u8]
    where
        V: 'a;
    type ValueRef<'a>
        = &'a V
    where
        V: 'a;
    type Range<'a>
        = SimpleRange<'a, V>
    where
        V: 'a;

    fn get(&self, key: impl AsRef<[u8]>) -> Option<&V> {
        SimpleKV::get(self, key)
    }
    fn contains_key(&self, key: impl AsRef<[u8]>) -> bool {
        SimpleKV::contains_key(self, key)
    }
    fn len(&self) -> usize {
        self.map.len()
    }
    fn range<R: RangeBounds<[u8]>>(&self, range: R) -> SimpleRange<'_, V> {
        SimpleKV::range(self, range)
    }
    fn memory_usage(&self) -> usize {
        SimpleKV::memory_usage(self)
    }
}

impl<V> OrderedMapMut for SimpleKV<V> {
    fn insert(&mut self, key: impl AsRef<[u8]>, value: V) -> Option<V> {
        SimpleKV::insert(self, key, value)
    }
    fn remove(&mut self, key: impl AsRef<[u8]>) -> Option<V> {
        SimpleKV::remove(self, key)
    }
    fn pop_first(&mut self) -> Option<(Vec<u8>, V)> {
        SimpleKV::pop_first(self)
    }
    fn pop_last(&mut self) -> Option<(Vec<u8>, V)> {
        SimpleKV::pop_last(self)
    }
    fn retain(&mut self, keep: impl FnMut(&[u8], &V) -> bool) -> usize {
        SimpleKV::retain(self, keep)
    }
}

impl<'a, V> IntoIterator for &'a SimpleKV<V> {
    type Item = (&'a [u8], &'a V);
    type IntoIter = SimpleRange<'a, V>;

    fn into_iter(self) -> SimpleRange<'a, V> {
        self.iter()
    }
}

impl<K: AsRef<[u8]>, V> FromIterator<(K, V)> for SimpleKV<V> {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> SimpleKV<V> {
        let mut kv = SimpleKV::new();
        kv.extend(iter);
        kv
    }
}

impl<K: AsRef<[u8]>, V> Extend<(K, V)> for SimpleKV<V> {
    fn extend<I: IntoIterator<Item = (K, V)>>(&mut self, iter: I) {
        for (k, v) in iter {
            self.insert(k, v);
        }
    }
}

/// A sequence of `(key, value)` pairs in key order, keys as byte strings (see
/// [`crate::serde_support`]).
#[cfg(feature = "serde")]
impl<V: serde::Serialize> serde::Serialize for SimpleKV<V> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        crate::serde_support::serialize_entries(s, self.len(), self.iter())
    }
}

#[cfg(feature = "serde")]
impl<'de, V: serde::Deserialize<'de>> serde::Deserialize<'de> for SimpleKV<V> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<SimpleKV<V>, D::Error> {
        crate::serde_support::deserialize_entries(d)
    }
}
