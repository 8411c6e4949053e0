//! `ByteArena`: variable-length byte strings in large chunks, named by 6-byte refs.
//!
//! ```text
//! chunks[c]: | len | bytes .......... | len | bytes ... | (free tail) |
//!            ^ DataRef(c, 0)          ^ DataRef(c, off)
//! ```
//!
//! Each item is a LEB128 length followed by its bytes, with no alignment padding.
//! Small items are appended to the current chunk; the first chunk grows in place,
//! doubling from 256 bytes up to [`CHUNK_SIZE`], and later ones are that size
//! from the start, so small arenas stay small, large ones waste at most one
//! chunk's free tail, and chunk indices go to full chunks only. Items longer than
//! a quarter chunk get a chunk of exactly their size, which is released as soon
//! as the item is freed.
//!
//! Freeing only counts the item's bytes as dead (except for the newest item of the
//! current chunk and dedicated chunks, which are reclaimed at once); the owner
//! reclaims dead bytes with [`ByteArena::compact`], which copies every live item
//! into fresh chunks. The arena does not know which refs are live: its owner does.

use std::fmt;

use crate::data_ref::{DataRef, MAX_CHUNKS, MAX_OFFSET};

/// The largest shared chunk: 256 KiB, so an arena wastes at most 256 KiB
/// in its last chunk's free tail and never copies more than that when growing.
pub const CHUNK_SIZE: usize = 1 << 18;

/// The first chunk's size; it doubles in place up to [`CHUNK_SIZE`].
const FIRST_CHUNK: usize = 256;

/// Items taking more than this many bytes (header included) get their own chunk.
const DEDICATED: usize = CHUNK_SIZE / 4;

const _: () = assert!(CHUNK_SIZE <= MAX_OFFSET);

/// An append-mostly store of byte strings, each named by a [`DataRef`].
///
/// ```
/// use memkv_arena::ByteArena;
/// let mut arena = ByteArena::new();
/// let a = arena.alloc(b"hello");
/// let b = arena.alloc(&vec![7u8; 100_000]);
/// assert_eq!(arena.get(a), b"hello");
/// assert_eq!(arena.get(b).len(), 100_000);
/// arena.free(a);
/// assert_eq!(arena.live_bytes(), 100_000 + 3);
/// ```
#[derive(Default)]
pub struct ByteArena {
    chunks: Vec<Vec<u8>>,
    /// The chunk small items are appended to.
    current: Option<usize>,
    /// Bytes (headers included) of the items not yet freed.
    live: usize,
    /// Bytes of freed items still occupying chunks.
    dead: usize,
    /// Number of items not yet freed.
    items: usize,
    /// The chunks' capacities added up, kept as they change so that
    /// `memory_usage` answers in O(1).
    capacity: usize,
}

impl Clone for ByteArena {
    fn clone(&self) -> Self {
        // `Vec::clone` allocates for the length, not the capacity.
        let chunks = self.chunks.clone();
        ByteArena {
            capacity: chunks.iter().map(Vec::capacity).sum(),
            chunks,
            current: self.current,
            live: self.live,
            dead: self.dead,
            items: self.items,
        }
    }
}

/// Bytes of the LEB128 encoding of `n`.
#[inline]
fn header_len(n: usize) -> usize {
    let bits = usize::BITS - (n | 1).leading_zeros();
    bits.div_ceil(7) as usize
}

fn put_header(buf: &mut Vec<u8>, mut n: usize) {
    loop {
        let byte = (n & 0x7F) as u8;
        n >>= 7;
        if n == 0 {
            buf.push(byte);
            return;
        }
        buf.push(byte | 0x80);
    }
}

/// Decodes the LEB128 length at the start of `bytes`: `(length, header bytes)`.
#[inline]
fn read_header(bytes: &[u8]) -> (usize, usize) {
    // One-byte headers (items under 128 bytes) are the common case.
    if let Some(&b) = bytes.first() {
        if b & 0x80 == 0 {
            return (usize::from(b), 1);
        }
    }
    let mut n = 0usize;
    for (i, &b) in bytes.iter().enumerate() {
        n |= usize::from(b & 0x7F) << (7 * i);
        if b & 0x80 == 0 {
            return (n, i + 1);
        }
    }
    panic!("ByteArena: corrupt item header (a DataRef from another arena?)");
}

impl ByteArena {
    /// An empty arena; it allocates nothing until the first item.
    pub fn new() -> ByteArena {
        ByteArena::default()
    }

    /// Stores `data` and returns its reference.
    ///
    /// # Panics
    ///
    /// If the arena already has 2^23 chunks (2 TiB in full shared chunks).
    pub fn alloc(&mut self, data: &[u8]) -> DataRef {
        self.alloc_parts(&[data])
    }

    /// Stores the concatenation of `parts` as one item (no temporary buffer).
    pub fn alloc_parts(&mut self, parts: &[&[u8]]) -> DataRef {
        let len: usize = parts.iter().map(|p| p.len()).sum();
        let total = header_len(len) + len;
        let chunk = self.chunk_for(total);
        let buf = &mut self.chunks[chunk];
        let offset = buf.len();
        put_header(buf, len);
        for p in parts {
            buf.extend_from_slice(p);
        }
        self.live += total;
        self.items += 1;
        DataRef::new(chunk, offset)
    }

    /// The index of a chunk with room for `total` more bytes. The current chunk
    /// grows in place (doubling, up to [`CHUNK_SIZE`]) before a new one is
    /// opened, so chunk indices are spent on full chunks only: shrinking the
    /// arena and writing again does not use one up. Growing a chunk moves its
    /// bytes, not its items' refs.
    fn chunk_for(&mut self, total: usize) -> usize {
        if total > DEDICATED {
            return self.push_chunk(Vec::with_capacity(total));
        }
        if let Some(c) = self.current {
            if let Some(added) = crate::chunk::make_room(&mut self.chunks[c], total, CHUNK_SIZE) {
                self.capacity += added;
                return c;
            }
        }
        let size = match self.current {
            Some(_) => CHUNK_SIZE,
            None => FIRST_CHUNK,
        }
        .max(total);
        let c = self.push_chunk(Vec::with_capacity(size));
        self.current = Some(c);
        c
    }

    fn push_chunk(&mut self, buf: Vec<u8>) -> usize {
        let c = self.chunks.len();
        assert!(c < MAX_CHUNKS, "ByteArena: more than {MAX_CHUNKS} chunks");
        self.capacity += buf.capacity();
        self.chunks.push(buf);
        c
    }

    /// The bytes of item `r`.
    ///
    /// Panics if `r` was not made by this arena (a freed ref may return stale bytes).
    #[inline]
    pub fn get(&self, r: DataRef) -> &[u8] {
        let (start, len) = self.locate(r);
        &self.chunks[r.chunk()][start..start + len]
    }

    /// The bytes of item `r`, whose length the caller knows to be `len`: found
    /// without reading the item's length header, so a reader holding the length
    /// elsewhere does not wait for that load before it can use the address.
    ///
    /// With a wrong `len` the result is some other bytes of the chunk, or a panic.
    #[inline]
    pub fn get_with_len(&self, r: DataRef, len: usize) -> &[u8] {
        let start = r.offset() + header_len(len);
        let bytes = &self.chunks[r.chunk()][start..start + len];
        debug_assert_eq!(bytes, self.get(r), "get_with_len: wrong length");
        bytes
    }

    /// Hints the CPU to load the start of item `r` soon (see [`crate::prefetch`]).
    #[inline]
    pub fn prefetch(&self, r: DataRef) {
        if let Some(chunk) = self.chunks.get(r.chunk()) {
            crate::prefetch(chunk.as_ptr().wrapping_add(r.offset()));
        }
    }

    /// `(start of the bytes, length)` of item `r` within its chunk.
    #[inline]
    fn locate(&self, r: DataRef) -> (usize, usize) {
        let buf = &self.chunks[r.chunk()];
        let (len, header) = read_header(&buf[r.offset()..]);
        (r.offset() + header, len)
    }

    /// Forgets item `r`. Its bytes count as dead until [`compact`](ByteArena::compact),
    /// except when it is the newest item of the current chunk or has a chunk of its
    /// own: those bytes are reclaimed at once.
    pub fn free(&mut self, r: DataRef) {
        let (start, len) = self.locate(r);
        let total = start + len - r.offset();
        self.live -= total;
        self.items -= 1;
        let c = r.chunk();
        if Some(c) == self.current && start + len == self.chunks[c].len() {
            self.chunks[c].truncate(r.offset());
        } else if r.offset() == 0 && total == self.chunks[c].len() && Some(c) != self.current {
            self.capacity -= std::mem::take(&mut self.chunks[c]).capacity();
        } else {
            self.dead += total;
        }
    }

    /// Drops the first `n` bytes of item `r` in place, keeping its reference; the
    /// freed room counts as dead bytes (or is reclaimed at once when `r` is the
    /// newest item of the current chunk). Panics if `n` exceeds the item's length.
    pub fn truncate_front(&mut self, r: DataRef, n: usize) {
        let (start, len) = self.locate(r);
        assert!(n <= len, "truncate_front past the end of the item");
        if n == 0 {
            return;
        }
        let new_len = len - n;
        let buf = &mut self.chunks[r.chunk()];
        let mut header = Vec::with_capacity(10);
        put_header(&mut header, new_len);
        let new_start = r.offset() + header.len();
        buf[r.offset()..new_start].copy_from_slice(&header);
        buf.copy_within(start + n..start + len, new_start);
        let freed = (start + len) - (new_start + new_len);
        self.live -= freed;
        if Some(r.chunk()) == self.current && start + len == buf.len() {
            // The newest item: give the room back to the chunk, as `free` does.
            buf.truncate(new_start + new_len);
        } else {
            self.dead += freed;
        }
    }

    /// Heap bytes held: every chunk's capacity plus the chunk table. Exact.
    pub fn memory_usage(&self) -> usize {
        debug_assert_eq!(
            self.capacity,
            self.chunks.iter().map(Vec::capacity).sum::<usize>()
        );
        self.capacity + self.chunks.capacity() * std::mem::size_of::<Vec<u8>>()
    }

    /// Bytes of live items, length headers included.
    pub fn live_bytes(&self) -> usize {
        self.live
    }

    /// Bytes of freed items not yet reclaimed by [`compact`](ByteArena::compact).
    pub fn dead_bytes(&self) -> usize {
        self.dead
    }

    /// Number of live items.
    pub fn len(&self) -> usize {
        self.items
    }

    /// Whether no item is live.
    pub fn is_empty(&self) -> bool {
        self.items == 0
    }

    /// Returns the unused tail of the current chunk to the allocator.
    pub fn shrink_to_fit(&mut self) {
        if let Some(c) = self.current {
            let chunk = &mut self.chunks[c];
            let before = chunk.capacity();
            chunk.shrink_to_fit();
            self.capacity -= before - chunk.capacity();
        }
        self.chunks.shrink_to_fit();
    }

    /// Reclaims dead bytes: `relocate_all` must pass every live reference to
    /// [`Relocator::relocate`] exactly once and store the reference it returns;
    /// afterwards the arena holds only those items, packed into fresh chunks, and all
    /// old references are invalid.
    ///
    /// Panics if `relocate_all` relocated a different number of items than are live
    /// (the arena would otherwise silently lose or duplicate data).
    ///
    /// ```
    /// use memkv_arena::ByteArena;
    /// let mut arena = ByteArena::new();
    /// let mut refs: Vec<_> = (0..100u32).map(|i| arena.alloc(&i.to_le_bytes())).collect();
    /// for r in refs.drain(50..) {
    ///     arena.free(r);
    /// }
    /// arena.compact(|reloc| refs.iter_mut().for_each(|r| *r = reloc.relocate(*r)));
    /// assert_eq!(arena.dead_bytes(), 0);
    /// assert_eq!(arena.get(refs[7]), 7u32.to_le_bytes());
    /// ```
    pub fn compact(&mut self, relocate_all: impl FnOnce(&mut Relocator<'_>)) {
        let mut reloc = Relocator {
            old: self,
            new: ByteArena::new(),
        };
        relocate_all(&mut reloc);
        let mut new = reloc.new;
        assert_eq!(
            new.items, self.items,
            "ByteArena::compact: relocated item count differs from the live count"
        );
        new.shrink_to_fit();
        *self = new;
    }
}

/// Copies live items into the fresh arena during [`ByteArena::compact`].
#[derive(Debug)]
pub struct Relocator<'a> {
    old: &'a ByteArena,
    new: ByteArena,
}

impl Relocator<'_> {
    /// Copies item `r` into the fresh arena and returns its new reference.
    pub fn relocate(&mut self, r: DataRef) -> DataRef {
        self.new.alloc(self.old.get(r))
    }

    /// The bytes of old item `r` (to inspect before relocating).
    #[inline]
    pub fn get(&self, r: DataRef) -> &[u8] {
        self.old.get(r)
    }
}

impl fmt::Debug for ByteArena {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ByteArena")
            .field("items", &self.items)
            .field("live_bytes", &self.live)
            .field("dead_bytes", &self.dead)
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
    fn header_round_trips() {
        for n in [0, 1, 127, 128, 16_383, 16_384, 1 << 30, usize::MAX] {
            let mut buf = Vec::new();
            put_header(&mut buf, n);
            assert_eq!(buf.len(), header_len(n));
            assert_eq!(read_header(&buf), (n, buf.len()));
        }
    }

    #[test]
    fn shrinking_often_does_not_use_up_chunks() {
        // A shrink leaves the current chunk full; the next item used to open a
        // new chunk, so an arena shrunk after every write spent a chunk index
        // each time (2^23 of them, then a panic). Now the chunk grows in place.
        let mut a = ByteArena::new();
        let n: usize = if cfg!(miri) { 200 } else { 100_000 };
        let mut refs = Vec::new();
        for i in 0..n {
            refs.push(a.alloc(&[i as u8; 23]));
            a.shrink_to_fit();
        }
        // 24 bytes an item with its length header: full chunks and the current one.
        assert_eq!(a.chunks.len(), (n * 24).div_ceil(CHUNK_SIZE));
        for (i, r) in refs.into_iter().enumerate() {
            assert_eq!(a.get(r), [i as u8; 23]);
        }
    }

    #[test]
    fn empty_and_long_items() {
        let mut a = ByteArena::new();
        let e = a.alloc(b"");
        let long = vec![0xABu8; 70_000];
        let l = a.alloc(&long);
        let huge = vec![0xCDu8; DEDICATED + 10];
        let h = a.alloc(&huge);
        assert_eq!(a.get(e), b"");
        assert_eq!(a.get(l), &long[..]);
        assert_eq!(a.get(h), &huge[..]);
        a.free(h);
        assert_eq!(a.dead_bytes(), 0, "dedicated chunks are released at once");
        assert!(a.memory_usage() < 2 * 70_000 + 4096);
    }

    #[test]
    fn newest_item_is_reclaimed_at_once() {
        let mut a = ByteArena::new();
        let x = a.alloc(b"abc");
        let y = a.alloc(b"defg");
        a.free(y);
        assert_eq!(a.dead_bytes(), 0);
        a.free(x);
        assert_eq!((a.dead_bytes(), a.live_bytes(), a.len()), (0, 0, 0));
    }

    #[test]
    fn truncate_front_keeps_ref() {
        let mut a = ByteArena::new();
        let x = a.alloc(&[1u8; 200]);
        let y = a.alloc(b"after");
        a.truncate_front(x, 195);
        assert_eq!(a.get(x), &[1u8; 5]);
        assert_eq!(a.get(y), b"after");
        assert_eq!(a.live_bytes(), 6 + 6);
        assert_eq!(a.dead_bytes(), 196);
        a.truncate_front(x, 5);
        assert_eq!(a.get(x), b"");
        let before = a.memory_usage();
        a.truncate_front(y, 2);
        assert_eq!(a.get(y), b"ter");
        assert_eq!(
            a.dead_bytes(),
            196 + 5,
            "the newest item's room is reclaimed"
        );
        let z = a.alloc(b"zz");
        assert_eq!(a.get(z), b"zz");
        assert_eq!(a.memory_usage(), before);
    }

    #[test]
    #[should_panic(expected = "relocated item count")]
    fn compact_rejects_lost_items() {
        let mut a = ByteArena::new();
        a.alloc(b"kept");
        a.compact(|_| {});
    }

    #[derive(Debug, Clone)]
    enum Op {
        Alloc(Vec<u8>),
        Free(usize),
        Truncate(usize, usize),
        Compact,
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            4 => prop_oneof![
                8 => crate::test_bytes::bytes(0..40),
                1 => crate::test_bytes::bytes(100..400),
            ]
            .prop_map(Op::Alloc),
            2 => any::<usize>().prop_map(Op::Free),
            1 => (any::<usize>(), any::<usize>()).prop_map(|(i, n)| Op::Truncate(i, n)),
            1 => Just(Op::Compact),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig {
        cases: if cfg!(miri) { 4 } else { 256 },
        // No failure files: Miri forbids the file system, and CI is stateless.
        failure_persistence: None,
        ..ProptestConfig::default()
    })]
        #[test]
        fn matches_a_vec_of_vecs(ops in proptest::collection::vec(op(), 1..if cfg!(miri) { 30 } else { 300 })) {
            let mut a = ByteArena::new();
            let mut model: Vec<(DataRef, Vec<u8>)> = Vec::new();
            for op in ops {
                match op {
                    Op::Alloc(d) => model.push((a.alloc(&d), d)),
                    Op::Free(i) if !model.is_empty() => {
                        let (r, _) = model.swap_remove(i % model.len());
                        a.free(r);
                    }
                    Op::Truncate(i, n) if !model.is_empty() => {
                        let i = i % model.len();
                        let n = n % (model[i].1.len() + 1);
                        a.truncate_front(model[i].0, n);
                        model[i].1.drain(..n);
                    }
                    Op::Compact => a.compact(|reloc| {
                        for (r, _) in &mut model {
                            *r = reloc.relocate(*r);
                        }
                    }),
                    _ => {}
                }
                for (r, d) in &model {
                    prop_assert_eq!(a.get(*r), &d[..]);
                }
                let live: usize = model.iter().map(|(_, d)| header_len(d.len()) + d.len()).sum();
                prop_assert_eq!(a.live_bytes(), live);
                prop_assert_eq!(a.len(), model.len());
            }
        }
    }
}
