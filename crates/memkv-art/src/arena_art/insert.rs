//! Insertion: descend, then add to a bucket (bursting it when it is full), split a
//! prefix, or add a child.

use memkv_arena::{BlobRef, Handle};

use super::bucket::{self, View, BUCKET_MAX};
use super::frag::Frag;
use super::node::{is_leaf, leaf_child, leaf_index, Child, NodeId, Step, NONE};
use super::{lcp, ArenaArt, Slot};

/// Arena compaction runs during inserts once dead bytes exceed this fraction
/// (1/DEAD_SHARE) of the live ones, and at least `DEAD_MIN` bytes: prefix splits
/// shorten prefixes in place, and the cut-off bytes would otherwise accumulate.
const DEAD_SHARE: usize = 8;
const DEAD_MIN: usize = 1 << 16;

impl<V> ArenaArt<V> {
    /// Stores `value` under `key`, returning the value it replaces.
    ///
    /// # Panics
    ///
    /// Like `Vec` on capacity overflow, if the map would exceed its addressing
    /// limits: 2^32 - 1 entries, 2^28 - 1 nodes of one size class, 16 GiB of leaf
    /// buckets (about 550 M keys at the bucket density of file paths), or 2^23
    /// byte-arena chunks (2 TiB of long prefixes).
    pub fn insert(&mut self, key: impl AsRef<[u8]>, value: V) -> Option<V> {
        self.insert_with_slot(key.as_ref(), value).1
    }

    /// [`insert`](ArenaArt::insert), also returning the value slot `key` now has
    /// (value slots do not move until the map is compacted).
    pub(super) fn insert_with_slot(&mut self, key: &[u8], value: V) -> (u32, Option<V>) {
        let (slot, old) = self.insert_inner(key, value);
        if old.is_none() {
            self.len += 1;
            let dead = self.arena.dead_bytes();
            if dead > DEAD_MIN && dead > self.arena.live_bytes() / DEAD_SHARE {
                self.compact_arena();
            }
        }
        (slot, old)
    }

    fn insert_inner(&mut self, key: &[u8], value: V) -> (u32, Option<V>) {
        let mut child = self.root;
        let mut d = 0;
        // Down to the bucket as a lookup goes, one dispatch per level; a node
        // that needs changing is handled below. `parent` is the node holding
        // `child` (NONE: the root slot), under byte `key[d - 1]`.
        let mut parent = NONE;
        while child != NONE && !is_leaf(child) {
            match self.nodes.step(child, &self.arena, key, d) {
                Step::Descend(c, next) => {
                    parent = child;
                    child = c;
                    d = next;
                }
                Step::Ends(_) | Step::Miss => break,
            }
        }
        let mut slot = if parent == NONE {
            Slot::Root
        } else {
            Slot::Child(NodeId::from_child(parent), key[d - 1])
        };
        loop {
            if child == NONE {
                // Only the root slot can be empty.
                let v = self.values.insert(value).into_raw();
                let leaf = self.single(&key[d..], v);
                self.write_slot(slot, leaf);
                return (v, None);
            }
            let rest = &key[d..];
            if is_leaf(child) {
                return self.insert_in_bucket(slot, child, rest, value);
            }
            let n = NodeId::from_child(child);
            let node = self.nodes.view(n);
            let Some(next) = node.header().skip_prefix(&self.arena, key, d) else {
                // The mismatch is rare (once per insert at most): only then find
                // where the prefix and the key part.
                let m = lcp(node.header().prefix().get(&self.arena), rest);
                return (self.split_prefix(slot, n, m, rest, value), None);
            };
            d = next;
            if d == key.len() {
                let hv = node.value();
                if hv != NONE {
                    let v = bucket::find(self.bucket(hv), b"").expect("a value bucket");
                    let old = std::mem::replace(&mut self.values[Handle::from_raw(v)], value);
                    return (v, Some(old));
                }
                let v = self.values.insert(value).into_raw();
                let leaf = self.single(b"", v);
                let grown = self.nodes.set_value(n, leaf);
                if grown != n {
                    self.write_slot(slot, grown.child());
                }
                return (v, None);
            }
            let b = key[d];
            match node.find_child(b) {
                Some(c) => {
                    slot = Slot::Child(n, b);
                    child = c;
                    d += 1;
                }
                None => {
                    let v = self.values.insert(value).into_raw();
                    let leaf = self.single(&key[d + 1..], v);
                    let grown = self.nodes.add_child(n, b, leaf);
                    if grown != n {
                        self.write_slot(slot, grown.child());
                    }
                    return (v, None);
                }
            }
        }
    }

    /// Stores `value` under suffix `rest` in bucket `c` (in `slot`): in place if
    /// the suffix is there, else in a rewritten bucket, or in a subtree when the
    /// bucket is full. Returns the value slot and the value replaced.
    fn insert_in_bucket(
        &mut self,
        slot: Slot,
        c: Child,
        rest: &[u8],
        value: V,
    ) -> (u32, Option<V>) {
        // The search below reads records all over the block: ask for its first
        // lines together instead of one miss after another.
        bucket::prefetch_block(self.bucket(c));
        let view = View::new(self.bucket(c));
        let at = match view.search(rest) {
            Ok(i) => {
                let v = view.value(i);
                let old = std::mem::replace(&mut self.values[Handle::from_raw(v)], value);
                return (v, Some(old));
            }
            Err(at) => at,
        };
        let v = self.values.insert(value).into_raw();
        let mut spliced = std::mem::take(&mut self.scratch);
        let view = View::new(self.bucket(c));
        let len = view.encoded_len();
        let new = if view.len() < BUCKET_MAX {
            bucket::inserted(&view, at, rest, v, &mut spliced);
            let r = self
                .buckets
                .replace(BlobRef::from_u32(leaf_index(c)), len, &spliced);
            self.scratch = spliced;
            let new = leaf_child(r.to_u32());
            if new == c {
                return (v, None);
            }
            new
        } else {
            let mut whole = Vec::with_capacity(len + view.len() * view.prefix().len() + rest.len());
            let mut spans = Vec::with_capacity(view.len() + 1);
            for i in 0..view.len() {
                let start = whole.len();
                bucket::push_suffix(&view, i, &mut whole);
                spans.push((start, whole.len(), view.value(i)));
            }
            let start = whole.len();
            whole.extend_from_slice(rest);
            spans.insert(at, (start, whole.len(), v));
            self.scratch = spliced;
            self.buckets.free(BlobRef::from_u32(leaf_index(c)), len);
            let all: Vec<(&[u8], u32)> = spans.iter().map(|&(s, e, v)| (&whole[s..e], v)).collect();
            self.build(&all)
        };
        self.write_slot(slot, new);
        (v, None)
    }

    /// A subtree holding `ents` (suffixes in strictly increasing order): one
    /// bucket if they fit, else a node splitting them by their first differing
    /// byte, with a subtree under each byte.
    pub(super) fn build(&mut self, ents: &[(&[u8], u32)]) -> Child {
        if ents.len() <= BUCKET_MAX {
            return self.new_bucket(&bucket::from_sorted(ents));
        }
        let first = ents[0].0;
        let c = lcp(first, ents[ents.len() - 1].0);
        let mut i = 0;
        let mut value = NONE;
        if first.len() == c {
            value = self.single(b"", ents[0].1);
            i = 1;
        }
        let mut group = Vec::with_capacity(BUCKET_MAX);
        let mut children = Vec::new();
        while i < ents.len() {
            let b = ents[i].0[c];
            group.clear();
            while i < ents.len() && ents[i].0[c] == b {
                group.push((&ents[i].0[c + 1..], ents[i].1));
                i += 1;
            }
            children.push((b, self.build(&group)));
        }
        let prefix = Frag::new(&mut self.arena, &[&first[..c]]);
        self.nodes.new_node(prefix, c, value, &children).child()
    }

    /// Splits node `n`'s prefix after its first `m` bytes (which `rest` shares) by
    /// a new Node2 above it, which also gets a bucket for `rest`. Returns the new
    /// value's slot.
    fn split_prefix(&mut self, slot: Slot, n: NodeId, m: usize, rest: &[u8], value: V) -> u32 {
        let old = self.prefix(n);
        let (split_byte, old_len) = (old[m], old.len());
        let prefix = Frag::new(&mut self.arena, &[&rest[..m]]);
        let top = self.nodes.new_node2(prefix, m);
        let mut p = *self.nodes.header(n).prefix();
        p.drop_front(&mut self.arena, m + 1);
        self.nodes.header_mut(n).set_prefix(p, old_len - m - 1);
        self.nodes.add_child(top, split_byte, n.child());
        let v = self.values.insert(value).into_raw();
        let same = match rest[m..].split_first() {
            None => {
                let leaf = self.single(b"", v);
                self.nodes.set_value(top, leaf)
            }
            Some((&b, tail)) => {
                let leaf = self.single(tail, v);
                self.nodes.add_child(top, b, leaf)
            }
        };
        debug_assert_eq!(same, top);
        self.write_slot(slot, top.child());
        v
    }
}
