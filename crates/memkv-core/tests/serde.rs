//! The shared serde encoding, on `SimpleKV`: round trips with awkward keys, the
//! key forms a reader accepts, and errors (not panics) on malformed input.

use memkv_core::SimpleKV;

fn awkward() -> SimpleKV<u64> {
    [
        (&b""[..], 1),
        (b"a", 2),
        (b"a\0", 3),
        (b"ab", 4),
        (b"\xFF\xFF", 5),
        (b"\0", 6),
    ]
    .into_iter()
    .collect()
}

fn entries(m: &SimpleKV<u64>) -> Vec<(Vec<u8>, u64)> {
    m.iter().map(|(k, &v)| (k.to_vec(), v)).collect()
}

#[test]
fn round_trips_through_json() {
    let map = awkward();
    let json = serde_json::to_string(&map).unwrap();
    let back: SimpleKV<u64> = serde_json::from_str(&json).unwrap();
    assert_eq!(entries(&back), entries(&map));
    assert_eq!(back.len(), map.len());
    // Pairs in key order, keys as bytes.
    assert_eq!(
        json,
        "[[[],1],[[0],6],[[97],2],[[97,0],3],[[97,98],4],[[255,255],5]]"
    );
}

#[test]
fn reads_string_keys_in_any_order_and_keeps_the_last_duplicate() {
    let back: SimpleKV<u64> = serde_json::from_str(r#"[["b", 1], ["a", 2], ["b", 3]]"#).unwrap();
    assert_eq!(entries(&back), [(b"a".to_vec(), 2), (b"b".to_vec(), 3)]);
}

#[test]
fn malformed_input_is_an_error() {
    for bad in [
        r#"{"a": 1}"#,
        r#"[["a"]]"#,
        r#"[[[256], 1]]"#,
        r#"[["a", -1]]"#,
        "[",
        "7",
    ] {
        let err = serde_json::from_str::<SimpleKV<u64>>(bad).expect_err(bad);
        assert!(!err.to_string().is_empty());
    }
}
