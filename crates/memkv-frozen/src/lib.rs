//! FrozenLayer: MemKV's immutable ordered map from byte strings to `u64`, for data
//! that is built once and then only read, in as little memory as possible.
//!
//! A layer is an [`fst`] finite state transducer that maps every key to its
//! *ordinal* (its position in key order), plus a bit-packed column of values
//! indexed by ordinal. Ordinals grow with the keys, so the FST shares their output
//! bytes almost as well as it shares key bytes; values that do not follow key order
//! would not share at all (on 1M Debian paths with random ids: 17.0 bytes/key of
//! data for a plain `fst::Map`, 14.3 for a layer). The FST bytes are `fst`'s format,
//! written by this crate's own writer, whose larger registry of written nodes
//! shares more suffixes than `fst`'s builder; point and prefix lookups walk those
//! bytes with this crate's own reader, streams and automata with `fst`'s. The ordinals also give rank and select
//! ([`FrozenLayer::rank`], [`FrozenLayer::nth`]) and reverse iteration.
//!
//! - Build from sorted entries with [`FrozenLayer::from_sorted_iter`] or the
//!   streaming [`FrozenLayerBuilder`] (in memory, or straight into a file in bounded
//!   memory); from unsorted entries with [`FrozenLayer::from_unsorted`] or an
//!   [`ExternalSorter`], which spills sorted runs to temporary files.
//! - Store with [`FrozenLayer::write_to`] (atomic) and [`FrozenLayer::as_bytes`];
//!   load with [`FrozenLayer::open`] (memory map, almost no heap) or
//!   [`FrozenLayer::from_bytes`]. The file format (magic, version, CRC-32) is
//!   described in `docs/FORMAT.md`; damaged or foreign bytes return an error.
//! - Query with `get`, `range`/`range_bounds`, `prefix_scan`, `iter` (all streaming
//!   and double-ended), `first`/`last`, `floor`/`ceiling`, and fst automata
//!   ([`FrozenLayer::search`], [`FrozenLayer::subsequence`], and
//!   `FrozenLayer::fuzzy` with the `levenshtein` feature).
//!
//! ```
//! use memkv_frozen::FrozenLayer;
//!
//! let mut data: Vec<(&[u8], u64)> = vec![(b"banana", 2), (b"apple", 1), (b"cherry", 3)];
//! data.sort_by_key(|(k, _)| *k);
//! let frozen = FrozenLayer::from_sorted_iter(data)?;
//! assert_eq!(frozen.get(b"apple"), Some(1));
//! assert_eq!(frozen.prefix_scan(b"b").count(), 1);
//! assert_eq!(frozen.range(b"a", b"c").rev().next(), Some((b"banana".to_vec(), 2)));
//! # Ok::<(), memkv_core::Error>(())
//! ```
#![deny(unsafe_code)]
#![warn(missing_docs)]

mod atomic;
mod build;
mod format;
mod fst_format;
mod fst_write;
mod info;
mod layer;
mod lookup;
#[allow(unsafe_code)]
mod mmap;
mod range;
mod search;
mod sort;
mod storage;
mod validate;
mod values;

pub use build::FrozenLayerBuilder;
pub use info::{FormatInfo, ValueLayout};
pub use layer::{CommonPrefixes, FrozenLayer};
pub use range::FrozenRange;
pub use search::FrozenSearch;
pub use sort::{DuplicatePolicy, ExternalSorter, SortOptions, SortedEntries};

/// `fst`'s automaton trait and automata, for [`FrozenLayer::search`].
pub use fst::{automaton, Automaton};
