use super::*;
use fst::{IntoStreamer, Streamer};
use proptest::prelude::*;

fn ours(entries: &[(Vec<u8>, u64)], budget: usize) -> (Vec<u8>, u64) {
    let mut w = FstWriter::with_registry_budget(Vec::new(), budget).unwrap();
    for (k, v) in entries {
        w.insert(k, *v).unwrap();
    }
    let evicted = w.registry_evictions();
    (w.finish().unwrap(), evicted)
}

fn theirs(entries: &[(Vec<u8>, u64)]) -> Vec<u8> {
    let mut b = fst::MapBuilder::memory();
    for (k, v) in entries {
        b.insert(k, *v).unwrap();
    }
    b.into_inner().unwrap()
}

/// Everything `fst` reads back from `bytes`, after checking its checksum.
fn read_back(bytes: Vec<u8>) -> Vec<(Vec<u8>, u64)> {
    let raw = fst::raw::Fst::new(bytes).unwrap();
    raw.verify().expect("the CRC-32C trailer matches");
    let map = fst::Map::from(raw);
    let mut out = Vec::new();
    let mut s = map.into_stream();
    while let Some((k, v)) = s.next() {
        out.push((k.to_vec(), v));
    }
    out
}

fn ordinals<K: AsRef<[u8]>>(keys: impl IntoIterator<Item = K>) -> Vec<(Vec<u8>, u64)> {
    keys.into_iter()
        .enumerate()
        .map(|(i, k)| (k.as_ref().to_vec(), i as u64))
        .collect()
}

/// Sets small enough that `fst`'s registry forgets nothing: the two writers must
/// agree byte for byte, which checks every node encoding against the reference.
#[test]
fn small_sets_equal_fst_byte_for_byte() {
    let mut sets: Vec<Vec<(Vec<u8>, u64)>> = vec![
        vec![],
        ordinals([""]),
        vec![(vec![], 9)],
        ordinals(["", "a", "ab", "abc", "b"]),
        ordinals([
            "apple", "apply", "banana", "band", "bandana", "can", "candy",
        ]),
        ordinals(["a\0", "a\0\0", "a\u{1}", "\u{7f}\u{7f}"]),
        // Outputs that do not grow with the keys: pushed down the path.
        vec![
            (b"abc".to_vec(), 50),
            (b"abd".to_vec(), 10),
            (b"abe".to_vec(), 70),
            (b"b".to_vec(), 0),
            (b"bcd".to_vec(), u64::MAX),
        ],
    ];
    // Wide nodes: 40 and 256 transitions (the 256-byte index, the count byte).
    sets.push(ordinals((0..40u8).map(|b| [b'x', b * 3])));
    sets.push(ordinals((0..=255u8).map(|b| [b])));
    sets.push(ordinals((0..=255u8).map(|b| [b, b, 0xFF])));
    let mut words: Vec<String> = (0..200)
        .map(|i| format!("{}/{}/{}.txt", i % 7, i * 37 % 101, i))
        .collect();
    words.sort();
    let large: Vec<(Vec<u8>, u64)> = words
        .iter()
        .take(40)
        .enumerate()
        .map(|(i, w)| (w.as_bytes().to_vec(), (i as u64) << 40 | 7))
        .collect();
    sets.push(large);
    // Ten digits under each of ten digits: ten equal ten-way nodes, written once
    // (their registry keys are too long for a slot and live in the pool).
    let digits: Vec<String> = (0..100).map(|i| format!("{:02}", i)).collect();
    sets.push(ordinals(&digits));
    for (i, set) in sets.iter().enumerate() {
        let (bytes, _) = ours(set, registry::DEFAULT_BUDGET);
        assert!(bytes == theirs(set), "set {i}: the bytes differ");
        assert_eq!(read_back(bytes), *set);
    }
    // 200 keys sharing suffixes, with far-away transition targets (2- and 3-byte
    // deltas) and repeated wide nodes. A registry bucket that overflows before
    // the table grows forgets a node that `fst`'s larger table keeps, so the
    // bytes may differ by such a node; what they say may not.
    let set = ordinals(&words);
    let (bytes, _) = ours(&set, registry::DEFAULT_BUDGET);
    let fst_len = theirs(&set).len();
    assert!(
        bytes.len() * 100 <= fst_len * 101,
        "{} vs {fst_len}",
        bytes.len()
    );
    assert_eq!(read_back(bytes), set);
}

#[test]
fn a_registry_that_remembers_more_shares_more() {
    // The same 8,000 message catalogues under each of five locales: every locale's
    // subtree equals the first one's, but by the time the second is written,
    // `fst`'s registry (20,000 nodes) has forgotten much of the first.
    // Names spelled in two letters keep every node narrow enough to register.
    let packages: Vec<String> = (0..8_000u64)
        .map(|i| {
            format!("{:020b}", i * 2_654_435_761 % (1 << 20))
                .replace('0', "a")
                .replace('1', "b")
        })
        .collect();
    let mut keys: Vec<String> = ["de", "es", "fr", "it", "pt"]
        .iter()
        .flat_map(|l| {
            packages
                .iter()
                .map(move |p| format!("/usr/share/locale/{l}/LC_MESSAGES/{p}.mo"))
        })
        .collect();
    keys.sort();
    keys.dedup();
    let set = ordinals(&keys);
    let (bytes, _) = ours(&set, registry::DEFAULT_BUDGET);
    let reference = theirs(&set);
    assert!(
        // Measured: 54,727 bytes against fst's 77,609.
        bytes.len() * 4 < reference.len() * 3,
        "{} bytes, fst {}",
        bytes.len(),
        reference.len()
    );
    assert_eq!(read_back(bytes), set);
}

#[test]
fn a_small_budget_forgets_but_stays_correct() {
    let mut keys: Vec<String> = (0..20_000u64)
        .map(|i| format!("{:x}/v", i.wrapping_mul(0x9E37_79B9_7F4A_7C15)))
        .collect();
    keys.sort();
    let set = ordinals(&keys);
    let (small, evicted) = ours(&set, 1 << 15);
    assert!(
        evicted > 0,
        "the budget was large enough to keep every node"
    );
    let (big, _) = ours(&set, registry::DEFAULT_BUDGET);
    assert!(small.len() >= big.len());
    assert_eq!(read_back(small), set);
    assert_eq!(read_back(big), set);
}

fn key_set() -> impl Strategy<Value = Vec<Vec<u8>>> {
    // Few distinct bytes, so keys share prefixes and suffixes and are prefixes of
    // one another; 0x00 and 0xFF included.
    let byte = prop_oneof![Just(0u8), Just(b'a'), Just(b'b'), Just(b'/'), Just(0xFF)];
    proptest::collection::btree_set(proptest::collection::vec(byte, 0..8), 0..200)
        .prop_map(|s| s.into_iter().collect())
}

proptest! {
    #[test]
    fn any_sorted_set_reads_back_and_passes_the_check(keys in key_set(), budget in 0usize..3) {
        let set = ordinals(&keys);
        let budget = [0, 1 << 15, registry::DEFAULT_BUDGET][budget];
        let (bytes, _) = ours(&set, budget);
        crate::validate::check_fst(&bytes, set.len() as u64, None).unwrap();
        prop_assert_eq!(read_back(bytes), set);
    }

    #[test]
    fn any_outputs_read_back(keys in key_set(), seed in any::<u64>()) {
        let set: Vec<(Vec<u8>, u64)> = keys
            .into_iter()
            .enumerate()
            .map(|(i, k)| (k, (i as u64 ^ seed).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (seed % 64)))
            .collect();
        let (bytes, _) = ours(&set, registry::DEFAULT_BUDGET);
        prop_assert_eq!(read_back(bytes), set);
    }
}
