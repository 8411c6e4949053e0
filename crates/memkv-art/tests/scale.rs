//! `ArenaArt` past the first 8 GiB of its leaf buckets, where its bucket store
//! turns from chunks shared by all size classes to chunks of one class each
//! (`memkv_arena::BlobArena`): the layout change a map of billions of keys goes
//! through, here at full size rather than with the lowered threshold the
//! conformance tests use.
//!
//! Ignored by default: it needs about 14 GB of memory and nine minutes (one
//! run, 2026-12-07: 9.69 GiB of bucket blocks, 13.3 GiB in all, 14.0 GB peak
//! resident, 507 s).
//! `cargo test --release -p memkv-art --test scale -- --ignored --nocapture`

use memkv_art::ArenaArt;
use memkv_core::CheckInvariants;

/// 100 M keys of 100 bytes: about 9.9 GB of buckets.
const KEYS: u64 = 100_000_000;

/// Key `i`: a 4-byte prefix and 96 bytes of a bijective mix of `i`, so keys are
/// distinct, spread over the whole tree, and rebuilt from `i` alone.
fn key(i: u64, buf: &mut Vec<u8>) {
    buf.clear();
    buf.extend_from_slice(b"big/");
    let mut x = i;
    for _ in 0..12 {
        // SplitMix64's output function: a bijection of u64.
        x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = x;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        buf.extend_from_slice(&(z ^ (z >> 31)).to_le_bytes());
    }
}

fn progress(what: &str, i: u64) {
    if i % 10_000_000 == 0 {
        eprintln!("{what}: {} M", i / 1_000_000);
    }
}

#[test]
#[ignore = "needs about 14 GB of memory: cargo test --release -p memkv-art --test scale -- --ignored"]
fn buckets_past_eight_gib() {
    let mut kv: ArenaArt<u64> = ArenaArt::new();
    let mut buf = Vec::new();
    for i in 0..KEYS {
        progress("insert", i);
        key(i, &mut buf);
        assert_eq!(kv.insert(&buf, i), None, "key {i} inserted twice");
    }
    let stats = kv.stats();
    eprintln!(
        "{} keys: {:.2} GiB of bucket blocks, {:.2} GiB in all ({:.1} bytes/key)",
        kv.len(),
        stats.bucket_block_bytes as f64 / (1u64 << 30) as f64,
        kv.memory_usage() as f64 / (1u64 << 30) as f64,
        kv.memory_usage() as f64 / KEYS as f64
    );
    assert!(
        stats.bucket_block_bytes > 9 << 30,
        "the buckets must reach well past the 8 GiB of shared chunks"
    );
    kv.check_invariants().unwrap();

    for i in 0..KEYS {
        progress("get", i);
        key(i, &mut buf);
        assert_eq!(kv.get(&buf), Some(&i), "key {i}");
    }

    // Every 1000th key out and a tenth of them back (with value `KEYS + i`),
    // rewriting buckets on both sides of the switch (the free lists take blocks
    // of either kind of chunk).
    for i in (0..KEYS).step_by(1000) {
        key(i, &mut buf);
        assert_eq!(kv.remove(&buf), Some(i), "key {i}");
    }
    for i in (0..KEYS).step_by(10_000) {
        key(i, &mut buf);
        assert_eq!(kv.insert(&buf, KEYS + i), None, "key {i}");
    }
    assert_eq!(kv.len() as u64, KEYS - KEYS / 1000 + KEYS / 10_000);
    kv.check_invariants().unwrap();

    // An ordered walk: keys ascend, and each value names its key.
    let mut last: Option<Vec<u8>> = None;
    let mut seen = 0u64;
    for (k, &v) in kv.iter() {
        if let Some(prev) = &last {
            assert!(prev < &k, "keys out of order");
        }
        let i = v % KEYS;
        key(i, &mut buf);
        assert_eq!(k, buf, "value {v}");
        if i % 1000 == 0 {
            assert_eq!((i % 10_000, v), (0, KEYS + i), "removed key {i} is back");
        }
        last = Some(k);
        seen += 1;
        progress("scan", seen);
    }
    assert_eq!(seen, kv.len() as u64);
}
