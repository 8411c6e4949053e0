//! MemKV: ordered maps for very large sets of string keys, in as little memory as
//! possible.
//!
//! This crate is the public face of the workspace: it re-exports the maps of the
//! lower crates and adds [`MemKV`], the thread-safe map.
//!
//! | Type | Use it for |
//! |---|---|
//! | [`MemKV`] | a map shared by threads (`insert(&self, ..)`) |
//! | [`SimpleKV`] | the `BTreeMap`-backed fallback and baseline |
//!
//! All maps order keys byte-wise (unsigned) and accept any byte string as a key,
//! including the empty key and keys that are prefixes of other keys. The common
//! operations are the [`OrderedMap`] and [`OrderedMapMut`] traits.
//!
//! ```
//! use memkv::MemKV;
//!
//! let kv: MemKV<u64> = MemKV::new();
//! kv.insert(b"key", 42);
//! assert_eq!(kv.get(b"key"), Some(42));
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod memkv;

pub use crate::memkv::MemKV;
pub use memkv_core::{
    prefix_successor, CheckInvariants, Error, KeyBounds, Locked, OrderedMap, OrderedMapMut, Result,
    SharedMap, SimpleKV,
};

#[doc = include_str!("../../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
