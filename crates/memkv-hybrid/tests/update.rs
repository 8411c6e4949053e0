//! `update` through every layer a key can live in, and a panicking closure.

use std::panic::{catch_unwind, AssertUnwindSafe};

use memkv_hybrid::HybridStore;

#[test]
fn update_sees_the_value_of_whichever_layer_holds_the_key() {
    let store: HybridStore<u64> = HybridStore::new();
    store.insert("seg", 1);
    store.insert("gone", 2);
    store.compact().unwrap();
    store.remove("gone"); // a tombstone in the delta over the segment's entry
    store.insert("delta", 3);

    let seen = |key: &str| {
        let mut seen = None;
        store.update(key, |v| {
            seen = Some(v.copied());
            v.copied()
        });
        seen.expect("the closure runs once")
    };
    assert_eq!(seen("seg"), Some(1));
    assert_eq!(seen("gone"), None);
    assert_eq!(seen("delta"), Some(3));
    assert_eq!(seen("never"), None);
    assert_eq!(store.len(), 2);

    // Removing through update: a segment key (needs a tombstone), a delta key.
    assert_eq!(store.update("seg", |_| None), None);
    assert_eq!(store.update("delta", |_| None), None);
    assert_eq!(store.update("never", |_| None), None);
    assert!(store.is_empty());
    // Reviving a removed key.
    assert_eq!(
        store.update("gone", |v| Some(v.copied().unwrap_or(40) + 2)),
        Some(42)
    );
    store.compact().unwrap();
    assert_eq!(store.get("gone"), Some(42));
    assert_eq!(store.len(), 1);
}

#[test]
fn a_panicking_closure_changes_nothing_and_the_store_stays_usable() {
    let store: HybridStore<u64> = HybridStore::new();
    store.insert("k", 1);
    let result = catch_unwind(AssertUnwindSafe(|| {
        store.update("k", |_| panic!("the caller's bug"));
    }));
    assert!(result.is_err());
    assert_eq!(store.get("k"), Some(1));
    assert_eq!(store.update("k", |v| v.map(|n| n + 1)), Some(2));
    assert_eq!(store.len(), 1);
}
