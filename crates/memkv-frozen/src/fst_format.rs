//! Constants of the `fst` crate's byte format (version 3) and the decoding of its
//! packed numbers, shared by the writer that produces it (`fst_write`), the
//! structural check that vets it (`validate`) and the lookups that read it
//! (`lookup`). `docs/FORMAT.md` draws the node layouts.

/// The `fst` format version this crate writes and accepts.
pub(crate) const FST_VERSION: u64 = 3;
/// The FST header: version and type, two u64.
pub(crate) const FST_HEADER: usize = 16;
/// After the root node: key count (u64), root address (u64), CRC-32C (u32).
pub(crate) const FST_TRAILER: usize = 20;
/// Nodes with more transitions than this carry a 256-byte input index.
pub(crate) const INDEX_THRESHOLD: usize = 32;
/// The address of the empty final state, which takes no bytes.
pub(crate) const EMPTY_ADDRESS: u64 = 0;

/// The 63 input bytes that a one-transition node names in its state byte instead
/// of spending a byte on them: state value `i + 1` stands for `COMMON_INPUTS[i]`.
/// Part of the format: readers decode with the same table.
pub(crate) const COMMON_INPUTS: [u8; 63] =
    *b"te/oasripcnw.hlm-du012g=:bf3y5&_4v9678k%?xCDASFIBEjPTzRNM+LOqHG";

/// The state-byte code of `input` in a one-transition node: 1..=63 for a common
/// input, 0 when the input needs a byte of its own.
pub(crate) fn common_code(input: u8) -> u8 {
    COMMON_CODE[usize::from(input)]
}

const COMMON_CODE: [u8; 256] = {
    let mut codes = [0u8; 256];
    let mut i = 0;
    while i < COMMON_INPUTS.len() {
        codes[COMMON_INPUTS[i] as usize] = i as u8 + 1;
        i += 1;
    }
    codes
};

/// The fewest bytes (1 to 8) that hold `n` little-endian.
pub(crate) fn pack_size(n: u64) -> usize {
    (8 - n.leading_zeros() as usize / 8).max(1)
}

/// A node's pack-sizes byte, decoded: bytes per transition target delta (high
/// nibble) and per output (low nibble).
#[inline(always)]
pub(crate) fn sizes_of(byte: u8) -> (usize, usize) {
    (usize::from(byte >> 4), usize::from(byte & 0x0F))
}

/// The `n`-byte (0 to 8) little-endian number at `data[at..]`, as the format packs
/// outputs and target deltas.
#[inline(always)]
pub(crate) fn unpack(data: &[u8], at: usize, n: usize) -> u64 {
    if n == 0 {
        return 0;
    }
    match data.get(at..at + 8) {
        // One load and a mask instead of a byte loop (the bytes past the number
        // belong to the node above it or to the FST's trailer).
        Some(word) => {
            let word = u64::from_le_bytes(word.try_into().expect("8 bytes"));
            word & (u64::MAX >> (64 - 8 * n))
        }
        None => data[at..at + n]
            .iter()
            .rev()
            .fold(0, |acc, &b| (acc << 8) | u64::from(b)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_inputs_are_distinct_and_coded_back() {
        for (i, &b) in COMMON_INPUTS.iter().enumerate() {
            assert_eq!(common_code(b), i as u8 + 1);
        }
        assert_eq!((0..=255u8).filter(|&b| common_code(b) != 0).count(), 63);
        assert_eq!(common_code(b'Y'), 0);
        assert_eq!(common_code(0), 0);
    }

    #[test]
    fn pack_sizes() {
        assert_eq!(pack_size(0), 1);
        assert_eq!(pack_size(255), 1);
        assert_eq!(pack_size(256), 2);
        assert_eq!(pack_size(1 << 56), 8);
        assert_eq!(pack_size(u64::MAX), 8);
    }
}
