//! The map traits.

use std::borrow::Borrow;
use std::ops::{Bound, ControlFlow, RangeBounds};

use crate::KeyBounds;

/// Read operations of an ordered map from byte strings to values.
///
/// Iteration is in unsigned byte-wise key order and double-ended. Keys and values
/// are yielded as whatever the structure can give cheaply: a borrowed slice or an
/// owned buffer for keys (see [`OrderedMap::KeyRef`]), a reference or a copy for
/// values (see [`OrderedMap::ValueRef`]).
///
/// Code written against the trait runs on every map of the workspace:
///
/// ```
/// use memkv_core::{OrderedMap, OrderedMapMut, SimpleKV};
///
/// /// How many entries sit under each of `dirs`.
/// fn count_under<M: OrderedMap>(map: &M, dirs: &[&str]) -> Vec<usize> {
///     dirs.iter().map(|d| map.prefix_scan(d).count()).collect()
/// }
///
/// let mut map: SimpleKV<u64> = SimpleKV::new();
/// map.insert("/etc/hosts", 1);
/// map.insert("/usr/bin/env", 2);
/// map.insert("/usr/bin/ls", 3);
/// assert_eq!(count_under(&map, &["/etc/", "/usr/bin/", "/var/"]), [1, 2, 0]);
/// let (last_key, _) = map.iter().next_back().unwrap();
/// assert_eq!(last_key.as_ref(), b"/usr/bin/ls");
/// ```
pub trait OrderedMap {
    /// The stored value type.
    type Value;
    /// How a key is handed out: `&[u8]` when stored whole, `Vec<u8>` when rebuilt.
    type KeyRef<'a>: AsRef<[u8]>
    where
        Self: 'a;
    /// How a value is handed out: `&Value`, or `Value` itself for `Copy` values.
    type ValueRef<'a>: Borrow<Self::Value>
    where
        Self: 'a;
    /// The iterator of [`range`](OrderedMap::range), `iter` and `prefix_scan`.
    type Range<'a>: DoubleEndedIterator<Item = (Self::KeyRef<'a>, Self::ValueRef<'a>)>
    where
        Self: 'a;

    /// The value stored under `key`.
    fn get(&self, key: impl AsRef<[u8]>) -> Option<Self::ValueRef<'_>>;

    /// Whether `key` is present.
    fn contains_key(&self, key: impl AsRef<[u8]>) -> bool {
        self.get(key).is_some()
    }

    /// The number of entries.
    fn len(&self) -> usize;

    /// Whether there are no entries.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The entries whose keys lie within `range`, in key order.
    fn range<R: RangeBounds<[u8]>>(&self, range: R) -> Self::Range<'_>;

    /// All entries in key order.
    fn iter(&self) -> Self::Range<'_> {
        self.range(KeyBounds::all())
    }

    /// The entries whose keys start with `prefix`, in key order.
    fn prefix_scan(&self, prefix: impl AsRef<[u8]>) -> Self::Range<'_> {
        self.range(KeyBounds::prefix(prefix.as_ref()))
    }

    /// Calls `f` with each entry within `range`, in key order, until `f` returns
    /// [`ControlFlow::Break`].
    ///
    /// [`range`](OrderedMap::range) hands out keys an iterator can return, which
    /// for a radix tree means a fresh `Vec<u8>` per entry; here the key is lent
    /// for the duration of the call, so trees that rebuild keys override this to
    /// scan without allocating. The default walks `range`.
    ///
    /// ```
    /// use std::ops::ControlFlow;
    /// use memkv_core::{KeyBounds, OrderedMap, OrderedMapMut, SimpleKV};
    ///
    /// let mut sizes: SimpleKV<u64> = SimpleKV::new();
    /// sizes.insert("/usr/bin/ls", 140);
    /// sizes.insert("/usr/bin/cp", 150);
    /// sizes.insert("/usr/lib/x", 9);
    /// let mut total = 0;
    /// sizes.for_each_in(KeyBounds::prefix(b"/usr/bin/"), |_, size| {
    ///     total += size;
    ///     ControlFlow::Continue(())
    /// });
    /// assert_eq!(total, 290);
    /// ```
    fn for_each_in<R: RangeBounds<[u8]>>(
        &self,
        range: R,
        mut f: impl FnMut(&[u8], &Self::Value) -> ControlFlow<()>,
    ) {
        for (k, v) in self.range(range) {
            if f(k.as_ref(), v.borrow()).is_break() {
                return;
            }
        }
    }

    /// The entry whose key is the longest prefix of `key` (`key` itself
    /// included), if any: the routing-table query, as in "which configured
    /// directory covers this file?".
    ///
    /// The default needs only [`range`](OrderedMap::range): the greatest key at
    /// most `key` is either a prefix of `key`, and then the longest one present,
    /// or it shares only its first `m` bytes with `key`, and then no prefix of
    /// `key` longer than `m` bytes is present. So each step is one seek that
    /// shortens the query, and a lookup costs as many seeks as there are stored
    /// keys branching off along `key`, not one per byte. On a map shared between
    /// threads each seek sees the map as it is at that moment.
    ///
    /// ```
    /// use memkv_core::{OrderedMap, OrderedMapMut, SimpleKV};
    ///
    /// let mut routes: SimpleKV<u64> = SimpleKV::new();
    /// routes.insert("/usr/", 1);
    /// routes.insert("/usr/share/doc/", 2);
    /// routes.insert("/usr/share/docs", 3);
    /// let (key, value) = routes.longest_prefix("/usr/share/doc/bash/README").unwrap();
    /// assert_eq!((key.as_ref(), *value), (&b"/usr/share/doc/"[..], 2));
    /// assert_eq!(routes.longest_prefix("/usr/lib/x").map(|(_, v)| *v), Some(1));
    /// assert!(routes.longest_prefix("/etc/hosts").is_none());
    /// ```
    fn longest_prefix(
        &self,
        key: impl AsRef<[u8]>,
    ) -> Option<(Self::KeyRef<'_>, Self::ValueRef<'_>)> {
        longest_prefix_by_seeks(key.as_ref(), |query| {
            self.range::<(Bound<&[u8]>, Bound<&[u8]>)>((Bound::Unbounded, Bound::Included(query)))
                .next_back()
        })
    }

    /// Every entry whose key is a prefix of `key` (`key` itself included),
    /// shortest first, with the keys borrowed from `key`: all the rules along a
    /// path, every route a URL passes through.
    ///
    /// The default asks [`longest_prefix`](OrderedMap::longest_prefix) for the
    /// longest, then for the longest strictly shorter one, and so on: one query per
    /// entry found, plus one that finds nothing. Trees walk `key` once instead.
    ///
    /// ```
    /// use memkv_core::{OrderedMap, OrderedMapMut, SimpleKV};
    ///
    /// let mut rules: SimpleKV<u64> = SimpleKV::new();
    /// rules.insert("", 0);
    /// rules.insert("/usr/", 1);
    /// rules.insert("/usr/share/", 2);
    /// rules.insert("/usr/shared", 3);
    /// let found = rules.common_prefixes(b"/usr/share/doc/README");
    /// let found: Vec<(&[u8], u64)> = found.into_iter().map(|(k, v)| (k, *v)).collect();
    /// assert_eq!(found, [(&b""[..], 0), (b"/usr/", 1), (b"/usr/share/", 2)]);
    /// ```
    fn common_prefixes<'a, 'k>(&'a self, key: &'k [u8]) -> Vec<(&'k [u8], Self::ValueRef<'a>)> {
        prefixes_by_longest(key, |query| {
            self.longest_prefix(query)
                .map(|(k, v)| (k.as_ref().len(), v))
        })
    }

    /// Heap bytes owned by the structure (keys, values, nodes, and the spare capacity
    /// of its buffers). Each implementation documents whether the figure is exact or
    /// an estimate.
    fn memory_usage(&self) -> usize;
}

/// Every entry whose key is a prefix of `key`, shortest first, given `longest`,
/// which returns the length and value of the longest stored prefix of its
/// argument (see [`OrderedMap::common_prefixes`]).
pub(crate) fn prefixes_by_longest<T>(
    key: &[u8],
    mut longest: impl FnMut(&[u8]) -> Option<(usize, T)>,
) -> Vec<(&[u8], T)> {
    let mut found = Vec::new();
    let mut query = key;
    while let Some((len, value)) = longest(query) {
        found.push((&key[..len], value));
        let Some(shorter) = len.checked_sub(1) else {
            break;
        };
        query = &key[..shorter];
    }
    found.reverse();
    found
}

/// The entry whose key is the longest prefix of `key`, given `seek`, which
/// returns the entry with the greatest key at most its argument (see
/// [`OrderedMap::longest_prefix`] for why this takes few seeks).
pub(crate) fn longest_prefix_by_seeks<K: AsRef<[u8]>, T>(
    key: &[u8],
    mut seek: impl FnMut(&[u8]) -> Option<(K, T)>,
) -> Option<(K, T)> {
    let mut len = key.len();
    loop {
        let query = &key[..len];
        let (found, value) = seek(query)?;
        let shared = found
            .as_ref()
            .iter()
            .zip(query)
            .take_while(|(x, y)| x == y)
            .count();
        if shared == found.as_ref().len() {
            return Some((found, value));
        }
        // `found` < `query` and it is not a prefix of it, so they differ at
        // `shared`, which is shorter than both: the query strictly shrinks.
        len = shared;
    }
}

/// Write operations of an ordered map.
pub trait OrderedMapMut: OrderedMap {
    /// Stores `value` under `key`, returning the value it replaces.
    fn insert(&mut self, key: impl AsRef<[u8]>, value: Self::Value) -> Option<Self::Value>;

    /// Removes `key`, returning its value.
    fn remove(&mut self, key: impl AsRef<[u8]>) -> Option<Self::Value>;

    /// Removes and returns the entry with the smallest key.
    ///
    /// The default finds the key with [`iter`](OrderedMap::iter), then removes
    /// it: two descents. On a map other threads write to between the two, it
    /// tries again with the new first key.
    fn pop_first(&mut self) -> Option<(Vec<u8>, Self::Value)> {
        loop {
            let key = self.iter().next()?.0.as_ref().to_vec();
            if let Some(value) = self.remove(&key) {
                return Some((key, value));
            }
        }
    }

    /// Removes and returns the entry with the largest key (see
    /// [`pop_first`](OrderedMapMut::pop_first)).
    fn pop_last(&mut self) -> Option<(Vec<u8>, Self::Value)> {
        loop {
            let key = self.iter().next_back()?.0.as_ref().to_vec();
            if let Some(value) = self.remove(&key) {
                return Some((key, value));
            }
        }
    }

    /// Keeps only the entries for which `keep(key, value)` is true, calling it
    /// once per entry in key order; returns how many entries it removed.
    ///
    /// Unlike `BTreeMap::retain`, `keep` sees the value through `&`: not every map
    /// can lend its values mutably (a frozen layer's are encoded in its FST). The
    /// default scans once, noting the keys to drop, then removes them one by one,
    /// so it holds those keys in memory meanwhile.
    ///
    /// ```
    /// use memkv_core::{OrderedMap, OrderedMapMut, SimpleKV};
    ///
    /// let mut hits: SimpleKV<u64> = SimpleKV::new();
    /// hits.insert("/a", 3);
    /// hits.insert("/b", 0);
    /// hits.insert("/c", 0);
    /// assert_eq!(hits.retain(|_, &n| n > 0), 2);
    /// assert_eq!(hits.iter().map(|(k, _)| k.to_vec()).collect::<Vec<_>>(), [b"/a"]);
    /// ```
    fn retain(&mut self, mut keep: impl FnMut(&[u8], &Self::Value) -> bool) -> usize {
        let doomed: Vec<Vec<u8>> = self
            .iter()
            .filter(|(k, v)| !keep(k.as_ref(), v.borrow()))
            .map(|(k, _)| k.as_ref().to_vec())
            .collect();
        doomed.iter().filter(|k| self.remove(k).is_some()).count()
    }
}

/// A structure that can verify its own internal invariants.
///
/// Tests call it after every step of the conformance suite. It is meant to be
/// thorough, not fast (typically a full traversal).
pub trait CheckInvariants {
    /// `Err` with a description of the first violation found.
    fn check_invariants(&self) -> Result<(), String>;
}
