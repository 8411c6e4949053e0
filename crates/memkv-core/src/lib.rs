//! The contract every MemKV map implements.
//!
//! MemKV has several maps from byte-string keys to values (adaptive radix trees, an
//! FST-backed frozen layer, a hybrid store). This crate defines what they have in
//! common, so that the conformance suite, the benchmark harness and the hybrid store
//! can treat them alike:
//!
//! - [`OrderedMap`]: read operations (`get`, `contains_key`, `len`, ordered and
//!   double-ended `range` / `iter` / `prefix_scan`, `memory_usage`);
//! - [`OrderedMapMut`]: `insert` and `remove`;
//! - [`SharedMap`]: the same operations through `&self`, for maps shared by threads;
//! - [`KeyBounds`]: owned, `RangeBounds`-shaped byte-key bounds, including the bounds
//!   of a prefix;
//! - [`Error`]: the one error enum of the workspace;
//! - [`SimpleKV`]: the `BTreeMap`-backed reference map;
//! - `conformance` (feature `conformance`): the shared property-test suite;
//! - `serde_support` (feature `serde`): the serde encoding the maps share.
//!
//! Ordering is always unsigned byte-wise (`[u8]`'s `Ord`): `b"a" < b"a\0" < b"ab"`.
//! Any byte string is a valid key, including the empty key and keys that are prefixes
//! of other keys.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod bounds;
mod error;
mod map;
mod shared;
mod simple;

#[cfg(feature = "conformance")]
pub mod conformance;
#[cfg(feature = "serde")]
pub mod serde_support;

pub use bounds::{prefix_successor, KeyBounds};
pub use error::{Error, Result};
pub use map::{CheckInvariants, OrderedMap, OrderedMapMut};
pub use shared::{Locked, SharedMap};
pub use simple::SimpleKV;
