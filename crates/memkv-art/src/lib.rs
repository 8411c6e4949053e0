//! Adaptive radix trees (ART, Leis et al., ICDE 2013) for byte-string keys.
//!
//! An adaptive radix tree branches on one key byte per level, with inner nodes of
//! four sizes (Node4, Node16, Node48, Node256) chosen by fan-out, and compresses
//! paths without branches into prefixes. This crate holds MemKV's mutable ordered
//! maps built on it:
//!
//! - [`ArenaArt`]: the flagship, every node, prefix, key suffix and value stored in
//!   `memkv-arena` slabs and byte arenas with 4-byte handles, at about a third of
//!   `BTreeMap`'s memory on file paths (it adds Node2 and Node8 classes, because
//!   most branch points on real keys are binary);
//! - the boxed variants (module `boxed`), classic pointer-based trees kept for
//!   comparison.
//!
//! All of them accept any byte string as a key: the empty key, keys that are
//! prefixes of other keys, and keys containing or ending in `0x00` or `0xFF`.
#![warn(missing_docs)]

mod arena_art;
mod boxed;
mod lend;
mod node_search;

pub use arena_art::{
    ArenaArt, ArenaArtStats, Entry as ArenaArtEntry, Iter as ArenaArtIter,
    IterMut as ArenaArtIterMut, Keys as ArenaArtKeys, OccupiedEntry as ArenaArtOccupiedEntry,
    VacantEntry as ArenaArtVacantEntry, Values as ArenaArtValues, ValuesMut as ArenaArtValuesMut,
};
pub use boxed::{
    AdaptiveRadixTree, AdaptiveRadixTreeIter, CompactArt, CompactArtIter, UltraCompactArt,
    UltraCompactArtIter,
};
