//! Helpers for feeding damaged bytes to `FrozenLayer`, shared by the corruption
//! tests and by the `frozen_bytes` fuzz target (`fuzz/`, which includes this file
//! by path).

use memkv_frozen::FrozenLayer;

/// The footer: a CRC-32 of everything before it, then the end magic.
const FOOTER: usize = 8;

/// Recomputes the footer checksum, so that the structural checks, not the
/// checksum, are what stand between damaged bytes and the readers.
pub fn reseal(bytes: &mut [u8]) {
    let Some(body) = bytes.len().checked_sub(FOOTER) else {
        return;
    };
    let crc = crc32fast::hash(&bytes[..body]);
    bytes[body..body + 4].copy_from_slice(&crc.to_le_bytes());
}

/// Every query a reader can make, on some of the layer's own keys and on probes
/// that reach every node kind: none may panic, and no scan may yield more entries
/// than the layer holds.
pub fn exercise(layer: &FrozenLayer) {
    let n = layer.len();
    assert!(layer.iter().count() <= n);
    assert!(layer.iter().rev().count() <= n);
    let mut both = layer.iter();
    let mut seen = 0;
    while let (Some(_), Some(_)) = (both.next(), both.next_back()) {
        seen += 2;
        assert!(seen <= n + 1);
    }
    let mut probes: Vec<Vec<u8>> = layer.iter().take(16).map(|(k, _)| k).collect();
    probes.extend([&b""[..], b"a", b"ab", b"k17", b"\xff", b"b\0", b"zzzz"].map(<[u8]>::to_vec));
    for probe in &probes {
        let _ = (layer.get(probe), layer.contains_key(probe));
        let _ = (layer.floor(probe), layer.ceiling(probe), layer.rank(probe));
        let _ = (layer.count_below(probe), layer.longest_prefix(probe));
        assert!(layer.prefix_scan(probe).count() <= n);
        assert!(layer.prefix_scan(probe).rev().count() <= n);
        assert!(layer.range(probe, b"m").count() <= n);
    }
    for i in [0, 1, n as u64 / 2, n.saturating_sub(1) as u64, n as u64] {
        let _ = layer.nth(i);
    }
    let _ = (layer.first(), layer.last());
    let _ = layer.subsequence("ab").take(4 * n + 4).count();
}
