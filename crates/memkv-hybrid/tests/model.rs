//! Non-`u64` values (kept in segment value slots) against a model, and the merge
//! policy's promise of logarithmically many segments.

use std::collections::BTreeMap;

use memkv_core::CheckInvariants;
use memkv_hybrid::{HybridConfig, HybridStore};
use proptest::prelude::*;

#[derive(Clone, Debug)]
enum Op {
    Insert(Vec<u8>, String),
    Remove(Vec<u8>),
    Flush,
    Compact,
}

fn key() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(
        prop_oneof![Just(0u8), Just(b'k'), Just(b'z'), Just(0xFF)],
        0..4,
    )
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        8 => (key(), "[a-z]{0,12}").prop_map(|(k, v)| Op::Insert(k, v)),
        3 => key().prop_map(Op::Remove),
        1 => Just(Op::Flush),
        1 => Just(Op::Compact),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn string_values_survive_flushes_and_compactions(ops in proptest::collection::vec(op(), 1..120)) {
        let store = HybridStore::<String>::with_config(HybridConfig::default().flush_threshold(500).background(false));
        let mut model = BTreeMap::new();
        for op in &ops {
            match op {
                Op::Insert(k, v) => prop_assert_eq!(store.insert(k, v.clone()), model.insert(k.clone(), v.clone())),
                Op::Remove(k) => prop_assert_eq!(store.remove(k), model.remove(k)),
                Op::Flush => store.flush().unwrap(),
                Op::Compact => store.compact().unwrap(),
            }
            store.check_invariants().map_err(TestCaseError::fail)?;
        }
        for (k, v) in &model {
            prop_assert_eq!(store.get(k), Some(v.clone()));
        }
        prop_assert_eq!(store.iter().rev().collect::<Vec<_>>(), model.into_iter().rev().collect::<Vec<_>>());
    }
}

#[test]
fn the_number_of_segments_stays_logarithmic() {
    let ratio = 1.5;
    let store = HybridStore::<u64>::with_config(
        HybridConfig::default()
            .flush_threshold(4_096)
            .merge_ratio(ratio)
            .background(false),
    );
    let n = 40_000u64;
    let mut most = 0;
    for i in 0..n {
        store.insert(format!("{:08x}", i.wrapping_mul(0x9E37_79B9_7F4A_7C15)), i);
        let segments = store.stats().segments;
        most = most.max(segments.len());
        // The merge policy's guarantee: each segment is more than `ratio` times the
        // next newer one, so sizes grow geometrically.
        for w in segments.windows(2) {
            assert!(
                w[1] as f64 > ratio * w[0] as f64,
                "after {i} inserts: {segments:?}"
            );
        }
    }
    let smallest_flush = 10.0;
    let bound = ((n as f64 / smallest_flush).ln() / ratio.ln()) as usize + 1;
    assert!(most <= bound, "{most} segments at most, bound {bound}");
    store.compact().unwrap();
    assert_eq!(store.stats().segments, [n as usize]);
    assert_eq!(store.len(), n as usize);
}
