//! `Pool<T>`: a [`Slab`](crate::Slab) for `Copy` values whose slots are always
//! initialized, so reading a slot by handle needs no occupancy check.
//!
//! ```text
//! chunks[0]: Vec<T>  grows by doubling up to CHUNK_BYTES
//! chunks[1..]: exactly chunk_len slots each, allocated once, never moved
//! occupied: one bit per slot (1 = live); read by `get`, `iter` and `remove`
//! free: stack of vacant indices below `len`
//! ```
//!
//! A radix tree reads a node at every level of every lookup, always by a handle
//! its invariants guarantee is live. A `Slab` must check the slot's occupancy bit
//! first (its vacant slots are uninitialized memory); a `Pool` keeps a vacant
//! slot's last value instead, so indexing is a plain bounds-checked read and a
//! stale handle yields a stale value, never undefined behaviour. Safe code only.

use std::fmt;
use std::mem;

use crate::slab::Handle;

/// Target bytes per chunk (each chunk holds a power-of-two number of slots).
const CHUNK_BYTES: usize = 64 * 1024;

/// Chunked storage of `Copy` values addressed by [`Handle<T>`], reusing freed
/// slots; indexing does not check that the slot is live.
///
/// ```
/// use memkv_arena::Pool;
/// let mut pool = Pool::new();
/// let a = pool.insert([1u32; 4]);
/// let b = pool.insert([2u32; 4]);
/// assert_eq!(pool.remove(a), [1; 4]);
/// assert_eq!(pool.insert([3; 4]), a, "the freed slot is reused");
/// assert_eq!(pool[b], [2; 4]);
/// assert_eq!(pool.len(), 2);
/// ```
pub struct Pool<T> {
    chunks: Vec<Vec<T>>,
    /// Bit `i` is set iff slot `i` is live.
    occupied: Vec<u64>,
    /// Vacant slots below `high`, reused last-freed first.
    free: Vec<u32>,
    /// Slots ever handed out (live or on the free list).
    high: u32,
    /// Live slots.
    len: usize,
}

impl<T: Copy> Pool<T> {
    /// Slots per chunk: a power of two near `CHUNK_BYTES`.
    const CHUNK_LEN: usize = {
        let size = if mem::size_of::<T>() == 0 {
            1
        } else {
            mem::size_of::<T>()
        };
        let n = CHUNK_BYTES / size;
        if n <= 1 {
            1
        } else {
            1 << (usize::BITS - 1 - n.leading_zeros())
        }
    };
    const SHIFT: u32 = Self::CHUNK_LEN.trailing_zeros();

    /// An empty pool; it allocates nothing until the first insert.
    pub fn new() -> Pool<T> {
        Pool {
            chunks: Vec::new(),
            occupied: Vec::new(),
            free: Vec::new(),
            high: 0,
            len: 0,
        }
    }

    /// Number of live slots.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no slot is live.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Number of slots ever handed out (handles are below this).
    pub fn high_water(&self) -> u32 {
        self.high
    }

    /// Number of vacant slots awaiting reuse.
    pub fn free_slots(&self) -> usize {
        self.free.len()
    }

    #[inline(always)]
    fn split(i: u32) -> (usize, usize) {
        let i = i as usize;
        (i >> Self::SHIFT, i & (Self::CHUNK_LEN - 1))
    }

    /// Whether `h` names a live slot.
    #[inline]
    pub fn contains(&self, h: Handle<T>) -> bool {
        let i = h.into_raw() as usize;
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

    /// Stores `value` in a vacant slot (the most recently freed one, else a new one).
    ///
    /// Panics if the pool already has `u32::MAX` slots.
    pub fn insert(&mut self, value: T) -> Handle<T> {
        let i = match self.free.pop() {
            Some(i) => {
                let (c, o) = Self::split(i);
                self.chunks[c][o] = value;
                i
            }
            None => {
                let i = self.high;
                assert!(i < u32::MAX, "Pool: more than u32::MAX slots");
                let (c, o) = Self::split(i);
                if c == self.chunks.len() {
                    // Chunks after the first are allocated at full size once, so
                    // growing never copies and never leaves more than one chunk of slack.
                    let cap = if c == 0 { 0 } else { Self::CHUNK_LEN };
                    self.chunks.push(Vec::with_capacity(cap));
                }
                let chunk = &mut self.chunks[c];
                debug_assert_eq!(chunk.len(), o);
                if c == 0 && chunk.len() == chunk.capacity() {
                    // The first chunk grows by doubling, so small pools stay small.
                    let want = (chunk.capacity() * 2).max(4).min(Self::CHUNK_LEN);
                    chunk.reserve_exact(want - chunk.len());
                }
                chunk.push(value);
                self.high += 1;
                i
            }
        };
        self.set_occupied(i, true);
        self.len += 1;
        Handle::from_raw(i)
    }

    /// The value in slot `h`, or `None` if it is vacant or out of range.
    #[inline]
    pub fn get(&self, h: Handle<T>) -> Option<&T> {
        self.contains(h).then(|| &self[h])
    }

    /// The value in slot `h`, mutably, or `None` if it is vacant or out of range.
    #[inline]
    pub fn get_mut(&mut self, h: Handle<T>) -> Option<&mut T> {
        if self.contains(h) {
            Some(&mut self[h])
        } else {
            None
        }
    }

    /// Hints the CPU to load slot `h` soon (see [`crate::prefetch`]); does
    /// nothing for a handle out of range.
    #[inline]
    pub fn prefetch(&self, h: Handle<T>) {
        let (c, o) = Self::split(h.into_raw());
        if let Some(chunk) = self.chunks.get(c) {
            crate::prefetch(chunk.as_ptr().wrapping_add(o));
        }
    }

    /// Copies the value out of slot `h` and puts the slot on the free list.
    ///
    /// Panics if `h` is vacant.
    pub fn remove(&mut self, h: Handle<T>) -> T {
        assert!(self.contains(h), "Pool::remove of a vacant slot {h:?}");
        let value = self[h];
        self.set_occupied(h.into_raw(), false);
        self.len -= 1;
        self.free.push(h.into_raw());
        value
    }

    /// Heap bytes held by slots (including vacant and not-yet-used capacity), the
    /// occupancy bits and the free list. Exact.
    pub fn memory_usage(&self) -> usize {
        self.chunks.iter().map(Vec::capacity).sum::<usize>() * mem::size_of::<T>()
            + self.chunks.capacity() * mem::size_of::<Vec<T>>()
            + self.occupied.capacity() * 8
            + self.free.capacity() * 4
    }

    /// Returns spare capacity of the first chunk, the last chunk and the side tables
    /// to the allocator.
    pub fn shrink_to_fit(&mut self) {
        if let Some(last) = self.chunks.last_mut() {
            last.shrink_to_fit();
        }
        if let Some(first) = self.chunks.first_mut() {
            first.shrink_to_fit();
        }
        self.chunks.shrink_to_fit();
        self.occupied.shrink_to_fit();
        self.free.shrink_to_fit();
    }

    /// The live slots in index order.
    pub fn iter(&self) -> impl Iterator<Item = (Handle<T>, &T)> + '_ {
        (0..self.high)
            .map(Handle::from_raw)
            .filter_map(move |h| self.get(h).map(|v| (h, v)))
    }
}

impl<T: Copy> Default for Pool<T> {
    fn default() -> Self {
        Pool::new()
    }
}

impl<T: Copy> Clone for Pool<T> {
    fn clone(&self) -> Self {
        // Same capacities, so a copy keeps growing in whole chunks like the original.
        let chunks = self
            .chunks
            .iter()
            .map(|c| {
                let mut v = Vec::with_capacity(c.capacity());
                v.extend_from_slice(c);
                v
            })
            .collect();
        Pool {
            chunks,
            occupied: self.occupied.clone(),
            free: self.free.clone(),
            high: self.high,
            len: self.len,
        }
    }
}

impl<T: Copy> std::ops::Index<Handle<T>> for Pool<T> {
    type Output = T;
    /// The value in slot `h`, live or not: no occupancy check (a vacant slot holds
    /// its last value). Panics if `h` was never handed out.
    #[inline(always)]
    fn index(&self, h: Handle<T>) -> &T {
        debug_assert!(self.contains(h), "Pool index {h:?} is vacant");
        let (c, o) = Self::split(h.into_raw());
        &self.chunks[c][o]
    }
}

impl<T: Copy> std::ops::IndexMut<Handle<T>> for Pool<T> {
    #[inline(always)]
    fn index_mut(&mut self, h: Handle<T>) -> &mut T {
        debug_assert!(self.contains(h), "Pool index {h:?} is vacant");
        let (c, o) = Self::split(h.into_raw());
        &mut self.chunks[c][o]
    }
}

impl<T: Copy + fmt::Debug> fmt::Debug for Pool<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.iter().map(|(h, v)| (h.into_raw(), v)))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn crosses_chunk_boundaries() {
        let mut pool = Pool::new();
        let n = if cfg!(miri) { 300 } else { 100_000 };
        let hs: Vec<_> = (0..n).map(|i| pool.insert([i as u64; 64])).collect();
        for (i, h) in hs.iter().enumerate() {
            assert_eq!(pool[*h][63], i as u64);
        }
        assert_eq!(pool.iter().count(), n);
        let copy = pool.clone();
        assert!(copy.iter().eq(pool.iter()));
        assert!(copy.memory_usage() <= pool.memory_usage());
    }

    proptest! {
        #![proptest_config(ProptestConfig {
        cases: if cfg!(miri) { 4 } else { 256 },
        failure_persistence: None,
        ..ProptestConfig::default()
    })]
        #[test]
        fn matches_a_model(ops in proptest::collection::vec((any::<bool>(), any::<u16>()), 1..200)) {
            let mut pool = Pool::new();
            let mut model: Vec<(Handle<u16>, u16)> = Vec::new();
            for (insert, x) in ops {
                if insert || model.is_empty() {
                    let h = pool.insert(x);
                    prop_assert!(model.iter().all(|(m, _)| *m != h));
                    model.push((h, x));
                } else {
                    let (h, v) = model.swap_remove(x as usize % model.len());
                    prop_assert_eq!(pool.remove(h), v);
                    prop_assert_eq!(pool.get(h), None);
                }
                prop_assert_eq!(pool.len(), model.len());
                for (h, v) in &model {
                    prop_assert_eq!(pool[*h], *v);
                }
            }
        }
    }
}
