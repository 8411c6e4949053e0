//! Operations beyond the shared contract (ordinals, neighbours, searches, builders)
//! checked against a `BTreeMap` model.

use std::collections::BTreeMap;
use std::ops::Bound;

use memkv_core::Error;
use memkv_frozen::automaton::Str;
use memkv_frozen::{
    Automaton, DuplicatePolicy, ExternalSorter, FrozenLayer, FrozenLayerBuilder, SortOptions,
};
use proptest::prelude::*;

type Model = BTreeMap<Vec<u8>, u64>;

/// Keys over a tiny alphabet, so that prefixes, shared paths and neighbours are
/// common.
fn key() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(prop::sample::select(&[0u8, 1, b'a', b'b', 0xFF][..]), 0..6)
}

fn model() -> impl Strategy<Value = Model> {
    prop::collection::btree_map(key(), any::<u64>(), 0..64)
}

fn build(m: &Model) -> FrozenLayer {
    FrozenLayer::from_sorted_iter(m.iter().map(|(k, v)| (k, *v))).unwrap()
}

fn owned(e: Option<(&Vec<u8>, &u64)>) -> Option<(Vec<u8>, u64)> {
    e.map(|(k, v)| (k.clone(), *v))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn ordinals_and_neighbours_match_the_model(m in model(), probes in prop::collection::vec(key(), 1..16)) {
        let layer = build(&m);
        for (i, (k, v)) in m.iter().enumerate() {
            prop_assert_eq!(layer.rank(k), Some(i as u64));
            prop_assert_eq!(layer.nth(i as u64), Some((k.clone(), *v)));
        }
        prop_assert_eq!(layer.nth(m.len() as u64), None);
        prop_assert_eq!(layer.first(), owned(m.iter().next()));
        prop_assert_eq!(layer.last(), owned(m.iter().next_back()));
        for p in &probes {
            prop_assert_eq!(layer.floor(p), owned(m.range::<[u8], _>((Bound::Unbounded, Bound::Included(&p[..]))).next_back()));
            prop_assert_eq!(layer.ceiling(p), owned(m.range::<[u8], _>((Bound::Included(&p[..]), Bound::Unbounded)).next()));
            prop_assert_eq!(layer.count_below(p), m.range::<[u8], _>((Bound::Unbounded, Bound::Excluded(&p[..]))).count() as u64);
            if !m.contains_key(p) {
                prop_assert_eq!(layer.rank(p), None);
            }
        }
    }

    #[test]
    fn searches_match_a_filter(m in model(), prefix in key()) {
        let layer = build(&m);
        let expected: Vec<_> = m.iter().filter(|(k, _)| k.starts_with(&prefix)).map(|(k, v)| (k.clone(), *v)).collect();
        if let Ok(p) = std::str::from_utf8(&prefix) {
            let found: Vec<_> = layer.search(Str::new(p).starts_with()).collect();
            prop_assert_eq!(&found, &expected);
        }
        prop_assert_eq!(layer.prefix_scan(&prefix).collect::<Vec<_>>(), expected);
        let sub: Vec<_> = layer.subsequence("ab").collect();
        let expected_sub: Vec<_> = m.iter().filter(|(k, _)| is_subsequence(b"ab", k)).map(|(k, v)| (k.clone(), *v)).collect();
        prop_assert_eq!(sub, expected_sub);
    }

    #[test]
    fn unsorted_input_with_spills_matches_the_model(
        entries in prop::collection::vec((key(), 0u64..1000), 0..80),
        budget in 0usize..400,
    ) {
        let mut last_wins = Model::new();
        for (k, v) in &entries {
            last_wins.insert(k.clone(), *v);
        }
        let options = SortOptions::with_budget(budget).duplicates(DuplicatePolicy::LastWins);
        let layer = FrozenLayer::from_unsorted(entries.iter().map(|(k, v)| (k, *v)), &options).unwrap();
        prop_assert_eq!(layer.iter().collect::<Vec<_>>(), last_wins.into_iter().collect::<Vec<_>>());

        let mut first_wins = Model::new();
        for (k, v) in &entries {
            first_wins.entry(k.clone()).or_insert(*v);
        }
        let options = SortOptions::with_budget(budget).duplicates(DuplicatePolicy::FirstWins);
        let layer = FrozenLayer::from_unsorted(entries.iter().map(|(k, v)| (k, *v)), &options).unwrap();
        prop_assert_eq!(layer.iter().collect::<Vec<_>>(), first_wins.into_iter().collect::<Vec<_>>());

        let reject = SortOptions::with_budget(budget);
        let result = FrozenLayer::from_unsorted(entries.iter().map(|(k, v)| (k, *v)), &reject);
        // The merge meets keys in order, so the smallest repeated key is reported,
        // with the input position of its second occurrence.
        let mut occurrences: BTreeMap<&[u8], Vec<usize>> = BTreeMap::new();
        for (i, (k, _)) in entries.iter().enumerate() {
            occurrences.entry(k).or_default().push(i);
        }
        let repeat = occurrences.iter().find(|(_, at)| at.len() > 1).map(|(k, at)| (k.to_vec(), at[1] as u64));
        match (result, repeat) {
            (Ok(_), None) => {}
            (Err(Error::DuplicateKey { key, index }), Some(expected)) => prop_assert_eq!((key, index), expected),
            (r, expected) => prop_assert!(false, "got {:?}, expected a duplicate {:?}", r.map(|l| l.len()), expected),
        }
    }
}

fn is_subsequence(needle: &[u8], hay: &[u8]) -> bool {
    let mut it = hay.iter();
    needle.iter().all(|n| it.any(|h| h == n))
}

#[test]
fn seed_quick_start_compiles_and_answers() {
    let mut data: Vec<(&[u8], u64)> = vec![(b"apple", 1), (b"banana", 2), (b"cherry", 3)];
    data.sort_by_key(|(k, _)| *k);
    let frozen = FrozenLayer::from_sorted_iter(data).unwrap();
    assert_eq!(frozen.get(b"apple"), Some(1));
    assert_eq!(frozen.prefix_scan(b"a").count(), 1);
    let results: Vec<_> = frozen.range(b"a", b"c").collect();
    assert_eq!(results, [(b"apple".to_vec(), 1), (b"banana".to_vec(), 2)]);
}

#[test]
fn unsorted_and_duplicate_input_is_an_error_not_a_panic() {
    match FrozenLayer::from_sorted_iter([("b", 1), ("a", 2)]) {
        Err(Error::OutOfOrder {
            index,
            previous,
            got,
        }) => {
            assert_eq!((index, &previous[..], &got[..]), (1, &b"b"[..], &b"a"[..]));
        }
        other => panic!("expected OutOfOrder, got {other:?}"),
    }
    match FrozenLayer::from_sorted_iter([("a", 1), ("b", 2), ("b", 3)]) {
        Err(Error::DuplicateKey { index, key }) => assert_eq!((index, &key[..]), (2, &b"b"[..])),
        other => panic!("expected DuplicateKey, got {other:?}"),
    }
    let mut b = FrozenLayerBuilder::memory();
    b.insert("m", 1).unwrap();
    assert!(b.insert("a", 2).is_err());
    b.insert("z", 3).unwrap();
    let layer = b.finish().unwrap();
    assert_eq!(
        layer.iter().collect::<Vec<_>>(),
        [(b"m".to_vec(), 1), (b"z".to_vec(), 3)]
    );
}

#[test]
fn duplicate_errors_name_the_input_position_across_spilled_runs() {
    let mut s = ExternalSorter::new(SortOptions::with_budget(1));
    for (i, k) in ["q", "w", "e", "r", "w", "y"].iter().enumerate() {
        s.push(k, i as u64).unwrap();
    }
    assert!(s.spilled_runs() >= 4);
    let err = s
        .finish()
        .unwrap()
        .find_map(Result::err)
        .expect("the duplicate is reported");
    assert!(
        matches!(&err, Error::DuplicateKey { index: 4, key } if key == b"w"),
        "{err:?}"
    );
}

#[test]
fn empty_layer_and_empty_key() {
    let empty = FrozenLayer::from_sorted_iter(Vec::<(&[u8], u64)>::new()).unwrap();
    assert!(empty.is_empty());
    assert_eq!(
        (empty.first(), empty.last(), empty.floor("x")),
        (None, None, None)
    );
    assert_eq!(empty.iter().next_back(), None);
    let layer = FrozenLayer::from_sorted_iter([("", 5), ("a", 6)]).unwrap();
    assert_eq!(layer.get(""), Some(5));
    assert_eq!(layer.floor("0"), Some((Vec::new(), 5)));
    assert_eq!(
        layer.iter().rev().map(|(_, v)| v).collect::<Vec<_>>(),
        [6, 5]
    );
}

#[test]
fn both_ends_meet_without_repeating() {
    let keys: Vec<String> = (0..300)
        .map(|i| format!("k{:03}/{}", i * 7 % 300, i % 3))
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    let layer =
        FrozenLayer::from_sorted_iter(sorted.iter().enumerate().map(|(i, k)| (k, i as u64 * 3)))
            .unwrap();
    let mut it = layer.range_bounds::<(Bound<&[u8]>, Bound<&[u8]>)>((
        Bound::Excluded(b"k010"),
        Bound::Included(b"k200/0"),
    ));
    let mut seen = Vec::new();
    let mut flip = false;
    loop {
        let e = if flip { it.next_back() } else { it.next() };
        flip = !flip;
        match e {
            Some((k, _)) => seen.push(k),
            None => break,
        }
    }
    seen.sort();
    let expected: Vec<Vec<u8>> = sorted
        .iter()
        .filter(|k| k.as_bytes() > &b"k010"[..] && k.as_bytes() <= &b"k200/0"[..])
        .map(|k| k.as_bytes().to_vec())
        .collect();
    assert_eq!(seen, expected);
}

#[test]
fn layers_are_cheap_to_clone_and_shareable() {
    fn shareable<T: Send + Sync + Clone>(_: &T) {}
    let layer = FrozenLayer::from_sorted_iter([("a", 1)]).unwrap();
    shareable(&layer);
    let clone = layer.clone();
    assert_eq!(clone.as_bytes().as_ptr(), layer.as_bytes().as_ptr());
    std::thread::scope(|s| {
        s.spawn(|| assert_eq!(clone.get("a"), Some(1)));
    });
}

#[test]
fn values_that_count_up_are_not_stored() {
    let counted =
        FrozenLayer::from_sorted_iter((0..1000u64).map(|i| (format!("{i:05}"), i + 40))).unwrap();
    let random = FrozenLayer::from_sorted_iter(
        (0..1000u64).map(|i| (format!("{i:05}"), (i * 7919) % 1000 + 40)),
    )
    .unwrap();
    assert_eq!(counted.get("00999"), Some(1039));
    assert_eq!(random.get("00999"), Some((999 * 7919) % 1000 + 40));
    // 1000 values of 10 bits each: at least 1250 bytes more.
    assert!(random.as_bytes().len() >= counted.as_bytes().len() + 1250);
}

#[test]
fn files_round_trip_and_replace_atomically() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.frz");
    let one = FrozenLayer::from_sorted_iter([("x", 1)]).unwrap();
    one.write_to(&path).unwrap();
    let mapped = FrozenLayer::open(&path).unwrap();
    let two = FrozenLayer::from_sorted_iter([("y", 2)]).unwrap();
    // Replacing the file leaves the old mapping intact: the rename swaps inodes.
    two.write_to(&path).unwrap();
    assert_eq!(mapped.get("x"), Some(1));
    assert_eq!(FrozenLayer::open(&path).unwrap().get("y"), Some(2));
    assert_eq!(
        mapped.memory_usage() < 1024,
        mapped.mapped_bytes() == mapped.as_bytes().len()
    );
    let leftovers = std::fs::read_dir(dir.path()).unwrap().count();
    assert_eq!(leftovers, 1, "no temporary files are left behind");
    assert!(matches!(
        FrozenLayer::open(dir.path().join("missing.frz")),
        Err(Error::Io { path: Some(_), .. })
    ));
}

#[test]
fn a_failed_file_build_leaves_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("never.frz");
    let mut b = FrozenLayerBuilder::create(&path).unwrap();
    b.insert("b", 1).unwrap();
    assert!(b.insert("a", 1).is_err());
    drop(b);
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[cfg(feature = "levenshtein")]
#[test]
fn fuzzy_search_finds_close_keys() {
    let layer =
        FrozenLayer::from_sorted_iter([("cart", 1), ("cat", 2), ("dog", 3), ("hat", 4)]).unwrap();
    let hits: Vec<u64> = layer.fuzzy("cat", 1).unwrap().map(|(_, v)| v).collect();
    assert_eq!(hits, [1, 2, 4]);
    assert!(matches!(
        layer.fuzzy(&"x".repeat(200), 40),
        Err(Error::CapacityExceeded { .. })
    ));
}

#[test]
fn an_unopened_file_build_reports_its_length() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("l.frz");
    let mut b = FrozenLayerBuilder::create(&path).unwrap();
    for i in 0..500u64 {
        b.insert(format!("{i:04}"), i * i).unwrap();
    }
    let len = b.finish_unopened().unwrap();
    assert_eq!(std::fs::metadata(&path).unwrap().len(), len);
    let layer = FrozenLayer::open(&path).unwrap();
    assert_eq!(layer.get("0499"), Some(499 * 499));
    assert_eq!(
        FrozenLayerBuilder::memory().finish_unopened().unwrap(),
        FrozenLayer::from_sorted_iter(Vec::<(&[u8], u64)>::new())
            .unwrap()
            .as_bytes()
            .len() as u64
    );
}

/// Repeats of one key spread over many spilled runs: the first (or last) pushed
/// wins, and `position` names the occurrence kept.
#[test]
fn first_and_last_wins_hold_across_spilled_runs() {
    let keys =
        |round: u64| (0..50u64).map(move |i| (format!("key{:02}", (i * 7) % 50), round * 100 + i));
    for (policy, round) in [
        (DuplicatePolicy::FirstWins, 0u64),
        (DuplicatePolicy::LastWins, 5),
    ] {
        let mut sorter = ExternalSorter::new(SortOptions::with_budget(256).duplicates(policy));
        for r in 0..6 {
            for (k, v) in keys(r) {
                sorter.push(k, v).unwrap();
            }
        }
        assert!(sorter.spilled_runs() >= 6, "{} runs", sorter.spilled_runs());
        let mut sorted = sorter.finish().unwrap();
        let mut n = 0;
        while let Some(entry) = sorted.next() {
            let (key, value) = entry.unwrap();
            let i: u64 = std::str::from_utf8(&key[3..]).unwrap().parse().unwrap();
            // Key `i` is pushed at step `j` of every round, with `j * 7 % 50 == i`.
            let j = (0..50).find(|j| j * 7 % 50 == i).unwrap();
            assert_eq!(value, round * 100 + j, "{policy:?} {i}");
            assert_eq!(sorted.position(), Some(round * 50 + j), "{policy:?} {i}");
            n += 1;
        }
        assert_eq!(n, 50);
    }
}
