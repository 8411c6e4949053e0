//! `BlobArena`: variable-size blocks in size classes, named by 4-byte refs and
//! reused through one free list per class.
//!
//! ```text
//! chunks[c]: | block | block ... | (free tail) |      blocks are multiples of 8 bytes
//! BlobRef (u32, below 2^31) = chunk (16 bits) | offset in chunk / 8 (15 bits)
//! free[class]: refs of vacant blocks of that class, reused last-freed first
//! ```
//!
//! It is the store for blocks that are rewritten as a whole when they change (the
//! radix tree's leaf buckets): a rewrite frees the old block onto its class's free
//! list, and the next block of that class takes it, so rewrites leave no dead
//! bytes behind and need no compaction. A ref is a plain `u32` (one bit below the
//! top), so a tree can keep it in a child slot and reach a block in one step.
//!
//! Block sizes are rounded up to a class: every multiple of 8 bytes up to 128,
//! then eight classes per doubling (at most 12.5% rounding). Chunks double from
//! 256 bytes to [`BLOB_CHUNK`]; blocks larger than a quarter chunk get a chunk of
//! their own, released when the block is freed.
//!
//! The arena does not record block lengths: the owner's blocks describe their own
//! length, and the owner passes it to [`BlobArena::free`].

use std::fmt;

/// Bytes of address space per chunk: 256 KiB.
pub const BLOB_CHUNK: usize = 1 << 18;
/// Block sizes and offsets are multiples of this.
const GRANULE: usize = 8;
const GRANULE_SHIFT: u32 = 3;
/// Bits of a ref holding the offset (in granules) within the chunk.
const OFFSET_BITS: u32 = 15;
/// One past the largest chunk index (refs stay below 2^31).
const MAX_CHUNKS: usize = 1 << 16;
/// The first chunk's size; later chunks double up to [`BLOB_CHUNK`].
const FIRST_CHUNK: usize = 256;
/// Blocks longer than this get a chunk of their own.
const DEDICATED: usize = BLOB_CHUNK / 4;
/// Classes up to this many granules are exact.
const EXACT: usize = 16;

const _: () = assert!(BLOB_CHUNK == GRANULE << OFFSET_BITS);

/// A reference to a block of a [`BlobArena`]: a `u32` below 2^31.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct BlobRef(u32);

impl BlobRef {
    fn new(chunk: usize, offset: usize) -> BlobRef {
        debug_assert!(chunk < MAX_CHUNKS && offset < BLOB_CHUNK && offset % GRANULE == 0);
        BlobRef(((chunk as u32) << OFFSET_BITS) | (offset >> GRANULE_SHIFT) as u32)
    }

    /// The ref as a `u32` (always below 2^31).
    #[inline]
    pub fn to_u32(self) -> u32 {
        self.0
    }

    /// The ref whose [`to_u32`](BlobRef::to_u32) is `raw`. Meaningful only for the
    /// arena that made it; panics if `raw` is 2^31 or more.
    #[inline]
    pub fn from_u32(raw: u32) -> BlobRef {
        assert!(raw < 1 << 31, "BlobRef out of range");
        BlobRef(raw)
    }

    #[inline]
    fn chunk(self) -> usize {
        (self.0 >> OFFSET_BITS) as usize
    }

    #[inline]
    fn offset(self) -> usize {
        ((self.0 & ((1 << OFFSET_BITS) - 1)) as usize) << GRANULE_SHIFT
    }
}

impl fmt::Debug for BlobRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BlobRef({}:{})", self.chunk(), self.offset())
    }
}

/// The size class of a block of `len` bytes: `(class index, block bytes)`.
fn class_of(len: usize) -> (usize, usize) {
    let g = len.div_ceil(GRANULE).max(1);
    if g <= EXACT {
        return (g, g * GRANULE);
    }
    let b = usize::BITS - 1 - g.leading_zeros();
    let step = 1usize << (b - 3);
    let rounded = (g + step - 1) & !(step - 1);
    let b = usize::BITS - 1 - rounded.leading_zeros();
    let index = EXACT + (b as usize - 4) * 8 + (rounded >> (b - 3)) - 8;
    (index, rounded * GRANULE)
}

/// Blocks of any size in size classes, with a free list per class.
///
/// ```
/// use memkv_arena::BlobArena;
/// let mut a = BlobArena::new();
/// let x = a.alloc(b"hello");
/// assert_eq!(&a.get(x)[..5], b"hello");
/// a.free(x, 5);
/// let y = a.alloc(b"world!");
/// assert_eq!(y, x, "a block of the same class is reused");
/// assert_eq!(a.blocks(), 1);
/// ```
#[derive(Default)]
pub struct BlobArena {
    chunks: Vec<Vec<u8>>,
    /// The chunk new blocks are carved from.
    current: Option<usize>,
    /// Vacant blocks of each class.
    free: Vec<Vec<u32>>,
    /// Chunk indices released by freed dedicated blocks.
    free_chunks: Vec<u32>,
    /// Live blocks.
    blocks: usize,
    /// Bytes of live blocks (rounded to their class).
    block_bytes: usize,
    /// Bytes of vacant blocks on the free lists.
    free_bytes: usize,
    /// The chunks' capacities added up, and the free lists' (in entries), kept
    /// as they change so that `memory_usage` answers in O(1).
    chunk_capacity: usize,
    free_capacity: usize,
}

impl Clone for BlobArena {
    fn clone(&self) -> Self {
        // `Vec::clone` allocates for the length, not the capacity, so the
        // running capacities are counted again on the copy.
        let mut copy = BlobArena {
            chunks: self.chunks.clone(),
            current: self.current,
            free: self.free.clone(),
            free_chunks: self.free_chunks.clone(),
            blocks: self.blocks,
            block_bytes: self.block_bytes,
            free_bytes: self.free_bytes,
            chunk_capacity: 0,
            free_capacity: 0,
        };
        (copy.chunk_capacity, copy.free_capacity) = copy.recount();
        copy
    }
}

impl BlobArena {
    /// An empty arena; it allocates nothing until the first block.
    pub fn new() -> BlobArena {
        BlobArena::default()
    }

    /// Stores `data` in a new block (a vacant one of its class if there is one)
    /// and returns its reference.
    ///
    /// # Panics
    ///
    /// If the arena would need more than 2^16 chunks (16 GiB of blocks).
    pub fn alloc(&mut self, data: &[u8]) -> BlobRef {
        let len = data.len();
        self.blocks += 1;
        if len > DEDICATED {
            let mut buf = Vec::with_capacity(len);
            buf.extend_from_slice(data);
            self.block_bytes += len;
            let c = match self.free_chunks.pop() {
                Some(c) => {
                    self.chunk_capacity += buf.capacity();
                    self.chunks[c as usize] = buf;
                    c as usize
                }
                None => self.push_chunk(buf),
            };
            return BlobRef::new(c, 0);
        }
        let (class, bytes) = class_of(len);
        self.block_bytes += bytes;
        if let Some(raw) = self.free.get_mut(class).and_then(Vec::pop) {
            self.free_bytes -= bytes;
            let r = BlobRef(raw);
            let start = r.offset();
            self.chunks[r.chunk()][start..start + len].copy_from_slice(data);
            return r;
        }
        let c = self.chunk_for(bytes);
        let buf = &mut self.chunks[c];
        let start = buf.len();
        buf.extend_from_slice(data);
        buf.resize(start + bytes, 0);
        BlobRef::new(c, start)
    }

    /// A chunk with room for `bytes` more, creating it if needed.
    fn chunk_for(&mut self, bytes: usize) -> usize {
        if let Some(c) = self.current {
            let buf = &self.chunks[c];
            if buf.capacity() - buf.len() >= bytes {
                return c;
            }
        }
        let size = match self.current {
            Some(c) => (self.chunks[c].capacity() * 2).min(BLOB_CHUNK),
            None => FIRST_CHUNK,
        }
        .max(bytes);
        let c = self.push_chunk(Vec::with_capacity(size));
        self.current = Some(c);
        c
    }

    fn push_chunk(&mut self, buf: Vec<u8>) -> usize {
        let c = self.chunks.len();
        assert!(c < MAX_CHUNKS, "BlobArena: more than {MAX_CHUNKS} chunks");
        self.chunk_capacity += buf.capacity();
        self.chunks.push(buf);
        c
    }

    /// The bytes from the start of block `r` to the end of its chunk's used part
    /// (the block's owner knows where the block ends).
    #[inline]
    pub fn get(&self, r: BlobRef) -> &[u8] {
        &self.chunks[r.chunk()][r.offset()..]
    }

    /// Hints the CPU to load the start of block `r` soon (see [`crate::prefetch`]).
    #[inline]
    pub fn prefetch(&self, r: BlobRef) {
        if let Some(chunk) = self.chunks.get(r.chunk()) {
            crate::prefetch(chunk.as_ptr().wrapping_add(r.offset()));
        }
    }

    /// Frees block `r`, which was allocated with `len` bytes of data: it goes on
    /// its class's free list (a dedicated chunk is released at once).
    pub fn free(&mut self, r: BlobRef, len: usize) {
        self.blocks -= 1;
        if len > DEDICATED {
            debug_assert_eq!((r.offset(), self.chunks[r.chunk()].len()), (0, len));
            self.block_bytes -= len;
            self.chunk_capacity -= std::mem::take(&mut self.chunks[r.chunk()]).capacity();
            self.free_chunks.push(r.chunk() as u32);
            return;
        }
        let (class, bytes) = class_of(len);
        self.block_bytes -= bytes;
        self.free_bytes += bytes;
        if self.free.len() <= class {
            self.free.resize_with(class + 1, Vec::new);
        }
        let list = &mut self.free[class];
        let before = list.capacity();
        list.push(r.0);
        self.free_capacity += list.capacity() - before;
    }

    /// Replaces block `r`, allocated with `old_len` bytes of data, by `data`:
    /// in place when both lengths fall in the same size class (no allocation, and
    /// the block's cache lines are likely still warm), else in a new block, the
    /// old one going on its free list. Returns the block's reference.
    pub fn replace(&mut self, r: BlobRef, old_len: usize, data: &[u8]) -> BlobRef {
        if old_len <= DEDICATED
            && data.len() <= DEDICATED
            && class_of(old_len) == class_of(data.len())
        {
            let start = r.offset();
            self.chunks[r.chunk()][start..start + data.len()].copy_from_slice(data);
            return r;
        }
        self.free(r, old_len);
        self.alloc(data)
    }

    /// Live blocks.
    pub fn blocks(&self) -> usize {
        self.blocks
    }

    /// Bytes of live blocks, each rounded up to its size class.
    pub fn block_bytes(&self) -> usize {
        self.block_bytes
    }

    /// Bytes of vacant blocks awaiting reuse.
    pub fn free_bytes(&self) -> usize {
        self.free_bytes
    }

    /// Heap bytes held: every chunk's capacity, the chunk table and the free
    /// lists. Exact.
    pub fn memory_usage(&self) -> usize {
        debug_assert_eq!((self.chunk_capacity, self.free_capacity), self.recount());
        self.chunk_capacity
            + self.chunks.capacity() * std::mem::size_of::<Vec<u8>>()
            + self.free_capacity * 4
            + self.free.capacity() * std::mem::size_of::<Vec<u32>>()
            + self.free_chunks.capacity() * 4
    }

    /// Returns the unused tail of the current chunk and the spare capacity of the
    /// side tables to the allocator.
    pub fn shrink_to_fit(&mut self) {
        if let Some(c) = self.current.take() {
            self.chunks[c].shrink_to_fit();
        }
        self.chunks.shrink_to_fit();
        for f in &mut self.free {
            f.shrink_to_fit();
        }
        while self.free.last().is_some_and(Vec::is_empty) {
            self.free.pop();
        }
        self.free.shrink_to_fit();
        self.free_chunks.shrink_to_fit();
        (self.chunk_capacity, self.free_capacity) = self.recount();
    }

    /// The chunks' capacities and the free lists' (in entries), added up.
    fn recount(&self) -> (usize, usize) {
        (
            self.chunks.iter().map(Vec::capacity).sum(),
            self.free.iter().map(Vec::capacity).sum(),
        )
    }
}

impl fmt::Debug for BlobArena {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BlobArena")
            .field("blocks", &self.blocks)
            .field("block_bytes", &self.block_bytes)
            .field("free_bytes", &self.free_bytes)
            .field("chunks", &self.chunks.len())
            .field("memory_usage", &self.memory_usage())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    #[cfg_attr(miri, ignore = "arithmetic only: no unsafe code to check")]
    fn classes_are_monotone_and_tight() {
        let mut last = (0, 0);
        for len in 0..20_000 {
            let (class, bytes) = class_of(len);
            assert!(bytes >= len.max(1) && bytes % GRANULE == 0);
            assert!(
                bytes <= len.max(GRANULE) + len / 8 + GRANULE,
                "{len}: {bytes}"
            );
            assert!(class >= last.0 && bytes >= last.1);
            assert_eq!(class == last.0, bytes == last.1, "{len}");
            last = (class, bytes);
        }
    }

    #[test]
    fn big_blocks_get_their_own_chunk() {
        let mut a = BlobArena::new();
        let big = vec![7u8; DEDICATED + 1];
        let x = a.alloc(&big);
        let y = a.alloc(b"small");
        assert_eq!(&a.get(x)[..big.len()], &big[..]);
        a.free(x, big.len());
        let z = a.alloc(&big);
        assert_eq!(z, x, "the released chunk index is reused");
        assert_eq!(&a.get(y)[..5], b"small");
        a.free(z, big.len());
        a.free(y, 5);
        assert_eq!((a.blocks(), a.block_bytes()), (0, 0));
    }

    proptest! {
        #![proptest_config(ProptestConfig {
        cases: if cfg!(miri) { 4 } else { 256 },
        failure_persistence: None,
        ..ProptestConfig::default()
    })]
        #[test]
        fn matches_a_vec_of_vecs(ops in proptest::collection::vec(
            (any::<bool>(), any::<usize>(), crate::test_bytes::bytes(0..300)),
            1..if cfg!(miri) { 30 } else { 300 },
        )) {
            let mut a = BlobArena::new();
            let mut model: Vec<(BlobRef, Vec<u8>)> = Vec::new();
            for (alloc, i, data) in ops {
                if alloc || model.is_empty() {
                    let r = a.alloc(&data);
                    prop_assert!(model.iter().all(|(m, _)| *m != r));
                    model.push((r, data));
                } else {
                    let (r, d) = model.swap_remove(i % model.len());
                    a.free(r, d.len());
                }
                for (r, d) in &model {
                    prop_assert_eq!(&a.get(*r)[..d.len()], &d[..]);
                }
                prop_assert_eq!(a.blocks(), model.len());
                let bytes: usize = model.iter().map(|(_, d)| class_of(d.len()).1).sum();
                prop_assert_eq!(a.block_bytes(), bytes);
            }
        }
    }
}
