//! `HybridStore` against the shared conformance suite, with compactions forced at
//! random points, and under concurrent writers, readers and compactions.

use std::cell::Cell;

use memkv_core::conformance::{check_concurrent, check_concurrent_updates, Suite};
use memkv_hybrid::{HybridConfig, HybridStore};

/// Alternates tiered flushes and full compactions wherever the suite says `Maintain`.
fn flush_or_compact() -> impl Fn(&mut HybridStore<u64>) {
    let turn = Cell::new(0u32);
    move |store| {
        turn.set(turn.get() + 1);
        if turn.get() % 3 == 0 {
            store.compact().unwrap();
        } else {
            store.flush().unwrap();
        }
    }
}

#[test]
fn conforms_with_compactions_at_random_points() {
    // Fewer cases than the suite's default: every step rebuilds or rescans FSTs with
    // 64 KiB keys, which is slow in debug builds.
    Suite::new("HybridStore")
        .cases(64)
        .with_invariants()
        .maintain(flush_or_compact())
        .run(HybridStore::<u64>::new);
}

#[test]
fn conforms_when_every_few_writes_flush_inline() {
    // A threshold of a few hundred bytes flushes every handful of writes, so most
    // sequences run over several segments with tombstones in them.
    Suite::new("HybridStore (inline flushes)")
        .cases(64)
        .with_invariants()
        .maintain(flush_or_compact())
        .run(|| {
            HybridStore::<u64>::with_config(
                HybridConfig::default()
                    .flush_threshold(400)
                    .background(false),
            )
        });
}

#[test]
fn conforms_when_segments_are_cut_into_tiny_runs() {
    // Runs of three entries: lookups, scans from both ends and merges cross run
    // boundaries all the time.
    Suite::new("HybridStore (tiny runs)")
        .cases(64)
        .with_invariants()
        .maintain(flush_or_compact())
        .run(|| {
            HybridStore::<u64>::with_config(
                HybridConfig::default()
                    .flush_threshold(400)
                    .run_entries(3)
                    .background(false),
            )
        });
}

#[test]
fn conforms_while_background_flushes_run() {
    Suite::new("HybridStore (background flushes)")
        .cases(32)
        .maintain(|store: &mut HybridStore<u64>| store.compact().unwrap())
        .run(|| HybridStore::<u64>::with_config(HybridConfig::default().flush_threshold(400)));
}

#[test]
fn keeps_every_write_under_concurrent_writers_readers_and_compactions() {
    let store = HybridStore::<u64>::new();
    check_concurrent(&store, |s| s.compact().unwrap()).unwrap();
    assert!(store.stats().segments.len() <= 1, "{:?}", store.stats());
}

#[test]
fn loses_no_update_under_concurrent_updaters_and_compactions() {
    let store = HybridStore::<u64>::new();
    check_concurrent_updates(&store, |s| s.compact().unwrap()).unwrap();
    // Deltas a few hundred bytes long: updates keep meeting freezes and flushes.
    let store = HybridStore::<u64>::with_config(
        HybridConfig::default().flush_threshold(512).stall_factor(2),
    );
    check_concurrent_updates(&store, |s| s.flush().unwrap()).unwrap();
}

#[test]
fn keeps_every_write_with_background_flushes_and_stalled_writers() {
    // Tiny threshold and stall factor: writers are held back while flushes run.
    let store = HybridStore::<u64>::with_config(
        HybridConfig::default()
            .flush_threshold(2_000)
            .stall_factor(2),
    );
    check_concurrent(&store, |s| s.flush().unwrap()).unwrap();
}
