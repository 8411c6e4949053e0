//! `HybridStore`: a mutable ordered byte-key map whose memory stays close to a frozen
//! FST's.
//!
//! A frozen FST ([`memkv_frozen::FrozenLayer`]) is the smallest ordered map we have,
//! but it cannot change. This crate puts a small mutable delta in front of a stack of
//! FST segments, the design the `fst` crate's author recommends for updates and that
//! the Hybrid Index paper (Zhang et al., SIGMOD 2016) measures:
//!
//! - writes (values and removal tombstones) go to the delta;
//! - when the delta passes a size threshold, a background thread freezes it, merges
//!   it with the newest segments into a new segment, and publishes the new segment
//!   set atomically; segment sizes grow geometrically, so there are logarithmically
//!   many;
//! - `get` asks the delta, then the frozen delta being flushed, then the segments,
//!   newest first; scans are an ordered k-way merge honouring tombstones and
//!   shadowing;
//! - [`HybridStore::compact`] merges everything into one segment, the most compact
//!   form; [`HybridStore::save`] and [`HybridStore::open`] persist a store to a
//!   directory (atomically) and memory-map it back.
//!
//! Readers never wait for a compaction: they take the state lock only to look at the
//! delta and clone an `Arc` of the published version, and old segments are freed when
//! the last reader holding them drops its `Arc`.
//!
//! # Code map
//!
//! - `store`: the handle, reads and writes; `compact`: freezing, merging, publishing
//!   and the background thread; `version`: the published layers and the merge policy;
//! - `delta`, `segment`, `value`, `filter`: the layers, how segments hold values, and
//!   the Bloom filters that let lookups skip newer segments;
//! - `merge`: the chunked cursors and the double-ended k-way merge;
//! - `persist`: the directory format; `sync`: std or loom primitives.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod compact;
mod config;
mod delta;
mod filter;
mod merge;
mod persist;
mod segment;
mod store;
mod sync;
mod value;
mod version;

pub use config::HybridConfig;
pub use persist::MANIFEST;
pub use store::{HybridRange, HybridStats, HybridStore};
