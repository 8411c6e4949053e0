//! `ArenaArt` against the conformance suite, a `BTreeMap` model, and edge cases.

use std::collections::BTreeMap;
use std::ops::Bound;

use memkv_art::ArenaArt;
use memkv_core::conformance::Suite;
use memkv_core::{CheckInvariants, OrderedMap};
use proptest::prelude::*;

#[test]
fn conforms() {
    Suite::new("ArenaArt")
        .with_invariants()
        .maintain(|m: &mut ArenaArt<u64>| m.compact())
        .run(ArenaArt::new);
}

/// Longer sequences: the default 96 steps seldom put more than 32 keys in one
/// bucket, so the tree rarely grows inner nodes; 600 do (a walk that skipped
/// the nodes' end values in `common_prefixes` passed `conforms` and failed here).
#[test]
fn conforms_long() {
    Suite::new("ArenaArt (long)")
        .cases(32)
        .max_ops(600)
        .with_invariants()
        .maintain(|m: &mut ArenaArt<u64>| m.compact())
        .run(ArenaArt::new);
}

/// Buckets in chunks of one size class each, which a map only reaches past 8 GiB
/// of buckets, here from the first chunk on.
#[test]
fn conforms_with_class_bucket_chunks() {
    Suite::new("ArenaArt (class bucket chunks)")
        .cases(32)
        .max_ops(600)
        .with_invariants()
        .maintain(|m: &mut ArenaArt<u64>| m.compact())
        .run(|| ArenaArt::with_class_bucket_chunks_from(0));
}

/// Enough keys to fill a shared chunk (256 KiB) and class chunks, then removes
/// and compactions: every entry is where the model says.
#[test]
fn many_keys_across_shared_and_class_bucket_chunks() {
    let mut kv = ArenaArt::with_class_bucket_chunks_from(1);
    let mut model = BTreeMap::new();
    for i in 0..60_000u64 {
        let key = format!("/usr/share/doc/pkg-{}/file{}", i % 977, i * 7919 % 60_000);
        assert_eq!(kv.insert(&key, i), model.insert(key.into_bytes(), i));
    }
    kv.check_invariants().unwrap();
    model.retain(|k, v| {
        if *v % 3 == 0 {
            assert_eq!(kv.remove(k), Some(*v));
            false
        } else {
            true
        }
    });
    kv.check_invariants().unwrap();
    for round in 0..2 {
        assert_eq!(kv.len(), model.len(), "round {round}");
        assert!(kv.iter().eq(model.iter().map(|(k, v)| (k.clone(), v))));
        for (k, v) in &model {
            assert_eq!(kv.get(k), Some(v));
        }
        kv.compact();
        kv.check_invariants().unwrap();
    }
    kv.clear();
    kv.insert(b"k", 1);
    assert_eq!(kv.get(b"k"), Some(&1));
}

#[test]
fn seed_quick_start() {
    let mut kv: ArenaArt<u64> = ArenaArt::new();
    kv.insert(b"user:1001", 42);
    kv.insert(b"user:1002", 43);
    assert_eq!(kv.get(b"user:1001"), Some(&42));
}

#[test]
fn awkward_keys() {
    let keys: Vec<&[u8]> = vec![
        b"",
        b"\0",
        b"\0\0",
        b"a",
        b"a\0",
        b"a\0\0",
        b"ab",
        b"abc",
        b"abcdefghij",
        b"abcdefghijk",
        b"\xff",
        b"\xff\xff",
        b"\xff\0",
    ];
    let mut kv = ArenaArt::new();
    for (i, k) in keys.iter().enumerate() {
        assert_eq!(kv.insert(k, i), None);
        kv.check_invariants().unwrap();
    }
    let mut sorted = keys.clone();
    sorted.sort();
    let got: Vec<Vec<u8>> = kv.iter().map(|(k, _)| k).collect();
    assert_eq!(got, sorted);
    let back: Vec<Vec<u8>> = kv.iter().rev().map(|(k, _)| k).collect();
    assert_eq!(
        back,
        sorted.iter().rev().map(|k| k.to_vec()).collect::<Vec<_>>()
    );
    assert_eq!(kv.first().unwrap().0, b"");
    assert_eq!(kv.last().unwrap().0, b"\xff\xff");
    for (i, k) in keys.iter().enumerate() {
        assert_eq!(kv.get(k), Some(&i));
        assert_eq!(kv.remove(k), Some(i), "{k:?}");
        kv.check_invariants().unwrap();
        assert_eq!(kv.get(k), None);
    }
    assert!(kv.is_empty());
    assert_eq!(kv.first(), None);
}

#[test]
fn node_kinds_grow_and_shrink() {
    let mut kv = ArenaArt::new();
    // Under Miri the full check after every step is too slow; every 8th step still
    // sees each node class.
    let check_every = if cfg!(miri) { 8 } else { 1 };
    for b in 0..=255u8 {
        kv.insert([b'x', b, b'y'], u32::from(b));
        if b % check_every == 0 {
            kv.check_invariants().unwrap();
        }
    }
    assert_eq!(kv.stats().nodes, [0, 0, 0, 0, 0, 1]);
    assert_eq!(
        kv.range::<(Bound<&[u8]>, Bound<&[u8]>)>((
            Bound::Included(&[b'x', 10]),
            Bound::Excluded(&[b'x', 20])
        ))
        .count(),
        10
    );
    for b in 0..=255u8 {
        assert_eq!(kv.remove([b'x', b, b'y']), Some(u32::from(b)));
        if b % check_every == 0 {
            kv.check_invariants().unwrap();
        }
    }
    assert!(kv.is_empty());
    assert_eq!(kv.stats().nodes, [0, 0, 0, 0, 0, 0]);
}

#[test]
fn long_keys_and_compaction() {
    let n = if cfg!(miri) { 3 } else { 40 };
    let mut kv = ArenaArt::new();
    let key = |i: usize| {
        let mut k = vec![b'z'; 70_000];
        k.extend_from_slice(format!("{i}").as_bytes());
        k
    };
    for i in 0..n {
        kv.insert(key(i), i);
    }
    for i in (0..n).step_by(2) {
        kv.remove(key(i));
    }
    kv.compact();
    kv.check_invariants().unwrap();
    assert_eq!(kv.stats().arena_dead, 0);
    for i in 0..n {
        assert_eq!(kv.get(key(i)), (i % 2 == 1).then_some(&i));
    }
}

#[test]
fn get_mut_extend_debug_clone() {
    let mut kv: ArenaArt<String> = [("b", "2".to_string()), ("a", "1".to_string())]
        .into_iter()
        .collect();
    kv.get_mut("a").unwrap().push('!');
    kv.extend([("c", "3".to_string())]);
    assert_eq!(format!("{kv:?}"), r#"{"a": "1!", "b": "2", "c": "3"}"#);
    let copy = kv.clone();
    kv.remove("a");
    assert_eq!(copy.get("a").map(String::as_str), Some("1!"));
    assert_eq!(copy.len(), 3);
    assert!(kv.memory_usage() > 0);
}

fn is_send_sync<T: Send + Sync>() {}

#[test]
fn send_sync() {
    is_send_sync::<ArenaArt<u64>>();
    is_send_sync::<memkv_art::ArenaArtIter<'static, u64>>();
    is_send_sync::<memkv_art::ArenaArtIterMut<'static, u64>>();
    is_send_sync::<memkv_art::ArenaArtValuesMut<'static, u64>>();
}

/// Path-like keys: many shared prefixes of many lengths, so prefixes are split,
/// merged and moved between inline and arena storage.
fn path_key() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(
        prop_oneof![
            Just("usr/"),
            Just("share/"),
            Just("doc/"),
            Just("lib"),
            Just("a"),
            Just("\0")
        ],
        0..6,
    )
    .prop_map(|parts| parts.concat().into_bytes())
}

/// Keys under a few nested directory stems, many per stem, and the stems
/// themselves: buckets burst into nodes with long prefixes, later keys part from
/// those prefixes midway or end inside them, and stems end exactly at nodes.
fn stem_key() -> impl Strategy<Value = Vec<u8>> {
    (
        proptest::sample::select(
            &[
                "",
                "/u",
                "/usr/",
                "/usr/lib/",
                "/usr/share/doc/",
                "/usr/share/man/",
            ][..],
        ),
        proptest::collection::vec(proptest::sample::select(&b"ab\0"[..]), 0..3),
        proptest::option::of(0u8..40),
    )
        .prop_map(|(stem, tail, n)| {
            let n = n.map(|n| n.to_string()).unwrap_or_default();
            [stem.as_bytes(), &tail, n.as_bytes()].concat()
        })
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: if cfg!(miri) { 2 } else { 128 },
        // No failure files: Miri forbids the file system, and CI is stateless.
        failure_persistence: None,
        ..ProptestConfig::default()
    })]
    #[test]
    fn matches_btreemap_on_paths(
        ops in proptest::collection::vec((0u8..4, path_key(), any::<u16>()), 1..if cfg!(miri) { 20 } else { 300 })
    ) {
        let mut kv = ArenaArt::new();
        let mut model = BTreeMap::new();
        for (op, key, v) in ops {
            match op {
                0 | 1 => prop_assert_eq!(kv.insert(&key, v), model.insert(key.clone(), v)),
                2 => prop_assert_eq!(kv.remove(&key), model.remove(&key)),
                _ => kv.compact(),
            }
            kv.check_invariants().map_err(TestCaseError::fail)?;
            prop_assert_eq!(kv.get(&key), model.get(&key));
        }
        let got: Vec<(Vec<u8>, u16)> = kv.iter().map(|(k, v)| (k, *v)).collect();
        let want: Vec<(Vec<u8>, u16)> = model.iter().map(|(k, v)| (k.clone(), *v)).collect();
        prop_assert_eq!(got, want);
        let got_scan = kv.prefix_scan(b"usr/").rev().count();
        let want_scan = model.keys().filter(|k| k.starts_with(b"usr/")).count();
        prop_assert_eq!(got_scan, want_scan);
        prop_assert_eq!(OrderedMap::len(&kv), model.len());
    }

    /// `common_prefixes` and `longest_prefix` against a scan of `BTreeMap`, on
    /// enough keys under nested stems that the walk passes nodes' end values and
    /// prefixes before it reaches a bucket.
    #[test]
    fn common_prefixes_match_btreemap(
        fill in proptest::collection::vec(stem_key(), 0..if cfg!(miri) { 12 } else { 400 }),
        queries in proptest::collection::vec((stem_key(), stem_key()), 1..if cfg!(miri) { 4 } else { 40 }),
    ) {
        let mut kv = ArenaArt::new();
        let mut model = BTreeMap::new();
        for (i, key) in fill.into_iter().enumerate() {
            kv.insert(&key, i);
            model.insert(key, i);
        }
        for (a, b) in queries {
            // Stored keys and stems followed by more bytes: many stored
            // prefixes per query.
            let q = [a, b].concat();
            let want: Vec<(&[u8], usize)> = model
                .iter()
                .filter(|(k, _)| q.starts_with(k))
                .map(|(k, v)| (k.as_slice(), *v))
                .collect();
            let got: Vec<(&[u8], usize)> = kv.common_prefixes(&q).into_iter().map(|(k, v)| (k, *v)).collect();
            prop_assert_eq!(&got, &want);
            let longest = kv.longest_prefix(&q).map(|(k, v)| (k, *v));
            prop_assert_eq!(longest, want.last().map(|&(k, v)| (k.to_vec(), v)));
        }
    }

    /// The entry API against `BTreeMap`'s: every kind of insert (into a bucket,
    /// as a node's end value, by a prefix split, at the root) must hand back the
    /// value it stored.
    #[test]
    fn entries_match_btreemap_entries(
        fill in proptest::collection::vec(stem_key(), 0..if cfg!(miri) { 8 } else { 400 }),
        ops in proptest::collection::vec((0u8..5, stem_key(), any::<u32>()), 1..if cfg!(miri) { 20 } else { 200 })
    ) {
        use std::collections::btree_map::Entry as ModelEntry;
        use memkv_art::ArenaArtEntry as Entry;

        // Enough keys first that buckets have burst into nodes with prefixes.
        let mut kv = ArenaArt::new();
        let mut model = BTreeMap::new();
        for (i, key) in fill.into_iter().enumerate() {
            prop_assert_eq!(*kv.entry(&key).or_insert(i as u32), *model.entry(key).or_insert(i as u32));
        }
        for (op, key, v) in ops {
            match op {
                0 => {
                    let got = *kv.entry(&key).and_modify(|x| *x ^= v).or_insert(v);
                    let want = *model.entry(key.clone()).and_modify(|x| *x ^= v).or_insert(v);
                    prop_assert_eq!(got, want);
                }
                1 => {
                    let len = key.len() as u32;
                    let got = kv.entry(key.as_slice()).or_insert_with_key(|k| k.len() as u32);
                    prop_assert_eq!(*got, *model.entry(key.clone()).or_insert(len));
                    *got = got.wrapping_add(v);
                    let want = model.get_mut(&key).unwrap();
                    *want = want.wrapping_add(v);
                }
                2 => match (kv.entry(&key), model.entry(key.clone())) {
                    (Entry::Occupied(e), ModelEntry::Occupied(m)) => {
                        prop_assert_eq!(e.key(), key.as_slice());
                        prop_assert_eq!(e.remove_entry(), (&key, m.remove()));
                    }
                    (Entry::Vacant(e), ModelEntry::Vacant(m)) => {
                        prop_assert_eq!(e.key(), key.as_slice());
                        prop_assert_eq!(*e.insert(v), *m.insert(v));
                    }
                    (e, _) => prop_assert!(false, "entry disagrees with the model: {:?}", e),
                },
                3 => match kv.entry(key.clone()) {
                    Entry::Occupied(mut e) => {
                        let old = e.insert(v);
                        prop_assert_eq!(Some(old), model.insert(key.clone(), v));
                        prop_assert_eq!(*e.get(), v);
                    }
                    Entry::Vacant(e) => {
                        prop_assert!(!model.contains_key(&key));
                        prop_assert_eq!(e.into_key(), key.clone());
                    }
                },
                _ => kv.compact(),
            }
            kv.check_invariants().map_err(TestCaseError::fail)?;
            prop_assert_eq!(kv.get(&key), model.get(&key));
            prop_assert_eq!(kv.len(), model.len());
        }
        let got: Vec<(Vec<u8>, u32)> = kv.iter().map(|(k, v)| (k, *v)).collect();
        let want: Vec<(Vec<u8>, u32)> = model.into_iter().collect();
        prop_assert_eq!(got, want);
    }

    /// `range_mut` against `BTreeMap`'s, taken from both ends in a drawn order;
    /// every value it hands out is changed, so a value handed out for the wrong
    /// key or missed shows in the final contents. `keys`, `values`,
    /// `values_mut` and the lending `next_ref` agree with the owning iterators.
    #[test]
    fn mutable_iterators_match_btreemap(
        fill in proptest::collection::vec(stem_key(), 0..if cfg!(miri) { 12 } else { 400 }),
        lo in proptest::option::of(stem_key()),
        hi in proptest::option::of(stem_key()),
        zigzag in proptest::collection::vec(any::<bool>(), 0..if cfg!(miri) { 10 } else { 80 }),
    ) {
        let mut kv = ArenaArt::new();
        let mut model = BTreeMap::new();
        for (i, key) in fill.into_iter().enumerate() {
            kv.insert(&key, i as u64);
            model.insert(key, i as u64);
        }
        let (lo, hi) = match (lo, hi) {
            (Some(a), Some(b)) if a > b => (Some(b), Some(a)),
            pair => pair,
        };
        let bounds = (
            lo.as_deref().map_or(Bound::Unbounded, Bound::Included),
            hi.as_deref().map_or(Bound::Unbounded, Bound::Excluded),
        );
        let mut got = kv.range_mut::<(Bound<&[u8]>, Bound<&[u8]>)>(bounds);
        let mut want = model.range_mut::<[u8], _>(bounds);
        for (step, &back) in zigzag.iter().chain([false, true, false].iter()).enumerate() {
            let (g, w) = if back {
                (got.next_back(), want.next_back())
            } else {
                (got.next(), want.next())
            };
            match (g, w) {
                (Some((gk, gv)), Some((wk, wv))) => {
                    prop_assert_eq!(&gk, wk);
                    prop_assert_eq!(*gv, *wv);
                    *gv += 1000 * (step as u64 + 1);
                    *wv += 1000 * (step as u64 + 1);
                }
                (g, w) => prop_assert_eq!(g.map(|(k, _)| k), w.map(|(k, _)| k.clone())),
            }
        }
        drop(got);
        for v in kv.values_mut().rev().step_by(2) {
            *v ^= 1;
        }
        for v in model.values_mut().rev().step_by(2) {
            *v ^= 1;
        }
        let got: Vec<(Vec<u8>, u64)> = kv.iter().map(|(k, v)| (k, *v)).collect();
        let want: Vec<(Vec<u8>, u64)> = model.iter().map(|(k, v)| (k.clone(), *v)).collect();
        prop_assert_eq!(&got, &want);
        prop_assert!(kv.keys().eq(model.keys().cloned()));
        prop_assert!(kv.values().rev().eq(model.values().rev()));
        let mut lent = Vec::new();
        let mut it = kv.iter_mut();
        while let Some((k, v)) = it.next_back_ref() {
            lent.push((k.to_vec(), *v));
        }
        lent.reverse();
        prop_assert_eq!(&lent, &want);
        kv.check_invariants().map_err(TestCaseError::fail)?;
    }
}

/// Thousands of path-like keys, so leaf buckets fill, burst into nodes, shrink
/// and merge back when nodes collapse; checked against a model throughout,
/// including ordered scans from both ends and ranges that start and end inside
/// buckets.
#[test]
fn buckets_burst_shrink_and_scan() {
    let n: u64 = if cfg!(miri) { 120 } else { 4000 };
    let check_every = if cfg!(miri) { 40 } else { 97 };
    let mut state = 0x1234_5678_9abc_def0u64;
    let mut rnd = move || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        state >> 33
    };
    let dirs = ["usr/", "share/", "doc/", "lib/", "x", "\0", "\u{ff}"];
    let key = |rnd: &mut dyn FnMut() -> u64| {
        let mut k = Vec::new();
        for _ in 0..rnd() % 5 {
            k.extend_from_slice(dirs[(rnd() % dirs.len() as u64) as usize].as_bytes());
        }
        k.extend_from_slice(format!("{}", rnd() % 300).as_bytes());
        k
    };
    let mut kv = ArenaArt::new();
    let mut model = BTreeMap::new();
    for i in 0..n {
        let k = key(&mut rnd);
        assert_eq!(kv.insert(&k, i), model.insert(k, i));
        if i % check_every == 0 {
            kv.check_invariants().unwrap();
        }
    }
    kv.check_invariants().unwrap();
    let scan = |kv: &ArenaArt<u64>,
                model: &BTreeMap<Vec<u8>, u64>,
                rnd: &mut dyn FnMut() -> u64| {
        assert!(kv
            .iter()
            .map(|(k, v)| (k, *v))
            .eq(model.iter().map(|(k, v)| (k.clone(), *v))));
        assert!(kv
            .iter()
            .rev()
            .map(|(k, v)| (k, *v))
            .eq(model.iter().rev().map(|(k, v)| (k.clone(), *v))));
        for _ in 0..20 {
            let mut a = model
                .keys()
                .nth((rnd() as usize) % model.len().max(1))
                .cloned()
                .unwrap_or_default();
            let mut b = model
                .keys()
                .nth((rnd() as usize) % model.len().max(1))
                .cloned()
                .unwrap_or_default();
            if rnd() % 2 == 0 {
                a.push(b'0');
            }
            if rnd() % 2 == 0 {
                b.pop();
            }
            if a > b {
                std::mem::swap(&mut a, &mut b);
            }
            let r = (Bound::Included(&a[..]), Bound::Excluded(&b[..]));
            let got: Vec<Vec<u8>> = kv
                .range::<(Bound<&[u8]>, Bound<&[u8]>)>(r)
                .map(|(k, _)| k)
                .collect();
            let want: Vec<Vec<u8>> = model.range::<[u8], _>(r).map(|(k, _)| k.clone()).collect();
            assert_eq!(got, want);
            let got: Vec<Vec<u8>> = kv
                .range::<(Bound<&[u8]>, Bound<&[u8]>)>((
                    Bound::Excluded(&a[..]),
                    Bound::Included(&b[..]),
                ))
                .rev()
                .map(|(k, _)| k)
                .collect();
            let want: Vec<Vec<u8>> = model
                .range::<[u8], _>((Bound::Excluded(&a[..]), Bound::Included(&b[..])))
                .rev()
                .map(|(k, _)| k.clone())
                .collect();
            assert_eq!(got, want);
        }
    };
    scan(&kv, &model, &mut rnd);
    let keys: Vec<Vec<u8>> = model.keys().cloned().collect();
    for (i, k) in (0u64..).zip(&keys) {
        if rnd() % 3 != 0 {
            assert_eq!(kv.remove(k), model.remove(k));
            assert_eq!(kv.remove(k), None);
        }
        if i % check_every == 0 {
            kv.check_invariants().unwrap();
        }
    }
    kv.check_invariants().unwrap();
    scan(&kv, &model, &mut rnd);
    kv.compact();
    kv.check_invariants().unwrap();
    scan(&kv, &model, &mut rnd);
    for k in &keys {
        assert_eq!(kv.get(k), model.get(k));
    }
}

/// `==` compares contents, not layout: the same entries inserted in another
/// order, or reached through removes and a compaction, make equal maps; one
/// changed value or one missing key does not.
#[test]
fn equality_compares_contents() {
    let key = |i: u32| format!("/usr/share/doc/pkg{}/file{}", i % 37, i);
    let forward: ArenaArt<u32> = (0..2000).map(|i| (key(i), i)).collect();
    let mut backward: ArenaArt<u32> = (0..3000).rev().map(|i| (key(i), i)).collect();
    assert_ne!(forward, backward);
    for i in 2000..3000 {
        backward.remove(key(i));
    }
    backward.compact();
    assert_eq!(forward, backward);
    *backward.get_mut(key(1234)).unwrap() += 1;
    assert_ne!(forward, backward);
    *backward.get_mut(key(1234)).unwrap() -= 1;
    backward.remove(key(0));
    backward.insert(key(0).replace("file", "fil"), 0);
    assert_eq!(forward.len(), backward.len());
    assert_ne!(forward, backward);
    assert_eq!(ArenaArt::<u8>::new(), ArenaArt::new());
}

/// A map shrunk after every insert: each shrink used to retire the bucket
/// store's current chunk, and after 2^16 of them the store had no chunk index
/// left and `insert` panicked, whatever the map's size.
#[test]
fn shrinking_after_every_insert() {
    let mut kv = ArenaArt::new();
    for i in 0..70_000u32 {
        kv.insert(i.to_be_bytes(), i);
        kv.shrink_to_fit();
    }
    assert_eq!(kv.len(), 70_000);
    assert!((0..70_000u32).all(|i| kv.get(i.to_be_bytes()) == Some(&i)));
    kv.check_invariants().unwrap();
}
