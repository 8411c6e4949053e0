//! Criterion benchmarks of every MemKV map against `BTreeMap`, `HashMap` and
//! `fst::Map` (the bench targets are `benches/maps.rs` and `benches/counting.rs`).
//!
//! This library prepares their inputs: 100K-key slices of the synthetic URL set
//! and, when `../shared/datasets` is present next to the workspace, of a real key
//! set, with the probes in a fixed shuffled order so that lookups do not enjoy the
//! cache warmth of sorted probes.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

use std::path::PathBuf;

use memkv_measure::keys::{self, KeySet};
use memkv_measure::workload::Workload;

/// Keys per benchmark input.
pub const SLICE: usize = 100_000;

/// A named benchmark input.
#[derive(Debug)]
pub struct Input {
    /// The dataset name, used in benchmark ids.
    pub name: &'static str,
    /// The keys, values and probe orders.
    pub workload: Workload,
}

/// The synthetic URL slice: always available.
pub fn synthetic() -> Input {
    let mut text = Vec::new();
    memkv_measure::synth::generate(
        SLICE as u64,
        memkv_measure::synth::DEFAULT_SEED,
        &mut text,
        &mut |_| {},
    )
    .expect("writing to a Vec cannot fail");
    Input {
        name: "synthetic-urls",
        workload: Workload::new(keys::parse_lines(&text).keys),
    }
}

/// `../shared/datasets` relative to the workspace root.
fn shared_datasets() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("..")
        .join("shared")
        .join("datasets")
}

/// A uniform 100K sample of the real Debian paths, when the shared datasets exist
/// (a message says so when they do not).
pub fn real() -> Option<Input> {
    let path = shared_datasets().join("debian-paths-1m.txt.zst");
    if !path.exists() {
        eprintln!(
            "memkv-benches: {} not found; benchmarking the synthetic set only",
            path.display()
        );
        return None;
    }
    let loaded = match keys::load(&path, Some(SLICE), &mut |_| {}) {
        Ok(loaded) => loaded,
        Err(e) => {
            eprintln!(
                "memkv-benches: cannot read {}: {e}; skipping it",
                path.display()
            );
            return None;
        }
    };
    Some(Input {
        name: "debian-paths",
        workload: Workload::new(loaded.keys),
    })
}

/// Every available input.
pub fn inputs() -> Vec<Input> {
    std::iter::once(synthetic()).chain(real()).collect()
}

/// The `i`-th range query of a workload: from a key to the key 100 positions
/// later, with the oracle's entry count.
pub fn range_query(keys: &KeySet, i: usize) -> (&[u8], &[u8], usize) {
    let n = keys.len();
    let start = (i * 7919) % n;
    let end = (start + 100).min(n - 1);
    (keys.get(start), keys.get(end), end - start)
}
