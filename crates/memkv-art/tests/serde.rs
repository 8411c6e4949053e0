//! Every tree serializes in the shared encoding: a round trip through JSON keeps
//! every entry, and each tree reads what any other wrote.

use memkv_art::{AdaptiveRadixTree, ArenaArt, CompactArt, UltraCompactArt};
use memkv_core::conformance::entries;
use memkv_core::{CheckInvariants, OrderedMap, SimpleKV};
use proptest::prelude::*;

fn all<M: OrderedMap<Value = u64>>(m: &M) -> Vec<(Vec<u8>, u64)> {
    use std::borrow::Borrow;
    m.iter()
        .map(|(k, v)| (k.as_ref().to_vec(), *v.borrow()))
        .collect()
}

fn read<M>(json: &str) -> Result<Vec<(Vec<u8>, u64)>, TestCaseError>
where
    M: OrderedMap<Value = u64> + CheckInvariants + serde::de::DeserializeOwned,
{
    let m: M = serde_json::from_str(json).map_err(|e| TestCaseError::fail(e.to_string()))?;
    m.check_invariants().map_err(TestCaseError::fail)?;
    Ok(all(&m))
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: if cfg!(miri) { 2 } else { 64 },
        failure_persistence: None,
        ..ProptestConfig::default()
    })]
    #[test]
    fn every_tree_reads_what_every_tree_writes(model in entries()) {
        let expected: Vec<(Vec<u8>, u64)> = model.clone().into_iter().collect();
        let arena: ArenaArt<u64> = model.iter().map(|(k, &v)| (k, v)).collect();
        let ultra: UltraCompactArt<u64> = model.iter().map(|(k, &v)| (k, v)).collect();
        let compact: CompactArt<u64> = model.iter().map(|(k, &v)| (k, v)).collect();
        let classic: AdaptiveRadixTree<u64> = model.iter().map(|(k, &v)| (k, v)).collect();
        let simple: SimpleKV<u64> = model.iter().map(|(k, &v)| (k, v)).collect();
        let written = [
            serde_json::to_string(&arena).unwrap(),
            serde_json::to_string(&ultra).unwrap(),
            serde_json::to_string(&compact).unwrap(),
            serde_json::to_string(&classic).unwrap(),
        ];
        let reference = serde_json::to_string(&simple).unwrap();
        for json in &written {
            prop_assert_eq!(json, &reference);
        }
        prop_assert_eq!(read::<ArenaArt<u64>>(&reference)?, expected.clone());
        prop_assert_eq!(read::<UltraCompactArt<u64>>(&reference)?, expected.clone());
        prop_assert_eq!(read::<CompactArt<u64>>(&reference)?, expected.clone());
        prop_assert_eq!(read::<AdaptiveRadixTree<u64>>(&reference)?, expected);
    }
}

#[test]
fn a_truncated_document_is_an_error() {
    let map: ArenaArt<u64> = [("/usr/bin/env", 1u64), ("/usr/bin/ls", 2)]
        .into_iter()
        .collect();
    let json = serde_json::to_string(&map).unwrap();
    for cut in 0..json.len() {
        assert!(
            serde_json::from_str::<ArenaArt<u64>>(&json[..cut]).is_err(),
            "{}",
            &json[..cut]
        );
    }
}
