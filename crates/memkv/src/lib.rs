#![doc = include_str!("when_to_use.md")]
//!
//! # MemKV
//!
//! Ordered maps for very large sets of string keys, in as little memory as
//! possible.
//!
//! This crate is the public face of the workspace: it re-exports the maps of the
//! lower crates and adds [`MemKV`], the thread-safe map.
//!
//! | Type | Use it for |
//! |---|---|
//! | [`FrozenLayer`] | read-only data: the smallest form, built once from sorted (or unsorted) keys, servable from a memory-mapped file |
//! | [`ArenaArt`] | a mutable ordered map in one thread: an adaptive radix tree in arenas |
//! | [`HybridStore`] | a mutable map whose memory stays near the frozen form: a small `ArenaArt` delta in front of frozen segments, merged in the background |
//! | [`MemKV`] | a map shared by threads (`insert(&self, ..)`), on a `HybridStore` by default |
//! | [`SimpleKV`] | the `BTreeMap`-backed fallback and baseline |
//! | [`UltraCompactArt`], [`CompactArt`], [`AdaptiveRadixTree`] | boxed-node radix trees that show what each memory technique buys (see `docs/ART-VARIANTS.md`) |
//!
//! All maps order keys byte-wise (unsigned) and accept any byte string as a key,
//! including the empty key and keys that are prefixes of other keys. The common
//! operations are the [`OrderedMap`] and [`OrderedMapMut`] traits.
//!
//! ```
//! use memkv::{ArenaArt, FrozenLayer, MemKV};
//!
//! let frozen = FrozenLayer::from_sorted_iter([(&b"apple"[..], 1), (b"banana", 2)]).unwrap();
//! assert_eq!(frozen.get(b"apple"), Some(1));
//!
//! let mut tree: ArenaArt<u64> = ArenaArt::new();
//! tree.insert(b"user:1001", 42);
//! assert_eq!(tree.get(b"user:1001"), Some(&42));
//!
//! let kv: MemKV<u64> = MemKV::new();
//! kv.insert(b"key", 42);
//! assert_eq!(kv.get(b"key"), Some(42));
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod memkv;

pub use crate::memkv::MemKV;
pub use memkv_art::{
    AdaptiveRadixTree, AdaptiveRadixTreeIter, ArenaArt, ArenaArtEntry, ArenaArtIter,
    ArenaArtIterMut, ArenaArtKeys, ArenaArtOccupiedEntry, ArenaArtStats, ArenaArtVacantEntry,
    ArenaArtValues, ArenaArtValuesMut, CompactArt, CompactArtIter, UltraCompactArt,
    UltraCompactArtIter,
};
pub use memkv_core::{
    prefix_successor, CheckInvariants, Error, KeyBounds, Locked, OrderedMap, OrderedMapMut, Result,
    SharedMap, SimpleKV,
};
pub use memkv_frozen::{
    DuplicatePolicy, ExternalSorter, FormatInfo, FrozenLayer, FrozenLayerBuilder, FrozenRange,
    FrozenSearch, SortOptions, SortedEntries, ValueLayout,
};
pub use memkv_hybrid::{HybridConfig, HybridRange, HybridStats, HybridStore};

#[doc = include_str!("../../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
