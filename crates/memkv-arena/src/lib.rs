//! Arena storage for MemKV's radix trees.
//!
//! A radix tree over hundreds of millions of keys cannot afford a heap allocation
//! and an 8-byte pointer per node, nor a `Vec<u8>` per key fragment. This crate
//! gives the trees four stores that replace both:
//!
//! - [`Slab<T>`]: values of one type (one node size class, or the values of the
//!   map) in fixed-size chunks, named by 4-byte [`Handle<T>`]s, with a free list so
//!   freed slots are reused, and one occupancy bit per slot instead of an `Option`
//!   discriminant;
//! - [`ByteArena`]: variable-length byte strings (prefixes, key suffixes) packed
//!   back to back in large chunks, named by 6-byte [`DataRef`]s that reach past
//!   4 GiB (2^23 chunks of up to 16 MiB, and items of any length);
//! - [`Pool<T>`]: a `Slab` for `Copy` values (the trees' nodes) whose slots are
//!   always initialized, so reading one by handle needs no occupancy check;
//! - [`BlobArena`]: blocks rewritten as a whole (the trees' leaf buckets) in size
//!   classes with a free list per class, named by 4-byte [`BlobRef`]s, so
//!   rewrites reuse space instead of leaving dead bytes (8 GiB of chunks shared
//!   by all classes, then chunks of one class each: about 136 GiB in all).
//!
//! All four grow in chunks rather than by doubling one buffer (only a chunk still
//! below full size grows in place), so a large store never holds twice its size
//! during a reallocation and wastes at most one chunk.
//! Freed bytes in the `ByteArena` are reclaimed by [`ByteArena::compact`], which
//! rewrites the live items into fresh chunks.
//!
//! `bumpalo` was considered for the byte arena and not used: its allocations are
//! addressed by references tied to the arena's lifetime (8-byte pointers plus a
//! length), cannot be freed or relocated one by one, and a tree that stores
//! references into its own arena would be self-referential.
//!
//! `unsafe` is confined to the `slab` module (uninitialized slots tracked by
//! occupancy bits) and the `prefetch` module (one CPU cache hint); the byte arena
//! is safe code.
#![warn(missing_docs)]

mod blob_arena;
mod byte_arena;
mod chunk;
mod data_ref;
mod pool;
#[allow(unsafe_code)]
mod prefetch;
#[allow(unsafe_code)]
mod slab;
mod slots;
#[cfg(test)]
mod test_bytes;

pub use blob_arena::{BlobArena, BlobRef, BLOB_CHUNK};
pub use byte_arena::{ByteArena, Relocator, CHUNK_SIZE};
pub use data_ref::DataRef;
pub use pool::Pool;
pub use prefetch::prefetch;
pub use slab::{DisjointMut, Handle, Slab};
