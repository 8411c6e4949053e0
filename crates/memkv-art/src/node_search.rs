//! Key-byte search in the small sorted nodes (up to Node16) of the radix trees.
//!
//! The small nodes keep up to 16 key bytes sorted in a 16-byte array (Node16) or
//! a shorter one. On x86_64, SSE2 (part of the architecture's baseline, so always
//! present) compares a whole 16-byte array at once; a scalar loop handles shorter
//! arrays and other targets. The choice is made at compile time by
//! `cfg(target_arch)`, so there is no unsafe feature detection at run time.
//!
//! SSE2 is only used on full 16-byte arrays: copying a shorter slice into a vector
//! register costs more than the loop it replaces (see `benches/node_search.rs`).

/// The position of `byte` in `keys` (at most 16 sorted, distinct bytes).
#[inline]
pub(crate) fn find_byte(keys: &[u8], byte: u8) -> Option<usize> {
    debug_assert!(keys.len() <= 16);
    #[cfg(target_arch = "x86_64")]
    {
        if let Ok(full) = <&[u8; 16]>::try_from(keys) {
            return sse2::find_byte16(full, 16, byte);
        }
    }
    scalar::find_byte(keys, byte)
}

/// The first position in `keys` (at most 16 sorted bytes) whose byte is `>= byte`;
/// `keys.len()` if there is none.
#[inline]
pub(crate) fn lower_bound(keys: &[u8], byte: u8) -> usize {
    debug_assert!(keys.len() <= 16);
    #[cfg(target_arch = "x86_64")]
    {
        if let Ok(full) = <&[u8; 16]>::try_from(keys) {
            return sse2::lower_bound16(full, 16, byte);
        }
    }
    scalar::lower_bound(keys, byte)
}

/// [`find_byte`] on the first `len` bytes of a Node16's key array (the bytes
/// after them are ignored, whatever they hold).
#[inline]
pub(crate) fn find_byte16(keys: &[u8; 16], len: usize, byte: u8) -> Option<usize> {
    #[cfg(target_arch = "x86_64")]
    {
        sse2::find_byte16(keys, len, byte)
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        scalar::find_byte(&keys[..len], byte)
    }
}

/// [`lower_bound`] on the first `len` bytes of a Node16's key array.
#[inline]
pub(crate) fn lower_bound16(keys: &[u8; 16], len: usize, byte: u8) -> usize {
    #[cfg(target_arch = "x86_64")]
    {
        sse2::lower_bound16(keys, len, byte)
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        scalar::lower_bound(&keys[..len], byte)
    }
}

/// [`find_byte`] on the first `len` bytes of a small node's `N`-byte key array:
/// a Node16's whole array is searched with SSE2 (the tail masked off), whatever
/// `len` is; shorter arrays use the scalar loop on their occupied bytes.
#[inline]
pub(crate) fn find_in<const N: usize>(keys: &[u8; N], len: usize, byte: u8) -> Option<usize> {
    match <&[u8; 16]>::try_from(&keys[..]) {
        Ok(all) => find_byte16(all, len, byte),
        Err(_) => find_byte(&keys[..len], byte),
    }
}

/// [`lower_bound`] on the first `len` bytes of a small node's `N`-byte key array
/// (see [`find_in`]).
#[inline]
pub(crate) fn lower_bound_in<const N: usize>(keys: &[u8; N], len: usize, byte: u8) -> usize {
    match <&[u8; 16]>::try_from(&keys[..]) {
        Ok(all) => lower_bound16(all, len, byte),
        Err(_) => lower_bound(&keys[..len], byte),
    }
}

/// The portable versions.
pub(crate) mod scalar {
    /// See [`super::find_byte`].
    #[inline]
    pub(crate) fn find_byte(keys: &[u8], byte: u8) -> Option<usize> {
        keys.iter().position(|&k| k == byte)
    }

    /// See [`super::lower_bound`].
    #[inline]
    pub(crate) fn lower_bound(keys: &[u8], byte: u8) -> usize {
        keys.iter().position(|&k| k >= byte).unwrap_or(keys.len())
    }
}

/// The SSE2 versions: one 16-byte compare instead of up to 16 byte compares.
#[cfg(target_arch = "x86_64")]
#[allow(unsafe_code)]
pub(crate) mod sse2 {
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_max_epu8, _mm_movemask_epi8, _mm_set1_epi8,
    };

    #[inline]
    fn load(keys: &[u8; 16]) -> __m128i {
        // SAFETY: `keys` is 16 readable bytes and `_mm_loadu_si128` accepts any
        // alignment; SSE2 is enabled on every x86_64 target.
        unsafe { _mm_loadu_si128(keys.as_ptr().cast()) }
    }

    /// Bit `i` set for each position `i < len`.
    #[inline]
    fn valid(len: usize) -> u32 {
        debug_assert!(len <= 16);
        (1u32 << len) - 1
    }

    /// See [`super::find_byte16`].
    #[inline]
    pub(crate) fn find_byte16(keys: &[u8; 16], len: usize, byte: u8) -> Option<usize> {
        let v = load(keys);
        // SAFETY: SSE2 intrinsics on register values only; SSE2 is part of the
        // x86_64 baseline, so the instructions exist on every x86_64 CPU.
        let mask = unsafe {
            let eq = _mm_cmpeq_epi8(v, _mm_set1_epi8(byte as i8));
            _mm_movemask_epi8(eq) as u32
        } & valid(len);
        (mask != 0).then(|| mask.trailing_zeros() as usize)
    }

    /// See [`super::lower_bound16`].
    #[inline]
    pub(crate) fn lower_bound16(keys: &[u8; 16], len: usize, byte: u8) -> usize {
        let v = load(keys);
        // SAFETY: as in `find_byte16`. SSE2 has no unsigned byte compare, so
        // `key >= byte` is computed as `max(key, byte) == key`.
        let mask = unsafe {
            let ge = _mm_cmpeq_epi8(_mm_max_epu8(v, _mm_set1_epi8(byte as i8)), v);
            _mm_movemask_epi8(ge) as u32
        } & valid(len);
        if mask == 0 {
            len
        } else {
            mask.trailing_zeros() as usize
        }
    }
}

#[cfg(test)]
mod tests {
    // The criterion bench compiles this file with `cfg(test)` but without the test
    // harness, which strips the `#[test]` functions and leaves this import unused.
    #[allow(unused_imports)]
    use super::*;
    #[allow(unused_imports)]
    use proptest::prelude::*;

    #[allow(dead_code)]
    fn naive_find(keys: &[u8], byte: u8) -> Option<usize> {
        (0..keys.len()).find(|&i| keys[i] == byte)
    }

    #[allow(dead_code)]
    fn naive_lower_bound(keys: &[u8], byte: u8) -> usize {
        (0..keys.len())
            .find(|&i| keys[i] >= byte)
            .unwrap_or(keys.len())
    }

    #[test]
    fn edges() {
        let keys = [0x00, 0x01, 0x7F, 0x80, 0xFE, 0xFF];
        let mut padded = [0xAAu8; 16];
        padded[..6].copy_from_slice(&keys);
        for b in 0..=255u8 {
            assert_eq!(find_byte(&keys, b), naive_find(&keys, b), "{b}");
            assert_eq!(lower_bound(&keys, b), naive_lower_bound(&keys, b), "{b}");
            assert_eq!(find_byte16(&padded, 6, b), naive_find(&keys, b), "{b}");
            assert_eq!(
                lower_bound16(&padded, 6, b),
                naive_lower_bound(&keys, b),
                "{b}"
            );
        }
        assert_eq!(find_byte(&[], 0), None);
        assert_eq!(lower_bound(&[], 0), 0);
        assert_eq!(find_byte16(&[7; 16], 0, 7), None);
        let full: Vec<u8> = (240..=255).collect();
        assert_eq!(lower_bound(&full, 0xFF), 15);
        assert_eq!(lower_bound(&full, 0x00), 0);
        assert_eq!(find_byte(&full, 0xF0), Some(0));
    }

    proptest! {
        #![proptest_config(ProptestConfig {
            cases: if cfg!(miri) { 16 } else { 1024 },
            // No failure files: Miri forbids the file system, and CI is stateless.
            failure_persistence: None,
            ..ProptestConfig::default()
        })]
        #[test]
        fn agrees_with_the_oracle(
            keys in proptest::collection::btree_set(any::<u8>(), 0..=16)
                .prop_map(|s| s.into_iter().collect::<Vec<u8>>()),
            garbage in any::<[u8; 16]>(),
            byte in any::<u8>(),
        ) {
            let mut padded = garbage;
            padded[..keys.len()].copy_from_slice(&keys);
            let (find, lower) = (naive_find(&keys, byte), naive_lower_bound(&keys, byte));
            prop_assert_eq!(find_byte(&keys, byte), find);
            prop_assert_eq!(lower_bound(&keys, byte), lower);
            prop_assert_eq!(find_byte16(&padded, keys.len(), byte), find);
            prop_assert_eq!(lower_bound16(&padded, keys.len(), byte), lower);
            prop_assert_eq!(scalar::find_byte(&keys, byte), find);
            prop_assert_eq!(scalar::lower_bound(&keys, byte), lower);
        }
    }
}
