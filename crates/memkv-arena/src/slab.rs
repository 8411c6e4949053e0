//! `Slab<T>`: values of one type in fixed-size chunks, named by `u32` indices, with
//! a free list so freed slots are reused (the bookkeeping is [`SlotTable`]'s).
//!
//! Slots are `MaybeUninit<T>` rather than `Option<T>` because the discriminant of
//! `Option<u64>` doubles a value slot (16 bytes instead of 8): for the radix trees
//! that is 8 bytes per key. The table's occupancy bit per slot replaces it:
//!
//! **Invariant:** a slot's occupancy bit is set exactly when the slot holds an
//! initialized `T` (set by `insert` after writing it with `MaybeUninit::new`,
//! cleared by `remove` and `drop` before the value is moved out or dropped).
//!
//! It is the only place this crate needs `unsafe` besides a prefetch hint.

use std::fmt;
use std::marker::PhantomData;
use std::mem::{self, MaybeUninit};

use crate::slots::SlotTable;

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
    slots: SlotTable<MaybeUninit<T>>,
}

impl<T> Slab<T> {
    /// An empty slab; it allocates nothing until the first insert.
    pub fn new() -> Slab<T> {
        Slab {
            slots: SlotTable::new(),
        }
    }

    /// Number of occupied slots.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// Whether no slot is occupied.
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

    /// Whether `h` names an occupied slot.
    #[inline]
    pub fn contains(&self, h: Handle<T>) -> bool {
        self.slots.contains(h.raw)
    }

    /// Stores `value` in a vacant slot (the most recently freed one, else a new one).
    ///
    /// Panics if the slab already has `u32::MAX` slots.
    pub fn insert(&mut self, value: T) -> Handle<T> {
        Handle::from_raw(self.slots.claim(MaybeUninit::new(value), "Slab"))
    }

    /// The value in slot `h`, or `None` if it is vacant or out of range.
    #[inline]
    pub fn get(&self, h: Handle<T>) -> Option<&T> {
        if !self.contains(h) {
            return None;
        }
        // SAFETY: the occupancy bit of `h` is set, so by the module invariant the
        // slot holds an initialized `T`.
        Some(unsafe { self.slots.slot(h.raw).assume_init_ref() })
    }

    /// Hints the CPU to load slot `h` soon (see [`crate::prefetch`]); does
    /// nothing for a handle out of range.
    #[inline]
    pub fn prefetch(&self, h: Handle<T>) {
        self.slots.prefetch(h.raw);
    }

    /// The value in slot `h`, mutably, or `None` if it is vacant or out of range.
    #[inline]
    pub fn get_mut(&mut self, h: Handle<T>) -> Option<&mut T> {
        if !self.contains(h) {
            return None;
        }
        // SAFETY: as in `get`: the set occupancy bit proves the slot is initialized.
        Some(unsafe { self.slots.slot_mut(h.raw).assume_init_mut() })
    }

    /// Moves the value out of slot `h` and puts the slot on the free list.
    ///
    /// Panics if `h` is vacant.
    pub fn remove(&mut self, h: Handle<T>) -> T {
        // Panics (before anything is read) if the slot is vacant.
        self.slots.release(h.raw, "Slab");
        // SAFETY: `release` checked that the bit was set, so the slot is
        // initialized; the bit is now cleared, so the value is read out exactly
        // once and the slot is never read or dropped again before `insert`
        // rewrites it.
        unsafe { self.slots.slot(h.raw).assume_init_read() }
    }

    /// Heap bytes held by slots (including vacant and not-yet-used capacity), the
    /// occupancy bits and the free list. Exact for the slab itself; heap memory owned
    /// by the `T`s is not included.
    pub fn memory_usage(&self) -> usize {
        self.slots.memory_usage()
    }

    /// Returns spare capacity of the first chunk, the last chunk and the side tables
    /// to the allocator.
    pub fn shrink_to_fit(&mut self) {
        self.slots.shrink_to_fit();
    }

    /// Mutable access to many slots at once, each handed out at most once: what
    /// a tree needs to give out `&mut` values in key order (an `iter_mut`) while
    /// its structure tells it which handles to visit.
    ///
    /// ```
    /// use memkv_arena::Slab;
    /// let mut slab = Slab::new();
    /// let (a, b) = (slab.insert(1), slab.insert(2));
    /// let mut many = slab.disjoint_mut();
    /// let (x, y) = (many.take(a).unwrap(), many.take(b).unwrap());
    /// assert!(many.take(a).is_none(), "each slot once");
    /// std::mem::swap(x, y);
    /// assert_eq!((slab[a], slab[b]), (2, 1));
    /// ```
    pub fn disjoint_mut(&mut self) -> DisjointMut<'_, T> {
        let bases = self.slots.chunk_bases();
        DisjointMut {
            taken: (0..bases.len()).map(|_| None).collect(),
            bases,
            slots: &self.slots,
            _marker: PhantomData,
        }
    }

    /// The occupied slots in index order.
    pub fn iter(&self) -> impl Iterator<Item = (Handle<T>, &T)> + '_ {
        self.slots.live().map(Handle::from_raw).map(move |h| {
            // SAFETY: `live` yields only slots whose occupancy bit is set.
            (h, unsafe { self.slots.slot(h.raw).assume_init_ref() })
        })
    }
}

/// Mutable references to distinct slots of a [`Slab`], from
/// [`Slab::disjoint_mut`]; the slab stays borrowed while any of them lives.
///
/// A bit per slot records what was handed out, so asking twice for one slot
/// gets `None` instead of a second, aliasing reference. The bits are allocated a
/// chunk's worth at a time, when a slot of that chunk is first taken (1 KiB per
/// 8,192 `u64` slots), so a short walk over a huge slab costs little.
pub struct DisjointMut<'a, T> {
    /// The first slot of each chunk (see `SlotTable::chunk_bases`).
    bases: Vec<*mut MaybeUninit<T>>,
    /// Read only for occupancy bits, never for slot contents.
    slots: &'a SlotTable<MaybeUninit<T>>,
    /// Per chunk, the slots already handed out.
    taken: Vec<Option<Box<[u64]>>>,
    /// Behaves as `&'a mut Slab<T>`: invariant in `T`.
    _marker: PhantomData<&'a mut T>,
}

// SAFETY: a `DisjointMut` hands out `&'a mut T`s and nothing else, like the
// `&'a mut Slab<T>` it was made from, which is `Send` when `T: Send` and `Sync`
// when `T: Sync`; its raw pointers are not shared with anything else.
unsafe impl<T: Send> Send for DisjointMut<'_, T> {}
// SAFETY: as above; `&DisjointMut` gives access to no slot at all.
unsafe impl<T: Sync> Sync for DisjointMut<'_, T> {}

impl<'a, T> DisjointMut<'a, T> {
    /// Hints the CPU to load slot `h` soon (see [`crate::prefetch`]); does
    /// nothing for a vacant or out-of-range handle. Reads nothing.
    #[inline]
    pub fn prefetch(&self, h: Handle<T>) {
        if self.slots.contains(h.raw) {
            let (c, o) = SlotTable::<MaybeUninit<T>>::split(h.raw);
            crate::prefetch(self.bases[c].wrapping_add(o));
        }
    }

    /// The value in slot `h`, mutably for as long as the slab is borrowed; `None`
    /// if the slot is vacant, out of range, or was already taken.
    pub fn take(&mut self, h: Handle<T>) -> Option<&'a mut T> {
        if !self.slots.contains(h.raw) {
            return None;
        }
        let (c, o) = SlotTable::<MaybeUninit<T>>::split(h.raw);
        let bits = self.taken[c].get_or_insert_with(|| {
            vec![0u64; SlotTable::<MaybeUninit<T>>::CHUNK_LEN.div_ceil(64)].into_boxed_slice()
        });
        let (word, bit) = (o / 64, 1u64 << (o % 64));
        if bits[word] & bit != 0 {
            return None;
        }
        bits[word] |= bit;
        // SAFETY: slot `h` is live, so it lies inside chunk `c` (`o` < the chunk's
        // length) and holds an initialized `T` (module invariant). The slab is
        // mutably borrowed for `'a`, so nothing else reads or writes it meanwhile;
        // the taken bit guarantees this is the only reference made to this slot;
        // and `bases` came from `Vec::as_mut_ptr`, so references to distinct slots
        // do not overlap.
        Some(unsafe { (*self.bases[c].add(o)).assume_init_mut() })
    }
}

impl<T> fmt::Debug for DisjointMut<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DisjointMut")
            .field("slots", &self.slots.len())
            .finish_non_exhaustive()
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
        for i in 0..self.slots.high_water() {
            if self.slots.contains(i) {
                self.slots.forget(i);
                // SAFETY: the bit was set, so the slot is initialized; clearing it
                // first means a panicking `T::drop` cannot lead to a second drop of
                // this slot.
                unsafe { self.slots.slot_mut(i).assume_init_drop() };
            }
        }
    }
}

impl<T: Clone> Clone for Slab<T> {
    fn clone(&self) -> Self {
        // Slot by slot, so vacant slots stay vacant at the same indices and the copy
        // hands out the same handles next. If a `clone` panics, the values copied so
        // far leak (the partial table's slots are `MaybeUninit`): no double drop.
        let slots = self.slots.clone_with(|i, slot| {
            if self.slots.contains(i) {
                // SAFETY: the bit of slot `i` is set, so it is initialized.
                MaybeUninit::new(unsafe { slot.assume_init_ref() }.clone())
            } else {
                MaybeUninit::uninit()
            }
        });
        Slab { slots }
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
        assert_eq!(
            (copy.slots.free_list(), copy.high_water()),
            (slab.slots.free_list(), slab.high_water())
        );
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

    #[test]
    fn disjoint_mut_hands_out_each_live_slot_once() {
        let mut slab = Slab::new();
        let n = if cfg!(miri) { 300 } else { 20_000 };
        let hs: Vec<_> = (0..n).map(|i| slab.insert(i.to_string())).collect();
        let gone = slab.remove(hs[7]);
        assert_eq!(gone, "7");
        let mut many = slab.disjoint_mut();
        assert!(many.take(hs[7]).is_none(), "vacant");
        assert!(
            many.take(Handle::from_raw(n as u32 + 5)).is_none(),
            "out of range"
        );
        // Hold references into several chunks at once, in a scattered order.
        let mut held: Vec<&mut String> = Vec::new();
        for (i, h) in hs.iter().enumerate().rev().step_by(3) {
            if i != 7 {
                held.push(many.take(*h).expect("live and not yet taken"));
            }
        }
        for r in held.iter_mut() {
            r.push('!');
        }
        for (i, h) in hs.iter().enumerate().rev().step_by(3) {
            assert!(many.take(*h).is_none(), "slot {i} taken twice");
        }
        drop(many);
        for (i, h) in hs.iter().enumerate() {
            if i == 7 {
                continue;
            }
            let bang = (n - 1 - i) % 3 == 0;
            assert_eq!(slab[*h], format!("{i}{}", if bang { "!" } else { "" }));
        }
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
