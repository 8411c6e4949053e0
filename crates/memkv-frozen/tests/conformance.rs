//! The shared read-only conformance suite, on layers built in memory and on layers
//! written to a file and mapped back.

use memkv_core::conformance::Suite;
use memkv_frozen::{DuplicatePolicy, FrozenLayer, FrozenLayerBuilder, SortOptions};

#[test]
fn frozen_layer_conforms() {
    // Fewer cases than the suite's default: every case builds an FST with keys of
    // 64 KiB, which is slow in debug builds.
    Suite::new("FrozenLayer")
        .cases(96)
        .run_read_only(|entries| {
            FrozenLayer::from_sorted_iter(entries.iter().map(|(k, v)| (k, *v))).unwrap()
        });
}

#[test]
fn frozen_layer_from_bytes_conforms() {
    Suite::new("FrozenLayer (from_bytes of as_bytes)")
        .cases(24)
        .run_read_only(|entries| {
            let built =
                FrozenLayer::from_sorted_iter(entries.iter().map(|(k, v)| (k, *v))).unwrap();
            FrozenLayer::from_bytes(built.as_bytes().to_vec()).unwrap()
        });
}

#[test]
fn written_and_reopened_layer_conforms() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("layer.frz");
    Suite::new("FrozenLayer (written, reopened)")
        .cases(24)
        .run_read_only(move |entries| {
            let built =
                FrozenLayer::from_sorted_iter(entries.iter().map(|(k, v)| (k, *v))).unwrap();
            built.write_to(&path).unwrap();
            let opened = FrozenLayer::open(&path).unwrap();
            assert!(opened.is_mapped());
            opened
        });
}

#[test]
fn file_builder_conforms() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("built.frz");
    Suite::new("FrozenLayer (FrozenLayerBuilder::create)")
        .cases(24)
        .run_read_only(move |entries| {
            let mut b = FrozenLayerBuilder::create(&path).unwrap();
            for (k, v) in entries {
                b.insert(k, *v).unwrap();
            }
            b.finish().unwrap()
        });
}

#[test]
fn unsorted_builder_with_spilling_conforms() {
    // A tiny budget forces a spill every few entries, so the merge is exercised.
    let options = SortOptions::with_budget(200).duplicates(DuplicatePolicy::Reject);
    Suite::new("FrozenLayer (from_unsorted, spilling)")
        .cases(24)
        .run_read_only(move |entries| {
            let shuffled = entries.iter().rev().map(|(k, v)| (k, *v));
            FrozenLayer::from_unsorted(shuffled, &options).unwrap()
        });
}
