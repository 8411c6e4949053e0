//! Bloom filters on the newer segments, so a lookup of a key a segment does not hold
//! (the common case: every insert looks up the value it replaces) skips that
//! segment's FST walk.
//!
//! Ten bits per key and seven probes give about 1% false positives. The oldest
//! segment, which holds most keys and is asked last, gets no filter: a miss there
//! ends the lookup anyway, and it keeps a fully compacted store as small as its FST.

/// Bits per expected key.
const BITS_PER_KEY: usize = 10;
/// Probes per key.
const PROBES: u64 = 7;

/// A Bloom filter over byte-string keys.
#[derive(Debug)]
pub(crate) struct KeyFilter {
    words: Vec<u64>,
}

impl KeyFilter {
    /// An empty filter sized for `expected` keys.
    pub(crate) fn with_capacity(expected: usize) -> KeyFilter {
        let bits = (expected.max(1) * BITS_PER_KEY).next_multiple_of(64);
        KeyFilter {
            words: vec![0; bits / 64],
        }
    }

    fn probes(&self, key: &[u8]) -> impl Iterator<Item = (usize, u64)> {
        let (h1, h2) = hash(key);
        let bits = self.words.len() as u64 * 64;
        (0..PROBES).map(move |i| {
            let bit = h1.wrapping_add(i.wrapping_mul(h2)) % bits;
            ((bit / 64) as usize, 1u64 << (bit % 64))
        })
    }

    /// Records `key`.
    pub(crate) fn insert(&mut self, key: &[u8]) {
        let probes: Vec<(usize, u64)> = self.probes(key).collect();
        for (word, mask) in probes {
            self.words[word] |= mask;
        }
    }

    /// `false` only if `key` was never inserted.
    pub(crate) fn may_contain(&self, key: &[u8]) -> bool {
        self.probes(key)
            .all(|(word, mask)| self.words[word] & mask != 0)
    }

    /// Heap bytes of the bit array.
    pub(crate) fn memory_usage(&self) -> usize {
        self.words.capacity() * 8
    }
}

/// Two independent-enough 64-bit hashes of `key` for double hashing: FNV-1a over
/// 8-byte words, then a SplitMix64 finaliser for each half.
fn hash(key: &[u8]) -> (u64, u64) {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ key.len() as u64;
    let mut chunks = key.chunks_exact(8);
    for c in &mut chunks {
        let w = u64::from_le_bytes(c.try_into().expect("chunks_exact yields 8 bytes"));
        h = (h ^ w).wrapping_mul(0x0000_0100_0000_01b3).rotate_left(29);
    }
    for &b in chunks.remainder() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
    }
    let mix = |mut z: u64| {
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    };
    (mix(h), mix(h ^ 0x9e37_79b9_7f4a_7c15) | 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inserted_keys_are_always_found_and_others_rarely() {
        let keys: Vec<Vec<u8>> = (0..10_000)
            .map(|i| format!("/usr/share/doc/pkg{i}/copyright").into_bytes())
            .collect();
        let mut f = KeyFilter::with_capacity(keys.len());
        for k in &keys {
            f.insert(k);
        }
        assert!(keys.iter().all(|k| f.may_contain(k)));
        let false_positives = (0..10_000)
            .filter(|i| f.may_contain(format!("/usr/lib/other{i}").as_bytes()))
            .count();
        assert!(
            false_positives < 300,
            "{false_positives} false positives in 10000"
        );
        assert!(f.may_contain(b"") == f.may_contain(b""));
    }
}
