//! The boxed ART variants against the shared conformance suite and a `BTreeMap`
//! model, with node growth and shrinking through every node type.

use std::collections::BTreeMap;
use std::ops::Bound;

use memkv_art::{AdaptiveRadixTree, CompactArt, UltraCompactArt};
use memkv_core::conformance::Suite;
use memkv_core::{CheckInvariants, OrderedMap, OrderedMapMut};

/// Runs `$body` once per variant, with `$map` naming the variant's type.
macro_rules! each_variant {
    ($map:ident => $body:block) => {{
        {
            type $map<V> = AdaptiveRadixTree<V>;
            $body
        }
        {
            type $map<V> = CompactArt<V>;
            $body
        }
        {
            type $map<V> = UltraCompactArt<V>;
            $body
        }
    }};
}

#[test]
fn adaptive_radix_tree_conforms() {
    Suite::new("AdaptiveRadixTree")
        .with_invariants()
        .run(AdaptiveRadixTree::<u64>::new);
}

#[test]
fn compact_art_conforms() {
    Suite::new("CompactArt")
        .with_invariants()
        .run(CompactArt::<u64>::new);
}

#[test]
fn ultra_compact_art_conforms() {
    Suite::new("UltraCompactArt")
        .with_invariants()
        .run(UltraCompactArt::<u64>::new);
}

fn assert_send_sync<T: Send + Sync>() {}

#[test]
fn are_send_and_sync() {
    each_variant!(M => {
        assert_send_sync::<M<u64>>();
    });
}

/// Keys chosen so that one inner node passes through Node4, Node16, Node48 and
/// Node256 on the way up and back down, with prefix keys and the empty key.
/// Under Miri the node stops at 60 children, just past the Node256 threshold.
fn fanout_keys() -> Vec<Vec<u8>> {
    let mut keys = vec![b"".to_vec(), b"p".to_vec(), b"p\0".to_vec()];
    let last = if cfg!(miri) { 59 } else { 255 };
    for b in 0..=last {
        keys.push(vec![b'p', b, b'x', b'y']);
    }
    keys.push(b"p\xff\xff".to_vec());
    keys
}

/// Whether step `i` of a long sequence runs the full invariant check: every step,
/// except under Miri (too slow there), where every 16th.
fn check_now(i: usize) -> bool {
    !cfg!(miri) || i % 16 == 0
}

#[test]
fn grows_and_shrinks_through_every_node_type() {
    // Forward order adds the end value "p" to a Node4 first; reverse order adds it
    // last, to a full Node256 (and "p\0"'s node to full Node4s), forcing growth.
    for reverse in [false, true] {
        each_variant!(M => {
            let mut map = M::<u64>::new();
            let mut model = BTreeMap::new();
            let mut keys = fanout_keys();
            if reverse {
                keys.reverse();
            }
            for (i, k) in keys.iter().enumerate() {
                assert_eq!(map.insert(k, i as u64), model.insert(k.clone(), i as u64));
                if check_now(i) {
                    map.check_invariants().unwrap();
                }
            }
            let all: Vec<_> = map.iter().map(|(k, v)| (k, *v)).collect();
            let expected: Vec<_> = model.iter().map(|(k, v)| (k.clone(), *v)).collect();
            assert_eq!(all, expected);
            // Remove in a scrambled order, so the node shrinks with keys missing on
            // both sides and the end value goes at some point in between.
            let mut order: Vec<_> = keys.clone();
            order.sort_by_key(|k| (k.len() % 3, k.iter().map(|&b| b.wrapping_mul(97)).collect::<Vec<_>>()));
            for (i, k) in order.iter().enumerate() {
                assert_eq!(map.remove(k), model.remove(k), "removing {k:?}");
                if check_now(i) {
                    map.check_invariants().unwrap();
                }
                assert_eq!(map.len(), model.len());
                assert_eq!(map.get(b"p"), model.get(&b"p"[..]));
            }
            assert!(map.is_empty());
            assert_eq!(map.iter().count(), 0);
        });
    }
}

#[test]
fn end_value_joins_a_full_node4() {
    each_variant!(M => {
        let mut map = M::<u64>::new();
        for k in [&b"ka"[..], b"kb", b"kc", b"kd", b"k"] {
            map.insert(k, k.len() as u64);
            map.check_invariants().unwrap();
        }
        assert_eq!(map.get(b"k"), Some(&1));
        for k in [&b"kb"[..], b"kd", b"kc"] {
            map.remove(k);
            map.check_invariants().unwrap();
        }
        assert_eq!(map.iter().map(|(k, _)| k).collect::<Vec<_>>(), vec![b"k".to_vec(), b"ka".to_vec()]);
        assert_eq!(map.remove(b"k"), Some(1));
        map.check_invariants().unwrap();
        assert_eq!(map.first(), Some((b"ka".to_vec(), &2)));
    });
}

#[test]
fn get_mut_first_last_and_ranges() {
    each_variant!(M => {
        let mut map: M<u64> = [(&b"a"[..], 1), (b"ab", 2), (b"abc", 3), (b"b\0", 4), (b"", 0)]
            .into_iter()
            .collect();
        *map.get_mut(b"ab").unwrap() += 10;
        assert_eq!(map.get(b"ab"), Some(&12));
        assert_eq!(map.get_mut(b"abcd"), None);
        assert_eq!(map.first(), Some((b"".to_vec(), &0)));
        assert_eq!(map.last(), Some((b"b\0".to_vec(), &4)));
        let r: Vec<_> = map
            .range::<(Bound<&[u8]>, Bound<&[u8]>)>((Bound::Excluded(b"a"), Bound::Included(b"b\0")))
            .map(|(k, _)| k)
            .collect();
        assert_eq!(r, vec![b"ab".to_vec(), b"abc".to_vec(), b"b\0".to_vec()]);
        let p: Vec<_> = map.prefix_scan(b"ab").rev().map(|(_, v)| *v).collect();
        assert_eq!(p, vec![3, 12]);
        assert_eq!(OrderedMap::len(&map), 5);
        assert_eq!(OrderedMapMut::remove(&mut map, b"a"), Some(1));
        assert!(format!("{map:?}").contains("\"b\\\\x00\": 4"), "{map:?}");
    });
}

/// Many random keys with long shared prefixes: a deeper tree than the suite's.
#[test]
fn matches_btreemap_on_path_like_keys() {
    let n = if cfg!(miri) { 200 } else { 20_000 };
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let keys: Vec<Vec<u8>> = (0..n)
        .map(|_| {
            let r = next();
            format!(
                "/usr/share/{}/{}/{:x}",
                r % 7,
                (r >> 8) % 50,
                (r >> 16) % 5000
            )
            .into_bytes()
        })
        .collect();
    each_variant!(M => {
        let mut map = M::<u64>::new();
        let mut model = BTreeMap::new();
        for (i, k) in keys.iter().enumerate() {
            assert_eq!(map.insert(k, i as u64), model.insert(k.clone(), i as u64));
        }
        map.check_invariants().unwrap();
        assert!(map.iter().map(|(k, v)| (k, *v)).eq(model.iter().map(|(k, v)| (k.clone(), *v))));
        assert!(map.iter().rev().map(|(k, _)| k).eq(model.keys().rev().cloned()));
        let scan: Vec<_> = map.prefix_scan(b"/usr/share/3/1").map(|(k, _)| k).collect();
        let want: Vec<_> = model.keys().filter(|k| k.starts_with(b"/usr/share/3/1")).cloned().collect();
        assert_eq!(scan, want);
        for k in keys.iter().step_by(2) {
            assert_eq!(map.remove(k), model.remove(k));
        }
        map.check_invariants().unwrap();
        assert!(map.iter().map(|(k, _)| k).eq(model.keys().cloned()));
        assert!(map.memory_usage() > 0);
    });
}

#[test]
fn deep_trees_drop_without_deep_recursion() {
    // Each key is a prefix of the next: one inner node per key, nested.
    let depth = if cfg!(miri) { 100 } else { 2_000 };
    let run = move || {
        each_variant!(M => {
            let mut map = M::<u64>::new();
            for i in 0..depth {
                map.insert(vec![b'a'; i], i as u64);
            }
            assert_eq!(map.len(), depth);
            assert_eq!(map.get(vec![b'a'; depth - 1]), Some(&(depth as u64 - 1)));
            drop(map);
        });
    };
    // A small stack, so that a drop recursing once per level would overflow.
    std::thread::Builder::new()
        .stack_size(128 * 1024)
        .spawn(run)
        .unwrap()
        .join()
        .unwrap();
}

/// `==` compares contents, not layout (see the `ArenaArt` test of the same name).
#[test]
fn equality_compares_contents() {
    each_variant!(M => {
        let key = |i: u32| format!("/usr/share/doc/pkg{}/file{}", i % 37, i);
        let forward: M<u32> = (0..500).map(|i| (key(i), i)).collect();
        let mut backward: M<u32> = (0..700).rev().map(|i| (key(i), i)).collect();
        assert!(forward != backward);
        for i in 500..700 {
            backward.remove(key(i));
        }
        assert!(forward == backward);
        *backward.get_mut(key(123)).unwrap() += 1;
        assert!(forward != backward);
        *backward.get_mut(key(123)).unwrap() -= 1;
        backward.remove(key(0));
        backward.insert(key(0).replace("file", "fil"), 0);
        assert_eq!(forward.len(), backward.len());
        assert!(forward != backward);
    });
}
