//! What the harness needs from a structure under test, and adapters for the
//! baselines and for every map implementing the `memkv_core` traits.

use std::borrow::Borrow;
use std::collections::{BTreeMap, HashMap};
use std::ops::{Bound, ControlFlow, RangeBounds};

use fst::{IntoStreamer, Streamer};
use memkv_core::{KeyBounds, OrderedMap, OrderedMapMut};

/// The read operations the harness times. Operations a structure does not support
/// return `None` and are reported as `null`, never as a number.
pub trait Subject {
    /// The number of entries.
    fn entries(&self) -> usize;
    /// The value of `key`.
    fn lookup(&self, key: &[u8]) -> Option<u64>;
    /// Calls `f` on every entry in key order; `None` when the structure has no
    /// ordered iteration.
    fn scan(&self, f: impl FnMut(&[u8], u64)) -> Option<()>;
    /// Calls `f` on every entry whose key starts with `prefix`, in key order, by
    /// the structure's own prefix scan (or a range bounded by the prefix and its
    /// successor); `None` when it has none.
    fn prefix_scan(&self, prefix: &[u8], f: impl FnMut(&[u8], u64)) -> Option<()>;
    /// The number of entries with keys in `start..end`, counted by walking the
    /// structure's own range iterator; `None` when it has none.
    fn range_count(&self, start: &[u8], end: &[u8]) -> Option<usize>;
    /// The structure's own estimate of its heap bytes, when it has one.
    fn self_reported_bytes(&self) -> Option<u64>;
    /// The length of the longest stored key that is a prefix of `key` (`Some(None)`
    /// when there is none); `None` when the structure has no such query.
    fn longest_prefix_len(&self, _key: &[u8]) -> Option<Option<usize>> {
        None
    }
}

/// `(start, end)` as half-open byte-key bounds.
fn half_open<'a>(start: &'a [u8], end: &'a [u8]) -> (Bound<&'a [u8]>, Bound<&'a [u8]>) {
    (Bound::Included(start), Bound::Excluded(end))
}

/// What one prefix scan yielded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PrefixCount {
    /// Entries yielded.
    pub yielded: usize,
    /// Entries whose keys do not start with the prefix (0 for a correct map).
    pub outside: usize,
}

/// Walks `s`'s prefix scan of `prefix`, reading every key it yields (so each
/// structure pays for delivering its keys, as a caller that uses them does);
/// `None` when `s` has no prefix scan.
pub fn count_prefix<S: Subject>(s: &S, prefix: &[u8]) -> Option<PrefixCount> {
    let mut count = PrefixCount {
        yielded: 0,
        outside: 0,
    };
    s.prefix_scan(prefix, |k, _| {
        count.yielded += 1;
        count.outside += usize::from(!k.starts_with(prefix));
    })?;
    Some(count)
}

/// A structure filled one insert at a time.
pub trait Insertable: Subject {
    /// An empty structure.
    fn empty() -> Self;
    /// Stores `value` under `key`.
    fn put(&mut self, key: &[u8], value: u64);
}

/// `std`'s ordered map, the baseline. It cannot report its own size.
impl Subject for BTreeMap<Vec<u8>, u64> {
    fn entries(&self) -> usize {
        self.len()
    }
    fn lookup(&self, key: &[u8]) -> Option<u64> {
        self.get(key).copied()
    }
    fn scan(&self, mut f: impl FnMut(&[u8], u64)) -> Option<()> {
        self.iter().for_each(|(k, v)| f(k, *v));
        Some(())
    }
    /// A range between the prefix and its successor, as a user who knows the map
    /// writes it: the walk itself reads no key bytes (the caller reads them).
    fn prefix_scan(&self, prefix: &[u8], mut f: impl FnMut(&[u8], u64)) -> Option<()> {
        let end = memkv_core::prefix_successor(prefix);
        let end = end.as_deref().map_or(Bound::Unbounded, Bound::Excluded);
        self.range::<[u8], _>((Bound::Included(prefix), end))
            .for_each(|(k, v)| f(k, *v));
        Some(())
    }
    fn range_count(&self, start: &[u8], end: &[u8]) -> Option<usize> {
        if start >= end {
            return Some(0);
        }
        Some(self.range::<[u8], _>(half_open(start, end)).count())
    }
    fn self_reported_bytes(&self) -> Option<u64> {
        None
    }
}

impl Insertable for BTreeMap<Vec<u8>, u64> {
    fn empty() -> Self {
        BTreeMap::new()
    }
    fn put(&mut self, key: &[u8], value: u64) {
        self.insert(key.to_vec(), value);
    }
}

/// `std`'s hash map: no order, so no scans.
impl Subject for HashMap<Vec<u8>, u64> {
    fn entries(&self) -> usize {
        self.len()
    }
    fn lookup(&self, key: &[u8]) -> Option<u64> {
        self.get(key).copied()
    }
    fn scan(&self, _: impl FnMut(&[u8], u64)) -> Option<()> {
        None
    }
    fn prefix_scan(&self, _: &[u8], _: impl FnMut(&[u8], u64)) -> Option<()> {
        None
    }
    fn range_count(&self, _: &[u8], _: &[u8]) -> Option<usize> {
        None
    }
    fn self_reported_bytes(&self) -> Option<u64> {
        None
    }
}

impl Insertable for HashMap<Vec<u8>, u64> {
    fn empty() -> Self {
        HashMap::new()
    }
    fn put(&mut self, key: &[u8], value: u64) {
        self.insert(key.to_vec(), value);
    }
}

/// A plain `fst::Map`, built the way its documentation shows.
impl Subject for fst::Map<Vec<u8>> {
    fn entries(&self) -> usize {
        self.len()
    }
    fn lookup(&self, key: &[u8]) -> Option<u64> {
        self.get(key)
    }
    fn scan(&self, mut f: impl FnMut(&[u8], u64)) -> Option<()> {
        let mut stream = self.stream();
        while let Some((k, v)) = stream.next() {
            f(k, v);
        }
        Some(())
    }
    fn prefix_scan(&self, prefix: &[u8], mut f: impl FnMut(&[u8], u64)) -> Option<()> {
        let mut stream = self.range().ge(prefix);
        if let Some(end) = memkv_core::prefix_successor(prefix) {
            stream = stream.lt(end);
        }
        let mut stream = stream.into_stream();
        while let Some((k, v)) = stream.next() {
            f(k, v);
        }
        Some(())
    }
    fn range_count(&self, start: &[u8], end: &[u8]) -> Option<usize> {
        let mut stream = self.range().ge(start).lt(end).into_stream();
        let mut n = 0;
        while stream.next().is_some() {
            n += 1;
        }
        Some(n)
    }
    /// The size of the FST bytes (the allocation may be larger: the builder's buffer
    /// keeps its spare capacity).
    fn self_reported_bytes(&self) -> Option<u64> {
        Some(self.as_fst().as_bytes().len() as u64)
    }
}

/// The number of entries of `map` within `range`.
fn count_in<M: OrderedMap>(map: &M, range: impl RangeBounds<[u8]>) -> usize {
    let mut n = 0;
    map.for_each_in(range, |_, _| {
        n += 1;
        ControlFlow::Continue(())
    });
    n
}

/// Any map implementing the `memkv_core` contract.
#[derive(Debug, Default)]
pub struct Ordered<M>(pub M);

impl<M> Subject for Ordered<M>
where
    M: OrderedMap<Value = u64>,
{
    fn entries(&self) -> usize {
        self.0.len()
    }
    fn lookup(&self, key: &[u8]) -> Option<u64> {
        self.0.get(key).map(|v| *v.borrow())
    }
    /// Scans and counts go through `for_each_in`, each map's allocation-free
    /// walk (as fst's are measured through its lending stream).
    fn scan(&self, mut f: impl FnMut(&[u8], u64)) -> Option<()> {
        self.0.for_each_in(KeyBounds::all(), |k, v| {
            f(k, *v);
            ControlFlow::Continue(())
        });
        Some(())
    }
    fn prefix_scan(&self, prefix: &[u8], mut f: impl FnMut(&[u8], u64)) -> Option<()> {
        self.0.for_each_in(KeyBounds::prefix(prefix), |k, v| {
            f(k, *v);
            ControlFlow::Continue(())
        });
        Some(())
    }
    fn range_count(&self, start: &[u8], end: &[u8]) -> Option<usize> {
        if start >= end {
            return Some(0);
        }
        Some(count_in(&self.0, half_open(start, end)))
    }
    fn longest_prefix_len(&self, key: &[u8]) -> Option<Option<usize>> {
        Some(self.0.longest_prefix(key).map(|(k, _)| k.as_ref().len()))
    }
    fn self_reported_bytes(&self) -> Option<u64> {
        Some(self.0.memory_usage() as u64)
    }
}

impl<M> Insertable for Ordered<M>
where
    M: OrderedMapMut<Value = u64> + Default,
{
    fn empty() -> Self {
        Ordered(M::default())
    }
    fn put(&mut self, key: &[u8], value: u64) {
        self.0.insert(key, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::KeySet;
    use crate::workload::Workload;

    fn check<S: Subject>(s: &S, w: &Workload, ordered: bool) {
        assert_eq!(s.entries(), w.len());
        for (k, v) in w.sorted_entries() {
            assert_eq!(s.lookup(k), Some(v));
        }
        assert_eq!(s.lookup(b"zz-absent"), None);
        let mut seen = Vec::new();
        let scanned = s.scan(|k, v| seen.push((k.to_vec(), v)));
        let expected: Vec<(Vec<u8>, u64)> =
            w.sorted_entries().map(|(k, v)| (k.to_vec(), v)).collect();
        if !ordered {
            assert!(scanned.is_none() && count_prefix(s, b"a").is_none());
            assert!(s.range_count(b"a", b"b").is_none());
            return;
        }
        assert_eq!(seen, expected);
        for p in [&b""[..], b"a", b"ab", b"b", b"c", b"\xff"] {
            let expected = PrefixCount {
                yielded: w.keys.count_prefix(p),
                outside: 0,
            };
            assert_eq!(count_prefix(s, p), Some(expected), "prefix {p:?}");
        }
        for (a, b) in [
            (&b"a"[..], &b"b"[..]),
            (b"ab", b"abc"),
            (b"", b"zz"),
            (b"b", b"a"),
        ] {
            let oracle = w.keys.iter().filter(|k| *k >= a && *k < b).count();
            assert_eq!(s.range_count(a, b), Some(oracle), "range {a:?}..{b:?}");
        }
    }

    #[test]
    fn every_adapter_agrees_with_the_oracle() {
        let mut keys = KeySet::new();
        for k in [&b""[..], b"a", b"ab", b"abc", b"abd", b"b", b"ba", b"\xff"] {
            keys.push(k);
        }
        keys.sort_dedup();
        let w = Workload::new(keys);
        let fill = |s: &mut dyn FnMut(&[u8], u64)| w.sorted_entries().for_each(|(k, v)| s(k, v));
        let mut b = BTreeMap::<Vec<u8>, u64>::empty();
        fill(&mut |k, v| b.put(k, v));
        check(&b, &w, true);
        let mut h = HashMap::<Vec<u8>, u64>::empty();
        fill(&mut |k, v| h.put(k, v));
        check(&h, &w, false);
        let f = fst::Map::from_iter(w.sorted_entries()).unwrap();
        check(&f, &w, true);
        assert!(f.self_reported_bytes().unwrap() > 0);
        let mut o = Ordered::<memkv_core::SimpleKV<u64>>::empty();
        fill(&mut |k, v| o.put(k, v));
        check(&o, &w, true);
    }
}
