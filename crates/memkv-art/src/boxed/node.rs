//! Node types of the boxed trees and the operations the algorithm needs from them.
//!
//! A child slot is a [`Child`]: a leaf (boxed or inline, as the policy says) or a
//! `Box` of one of the four inner node types. Every inner node is boxed at its own
//! exact size, so the slot stays 16 bytes whatever the node type: the "box the
//! large arrays" idea applied to every array.

use std::mem;

use crate::node_search;

use super::policy::{Leaf, Leaves, Policy, Strings};

/// The string handle type of policy `P`.
pub(crate) type Str<P> = <<P as Policy>::S as Strings>::Str;
/// The string store type of policy `P`.
pub(crate) type Store<P> = <<P as Policy>::S as Strings>::Store;
/// What a child slot holds for a leaf under policy `P`.
pub(crate) type LeafSlot<V, P> = <<P as Policy>::L as Leaves>::Slot<Str<P>, V>;

/// One child of an inner node (or the root).
pub(crate) enum Child<V, P: Policy> {
    Leaf(LeafSlot<V, P>),
    N3(Box<Node3<V, P>>),
    N4(Box<Node4<V, P>>),
    N16(Box<Node16<V, P>>),
    N48(Box<Node48<V, P>>),
    N256(Box<Node256<V, P>>),
}

/// Runs `$body` with `$n` bound to the inner node of `$child` (any of the four
/// types), or `$leaf` when it is a leaf. Static dispatch, one body for all types.
macro_rules! with_inner {
    ($child:expr, $n:ident => $body:expr, $l:ident => $leaf:expr) => {
        match $child {
            Child::Leaf($l) => $leaf,
            Child::N3($n) => $body,
            Child::N4($n) => $body,
            Child::N16($n) => $body,
            Child::N48($n) => $body,
            Child::N256($n) => $body,
        }
    };
}
pub(crate) use with_inner;

impl<V, P: Policy> Child<V, P> {
    /// A leaf child.
    pub(crate) fn leaf(suffix: Str<P>, value: V) -> Child<V, P> {
        Child::Leaf(P::L::wrap(Leaf { suffix, value }))
    }

    /// The smallest node type holding `entries`, with header `header`.
    pub(crate) fn inner(header: Header<V, P>, entries: Vec<(u8, Child<V, P>)>) -> Child<V, P> {
        match entries.len() + usize::from(header.end.is_some()) {
            0..=3 if P::NODE3 => Child::N3(Sorted::build(header, entries)),
            0..=4 => Child::N4(Sorted::build(header, entries)),
            5..=16 => Child::N16(Sorted::build(header, entries)),
            17..=48 => Child::N48(Node48::build(header, entries)),
            _ => Child::N256(Node256::build(header, entries)),
        }
    }

    /// The bytes of the inner node's box (0 for a leaf).
    pub(crate) fn node_bytes(&self) -> usize {
        with_inner!(self, n => mem::size_of_val::<_>(&**n), _l => 0)
    }
}

/// Prefetches the cache lines of `*node`'s first `len` bytes after the first line.
///
/// The offsets are fixed (every 64 bytes from the start, then the last byte), so
/// the code has no branch on where the node sits within a line: such a branch
/// depends on the pointer just loaded, is mispredicted half the time and then
/// throws away the work started for the next level (aligning to lines that way
/// ran about 5% behind fixed offsets in a same-process comparison, and no faster
/// than no prefetch at all). A line asked for twice costs nothing.
#[inline(always)]
fn prefetch_lines<T: ?Sized>(node: &T, len: usize) {
    const LINE: usize = 64;
    let start = std::ptr::from_ref(node).cast::<u8>();
    let mut at = LINE;
    while at < len {
        memkv_arena::prefetch(start.wrapping_add(at));
        at += LINE;
    }
    memkv_arena::prefetch(start.wrapping_add(len - 1));
}

/// An inner node taken apart: its header and its children in key order.
pub(crate) type Parts<V, P> = (Header<V, P>, Vec<(u8, Child<V, P>)>);

/// What an inner node has besides its keyed children, when taken apart or built.
pub(crate) struct Header<V, P: Policy> {
    /// The compressed path: key bytes every key below shares after the edge byte
    /// that leads here.
    pub(crate) prefix: Str<P>,
    /// The value of the key that ends exactly at this node (after the prefix), if
    /// any: how keys that are prefixes of other keys are stored.
    pub(crate) end: Option<V>,
}

/// The end value stored as a leaf with an empty suffix, so that it can sit in a
/// spare child slot instead of costing every node a field.
fn end_child<V, P: Policy>(value: V) -> Child<V, P> {
    Child::leaf(P::S::empty(), value)
}

fn end_value<V, P: Policy>(child: &Child<V, P>) -> &V {
    match child {
        Child::Leaf(l) => P::L::value(l),
        _ => unreachable!("an end slot holds a leaf"),
    }
}

fn end_value_mut<V, P: Policy>(child: &mut Child<V, P>) -> &mut V {
    match child {
        Child::Leaf(l) => P::L::parts_mut(l).1,
        _ => unreachable!("an end slot holds a leaf"),
    }
}

fn into_end_value<V, P: Policy>(child: Child<V, P>) -> V {
    match child {
        Child::Leaf(l) => P::L::unwrap(l).value,
        _ => unreachable!("an end slot holds a leaf"),
    }
}

/// The operations shared by the four inner node types.
pub(crate) trait Inner<V, P: Policy> {
    /// Most children.
    const CAPACITY: usize;
    /// Fewest children before the node shrinks to the next smaller type.
    const MIN: usize;
    /// The type's name, for error messages.
    const NAME: &'static str;
    /// How many bytes from its start a lookup may read in a node of this type:
    /// all of a Node4 or Node16 (the child slot it takes depends on the keys in
    /// the first line), a Node48's index; 0 where the first line is all it can
    /// know of in advance (a one-line Node3; a Node256, whose slot depends on the
    /// key byte).
    const SEARCH_BYTES: usize;

    /// Starts loading the lines past the first of the [`Inner::SEARCH_BYTES`],
    /// so that a lookup does not wait for the key line and then again for the
    /// child's line: both misses overlap.
    ///
    /// Called on the node itself, where its type is known, rather than on the
    /// child slot that points to it: there a second match on the slot's tag came
    /// on top of the lookup's own. Dropping it took `CompactArt` from 1,587 to
    /// 1,427 instructions per get on 1M Debian paths (callgrind); the gets' speed
    /// did not move measurably (eight alternating runs of each binary, median
    /// ratios 0.98 to 1.00), since they wait on the chain of node loads.
    #[inline(always)]
    fn prefetch_search_lines(&self) {
        if Self::SEARCH_BYTES > 64 {
            prefetch_lines(self, Self::SEARCH_BYTES);
        }
    }

    /// [`Inner::CAPACITY`] of the node's type.
    fn capacity(&self) -> usize {
        Self::CAPACITY
    }
    /// [`Inner::MIN`] of the node's type.
    fn min_children(&self) -> usize {
        Self::MIN
    }
    /// [`Inner::NAME`] of the node's type.
    fn name(&self) -> &'static str {
        Self::NAME
    }
    /// The compressed path (see [`Header::prefix`]).
    fn prefix(&self) -> &Str<P>;
    fn prefix_mut(&mut self) -> &mut Str<P>;
    /// The end value (see [`Header::end`]).
    fn end(&self) -> Option<&V>;
    fn end_mut(&mut self) -> Option<&mut V>;
    /// Sets the end value, returning the old one. Needs [`Inner::has_room`] when
    /// there is no end value yet.
    fn set_end(&mut self, value: V) -> Option<V>;
    fn take_end(&mut self) -> Option<V>;
    /// Number of keyed children (the end value not included).
    fn count(&self) -> usize;
    /// Whether one more entry (a child or the end value) fits.
    fn has_room(&self) -> bool;
    /// The child under key byte `b`.
    fn find(&self, b: u8) -> Option<&Child<V, P>>;
    /// The slot of the child under `b` (always `Some` inside when found).
    fn find_slot(&mut self, b: u8) -> Option<&mut Option<Child<V, P>>>;
    /// The child with the smallest key byte greater than `after` (any, if `None`).
    fn next_after(&self, after: Option<u8>) -> Option<(u8, &Child<V, P>)>;
    /// The child with the largest key byte smaller than `before` (any, if `None`).
    fn prev_before(&self, before: Option<u8>) -> Option<(u8, &Child<V, P>)>;
    /// Adds `child` under `b`; the node is not full and has no child under `b`.
    fn add(&mut self, b: u8, child: Child<V, P>);
    /// Removes the child under `b`.
    fn take(&mut self, b: u8) -> Option<Child<V, P>>;
    /// The header and the children in key order.
    fn into_parts(self: Box<Self>) -> Parts<V, P>;
    /// Checks the type's own layout rules (sorted keys, index consistency).
    fn check_layout(&self) -> Result<(), String>;
    /// Every child in key order.
    fn for_each<'a>(&'a self, f: &mut dyn FnMut(u8, &'a Child<V, P>));
}

/// Node4 and Node16: up to `N` entries, children under sorted key bytes.
///
/// Children fill `children[..count]`; the end value, if any, takes the last slot
/// (so a Node4 holding an end value has room for three children). Header fields
/// come first (`repr(C)`) so a search reads one cache line before the child.
#[repr(C)]
pub(crate) struct Sorted<V, P: Policy, const N: usize> {
    prefix: Str<P>,
    count: u8,
    has_end: bool,
    keys: [u8; N],
    children: [Option<Child<V, P>>; N],
}

/// Up to 3 entries, keys compared one by one: the smallest class of policies
/// with [`Policy::NODE3`] (the others start at Node4).
pub(crate) type Node3<V, P> = Sorted<V, P, 3>;
/// Up to 4 children, keys compared one by one.
pub(crate) type Node4<V, P> = Sorted<V, P, 4>;
/// Up to 16 children, keys compared with SSE2 on x86_64.
pub(crate) type Node16<V, P> = Sorted<V, P, 16>;

impl<V, P: Policy, const N: usize> Sorted<V, P, N> {
    fn build(header: Header<V, P>, entries: Vec<(u8, Child<V, P>)>) -> Box<Self> {
        let mut node = Box::new(Sorted {
            prefix: header.prefix,
            count: 0,
            has_end: false,
            keys: [0; N],
            children: std::array::from_fn(|_| None),
        });
        if let Some(v) = header.end {
            node.set_end(v);
        }
        for (b, c) in entries {
            node.add(b, c);
        }
        node
    }

    fn keys(&self) -> &[u8] {
        &self.keys[..usize::from(self.count)]
    }

    fn child_at(&self, i: usize) -> (u8, &Child<V, P>) {
        let child = self.children[i]
            .as_ref()
            .expect("sorted node slot below count is full");
        (self.keys[i], child)
    }
}

impl<V, P: Policy, const N: usize> Inner<V, P> for Sorted<V, P, N> {
    const CAPACITY: usize = N;
    // A Node4 above a Node3 shrinks once it has a single keyed child (and so at
    // most two entries): one entry of hysteresis, so that an insert and a remove
    // at the boundary do not rebuild the node each time.
    const MIN: usize = match N {
        4 if P::NODE3 => 2,
        3 | 4 => 0,
        _ => 4,
    };
    const NAME: &'static str = match N {
        3 => "Node3",
        4 => "Node4",
        _ => "Node16",
    };
    const SEARCH_BYTES: usize = match N {
        3 => 0,
        _ => mem::size_of::<Self>(),
    };

    fn prefix(&self) -> &Str<P> {
        &self.prefix
    }
    fn prefix_mut(&mut self) -> &mut Str<P> {
        &mut self.prefix
    }
    fn end(&self) -> Option<&V> {
        self.children[N - 1]
            .as_ref()
            .filter(|_| self.has_end)
            .map(end_value)
    }
    fn end_mut(&mut self) -> Option<&mut V> {
        let has_end = self.has_end;
        self.children[N - 1]
            .as_mut()
            .filter(|_| has_end)
            .map(end_value_mut)
    }
    fn set_end(&mut self, value: V) -> Option<V> {
        if let Some(old) = self.end_mut() {
            return Some(std::mem::replace(old, value));
        }
        debug_assert!(self.has_room());
        self.children[N - 1] = Some(end_child(value));
        self.has_end = true;
        None
    }
    fn take_end(&mut self) -> Option<V> {
        if !self.has_end {
            return None;
        }
        self.has_end = false;
        self.children[N - 1].take().map(into_end_value)
    }
    fn count(&self) -> usize {
        usize::from(self.count)
    }
    fn has_room(&self) -> bool {
        self.count() + usize::from(self.has_end) < N
    }
    fn find(&self, b: u8) -> Option<&Child<V, P>> {
        let i = node_search::find_in(&self.keys, self.count(), b)?;
        self.children[i].as_ref()
    }
    fn find_slot(&mut self, b: u8) -> Option<&mut Option<Child<V, P>>> {
        let i = node_search::find_in(&self.keys, self.count(), b)?;
        Some(&mut self.children[i])
    }
    fn next_after(&self, after: Option<u8>) -> Option<(u8, &Child<V, P>)> {
        let i = match after {
            None => 0,
            Some(u8::MAX) => return None,
            Some(a) => node_search::lower_bound_in(&self.keys, self.count(), a + 1),
        };
        (i < self.count()).then(|| self.child_at(i))
    }
    fn prev_before(&self, before: Option<u8>) -> Option<(u8, &Child<V, P>)> {
        let i = match before {
            None => self.count(),
            Some(b) => node_search::lower_bound_in(&self.keys, self.count(), b),
        };
        (i > 0).then(|| self.child_at(i - 1))
    }
    fn add(&mut self, b: u8, child: Child<V, P>) {
        let n = self.count();
        debug_assert!(self.has_room() && self.find(b).is_none());
        let i = node_search::lower_bound_in(&self.keys, self.count(), b);
        self.keys.copy_within(i..n, i + 1);
        self.keys[i] = b;
        self.children[i..=n].rotate_right(1);
        self.children[i] = Some(child);
        self.count += 1;
    }
    fn take(&mut self, b: u8) -> Option<Child<V, P>> {
        let i = node_search::find_in(&self.keys, self.count(), b)?;
        let n = self.count();
        let child = self.children[i].take();
        self.keys.copy_within(i + 1..n, i);
        self.children[i..n].rotate_left(1);
        self.count -= 1;
        child
    }
    fn into_parts(mut self: Box<Self>) -> Parts<V, P> {
        let end = self.take_end();
        let Sorted {
            prefix,
            count,
            keys,
            children,
            ..
        } = *self;
        let header = Header { prefix, end };
        let entries = keys
            .into_iter()
            .zip(children)
            .take(usize::from(count))
            .map(|(k, c)| (k, c.expect("sorted node slot below count is full")))
            .collect();
        (header, entries)
    }
    fn check_layout(&self) -> Result<(), String> {
        let n = self.count();
        if !self.keys().windows(2).all(|w| w[0] < w[1]) {
            return Err(format!(
                "{} keys not strictly sorted: {:?}",
                Self::NAME,
                self.keys()
            ));
        }
        if n + usize::from(self.has_end) > N {
            return Err(format!(
                "{} holds {n} children and an end value",
                Self::NAME
            ));
        }
        for (i, c) in self.children.iter().enumerate() {
            if c.is_some() != (i < n || (self.has_end && i == N - 1)) {
                return Err(format!(
                    "{} slot {i} occupancy disagrees with count {n}",
                    Self::NAME
                ));
            }
        }
        Ok(())
    }
    fn for_each<'a>(&'a self, f: &mut dyn FnMut(u8, &'a Child<V, P>)) {
        for i in 0..self.count() {
            let (b, c) = self.child_at(i);
            f(b, c);
        }
    }
}

/// Up to 48 children: a 256-entry index from key byte to slot.
#[repr(C)]
pub(crate) struct Node48<V, P: Policy> {
    prefix: Str<P>,
    count: u8,
    /// The slot of the end value plus one, or 0 when there is none.
    end_slot: u8,
    /// `index[b]` is 0 when there is no child under `b`, else its slot plus one.
    index: [u8; 256],
    children: [Option<Child<V, P>>; 48],
}

impl<V, P: Policy> Node48<V, P> {
    fn build(header: Header<V, P>, entries: Vec<(u8, Child<V, P>)>) -> Box<Self> {
        let mut node = Box::new(Node48 {
            prefix: header.prefix,
            count: 0,
            end_slot: 0,
            index: [0; 256],
            children: std::array::from_fn(|_| None),
        });
        if let Some(v) = header.end {
            node.set_end(v);
        }
        for (b, c) in entries {
            node.add(b, c);
        }
        node
    }

    fn free_slot(&self) -> usize {
        self.children
            .iter()
            .position(Option::is_none)
            .expect("Node48 with room has a free slot")
    }

    fn at(&self, b: usize) -> Option<(u8, &Child<V, P>)> {
        let slot = usize::from(self.index[b]).checked_sub(1)?;
        let child = self.children[slot].as_ref()?;
        Some((u8::try_from(b).expect("index position is a byte"), child))
    }
}

impl<V, P: Policy> Inner<V, P> for Node48<V, P> {
    const CAPACITY: usize = 48;
    const MIN: usize = 13;
    const NAME: &'static str = "Node48";
    const SEARCH_BYTES: usize = mem::offset_of!(Node48<V, P>, children);

    fn prefix(&self) -> &Str<P> {
        &self.prefix
    }
    fn prefix_mut(&mut self) -> &mut Str<P> {
        &mut self.prefix
    }
    fn end(&self) -> Option<&V> {
        let slot = usize::from(self.end_slot).checked_sub(1)?;
        self.children[slot].as_ref().map(end_value)
    }
    fn end_mut(&mut self) -> Option<&mut V> {
        let slot = usize::from(self.end_slot).checked_sub(1)?;
        self.children[slot].as_mut().map(end_value_mut)
    }
    fn set_end(&mut self, value: V) -> Option<V> {
        if let Some(old) = self.end_mut() {
            return Some(std::mem::replace(old, value));
        }
        debug_assert!(self.has_room());
        let slot = self.free_slot();
        self.children[slot] = Some(end_child(value));
        self.end_slot = u8::try_from(slot + 1).expect("slot < 48");
        None
    }
    fn take_end(&mut self) -> Option<V> {
        let slot = usize::from(self.end_slot).checked_sub(1)?;
        self.end_slot = 0;
        self.children[slot].take().map(into_end_value)
    }
    fn count(&self) -> usize {
        usize::from(self.count)
    }
    fn has_room(&self) -> bool {
        self.count() + usize::from(self.end_slot != 0) < 48
    }
    fn find(&self, b: u8) -> Option<&Child<V, P>> {
        self.at(usize::from(b)).map(|(_, c)| c)
    }
    fn find_slot(&mut self, b: u8) -> Option<&mut Option<Child<V, P>>> {
        let slot = usize::from(self.index[usize::from(b)]).checked_sub(1)?;
        Some(&mut self.children[slot])
    }
    fn next_after(&self, after: Option<u8>) -> Option<(u8, &Child<V, P>)> {
        let from = after.map_or(0, |a| usize::from(a) + 1);
        (from..256).find_map(|b| self.at(b))
    }
    fn prev_before(&self, before: Option<u8>) -> Option<(u8, &Child<V, P>)> {
        let to = before.map_or(256, usize::from);
        (0..to).rev().find_map(|b| self.at(b))
    }
    fn add(&mut self, b: u8, child: Child<V, P>) {
        debug_assert!(self.has_room() && self.index[usize::from(b)] == 0);
        let slot = self.free_slot();
        self.children[slot] = Some(child);
        self.index[usize::from(b)] = u8::try_from(slot + 1).expect("slot < 48");
        self.count += 1;
    }
    fn take(&mut self, b: u8) -> Option<Child<V, P>> {
        let slot = usize::from(self.index[usize::from(b)]).checked_sub(1)?;
        self.index[usize::from(b)] = 0;
        self.count -= 1;
        self.children[slot].take()
    }
    fn into_parts(mut self: Box<Self>) -> Parts<V, P> {
        let end = self.take_end();
        let Node48 {
            prefix,
            index,
            mut children,
            ..
        } = *self;
        let header = Header { prefix, end };
        let entries = (0..=u8::MAX)
            .filter_map(|b| {
                let slot = usize::from(index[usize::from(b)]).checked_sub(1)?;
                Some((b, children[slot].take().expect("indexed slot is full")))
            })
            .collect();
        (header, entries)
    }
    fn check_layout(&self) -> Result<(), String> {
        let mut seen = [false; 48];
        if let Some(slot) = usize::from(self.end_slot).checked_sub(1) {
            if slot >= 48 || self.children[slot].is_none() {
                return Err(format!("Node48 end slot {slot} is invalid"));
            }
            seen[slot] = true;
        }
        for &i in self.index.iter().filter(|&&i| i != 0) {
            let slot = usize::from(i) - 1;
            if slot >= 48 || seen[slot] || self.children[slot].is_none() {
                return Err(format!("Node48 index entry {i} is invalid or shared"));
            }
            seen[slot] = true;
        }
        let indexed = seen.iter().filter(|&&s| s).count();
        let full = self.children.iter().filter(|c| c.is_some()).count();
        let entries = self.count() + usize::from(self.end_slot != 0);
        if indexed != entries || full != entries {
            return Err(format!(
                "Node48 count {} but {indexed} indexed and {full} full slots",
                self.count
            ));
        }
        Ok(())
    }
    fn for_each<'a>(&'a self, f: &mut dyn FnMut(u8, &'a Child<V, P>)) {
        for b in 0..256 {
            if let Some((k, c)) = self.at(b) {
                f(k, c);
            }
        }
    }
}

/// Up to 256 children, one slot per key byte.
#[repr(C)]
pub(crate) struct Node256<V, P: Policy> {
    prefix: Str<P>,
    count: u16,
    /// The end value (as a leaf with an empty suffix).
    end: Option<Child<V, P>>,
    children: [Option<Child<V, P>>; 256],
}

impl<V, P: Policy> Node256<V, P> {
    fn build(header: Header<V, P>, entries: Vec<(u8, Child<V, P>)>) -> Box<Self> {
        let mut node = Box::new(Node256 {
            prefix: header.prefix,
            count: 0,
            end: header.end.map(end_child),
            children: std::array::from_fn(|_| None),
        });
        for (b, c) in entries {
            node.add(b, c);
        }
        node
    }

    fn at(&self, b: usize) -> Option<(u8, &Child<V, P>)> {
        let child = self.children[b].as_ref()?;
        Some((u8::try_from(b).expect("slot position is a byte"), child))
    }
}

impl<V, P: Policy> Inner<V, P> for Node256<V, P> {
    const CAPACITY: usize = 256;
    const MIN: usize = 41;
    const NAME: &'static str = "Node256";
    const SEARCH_BYTES: usize = 0;

    fn prefix(&self) -> &Str<P> {
        &self.prefix
    }
    fn prefix_mut(&mut self) -> &mut Str<P> {
        &mut self.prefix
    }
    fn end(&self) -> Option<&V> {
        self.end.as_ref().map(end_value)
    }
    fn end_mut(&mut self) -> Option<&mut V> {
        self.end.as_mut().map(end_value_mut)
    }
    fn set_end(&mut self, value: V) -> Option<V> {
        if let Some(old) = self.end_mut() {
            return Some(std::mem::replace(old, value));
        }
        self.end = Some(end_child(value));
        None
    }
    fn take_end(&mut self) -> Option<V> {
        self.end.take().map(into_end_value)
    }
    fn count(&self) -> usize {
        usize::from(self.count)
    }
    fn has_room(&self) -> bool {
        // Every key byte has its own slot and the end value its own field.
        true
    }
    fn find(&self, b: u8) -> Option<&Child<V, P>> {
        self.children[usize::from(b)].as_ref()
    }
    fn find_slot(&mut self, b: u8) -> Option<&mut Option<Child<V, P>>> {
        let slot = &mut self.children[usize::from(b)];
        slot.is_some().then_some(slot)
    }
    fn next_after(&self, after: Option<u8>) -> Option<(u8, &Child<V, P>)> {
        let from = after.map_or(0, |a| usize::from(a) + 1);
        (from..256).find_map(|b| self.at(b))
    }
    fn prev_before(&self, before: Option<u8>) -> Option<(u8, &Child<V, P>)> {
        let to = before.map_or(256, usize::from);
        (0..to).rev().find_map(|b| self.at(b))
    }
    fn add(&mut self, b: u8, child: Child<V, P>) {
        debug_assert!(self.children[usize::from(b)].is_none());
        self.children[usize::from(b)] = Some(child);
        self.count += 1;
    }
    fn take(&mut self, b: u8) -> Option<Child<V, P>> {
        let child = self.children[usize::from(b)].take()?;
        self.count -= 1;
        Some(child)
    }
    fn into_parts(mut self: Box<Self>) -> Parts<V, P> {
        let end = self.take_end();
        let Node256 {
            prefix, children, ..
        } = *self;
        let header = Header { prefix, end };
        let entries = (0..=u8::MAX)
            .zip(children)
            .filter_map(|(b, c)| Some((b, c?)))
            .collect();
        (header, entries)
    }
    fn check_layout(&self) -> Result<(), String> {
        let full = self.children.iter().filter(|c| c.is_some()).count();
        if full != self.count() {
            return Err(format!(
                "Node256 count {} but {full} full slots",
                self.count
            ));
        }
        Ok(())
    }
    fn for_each<'a>(&'a self, f: &mut dyn FnMut(u8, &'a Child<V, P>)) {
        for b in 0..256 {
            if let Some((k, c)) = self.at(b) {
                f(k, c);
            }
        }
    }
}
