//! `MemKV`: the thread-safe map.

use std::fmt;
use std::marker::PhantomData;
use std::ops::{ControlFlow, RangeBounds};
use std::path::Path;

use memkv_core::{KeyBounds, OrderedMap, OrderedMapMut, Result, SharedMap};
use memkv_hybrid::{HybridConfig, HybridStore};

/// A thread-safe ordered map from byte strings to `V`.
///
/// All operations take `&self`, so a `MemKV` can be shared by reference or in an
/// `Arc`; readers run concurrently. Values come back by clone and scans come back as
/// owned snapshots, so nothing a caller holds blocks a writer.
///
/// The storage engine `E` is pluggable. The default, [`HybridStore`], keeps recent
/// writes in a small mutable delta and everything else in compact FST segments that a
/// background thread merges, so memory stays close to a frozen FST's while the map
/// takes writes; readers never wait for a merge. Any other [`SharedMap`] works too,
/// for example `Locked<SimpleKV<V>>` (a `BTreeMap` behind a reader-writer lock).
///
/// ```
/// use std::sync::Arc;
/// use memkv::MemKV;
///
/// let kv: Arc<MemKV<u64>> = Arc::new(MemKV::new());
/// let writer = {
///     let kv = Arc::clone(&kv);
///     std::thread::spawn(move || {
///         for i in 0..100u64 {
///             kv.insert(format!("user:{i:04}"), i);
///         }
///     })
/// };
/// writer.join().unwrap();
/// assert_eq!(kv.get("user:0042"), Some(42));
/// assert_eq!(kv.prefix_scan("user:009").count(), 10);
/// ```
pub struct MemKV<V, E = HybridStore<V>> {
    engine: E,
    _values: PhantomData<fn() -> V>,
}

impl<V, E: fmt::Debug> fmt::Debug for MemKV<V, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemKV")
            .field("engine", &self.engine)
            .finish()
    }
}

impl<V, E: SharedMap<Value = V> + Default> Default for MemKV<V, E> {
    fn default() -> Self {
        MemKV::with_engine(E::default())
    }
}

impl<V, E: SharedMap<Value = V> + Default> MemKV<V, E> {
    /// An empty map on the default engine.
    pub fn new() -> Self {
        Self::default()
    }
}

impl<V, E: SharedMap<Value = V>> MemKV<V, E> {
    /// A map on the given engine.
    pub fn with_engine(engine: E) -> Self {
        MemKV {
            engine,
            _values: PhantomData,
        }
    }

    /// The engine.
    pub fn engine(&self) -> &E {
        &self.engine
    }

    /// Stores `value` under `key`, returning the value it replaces.
    pub fn insert(&self, key: impl AsRef<[u8]>, value: V) -> Option<V> {
        self.engine.insert(key.as_ref(), value)
    }

    /// Removes `key`, returning its value.
    pub fn remove(&self, key: impl AsRef<[u8]>) -> Option<V> {
        self.engine.remove(key.as_ref())
    }

    /// Sets `key`'s value to `f(its current value)` atomically: `Some(v)` stores
    /// `v`, `None` removes the key (or leaves it absent). Returns the value the key
    /// has now. Threads updating one key never lose each other's updates. `f` runs
    /// while other writers wait: keep it short, and do not use this map inside it.
    ///
    /// ```
    /// let hits: memkv::MemKV<u64> = memkv::MemKV::new();
    /// std::thread::scope(|s| {
    ///     for _ in 0..4 {
    ///         s.spawn(|| {
    ///             for _ in 0..1000 {
    ///                 hits.update("/index.html", |n| Some(n.copied().unwrap_or(0) + 1));
    ///             }
    ///         });
    ///     }
    /// });
    /// assert_eq!(hits.get("/index.html"), Some(4000));
    /// ```
    pub fn update(
        &self,
        key: impl AsRef<[u8]>,
        f: impl FnOnce(Option<&V>) -> Option<V>,
    ) -> Option<V> {
        self.engine.update(key.as_ref(), f)
    }

    /// A copy of the value stored under `key`.
    pub fn get(&self, key: impl AsRef<[u8]>) -> Option<V> {
        self.engine.get(key.as_ref())
    }

    /// Whether `key` is present.
    pub fn contains_key(&self, key: impl AsRef<[u8]>) -> bool {
        self.engine.contains_key(key.as_ref())
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        self.engine.len()
    }

    /// Whether there are no entries.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The entries within `range`, in key order, as of this call: later writes and
    /// compactions do not change what the iterator yields, and it holds no lock. The
    /// hybrid engine walks its segments lazily (a scan of millions of entries copies
    /// nothing up front); a locked engine copies the range out.
    pub fn range<R: RangeBounds<[u8]>>(&self, range: R) -> E::Scan {
        self.engine.scan(&KeyBounds::from_range(&range))
    }

    /// Calls `f` on the entries within `range`, in key order, as of this call, until
    /// it returns `Break`. On the hybrid engine it lends each key from the scan's
    /// buffers instead of handing out a `Vec<u8>` per entry as
    /// [`range`](MemKV::range) does; it sees the same snapshot, and `f` runs with no
    /// lock held, so it may use the map.
    ///
    /// ```
    /// use std::ops::ControlFlow;
    /// use memkv::{KeyBounds, MemKV};
    ///
    /// let kv: MemKV<u64> = MemKV::new();
    /// kv.insert("/usr/bin/ls", 140);
    /// kv.insert("/usr/bin/cp", 150);
    /// kv.insert("/usr/lib/x", 9);
    /// let mut total = 0;
    /// kv.for_each_in(KeyBounds::prefix(b"/usr/"), |key, size| {
    ///     if key.starts_with(b"/usr/lib/") {
    ///         return ControlFlow::Break(());
    ///     }
    ///     total += size;
    ///     ControlFlow::Continue(())
    /// });
    /// assert_eq!(total, 290);
    /// ```
    pub fn for_each_in<R: RangeBounds<[u8]>>(
        &self,
        range: R,
        f: impl FnMut(&[u8], &V) -> ControlFlow<()>,
    ) {
        self.engine.for_each_in(&KeyBounds::from_range(&range), f);
    }

    /// The entries whose keys start with `prefix`, in key order, as of this call
    /// (see [`range`](MemKV::range)).
    pub fn prefix_scan(&self, prefix: impl AsRef<[u8]>) -> E::Scan {
        self.engine.scan(&KeyBounds::prefix(prefix.as_ref()))
    }

    /// The entry whose key is the longest prefix of `key` (`key` itself
    /// included), as of this call: which stored path covers this file, which
    /// route this URL takes.
    ///
    /// ```
    /// let kv: memkv::MemKV<u64> = memkv::MemKV::new();
    /// kv.insert(b"https://example.com/", 1);
    /// kv.insert(b"https://example.com/docs/", 2);
    /// let hit = kv.longest_prefix(b"https://example.com/docs/intro.html");
    /// assert_eq!(hit, Some((b"https://example.com/docs/".to_vec(), 2)));
    /// assert_eq!(kv.longest_prefix(b"https://example.org/"), None);
    /// ```
    pub fn longest_prefix(&self, key: impl AsRef<[u8]>) -> Option<(Vec<u8>, V)> {
        self.engine.longest_prefix(key.as_ref())
    }

    /// Every entry whose key is a prefix of `key` (`key` itself included),
    /// shortest first, with the keys borrowed from `key`: every rule along a
    /// path, every route a URL passes through.
    ///
    /// ```
    /// let kv: memkv::MemKV<u64> = memkv::MemKV::new();
    /// kv.insert(b"https://example.com/", 1);
    /// kv.insert(b"https://example.com/docs/", 2);
    /// kv.insert(b"https://example.com/docs2/", 3);
    /// let found = kv.common_prefixes(b"https://example.com/docs/intro.html");
    /// assert_eq!(found, [(&b"https://example.com/"[..], 1), (&b"https://example.com/docs/"[..], 2)]);
    /// ```
    pub fn common_prefixes<'k>(&self, key: &'k [u8]) -> Vec<(&'k [u8], V)> {
        self.engine.common_prefixes(key)
    }

    /// The entry with the smallest key, as of this call.
    pub fn first(&self) -> Option<(Vec<u8>, V)> {
        self.engine.first()
    }

    /// The entry with the largest key, as of this call.
    pub fn last(&self) -> Option<(Vec<u8>, V)> {
        self.engine.last()
    }

    /// Removes and returns the entry with the smallest key (atomically: two
    /// threads popping at once get different entries).
    pub fn pop_first(&self) -> Option<(Vec<u8>, V)> {
        self.engine.pop_first()
    }

    /// Removes and returns the entry with the largest key (see
    /// [`pop_first`](MemKV::pop_first)).
    pub fn pop_last(&self) -> Option<(Vec<u8>, V)> {
        self.engine.pop_last()
    }

    /// Keeps only the entries for which `keep(key, value)` is true; returns how
    /// many it removed. Writes from other threads may run in between: see the
    /// engine's [`SharedMap::retain`] for what they see.
    ///
    /// ```
    /// let sessions: memkv::MemKV<u64> = memkv::MemKV::new();
    /// sessions.insert("s:alice", 1_700_000_000);
    /// sessions.insert("s:bob", 1_600_000_000);
    /// let now = 1_700_000_100;
    /// assert_eq!(sessions.retain(|_, &seen| now - seen < 3600), 1);
    /// assert_eq!(sessions.pop_first(), Some((b"s:alice".to_vec(), 1_700_000_000)));
    /// assert!(sessions.is_empty());
    /// ```
    pub fn retain(&self, mut keep: impl FnMut(&[u8], &V) -> bool) -> usize {
        self.engine.retain(&mut keep)
    }

    /// All entries, in key order, as of this call (see [`range`](MemKV::range)).
    pub fn iter(&self) -> E::Scan {
        self.engine.scan(&KeyBounds::all())
    }

    /// A copy of all entries, in key order.
    pub fn to_vec(&self) -> Vec<(Vec<u8>, V)> {
        self.engine.collect_range(&KeyBounds::all())
    }

    /// Heap bytes owned by the map (see the engine's documentation for exactness).
    pub fn memory_usage(&self) -> usize {
        self.engine.memory_usage()
    }
}

/// Operations of the default engine.
impl<V: Clone + Send + Sync + 'static> MemKV<V, HybridStore<V>> {
    /// An empty map whose hybrid engine uses `config` (flush threshold, merge ratio,
    /// background compaction).
    pub fn with_config(config: HybridConfig) -> Self {
        MemKV::with_engine(HybridStore::with_config(config))
    }

    /// Merges all pending writes and segments into one compact segment (see
    /// [`HybridStore::compact`]); reads and writes go on meanwhile.
    pub fn compact(&self) -> Result<()> {
        self.engine.compact()
    }

    /// Finishes the background maintenance that is due (merges, freeing replaced
    /// layers), so that the map's memory is its own (see
    /// [`HybridStore::settle`]).
    pub fn settle(&self) -> Result<()> {
        self.engine.settle()
    }
}

/// Persistence, for `u64` values.
impl MemKV<u64, HybridStore<u64>> {
    /// Saves the map into the directory `dir`, atomically: a save cut short leaves
    /// the previous save of `dir` readable.
    pub fn save(&self, dir: impl AsRef<Path>) -> Result<()> {
        self.engine.save(dir)
    }

    /// Opens a map saved by [`save`](MemKV::save), memory-mapping its segments.
    ///
    /// ```
    /// use memkv::MemKV;
    /// # let dir = std::env::temp_dir().join(format!("memkv-doc-{}", std::process::id()));
    /// let kv: MemKV<u64> = MemKV::new();
    /// kv.insert("/etc/hosts", 1);
    /// kv.save(&dir).unwrap();
    /// let reopened = MemKV::open(&dir).unwrap();
    /// assert_eq!(reopened.get("/etc/hosts"), Some(1));
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// ```
    pub fn open(dir: impl AsRef<Path>) -> Result<Self> {
        HybridStore::open(dir).map(MemKV::with_engine)
    }
}

/// The contract, so `MemKV` runs the same conformance suite as every map; its
/// iterators are the engine's snapshot scans (lazy on the hybrid engine).
impl<V: Clone, E: SharedMap<Value = V>> OrderedMap for MemKV<V, E> {
    type Value = V;
    type KeyRef<'a>
        = Vec<u8>
    where
        Self: 'a;
    type ValueRef<'a>
        = V
    where
        Self: 'a;
    type Range<'a>
        = E::Scan
    where
        Self: 'a;

    fn get(&self, key: impl AsRef<[u8]>) -> Option<V> {
        MemKV::get(self, key)
    }
    fn contains_key(&self, key: impl AsRef<[u8]>) -> bool {
        MemKV::contains_key(self, key)
    }
    fn len(&self) -> usize {
        MemKV::len(self)
    }
    fn range<R: RangeBounds<[u8]>>(&self, range: R) -> Self::Range<'_> {
        MemKV::range(self, range)
    }
    fn for_each_in<R: RangeBounds<[u8]>>(
        &self,
        range: R,
        f: impl FnMut(&[u8], &V) -> ControlFlow<()>,
    ) {
        MemKV::for_each_in(self, range, f);
    }
    fn longest_prefix(&self, key: impl AsRef<[u8]>) -> Option<(Vec<u8>, V)> {
        MemKV::longest_prefix(self, key)
    }
    fn common_prefixes<'k>(&self, key: &'k [u8]) -> Vec<(&'k [u8], V)> {
        MemKV::common_prefixes(self, key)
    }
    fn memory_usage(&self) -> usize {
        MemKV::memory_usage(self)
    }
}

impl<V: Clone, E: SharedMap<Value = V>> OrderedMapMut for MemKV<V, E> {
    fn insert(&mut self, key: impl AsRef<[u8]>, value: V) -> Option<V> {
        MemKV::insert(self, key, value)
    }
    fn remove(&mut self, key: impl AsRef<[u8]>) -> Option<V> {
        MemKV::remove(self, key)
    }
    fn pop_first(&mut self) -> Option<(Vec<u8>, V)> {
        MemKV::pop_first(self)
    }
    fn pop_last(&mut self) -> Option<(Vec<u8>, V)> {
        MemKV::pop_last(self)
    }
    fn retain(&mut self, keep: impl FnMut(&[u8], &V) -> bool) -> usize {
        MemKV::retain(self, keep)
    }
}

impl<V, E: SharedMap<Value = V>> SharedMap for MemKV<V, E>
where
    V: Clone,
{
    type Value = V;
    fn insert(&self, key: &[u8], value: V) -> Option<V> {
        self.engine.insert(key, value)
    }
    fn remove(&self, key: &[u8]) -> Option<V> {
        self.engine.remove(key)
    }
    fn update(&self, key: &[u8], f: impl FnOnce(Option<&V>) -> Option<V>) -> Option<V> {
        self.engine.update(key, f)
    }
    fn get(&self, key: &[u8]) -> Option<V> {
        self.engine.get(key)
    }
    fn contains_key(&self, key: &[u8]) -> bool {
        self.engine.contains_key(key)
    }
    fn len(&self) -> usize {
        self.engine.len()
    }
    type Scan = E::Scan;
    fn scan(&self, bounds: &KeyBounds) -> E::Scan {
        self.engine.scan(bounds)
    }
    fn for_each_in(&self, bounds: &KeyBounds, f: impl FnMut(&[u8], &V) -> ControlFlow<()>) {
        self.engine.for_each_in(bounds, f);
    }
    fn longest_prefix(&self, key: &[u8]) -> Option<(Vec<u8>, V)> {
        self.engine.longest_prefix(key)
    }
    fn common_prefixes<'k>(&self, key: &'k [u8]) -> Vec<(&'k [u8], V)> {
        self.engine.common_prefixes(key)
    }
    fn first(&self) -> Option<(Vec<u8>, V)> {
        self.engine.first()
    }
    fn last(&self) -> Option<(Vec<u8>, V)> {
        self.engine.last()
    }
    fn pop_first(&self) -> Option<(Vec<u8>, V)> {
        self.engine.pop_first()
    }
    fn pop_last(&self) -> Option<(Vec<u8>, V)> {
        self.engine.pop_last()
    }
    fn retain(&self, keep: &mut dyn FnMut(&[u8], &V) -> bool) -> usize {
        self.engine.retain(keep)
    }
    fn memory_usage(&self) -> usize {
        self.engine.memory_usage()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn memkv_is_send_and_sync() {
        assert_send_sync::<MemKV<u64>>();
        assert_send_sync::<MemKV<String>>();
        assert_send_sync::<MemKV<u64, memkv_core::Locked<memkv_core::SimpleKV<u64>>>>();
    }

    #[test]
    fn the_default_engine_is_the_hybrid_store() {
        let kv: MemKV<String> = MemKV::new();
        kv.insert(b"k", "v".to_string());
        kv.compact().unwrap();
        kv.insert(b"l", "w".to_string());
        assert_eq!(kv.engine().stats().segments, [1]);
        assert_eq!(kv.get(b"k").as_deref(), Some("v"));
        assert_eq!(kv.to_vec().len(), 2);
    }
}
