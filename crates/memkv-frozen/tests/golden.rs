//! Committed layer files must keep opening, with the same contents, in every later
//! version: format changes need a new version number, not silent breakage.
//!
//! To write the current version's files after a deliberate format change (with a
//! version bump: add the new version's files, keep the old ones), run
//! `MEMKV_BLESS=1 cargo test -p memkv-frozen --test golden` and commit them.

use std::path::PathBuf;

use memkv_frozen::FrozenLayer;

fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data")
}

/// Edge-case keys (empty, prefixes of each other, NUL and 0xFF bytes, a long shared
/// path) with values that need the full 64-bit width.
fn packed_entries() -> Vec<(Vec<u8>, u64)> {
    let mut keys: Vec<Vec<u8>> = vec![
        b"".to_vec(),
        b"a".to_vec(),
        b"a\0".to_vec(),
        b"ab".to_vec(),
        b"\xff".to_vec(),
        b"\xff\xff\x00".to_vec(),
    ];
    for i in 0..40u32 {
        keys.push(
            format!("usr/share/doc/package-{}/changelog.Debian.gz", i * 37 % 40).into_bytes(),
        );
    }
    keys.sort();
    keys.into_iter()
        .enumerate()
        .map(|(i, k)| (k, (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)))
        .collect()
}

/// Values that count up with the keys (stored as no bytes at all).
fn counted_entries() -> Vec<(Vec<u8>, u64)> {
    (0..100u64)
        .map(|i| (format!("word{i:03}").into_bytes(), 1000 + i))
        .collect()
}

/// Which writer produced a golden file.
#[derive(Clone, Copy, PartialEq)]
enum Era {
    /// Format version 1 (no node-end index): must keep opening, with the same
    /// contents, and `write_to` upgrades it to today's bytes.
    V1,
    /// Today's format: `write_to` must still produce exactly the committed bytes.
    Current,
}

fn check(name: &str, entries: Vec<(Vec<u8>, u64)>, era: Era) {
    let path = data_dir().join(name);
    let built = FrozenLayer::from_sorted_iter(entries.iter().map(|(k, v)| (k, *v))).unwrap();
    if era == Era::Current && std::env::var_os("MEMKV_BLESS").is_some() {
        built.write_to(&path).unwrap();
    }
    let opened = FrozenLayer::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let version = if era == Era::V1 { 1 } else { 2 };
    assert_eq!(opened.format_info().version, version, "{name}: version");
    assert_eq!(
        opened.iter().collect::<Vec<_>>(),
        entries,
        "{name}: contents"
    );
    assert_eq!(opened.iter().rev().count(), entries.len());
    for (i, (k, v)) in entries.iter().enumerate() {
        assert_eq!(opened.get(k), Some(*v));
        assert_eq!(opened.rank(k), Some(i as u64));
    }
    // Today's writer, given a fresh build or the opened file, writes exactly the
    // bytes of a current golden file.
    let dir = tempfile::tempdir().unwrap();
    let (fresh, rewritten) = (dir.path().join("fresh.frz"), dir.path().join("again.frz"));
    built.write_to(&fresh).unwrap();
    opened.write_to(&rewritten).unwrap();
    let fresh = std::fs::read(fresh).unwrap();
    assert_eq!(
        std::fs::read(rewritten).unwrap(),
        fresh,
        "{name}: rewritten"
    );
    if era == Era::Current {
        assert_eq!(
            std::fs::read(&path).unwrap(),
            fresh,
            "{name}: bytes differ from a fresh build"
        );
    }
}

#[test]
fn golden_v1_packed_values() {
    check("golden-v1-packed.frz", packed_entries(), Era::V1);
}

#[test]
fn golden_v1_counted_values() {
    check("golden-v1-counted.frz", counted_entries(), Era::V1);
}

#[test]
fn golden_v2_packed_values() {
    check("golden-v2-packed.frz", packed_entries(), Era::Current);
}

#[test]
fn golden_v2_counted_values() {
    check("golden-v2-counted.frz", counted_entries(), Era::Current);
}
