//! Insertion: descend, then split a leaf or a prefix, or add a child.

use memkv_arena::Handle;

use super::frag::Frag;
use super::node::{is_leaf, leaf_index, NodeId, NONE};
use super::{lcp, ArenaArt, Slot};

/// Arena compaction runs during inserts once dead bytes exceed this fraction
/// (1/DEAD_SHARE) of the live ones, and at least `DEAD_MIN` bytes: leaf splits
/// shorten suffixes in place, and the cut-off bytes would otherwise accumulate.
const DEAD_SHARE: usize = 8;
const DEAD_MIN: usize = 1 << 16;

impl<V> ArenaArt<V> {
    /// Stores `value` under `key`, returning the value it replaces.
    ///
    /// # Panics
    ///
    /// Like `Vec` on capacity overflow, if the map would exceed its addressing
    /// limits: 2^31 - 1 entries, 2^28 - 1 nodes of one size class (about 700 M
    /// keys at the node density of file paths), or 2^23 byte-arena chunks (2 TiB
    /// of long key fragments).
    pub fn insert(&mut self, key: impl AsRef<[u8]>, value: V) -> Option<V> {
        let old = self.insert_inner(key.as_ref(), value);
        if old.is_none() {
            self.len += 1;
            let dead = self.arena.dead_bytes();
            if dead > DEAD_MIN && dead > self.arena.live_bytes() / DEAD_SHARE {
                self.compact_arena();
            }
        }
        old
    }

    fn insert_inner(&mut self, key: &[u8], value: V) -> Option<V> {
        let mut slot = Slot::Root;
        let mut child = self.root;
        let mut d = 0;
        loop {
            if child == NONE {
                // Only the root slot can be empty.
                let leaf = self.new_leaf(&key[d..], value);
                self.write_slot(slot, leaf);
                return None;
            }
            let rest = &key[d..];
            if is_leaf(child) {
                let l = leaf_index(child);
                let suffix = self.suffix(l);
                if suffix == rest {
                    let v = &mut self.values[Handle::from_raw(l)];
                    return Some(std::mem::replace(v, value));
                }
                self.split_leaf(slot, l, rest, value);
                return None;
            }
            let n = NodeId::from_child(child);
            let node = self.nodes.view(n);
            let Some(next) = node.header().skip_prefix(&self.arena, key, d) else {
                // The mismatch is rare (once per insert at most): only then find
                // where the prefix and the key part.
                let m = lcp(node.header().prefix().get(&self.arena), rest);
                self.split_prefix(slot, n, m, rest, value);
                return None;
            };
            d = next;
            if d == key.len() {
                let hv = node.value();
                if hv != NONE {
                    let v = &mut self.values[Handle::from_raw(leaf_index(hv))];
                    return Some(std::mem::replace(v, value));
                }
                let leaf = self.new_leaf(b"", value);
                let grown = self.nodes.set_value(n, leaf);
                if grown != n {
                    self.write_slot(slot, grown.child());
                }
                return None;
            }
            let b = key[d];
            match node.find_child(b) {
                Some(c) => {
                    slot = Slot::Child(n, b);
                    child = c;
                    d += 1;
                }
                None => {
                    let leaf = self.new_leaf(&key[d + 1..], value);
                    let grown = self.nodes.add_child(n, b, leaf);
                    if grown != n {
                        self.write_slot(slot, grown.child());
                    }
                    return None;
                }
            }
        }
    }

    /// Replaces leaf `l` (in `slot`, suffix != `rest`) by a Node2 holding it and a
    /// new leaf for `rest`.
    fn split_leaf(&mut self, slot: Slot, l: u32, rest: &[u8], value: V) {
        let suffix = self.suffix(l);
        let c = lcp(suffix, rest);
        // The byte under which the old leaf goes (None: it ends at the new node).
        let old_byte = suffix.get(c).copied();
        let prefix = Frag::new(&mut self.arena, &[&rest[..c]]);
        let n = self.nodes.new_node2(prefix, c);
        let h = Handle::from_raw(l);
        let old = super::node::leaf_child(l);
        match old_byte {
            None => {
                self.suffixes[h].drop_front(&mut self.arena, c);
                self.nodes.set_value(n, old);
            }
            Some(b) => {
                self.suffixes[h].drop_front(&mut self.arena, c + 1);
                self.nodes.add_child(n, b, old);
            }
        }
        self.attach_new(n, &rest[c..], value);
        self.write_slot(slot, n.child());
    }

    /// Splits node `n`'s prefix after its first `m` bytes (which `rest` shares) by
    /// a new Node2 above it, which also gets a leaf for `rest`.
    fn split_prefix(&mut self, slot: Slot, n: NodeId, m: usize, rest: &[u8], value: V) {
        let old = self.prefix(n);
        let (split_byte, old_len) = (old[m], old.len());
        let prefix = Frag::new(&mut self.arena, &[&rest[..m]]);
        let top = self.nodes.new_node2(prefix, m);
        let mut p = *self.nodes.header(n).prefix();
        p.drop_front(&mut self.arena, m + 1);
        self.nodes.header_mut(n).set_prefix(p, old_len - m - 1);
        self.nodes.add_child(top, split_byte, n.child());
        self.attach_new(top, &rest[m..], value);
        self.write_slot(slot, top.child());
    }

    /// Adds a leaf for the key whose remainder below fresh Node2 `n` is `rest`
    /// (which differs from everything already in `n`, so no growth is needed).
    fn attach_new(&mut self, n: NodeId, rest: &[u8], value: V) {
        match rest.split_first() {
            None => {
                let leaf = self.new_leaf(b"", value);
                let same = self.nodes.set_value(n, leaf);
                debug_assert_eq!(same, n);
            }
            Some((&b, tail)) => {
                let leaf = self.new_leaf(tail, value);
                let same = self.nodes.add_child(n, b, leaf);
                debug_assert_eq!(same, n);
            }
        }
    }
}
