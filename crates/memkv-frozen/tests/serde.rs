//! A `FrozenLayer` serializes as its file bytes and reads them back checked.

use memkv_frozen::FrozenLayer;

#[test]
fn round_trips_as_its_bytes_and_rejects_damaged_ones() {
    let layer = FrozenLayer::from_sorted_iter([("/etc/hosts", 1u64), ("/usr/bin/env", 2)]).unwrap();
    let json = serde_json::to_string(&layer).unwrap();
    let back: FrozenLayer = serde_json::from_str(&json).unwrap();
    assert_eq!(back.as_bytes(), layer.as_bytes());
    assert_eq!(back.get("/usr/bin/env"), Some(2));

    let mut bytes: Vec<u8> = serde_json::from_str(&json).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0x55;
    let damaged = serde_json::to_string(&bytes).unwrap();
    let err = serde_json::from_str::<FrozenLayer>(&damaged).expect_err("damaged bytes");
    assert!(!err.to_string().is_empty());
    assert!(serde_json::from_str::<FrozenLayer>("[1, 2, 3]").is_err());
    assert!(serde_json::from_str::<FrozenLayer>("\"not a layer\"").is_err());
}
