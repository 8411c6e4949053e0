//! `Pool<T>`: a [`Slab`](crate::Slab) for `Copy` values whose slots are always
//! initialized, so reading a slot by handle needs no occupancy check. The chunks,
//! occupancy bits and free list are [`SlotTable`]'s, as in a `Slab`; the bits are
//! read only by `get`, `iter` and `remove`.
//!
//! A radix tree reads a node at every level of every lookup, always by a handle
//! its invariants guarantee is live. A `Slab` must check the slot's occupancy bit
//! first (its vacant slots are uninitialized memory); a `Pool` keeps a vacant
//! slot's last value instead, so indexing is a plain bounds-checked read and a
//! stale handle yields a stale value, never undefined behaviour. Safe code only.

use std::fmt;

use crate::slab::Handle;
use crate::slots::SlotTable;

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
    slots: SlotTable<T>,
}

impl<T: Copy> Pool<T> {
    /// An empty pool; it allocates nothing until the first insert.
    pub fn new() -> Pool<T> {
        Pool {
            slots: SlotTable::new(),
        }
    }

    /// Number of live slots.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// Whether no slot is live.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Number of slots ever handed out (handles are below this).
    pub fn high_water(&self) -> u32 {
        self.slots.high_water()
    }

    /// Number of vacant slots awaiting reuse.
    pub fn free_slots(&self) -> usize {
        self.slots.free_slots()
    }

    /// Whether `h` names a live slot.
    #[inline]
    pub fn contains(&self, h: Handle<T>) -> bool {
        self.slots.contains(h.into_raw())
    }

    /// Stores `value` in a vacant slot (the most recently freed one, else a new one).
    ///
    /// Panics if the pool already has `u32::MAX` slots.
    pub fn insert(&mut self, value: T) -> Handle<T> {
        Handle::from_raw(self.slots.claim(value, "Pool"))
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
        self.slots.prefetch(h.into_raw());
    }

    /// Copies the value out of slot `h` and puts the slot on the free list.
    ///
    /// Panics if `h` is vacant.
    pub fn remove(&mut self, h: Handle<T>) -> T {
        self.slots.release(h.into_raw(), "Pool");
        *self.slots.slot(h.into_raw())
    }

    /// Heap bytes held by slots (including vacant and not-yet-used capacity), the
    /// occupancy bits and the free list. Exact.
    pub fn memory_usage(&self) -> usize {
        self.slots.memory_usage()
    }

    /// Returns spare capacity of the first chunk, the last chunk and the side tables
    /// to the allocator.
    pub fn shrink_to_fit(&mut self) {
        self.slots.shrink_to_fit();
    }

    /// The live slots in index order.
    pub fn iter(&self) -> impl Iterator<Item = (Handle<T>, &T)> + '_ {
        self.slots
            .live()
            .map(move |i| (Handle::from_raw(i), self.slots.slot(i)))
    }
}

impl<T: Copy> Default for Pool<T> {
    fn default() -> Self {
        Pool::new()
    }
}

impl<T: Copy> Clone for Pool<T> {
    fn clone(&self) -> Self {
        Pool {
            slots: self.slots.clone_with(|_, &slot| slot),
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
        self.slots.slot(h.into_raw())
    }
}

impl<T: Copy> std::ops::IndexMut<Handle<T>> for Pool<T> {
    #[inline(always)]
    fn index_mut(&mut self, h: Handle<T>) -> &mut T {
        debug_assert!(self.contains(h), "Pool index {h:?} is vacant");
        self.slots.slot_mut(h.into_raw())
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
