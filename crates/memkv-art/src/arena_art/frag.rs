//! `Frag`: a key fragment (a node prefix) in six bytes.
//!
//! ```text
//! inline (len <= 5): | b0 b1 b2 b3 b4 | 0x80 | len |   (byte 5 = 0x80 + len)
//! in the arena:      | DataRef bytes (byte 5 < 0x80) |
//! ```
//!
//! Most prefixes are short, so they live in the six bytes a `DataRef` would take
//! anyway and cost no arena bytes at all.

use memkv_arena::{ByteArena, DataRef};

/// Longest fragment stored inline.
pub(super) const INLINE: usize = 5;

/// A key fragment, inline or in the byte arena. Fragments of at most [`INLINE`]
/// bytes are always inline, longer ones always in the arena (the invariant checker
/// verifies this canonical form).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) struct Frag([u8; 6]);

impl Frag {
    /// The fragment holding the concatenation of `parts`.
    pub(super) fn new(arena: &mut ByteArena, parts: &[&[u8]]) -> Frag {
        let len: usize = parts.iter().map(|p| p.len()).sum();
        if len <= INLINE {
            let mut b = [0u8; 6];
            let mut at = 0;
            for p in parts {
                b[at..at + p.len()].copy_from_slice(p);
                at += p.len();
            }
            b[5] = 0x80 | len as u8;
            Frag(b)
        } else {
            Frag(arena.alloc_parts(parts).to_bytes())
        }
    }

    /// The fragment stored at arena item `r` (which must be longer than [`INLINE`]).
    pub(super) fn from_data_ref(r: DataRef) -> Frag {
        Frag(r.to_bytes())
    }

    /// The arena reference, if the fragment lives in the arena.
    #[inline]
    pub(super) fn data_ref(self) -> Option<DataRef> {
        DataRef::from_bytes(self.0)
    }

    /// The fragment's bytes.
    #[inline(always)]
    pub(super) fn get<'a>(&'a self, arena: &'a ByteArena) -> &'a [u8] {
        match self.data_ref() {
            Some(r) => arena.get(r),
            None => &self.0[..usize::from(self.0[5] & 0x7F)],
        }
    }

    /// `Some(its length)` if the fragment is a prefix of `rest`, else `None`.
    ///
    /// The lookup path calls this at every inner node; inline fragments (most
    /// prefixes) are compared as one masked word instead of a `memcmp` call.
    #[inline(always)]
    pub(super) fn match_len(&self, arena: &ByteArena, rest: &[u8]) -> Option<usize> {
        if self.0[5] & 0x80 == 0 {
            let p = self.get(arena);
            return rest.starts_with(p).then_some(p.len());
        }
        let len = usize::from(self.0[5] & 0x7F);
        match rest.first_chunk::<8>() {
            Some(head) => {
                // Only the first `len` (at most 5) bytes of both words take part.
                let lo = u32::from_le_bytes([self.0[0], self.0[1], self.0[2], self.0[3]]);
                let mine = u64::from(lo) | u64::from(self.0[4]) << 32;
                let mask = (1u64 << (8 * len)) - 1;
                ((u64::from_le_bytes(*head) ^ mine) & mask == 0).then_some(len)
            }
            None => rest.starts_with(&self.0[..len]).then_some(len),
        }
    }

    /// `Some(d + len)` if inline fragment `self`, of `len` bytes, is a prefix of
    /// `key[d..]` (`d <= key.len()`), else `None`: one masked word compare.
    #[inline(always)]
    pub(super) fn match_inline(&self, key: &[u8], d: usize, len: usize) -> Option<usize> {
        debug_assert!(self.data_ref().is_none() && len == usize::from(self.0[5] & 0x7F));
        let rest = &key[d..];
        match rest.first_chunk::<8>() {
            Some(head) => {
                let lo = u32::from_le_bytes([self.0[0], self.0[1], self.0[2], self.0[3]]);
                let mine = u64::from(lo) | u64::from(self.0[4]) << 32;
                let mask = (1u64 << (8 * len)) - 1;
                ((u64::from_le_bytes(*head) ^ mine) & mask == 0).then_some(d + len)
            }
            None => rest.starts_with(&self.0[..len]).then_some(d + len),
        }
    }

    /// The bytes of a fragment in the arena whose length, `len`, the caller knows:
    /// they are found without reading the item's length header first.
    #[inline(always)]
    pub(super) fn arena_bytes<'a>(&self, arena: &'a ByteArena, len: usize) -> &'a [u8] {
        let r = self.data_ref().expect("a fragment in the arena");
        arena.get_with_len(r, len)
    }

    /// Its length.
    pub(super) fn len(&self, arena: &ByteArena) -> usize {
        match self.data_ref() {
            Some(r) => arena.get(r).len(),
            None => usize::from(self.0[5] & 0x7F),
        }
    }

    /// Releases its arena bytes, if any.
    pub(super) fn free(self, arena: &mut ByteArena) {
        if let Some(r) = self.data_ref() {
            arena.free(r);
        }
    }

    /// Drops its first `n` bytes (moving it inline when it becomes short enough).
    pub(super) fn drop_front(&mut self, arena: &mut ByteArena, n: usize) {
        if n == 0 {
            return;
        }
        match self.data_ref() {
            Some(r) => {
                let rest = &arena.get(r)[n..];
                if rest.len() <= INLINE {
                    let mut b = [0u8; 6];
                    b[..rest.len()].copy_from_slice(rest);
                    b[5] = 0x80 | rest.len() as u8;
                    arena.free(r);
                    *self = Frag(b);
                } else {
                    arena.truncate_front(r, n);
                }
            }
            None => {
                let len = usize::from(self.0[5] & 0x7F);
                self.0.copy_within(n..len, 0);
                // Zero the vacated bytes so equal fragments are equal byte for byte.
                self.0[len - n..INLINE].fill(0);
                self.0[5] = 0x80 | (len - n) as u8;
            }
        }
    }

    /// Whether the fragment is in canonical form (inline iff short).
    pub(super) fn is_canonical(&self, arena: &ByteArena) -> bool {
        match self.data_ref() {
            Some(r) => arena.get(r).len() > INLINE,
            None => usize::from(self.0[5] & 0x7F) <= INLINE,
        }
    }
}
