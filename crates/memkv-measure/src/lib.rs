//! MemKV's measurement harness: how much memory each map really takes, and how fast
//! it is, on a fixed workload.
//!
//! Memory is jemalloc's count of live bytes after the build minus before it, read in
//! a process that measures exactly one (implementation, dataset) pair: the
//! `memkv-measure` binary of this crate, the only place where jemalloc is the global
//! allocator. `cargo xtask bench-memory` launches one such child per implementation
//! and collects the JSON line each prints.
//!
//! - [`keys`]: loading key files (zstd transparently), sorting, sampling;
//! - [`workload`]: the fixed workload (values, shuffles, probes, prefix queries);
//! - [`subject`] and [`registry`]: what is measured, looked up by exact name;
//! - [`run`]: the measurement itself, with every answer checked;
//! - [`memory`]: reading jemalloc's statistics;
//! - [`report`], [`render`], [`chart`]: the results as JSON, tables and an SVG chart;
//! - [`synth`]: the synthetic URL generator of the default dataset.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod chart;
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
