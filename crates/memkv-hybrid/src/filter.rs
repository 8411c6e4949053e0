//! Bloom filters on segments, so a lookup of a key a segment does not hold (the
//! common case: every insert looks up the value it replaces) skips that segment's FST
//! walk.
//!
//! The filter is blocked: a key's probes all fall in one 64-byte block (one cache
//! line), so a lookup costs one cache miss whatever the number of probes. Ten bits
//! per key and seven probes give about 1% false positives (a little more than an
//! unblocked filter's 0.8%).

/// Bits per expected key.
const BITS_PER_KEY: usize = 10;
/// Probes per key.
const PROBES: u64 = 7;
/// Bits per block.
const BLOCK_BITS: u64 = 512;
/// Words per block.
const BLOCK_WORDS: usize = 8;

/// A blocked Bloom filter over byte-string keys.
///
/// The words are a plain `Vec<u64>`, so a new filter is one zeroed allocation (the
/// allocator hands out zeroed pages without writing them); blocks start at multiples
/// of 64 bytes from the start of the allocation, which the allocator aligns to a page
/// for any filter large enough to matter.
#[derive(Debug)]
pub(crate) struct KeyFilter {
    words: Vec<u64>,
}

impl KeyFilter {
    /// An empty filter sized for `expected` keys.
    pub(crate) fn with_capacity(expected: usize) -> KeyFilter {
        let bits = expected.max(1).saturating_mul(BITS_PER_KEY);
        KeyFilter {
            words: vec![0; bits.div_ceil(BLOCK_BITS as usize) * BLOCK_WORDS],
        }
    }

    /// The block of a key and the word index and mask of each of its probes there:
    /// the block is chosen by one hash, the bits within it by double hashing with
    /// the other.
    fn probes(&self, hash: KeyHash) -> (usize, impl Iterator<Item = (usize, u64)>) {
        let KeyHash(h1, h2) = hash;
        let blocks = (self.words.len() / BLOCK_WORDS) as u64;
        let block = (h1 % blocks) as usize * BLOCK_WORDS;
        let probes = (0..PROBES).map(move |i| {
            let bit = (h2 >> 32).wrapping_add(i.wrapping_mul(h2)) % BLOCK_BITS;
            ((bit / 64) as usize, 1u64 << (bit % 64))
        });
        (block, probes)
    }

    /// Records `key`.
    pub(crate) fn insert(&mut self, key: &[u8]) {
        self.insert_hashed(KeyHash::of(key));
    }

    /// Records the key hashed to `hash`.
    pub(crate) fn insert_hashed(&mut self, hash: KeyHash) {
        let (block, probes) = self.probes(hash);
        let words = &mut self.words[block..block + BLOCK_WORDS];
        for (word, mask) in probes {
            words[word] |= mask;
        }
    }

    /// `false` only if `key` was never inserted.
    pub(crate) fn may_contain(&self, key: &[u8]) -> bool {
        self.may_contain_hashed(KeyHash::of(key))
    }

    /// `false` only if no key hashed to `hash` was inserted.
    pub(crate) fn may_contain_hashed(&self, hash: KeyHash) -> bool {
        let (block, mut probes) = self.probes(hash);
        let words = &self.words[block..block + BLOCK_WORDS];
        probes.all(|(word, mask)| words[word] & mask != 0)
    }

    /// Starts loading the block [`may_contain_hashed`](KeyFilter::may_contain_hashed)
    /// reads for `hash`.
    pub(crate) fn prefetch(&self, hash: KeyHash) {
        let (block, _) = self.probes(hash);
        memkv_arena::prefetch(self.words.as_ptr().wrapping_add(block));
    }

    /// Heap bytes of the bit array.
    pub(crate) fn memory_usage(&self) -> usize {
        self.words.capacity() * 8
    }
}

/// A key's hash, computed once per lookup and shared by the filters of every layer.
#[derive(Clone, Copy, Debug)]
pub(crate) struct KeyHash(u64, u64);

impl KeyHash {
    /// The hash of `key`.
    pub(crate) fn of(key: &[u8]) -> KeyHash {
        let (a, b) = hash(key);
        KeyHash(a, b)
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
