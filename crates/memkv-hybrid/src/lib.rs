//! `HybridStore`: a mutable ordered byte-key map whose memory stays close to a frozen
//! FST's.
//!
//! A frozen FST ([`memkv_frozen::FrozenLayer`]) is the smallest ordered map we have,
//! but it cannot change. This crate puts a small mutable delta in front of a stack of
//! FST segments, the design the `fst` crate's author recommends for updates and that
//! the Hybrid Index paper (Zhang et al., SIGMOD 2016) measures:
//!
//! - writes (values and removal tombstones) go to the delta;
//! - when the delta passes a size threshold, the writer freezes it and a background
//!   thread flushes it into a new segment; segments of one level are merged into one
//!   of the next level once there are enough of them (tiered merging), so segment
//!   sizes grow geometrically and there are logarithmically many; each new set of
//!   layers is published atomically;
//! - segments are cut into runs of about 1 MiB, so a merge holds one run's build
//!   buffers beside its result, never a second copy of a whole segment;
//! - `get` asks the delta, then the frozen delta being flushed, then the segments,
//!   newest first; scans are an ordered k-way merge honouring tombstones and
//!   shadowing;
//! - [`HybridStore::compact`] merges everything into one segment, the most compact
//!   form; [`HybridStore::save`] and [`HybridStore::open`] persist a store to a
//!   directory (atomically) and memory-map it back.
//!
//! Readers never wait for a compaction: they take the state lock only to look at the
//! delta and clone an `Arc` of the published version. Replaced versions are freed by
//! the compacting thread once no reader holds them, never by a reader.
//!
//! # Code map
//!
//! - `store`: the handle, reads and writes; `edge`: the first and last entries
//!   and popping them; `compact`: freezing, flushing, merging,
//!   publishing, freeing and the background thread; `version`: the published layers
//!   and the merge policy;
//! - `delta`, `segment`, `value`, `filter`: the layers, how segments hold values, and
//!   the Bloom filters that let lookups skip newer segments;
//! - `merge`: the chunked cursors and the double-ended k-way merge;
//! - `persist`: the directory format; `sync`: std or loom primitives.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod compact;
mod config;
mod delta;
mod edge;
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
