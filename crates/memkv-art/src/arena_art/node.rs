//! The six inner-node layouts, the 4-byte child encoding and the node pools.
//!
//! ```text
//! Child (u32): 1 | bucket ref (31 bits)              a leaf bucket (BlobRef)
//!              0 | kind (3 bits) | index (28 bits)   an inner node in pool `kind`
//!              0xFFFF_FFFF                           no child
//! Header (8 bytes): prefix Frag (6) | prefix length (1) | count + has_value (1)
//! Node2:   header | keys [u8; 2]  | pad 2 | children [u32; 2]      20 bytes
//! Node4:   header | keys [u8; 4]  | children [u32; 4]              28 bytes
//! Node8:   header | keys [u8; 8]  | children [u32; 8]              48 bytes
//! Node16:  header | keys [u8; 16] | children [u32; 16]             88 bytes
//! Node48:  header | value | index [u8; 256] (slot + 1) | children [u32; 48]   460 bytes
//! Node256: header | value | children [u32; 256] | count (u16)     1040 bytes
//! ```
//!
//! The *value* of a node is the bucket (of one entry) of the key that ends exactly
//! there (after its prefix). The small nodes (Node2/4/16) have no field for it: when `has_value` is
//! set, their last child slot holds it and they have room for one child less, which
//! saves 4 bytes on every node (most have no value). The small nodes keep their
//! keys sorted ([`crate::node_search`] searches them); Node48 and Node256 index by
//! byte. Node2 and Node8 are not in the ART paper: most branch points on real keys
//! are binary, and a Node16 holding 5 to 8 children wastes 40 bytes.
//!
//! Nodes grow when full and shrink with hysteresis (entries = children + value):
//! Node4 to Node2 at 2 entries, Node8 to Node4 at 3, Node16 to Node8 at 7, Node48
//! to Node16 at 12 children, Node256 to Node48 at 37, so an insert-remove pair at
//! a boundary does not reallocate every time.

use memkv_arena::{ByteArena, Handle, Pool};

use super::frag::{Frag, INLINE};
use crate::node_search::{find_byte, find_byte16, lower_bound, lower_bound16};

/// A child slot: a leaf, an inner node or nothing.
pub(super) type Child = u32;
/// No child.
pub(super) const NONE: Child = u32::MAX;
const LEAF_BIT: u32 = 1 << 31;
const KIND_SHIFT: u32 = 28;
const INDEX_MASK: u32 = (1 << KIND_SHIFT) - 1;
/// Leaf indices must stay below this (so a leaf child is never `NONE`).
const MAX_LEAVES: u32 = LEAF_BIT - 1;

/// Whether `c` names a leaf.
#[inline]
pub(super) fn is_leaf(c: Child) -> bool {
    c != NONE && c & LEAF_BIT != 0
}

/// The bucket ref (as a `u32`) of leaf child `c`.
#[inline]
pub(super) fn leaf_index(c: Child) -> u32 {
    debug_assert!(is_leaf(c));
    c & !LEAF_BIT
}

/// The child naming leaf `i`.
pub(super) fn leaf_child(i: u32) -> Child {
    assert!(i < MAX_LEAVES, "ArenaArt: bucket ref {i} out of range");
    i | LEAF_BIT
}

/// The node size classes.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Kind {
    N2 = 0,
    N4 = 1,
    N8 = 2,
    N16 = 3,
    N48 = 4,
    N256 = 5,
}

/// An inner node: its kind and index in that kind's slab.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) struct NodeId {
    pub(super) kind: Kind,
    pub(super) index: u32,
}

impl NodeId {
    /// The child slot naming this node.
    pub(super) fn child(self) -> Child {
        assert!(
            self.index < INDEX_MASK,
            "ArenaArt: more than {INDEX_MASK} nodes of one kind"
        );
        ((self.kind as u32) << KIND_SHIFT) | self.index
    }

    /// The node named by inner-node child `c`.
    #[inline(always)]
    pub(super) fn from_child(c: Child) -> NodeId {
        debug_assert!(c != NONE && !is_leaf(c));
        let kind = match c >> KIND_SHIFT {
            0 => Kind::N2,
            1 => Kind::N4,
            2 => Kind::N8,
            3 => Kind::N16,
            4 => Kind::N48,
            _ => Kind::N256,
        };
        NodeId {
            kind,
            index: c & INDEX_MASK,
        }
    }
}

/// `Header::plen` of a prefix of 255 bytes or more (the arena item has the length).
pub(super) const PLEN_LONG: u8 = u8::MAX;
/// `Header::meta` bit of a small node holding a value in its last child slot.
const HAS_VALUE: u8 = 0x80;
/// `Header::meta` bits holding the child count (small nodes and Node48).
const COUNT_MASK: u8 = 0x7F;

/// What every inner node starts with.
///
/// The prefix length is kept here, next to the reference to the prefix bytes, so
/// that a lookup knows where the key goes on without waiting for the byte arena:
/// it moves to the next node at once and compares the prefix bytes on the side
/// (the comparison decides only whether the lookup fails, which the CPU predicts).
#[derive(Clone, Copy, Debug)]
pub(super) struct Header {
    /// Key bytes every key below this node shares after the parent's branch byte.
    prefix: Frag,
    /// The prefix length, or [`PLEN_LONG`] when it is 255 or more.
    plen: u8,
    /// Small nodes: child count (low 7 bits) and [`HAS_VALUE`]. Node48: child count.
    /// Node256: unused (0); its count and value have fields of their own.
    meta: u8,
}

impl Header {
    /// A header with `prefix` (of `len` bytes) and no entries.
    pub(super) fn new(prefix: Frag, len: usize) -> Header {
        Header {
            prefix,
            plen: plen_of(len),
            meta: 0,
        }
    }

    /// The prefix fragment.
    #[inline(always)]
    pub(super) fn prefix(&self) -> &Frag {
        &self.prefix
    }

    /// The prefix fragment, to move its arena item (its bytes must not change).
    pub(super) fn prefix_for_relocation(&mut self) -> &mut Frag {
        &mut self.prefix
    }

    /// Replaces the prefix by `prefix` of `len` bytes.
    pub(super) fn set_prefix(&mut self, prefix: Frag, len: usize) {
        self.prefix = prefix;
        self.plen = plen_of(len);
    }

    /// The stored prefix length ([`PLEN_LONG`] for 255 or more).
    pub(super) fn plen(&self) -> u8 {
        self.plen
    }

    #[inline(always)]
    fn count(&self) -> usize {
        usize::from(self.meta & COUNT_MASK)
    }

    #[inline(always)]
    fn has_value(&self) -> bool {
        self.meta & HAS_VALUE != 0
    }

    fn set_count(&mut self, count: usize) {
        debug_assert!(count <= usize::from(COUNT_MASK));
        self.meta = (self.meta & HAS_VALUE) | count as u8;
    }

    fn set_has_value(&mut self, on: bool) {
        self.meta = (self.meta & COUNT_MASK) | if on { HAS_VALUE } else { 0 };
    }

    /// `key[d..]` after the prefix: `Some(d + prefix length)` if the key goes on
    /// with the prefix, else `None`.
    ///
    /// The result's offset comes from the header alone; the arena bytes of a long
    /// prefix only decide between `Some` and `None`, so a lookup that goes on does
    /// not wait for them.
    #[inline(always)]
    pub(super) fn skip_prefix(&self, arena: &ByteArena, key: &[u8], d: usize) -> Option<usize> {
        let plen = usize::from(self.plen);
        if plen <= INLINE {
            return self.prefix.match_inline(key, d, plen);
        }
        if self.plen == PLEN_LONG {
            return self.prefix.match_len(arena, &key[d..]).map(|l| d + l);
        }
        let end = d + plen;
        let rest = key.get(d..end)?;
        if self.prefix.arena_bytes(arena, plen) != rest {
            return None;
        }
        Some(end)
    }
}

/// [`Header::plen`] of a prefix of `len` bytes.
fn plen_of(len: usize) -> u8 {
    u8::try_from(len).unwrap_or(PLEN_LONG)
}

/// Up to `N` entries with sorted keys; the value, if any, in `children[N - 1]`.
#[derive(Clone, Copy, Debug)]
pub(super) struct Small<const N: usize> {
    pub(super) h: Header,
    keys: [u8; N],
    children: [Child; N],
}

/// Up to 48 children, addressed through a 256-entry index.
#[derive(Clone, Copy, Debug)]
pub(super) struct Node48 {
    pub(super) h: Header,
    value: Child,
    index: [u8; 256],
    children: [Child; 48],
}

/// Up to 256 children, addressed directly.
#[derive(Clone, Copy, Debug)]
pub(super) struct Node256 {
    pub(super) h: Header,
    value: Child,
    children: [Child; 256],
    count: u16,
}

impl<const N: usize> Small<N> {
    #[inline]
    fn keys(&self) -> &[u8] {
        &self.keys[..self.h.count()]
    }

    #[inline]
    fn value(&self) -> Child {
        if self.h.has_value() {
            self.children[N - 1]
        } else {
            NONE
        }
    }

    /// Room for children.
    fn capacity(&self) -> usize {
        N - usize::from(self.h.has_value())
    }

    #[inline]
    fn find(&self, byte: u8) -> Option<usize> {
        // Node16 searches its whole key array with SSE2 (the tail is masked off).
        match <&[u8; 16]>::try_from(&self.keys[..]) {
            Ok(all) => find_byte16(all, self.h.count(), byte),
            Err(_) => find_byte(self.keys(), byte),
        }
    }

    fn lower_bound(&self, byte: u8) -> usize {
        match <&[u8; 16]>::try_from(&self.keys[..]) {
            Ok(all) => lower_bound16(all, self.h.count(), byte),
            Err(_) => lower_bound(self.keys(), byte),
        }
    }

    fn insert(&mut self, byte: u8, child: Child) {
        let count = self.h.count();
        debug_assert!(count < self.capacity());
        let pos = self.lower_bound(byte);
        self.keys.copy_within(pos..count, pos + 1);
        self.children.copy_within(pos..count, pos + 1);
        self.keys[pos] = byte;
        self.children[pos] = child;
        self.h.set_count(count + 1);
    }

    fn remove(&mut self, byte: u8) {
        let count = self.h.count();
        let pos = self.find(byte).expect("child exists");
        self.keys.copy_within(pos + 1..count, pos);
        self.children.copy_within(pos + 1..count, pos);
        self.keys[count - 1] = 0;
        self.children[count - 1] = NONE;
        self.h.set_count(count - 1);
    }

    fn next(&self, from: u8) -> Option<(u8, Child)> {
        let pos = self.lower_bound(from);
        (pos < self.h.count()).then(|| (self.keys[pos], self.children[pos]))
    }

    fn prev(&self, upto: u8) -> Option<(u8, Child)> {
        let keys = self.keys();
        let pos = keys.partition_point(|&k| k <= upto);
        (pos > 0).then(|| (keys[pos - 1], self.children[pos - 1]))
    }

    fn layout_ok(&self) -> bool {
        let count = self.h.count();
        count <= self.capacity()
            && self.keys().windows(2).all(|w| w[0] < w[1])
            && self.children[..count].iter().all(|&c| c != NONE)
            && self.children[count..self.capacity()]
                .iter()
                .all(|&c| c == NONE)
            && (!self.h.has_value() || self.children[N - 1] != NONE)
    }
}

/// A node's contents, moved between size classes when it grows or shrinks.
struct Entries {
    h: Header,
    value: Child,
    keys: [u8; 256],
    children: [Child; 256],
    count: usize,
}

/// The node slabs, one per size class.
#[derive(Default, Clone, Debug)]
pub(super) struct Nodes {
    pub(super) n2: Pool<Small<2>>,
    pub(super) n4: Pool<Small<4>>,
    pub(super) n8: Pool<Small<8>>,
    pub(super) n16: Pool<Small<16>>,
    pub(super) n48: Pool<Node48>,
    pub(super) n256: Pool<Node256>,
}

#[inline(always)]
fn h<T>(i: u32) -> Handle<T> {
    Handle::from_raw(i)
}

/// Runs `$body` with `$x` bound to the node `$n` (`$get` is `index` or `index_mut`
/// through `&`/`&mut`), for whichever slab holds it.
macro_rules! with_node {
    ($self:expr, $n:expr, $x:ident => $small:expr, $x48:ident => $big48:expr, $x256:ident => $big256:expr) => {
        match $n.kind {
            Kind::N2 => {
                let $x = &$self.n2[h($n.index)];
                $small
            }
            Kind::N4 => {
                let $x = &$self.n4[h($n.index)];
                $small
            }
            Kind::N8 => {
                let $x = &$self.n8[h($n.index)];
                $small
            }
            Kind::N16 => {
                let $x = &$self.n16[h($n.index)];
                $small
            }
            Kind::N48 => {
                let $x48 = &$self.n48[h($n.index)];
                $big48
            }
            Kind::N256 => {
                let $x256 = &$self.n256[h($n.index)];
                $big256
            }
        }
    };
}

macro_rules! with_node_mut {
    ($self:expr, $n:expr, $x:ident => $small:expr, $x48:ident => $big48:expr, $x256:ident => $big256:expr) => {
        match $n.kind {
            Kind::N2 => {
                let $x = &mut $self.n2[h($n.index)];
                $small
            }
            Kind::N4 => {
                let $x = &mut $self.n4[h($n.index)];
                $small
            }
            Kind::N8 => {
                let $x = &mut $self.n8[h($n.index)];
                $small
            }
            Kind::N16 => {
                let $x = &mut $self.n16[h($n.index)];
                $small
            }
            Kind::N48 => {
                let $x48 = &mut $self.n48[h($n.index)];
                $big48
            }
            Kind::N256 => {
                let $x256 = &mut $self.n256[h($n.index)];
                $big256
            }
        }
    };
}

impl Nodes {
    /// A new Node2 with `prefix` and no entries (the caller adds two).
    pub(super) fn new_node2(&mut self, prefix: Frag, len: usize) -> NodeId {
        let i = self.n2.insert(Small {
            h: Header::new(prefix, len),
            keys: [0; 2],
            children: [NONE; 2],
        });
        NodeId {
            kind: Kind::N2,
            index: i.into_raw(),
        }
    }

    /// A new node of the smallest kind that holds `children` (in key order) and
    /// `value` (or `NONE`), with `prefix` of `len` bytes: one allocation, where
    /// adding the children one by one would grow the node class by class.
    pub(super) fn new_node(
        &mut self,
        prefix: Frag,
        len: usize,
        value: Child,
        children: &[(u8, Child)],
    ) -> NodeId {
        let mut e = Entries {
            h: Header::new(prefix, len),
            value,
            keys: [0; 256],
            children: [NONE; 256],
            count: children.len(),
        };
        for (i, &(b, c)) in children.iter().enumerate() {
            e.keys[i] = b;
            e.children[i] = c;
        }
        let entries = children.len() + usize::from(value != NONE);
        let kind = match entries {
            0..=2 => Kind::N2,
            3..=4 => Kind::N4,
            5..=8 => Kind::N8,
            9..=16 => Kind::N16,
            _ if children.len() <= 48 => Kind::N48,
            _ => Kind::N256,
        };
        self.build(kind, &e)
    }

    pub(super) fn header(&self, n: NodeId) -> &Header {
        with_node!(self, n, x => &x.h, x => &x.h, x => &x.h)
    }

    pub(super) fn header_mut(&mut self, n: NodeId) -> &mut Header {
        with_node_mut!(self, n, x => &mut x.h, x => &mut x.h, x => &mut x.h)
    }

    /// The leaf of the key ending at `n`, or `NONE`.
    pub(super) fn value(&self, n: NodeId) -> Child {
        with_node!(self, n, x => x.value(), x => x.value, x => x.value)
    }

    /// Number of children.
    pub(super) fn child_count(&self, n: NodeId) -> usize {
        with_node!(self, n, x => x.h.count(), x => x.h.count(), x => usize::from(x.count))
    }

    /// The child under `byte`.
    pub(super) fn find_child(&self, n: NodeId, byte: u8) -> Option<Child> {
        with_node!(self, n,
        x => x.find(byte).map(|pos| x.children[pos]),
        x => {
            let slot = x.index[usize::from(byte)];
            (slot != 0).then(|| x.children[usize::from(slot - 1)])
        },
        x => {
            let c = x.children[usize::from(byte)];
            (c != NONE).then_some(c)
        })
    }

    /// Replaces the existing child under `byte`.
    pub(super) fn set_child(&mut self, n: NodeId, byte: u8, child: Child) {
        with_node_mut!(self, n,
            x => {
                let pos = x.find(byte).expect("child exists");
                x.children[pos] = child;
            },
            x => {
                let slot = x.index[usize::from(byte)];
                assert!(slot != 0, "child exists");
                x.children[usize::from(slot - 1)] = child;
            },
            x => x.children[usize::from(byte)] = child)
    }

    /// Whether `n` has room for one more entry.
    fn has_room(&self, n: NodeId) -> bool {
        with_node!(self, n,
            x => x.h.count() < x.capacity(),
            x => x.h.count() < 48,
            _x => true)
    }

    /// Adds `child` under `byte` (absent so far), growing the node if it is full.
    /// Returns the node's id, which changes when it grew.
    pub(super) fn add_child(&mut self, n: NodeId, byte: u8, child: Child) -> NodeId {
        let n = if self.has_room(n) { n } else { self.grow(n) };
        with_node_mut!(self, n,
        x => x.insert(byte, child),
        x => {
            let slot = x.children.iter().position(|&c| c == NONE).expect("a free slot");
            x.children[slot] = child;
            x.index[usize::from(byte)] = slot as u8 + 1;
            x.h.set_count(x.h.count() + 1);
        },
        x => {
            debug_assert_eq!(x.children[usize::from(byte)], NONE);
            x.children[usize::from(byte)] = child;
            x.count += 1;
        });
        n
    }

    /// Sets (or, with `NONE`, clears) the value of `n`, growing it when it has no
    /// room or shrinking it when it gets sparse. Returns the node's id.
    pub(super) fn set_value(&mut self, n: NodeId, value: Child) -> NodeId {
        let had = self.value(n) != NONE;
        let n = if value != NONE && !had && !self.has_room(n) {
            self.grow(n)
        } else {
            n
        };
        with_node_mut!(self, n,
        x => {
            x.h.set_has_value(value != NONE);
            let last = x.children.len() - 1;
            x.children[last] = value;
        },
        x => x.value = value,
        x => x.value = value);
        if value == NONE {
            self.maybe_shrink(n)
        } else {
            n
        }
    }

    /// Removes the child under `byte` (present), shrinking the node when it gets
    /// sparse. Returns the node's id, which changes when it shrank.
    pub(super) fn remove_child(&mut self, n: NodeId, byte: u8) -> NodeId {
        with_node_mut!(self, n,
        x => x.remove(byte),
        x => {
            let slot = std::mem::replace(&mut x.index[usize::from(byte)], 0);
            assert!(slot != 0, "child exists");
            x.children[usize::from(slot - 1)] = NONE;
            x.h.set_count(x.h.count() - 1);
        },
        x => {
            debug_assert_ne!(x.children[usize::from(byte)], NONE);
            x.children[usize::from(byte)] = NONE;
            x.count -= 1;
        });
        self.maybe_shrink(n)
    }

    fn maybe_shrink(&mut self, n: NodeId) -> NodeId {
        let count = self.child_count(n);
        let entries = count + usize::from(self.value(n) != NONE);
        let smaller = match n.kind {
            Kind::N2 => None,
            Kind::N4 => (entries <= 2).then_some(Kind::N2),
            Kind::N8 => (entries <= 3).then_some(Kind::N4),
            Kind::N16 => (entries <= 7).then_some(Kind::N8),
            Kind::N48 => (count <= 12).then_some(Kind::N16),
            Kind::N256 => (count <= 37).then_some(Kind::N48),
        };
        match smaller {
            Some(kind) => {
                let e = self.take(n);
                self.build(kind, &e)
            }
            None => n,
        }
    }

    fn grow(&mut self, n: NodeId) -> NodeId {
        /// The same entries in a wider small node: the common grows (Node2 to
        /// Node4 to Node8 to Node16) copy only the used slots instead of going
        /// through a 1.3 KB [`Entries`].
        fn widen<const N: usize, const M: usize>(x: Small<N>) -> Small<M> {
            let count = x.h.count();
            let mut y = Small {
                h: x.h,
                keys: [0; M],
                children: [NONE; M],
            };
            y.keys[..count].copy_from_slice(&x.keys[..count]);
            y.children[..count].copy_from_slice(&x.children[..count]);
            if x.h.has_value() {
                y.children[M - 1] = x.children[N - 1];
            }
            debug_assert!(y.layout_ok());
            y
        }
        let index = match n.kind {
            Kind::N2 => Some((Kind::N4, {
                let x = self.n2.remove(h(n.index));
                self.n4.insert(widen(x)).into_raw()
            })),
            Kind::N4 => Some((Kind::N8, {
                let x = self.n4.remove(h(n.index));
                self.n8.insert(widen(x)).into_raw()
            })),
            Kind::N8 => Some((Kind::N16, {
                let x = self.n8.remove(h(n.index));
                self.n16.insert(widen(x)).into_raw()
            })),
            _ => None,
        };
        if let Some((kind, index)) = index {
            return NodeId { kind, index };
        }
        let bigger = match n.kind {
            Kind::N2 => Kind::N4,
            Kind::N4 => Kind::N8,
            Kind::N8 => Kind::N16,
            Kind::N16 => Kind::N48,
            Kind::N48 | Kind::N256 => Kind::N256,
        };
        let e = self.take(n);
        self.build(bigger, &e)
    }

    /// Removes node `n` from its slab, returning its contents in key order.
    fn take(&mut self, n: NodeId) -> Entries {
        let mut e = Entries {
            h: *self.header(n),
            value: self.value(n),
            keys: [0; 256],
            children: [NONE; 256],
            count: 0,
        };
        for (b, c) in self.children(n) {
            e.keys[e.count] = b;
            e.children[e.count] = c;
            e.count += 1;
        }
        self.free(n);
        e
    }

    /// A new node of `kind` holding `e` (which fits).
    fn build(&mut self, kind: Kind, e: &Entries) -> NodeId {
        fn small<const N: usize>(e: &Entries) -> Small<N> {
            let mut x = Small {
                h: e.h,
                keys: [0; N],
                children: [NONE; N],
            };
            x.h.set_count(e.count);
            x.h.set_has_value(e.value != NONE);
            x.keys[..e.count].copy_from_slice(&e.keys[..e.count]);
            x.children[..e.count].copy_from_slice(&e.children[..e.count]);
            if e.value != NONE {
                x.children[N - 1] = e.value;
            }
            debug_assert!(x.layout_ok());
            x
        }
        let index = match kind {
            Kind::N2 => self.n2.insert(small(e)).into_raw(),
            Kind::N4 => self.n4.insert(small(e)).into_raw(),
            Kind::N8 => self.n8.insert(small(e)).into_raw(),
            Kind::N16 => self.n16.insert(small(e)).into_raw(),
            Kind::N48 => {
                let mut x = Node48 {
                    h: Header {
                        meta: e.count as u8,
                        ..e.h
                    },
                    value: e.value,
                    index: [0; 256],
                    children: [NONE; 48],
                };
                for i in 0..e.count {
                    x.index[usize::from(e.keys[i])] = i as u8 + 1;
                    x.children[i] = e.children[i];
                }
                self.n48.insert(x).into_raw()
            }
            Kind::N256 => {
                let mut x = Node256 {
                    h: Header { meta: 0, ..e.h },
                    value: e.value,
                    children: [NONE; 256],
                    count: e.count as u16,
                };
                for i in 0..e.count {
                    x.children[usize::from(e.keys[i])] = e.children[i];
                }
                self.n256.insert(x).into_raw()
            }
        };
        NodeId { kind, index }
    }

    /// The first child whose byte is `>= from` (`from` up to 256).
    pub(super) fn next_child(&self, n: NodeId, from: u16) -> Option<(u8, Child)> {
        let from = u8::try_from(from).ok()?;
        with_node!(self, n,
            x => x.next(from),
            x => (usize::from(from)..256)
                .find(|&b| x.index[b] != 0)
                .map(|b| (b as u8, x.children[usize::from(x.index[b] - 1)])),
            x => (usize::from(from)..256)
                .find(|&b| x.children[b] != NONE)
                .map(|b| (b as u8, x.children[b])))
    }

    /// The last child whose byte is `<= upto`.
    pub(super) fn prev_child(&self, n: NodeId, upto: u8) -> Option<(u8, Child)> {
        with_node!(self, n,
            x => x.prev(upto),
            x => (0..=usize::from(upto))
                .rev()
                .find(|&b| x.index[b] != 0)
                .map(|b| (b as u8, x.children[usize::from(x.index[b] - 1)])),
            x => (0..=usize::from(upto))
                .rev()
                .find(|&b| x.children[b] != NONE)
                .map(|b| (b as u8, x.children[b])))
    }

    /// Hints the CPU to load node `n` soon.
    #[inline]
    pub(super) fn prefetch(&self, n: NodeId) {
        match n.kind {
            Kind::N2 => self.n2.prefetch(h(n.index)),
            Kind::N4 => self.n4.prefetch(h(n.index)),
            Kind::N8 => self.n8.prefetch(h(n.index)),
            Kind::N16 => self.n16.prefetch(h(n.index)),
            Kind::N48 => self.n48.prefetch(h(n.index)),
            Kind::N256 => self.n256.prefetch(h(n.index)),
        }
    }

    /// Every child of `n` in key order.
    pub(super) fn children(&self, n: NodeId) -> impl Iterator<Item = (u8, Child)> + '_ {
        let mut next = 0u16;
        std::iter::from_fn(move || {
            let (b, c) = self.next_child(n, next)?;
            next = u16::from(b) + 1;
            Some((b, c))
        })
    }

    /// Node `n`'s children, the highest key byte first.
    pub(super) fn children_rev(&self, n: NodeId) -> impl Iterator<Item = (u8, Child)> + '_ {
        let mut last = Some(u8::MAX);
        std::iter::from_fn(move || {
            let (b, c) = self.prev_child(n, last?)?;
            last = b.checked_sub(1);
            Some((b, c))
        })
    }

    /// Frees node `n`, returning its header (its prefix is the caller's business).
    pub(super) fn free(&mut self, n: NodeId) -> Header {
        match n.kind {
            Kind::N2 => self.n2.remove(h(n.index)).h,
            Kind::N4 => self.n4.remove(h(n.index)).h,
            Kind::N8 => self.n8.remove(h(n.index)).h,
            Kind::N16 => self.n16.remove(h(n.index)).h,
            Kind::N48 => self.n48.remove(h(n.index)).h,
            Kind::N256 => self.n256.remove(h(n.index)).h,
        }
    }

    /// Checks the layout rules of node `n` that do not need the rest of the tree.
    pub(super) fn check_node(&self, n: NodeId) -> Result<(), String> {
        let live = match n.kind {
            Kind::N2 => self.n2.contains(h(n.index)),
            Kind::N4 => self.n4.contains(h(n.index)),
            Kind::N8 => self.n8.contains(h(n.index)),
            Kind::N16 => self.n16.contains(h(n.index)),
            Kind::N48 => self.n48.contains(h(n.index)),
            Kind::N256 => self.n256.contains(h(n.index)),
        };
        if !live {
            return Err(format!("{n:?} is reachable but vacant"));
        }
        let count = self.child_count(n);
        let entries = count + usize::from(self.value(n) != NONE);
        let (min, max, what) = match n.kind {
            Kind::N2 => (2, 2, entries),
            Kind::N4 => (3, 4, entries),
            Kind::N8 => (4, 8, entries),
            Kind::N16 => (8, 16, entries),
            Kind::N48 => (13, 48, count),
            Kind::N256 => (38, 256, count),
        };
        if what < min || what > max {
            return Err(format!(
                "{n:?} has {count} children and {entries} entries: outside {min}..={max}"
            ));
        }
        let meta_ok = with_node!(self, n,
            x => x.h.has_value() == (x.value() != NONE),
            x => x.h.meta == x.h.count() as u8,
            x => x.h.meta == 0);
        if !meta_ok {
            return Err(format!("{n:?}: header flags disagree with the node"));
        }
        let ok = with_node!(self, n,
            x => x.layout_ok(),
            x => {
                let mut used = [false; 48];
                let mut live = 0;
                for &slot in &x.index {
                    if slot != 0 {
                        let s = usize::from(slot - 1);
                        if s >= 48 || used[s] || x.children[s] == NONE {
                            return Err(format!("{n:?}: bad index slot {slot}"));
                        }
                        used[s] = true;
                        live += 1;
                    }
                }
                live == count && x.children.iter().filter(|&&c| c != NONE).count() == count
            },
            x => x.children.iter().filter(|&&c| c != NONE).count() == count);
        if ok {
            Ok(())
        } else {
            Err(format!(
                "{n:?}: keys unsorted or children out of step with count {count}"
            ))
        }
    }
}

/// A borrowed node of any kind, fetched once per level on the lookup path.
#[derive(Clone, Copy)]
pub(super) enum View<'a> {
    S2(&'a Small<2>),
    S4(&'a Small<4>),
    S8(&'a Small<8>),
    S16(&'a Small<16>),
    N48(&'a Node48),
    N256(&'a Node256),
}

impl<'a> View<'a> {
    #[inline(always)]
    pub(super) fn header(self) -> &'a Header {
        match self {
            View::S2(x) => &x.h,
            View::S4(x) => &x.h,
            View::S8(x) => &x.h,
            View::S16(x) => &x.h,
            View::N48(x) => &x.h,
            View::N256(x) => &x.h,
        }
    }

    #[inline(always)]
    pub(super) fn value(self) -> Child {
        match self {
            View::S2(x) => x.value(),
            View::S4(x) => x.value(),
            View::S8(x) => x.value(),
            View::S16(x) => x.value(),
            View::N48(x) => x.value,
            View::N256(x) => x.value,
        }
    }

    #[inline(always)]
    pub(super) fn find_child(self, byte: u8) -> Option<Child> {
        #[inline]
        fn small<const N: usize>(x: &Small<N>, byte: u8) -> Option<Child> {
            x.find(byte).map(|pos| x.children[pos])
        }
        match self {
            View::S2(x) => small(x, byte),
            View::S4(x) => small(x, byte),
            View::S8(x) => small(x, byte),
            View::S16(x) => small(x, byte),
            View::N48(x) => {
                let slot = x.index[usize::from(byte)];
                (slot != 0).then(|| x.children[usize::from(slot - 1)])
            }
            View::N256(x) => {
                let c = x.children[usize::from(byte)];
                (c != NONE).then_some(c)
            }
        }
    }
}

/// What one level of a lookup found.
pub(super) enum Step {
    /// Go on at this child, with this many key bytes consumed.
    Descend(Child, usize),
    /// The key ends at this node: its value leaf (`NONE` if it has none).
    Ends(Child),
    /// The key is not in the map.
    Miss,
}

/// The accessors a lookup needs, for every node layout.
trait Inner {
    fn header(&self) -> &Header;
    fn value(&self) -> Child;
    fn child(&self, byte: u8) -> Option<Child>;
}

impl<const N: usize> Inner for Small<N> {
    #[inline(always)]
    fn header(&self) -> &Header {
        &self.h
    }
    #[inline(always)]
    fn value(&self) -> Child {
        Small::value(self)
    }
    #[inline(always)]
    fn child(&self, byte: u8) -> Option<Child> {
        self.find(byte).map(|pos| self.children[pos])
    }
}

impl Inner for Node48 {
    #[inline(always)]
    fn header(&self) -> &Header {
        &self.h
    }
    #[inline(always)]
    fn value(&self) -> Child {
        self.value
    }
    #[inline(always)]
    fn child(&self, byte: u8) -> Option<Child> {
        let slot = self.index[usize::from(byte)];
        (slot != 0).then(|| self.children[usize::from(slot - 1)])
    }
}

impl Inner for Node256 {
    #[inline(always)]
    fn header(&self) -> &Header {
        &self.h
    }
    #[inline(always)]
    fn value(&self) -> Child {
        self.value
    }
    #[inline(always)]
    fn child(&self, byte: u8) -> Option<Child> {
        let c = self.children[usize::from(byte)];
        (c != NONE).then_some(c)
    }
}

/// One lookup level in node `x`, whose prefix starts at `key[d..]`.
#[inline(always)]
fn step_in<T: Inner>(x: &T, arena: &ByteArena, key: &[u8], d: usize) -> Step {
    let Some(d) = x.header().skip_prefix(arena, key, d) else {
        return Step::Miss;
    };
    match key.get(d) {
        None => Step::Ends(x.value()),
        Some(&b) => match x.child(b) {
            Some(c) => Step::Descend(c, d + 1),
            None => Step::Miss,
        },
    }
}

impl Nodes {
    /// One level of a lookup of `key` at inner-node child `c`, `d` bytes in.
    ///
    /// Dispatches on the child's kind bits once and keeps every access to the
    /// node in one inlined body: the lookup path runs this 16 times per key on
    /// file paths, so a per-field `match` on the kind showed up in profiles.
    #[inline(always)]
    pub(super) fn step(&self, c: Child, arena: &ByteArena, key: &[u8], d: usize) -> Step {
        debug_assert!(c != NONE && !is_leaf(c));
        let i = c & INDEX_MASK;
        match c >> KIND_SHIFT {
            0 => step_in(&self.n2[h(i)], arena, key, d),
            1 => step_in(&self.n4[h(i)], arena, key, d),
            2 => step_in(&self.n8[h(i)], arena, key, d),
            3 => step_in(&self.n16[h(i)], arena, key, d),
            4 => step_in(&self.n48[h(i)], arena, key, d),
            _ => step_in(&self.n256[h(i)], arena, key, d),
        }
    }
}

impl Nodes {
    /// Node `n`, borrowed.
    #[inline(always)]
    pub(super) fn view(&self, n: NodeId) -> View<'_> {
        match n.kind {
            Kind::N2 => View::S2(&self.n2[h(n.index)]),
            Kind::N4 => View::S4(&self.n4[h(n.index)]),
            Kind::N8 => View::S8(&self.n8[h(n.index)]),
            Kind::N16 => View::S16(&self.n16[h(n.index)]),
            Kind::N48 => View::N48(&self.n48[h(n.index)]),
            Kind::N256 => View::N256(&self.n256[h(n.index)]),
        }
    }
}
