//! `HybridStore`: the shared state, reads and writes.

use std::fmt;
use std::ops::{ControlFlow, RangeBounds};

use memkv_core::{CheckInvariants, KeyBounds, OrderedMap, OrderedMapMut, Result, SharedMap};

use crate::compact::Worker;
use crate::config::HybridConfig;
use crate::delta::{Delta, Found};
use crate::filter::KeyHash;
use crate::merge::{Cursor, Entry, Merge};
use crate::sync::{self, Arc, Condvar, Mutex, RwLock};
use crate::version::{Layer, Version};

/// What the lock guards: the delta taking writes and the published version under it.
///
/// Keeping both under one lock makes a freeze (moving the delta into the version)
/// a single atomic step for readers: whoever misses a key in the fresh delta is sure
/// to find the old delta in the version. The lock is held for one delta operation
/// or one O(layers) version swap at a time, never for a flush or a merge.
pub(crate) struct State<V> {
    pub(crate) active: Delta<V>,
    pub(crate) version: Arc<Version<V>>,
    /// Live keys, kept exact by the writers.
    pub(crate) len: usize,
}

/// Everything the store's handle and its background thread share.
pub(crate) struct Shared<V> {
    pub(crate) state: RwLock<State<V>>,
    /// Held for a whole compaction or save: only its holder replaces layers of
    /// `State::version` (writers only add frozen deltas in front).
    pub(crate) compaction: Mutex<()>,
    /// Replaced versions, freed by the compacting thread once no reader holds them.
    pub(crate) graveyard: Mutex<Vec<Arc<Version<V>>>>,
    pub(crate) worker: Mutex<Worker>,
    /// Wakes the background thread.
    pub(crate) wake: Condvar,
    /// Wakes writers held back by a full delta.
    pub(crate) frozen: Condvar,
    pub(crate) config: HybridConfig,
    /// The number of keys a delta's filter is sized for.
    pub(crate) delta_keys: usize,
}

/// An ordered map from byte strings to `V` made of a small mutable delta over a stack
/// of compact immutable FST segments, for memory close to a frozen FST's with
/// updates at any time.
///
/// Writes go to the delta (values, or tombstones for removals). When it passes the
/// flush threshold, a background thread freezes it (a fresh delta takes new writes
/// at once), merges it with the newest segments and publishes the new segment set;
/// readers and writers go on meanwhile, and readers never wait for a merge. Scans
/// are ordered k-way merges of all layers and see the store as of their start.
///
/// All methods take `&self`; share the store by reference or in an `Arc`.
///
/// ```
/// use memkv_hybrid::HybridStore;
/// let store: HybridStore<u64> = HybridStore::new();
/// store.insert(b"/usr/bin/python3", 1);
/// store.insert(b"/usr/bin/perl", 2);
/// store.compact().unwrap();
/// store.remove(b"/usr/bin/perl");
/// assert_eq!(store.get(b"/usr/bin/python3"), Some(1));
/// let keys: Vec<Vec<u8>> = store.prefix_scan(b"/usr/bin/").map(|(k, _)| k).collect();
/// assert_eq!(keys, [b"/usr/bin/python3".to_vec()]);
/// ```
pub struct HybridStore<V> {
    pub(crate) shared: Arc<Shared<V>>,
    pub(crate) thread: Mutex<Option<sync::thread::JoinHandle<()>>>,
}

/// A snapshot scan of a [`HybridStore`]: entries within bounds, in key order,
/// double-ended.
pub struct HybridRange<V> {
    merge: Merge<V>,
    /// The version scanned: held so that the layers it reads are freed by the
    /// compacting thread after the scan, not by the scan's owner.
    _version: Arc<Version<V>>,
}

impl<V> fmt::Debug for HybridRange<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HybridRange").finish_non_exhaustive()
    }
}

impl<V: Clone + 'static> HybridRange<V> {
    /// The next live entry from the front, its key and value lent until the next
    /// call: no allocation per entry (the `Iterator` methods copy the key into a
    /// `Vec<u8>` and clone the value).
    pub fn next_ref(&mut self) -> Option<(&[u8], &V)> {
        self.lend(false)
    }

    /// The next live entry from the back, lent until the next call.
    pub fn next_back_ref(&mut self) -> Option<(&[u8], &V)> {
        self.lend(true)
    }

    /// Advances the merge past tombstones to the next live entry; returns the
    /// source holding it.
    fn advance_live(&mut self, from_back: bool) -> Option<usize> {
        loop {
            let source = self.merge.advance(from_back)?;
            if self.merge.popped(source).1.is_some() {
                return Some(source);
            }
        }
    }

    fn lend(&mut self, from_back: bool) -> Option<(&[u8], &V)> {
        let source = self.advance_live(from_back)?;
        let (key, value) = self.merge.popped(source);
        value.map(|v| (key, v))
    }

    fn take(&mut self, from_back: bool) -> Option<(Vec<u8>, V)> {
        let source = self.advance_live(from_back)?;
        let (key, value) = self.merge.take_popped(source);
        value.map(|v| (key, v))
    }
}

impl<V: Clone + 'static> Iterator for HybridRange<V> {
    type Item = (Vec<u8>, V);

    fn next(&mut self) -> Option<(Vec<u8>, V)> {
        self.take(false)
    }
}

impl<V: Clone + 'static> DoubleEndedIterator for HybridRange<V> {
    fn next_back(&mut self) -> Option<(Vec<u8>, V)> {
        self.take(true)
    }
}

/// Calls `f` on the live entries of `scan` until it breaks.
fn for_each_lent<V: Clone + 'static>(
    mut scan: HybridRange<V>,
    mut f: impl FnMut(&[u8], &V) -> ControlFlow<()>,
) {
    while let Some((key, value)) = scan.next_ref() {
        if f(key, value).is_break() {
            return;
        }
    }
}

/// Sizes of a store's layers, for tests and tuning.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct HybridStats {
    /// Live keys.
    pub len: usize,
    /// Entries (values and tombstones) in the delta taking writes.
    pub delta_entries: usize,
    /// Deltas frozen and waiting to become a segment.
    pub frozen_deltas: usize,
    /// Entries (live keys plus tombstones) of each segment, newest first.
    pub segments: Vec<usize>,
}

impl<V: Clone + Send + Sync + 'static> Default for HybridStore<V> {
    fn default() -> Self {
        HybridStore::new()
    }
}

impl<V> fmt::Debug for HybridStore<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let st = sync::read(&self.shared.state);
        f.debug_struct("HybridStore")
            .field("len", &st.len)
            .field("layers", &st.version.layers.len())
            .field("config", &self.shared.config)
            .finish_non_exhaustive()
    }
}

impl<V: Clone + Send + Sync + 'static> HybridStore<V> {
    /// An empty store with the default [`HybridConfig`].
    pub fn new() -> HybridStore<V> {
        HybridStore::with_config(HybridConfig::default())
    }

    /// An empty store.
    pub fn with_config(config: HybridConfig) -> HybridStore<V> {
        HybridStore::from_parts(config, Version::default(), 0)
    }

    pub(crate) fn from_parts(
        config: HybridConfig,
        version: Version<V>,
        len: usize,
    ) -> HybridStore<V> {
        // A delta holds at least ~24 bytes per key in its tree, and grows to the
        // stall point before it is frozen when flushes lag.
        let delta_keys = config.flush_threshold.saturating_mul(config.stall_factor) / 24;
        HybridStore {
            shared: Arc::new(Shared {
                state: RwLock::new(State {
                    active: Delta::new(delta_keys),
                    version: Arc::new(version),
                    len,
                }),
                delta_keys,
                compaction: Mutex::new(()),
                graveyard: Mutex::new(Vec::new()),
                worker: Mutex::new(Worker::default()),
                wake: Condvar::new(),
                frozen: Condvar::new(),
                config,
            }),
            thread: Mutex::new(None),
        }
    }

    /// The value stored under `key`.
    pub fn get(&self, key: impl AsRef<[u8]>) -> Option<V> {
        let key = key.as_ref();
        let hash = KeyHash::of(key);
        let version = {
            let st = sync::read(&self.shared.state);
            st.version.prefetch_filters(hash);
            match st.active.find_hashed(key, hash) {
                Found::Value(v) => return Some(v),
                Found::Deleted => return None,
                Found::Absent => Arc::clone(&st.version),
            }
        };
        version.get(key, hash)
    }

    /// Whether `key` is present.
    pub fn contains_key(&self, key: impl AsRef<[u8]>) -> bool {
        self.get(key).is_some()
    }

    /// The entry whose key is the longest prefix of `key` (`key` itself
    /// included), if any: the last of
    /// [`common_prefixes`](HybridStore::common_prefixes).
    pub fn longest_prefix(&self, key: impl AsRef<[u8]>) -> Option<(Vec<u8>, V)> {
        let key = key.as_ref();
        let (n, value) = self.prefix_entries(key).pop()?;
        Some((key[..n].to_vec(), value))
    }

    /// Every entry whose key is a prefix of `key` (`key` itself included),
    /// shortest first, with the keys borrowed from `key`, as of one moment.
    ///
    /// Each layer lists its keys that are prefixes of `key` with what it holds
    /// for them, a value or a tombstone (one walk down the delta, one FST walk
    /// per segment run a prefix falls in), and the newest layer that lists a key
    /// decides: no lookup afterwards, and no copy of the delta (the generic
    /// [`OrderedMap::longest_prefix`] would copy part of it on every seek, as a
    /// scan's snapshot does).
    ///
    /// ```
    /// use memkv_hybrid::HybridStore;
    ///
    /// let store: HybridStore<u64> = HybridStore::new();
    /// store.insert("/usr/", 1);
    /// store.insert("/usr/lib/", 2);
    /// store.insert("/usr/lib32/", 3);
    /// let found = store.common_prefixes(b"/usr/lib/os-release");
    /// assert_eq!(found, [(&b"/usr/"[..], 1), (&b"/usr/lib/"[..], 2)]);
    /// ```
    pub fn common_prefixes<'k>(&self, key: &'k [u8]) -> Vec<(&'k [u8], V)> {
        let found = self.prefix_entries(key).into_iter();
        found.map(|(n, value)| (&key[..n], value)).collect()
    }

    /// The live entries whose keys are prefixes of `key`, as lengths and
    /// values, shortest first (see [`common_prefixes`](HybridStore::common_prefixes)).
    fn prefix_entries(&self, key: &[u8]) -> Vec<(usize, V)> {
        let mut listed = Vec::new();
        // The delta and the version under one read lock: one moment's store.
        let version = {
            let st = sync::read(&self.shared.state);
            st.active.prefixes(key, &mut listed);
            Arc::clone(&st.version)
        };
        version.prefixes(key, &mut listed);
        // Listed newest layer first; a stable sort keeps that order among the
        // entries of one key, and `dedup` keeps the first, the newest.
        listed.sort_by_key(|&(n, _)| n);
        listed.dedup_by_key(|&mut (n, _)| n);
        listed
            .into_iter()
            .filter_map(|(n, value)| Some((n, value?)))
            .collect()
    }

    /// Stores `value` under `key`, returning the value it replaces.
    pub fn insert(&self, key: impl AsRef<[u8]>, value: V) -> Option<V> {
        self.write(key.as_ref(), Some(value))
    }

    /// Removes `key`, returning its value.
    pub fn remove(&self, key: impl AsRef<[u8]>) -> Option<V> {
        self.write(key.as_ref(), None)
    }

    /// Sets `key`'s value to `f(its current value)` in one atomic step: `Some(v)`
    /// stores `v`, `None` removes the key (or leaves it absent). Returns the value
    /// the key has now. No other write to the store runs in between, so concurrent
    /// updates of one key are never lost.
    ///
    /// `f` runs under the store's write lock: keep it short, and do not touch the
    /// store from inside it (that would deadlock).
    ///
    /// ```
    /// use memkv_hybrid::HybridStore;
    ///
    /// let hits: HybridStore<u64> = HybridStore::new();
    /// let bump = |n: Option<&u64>| Some(n.copied().unwrap_or(0) + 1);
    /// assert_eq!(hits.update("/index.html", bump), Some(1));
    /// hits.compact().unwrap();
    /// assert_eq!(hits.update("/index.html", bump), Some(2));
    /// assert_eq!(hits.update("/index.html", |_| None), None);
    /// assert!(hits.is_empty());
    /// ```
    pub fn update(
        &self,
        key: impl AsRef<[u8]>,
        f: impl FnOnce(Option<&V>) -> Option<V>,
    ) -> Option<V> {
        let mut now = None;
        self.write_with(key.as_ref(), true, |current| {
            now = f(current);
            now.clone()
        });
        now
    }

    /// Applies a write (`None` removes) and returns the value it replaces.
    fn write(&self, key: &[u8], entry: Option<V>) -> Option<V> {
        self.write_with(key, false, |_| entry)
    }

    /// Writes `compute(current value)` under `key` (`None` removes) and returns
    /// the value it replaces. Only when `peek` does `compute` see the current
    /// value (found by the same walk of the delta that stores the result);
    /// otherwise it gets `None`.
    fn write_with(
        &self,
        key: &[u8],
        peek: bool,
        compute: impl FnOnce(Option<&V>) -> Option<V>,
    ) -> Option<V> {
        // Look the key up in the published layers before taking the write lock, so
        // readers are not held up by it; the answer is reused if the version is still
        // the same once the lock is held (it is, unless a flush froze the delta).
        let hash = KeyHash::of(key);
        let (seen, full) = {
            let st = sync::read(&self.shared.state);
            let full = st.active.map_bytes() >= self.shared.config.flush_threshold
                && !st.version.has_delta();
            (Arc::clone(&st.version), full)
        };
        // The delta that replaces a full one is made here, with no lock held.
        let mut fresh = full.then(|| self.shared.new_delta());
        seen.prefetch_filters(hash);
        let below = seen.get(key, hash);
        let mut st = sync::write(&self.shared.state);
        let below = if Arc::ptr_eq(&seen, &st.version) {
            below
        } else {
            // Rare: a flush or a merge was published meanwhile.
            st.version.get(key, hash)
        };
        let (old, removing) = if peek {
            // One walk of the delta finds the current value and stores the new.
            match st.active.update(key, hash, below.as_ref(), compute) {
                Some((found, removing)) => (found, removing),
                None => {
                    // Removing an absent key changes nothing.
                    drop(st);
                    drop(fresh);
                    return None;
                }
            }
        } else {
            let entry = compute(None);
            let removing = entry.is_none();
            // The entry it replaces tells whether the delta already knew the key.
            let found = st.active.put(key, hash, entry);
            if removing && below.is_none() {
                // Nothing under the delta holds the key: no tombstone is needed.
                st.active.forget(key);
            }
            (found, removing)
        };
        let old = match old {
            Found::Value(v) => Some(v),
            Found::Deleted => None,
            Found::Absent => below,
        };
        match (removing, old.is_some()) {
            (false, false) => st.len += 1,
            // Saturating: a store opened from a forged manifest may start with a
            // count that is short of its keys (`open` checks it against bounds
            // only), which must make `len` wrong, never a panic.
            (true, true) => st.len = st.len.saturating_sub(1),
            _ => {}
        }
        let action = self.after_write_locked(&mut st, &mut fresh);
        drop(st);
        drop(fresh);
        self.after_write(action);
        old
    }

    /// The number of live keys.
    pub fn len(&self) -> usize {
        sync::read(&self.shared.state).len
    }

    /// Whether the store is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The entries within `range`, in key order, as of now; later writes and
    /// compactions do not change what the scan returns.
    pub fn range<R: RangeBounds<[u8]>>(&self, range: R) -> HybridRange<V> {
        self.scan(KeyBounds::from_range(&range))
    }

    /// All entries in key order.
    pub fn iter(&self) -> HybridRange<V> {
        self.scan(KeyBounds::all())
    }

    /// The entries whose keys start with `prefix`, in key order.
    pub fn prefix_scan(&self, prefix: impl AsRef<[u8]>) -> HybridRange<V> {
        self.scan(KeyBounds::prefix(prefix.as_ref()))
    }

    fn scan(&self, bounds: KeyBounds) -> HybridRange<V> {
        let (delta, version, _) = self.snapshot(&bounds);
        let mut sources = vec![Cursor::from_sorted(delta)];
        sources.extend(version.cursors(&bounds));
        HybridRange {
            merge: Merge::new(sources),
            _version: version,
        }
    }

    /// The delta's entries within `bounds`, the version under it and the length, all
    /// as of one moment. The delta is copied (it is small and mutable); the version is
    /// shared.
    fn snapshot(&self, bounds: &KeyBounds) -> (Vec<Entry<V>>, Arc<Version<V>>, usize) {
        let st = sync::read(&self.shared.state);
        (
            st.active.entries(bounds, usize::MAX, false),
            Arc::clone(&st.version),
            st.len,
        )
    }

    /// Heap bytes of the delta and all segments (see [`OrderedMap::memory_usage`]
    /// of the delta map and of `FrozenLayer` for what each counts).
    ///
    /// Work in flight is not counted: while a merge runs, its buffers and the
    /// layers it replaces (until no reader holds them) sit beside the store, so
    /// the process holds more than this, up to about twice as much just after a
    /// burst of writes (1M Debian paths inserted: 49 MB allocated, this figure
    /// 33 MB; 25 MB and 24.8 MB once settled). [`settle`](HybridStore::settle)
    /// finishes that work.
    pub fn memory_usage(&self) -> usize {
        let (active, version) = {
            let st = sync::read(&self.shared.state);
            (st.active.memory_usage(), Arc::clone(&st.version))
        };
        active + version.memory_usage()
    }

    /// The sizes of the layers right now.
    pub fn stats(&self) -> HybridStats {
        let st = sync::read(&self.shared.state);
        HybridStats {
            len: st.len,
            delta_entries: st.active.len(),
            frozen_deltas: st.version.deltas().count(),
            segments: st.version.segments().map(|s| s.entry_count()).collect(),
        }
    }

    /// Merges the delta and every segment into a single segment without tombstones:
    /// the smallest and fastest form of the store. Reads and writes go on while it
    /// runs; writes made meanwhile stay in the new delta.
    ///
    /// An error (the FST builder failing, which only an internal bug or exhausted
    /// capacity can cause) leaves every entry readable where it was.
    pub fn compact(&self) -> Result<()> {
        self.shared.compact_all()
    }

    /// Finishes the maintenance that is due: waits for a merge in progress, then
    /// flushes frozen deltas, runs the merges the policy asks for and frees the
    /// replaced layers no reader holds, in this thread. The active delta stays
    /// as it is (unlike [`flush`](HybridStore::flush)). Afterwards the store's
    /// memory is its own, with no merge buffers or replaced layers beside it:
    /// what to call before measuring it, or when a burst of writes is over.
    ///
    /// ```
    /// use memkv_hybrid::{HybridConfig, HybridStore};
    ///
    /// let store: HybridStore<u64> =
    ///     HybridStore::with_config(HybridConfig::default().flush_threshold(64 << 10));
    /// for i in 0..20_000u64 {
    ///     store.insert(format!("/srv/data/{i:06}"), i);
    /// }
    /// store.settle().unwrap();
    /// assert_eq!(store.stats().frozen_deltas, 0);
    /// assert_eq!(store.len(), 20_000);
    /// ```
    pub fn settle(&self) -> Result<()> {
        self.shared.maintain()
    }

    /// Freezes the delta, flushes it into a segment and runs the merges the merge
    /// policy asks for (see [`HybridConfig::merge_ratio`]), the way the background
    /// thread does, in this thread.
    pub fn flush(&self) -> Result<()> {
        self.shared.freeze();
        self.shared.maintain()
    }
}

impl<V: Clone + Send + Sync + 'static> SharedMap for HybridStore<V> {
    type Value = V;

    fn insert(&self, key: &[u8], value: V) -> Option<V> {
        HybridStore::insert(self, key, value)
    }
    fn remove(&self, key: &[u8]) -> Option<V> {
        HybridStore::remove(self, key)
    }
    fn update(&self, key: &[u8], f: impl FnOnce(Option<&V>) -> Option<V>) -> Option<V> {
        HybridStore::update(self, key, f)
    }
    fn get(&self, key: &[u8]) -> Option<V> {
        HybridStore::get(self, key)
    }
    fn contains_key(&self, key: &[u8]) -> bool {
        HybridStore::contains_key(self, key)
    }
    fn len(&self) -> usize {
        HybridStore::len(self)
    }
    /// Lazy: the delta's part is copied, the segments are walked as the scan goes.
    type Scan = HybridRange<V>;
    fn scan(&self, bounds: &KeyBounds) -> HybridRange<V> {
        HybridStore::scan(self, bounds.clone())
    }
    fn for_each_in(&self, bounds: &KeyBounds, f: impl FnMut(&[u8], &V) -> ControlFlow<()>) {
        for_each_lent(self.scan(bounds.clone()), f);
    }
    fn longest_prefix(&self, key: &[u8]) -> Option<(Vec<u8>, V)> {
        HybridStore::longest_prefix(self, key)
    }
    fn common_prefixes<'k>(&self, key: &'k [u8]) -> Vec<(&'k [u8], V)> {
        HybridStore::common_prefixes(self, key)
    }
    fn first(&self) -> Option<(Vec<u8>, V)> {
        HybridStore::first(self)
    }
    fn last(&self) -> Option<(Vec<u8>, V)> {
        HybridStore::last(self)
    }
    fn pop_first(&self) -> Option<(Vec<u8>, V)> {
        HybridStore::pop_first(self)
    }
    fn pop_last(&self) -> Option<(Vec<u8>, V)> {
        HybridStore::pop_last(self)
    }
    fn memory_usage(&self) -> usize {
        HybridStore::memory_usage(self)
    }
}

/// The read contract; values are returned by clone, keys as owned buffers (segment
/// keys are rebuilt from the FST).
impl<V: Clone + Send + Sync + 'static> OrderedMap for HybridStore<V> {
    type Value = V;
    type KeyRef<'a>
        = Vec<u8>
    where
        V: 'a;
    type ValueRef<'a>
        = V
    where
        V: 'a;
    type Range<'a>
        = HybridRange<V>
    where
        V: 'a;

    fn get(&self, key: impl AsRef<[u8]>) -> Option<V> {
        HybridStore::get(self, key)
    }
    fn contains_key(&self, key: impl AsRef<[u8]>) -> bool {
        HybridStore::contains_key(self, key)
    }
    fn len(&self) -> usize {
        HybridStore::len(self)
    }
    fn range<R: RangeBounds<[u8]>>(&self, range: R) -> HybridRange<V> {
        HybridStore::range(self, range)
    }
    /// Walks the scan's lent entries: no `Vec<u8>` per entry.
    fn for_each_in<R: RangeBounds<[u8]>>(
        &self,
        range: R,
        f: impl FnMut(&[u8], &V) -> ControlFlow<()>,
    ) {
        for_each_lent(self.range(range), f);
    }
    fn longest_prefix(&self, key: impl AsRef<[u8]>) -> Option<(Vec<u8>, V)> {
        HybridStore::longest_prefix(self, key)
    }
    fn common_prefixes<'k>(&self, key: &'k [u8]) -> Vec<(&'k [u8], V)> {
        HybridStore::common_prefixes(self, key)
    }
    fn memory_usage(&self) -> usize {
        HybridStore::memory_usage(self)
    }
}

/// Writes through `&mut self` forward to the shared methods, so the store runs the
/// conformance suite of mutable maps.
impl<V: Clone + Send + Sync + 'static> OrderedMapMut for HybridStore<V> {
    fn insert(&mut self, key: impl AsRef<[u8]>, value: V) -> Option<V> {
        HybridStore::insert(self, key, value)
    }
    fn remove(&mut self, key: impl AsRef<[u8]>) -> Option<V> {
        HybridStore::remove(self, key)
    }
    fn pop_first(&mut self) -> Option<(Vec<u8>, V)> {
        HybridStore::pop_first(self)
    }
    fn pop_last(&mut self) -> Option<(Vec<u8>, V)> {
        HybridStore::pop_last(self)
    }
}

impl<V: Clone + Send + Sync + 'static> CheckInvariants for HybridStore<V> {
    /// Each segment is well formed, only non-oldest segments keep tombstones, and the
    /// length counter matches a full scan.
    fn check_invariants(&self) -> std::result::Result<(), String> {
        let all = KeyBounds::all();
        let (delta, version, len) = self.snapshot(&all);
        let last = version.layers.len().saturating_sub(1);
        for (i, layer) in version.layers.iter().enumerate() {
            if let Layer::Segment(s) = layer {
                s.check(i == last)
                    .map_err(|e| format!("layer {i} (newest is 0): {e}"))?;
            }
        }
        let mut sources = vec![Cursor::from_sorted(delta)];
        sources.extend(version.cursors(&all));
        let mut previous: Option<Vec<u8>> = None;
        let mut live = 0;
        for (key, entry) in Merge::new(sources) {
            if previous.as_ref().is_some_and(|p| *p >= key) {
                return Err(format!(
                    "merged scan out of order at {:?}",
                    key.escape_ascii().to_string()
                ));
            }
            live += usize::from(entry.is_some());
            previous = Some(key);
        }
        if live != len {
            return Err(format!(
                "length counter says {len}, a scan finds {live} live keys"
            ));
        }
        Ok(())
    }
}
