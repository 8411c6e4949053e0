//! Scans are snapshots: compactions and writes while a scan is under way change
//! nothing it returns, from either end.

use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::atomic::{AtomicBool, Ordering};

use memkv_core::KeyBounds;
use memkv_hybrid::{HybridConfig, HybridStore};
use proptest::prelude::*;

type Model = BTreeMap<Vec<u8>, u64>;

fn key() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(
        prop_oneof![Just(0u8), Just(b'a'), Just(b'b'), Just(0xFF)],
        0..5,
    )
}

fn bound() -> impl Strategy<Value = Bound<Vec<u8>>> {
    prop_oneof![
        key().prop_map(Bound::Included),
        key().prop_map(Bound::Excluded),
        Just(Bound::Unbounded)
    ]
}

/// `Some(v)` inserts, `None` removes.
fn writes() -> impl Strategy<Value = Vec<(Vec<u8>, Option<u64>)>> {
    proptest::collection::vec(
        (key(), proptest::option::weighted(0.75, any::<u64>())),
        0..80,
    )
}

fn apply(store: &HybridStore<u64>, model: &mut Model, writes: &[(Vec<u8>, Option<u64>)]) {
    for (k, v) in writes {
        match v {
            Some(v) => assert_eq!(store.insert(k, *v), model.insert(k.clone(), *v)),
            None => assert_eq!(store.remove(k), model.remove(k)),
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn a_scan_is_not_disturbed_by_compactions_and_writes(
        before in writes(),
        during in writes(),
        start in bound(),
        end in bound(),
        pattern in proptest::collection::vec(any::<bool>(), 0..40),
        pause in 0usize..20,
        full in any::<bool>(),
    ) {
        let store = HybridStore::with_config(HybridConfig::default().flush_threshold(300).background(false));
        let mut model = Model::new();
        apply(&store, &mut model, &before);
        let bounds = KeyBounds { start, end };
        let mut expected = model.iter().filter(|(k, _)| bounds.contains(k)).map(|(k, v)| (k.clone(), *v)).collect::<Vec<_>>().into_iter();
        let mut scan = store.range(bounds);
        for (step, &back) in pattern.iter().chain(std::iter::repeat_n(&false, 100)).enumerate() {
            if step == pause {
                // The store changes under the scan: new writes, then a compaction
                // that replaces the segments the scan is reading.
                apply(&store, &mut model, &during);
                if full { store.compact().unwrap() } else { store.flush().unwrap() }
            }
            let (e, g) = if back { (expected.next_back(), scan.next_back()) } else { (expected.next(), scan.next()) };
            prop_assert_eq!(e, g, "step {} (next_back={})", step, back);
        }
        // The store itself reflects every write.
        prop_assert_eq!(store.iter().collect::<Vec<_>>(), model.into_iter().collect::<Vec<_>>());
    }
}

#[test]
fn scans_stay_consistent_while_a_thread_compacts() {
    let store = HybridStore::with_config(HybridConfig::default().flush_threshold(4_000));
    let keys: Vec<Vec<u8>> = (0..3_000u64)
        .map(|i| {
            format!(
                "/usr/share/doc/{:04x}/file",
                i.wrapping_mul(0x9E37_79B9) % 4096
            )
            .into_bytes()
        })
        .collect();
    for (i, k) in keys.iter().enumerate() {
        store.insert(k, i as u64);
    }
    let stop = AtomicBool::new(false);
    std::thread::scope(|s| {
        s.spawn(|| {
            while !stop.load(Ordering::Acquire) {
                store.compact().unwrap();
                std::thread::yield_now();
            }
        });
        for round in 0..20 {
            let snapshot: Vec<(Vec<u8>, u64)> = store.iter().collect();
            let scan = store.iter();
            let mut seen = Vec::new();
            // Interleave slow consumption with writes that land in new segments.
            for e in scan {
                if seen.len() % 500 == 0 {
                    store.insert(format!("/tmp/{round}/{}", seen.len()), 7);
                }
                seen.push(e);
            }
            // Only this thread writes, and its writes during the scan must not show:
            // the scan equals the state at its start, whatever the compactions did.
            assert!(
                seen == snapshot,
                "round {round}: the scan differs from the state at its start"
            );
        }
        stop.store(true, Ordering::Release);
    });
}
