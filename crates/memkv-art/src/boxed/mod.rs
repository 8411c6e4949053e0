//! The boxed ART variants: [`AdaptiveRadixTree`], [`CompactArt`] and
//! [`UltraCompactArt`].
//!
//! They are one tree ([`tree::RawArt`]) over one set of node types ([`node`]):
//! Node4, Node16, Node48 and Node256 (plus Node3 where the policy asks for it),
//! each in a `Box` of its own exact size, with
//! path compression (a prefix per inner node), key suffixes in leaves and an "end"
//! value per inner node for keys that are prefixes of other keys. What the three
//! types change is only storage, chosen by a [`policy::Policy`]:
//!
//! | type | strings (prefixes, key suffixes) | leaves | smallest node |
//! |---|---|---|---|
//! | [`AdaptiveRadixTree`] | owned: up to 22 bytes inline, else a `Box<[u8]>` | one `Box` each | Node4 |
//! | [`CompactArt`] | in one `ByteArena`, 8-byte handles | inline in the 16-byte child slot | Node4 |
//! | [`UltraCompactArt`] | in one `ByteArena`, 8-byte handles | inline in the 16-byte child slot | Node3 (64 bytes, one cache line) |
//!
//! Everything else (search, growth and shrink policy, splits, iteration, the
//! invariant checker) is shared. `docs/ART-VARIANTS.md` has the measured cost of
//! each choice; `ArenaArt` goes further by storing the nodes themselves in slabs.

mod iter;
mod node;
mod policy;
mod tree;
mod variants;

pub use variants::{
    AdaptiveRadixTree, AdaptiveRadixTreeIter, CompactArt, CompactArtIter, UltraCompactArt,
    UltraCompactArtIter,
};
