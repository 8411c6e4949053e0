//! `compact`: rebuild the tree densely; and the byte arena's own compaction.

use std::ops::Bound;

use memkv_arena::{Handle, Pool, Relocator};

use super::frag::Frag;
use super::iter::Cursor;
use super::ArenaArt;

fn relocate(f: &mut Frag, reloc: &mut Relocator<'_>) {
    if let Some(r) = f.data_ref() {
        *f = Frag::from_data_ref(reloc.relocate(r));
    }
}

fn relocate_all<T: Copy>(
    slab: &mut Pool<T>,
    reloc: &mut Relocator<'_>,
    frag: impl Fn(&mut T) -> &mut Frag,
) {
    for i in 0..slab.high_water() {
        if let Some(x) = slab.get_mut(Handle::from_raw(i)) {
            relocate(frag(x), reloc);
        }
    }
}

impl<V> ArenaArt<V> {
    /// Rebuilds the map into fresh storage: nodes packed into dense slabs with no
    /// free slots and the smallest node kinds that fit, buckets and values in key
    /// order (the bucket store keeps the few blocks its last rewrites freed, about
    /// 0.1 byte per key), the byte arena without dead bytes, and no spare
    /// capacity. Run it after
    /// removing many keys; it takes O(n) time and briefly needs the memory of a
    /// second copy.
    pub fn compact(&mut self) {
        let empty = self.empty_like();
        let mut old = std::mem::replace(self, empty);
        let mut cursor = Cursor::default();
        cursor.seek_first(old.shape(), Bound::Unbounded);
        while let Some(l) =
            cursor.next_forward(old.shape(), |l| old.values.prefetch(Handle::from_raw(l)))
        {
            // The cursor reads nodes and buckets only, so values can move out.
            let value = old.values.remove(Handle::from_raw(l));
            self.insert(cursor.key(), value);
        }
        drop(old);
        self.compact_arena();
        self.shrink_to_fit();
    }

    /// Copies every live fragment into a fresh byte arena, dropping dead bytes.
    pub(super) fn compact_arena(&mut self) {
        let nodes = &mut self.nodes;
        self.arena.compact(|reloc| {
            relocate_all(&mut nodes.n2, reloc, |x| x.h.prefix_for_relocation());
            relocate_all(&mut nodes.n4, reloc, |x| x.h.prefix_for_relocation());
            relocate_all(&mut nodes.n8, reloc, |x| x.h.prefix_for_relocation());
            relocate_all(&mut nodes.n16, reloc, |x| x.h.prefix_for_relocation());
            relocate_all(&mut nodes.n48, reloc, |x| x.h.prefix_for_relocation());
            relocate_all(&mut nodes.n256, reloc, |x| x.h.prefix_for_relocation());
        });
    }
}
