//! [`FrozenRange`]: the streaming, double-ended iterator of ranges, prefixes and
//! full scans.
//!
//! A range is resolved to a half-open interval of ordinals `[front, back)` when it
//! is created (two root-to-leaf walks). Walking forward uses `fst`'s own stream,
//! which decodes each key from the previous one. `fst` has no reverse stream, so
//! walking backward uses a [`ReverseCursor`]: it finds the key of ordinal `back - 1`
//! once (outputs are ordinals, so each step down picks the last transition whose
//! output does not exceed the target), keeps the path as a stack, and then moves to
//! each previous key by popping to the nearest branch point and descending along
//! last transitions, so a step costs the length of the changed suffix, not of the
//! key. The two ends meet by ordinal, so mixing `next` and `next_back` never
//! yields an entry twice.

use std::fmt;
use std::iter::FusedIterator;
use std::ops::Bound;

use fst::raw::{CompiledAddr, Fst, Stream};
use fst::{IntoStreamer, Streamer};

use crate::storage::Section;
use crate::FrozenLayer;

/// The entries of a [`FrozenLayer`] within some bounds, in key order, without
/// collecting them first. Yields `(key, value)`; iterate backward with `.rev()`.
pub struct FrozenRange<'a> {
    layer: &'a FrozenLayer,
    /// Where the forward stream starts, until it is created.
    start: Bound<Vec<u8>>,
    /// Created on the first `next`, so a reverse-only scan never builds it.
    stream: Option<Stream<'a>>,
    /// Created on the first `next_back`.
    cursor: Option<ReverseCursor>,
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
    pub(crate) fn new(
        layer: &'a FrozenLayer,
        start: Bound<Vec<u8>>,
        front: u64,
        back: u64,
    ) -> FrozenRange<'a> {
        FrozenRange {
            layer,
            start,
            stream: None,
            cursor: None,
            front,
            back,
        }
    }

    /// The ordinals still to be yielded: `front..back`.
    pub fn ordinals(&self) -> std::ops::Range<u64> {
        self.front..self.back
    }

    fn stream(&mut self) -> &mut Stream<'a> {
        let layer = self.layer;
        let start = std::mem::replace(&mut self.start, Bound::Unbounded);
        self.stream.get_or_insert_with(|| {
            let builder = layer.fst().range();
            match start {
                Bound::Included(s) => builder.ge(s),
                Bound::Excluded(s) => builder.gt(s),
                Bound::Unbounded => builder,
            }
            .into_stream()
        })
    }
}

impl Iterator for FrozenRange<'_> {
    type Item = (Vec<u8>, u64);

    fn next(&mut self) -> Option<(Vec<u8>, u64)> {
        if self.front >= self.back {
            return None;
        }
        let layer = self.layer;
        let back = self.back;
        let front = self.front;
        let (key, ordinal) = match self.stream().next() {
            Some((key, out)) if out.value() == front && out.value() < back => {
                (key.to_vec(), out.value())
            }
            // Only a damaged FST ends early or yields ordinals out of step.
            _ => {
                self.front = back;
                return None;
            }
        };
        self.front = ordinal + 1;
        Some((key, layer.value_at(ordinal)))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = usize::try_from(self.back - self.front).unwrap_or(usize::MAX);
        (n, Some(n))
    }
}

impl DoubleEndedIterator for FrozenRange<'_> {
    fn next_back(&mut self) -> Option<(Vec<u8>, u64)> {
        if self.front >= self.back {
            return None;
        }
        let fst = self.layer.fst();
        let target = self.back - 1;
        let found = match &mut self.cursor {
            Some(cursor) => cursor.step_back(fst),
            None => ReverseCursor::at(fst, target).map(|c| self.cursor = Some(c)),
        };
        let Some(cursor) = found.and(self.cursor.as_ref()) else {
            // Only a damaged FST runs out of keys before the ordinals do.
            self.back = self.front;
            return None;
        };
        self.back = target;
        Some((cursor.key.clone(), self.layer.value_at(target)))
    }
}

/// A position on one key of the FST, kept as the path from the root, for walking
/// backward.
#[derive(Debug)]
struct ReverseCursor {
    /// For each byte of `key`: the node it leaves, the index of its transition, and
    /// whether that node is final (so that popping past nodes with nothing before
    /// the path needs no decoding).
    path: Vec<Step>,
    key: Vec<u8>,
}

#[derive(Clone, Copy, Debug)]
struct Step {
    addr: CompiledAddr,
    index: usize,
    is_final: bool,
}

impl ReverseCursor {
    /// The cursor on the key of ordinal `ordinal`.
    fn at(fst: &Fst<Section>, ordinal: u64) -> Option<ReverseCursor> {
        let mut cursor = ReverseCursor {
            path: Vec::new(),
            key: Vec::new(),
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
            cursor.path.push(Step {
                addr: node.addr(),
                index: i,
                is_final: node.is_final(),
            });
            cursor.key.push(t.inp);
            node = fst.node(t.addr);
        }
        Some(cursor)
    }

    /// Moves to the previous key.
    fn step_back(&mut self, fst: &Fst<Section>) -> Option<()> {
        loop {
            let step = self.path.pop()?;
            self.key.pop();
            if step.index > 0 {
                // The largest key of the previous sibling's subtree: follow last
                // transitions down to a leaf (leaves are always final).
                let mut node = fst.node(step.addr);
                let mut i = step.index - 1;
                loop {
                    let t = node.transition(i);
                    self.path.push(Step {
                        addr: node.addr(),
                        index: i,
                        is_final: node.is_final(),
                    });
                    self.key.push(t.inp);
                    node = fst.node(t.addr);
                    match node.len() {
                        0 => return Some(()),
                        n => i = n - 1,
                    }
                }
            }
            if step.is_final {
                // The key ending here is smaller than all keys below it.
                return Some(());
            }
        }
    }
}

impl ExactSizeIterator for FrozenRange<'_> {}

impl FusedIterator for FrozenRange<'_> {}
