//! `BlobArena`: variable-size blocks in size classes, named by 4-byte refs and
//! reused through one free list per class.
//!
//! ```text
//! chunks[c]: | block | block ... | (free tail) |      blocks are multiples of 8 bytes
//! BlobRef (u32, below 2^31 - 1) = chunk (16 bits) | position in chunk (15 bits)
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
//! then eight classes per doubling (at most 12.5% rounding). The first chunk
//! grows in place, doubling from 256 bytes to [`BLOB_CHUNK`], and later ones are
//! that size from the start; a chunk shrunk by `shrink_to_fit` regrows in place
//! too, so chunk indices go to full chunks only. Blocks larger than a quarter
//! chunk get a chunk of their own, released when the block is freed.
//!
//! **Capacity: shared chunks, then one class per chunk.** A ref has 31 bits. In
//! the first 2^15 chunks (8 GiB of blocks, about 300 M Debian paths in
//! `ArenaArt`'s buckets) blocks of every class share a chunk and the position
//! counts 8-byte granules: the least slack for small maps. Counting 8-byte
//! granules everywhere would stop at 16 GiB, short of the billions of keys this
//! library is for; counting 64-byte ones past 8 GiB would round every block up
//! (measured: +4.5 bytes per Debian path). So the chunks after the first 2^15 are
//! *class chunks*: each holds blocks of one size class, and the position counts
//! blocks, so nothing is rounded. A class's chunk grows from 64 KiB to 4 MiB,
//! so what the classes' last chunks have not filled yet stays near 1% of the
//! 8 GiB already stored (at most 4 MiB for each of the 60 or so classes in use;
//! 80 MB measured for 7.3 M Debian paths stored in class chunks alone). That is
//! 128 GiB more for blocks of 128 bytes and up (a chunk holds at most 2^15
//! blocks), about 136 GiB in all: more than `ArenaArt`'s `u32` value slots
//! (4.29 billion keys) need for file paths. Which kind a chunk is follows from
//! its index, so a lookup tells them apart with one comparison.
//!
//! The arena does not record block lengths: the owner's blocks describe their own
//! length, and the owner passes it to [`BlobArena::free`].

use std::fmt;

/// Bytes of address space per shared chunk: 256 KiB.
pub const BLOB_CHUNK: usize = 1 << 18;
/// Block sizes, and positions in shared chunks, are multiples of this.
const GRANULE: usize = 8;
const GRANULE_SHIFT: u32 = 3;
/// Bits of a ref holding the position within the chunk.
const POSITION_BITS: u32 = 15;
/// Index of the first class chunk (after 8 GiB of shared ones).
const CLASS_CHUNKS_FROM: usize = 1 << 15;
/// One past the largest chunk index: refs stay below 2^31 - 1, so that an owner
/// tagging them with its top bit never produces `u32::MAX`.
const MAX_CHUNKS: usize = (1 << 16) - 1;
/// The first shared chunk's size; it doubles in place up to [`BLOB_CHUNK`].
const FIRST_CHUNK: usize = 256;
/// A class's first class chunk holds about this many bytes; it doubles in place
/// up to [`MAX_CLASS_CHUNK`].
const FIRST_CLASS_CHUNK: usize = 1 << 16;
/// A class chunk holds at most this many bytes (and at most 2^15 blocks).
const MAX_CLASS_CHUNK: usize = 1 << 22;
/// Blocks longer than this get a chunk of their own.
const DEDICATED: usize = BLOB_CHUNK / 4;
/// Classes up to this many granules are exact.
const EXACT: usize = 16;
/// No chunk (in [`BlobArena::class_current`]).
const NO_CHUNK: u32 = u32::MAX;

const _: () = assert!(BLOB_CHUNK == GRANULE << POSITION_BITS);
const _: () = assert!(GRANULE == 1 << GRANULE_SHIFT);

/// A reference to a block of a [`BlobArena`]: a `u32` below 2^31 - 1.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct BlobRef(u32);

impl BlobRef {
    /// The ref of block number `position` of chunk `chunk`: counted in 8-byte
    /// granules in a shared chunk, in blocks in a class chunk.
    fn new(chunk: usize, position: usize) -> BlobRef {
        debug_assert!(chunk < MAX_CHUNKS && position < 1 << POSITION_BITS);
        BlobRef(((chunk as u32) << POSITION_BITS) | position as u32)
    }

    /// The ref as a `u32` (always below 2^31 - 1).
    #[inline]
    pub fn to_u32(self) -> u32 {
        self.0
    }

    /// The ref whose [`to_u32`](BlobRef::to_u32) is `raw`. Meaningful only for the
    /// arena that made it; panics if `raw` is 2^31 - 1 or more.
    #[inline]
    pub fn from_u32(raw: u32) -> BlobRef {
        assert!(raw < (1 << 31) - 1, "BlobRef out of range");
        BlobRef(raw)
    }

    #[inline]
    fn chunk(self) -> usize {
        (self.0 >> POSITION_BITS) as usize
    }

    #[inline]
    fn position(self) -> usize {
        (self.0 & ((1 << POSITION_BITS) - 1)) as usize
    }
}

impl fmt::Debug for BlobRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BlobRef({}:{})", self.chunk(), self.position())
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
pub struct BlobArena {
    chunks: Vec<Vec<u8>>,
    /// The index of the first class chunk: [`CLASS_CHUNKS_FROM`], lower only in
    /// tests (which cannot afford 8 GiB to reach them).
    class_chunks_from: usize,
    /// The block size of each class chunk, from `class_chunks_from` on (0 for a
    /// dedicated block's chunk, whose one block is at position 0).
    class_chunk_block: Vec<u32>,
    /// The chunk new blocks of each class are carved from, once the shared
    /// chunks are used up (`NO_CHUNK` before a class has one).
    class_current: Vec<u32>,
    /// The shared chunk new blocks are carved from.
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
            class_chunks_from: self.class_chunks_from,
            class_chunk_block: self.class_chunk_block.clone(),
            class_current: self.class_current.clone(),
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

impl Default for BlobArena {
    fn default() -> BlobArena {
        BlobArena::with_class_chunks_from(CLASS_CHUNKS_FROM)
    }
}

impl BlobArena {
    /// An empty arena; it allocates nothing until the first block.
    pub fn new() -> BlobArena {
        BlobArena::default()
    }

    /// An empty arena whose chunks hold one class each (see the module
    /// documentation) from chunk index `index` on, instead of from 2^15. For
    /// tests of the arena and its owners: a small arena reaches class chunks.
    #[doc(hidden)]
    pub fn with_class_chunks_from(index: usize) -> BlobArena {
        BlobArena {
            chunks: Vec::new(),
            class_chunks_from: index.min(CLASS_CHUNKS_FROM),
            class_chunk_block: Vec::new(),
            class_current: Vec::new(),
            current: None,
            free: Vec::new(),
            free_chunks: Vec::new(),
            blocks: 0,
            block_bytes: 0,
            free_bytes: 0,
            chunk_capacity: 0,
            free_capacity: 0,
        }
    }

    /// The index of the first class chunk (see
    /// [`BlobArena::with_class_chunks_from`]).
    #[doc(hidden)]
    pub fn class_chunks_from(&self) -> usize {
        self.class_chunks_from
    }

    /// The chunk and byte offset of block `r`.
    #[inline]
    fn locate(&self, r: BlobRef) -> (usize, usize) {
        let c = r.chunk();
        let offset = match c.checked_sub(self.class_chunks_from) {
            None => r.position() << GRANULE_SHIFT,
            Some(i) => r.position() * self.class_chunk_block[i] as usize,
        };
        (c, offset)
    }

    /// Stores `data` in a new block (a vacant one of its class if there is one)
    /// and returns its reference.
    ///
    /// # Panics
    ///
    /// If the arena would need more than 2^16 - 1 chunks (about 136 GiB of blocks
    /// of 128 bytes or more; see the module documentation).
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
                None => self.push_chunk(buf, 0),
            };
            return BlobRef::new(c, 0);
        }
        let (class, bytes) = class_of(len);
        self.block_bytes += bytes;
        if let Some(raw) = self.free.get_mut(class).and_then(Vec::pop) {
            self.free_bytes -= bytes;
            let r = BlobRef(raw);
            let (c, start) = self.locate(r);
            self.chunks[c][start..start + len].copy_from_slice(data);
            return r;
        }
        let (c, position) = self.room_for(class, bytes);
        let buf = &mut self.chunks[c];
        let start = buf.len();
        buf.extend_from_slice(data);
        buf.resize(start + bytes, 0);
        BlobRef::new(c, position)
    }

    /// A chunk with room for a new block of `class` (`bytes` long), and the new
    /// block's position in it. The current chunk grows in place (doubling, up to
    /// the largest chunk of its kind) before a new chunk is opened, so chunk
    /// indices are spent on full chunks only: shrinking the arena and writing
    /// again does not use one up. Growing a chunk moves its bytes, not its
    /// blocks' refs.
    fn room_for(&mut self, class: usize, bytes: usize) -> (usize, usize) {
        if let Some(c) = self.current {
            if self.make_room(c, bytes, BLOB_CHUNK) {
                return (c, self.chunks[c].len() >> GRANULE_SHIFT);
            }
        }
        if self.chunks.len() < self.class_chunks_from {
            let size = match self.current {
                Some(_) => BLOB_CHUNK,
                None => FIRST_CHUNK.max(bytes),
            };
            let c = self.push_chunk(Vec::with_capacity(size), 0);
            self.current = Some(c);
            return (c, 0);
        }
        // The shared chunks are used up: blocks of this class go to chunks of
        // its own, positions counted in blocks.
        self.current = None;
        if self.class_current.len() <= class {
            self.class_current.resize(class + 1, NO_CHUNK);
        }
        let largest = (MAX_CLASS_CHUNK / bytes).min(1 << POSITION_BITS) * bytes;
        let last = self.class_current[class];
        if last != NO_CHUNK && self.make_room(last as usize, bytes, largest) {
            let c = last as usize;
            return (c, self.chunks[c].len() / bytes);
        }
        let size = match last {
            NO_CHUNK => (FIRST_CLASS_CHUNK / bytes).max(1) * bytes,
            _ => largest,
        }
        .min(largest);
        let c = self.push_chunk(Vec::with_capacity(size), bytes);
        self.class_current[class] = c as u32;
        (c, 0)
    }

    /// Whether chunk `c` has room for `bytes` more, after growing it in place
    /// (see [`crate::chunk::make_room`]) if it had not.
    fn make_room(&mut self, c: usize, bytes: usize, largest: usize) -> bool {
        let added = crate::chunk::make_room(&mut self.chunks[c], bytes, largest);
        self.chunk_capacity += added.unwrap_or(0);
        added.is_some()
    }

    /// Appends chunk `buf`, a class chunk of `block`-byte blocks if it falls
    /// past the shared chunks (`block` 0: a dedicated block's chunk).
    fn push_chunk(&mut self, buf: Vec<u8>, block: usize) -> usize {
        let c = self.chunks.len();
        assert!(
            c < MAX_CHUNKS,
            "BlobArena: full ({MAX_CHUNKS} chunks in use); for more keys than this, \
             split them over several maps, or use a frozen or hybrid store"
        );
        if c >= self.class_chunks_from {
            self.class_chunk_block.push(block as u32);
        }
        self.chunk_capacity += buf.capacity();
        self.chunks.push(buf);
        c
    }

    /// The bytes from the start of block `r` to the end of its chunk's used part
    /// (the block's owner knows where the block ends).
    #[inline]
    pub fn get(&self, r: BlobRef) -> &[u8] {
        let (c, start) = self.locate(r);
        &self.chunks[c][start..]
    }

    /// Hints the CPU to load the start of block `r` soon (see [`crate::prefetch`]).
    #[inline]
    pub fn prefetch(&self, r: BlobRef) {
        let (c, start) = self.locate(r);
        if let Some(chunk) = self.chunks.get(c) {
            crate::prefetch(chunk.as_ptr().wrapping_add(start));
        }
    }

    /// Frees block `r`, which was allocated with `len` bytes of data: it goes on
    /// its class's free list (a dedicated chunk is released at once).
    pub fn free(&mut self, r: BlobRef, len: usize) {
        self.blocks -= 1;
        if len > DEDICATED {
            let (c, start) = self.locate(r);
            debug_assert_eq!((start, self.chunks[c].len()), (0, len));
            self.block_bytes -= len;
            self.chunk_capacity -= std::mem::take(&mut self.chunks[c]).capacity();
            self.free_chunks.push(c as u32);
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
            let (c, start) = self.locate(r);
            self.chunks[c][start..start + data.len()].copy_from_slice(data);
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
            + (self.class_chunk_block.capacity() + self.class_current.capacity()) * 4
    }

    /// Returns the unused tail of the current chunks and the spare capacity of
    /// the side tables to the allocator.
    pub fn shrink_to_fit(&mut self) {
        if let Some(c) = self.current {
            self.chunks[c].shrink_to_fit();
        }
        for &c in &self.class_current {
            if c != NO_CHUNK {
                self.chunks[c as usize].shrink_to_fit();
            }
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
        self.class_chunk_block.shrink_to_fit();
        self.class_current.shrink_to_fit();
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

    #[test]
    fn refs_stay_clear_of_the_owners_tag() {
        // The largest ref an arena can make stays below 2^31 - 1, which an owner
        // tagging refs with the top bit would turn into `u32::MAX`.
        let last = BlobRef::new(MAX_CHUNKS - 1, (1 << POSITION_BITS) - 1);
        assert_eq!(last.to_u32(), (1 << 31) - 1 - (1 << POSITION_BITS));
        assert_eq!(BlobRef::from_u32(last.to_u32()), last);
        assert_eq!(
            CLASS_CHUNKS_FROM * BLOB_CHUNK,
            8 << 30,
            "8 GiB of shared chunks"
        );
    }

    #[test]
    fn class_chunks_hold_one_class_each_without_rounding() {
        // Each chunk holds one class, and blocks of a class lie back to back.
        let mut a = BlobArena::with_class_chunks_from(0);
        let mut refs = Vec::new();
        let n = if cfg!(miri) { 600 } else { 5000 };
        for i in 0..n {
            let data = vec![(i % 251) as u8; 1 + i * 37 % 400];
            refs.push((a.alloc(&data), data));
        }
        for (r, data) in &refs {
            let (c, start) = a.locate(*r);
            assert_eq!(&a.get(*r)[..data.len()], &data[..]);
            let bytes = class_of(data.len()).1;
            assert_eq!(a.class_chunk_block[c] as usize, bytes);
            assert_eq!(start, r.position() * bytes);
        }
        let classes: usize = a.class_current.iter().filter(|&&c| c != NO_CHUNK).count();
        assert!(classes > 20, "{classes} classes with chunks of their own");
        let bytes: usize = refs.iter().map(|(_, d)| class_of(d.len()).1).sum();
        assert_eq!(a.block_bytes(), bytes);
        // Shrinking returns the class chunks' free tails; allocating goes on.
        a.shrink_to_fit();
        assert!(a.chunks.iter().all(|c| c.capacity() == c.len()));
        let extra = a.alloc(b"after shrinking");
        assert_eq!(&a.get(extra)[..15], b"after shrinking");
        for (r, d) in refs {
            a.free(r, d.len());
        }
        a.free(extra, 15);
        assert_eq!((a.blocks(), a.block_bytes()), (0, 0));
    }

    #[test]
    fn shrinking_often_does_not_use_up_chunks() {
        // Every shrink used to retire the current chunk, so the next block opened
        // a new one: a small arena shrunk after each of 2^16 allocations ran out
        // of chunk indices and panicked.
        let mut a = BlobArena::new();
        let n: usize = if cfg!(miri) { 200 } else { 100_000 };
        let mut refs = Vec::new();
        for i in 0..n {
            refs.push(a.alloc(&[i as u8; 24]));
            a.shrink_to_fit();
        }
        // Full 256 KiB chunks, and the one being filled.
        assert_eq!(a.chunks.len(), (n * 24).div_ceil(BLOB_CHUNK), "chunks");
        for (i, r) in refs.into_iter().enumerate() {
            assert_eq!(a.get(r)[..24], [i as u8; 24]);
        }
    }

    #[test]
    fn blocks_freed_in_the_shared_chunk_are_reused_after_it() {
        // One shared chunk (256 KiB), then class chunks: a block freed in the
        // shared chunk is taken again by its class, and dedicated blocks get
        // chunk indices among the class chunks.
        let mut a = BlobArena::with_class_chunks_from(1);
        let mut refs: Vec<(BlobRef, Vec<u8>)> = Vec::new();
        for i in 0..800 {
            let data = vec![(i % 251) as u8; 400 + i % 150];
            refs.push((a.alloc(&data), data));
        }
        assert!(refs.first().unwrap().0.chunk() == 0 && refs.last().unwrap().0.chunk() >= 1);
        let big = vec![9u8; DEDICATED + 1];
        let dedicated = a.alloc(&big);
        assert!(dedicated.chunk() >= 1);
        let (early, data) = refs.swap_remove(0);
        a.free(early, data.len());
        let again = a.alloc(&data);
        assert_eq!(again, early, "the shared chunk's block is reused");
        refs.push((again, data));
        for (r, d) in &refs {
            assert_eq!(&a.get(*r)[..d.len()], &d[..]);
        }
        assert_eq!(&a.get(dedicated)[..big.len()], &big[..]);
    }

    proptest! {
        #![proptest_config(ProptestConfig {
        cases: if cfg!(miri) { 4 } else { 256 },
        failure_persistence: None,
        ..ProptestConfig::default()
    })]
        /// With class chunks from the start, or none at all (the inputs stay
        /// within one shared chunk).
        #[test]
        fn matches_a_vec_of_vecs(
            class_from in prop::sample::select(vec![0, CLASS_CHUNKS_FROM]),
            ops in proptest::collection::vec(
            (any::<bool>(), any::<usize>(), crate::test_bytes::bytes(0..300)),
            1..if cfg!(miri) { 30 } else { 300 },
        )) {
            let mut a = BlobArena::with_class_chunks_from(class_from);
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
                // Debug builds recount the running capacities here.
                prop_assert!(a.memory_usage() >= a.block_bytes());
            }
        }
    }
}
