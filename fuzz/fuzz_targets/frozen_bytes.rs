//! `FrozenLayer::from_bytes` on arbitrary bytes: it must return an error or a
//! layer whose every query returns without panicking and never yields more
//! entries than the layer holds.
//!
//! Each input is tried twice: as it is (the checksum turns away almost every
//! mutation), and with its footer checksum recomputed, so that the structural
//! check of the FST and value sections is what stands between the bytes and the
//! readers (a file written by a buggy tool, or crafted on purpose).
#![no_main]

use libfuzzer_sys::fuzz_target;
use memkv_frozen::FrozenLayer;

/// The footer: a CRC-32 of everything before it, then the end magic.
const FOOTER: usize = 8;

fuzz_target!(|data: &[u8]| {
    check(data.to_vec());
    if data.len() >= FOOTER {
        let mut resealed = data.to_vec();
        let body = resealed.len() - FOOTER;
        let crc = crc32fast::hash(&resealed[..body]);
        resealed[body..body + 4].copy_from_slice(&crc.to_le_bytes());
        check(resealed);
    }
});

fn check(bytes: Vec<u8>) {
    if let Ok(layer) = FrozenLayer::from_bytes(bytes) {
        exercise(&layer);
    }
}

/// Every query a reader can make, with probes that reach every node kind.
fn exercise(layer: &FrozenLayer) {
    let n = layer.len();
    assert!(layer.iter().count() <= n);
    assert!(layer.iter().rev().count() <= n);
    let mut both = layer.iter();
    let mut seen = 0;
    while let (Some(_), Some(_)) = (both.next(), both.next_back()) {
        seen += 2;
        assert!(seen <= n + 1);
    }
    let mut keys: Vec<Vec<u8>> = layer.iter().take(64).map(|(k, _)| k).collect();
    keys.extend([&b""[..], b"a", b"ab", b"\x00", b"\xff", b"zz"].map(<[u8]>::to_vec));
    for probe in &keys {
        let _ = (layer.get(probe), layer.contains_key(probe));
        let _ = (layer.floor(probe), layer.ceiling(probe), layer.rank(probe));
        let _ = layer.count_below(probe);
        assert!(layer.prefix_scan(probe).count() <= n);
        assert!(layer.prefix_scan(probe).rev().count() <= n);
        assert!(layer.range(probe, b"m").count() <= n);
        let _ = layer.longest_prefix(probe);
    }
    for i in [0, 1, n as u64 / 2, n.saturating_sub(1) as u64, n as u64] {
        let _ = layer.nth(i);
    }
    let _ = (layer.first(), layer.last());
    let _ = layer.subsequence("ab").take(4 * n + 4).count();
}
