//! Insertion in two steps: `locate` descends to the key's value slot or to the
//! [`Hole`] it goes in; `fill` adds it there: into a bucket (bursting it when it
//! is full), by splitting a prefix, as a node's end value, or as a new child. The
//! entry API keeps the hole between the two.

use memkv_arena::{BlobRef, Handle};

use super::bucket::{self, View, BUCKET_MAX};
use super::frag::Frag;
use super::node::{is_leaf, leaf_child, leaf_index, Child, NodeId, Step, NONE};
use super::{lcp, ArenaArt, Slot};

/// Where an absent key goes: what [`ArenaArt::locate`] found at the end of its
/// descent, for [`ArenaArt::fill`] to act on. `d` is how many key bytes the path
/// above has spelled.
#[derive(Clone, Copy, Debug)]
pub(super) enum Hole {
    /// The map is empty: a bucket goes in the root slot.
    Empty { slot: Slot, d: usize },
    /// Into bucket `bucket` (in `slot`), at record position `at`.
    Bucket {
        slot: Slot,
        bucket: Child,
        d: usize,
        at: usize,
    },
    /// Node `n`'s prefix parts from the key after `m` bytes: split it.
    Prefix {
        slot: Slot,
        n: NodeId,
        d: usize,
        m: usize,
    },
    /// The key ends at node `n`, which has no value yet.
    End { slot: Slot, n: NodeId },
    /// Node `n` has no child under `key[d]`.
    Child { slot: Slot, n: NodeId, d: usize },
}

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
    /// limits: 2^32 - 1 entries, 2^28 - 1 nodes of one size class, about 136 GiB
    /// of leaf buckets (more than 2^32 keys at the bucket density of file paths),
    /// or 2^23 byte-arena chunks (2 TiB of long prefixes).
    pub fn insert(&mut self, key: impl AsRef<[u8]>, value: V) -> Option<V> {
        let key = key.as_ref();
        match self.locate(key) {
            Ok(v) => Some(std::mem::replace(
                &mut self.values[Handle::from_raw(v)],
                value,
            )),
            Err(hole) => {
                self.fill(hole, key, value);
                None
            }
        }
    }

    /// Where `key` is: `Ok(its value slot)`, or `Err` with the place an insert of
    /// it goes, valid until the map next changes.
    pub(super) fn locate(&self, key: &[u8]) -> Result<u32, Hole> {
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
                return Err(Hole::Empty { slot, d });
            }
            let rest = &key[d..];
            if is_leaf(child) {
                // The search below reads records all over the block: ask for its
                // first lines together instead of one miss after another.
                bucket::prefetch_block(self.bucket(child));
                let view = View::new(self.bucket(child));
                // An insert reads records across the block and then copies it
                // whole: ask for the rest of its lines as soon as its head
                // says how long it is.
                view.prefetch_rest();
                return match view.search(rest) {
                    Ok(i) => Ok(view.value(i)),
                    Err(at) => Err(Hole::Bucket {
                        slot,
                        bucket: child,
                        d,
                        at,
                    }),
                };
            }
            let n = NodeId::from_child(child);
            let node = self.nodes.view(n);
            let Some(next) = node.header().skip_prefix(&self.arena, key, d) else {
                // The mismatch is rare (once per insert at most): only then find
                // where the prefix and the key part.
                let m = lcp(node.header().prefix().get(&self.arena), rest);
                return Err(Hole::Prefix { slot, n, d, m });
            };
            d = next;
            if d == key.len() {
                let hv = node.value();
                if hv != NONE {
                    return Ok(bucket::find(self.bucket(hv), b"").expect("a value bucket"));
                }
                return Err(Hole::End { slot, n });
            }
            let b = key[d];
            match node.find_child(b) {
                Some(c) => {
                    slot = Slot::Child(n, b);
                    child = c;
                    d += 1;
                }
                None => return Err(Hole::Child { slot, n, d }),
            }
        }
    }

    /// Inserts `value` under `key` at `hole`, which [`locate`](ArenaArt::locate)
    /// returned for `key` with no change to the map since; returns its value slot.
    pub(super) fn fill(&mut self, hole: Hole, key: &[u8], value: V) -> u32 {
        let v = self.values.insert(value).into_raw();
        match hole {
            Hole::Empty { slot, d } => {
                let leaf = self.single(&key[d..], v);
                self.write_slot(slot, leaf);
            }
            Hole::Bucket {
                slot,
                bucket,
                d,
                at,
            } => self.insert_in_bucket(slot, bucket, &key[d..], at, v),
            Hole::Prefix { slot, n, d, m } => self.split_prefix(slot, n, m, &key[d..], v),
            Hole::End { slot, n } => {
                let leaf = self.single(b"", v);
                let grown = self.nodes.set_value(n, leaf);
                if grown != n {
                    self.write_slot(slot, grown.child());
                }
            }
            Hole::Child { slot, n, d } => {
                let leaf = self.single(&key[d + 1..], v);
                let grown = self.nodes.add_child(n, key[d], leaf);
                if grown != n {
                    self.write_slot(slot, grown.child());
                }
            }
        }
        self.len += 1;
        let dead = self.arena.dead_bytes();
        if dead > DEAD_MIN && dead > self.arena.live_bytes() / DEAD_SHARE {
            self.compact_arena();
        }
        v
    }

    /// Adds value slot `v` under suffix `rest`, which belongs at position `at`, to
    /// bucket `c` (in `slot`): in a rewritten bucket, or in a subtree when the
    /// bucket is full.
    fn insert_in_bucket(&mut self, slot: Slot, c: Child, rest: &[u8], at: usize, v: u32) {
        let mut spliced = std::mem::take(&mut self.scratch);
        let view = View::new(self.bucket(c));
        let len = view.encoded_len();
        let new = if view.len() < BUCKET_MAX {
            let used = bucket::inserted(&view, at, rest, v, &mut spliced);
            let r = self
                .buckets
                .replace(BlobRef::from_u32(leaf_index(c)), len, &spliced[..used]);
            self.scratch = spliced;
            let new = leaf_child(r.to_u32());
            if new == c {
                return;
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
    /// a new Node2 above it, which also gets a bucket for `rest` holding value
    /// slot `v`.
    fn split_prefix(&mut self, slot: Slot, n: NodeId, m: usize, rest: &[u8], v: u32) {
        let old = self.prefix(n);
        let (split_byte, old_len) = (old[m], old.len());
        let prefix = Frag::new(&mut self.arena, &[&rest[..m]]);
        let top = self.nodes.new_node2(prefix, m);
        let mut p = *self.nodes.header(n).prefix();
        p.drop_front(&mut self.arena, m + 1);
        self.nodes.header_mut(n).set_prefix(p, old_len - m - 1);
        self.nodes.add_child(top, split_byte, n.child());
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
    }
}
