//! Damaged, truncated and foreign bytes: `from_bytes` and `open` return an error or
//! a layer that answers every query without panicking.

use memkv_core::Error;
use memkv_frozen::FrozenLayer;
use proptest::prelude::*;

mod damaged;
use damaged::reseal;

fn layer_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::btree_map(
        prop::collection::vec(prop::sample::select(&[0u8, b'a', b'b', 0xFF][..]), 0..8),
        prop_oneof![0u64..4, any::<u64>()],
        0..40,
    )
    .prop_map(|m| {
        FrozenLayer::from_sorted_iter(m.iter().map(|(k, v)| (k, *v)))
            .unwrap()
            .as_bytes()
            .to_vec()
    })
}

/// Every query (`damaged::exercise`); what this file's damage leaves accepted is
/// a whole layer, so full scans also yield exactly its entries.
fn exercise(layer: &FrozenLayer) {
    damaged::exercise(layer);
    assert_eq!(layer.iter().count(), layer.len());
    assert_eq!(layer.iter().rev().count(), layer.len());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn truncated_bytes_are_rejected(bytes in layer_bytes(), cut in any::<prop::sample::Index>()) {
        let len = cut.index(bytes.len());
        let result = FrozenLayer::from_bytes(bytes[..len].to_vec());
        prop_assert!(
            matches!(result, Err(Error::Truncated { .. } | Error::NotMemkv { .. })),
            "{:?}", result.map(|l| l.len())
        );
    }

    #[test]
    fn mutated_bytes_never_panic(
        bytes in layer_bytes(),
        flips in prop::collection::vec((any::<prop::sample::Index>(), 1u8..=255), 1..4),
    ) {
        let mut damaged = bytes.clone();
        for (at, mask) in &flips {
            damaged[at.index(bytes.len())] ^= mask;
        }
        match FrozenLayer::from_bytes(damaged) {
            Ok(layer) => exercise(&layer),
            Err(e) => prop_assert!(!e.to_string().is_empty()),
        }
    }

    #[test]
    fn damaged_headers_with_a_valid_checksum_never_panic(
        bytes in layer_bytes(),
        at in 8usize..64,
        value in any::<u8>(),
    ) {
        let mut damaged = bytes;
        damaged[at] = value;
        reseal(&mut damaged);
        if let Ok(layer) = FrozenLayer::from_bytes(damaged) {
            exercise(&layer);
        }
    }

    #[test]
    fn foreign_bytes_are_rejected(junk in prop::collection::vec(any::<u8>(), 0..200)) {
        prop_assert!(FrozenLayer::from_bytes(junk).is_err());
    }
}

#[test]
fn trailing_garbage_and_foreign_files_are_named() {
    let good = FrozenLayer::from_sorted_iter([("a", 1)]).unwrap();
    let mut longer = good.as_bytes().to_vec();
    longer.push(0);
    assert!(matches!(
        FrozenLayer::from_bytes(longer),
        Err(Error::Corrupt { .. })
    ));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("not-a-layer.txt");
    std::fs::write(&path, "hello, world").unwrap();
    assert!(matches!(
        FrozenLayer::open(&path),
        Err(Error::NotMemkv { found }) if found == b"hello, w"
    ));
    std::fs::write(&path, "").unwrap();
    assert!(matches!(
        FrozenLayer::open(&path),
        Err(Error::NotMemkv { .. })
    ));
    let mut flipped = good.as_bytes().to_vec();
    flipped[70] ^= 0x10;
    assert!(matches!(
        FrozenLayer::from_bytes(flipped),
        Err(Error::ChecksumMismatch { .. })
    ));
}
