//! `DataRef`: the 6-byte packed reference to bytes in a [`ByteArena`](crate::ByteArena).

use std::fmt;

/// Bits of a [`DataRef`] naming the chunk.
pub(crate) const CHUNK_BITS: u32 = 23;
/// Bits of a [`DataRef`] giving the offset within the chunk.
pub(crate) const OFFSET_BITS: u32 = 24;
/// One past the largest chunk index a `DataRef` can name.
pub(crate) const MAX_CHUNKS: usize = 1 << CHUNK_BITS;
/// One past the largest in-chunk offset a `DataRef` can name.
pub(crate) const MAX_OFFSET: usize = 1 << OFFSET_BITS;

/// A reference to one item (a byte string) stored in a [`ByteArena`](crate::ByteArena).
///
/// Six bytes with alignment 1, so it packs without padding beside other fields:
/// 24 bits of offset within a chunk and 23 bits of chunk index. Chunks hold up to
/// 16 MiB each, and items larger than a chunk get a chunk of their own, so an arena
/// addresses 2^23 chunks (far past 4 GiB: 2 TiB in full 256 KiB chunks) and single
/// items of any length. The item's length is stored in the arena in front of its
/// bytes, not in the reference.
///
/// The most significant bit of the last byte of [`DataRef::to_bytes`] is always 0,
/// so a containing structure can use byte strings whose last byte has that bit set
/// for its own encodings (the radix trees store short strings inline that way).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct DataRef([u8; 6]);

impl DataRef {
    /// The reference to `offset` in chunk `chunk`. Panics if either does not fit,
    /// which the arena rules out before calling.
    pub(crate) fn new(chunk: usize, offset: usize) -> DataRef {
        assert!(
            chunk < MAX_CHUNKS && offset < MAX_OFFSET,
            "DataRef out of range"
        );
        let packed = ((chunk as u64) << OFFSET_BITS) | offset as u64;
        let b = packed.to_le_bytes();
        DataRef([b[0], b[1], b[2], b[3], b[4], b[5]])
    }

    /// The chunk index.
    #[inline]
    pub(crate) fn chunk(self) -> usize {
        (self.packed() >> OFFSET_BITS) as usize
    }

    /// The offset within the chunk.
    #[inline]
    pub(crate) fn offset(self) -> usize {
        (self.packed() & (MAX_OFFSET as u64 - 1)) as usize
    }

    #[inline]
    fn packed(self) -> u64 {
        let b = self.0;
        u64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], 0, 0])
    }

    /// The six bytes of the reference (the top bit of byte 5 is always 0).
    #[inline]
    pub fn to_bytes(self) -> [u8; 6] {
        self.0
    }

    /// The reference whose [`to_bytes`](DataRef::to_bytes) is `bytes`, or `None` if
    /// `bytes` has the top bit of byte 5 set (no reference has it).
    ///
    /// A reference rebuilt this way is only meaningful for the arena that made it.
    #[inline]
    pub fn from_bytes(bytes: [u8; 6]) -> Option<DataRef> {
        (bytes[5] & 0x80 == 0).then_some(DataRef(bytes))
    }
}

impl fmt::Debug for DataRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DataRef({}:{})", self.chunk(), self.offset())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn is_six_bytes_align_one() {
        assert_eq!(std::mem::size_of::<DataRef>(), 6);
        assert_eq!(std::mem::align_of::<DataRef>(), 1);
        assert_eq!(std::mem::size_of::<Option<DataRef>>(), 7);
    }

    #[test]
    fn round_trips_extremes() {
        for (c, o) in [
            (0, 0),
            (MAX_CHUNKS - 1, MAX_OFFSET - 1),
            (12345, 678),
            (1 << 22, 1 << 23),
        ] {
            let r = DataRef::new(c, o);
            assert_eq!((r.chunk(), r.offset()), (c, o));
            assert_eq!(r.to_bytes()[5] & 0x80, 0);
            assert_eq!(DataRef::from_bytes(r.to_bytes()), Some(r));
        }
        assert_eq!(DataRef::from_bytes([0, 0, 0, 0, 0, 0x80]), None);
    }

    #[test]
    #[should_panic(expected = "out of range")]
    fn rejects_chunk_overflow() {
        DataRef::new(MAX_CHUNKS, 0);
    }
}
