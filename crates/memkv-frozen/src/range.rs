//! [`FrozenRange`]: the streaming, double-ended iterator of ranges, prefixes and
//! full scans.
//!
//! A range is resolved to a half-open interval of ordinals `[front, back)` when it
//! is created (two root-to-leaf walks). Each end then walks with a [`PathCursor`]:
//! it finds the key of its first ordinal once (outputs are ordinals, so each step
//! down picks the last transition whose output does not exceed the target), keeps
//! the branch points of its path as a stack, and moves to the next (or previous)
//! key by popping to the nearest one and descending along first (or last)
//! transitions, so a step costs the length of the changed suffix, not of the key.
//! The two ends meet by ordinal, so mixing `next` and `next_back` never yields an
//! entry twice.
//!
//! The forward walk used to be `fst`'s own stream, which spent about 3,700
//! instructions per entry on 1M Debian paths (callgrind) copying its stack
//! frames and re-deriving outputs the ordinals already give.

use std::fmt;
use std::iter::FusedIterator;

use fst::raw::{CompiledAddr, Fst, Node};

use crate::storage::Section;
use crate::{lookup, FrozenLayer};

/// The entries of a [`FrozenLayer`] within some bounds, in key order, without
/// collecting them first. Yields `(key, value)`; iterate backward with `.rev()`.
pub struct FrozenRange<'a> {
    layer: &'a FrozenLayer,
    /// Created on the first `next`, so a reverse-only scan never builds it.
    forward: Option<PathCursor>,
    /// Created on the first `next_back`.
    backward: Option<PathCursor>,
    /// Ordinal of the next entry from the front.
    front: u64,
    /// One past the ordinal of the next entry from the back.
    back: u64,
}

impl fmt::Debug for FrozenRange<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FrozenRange")
            .field("front", &self.front)
            .field("back", &self.back)
            .finish_non_exhaustive()
    }
}

impl<'a> FrozenRange<'a> {
    pub(crate) fn new(layer: &'a FrozenLayer, front: u64, back: u64) -> FrozenRange<'a> {
        FrozenRange {
            layer,
            forward: None,
            backward: None,
            front,
            back,
        }
    }

    /// The ordinals still to be yielded: `front..back`.
    pub fn ordinals(&self) -> std::ops::Range<u64> {
        self.front..self.back
    }

    /// The next entry from the front, its key lent until the next call (the
    /// `Iterator` methods copy it into a `Vec<u8>`).
    pub fn next_ref(&mut self) -> Option<(&[u8], u64)> {
        if self.front >= self.back {
            return None;
        }
        let ordinal = self.front;
        let fst = self.layer.fst();
        let Some(cursor) = advance(&mut self.forward, fst, ordinal, PathCursor::step_forward)
        else {
            self.front = self.back;
            return None;
        };
        self.front = ordinal + 1;
        Some((&cursor.key, self.layer.value_at(ordinal)))
    }

    /// The next entry from the back, its key lent until the next call.
    pub fn next_back_ref(&mut self) -> Option<(&[u8], u64)> {
        if self.front >= self.back {
            return None;
        }
        let ordinal = self.back - 1;
        let fst = self.layer.fst();
        let Some(cursor) = advance(&mut self.backward, fst, ordinal, PathCursor::step_back) else {
            self.back = self.front;
            return None;
        };
        self.back = ordinal;
        Some((&cursor.key, self.layer.value_at(ordinal)))
    }
}

/// Moves one end's cursor onto the key of `ordinal`: by a walk from the root the
/// first time, else by one `step` from the key it holds (the neighbouring
/// ordinal). `None` only on a damaged FST, which runs out of keys before the
/// ordinals do.
fn advance<'c>(
    cursor: &'c mut Option<PathCursor>,
    fst: &Fst<Section>,
    ordinal: u64,
    step: fn(&mut PathCursor, &[u8]) -> Option<()>,
) -> Option<&'c PathCursor> {
    match cursor {
        Some(c) => step(c, fst.as_bytes())?,
        None => *cursor = Some(PathCursor::at(fst, ordinal)?),
    }
    cursor.as_ref()
}

impl Iterator for FrozenRange<'_> {
    type Item = (Vec<u8>, u64);

    fn next(&mut self) -> Option<(Vec<u8>, u64)> {
        self.next_ref().map(|(k, v)| (k.to_vec(), v))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = usize::try_from(self.back - self.front).unwrap_or(usize::MAX);
        (n, Some(n))
    }
}

impl DoubleEndedIterator for FrozenRange<'_> {
    fn next_back(&mut self) -> Option<(Vec<u8>, u64)> {
        self.next_back_ref().map(|(k, v)| (k.to_vec(), v))
    }
}

/// A position on one key of the FST, kept as the path from the root.
#[derive(Debug)]
struct PathCursor {
    /// The branch points on the way to `key`: each node it passes that has
    /// more than one transition or is final, with the index of the transition
    /// taken, the node's transition count and finality (so that popping past a
    /// node needs no decoding unless the walk turns there) and the key length
    /// there. A node with one transition that is not final is left out: no walk
    /// ever turns or stops at it, and keys spell long chains of them, so
    /// leaving them out spares a scan a push and a pop per byte.
    path: Vec<Step>,
    key: Vec<u8>,
    /// The node `key` ends at.
    end: CompiledAddr,
}

#[derive(Clone, Copy, Debug)]
struct Step {
    addr: CompiledAddr,
    index: usize,
    /// The node's transition count.
    ntrans: usize,
    is_final: bool,
    /// How many bytes of the key lead to this node.
    depth: usize,
}

impl Step {
    /// Whether a walk can turn or stop at this node: only then is it kept on
    /// the path.
    fn branches(&self) -> bool {
        self.ntrans > 1 || self.is_final
    }
}

impl PathCursor {
    /// The cursor on the key of ordinal `ordinal`.
    fn at(fst: &Fst<Section>, ordinal: u64) -> Option<PathCursor> {
        let mut cursor = PathCursor {
            path: Vec::new(),
            key: Vec::new(),
            end: fst.root().addr(),
        };
        let mut node = fst.root();
        let mut rest = ordinal;
        while rest != 0 || !node.is_final() {
            // Outputs are ordinals: the subtree holding `ordinal` is behind the last
            // transition whose output does not exceed what is left of it.
            let (i, t) = node
                .transitions()
                .enumerate()
                .take_while(|(_, t)| t.out.value() <= rest)
                .last()?;
            rest -= t.out.value();
            cursor.push(&node, i, t.inp);
            node = fst.node(t.addr);
        }
        cursor.end = node.addr();
        Some(cursor)
    }

    fn push(&mut self, node: &Node<'_>, index: usize, input: u8) {
        let step = Step {
            addr: node.addr(),
            index,
            ntrans: node.len(),
            is_final: node.is_final(),
            depth: self.key.len(),
        };
        if step.branches() {
            self.path.push(step);
        }
        self.key.push(input);
    }

    /// Takes transition `from.index` of node `from.addr`, records the step, and
    /// goes on through the chain of one-transition nodes behind it, if any; returns
    /// the address, transition count and finality of the first node that is not
    /// such a link.
    ///
    /// Every walk down (to the first key of a subtree, or to the last) would take
    /// a link's only transition anyway, and links are never final nor kept on the
    /// path, so the chain is walked here a byte at a time. Keys spell long chains
    /// of links; going back to the caller for each, with a `Step` built and the
    /// node's shape decoded, cost about 70 instructions per byte (callgrind, 1M
    /// Debian paths).
    #[inline]
    fn take(&mut self, data: &[u8], from: Step) -> (CompiledAddr, usize, bool) {
        let (input, mut to) = lookup::transition(data, from.addr, from.index);
        if from.branches() {
            self.path.push(from);
        }
        self.key.push(input);
        while let Some((input, next)) = lookup::one_transition(data, to) {
            self.key.push(input);
            to = next;
        }
        let (ntrans, is_final) = lookup::shape(data, to);
        (to, ntrans, is_final)
    }

    /// Moves to the next key. Reads the nodes with [`lookup`]'s readers: a step
    /// needs only a node's transition count, finality and one transition, not
    /// the whole node `fst::raw::Node` decodes.
    fn step_forward(&mut self, data: &[u8]) -> Option<()> {
        // The keys below this one come first: the smallest is down its first
        // transitions. Else the next sibling subtree of the nearest ancestor that
        // has one.
        let mut addr = self.end;
        let (mut ntrans, mut is_final) = lookup::shape(data, addr);
        let mut i = 0;
        while i >= ntrans {
            let step = self.path.pop()?;
            self.key.truncate(step.depth);
            (addr, i, ntrans, is_final) = (step.addr, step.index + 1, step.ntrans, step.is_final);
        }
        // The smallest key of the subtree behind transition `i`: follow first
        // transitions down to the first final node (a key is smaller than every
        // key it is a prefix of).
        loop {
            (addr, ntrans, is_final) = self.take(
                data,
                Step {
                    addr,
                    index: i,
                    ntrans,
                    is_final,
                    depth: self.key.len(),
                },
            );
            if is_final {
                self.end = addr;
                return Some(());
            }
            if ntrans == 0 {
                // Only a damaged FST has a state that is neither final nor left.
                return None;
            }
            i = 0;
        }
    }

    /// Moves to the previous key, reading nodes as [`PathCursor::step_forward`]
    /// does.
    fn step_back(&mut self, data: &[u8]) -> Option<()> {
        loop {
            let step = self.path.pop()?;
            self.key.truncate(step.depth);
            if step.index > 0 {
                // The largest key of the previous sibling's subtree: follow last
                // transitions down to a leaf (leaves are always final).
                let mut from = Step {
                    index: step.index - 1,
                    ..step
                };
                loop {
                    let (addr, ntrans, is_final) = self.take(data, from);
                    if ntrans == 0 {
                        self.end = addr;
                        return Some(());
                    }
                    from = Step {
                        addr,
                        index: ntrans - 1,
                        ntrans,
                        is_final,
                        depth: self.key.len(),
                    };
                }
            }
            if step.is_final {
                // The key ending here is smaller than all keys below it.
                self.end = step.addr;
                return Some(());
            }
        }
    }
}

impl ExactSizeIterator for FrozenRange<'_> {}

impl FusedIterator for FrozenRange<'_> {}
