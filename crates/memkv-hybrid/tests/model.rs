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
    let width = 4;
    let store = HybridStore::<u64>::with_config(
        HybridConfig::default()
            .flush_threshold(4_096)
            .merge_ratio(width as f64)
            .background(false),
    );
    let n = 40_000u64;
    let (mut most, mut flushes, mut before) = (0, 0, 0);
    for i in 0..n {
        store.insert(format!("{:08x}", i.wrapping_mul(0x9E37_79B9_7F4A_7C15)), i);
        let stats = store.stats();
        flushes += usize::from(stats.delta_entries < before);
        before = stats.delta_entries;
        most = most.max(stats.segments.len());
        assert_eq!(
            stats.frozen_deltas, 0,
            "inline flushes leave no frozen delta"
        );
    }
    // The policy's guarantee: fewer than `width` segments per level once a flush and
    // its merges are done, and a level holds `width` times more flushes than the one
    // below it.
    let levels = (flushes as f64).ln() / (width as f64).ln() + 1.0;
    let bound = (width - 1) * levels.ceil() as usize;
    assert!(
        most <= bound,
        "{most} segments at most after {flushes} flushes, bound {bound}"
    );
    assert!(
        flushes > 100,
        "only {flushes} flushes: the test tests nothing"
    );
    store.compact().unwrap();
    assert_eq!(store.stats().segments, [n as usize]);
    assert_eq!(store.len(), n as usize);
}
