//! `Slab<T>`: values of one type in fixed-size chunks, named by `u32` indices, with
//! a free list so freed slots are reused.
//!
//! ```text
//! chunks[0]: Vec<MaybeUninit<T>>  grows by doubling up to CHUNK_BYTES
//! chunks[1..]: exactly chunk_len slots each, allocated once, never moved
//! occupied: one bit per slot (1 = holds an initialized T)
//! free: stack of vacant indices below `len`
//! ```
//!
//! Slots are `MaybeUninit<T>` rather than `Option<T>` because the discriminant of
//! `Option<u64>` doubles a value slot (16 bytes instead of 8): for the radix trees
//! that is 8 bytes per key. An occupancy bit per slot replaces it, and it is the only
//! place this crate needs `unsafe`.

use std::fmt;
use std::marker::PhantomData;
use std::mem::{self, MaybeUninit};

/// Target bytes per chunk (each chunk holds a power-of-two number of slots).
const CHUNK_BYTES: usize = 64 * 1024;

/// A typed `u32` index into a [`Slab<T>`].
pub struct Handle<T> {
    raw: u32,
    _marker: PhantomData<fn() -> T>,
}

impl<T> Handle<T> {
    /// The handle with raw index `raw`.
    #[inline]
    pub const fn from_raw(raw: u32) -> Handle<T> {
        Handle {
            raw,
            _marker: PhantomData,
        }
    }

    /// The raw index.
    #[inline]
    pub const fn into_raw(self) -> u32 {
        self.raw
    }
}

impl<T> Clone for Handle<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for Handle<T> {}
impl<T> PartialEq for Handle<T> {
    fn eq(&self, other: &Self) -> bool {
        self.raw == other.raw
    }
}
impl<T> Eq for Handle<T> {}
impl<T> std::hash::Hash for Handle<T> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.raw.hash(state);
    }
}
impl<T> fmt::Debug for Handle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Handle({})", self.raw)
    }
}

/// Chunked storage of `T`s addressed by [`Handle<T>`], reusing freed slots.
///
/// ```
/// use memkv_arena::Slab;
/// let mut slab = Slab::new();
/// let a = slab.insert(String::from("a"));
/// let b = slab.insert(String::from("b"));
/// assert_eq!(slab.remove(a), "a");
/// let c = slab.insert(String::from("c"));
/// assert_eq!(c, a, "the freed slot is reused");
/// assert_eq!(slab[b], "b");
/// assert_eq!(slab.len(), 2);
/// ```
pub struct Slab<T> {
    chunks: Vec<Vec<MaybeUninit<T>>>,
    /// Bit `i` is set iff slot `i` holds an initialized `T`.
    occupied: Vec<u64>,
    /// Vacant slots below `high`, reused last-freed first.
    free: Vec<u32>,
    /// Slots ever handed out (occupied or on the free list).
    high: u32,
    /// Occupied slots.
    len: usize,
}

impl<T> Slab<T> {
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

    /// An empty slab; it allocates nothing until the first insert.
    pub fn new() -> Slab<T> {
        Slab {
            chunks: Vec::new(),
            occupied: Vec::new(),
            free: Vec::new(),
            high: 0,
            len: 0,
        }
    }

    /// Number of occupied slots.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no slot is occupied.
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

    #[inline]
    fn split(i: u32) -> (usize, usize) {
        let i = i as usize;
        (i >> Self::SHIFT, i & (Self::CHUNK_LEN - 1))
    }

    /// Whether `h` names an occupied slot.
    #[inline]
    pub fn contains(&self, h: Handle<T>) -> bool {
        let i = h.raw as usize;
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
    /// Panics if the slab already has `u32::MAX` slots.
    pub fn insert(&mut self, value: T) -> Handle<T> {
        let i = match self.free.pop() {
            Some(i) => {
                let (c, o) = Self::split(i);
                self.chunks[c][o] = MaybeUninit::new(value);
                i
            }
            None => {
                let i = self.high;
                assert!(i < u32::MAX, "Slab: more than u32::MAX slots");
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
                    // The first chunk grows by doubling, so small slabs stay small.
                    let want = (chunk.capacity() * 2).max(4).min(Self::CHUNK_LEN);
                    chunk.reserve_exact(want - chunk.len());
                }
                chunk.push(MaybeUninit::new(value));
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
        if !self.contains(h) {
            return None;
        }
        let (c, o) = Self::split(h.raw);
        // SAFETY: the occupancy bit of `h` is set, and a bit is set only after its
        // slot was written with `MaybeUninit::new` (insert) and cleared before the
        // value is moved out (remove), so the slot holds an initialized `T`.
        Some(unsafe { self.chunks[c][o].assume_init_ref() })
    }

    /// Hints the CPU to load slot `h` soon (see [`crate::prefetch`]); does
    /// nothing for a handle out of range.
    #[inline]
    pub fn prefetch(&self, h: Handle<T>) {
        let (c, o) = Self::split(h.raw);
        if let Some(chunk) = self.chunks.get(c) {
            crate::prefetch(chunk.as_ptr().wrapping_add(o));
        }
    }

    /// The value in slot `h`, mutably, or `None` if it is vacant or out of range.
    #[inline]
    pub fn get_mut(&mut self, h: Handle<T>) -> Option<&mut T> {
        if !self.contains(h) {
            return None;
        }
        let (c, o) = Self::split(h.raw);
        // SAFETY: as in `get`: the set occupancy bit proves the slot is initialized.
        Some(unsafe { self.chunks[c][o].assume_init_mut() })
    }

    /// Moves the value out of slot `h` and puts the slot on the free list.
    ///
    /// Panics if `h` is vacant.
    pub fn remove(&mut self, h: Handle<T>) -> T {
        assert!(self.contains(h), "Slab::remove of a vacant slot {h:?}");
        self.set_occupied(h.raw, false);
        self.len -= 1;
        self.free.push(h.raw);
        let (c, o) = Self::split(h.raw);
        // SAFETY: the bit was set (checked above), so the slot is initialized; the
        // bit is now cleared, so the value is read out exactly once and the slot is
        // never read or dropped again before `insert` rewrites it.
        unsafe { self.chunks[c][o].assume_init_read() }
    }

    /// Heap bytes held by slots (including vacant and not-yet-used capacity), the
    /// occupancy bits and the free list. Exact for the slab itself; heap memory owned
    /// by the `T`s is not included.
    pub fn memory_usage(&self) -> usize {
        self.chunks.iter().map(Vec::capacity).sum::<usize>() * mem::size_of::<T>()
            + self.chunks.capacity() * mem::size_of::<Vec<MaybeUninit<T>>>()
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

    /// The occupied slots in index order.
    pub fn iter(&self) -> impl Iterator<Item = (Handle<T>, &T)> + '_ {
        (0..self.high)
            .map(Handle::from_raw)
            .filter_map(move |h| self.get(h).map(|v| (h, v)))
    }
}

impl<T> Default for Slab<T> {
    fn default() -> Self {
        Slab::new()
    }
}

impl<T> Drop for Slab<T> {
    fn drop(&mut self) {
        if !mem::needs_drop::<T>() {
            return;
        }
        for i in 0..self.high {
            if self.contains(Handle::from_raw(i)) {
                self.set_occupied(i, false);
                let (c, o) = Self::split(i);
                // SAFETY: the bit was set, so the slot is initialized; clearing it first
                // means a panicking `T::drop` cannot lead to a second drop of this slot.
                unsafe { self.chunks[c][o].assume_init_drop() };
            }
        }
    }
}

impl<T: Clone> Clone for Slab<T> {
    fn clone(&self) -> Self {
        // Rebuild slot by slot so vacant slots stay vacant at the same indices.
        let mut out = Slab::new();
        for i in 0..self.high {
            match self.get(Handle::from_raw(i)) {
                Some(v) => {
                    out.insert(v.clone());
                }
                None => out.reserve_vacant(),
            }
        }
        // Same free-list order, so the copy hands out the same handles next.
        out.free.clone_from(&self.free);
        out
    }
}

impl<T> Slab<T> {
    /// Appends a new slot that stays vacant (used by `clone`).
    fn reserve_vacant(&mut self) {
        let i = self.high;
        let (c, o) = Self::split(i);
        if c == self.chunks.len() {
            let cap = if c == 0 { 0 } else { Self::CHUNK_LEN };
            self.chunks.push(Vec::with_capacity(cap));
        }
        debug_assert_eq!(self.chunks[c].len(), o);
        self.chunks[c].push(MaybeUninit::uninit());
        self.high += 1;
    }
}

impl<T> std::ops::Index<Handle<T>> for Slab<T> {
    type Output = T;
    #[inline]
    fn index(&self, h: Handle<T>) -> &T {
        match self.get(h) {
            Some(v) => v,
            None => panic!("Slab index {h:?} is vacant"),
        }
    }
}

impl<T> std::ops::IndexMut<Handle<T>> for Slab<T> {
    #[inline]
    fn index_mut(&mut self, h: Handle<T>) -> &mut T {
        match self.get_mut(h) {
            Some(v) => v,
            None => panic!("Slab index {h:?} is vacant"),
        }
    }
}

impl<T: fmt::Debug> fmt::Debug for Slab<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.iter().map(|(h, v)| (h.raw, v)))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::rc::Rc;

    #[test]
    fn drops_exactly_the_live_values() {
        let token = Rc::new(());
        let mut slab = Slab::new();
        let hs: Vec<_> = (0..10).map(|_| slab.insert(Rc::clone(&token))).collect();
        for h in &hs[..4] {
            drop(slab.remove(*h));
        }
        assert_eq!(Rc::strong_count(&token), 7);
        let copy = slab.clone();
        assert_eq!(Rc::strong_count(&token), 13);
        assert_eq!((&copy.free, copy.high), (&slab.free, slab.high));
        drop(copy);
        drop(slab);
        assert_eq!(Rc::strong_count(&token), 1);
    }

    #[test]
    fn vacant_access_is_none() {
        let mut slab = Slab::new();
        let h = slab.insert(5u64);
        assert_eq!(slab.remove(h), 5);
        assert_eq!(slab.get(h), None);
        assert_eq!(slab.get(Handle::from_raw(1000)), None);
    }

    #[test]
    #[should_panic(expected = "vacant")]
    fn double_remove_panics() {
        let mut slab = Slab::new();
        let h = slab.insert(1u8);
        slab.remove(h);
        slab.remove(h);
    }

    #[test]
    fn crosses_chunk_boundaries() {
        let mut slab = Slab::new();
        let n = if cfg!(miri) { 300 } else { 100_000 };
        let hs: Vec<_> = (0..n).map(|i| slab.insert([i as u64; 64])).collect();
        for (i, h) in hs.iter().enumerate() {
            assert_eq!(slab[*h][63], i as u64);
        }
        assert_eq!(slab.iter().count(), n);
    }

    proptest! {
        #![proptest_config(ProptestConfig {
        cases: if cfg!(miri) { 4 } else { 256 },
        // No failure files: Miri forbids the file system, and CI is stateless.
        failure_persistence: None,
        ..ProptestConfig::default()
    })]
        #[test]
        fn matches_a_model(ops in proptest::collection::vec((any::<bool>(), any::<u16>()), 1..200)) {
            let mut slab = Slab::new();
            let mut model: Vec<(Handle<String>, String)> = Vec::new();
            for (insert, x) in ops {
                if insert || model.is_empty() {
                    let s = x.to_string();
                    let h = slab.insert(s.clone());
                    prop_assert!(model.iter().all(|(m, _)| *m != h));
                    model.push((h, s));
                } else {
                    let (h, s) = model.swap_remove(x as usize % model.len());
                    prop_assert_eq!(slab.remove(h), s);
                }
                prop_assert_eq!(slab.len(), model.len());
                for (h, s) in &model {
                    prop_assert_eq!(&slab[*h], s);
                }
            }
        }
    }
}
