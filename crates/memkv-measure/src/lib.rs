//! MemKV's measurement harness: how much memory each map really takes, and how fast
//! it is, on a fixed workload.
//!
//! Memory is jemalloc's count of live bytes after the build minus before it, read in
//! a process that measures exactly one (implementation, dataset) pair and whose
//! global allocator is jemalloc: the `memkv-measure` binary of this crate, or the
//! `compare_all` example of `memkv` acting as its own child. [`compare`] launches one
//! such child per implementation and collects the JSON line each prints; it is all
//! of `cargo xtask bench-memory` and of `cargo run --release --example compare_all`.
//!
//! - [`keys`]: loading key files (zstd transparently), sorting, sampling;
//! - [`workload`]: the fixed workload (values, shuffles, probes, prefix queries);
//! - [`subject`] and [`registry`]: what is measured, looked up by exact name;
//! - [`run`]: the measurement itself, with every answer checked;
//! - [`memory`]: reading jemalloc's statistics;
//! - [`report`], [`render`], [`chart`]: the results as JSON, tables and an SVG chart;
//! - [`synth`]: the synthetic URL generator of the default dataset;
//! - [`dataset`]: datasets by name (the synthetic one generated on first use);
//! - [`child`] and [`compare`]: the measuring child and the parent that runs one
//!   child per implementation and prints and writes the results;
//! - [`files`]: atomic file writes.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod chart;
pub mod child;
pub mod compare;
pub mod dataset;
pub mod files;
pub mod keys;
pub mod memory;
pub mod registry;
pub mod render;
pub mod report;
pub mod rng;
pub mod run;
pub mod subject;
pub mod synth;
pub mod workload;
