//! Removal: unlink the leaf, then shrink or collapse the nodes left too small.

use memkv_arena::Handle;

use super::frag::Frag;
use super::node::{is_leaf, leaf_index, Child, NodeId, NONE};
use super::{ArenaArt, Slot};

impl<V> ArenaArt<V> {
    /// Removes `key`, returning its value.
    pub fn remove(&mut self, key: impl AsRef<[u8]>) -> Option<V> {
        let key = key.as_ref();
        // The slot of the node above the current one (to rewrite when it changes).
        let mut parent_slot = Slot::Root;
        let mut slot = Slot::Root;
        let mut child = self.root;
        let mut d = 0;
        loop {
            if child == NONE {
                return None;
            }
            if is_leaf(child) {
                let l = leaf_index(child);
                if self.suffix(l) != &key[d..] {
                    return None;
                }
                let value = self.free_leaf(l);
                self.len -= 1;
                match slot {
                    Slot::Root => self.root = NONE,
                    Slot::Child(n, b) => {
                        let n2 = self.nodes.remove_child(n, b);
                        if n2 != n {
                            self.write_slot(parent_slot, n2.child());
                        }
                        self.collapse(parent_slot, n2);
                    }
                }
                return Some(value);
            }
            let n = NodeId::from_child(child);
            d = self.nodes.header(n).skip_prefix(&self.arena, key, d)?;
            if d == key.len() {
                let hv = self.nodes.value(n);
                if hv == NONE {
                    return None;
                }
                let n2 = self.nodes.set_value(n, NONE);
                if n2 != n {
                    self.write_slot(slot, n2.child());
                }
                let value = self.free_leaf(leaf_index(hv));
                self.len -= 1;
                self.collapse(slot, n2);
                return Some(value);
            }
            let b = key[d];
            let c = self.nodes.find_child(n, b)?;
            parent_slot = slot;
            slot = Slot::Child(n, b);
            child = c;
            d += 1;
        }
    }

    /// The fragment below a branch byte: a leaf's suffix or a node's prefix.
    fn frag(&self, c: Child) -> Frag {
        if is_leaf(c) {
            self.suffixes[Handle::from_raw(leaf_index(c))]
        } else {
            *self.nodes.header(NodeId::from_child(c)).prefix()
        }
    }

    /// Replaces the fragment below a branch byte by `f`, of `len` bytes.
    fn set_frag(&mut self, c: Child, f: Frag, len: usize) {
        if is_leaf(c) {
            self.suffixes[Handle::from_raw(leaf_index(c))] = f;
        } else {
            self.nodes
                .header_mut(NodeId::from_child(c))
                .set_prefix(f, len);
        }
    }

    /// Replaces node `n` (in `slot`) by its only entry when it has just one left,
    /// merging its prefix into that entry.
    fn collapse(&mut self, slot: Slot, n: NodeId) {
        let hv = self.nodes.value(n);
        let count = self.nodes.child_count(n);
        match (count, hv != NONE) {
            (0, true) => {
                // Only the key ending here remains: its leaf takes the node's
                // prefix as its suffix (its own suffix is empty).
                let header = self.nodes.free(n);
                let l = leaf_index(hv);
                let h = Handle::from_raw(l);
                debug_assert_eq!(self.suffixes[h], Frag::EMPTY);
                self.suffixes[h] = *header.prefix();
                self.write_slot(slot, hv);
            }
            (1, false) => {
                let (b, c) = self.nodes.next_child(n, 0).expect("one child");
                let header = self.nodes.free(n);
                let old = self.frag(c);
                let mut merged = header.prefix().get(&self.arena).to_vec();
                merged.push(b);
                merged.extend_from_slice(old.get(&self.arena));
                header.prefix().free(&mut self.arena);
                old.free(&mut self.arena);
                let len = merged.len();
                let merged = Frag::new(&mut self.arena, &[&merged]);
                self.set_frag(c, merged, len);
                self.write_slot(slot, c);
            }
            _ => {}
        }
    }
}
