//! `first`, `last` and the pops: right past long runs of removed keys at either
//! end (which make them read more of the delta), and never handing one entry to
//! two threads.

use std::collections::BTreeSet;

use memkv_hybrid::{HybridConfig, HybridStore};

fn key(i: u32) -> Vec<u8> {
    format!("key/{i:05}").into_bytes()
}

#[test]
fn ends_skip_runs_of_tombstones_at_either_end() {
    let store: HybridStore<u64> = HybridStore::new();
    for i in 0..1_000 {
        store.insert(key(i), u64::from(i));
    }
    store.compact().unwrap();
    // Tombstones in the delta for the lowest and highest 300 keys: more than
    // the first attempts read.
    for i in (0..300).chain(700..1_000) {
        assert_eq!(store.remove(key(i)), Some(u64::from(i)));
    }
    // A live delta entry below all segment keys, then removed again.
    store.insert(b"a", 7);
    assert_eq!(store.first(), Some((b"a".to_vec(), 7)));
    assert_eq!(store.pop_first(), Some((b"a".to_vec(), 7)));
    assert_eq!(store.first(), Some((key(300), 300)));
    assert_eq!(store.last(), Some((key(699), 699)));
    assert_eq!(store.pop_last(), Some((key(699), 699)));
    assert_eq!(store.pop_first(), Some((key(300), 300)));
    // Drain the rest from both ends, alternating.
    let mut got = Vec::new();
    while let Some((k, _)) = if got.len() % 2 == 0 {
        store.pop_first()
    } else {
        store.pop_last()
    } {
        got.push(k);
    }
    assert_eq!(got.len(), 398);
    assert!(store.is_empty());
    assert_eq!((store.first(), store.last()), (None, None));
}

#[test]
fn concurrent_pops_hand_out_each_entry_once() {
    let n: u32 = if cfg!(miri) { 40 } else { 3_000 };
    let store: HybridStore<u64> =
        HybridStore::with_config(HybridConfig::default().flush_threshold(16 * 1024));
    for i in 0..n {
        store.insert(key(i), u64::from(i));
    }
    let popped: Vec<Vec<(Vec<u8>, u64)>> = std::thread::scope(|s| {
        let poppers: Vec<_> = (0..3)
            .map(|t| {
                let store = &store;
                s.spawn(move || {
                    let mut got = Vec::new();
                    while let Some(e) = if t == 1 {
                        store.pop_last()
                    } else {
                        store.pop_first()
                    } {
                        got.push(e);
                    }
                    got
                })
            })
            .collect();
        s.spawn(|| {
            for _ in 0..3 {
                store.compact().unwrap();
            }
        });
        poppers.into_iter().map(|p| p.join().unwrap()).collect()
    });
    let mut seen = BTreeSet::new();
    for (t, got) in popped.iter().enumerate() {
        // Each thread sees its end move one way only.
        let ordered = got.windows(2).all(|w| {
            if t == 1 {
                w[0].0 > w[1].0
            } else {
                w[0].0 < w[1].0
            }
        });
        assert!(ordered, "thread {t} popped out of order");
        for (k, v) in got {
            assert_eq!(*k, key(u32::try_from(*v).unwrap()), "value of {k:?}");
            assert!(seen.insert(k.clone()), "{k:?} popped twice");
        }
    }
    assert_eq!(seen.len(), n as usize);
    assert!(store.is_empty());
}
