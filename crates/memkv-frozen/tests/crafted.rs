//! Files whose FST bytes were damaged *and* whose checksum was recomputed, so that
//! only the structural check of `open`/`from_bytes` stands between them and the
//! `fst` crate: every one must come back as an error, or as a layer whose every
//! query returns without panicking and without yielding more entries than it
//! holds.

use std::collections::BTreeMap;

use memkv_core::Error;
use memkv_frozen::FrozenLayer;
use proptest::prelude::*;

mod damaged;
use damaged::{exercise, reseal};

/// Bytes 24..32 of the header: the length of the FST section, which starts at 64.
fn fst_region(bytes: &[u8]) -> std::ops::Range<usize> {
    let len = u64::from_le_bytes(bytes[24..32].try_into().unwrap()) as usize;
    64..64 + len
}

/// Key sets that give every node kind `fst` writes: one-transition nodes with and
/// without outputs, many-transition nodes with and without the 256-byte index,
/// final inner nodes, shared suffixes, the empty key.
fn entries() -> impl Strategy<Value = BTreeMap<Vec<u8>, u64>> {
    let small = prop::collection::btree_map(
        prop::collection::vec(
            prop::sample::select(&[0u8, b'a', b'b', b'k', 0xFF][..]),
            0..6,
        ),
        any::<u64>(),
        1..40,
    );
    // Wide fan-out (an indexed node) plus a long shared suffix.
    let wide = (1u8..=60, 0usize..3).prop_map(|(fanout, suffix)| {
        (0..fanout)
            .flat_map(|b| {
                let tail = ["", "/changelog.gz", ".txt"][suffix];
                [
                    (vec![b' ' + b], 0u64),
                    (format!("{}x{tail}", (b' ' + b) as char).into_bytes(), 0),
                ]
            })
            .enumerate()
            .map(|(i, (k, _))| (k, i as u64 * 7))
            .collect::<BTreeMap<_, _>>()
    });
    prop_oneof![small, wide]
}

fn layer_bytes(m: &BTreeMap<Vec<u8>, u64>) -> Vec<u8> {
    FrozenLayer::from_sorted_iter(m.iter().map(|(k, v)| (k, *v)))
        .unwrap()
        .as_bytes()
        .to_vec()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn resealed_fst_damage_never_panics(
        m in entries(),
        flips in prop::collection::vec((any::<prop::sample::Index>(), 1u8..=255), 1..4),
    ) {
        let bytes = layer_bytes(&m);
        let region = fst_region(&bytes);
        let mut damaged = bytes.clone();
        for (at, mask) in &flips {
            damaged[region.start + at.index(region.len())] ^= mask;
        }
        reseal(&mut damaged);
        match FrozenLayer::from_bytes(damaged) {
            Ok(layer) => exercise(&layer),
            Err(e) => prop_assert!(matches!(e, Error::Corrupt { .. }), "{e}"),
        }
    }

    #[test]
    fn resealed_random_fst_bytes_never_panic(
        m in entries(),
        junk in prop::collection::vec(any::<u8>(), 0..64),
        at in any::<prop::sample::Index>(),
    ) {
        // Overwrite a stretch of the node region with arbitrary bytes.
        let bytes = layer_bytes(&m);
        let region = fst_region(&bytes);
        let nodes = region.start + 16..region.end - 20;
        let mut damaged = bytes.clone();
        if !nodes.is_empty() {
            let start = nodes.start + at.index(nodes.len());
            let end = (start + junk.len()).min(nodes.end);
            damaged[start..end].copy_from_slice(&junk[..end - start]);
        }
        reseal(&mut damaged);
        if let Ok(layer) = FrozenLayer::from_bytes(damaged) {
            exercise(&layer);
        }
    }
}

/// Every single-byte change of every FST byte of one layer, with eight masks each.
#[test]
fn every_single_byte_change_is_caught_or_harmless() {
    let mut m = BTreeMap::new();
    for (i, k) in [
        "", "a", "ab", "abc", "b", "k17", "k18", "k2", "zz", "\u{ff}",
    ]
    .iter()
    .enumerate()
    {
        m.insert(k.as_bytes().to_vec(), i as u64 * 1_000_003);
    }
    for b in 0..40u8 {
        m.insert(vec![b'm', b'0' + b, b'/'], u64::from(b));
    }
    let bytes = layer_bytes(&m);
    let region = fst_region(&bytes);
    let (mut rejected, mut opened) = (0, 0);
    for at in region {
        for mask in [1u8, 2, 4, 8, 0x10, 0x40, 0x80, 0xFF] {
            let mut damaged = bytes.clone();
            damaged[at] ^= mask;
            reseal(&mut damaged);
            match FrozenLayer::from_bytes(damaged) {
                Ok(layer) => {
                    exercise(&layer);
                    opened += 1;
                }
                Err(e) => {
                    assert!(matches!(e, Error::Corrupt { .. }), "byte {at}: {e}");
                    rejected += 1;
                }
            }
        }
    }
    eprintln!("{rejected} variants rejected, {opened} opened and answered");
    assert!(rejected > 0 && opened > 0);
}

/// A FST whose root points past the section or into the header is an error.
#[test]
fn the_root_address_is_checked() {
    let layer = FrozenLayer::from_sorted_iter([("a", 1), ("b", 5)]).unwrap();
    let bytes = layer.as_bytes().to_vec();
    let region = fst_region(&bytes);
    for root in [u64::MAX, 1 << 40, 3, 0] {
        let mut damaged = bytes.clone();
        let at = region.end - 12;
        damaged[at..at + 8].copy_from_slice(&root.to_le_bytes());
        reseal(&mut damaged);
        let result = FrozenLayer::from_bytes(damaged);
        assert!(
            matches!(result, Err(Error::Corrupt { ref reason }) if reason.contains("FST")),
            "root {root}: {:?}",
            result.map(|l| l.len())
        );
    }
}
