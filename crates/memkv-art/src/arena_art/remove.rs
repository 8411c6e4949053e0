//! Removal: take the entry out of its bucket, then shrink or collapse the nodes
//! left too small.

use memkv_arena::{BlobRef, Handle};

use super::bucket::{self, View};
use super::frag::Frag;
use super::node::{is_leaf, leaf_index, NodeId, NONE};
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
                let view = View::new(self.bucket(child));
                let at = view.search(&key[d..]).ok()?;
                let v = view.value(at);
                let len = view.encoded_len();
                let left = (view.len() > 1).then(|| bucket::removed(&view, at));
                self.buckets.free(BlobRef::from_u32(leaf_index(child)), len);
                let value = self.values.remove(Handle::from_raw(v));
                self.len -= 1;
                if let Some(block) = left {
                    let new = self.new_bucket(&block);
                    self.write_slot(slot, new);
                    return Some(value);
                }
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
                let v = bucket::find(self.bucket(hv), b"").expect("a value bucket");
                let n2 = self.nodes.set_value(n, NONE);
                if n2 != n {
                    self.write_slot(slot, n2.child());
                }
                self.free_bucket(hv);
                let value = self.values.remove(Handle::from_raw(v));
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

    /// Replaces node `n` (in `slot`) by its only entry when it has just one left,
    /// merging its prefix (and the branch byte) into that entry.
    fn collapse(&mut self, slot: Slot, n: NodeId) {
        let hv = self.nodes.value(n);
        let count = self.nodes.child_count(n);
        let (mut head, c) = match (count, hv != NONE) {
            // Only the key ending here remains: its bucket entry takes the node's
            // prefix as its suffix.
            (0, true) => (self.prefix(n).to_vec(), hv),
            (1, false) => {
                let (b, c) = self.nodes.next_child(n, 0).expect("one child");
                let mut head = self.prefix(n).to_vec();
                head.push(b);
                (head, c)
            }
            _ => return,
        };
        let header = self.nodes.free(n);
        header.prefix().free(&mut self.arena);
        let merged = if is_leaf(c) {
            let block = bucket::prepended(&View::new(self.bucket(c)), &head);
            self.free_bucket(c);
            self.new_bucket(&block)
        } else {
            let below = NodeId::from_child(c);
            let old = *self.nodes.header(below).prefix();
            head.extend_from_slice(old.get(&self.arena));
            old.free(&mut self.arena);
            let f = Frag::new(&mut self.arena, &[&head]);
            self.nodes.header_mut(below).set_prefix(f, head.len());
            c
        };
        self.write_slot(slot, merged);
    }
}
