//! `SlotTable<S>`: the bookkeeping [`Slab`](crate::Slab) and [`Pool`](crate::Pool)
//! share, written once: slots of type `S` in fixed-size chunks, one occupancy bit
//! per slot, and a free list so freed slots are reused.
//!
//! ```text
//! chunks[0]: Vec<S>  grows by doubling up to CHUNK_BYTES
//! chunks[1..]: exactly CHUNK_LEN slots each, allocated once, never moved
//! occupied: one bit per slot (1 = live)
//! free: stack of vacant indices below `high`
//! ```
//!
//! The table never reads a slot's contents: what a vacant slot holds (an
//! uninitialized `MaybeUninit` in a `Slab`, a stale `Copy` value in a `Pool`) is the
//! owner's business. Safe code only.

use std::mem;

/// Target bytes per chunk (each chunk holds a power-of-two number of slots).
const CHUNK_BYTES: usize = 64 * 1024;

/// Chunked slots with occupancy bits and a free list (see the module docs).
pub(crate) struct SlotTable<S> {
    chunks: Vec<Vec<S>>,
    /// Bit `i` is set iff slot `i` is live.
    occupied: Vec<u64>,
    /// Vacant slots below `high`, reused last-freed first.
    free: Vec<u32>,
    /// Slots ever handed out (live or on the free list).
    high: u32,
    /// Live slots.
    len: usize,
    /// The chunks' capacities added up, kept as they change so that
    /// `memory_usage` answers in O(1) (a store that checks its size on every
    /// write, as the hybrid store's delta does, would otherwise walk every chunk).
    capacity: usize,
}

impl<S> SlotTable<S> {
    /// Slots per chunk: a power of two near `CHUNK_BYTES`.
    pub(crate) const CHUNK_LEN: usize = {
        let size = if mem::size_of::<S>() == 0 {
            1
        } else {
            mem::size_of::<S>()
        };
        let n = CHUNK_BYTES / size;
        if n <= 1 {
            1
        } else {
            1 << (usize::BITS - 1 - n.leading_zeros())
        }
    };
    const SHIFT: u32 = Self::CHUNK_LEN.trailing_zeros();

    pub(crate) const fn new() -> SlotTable<S> {
        SlotTable {
            chunks: Vec::new(),
            occupied: Vec::new(),
            free: Vec::new(),
            high: 0,
            len: 0,
            capacity: 0,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn high_water(&self) -> u32 {
        self.high
    }

    pub(crate) fn free_slots(&self) -> usize {
        self.free.len()
    }

    /// The free list, most recently freed last.
    #[cfg(test)]
    pub(crate) fn free_list(&self) -> &[u32] {
        &self.free
    }

    /// The chunk of slot `i` and its place within that chunk.
    #[inline(always)]
    pub(crate) fn split(i: u32) -> (usize, usize) {
        let i = i as usize;
        (i >> Self::SHIFT, i & (Self::CHUNK_LEN - 1))
    }

    /// Whether slot `i` is live.
    #[inline]
    pub(crate) fn contains(&self, i: u32) -> bool {
        let i = i as usize;
        self.occupied
            .get(i / 64)
            .is_some_and(|w| w & (1 << (i % 64)) != 0)
    }

    fn set_occupied(&mut self, i: u32, on: bool) {
        let i = i as usize;
        if i / 64 >= self.occupied.len() {
            self.occupied.resize(i / 64 + 1, 0);
        }
        if on {
            self.occupied[i / 64] |= 1 << (i % 64);
        } else {
            self.occupied[i / 64] &= !(1 << (i % 64));
        }
    }

    /// Puts `slot` in a vacant place (the most recently freed one, else a new one),
    /// marks it live and returns its index. A reused place is overwritten without
    /// dropping what it held (vacant slots hold nothing that needs dropping).
    ///
    /// Panics if the table already has `u32::MAX` slots.
    pub(crate) fn claim(&mut self, slot: S, what: &str) -> u32 {
        let i = match self.free.pop() {
            Some(i) => {
                *self.slot_mut(i) = slot;
                i
            }
            None => self.append(slot, what),
        };
        self.set_occupied(i, true);
        self.len += 1;
        i
    }

    /// Appends a new place holding `slot`, not yet marked live.
    fn append(&mut self, slot: S, what: &str) -> u32 {
        let i = self.high;
        assert!(i < u32::MAX, "{what}: more than u32::MAX slots");
        let (c, o) = Self::split(i);
        if c == self.chunks.len() {
            // Chunks after the first are allocated at full size once, so growing
            // never copies and never leaves more than one chunk of slack.
            let cap = if c == 0 { 0 } else { Self::CHUNK_LEN };
            let chunk = Vec::with_capacity(cap);
            self.capacity += chunk.capacity();
            self.chunks.push(chunk);
        }
        let chunk = &mut self.chunks[c];
        debug_assert_eq!(chunk.len(), o);
        if chunk.len() == chunk.capacity() {
            // The first chunk grows by doubling, so small tables stay small; a
            // later one is full-size from the start, unless `shrink_to_fit` cut
            // it to its length, and then it regrows to full size once.
            let want = if c == 0 {
                (chunk.capacity() * 2).max(4).min(Self::CHUNK_LEN)
            } else {
                Self::CHUNK_LEN
            };
            let before = chunk.capacity();
            chunk.reserve_exact(want - chunk.len());
            self.capacity += chunk.capacity() - before;
        }
        debug_assert!(chunk.len() < chunk.capacity(), "a push never reallocates");
        chunk.push(slot);
        self.high += 1;
        i
    }

    /// Marks live slot `i` vacant and puts it on the free list; the caller takes
    /// its contents out first (or has a `Copy` value).
    ///
    /// Panics if `i` is vacant.
    pub(crate) fn release(&mut self, i: u32, what: &str) {
        assert!(self.contains(i), "{what}::remove of a vacant slot {i}");
        self.set_occupied(i, false);
        self.len -= 1;
        self.free.push(i);
    }

    /// Marks live slot `i` vacant without putting it on the free list (`Slab`'s
    /// drop, which never reuses it).
    pub(crate) fn forget(&mut self, i: u32) {
        self.set_occupied(i, false);
    }

    /// Slot `i`, live or not. Panics if `i` was never handed out.
    #[inline(always)]
    pub(crate) fn slot(&self, i: u32) -> &S {
        let (c, o) = Self::split(i);
        &self.chunks[c][o]
    }

    /// Slot `i`, mutably, live or not. Panics if `i` was never handed out.
    #[inline(always)]
    pub(crate) fn slot_mut(&mut self, i: u32) -> &mut S {
        let (c, o) = Self::split(i);
        &mut self.chunks[c][o]
    }

    /// A pointer to the first slot of each chunk, for handing out references to
    /// several slots at once (see `Slab::disjoint_mut`). Taken through
    /// `Vec::as_mut_ptr`, which creates no reference to the chunk's slots, so
    /// references made from these pointers to distinct slots do not overlap any
    /// other. They stay valid while the table is not otherwise used mutably.
    pub(crate) fn chunk_bases(&mut self) -> Vec<*mut S> {
        self.chunks.iter_mut().map(Vec::as_mut_ptr).collect()
    }

    /// Hints the CPU to load slot `i` soon; does nothing for an index out of range.
    #[inline]
    pub(crate) fn prefetch(&self, i: u32) {
        let (c, o) = Self::split(i);
        if let Some(chunk) = self.chunks.get(c) {
            crate::prefetch(chunk.as_ptr().wrapping_add(o));
        }
    }

    /// Heap bytes held by slots (including vacant and not-yet-used capacity), the
    /// occupancy bits and the free list. Exact.
    pub(crate) fn memory_usage(&self) -> usize {
        debug_assert_eq!(
            self.capacity,
            self.chunks.iter().map(Vec::capacity).sum::<usize>()
        );
        self.capacity * mem::size_of::<S>()
            + self.chunks.capacity() * mem::size_of::<Vec<S>>()
            + self.occupied.capacity() * 8
            + self.free.capacity() * 4
    }

    /// Returns spare capacity of the first chunk, the last chunk and the side tables
    /// to the allocator.
    pub(crate) fn shrink_to_fit(&mut self) {
        let mut shrink = |chunk: Option<&mut Vec<S>>| {
            if let Some(chunk) = chunk {
                let before = chunk.capacity();
                chunk.shrink_to_fit();
                self.capacity -= before - chunk.capacity();
            }
        };
        shrink(self.chunks.last_mut());
        shrink(self.chunks.first_mut());
        self.chunks.shrink_to_fit();
        self.occupied.shrink_to_fit();
        self.free.shrink_to_fit();
    }

    /// The live slot indices in order.
    pub(crate) fn live(&self) -> impl Iterator<Item = u32> + '_ {
        (0..self.high).filter(move |&i| self.contains(i))
    }
}

impl<S> SlotTable<S> {
    /// A copy made slot by slot with `copy_slot` (given each index), with the same
    /// capacities (so it keeps growing in whole chunks like
    /// the original), the same occupancy and the same free-list order.
    pub(crate) fn clone_with(&self, mut copy_slot: impl FnMut(u32, &S) -> S) -> SlotTable<S> {
        let mut i = 0;
        let chunks = self
            .chunks
            .iter()
            .map(|c| {
                let mut v = Vec::with_capacity(c.capacity());
                for s in c {
                    v.push(copy_slot(i, s));
                    i += 1;
                }
                v
            })
            .collect::<Vec<Vec<S>>>();
        SlotTable {
            capacity: chunks.iter().map(Vec::capacity).sum(),
            chunks,
            occupied: self.occupied.clone(),
            free: self.free.clone(),
            high: self.high,
            len: self.len,
        }
    }
}
