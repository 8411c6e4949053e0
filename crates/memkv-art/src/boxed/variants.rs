//! The three public types: thin wrappers over [`RawArt`] with a fixed policy.
//!
//! One macro writes all three, so they cannot drift apart; only their documentation
//! and policy differ.

use std::fmt;
use std::mem::size_of;
use std::ops::{ControlFlow, RangeBounds};

use memkv_core::{CheckInvariants, KeyBounds, OrderedMap, OrderedMapMut};

use super::iter::RawIter;
use super::node::{Child, Node3};
use super::policy::{ArenaKeys, ArenaKeysNode3, Classic};
use super::tree::RawArt;

// The node enum (a child slot) of UltraCompactArt stays within 56 bytes for any
// value of up to 40 bytes, because all node arrays are boxed; for `u64` values the
// inline leaf (8-byte string handle + value) and the tag share 16 bytes.
const _: () = assert!(size_of::<Child<u64, ArenaKeysNode3>>() <= 56);
const _: () = assert!(size_of::<Child<[u64; 5], ArenaKeysNode3>>() <= 56);
const _: () = assert!(size_of::<Child<u64, ArenaKeysNode3>>() == 16);
const _: () = assert!(size_of::<Child<u64, ArenaKeys>>() == 16);
const _: () = assert!(size_of::<Child<u64, Classic>>() == 16);
// UltraCompactArt's Node3 is one cache line for `u64` values.
const _: () = assert!(size_of::<Node3<u64, ArenaKeysNode3>>() == 64);

macro_rules! boxed_variant {
    (
        $(#[$meta:meta])*
        $name:ident, $iter:ident, $policy:ty
    ) => {
        $(#[$meta])*
        ///
        /// Any byte string is a key, including the empty key and keys that are
        /// prefixes of other keys. Keys are handed out as rebuilt `Vec<u8>`s, since
        /// leaves store only the bytes their path has not spelled.
        ///
        /// ```
        #[doc = concat!("use memkv_art::", stringify!($name), ";")]
        ///
        #[doc = concat!("let mut kv: ", stringify!($name), "<u64> = ", stringify!($name), "::new();")]
        /// kv.insert(b"user:1001", 42);
        /// kv.insert(b"user:1002", 43);
        /// kv.insert(b"user:", 1);
        /// assert_eq!(kv.get(b"user:1001"), Some(&42));
        /// assert_eq!(kv.prefix_scan(b"user:10").count(), 2);
        /// assert_eq!(kv.first(), Some((b"user:".to_vec(), &1)));
        /// assert_eq!(kv.longest_prefix(b"user:1001x"), Some((b"user:1001".to_vec(), &42)));
        /// assert_eq!(kv.remove(b"user:1002"), Some(43));
        /// assert_eq!(kv.len(), 2);
        /// let mut total = 0;
        /// for (_key, value) in &kv {
        ///     total += value;
        /// }
        /// assert_eq!(total, 43);
        /// assert_eq!(kv.retain(|_, &v| v > 1), 1);
        /// assert_eq!(kv.pop_first(), Some((b"user:1001".to_vec(), 42)));
        /// assert!(kv.is_empty());
        /// ```
        pub struct $name<V> {
            raw: RawArt<V, $policy>,
        }

        #[doc = concat!("Entries of a [`", stringify!($name), "`] in key order, from both ends.")]
        pub struct $iter<'a, V>(RawIter<'a, V, $policy>);

        impl<'a, V> crate::lend::LendingIter<'a, V> for $iter<'a, V> {
            fn next_lent(&mut self) -> Option<(&[u8], &'a V)> {
                self.0.next_ref()
            }
        }

        impl<'a, V> $iter<'a, V> {
            /// The next entry from the front, its key lent until the next call
            /// instead of copied into a `Vec<u8>` (the `Iterator` trait cannot lend).
            pub fn next_ref(&mut self) -> Option<(&[u8], &'a V)> {
                self.0.next_ref()
            }

            /// The next entry from the back, its key lent until the next call.
            pub fn next_back_ref(&mut self) -> Option<(&[u8], &'a V)> {
                self.0.next_back_ref()
            }
        }

        impl<V> $name<V> {
            /// An empty map.
            pub fn new() -> Self {
                $name { raw: RawArt::new() }
            }

            /// Stores `value` under `key`, returning the value it replaces.
            pub fn insert(&mut self, key: impl AsRef<[u8]>, value: V) -> Option<V> {
                self.raw.insert(key.as_ref(), value)
            }

            /// The value stored under `key`.
            pub fn get(&self, key: impl AsRef<[u8]>) -> Option<&V> {
                self.raw.get(key.as_ref())
            }

            /// A mutable reference to the value stored under `key`.
            pub fn get_mut(&mut self, key: impl AsRef<[u8]>) -> Option<&mut V> {
                self.raw.get_mut(key.as_ref())
            }

            /// Removes `key`, returning its value.
            pub fn remove(&mut self, key: impl AsRef<[u8]>) -> Option<V> {
                self.raw.remove(key.as_ref())
            }

            /// Whether `key` is present.
            pub fn contains_key(&self, key: impl AsRef<[u8]>) -> bool {
                self.raw.get(key.as_ref()).is_some()
            }

            /// The number of entries.
            pub fn len(&self) -> usize {
                self.raw.len()
            }

            /// Whether there are no entries.
            pub fn is_empty(&self) -> bool {
                self.raw.len() == 0
            }

            /// The entries whose keys lie within `range`, in key order (also from
            /// the back). An inverted range is empty.
            pub fn range<R: RangeBounds<[u8]>>(&self, range: R) -> $iter<'_, V> {
                let bounds = KeyBounds::from_range(&range);
                $iter(RawIter::new(self.raw.root.as_ref(), &self.raw.store, bounds))
            }

            /// All entries in key order.
            pub fn iter(&self) -> $iter<'_, V> {
                self.range(KeyBounds::all())
            }

            /// The entries whose keys start with `prefix`, in key order.
            pub fn prefix_scan(&self, prefix: impl AsRef<[u8]>) -> $iter<'_, V> {
                self.range(KeyBounds::prefix(prefix.as_ref()))
            }

            /// The entry whose key is the longest prefix of `key` (`key` itself
            /// included), if any (see [`OrderedMap::longest_prefix`]).
            pub fn longest_prefix(&self, key: impl AsRef<[u8]>) -> Option<(Vec<u8>, &V)> {
                let (k, v) = self.raw.common_prefixes(key.as_ref()).pop()?;
                Some((k.to_vec(), v))
            }

            /// Every entry whose key is a prefix of `key` (`key` itself
            /// included), shortest first, with the keys borrowed from `key`: one
            /// walk down `key`'s path (see [`OrderedMap::common_prefixes`]).
            pub fn common_prefixes<'k>(&self, key: &'k [u8]) -> Vec<(&'k [u8], &V)> {
                self.raw.common_prefixes(key)
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

            /// Keeps only the entries for which `keep(key, value)` is true; returns
            /// how many it removed (see [`OrderedMapMut::retain`]).
            pub fn retain(&mut self, keep: impl FnMut(&[u8], &V) -> bool) -> usize {
                OrderedMapMut::retain(self, keep)
            }

            /// Removes every entry and releases the map's memory.
            pub fn clear(&mut self) {
                *self = Self::new();
            }

            /// Heap bytes requested by the map: nodes at their exact sizes, leaves,
            /// strings and arena chunks (the arena's capacity, spare room
            /// included). Allocator size-class rounding is not included, so
            /// jemalloc reports somewhat more. O(1): the map counts node and string
            /// bytes as they come and go.
            pub fn memory_usage(&self) -> usize {
                self.raw.memory_usage()
            }
        }

        impl<V> Default for $name<V> {
            fn default() -> Self {
                Self::new()
            }
        }

        /// Maps are equal when they hold the same keys with equal values.
        impl<V: PartialEq> PartialEq for $name<V> {
            fn eq(&self, other: &Self) -> bool {
                self.len() == other.len() && crate::lend::lent_eq(self.iter(), other.iter())
            }
        }

        impl<V: Eq> Eq for $name<V> {}

        impl<V: fmt::Debug> fmt::Debug for $name<V> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_map()
                    .entries(self.iter().map(|(k, v)| (k.escape_ascii().to_string(), v)))
                    .finish()
            }
        }

        impl<'a, V> Iterator for $iter<'a, V> {
            type Item = (Vec<u8>, &'a V);

            fn next(&mut self) -> Option<Self::Item> {
                self.0.next()
            }
        }

        impl<V> DoubleEndedIterator for $iter<'_, V> {
            fn next_back(&mut self) -> Option<Self::Item> {
                self.0.next_back()
            }
        }

        impl<V> fmt::Debug for $iter<'_, V> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($iter)).finish_non_exhaustive()
            }
        }

        impl<V> OrderedMap for $name<V> {
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
                = $iter<'a, V>
            where
                V: 'a;

            fn get(&self, key: impl AsRef<[u8]>) -> Option<&V> {
                $name::get(self, key)
            }
            fn len(&self) -> usize {
                $name::len(self)
            }
            fn range<R: RangeBounds<[u8]>>(&self, range: R) -> $iter<'_, V> {
                $name::range(self, range)
            }
            fn for_each_in<R: RangeBounds<[u8]>>(
                &self,
                range: R,
                f: impl FnMut(&[u8], &V) -> ControlFlow<()>,
            ) {
                crate::lend::for_each_lent(self.range(range), f);
            }
            fn longest_prefix(&self, key: impl AsRef<[u8]>) -> Option<(Vec<u8>, &V)> {
                $name::longest_prefix(self, key)
            }
            fn common_prefixes<'a, 'k>(&'a self, key: &'k [u8]) -> Vec<(&'k [u8], &'a V)> {
                $name::common_prefixes(self, key)
            }
            fn memory_usage(&self) -> usize {
                $name::memory_usage(self)
            }
        }

        impl<V> OrderedMapMut for $name<V> {
            fn insert(&mut self, key: impl AsRef<[u8]>, value: V) -> Option<V> {
                $name::insert(self, key, value)
            }
            fn remove(&mut self, key: impl AsRef<[u8]>) -> Option<V> {
                $name::remove(self, key)
            }
        }

        impl<V> CheckInvariants for $name<V> {
            fn check_invariants(&self) -> Result<(), String> {
                self.raw.check_invariants()
            }
        }

        #[cfg(feature = "serde")]
        impl<V: serde::Serialize> serde::Serialize for $name<V> {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                memkv_core::serde_support::serialize_entries(s, self.len(), self.iter())
            }
        }

        #[cfg(feature = "serde")]
        impl<'de, V: serde::Deserialize<'de>> serde::Deserialize<'de> for $name<V> {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                memkv_core::serde_support::deserialize_entries(d)
            }
        }

        impl<'a, V> IntoIterator for &'a $name<V> {
            type Item = (Vec<u8>, &'a V);
            type IntoIter = $iter<'a, V>;

            fn into_iter(self) -> $iter<'a, V> {
                self.iter()
            }
        }

        impl<K: AsRef<[u8]>, V> FromIterator<(K, V)> for $name<V> {
            fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
                let mut map = Self::new();
                map.extend(iter);
                map
            }
        }

        impl<K: AsRef<[u8]>, V> Extend<(K, V)> for $name<V> {
            fn extend<I: IntoIterator<Item = (K, V)>>(&mut self, iter: I) {
                for (k, v) in iter {
                    self.insert(k, v);
                }
            }
        }
    };
}

boxed_variant! {
    /// The classic adaptive radix tree (Leis, Kemper and Neumann, ICDE 2013): boxed
    /// Node4/16/48/256 chosen by fan-out, path compression, a `Box` per leaf, and
    /// strings owned by their handle (up to 22 bytes inline, longer ones in a
    /// `Box<[u8]>`, as the paper keeps short prefixes in the node header).
    ///
    /// The reference point of the variants: every technique the others add is
    /// measured against it in `docs/ART-VARIANTS.md`. Leaves hold the key suffix
    /// their path has not spelled rather than the whole key, which keeps it under
    /// `BTreeMap`'s memory on file paths.
    AdaptiveRadixTree, AdaptiveRadixTreeIter, Classic
}

boxed_variant! {
    /// The classic tree with all key bytes (prefixes and leaf suffixes) moved into
    /// one `ByteArena`, and no allocation per key: 8-byte handles (strings of up
    /// to 6 bytes stored inline in the handle) instead of 24-byte owned strings,
    /// no allocator rounding per string, and each leaf (its suffix handle and its
    /// value) held in its parent's child slot instead of a `Box` of its own, so a
    /// leaf costs its slot and its suffix bytes.
    ///
    /// Removed keys leave dead bytes in the arena (there is no `compact` here;
    /// `ArenaArt` has one).
    ///
    /// Technique shown: arena keys with packed references, leaves in the slots.
    CompactArt, CompactArtIter, ArenaKeys
}

boxed_variant! {
    /// Boxed nodes with arena-backed strings and inline leaves, as in
    /// [`CompactArt`], plus a node class sized to a cache line.
    ///
    /// Every node array is boxed at its own size, so the node enum (the child
    /// slot) stays small: 16 bytes for `u64` values, asserted at compile time along
    /// with the 56-byte limit. Nodes of up to three entries, most of them on real
    /// keys, are a 64-byte Node3: one cache line, where a Node4 takes 80 bytes
    /// over two.
    ///
    /// Technique shown: boxed large arrays with a slot-sized node enum, and
    /// line-sized small nodes.
    UltraCompactArt, UltraCompactArtIter, ArenaKeysNode3
}
