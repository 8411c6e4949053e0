//! `ArenaArt`: an adaptive radix tree whose nodes, key bytes and values all live
//! in `memkv-arena` stores.
//!
//! Layout (see `docs/ARENA-ART.md` for where the bytes go on real data):
//!
//! - inner nodes in six [`memkv_arena::Pool`]s, one per size class (module
//!   `node`), named by 4-byte children;
//! - a leaf is a *bucket* (module `bucket`): up to 32 entries in one sorted block
//!   of a [`BlobArena`] (a shared prefix, a fingerprint and a value slot per
//!   entry, then each entry's own bytes: the key suffix the path above has not
//!   spelled); the child names the block directly;
//! - values in a `Slab<V>`, so they sit back to back without padding;
//! - node prefixes longer than 5 bytes live in a [`ByteArena`];
//! - the key that ends exactly at an inner node is stored as that node's `value`
//!   bucket (one entry, empty suffix), so any byte string is a key with no
//!   terminator.
//!
//! The work is split by concern: `insert`, `remove`, `iter` (ordered cursors),
//! `entry` (the entry API), `check` (invariants and statistics), `compact`
//! (rebuilding).

mod bucket;
mod check;
mod compact;
mod entry;
mod frag;
mod insert;
mod iter;
mod node;
mod remove;

use std::fmt;
use std::ops::{ControlFlow, RangeBounds};

use memkv_arena::{BlobArena, BlobRef, ByteArena, Handle, Slab};
use memkv_core::{CheckInvariants, KeyBounds, OrderedMap, OrderedMapMut};

pub use check::ArenaArtStats;
pub use entry::{Entry, OccupiedEntry, VacantEntry};
pub use iter::{Iter, IterMut, Keys, Values, ValuesMut};

use node::{is_leaf, leaf_child, leaf_index, Child, NodeId, Nodes, Step, NONE};

/// A mutable ordered map from byte strings to `V`, stored as an adaptive radix tree
/// in arenas, with leaf buckets at the bottom: about a third of `BTreeMap`'s
/// memory on file paths (39.9 against 124.0 bytes per key on 1 M Debian paths
/// with `u64` values), and faster lookups than `BTreeMap` (see
/// `docs/ARENA-ART.md`).
///
/// Any byte string is a valid key (empty, prefixes of other keys, `0x00` and `0xFF`
/// anywhere). Iteration is in unsigned byte order and double-ended; keys are
/// rebuilt from the path, so iterators yield owned `Vec<u8>` keys.
///
/// ```
/// use memkv_art::ArenaArt;
///
/// let mut kv: ArenaArt<u64> = ArenaArt::new();
/// kv.insert(b"user:1001", 42);
/// kv.insert(b"user:1002", 43);
/// kv.insert(b"user:", 7);
/// assert_eq!(kv.get(b"user:1001"), Some(&42));
/// *kv.get_mut(b"user:1002").unwrap() += 1;
/// let keys: Vec<Vec<u8>> = kv.prefix_scan(b"user:1").map(|(k, _)| k).collect();
/// assert_eq!(keys, [b"user:1001".to_vec(), b"user:1002".to_vec()]);
/// assert_eq!(kv.last(), Some((b"user:1002".to_vec(), &44)));
/// assert_eq!(kv.remove(b"user:"), Some(7));
/// assert_eq!(kv.len(), 2);
/// ```
pub struct ArenaArt<V> {
    /// The root child (`NONE` when empty).
    root: Child,
    nodes: Nodes,
    /// The leaf buckets.
    buckets: BlobArena,
    values: Slab<V>,
    arena: ByteArena,
    len: usize,
    /// The buffer inserts splice a bucket into before it is copied to its block,
    /// kept so that an insert does not allocate one.
    scratch: Vec<u8>,
}

/// The tree without its values: what cursors read. Borrowing it apart from the
/// values is what lets an [`IterMut`] walk the tree while it hands out `&mut V`s.
#[derive(Clone, Copy)]
struct Shape<'a> {
    root: Child,
    nodes: &'a Nodes,
    buckets: &'a BlobArena,
    arena: &'a ByteArena,
}

impl<'a> Shape<'a> {
    /// The block of bucket `c` (a leaf child).
    #[inline(always)]
    fn bucket(self, c: Child) -> &'a [u8] {
        self.buckets.get(BlobRef::from_u32(leaf_index(c)))
    }

    /// The prefix of node `n`.
    fn prefix(self, n: NodeId) -> &'a [u8] {
        self.nodes.header(n).prefix().get(self.arena)
    }

    /// Hints the CPU to load what visiting child `c` reads first: the node or the
    /// bucket.
    #[inline]
    fn prefetch_child(self, c: Child) {
        if is_leaf(c) {
            self.buckets.prefetch(BlobRef::from_u32(leaf_index(c)));
        } else if c != NONE {
            self.nodes.prefetch(NodeId::from_child(c));
        }
    }

    /// The value slot of value bucket `c` (a node's, with its one entry).
    fn value_bucket(self, c: Child) -> u32 {
        bucket::View::new(self.bucket(c)).value(0)
    }
}

/// Where a child slot lives, so it can be rewritten.
#[derive(Clone, Copy, Debug)]
enum Slot {
    Root,
    /// The child of `node` under this byte.
    Child(NodeId, u8),
}

/// Length of the longest common prefix.
///
/// Compares eight bytes at a time: keys such as file paths share long prefixes,
/// and a byte-at-a-time loop was a visible share of insert time.
#[inline]
fn lcp(a: &[u8], b: &[u8]) -> usize {
    let n = a.len().min(b.len());
    let mut i = 0;
    while i + 8 <= n {
        let x = u64::from_le_bytes(a[i..i + 8].try_into().expect("8 bytes"));
        let y = u64::from_le_bytes(b[i..i + 8].try_into().expect("8 bytes"));
        let diff = x ^ y;
        if diff != 0 {
            return i + (diff.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while i < n && a[i] == b[i] {
        i += 1;
    }
    i
}

impl<V> ArenaArt<V> {
    /// An empty map; it allocates nothing until the first insert.
    pub fn new() -> ArenaArt<V> {
        ArenaArt::with_buckets(BlobArena::new())
    }

    /// An empty map whose bucket store puts each size class in chunks of its own
    /// from chunk `index` on, instead of after its first 8 GiB of buckets (see
    /// `memkv_arena::BlobArena`): lets tests and measurements reach the layout
    /// of a map of billions of keys with a small one. `clear` and `compact` keep
    /// the setting.
    #[doc(hidden)]
    pub fn with_class_bucket_chunks_from(index: usize) -> ArenaArt<V> {
        ArenaArt::with_buckets(BlobArena::with_class_chunks_from(index))
    }

    /// An empty map over an empty bucket store `buckets`.
    fn with_buckets(buckets: BlobArena) -> ArenaArt<V> {
        ArenaArt {
            root: NONE,
            nodes: Nodes::default(),
            buckets,
            values: Slab::new(),
            arena: ByteArena::new(),
            len: 0,
            scratch: Vec::new(),
        }
    }

    /// An empty map with the same bucket-store setting as this one.
    fn empty_like(&self) -> ArenaArt<V> {
        ArenaArt::with_class_bucket_chunks_from(self.buckets.class_chunks_from())
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the map is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The tree without its values, for cursors.
    #[inline(always)]
    fn shape(&self) -> Shape<'_> {
        Shape {
            root: self.root,
            nodes: &self.nodes,
            buckets: &self.buckets,
            arena: &self.arena,
        }
    }

    /// The block of bucket `c` (a leaf child).
    #[inline(always)]
    fn bucket(&self, c: Child) -> &[u8] {
        self.shape().bucket(c)
    }

    fn prefix(&self, n: NodeId) -> &[u8] {
        self.shape().prefix(n)
    }

    fn write_slot(&mut self, slot: Slot, child: Child) {
        match slot {
            Slot::Root => self.root = child,
            Slot::Child(n, b) => self.nodes.set_child(n, b, child),
        }
    }

    /// A new bucket holding `block` (an encoded bucket).
    fn new_bucket(&mut self, block: &[u8]) -> Child {
        leaf_child(self.buckets.alloc(block).to_u32())
    }

    /// A new bucket with one entry.
    fn single(&mut self, suffix: &[u8], value: u32) -> Child {
        let block = bucket::single(suffix, value);
        self.new_bucket(&block)
    }

    /// Frees bucket `c`'s block (not the values it names).
    fn free_bucket(&mut self, c: Child) {
        let len = bucket::encoded_len(self.bucket(c));
        self.buckets.free(BlobRef::from_u32(leaf_index(c)), len);
    }

    /// The value slot of `key`.
    #[inline]
    fn find_value(&self, key: &[u8]) -> Option<u32> {
        let mut child = self.root;
        if child == NONE {
            return None;
        }
        let mut d = 0;
        // Only the root can be `NONE`: every child a node yields is a leaf or a node.
        while !is_leaf(child) {
            match self.nodes.step(child, &self.arena, key, d) {
                Step::Descend(c, next) => {
                    child = c;
                    d = next;
                }
                Step::Ends(v) => return (v != NONE).then(|| bucket::find(self.bucket(v), b""))?,
                Step::Miss => return None,
            }
        }
        bucket::find(self.bucket(child), &key[d..])
    }

    /// The value stored under `key`.
    pub fn get(&self, key: impl AsRef<[u8]>) -> Option<&V> {
        let v = self.find_value(key.as_ref())?;
        self.values.get(Handle::from_raw(v))
    }

    /// A mutable reference to the value stored under `key`.
    pub fn get_mut(&mut self, key: impl AsRef<[u8]>) -> Option<&mut V> {
        let v = self.find_value(key.as_ref())?;
        self.values.get_mut(Handle::from_raw(v))
    }

    /// Whether `key` is present.
    pub fn contains_key(&self, key: impl AsRef<[u8]>) -> bool {
        self.find_value(key.as_ref()).is_some()
    }

    /// The entries whose keys lie within `range`, in key order (double-ended).
    pub fn range<R: RangeBounds<[u8]>>(&self, range: R) -> Iter<'_, V> {
        Iter::new(self, KeyBounds::from_range(&range))
    }

    /// All entries in key order (double-ended).
    pub fn iter(&self) -> Iter<'_, V> {
        Iter::new(self, KeyBounds::all())
    }

    /// The entries whose keys start with `prefix`, in key order.
    pub fn prefix_scan(&self, prefix: impl AsRef<[u8]>) -> Iter<'_, V> {
        Iter::new(self, KeyBounds::prefix(prefix.as_ref()))
    }

    /// All entries in key order (double-ended), with mutable values.
    ///
    /// ```
    /// use memkv_art::ArenaArt;
    ///
    /// let mut hits: ArenaArt<u64> = [("/a", 3), ("/b", 8), ("/c", 1)].into_iter().collect();
    /// for (key, count) in hits.iter_mut() {
    ///     if key != b"/b" {
    ///         *count *= 10;
    ///     }
    /// }
    /// let counts: Vec<u64> = hits.values().copied().collect();
    /// assert_eq!(counts, [30, 8, 10]);
    /// ```
    pub fn iter_mut(&mut self) -> IterMut<'_, V> {
        IterMut::new(self, KeyBounds::all())
    }

    /// The entries whose keys lie within `range`, in key order (double-ended),
    /// with mutable values.
    pub fn range_mut<R: RangeBounds<[u8]>>(&mut self, range: R) -> IterMut<'_, V> {
        IterMut::new(self, KeyBounds::from_range(&range))
    }

    /// The entries whose keys start with `prefix`, in key order, with mutable
    /// values.
    pub fn prefix_scan_mut(&mut self, prefix: impl AsRef<[u8]>) -> IterMut<'_, V> {
        IterMut::new(self, KeyBounds::prefix(prefix.as_ref()))
    }

    /// The keys in order (double-ended), each rebuilt into a `Vec<u8>`.
    pub fn keys(&self) -> Keys<'_, V> {
        Keys(self.iter())
    }

    /// The values in key order (double-ended); no key is copied out.
    pub fn values(&self) -> Values<'_, V> {
        Values(self.iter())
    }

    /// The values in key order (double-ended), mutably; no key is copied out.
    ///
    /// ```
    /// use memkv_art::ArenaArt;
    ///
    /// let mut scores: ArenaArt<u32> = [("ann", 10), ("bob", 20)].into_iter().collect();
    /// scores.values_mut().for_each(|s| *s /= 2);
    /// assert_eq!(scores.get("bob"), Some(&10));
    /// ```
    pub fn values_mut(&mut self) -> ValuesMut<'_, V> {
        ValuesMut(self.iter_mut())
    }

    /// The entry with the smallest key.
    pub fn first(&self) -> Option<(Vec<u8>, &V)> {
        self.iter().next()
    }

    /// The entry with the largest key.
    pub fn last(&self) -> Option<(Vec<u8>, &V)> {
        self.iter().next_back()
    }

    /// Removes and returns the entry with the smallest key.
    pub fn pop_first(&mut self) -> Option<(Vec<u8>, V)> {
        OrderedMapMut::pop_first(self)
    }

    /// Removes and returns the entry with the largest key.
    pub fn pop_last(&mut self) -> Option<(Vec<u8>, V)> {
        OrderedMapMut::pop_last(self)
    }

    /// Keeps only the entries for which `keep(key, value)` is true; returns how
    /// many it removed (see [`OrderedMapMut::retain`]). Run
    /// [`compact`](ArenaArt::compact) afterwards to give the memory back when it
    /// removed many.
    ///
    /// ```
    /// use memkv_art::ArenaArt;
    ///
    /// let mut kv: ArenaArt<u64> = (0..100u64).map(|i| (format!("k{i:03}"), i)).collect();
    /// assert_eq!(kv.retain(|_, &v| v % 10 == 0), 90);
    /// assert_eq!(kv.first(), Some((b"k000".to_vec(), &0)));
    /// assert_eq!(kv.pop_last(), Some((b"k090".to_vec(), 90)));
    /// assert_eq!(kv.len(), 9);
    /// ```
    pub fn retain(&mut self, keep: impl FnMut(&[u8], &V) -> bool) -> usize {
        OrderedMapMut::retain(self, keep)
    }

    /// Removes every entry and releases the map's memory.
    pub fn clear(&mut self) {
        *self = self.empty_like();
    }

    /// The entry whose key is the longest prefix of `key` (`key` itself
    /// included), if any (see [`OrderedMap::longest_prefix`]).
    ///
    /// ```
    /// use memkv_art::ArenaArt;
    ///
    /// let mut dirs: ArenaArt<&str> = ArenaArt::new();
    /// dirs.insert("/usr/", "system");
    /// dirs.insert("/usr/local/", "local");
    /// let hit = dirs.longest_prefix("/usr/local/bin/tool");
    /// assert_eq!(hit, Some((b"/usr/local/".to_vec(), &"local")));
    /// ```
    pub fn longest_prefix(&self, key: impl AsRef<[u8]>) -> Option<(Vec<u8>, &V)> {
        let (k, v) = self.common_prefixes(key.as_ref()).pop()?;
        Some((k.to_vec(), v))
    }

    /// Every entry whose key is a prefix of `key` (`key` itself included),
    /// shortest first, with the keys borrowed from `key`: one walk down `key`'s
    /// path, which meets them all (a node's end value, then the entries of the
    /// bucket at the bottom that are prefixes of what is left).
    ///
    /// ```
    /// use memkv_art::ArenaArt;
    ///
    /// let mut rules: ArenaArt<&str> = ArenaArt::new();
    /// rules.insert("/", "root");
    /// rules.insert("/usr/", "system");
    /// rules.insert("/usr/local/", "local");
    /// rules.insert("/usr/lib/", "libraries");
    /// let found = rules.common_prefixes(b"/usr/local/bin/tool");
    /// assert_eq!(found, [(&b"/"[..], &"root"), (b"/usr/", &"system"), (b"/usr/local/", &"local")]);
    /// ```
    pub fn common_prefixes<'k>(&self, key: &'k [u8]) -> Vec<(&'k [u8], &V)> {
        let mut found = Vec::new();
        let value = |v: u32| &self.values[Handle::from_raw(v)];
        let mut child = self.root;
        let mut d = 0;
        while child != NONE {
            if is_leaf(child) {
                let view = bucket::View::new(self.bucket(child));
                // Records are in order, so the ones that are prefixes of
                // `rest` come shortest first, and none comes after one greater
                // than `rest` (a prefix of `rest` is at most `rest`).
                if let Some(rest) = key[d..].strip_prefix(view.prefix()) {
                    let d = d + view.prefix().len();
                    for i in 0..view.len() {
                        let rec = view.rec(i);
                        if rest.starts_with(rec) {
                            found.push((&key[..d + rec.len()], value(view.value(i))));
                        } else if rec > rest {
                            break;
                        }
                    }
                }
                break;
            }
            let node = self.nodes.view(NodeId::from_child(child));
            let Some(next) = node.header().skip_prefix(&self.arena, key, d) else {
                break;
            };
            d = next;
            let end = node.value();
            if end != NONE {
                let v = bucket::find(self.bucket(end), b"").expect("a value bucket");
                found.push((&key[..d], value(v)));
            }
            let Some(c) = key.get(d).and_then(|&b| node.find_child(b)) else {
                break;
            };
            child = c;
            d += 1;
        }
        found
    }

    /// Heap bytes owned by the map: node slabs, the bucket store, values, the byte arena
    /// and their spare capacity. Exact for everything the map allocates itself
    /// (jemalloc's figure differs only by its size-class rounding); heap memory that
    /// values own (a `V = String`'s buffer) is not included.
    pub fn memory_usage(&self) -> usize {
        self.nodes.n2.memory_usage()
            + self.nodes.n4.memory_usage()
            + self.nodes.n8.memory_usage()
            + self.nodes.n16.memory_usage()
            + self.nodes.n48.memory_usage()
            + self.nodes.n256.memory_usage()
            + self.buckets.memory_usage()
            + self.values.memory_usage()
            + self.arena.memory_usage()
            + self.scratch.capacity()
    }

    /// Returns spare capacity to the allocator without moving entries.
    pub fn shrink_to_fit(&mut self) {
        self.nodes.n2.shrink_to_fit();
        self.nodes.n4.shrink_to_fit();
        self.nodes.n8.shrink_to_fit();
        self.nodes.n16.shrink_to_fit();
        self.nodes.n48.shrink_to_fit();
        self.nodes.n256.shrink_to_fit();
        self.buckets.shrink_to_fit();
        self.values.shrink_to_fit();
        self.arena.shrink_to_fit();
        self.scratch = Vec::new();
    }
}

impl<V> Default for ArenaArt<V> {
    fn default() -> Self {
        ArenaArt::new()
    }
}

impl<V: Clone> Clone for ArenaArt<V> {
    fn clone(&self) -> Self {
        ArenaArt {
            root: self.root,
            nodes: self.nodes.clone(),
            buckets: self.buckets.clone(),
            values: self.values.clone(),
            arena: self.arena.clone(),
            len: self.len,
            scratch: Vec::new(),
        }
    }
}

/// Maps are equal when they hold the same keys with equal values, however they
/// were built (insertion order, removals and compaction change the layout, not
/// the contents).
impl<V: PartialEq> PartialEq for ArenaArt<V> {
    fn eq(&self, other: &Self) -> bool {
        self.len == other.len && crate::lend::lent_eq(self.iter(), other.iter())
    }
}

impl<V: Eq> Eq for ArenaArt<V> {}

impl<V: fmt::Debug> fmt::Debug for ArenaArt<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.iter().map(|(k, v)| (k.escape_ascii().to_string(), v)))
            .finish()
    }
}

impl<V> OrderedMap for ArenaArt<V> {
    type Value = V;
    type KeyRef<'a>
        = Vec<u8>
    where
        V: 'a;
    type ValueRef<'a>
        = &'a V
    where
        V: 'a;
    type Range<'a>
        = Iter<'a, V>
    where
        V: 'a;

    fn get(&self, key: impl AsRef<[u8]>) -> Option<&V> {
        ArenaArt::get(self, key)
    }
    fn contains_key(&self, key: impl AsRef<[u8]>) -> bool {
        ArenaArt::contains_key(self, key)
    }
    fn len(&self) -> usize {
        self.len
    }
    fn range<R: RangeBounds<[u8]>>(&self, range: R) -> Iter<'_, V> {
        ArenaArt::range(self, range)
    }
    fn for_each_in<R: RangeBounds<[u8]>>(
        &self,
        range: R,
        f: impl FnMut(&[u8], &V) -> ControlFlow<()>,
    ) {
        self.range(range).for_each_lent(f);
    }
    fn longest_prefix(&self, key: impl AsRef<[u8]>) -> Option<(Vec<u8>, &V)> {
        ArenaArt::longest_prefix(self, key)
    }
    fn common_prefixes<'a, 'k>(&'a self, key: &'k [u8]) -> Vec<(&'k [u8], &'a V)> {
        ArenaArt::common_prefixes(self, key)
    }
    fn memory_usage(&self) -> usize {
        ArenaArt::memory_usage(self)
    }
}

impl<V> OrderedMapMut for ArenaArt<V> {
    fn insert(&mut self, key: impl AsRef<[u8]>, value: V) -> Option<V> {
        ArenaArt::insert(self, key, value)
    }
    fn remove(&mut self, key: impl AsRef<[u8]>) -> Option<V> {
        ArenaArt::remove(self, key)
    }
}

impl<V> CheckInvariants for ArenaArt<V> {
    fn check_invariants(&self) -> Result<(), String> {
        check::check(self)
    }
}

impl<'a, V> IntoIterator for &'a ArenaArt<V> {
    type Item = (Vec<u8>, &'a V);
    type IntoIter = Iter<'a, V>;

    fn into_iter(self) -> Iter<'a, V> {
        self.iter()
    }
}

impl<'a, V> IntoIterator for &'a mut ArenaArt<V> {
    type Item = (Vec<u8>, &'a mut V);
    type IntoIter = IterMut<'a, V>;

    fn into_iter(self) -> IterMut<'a, V> {
        self.iter_mut()
    }
}

impl<K: AsRef<[u8]>, V> FromIterator<(K, V)> for ArenaArt<V> {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> ArenaArt<V> {
        let mut kv = ArenaArt::new();
        kv.extend(iter);
        kv
    }
}

impl<K: AsRef<[u8]>, V> Extend<(K, V)> for ArenaArt<V> {
    fn extend<I: IntoIterator<Item = (K, V)>>(&mut self, iter: I) {
        for (k, v) in iter {
            self.insert(k, v);
        }
    }
}

/// A sequence of `(key, value)` pairs in key order, keys as byte strings (see
/// `memkv_core::serde_support`).
#[cfg(feature = "serde")]
impl<V: serde::Serialize> serde::Serialize for ArenaArt<V> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        memkv_core::serde_support::serialize_entries(s, self.len, self.iter())
    }
}

#[cfg(feature = "serde")]
impl<'de, V: serde::Deserialize<'de>> serde::Deserialize<'de> for ArenaArt<V> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<ArenaArt<V>, D::Error> {
        memkv_core::serde_support::deserialize_entries(d)
    }
}
