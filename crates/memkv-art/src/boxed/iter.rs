//! Ordered, double-ended iteration over a key range.
//!
//! Two cursors walk the tree depth-first, one from each end, rebuilding keys in a
//! buffer from the bytes along the path. A subtree whose keys all lie on the far
//! side of a bound is skipped without being entered, so seeking to a bound costs
//! one root-to-leaf path; entries are still checked against the bounds one by one,
//! which keeps the pruning a pure optimisation. The two cursors stop when they
//! meet, detected by comparing their current keys.

use std::ops::Bound;

use memkv_core::KeyBounds;

use super::node::{with_inner, Child, Inner, Store};
use super::policy::{Leaves, Policy, Strings};

/// How many children of a node a walk asks the CPU to load when it enters the
/// node: they are the next ones it visits, and shuffled inserts put each in a
/// different place, so their cache misses overlap instead of coming one by one.
const PREFETCH_CHILDREN: usize = 16;

/// Starts loading the first [`PREFETCH_CHILDREN`] children of `n` in the walk's
/// direction: each child's node, or what its leaf keeps out of the slot (the
/// leaf's box, suffix bytes in the store). A boxed leaf's suffix handle is itself
/// in the box, so asking for its bytes waits for that load.
fn prefetch_children<V, P: Policy>(n: &impl Inner<V, P>, store: &Store<P>, rev: bool) {
    let mut at = None;
    for _ in 0..PREFETCH_CHILDREN {
        let next = if rev {
            n.prev_before(at)
        } else {
            n.next_after(at)
        };
        let Some((b, child)) = next else { return };
        with_inner!(child, c => memkv_arena::prefetch(&raw const **c), l => {
            P::L::prefetch_leaf(l);
            P::S::prefetch(store, P::L::suffix(l));
        });
        at = Some(b);
    }
}

/// Whether every key that starts with `path` is below the lower bound.
fn all_below_start(bounds: &KeyBounds, path: &[u8]) -> bool {
    match &bounds.start {
        Bound::Included(s) | Bound::Excluded(s) => path < s.as_slice() && !s.starts_with(path),
        Bound::Unbounded => false,
    }
}

/// Whether every key that starts with `path` is above the upper bound.
fn all_above_end(bounds: &KeyBounds, path: &[u8]) -> bool {
    match &bounds.end {
        Bound::Included(e) => path > e.as_slice(),
        Bound::Excluded(e) => path >= e.as_slice(),
        Bound::Unbounded => false,
    }
}

/// An inner node being walked.
struct Frame<'a, V, P: Policy> {
    node: &'a Child<V, P>,
    /// Length of the node's full path (its prefix included) in the key buffer.
    depth: usize,
    /// The key byte of the child visited last.
    last: Option<u8>,
    /// Whether the node's end value is still to be offered (first when walking
    /// forward, last when walking backward: it is the smallest key of the node).
    end_pending: bool,
}

/// A depth-first walk in one direction.
struct Cursor<'a, V, P: Policy> {
    rev: bool,
    root: Option<&'a Child<V, P>>,
    stack: Vec<Frame<'a, V, P>>,
    /// The current path; after an entry is returned, that entry's key.
    key: Vec<u8>,
}

impl<'a, V, P: Policy> Cursor<'a, V, P> {
    fn new(root: Option<&'a Child<V, P>>, rev: bool) -> Self {
        Cursor {
            rev,
            root,
            stack: Vec::new(),
            key: Vec::new(),
        }
    }

    /// Whether a subtree (or entry) at the current path is past the bound this
    /// cursor walks towards, so nothing later can be in range.
    fn past_far_bound(&self, bounds: &KeyBounds) -> bool {
        if self.rev {
            all_below_start(bounds, &self.key)
        } else {
            all_above_end(bounds, &self.key)
        }
    }

    /// Whether a subtree at the current path lies wholly before the near bound.
    fn before_near_bound(&self, bounds: &KeyBounds) -> bool {
        if self.rev {
            all_above_end(bounds, &self.key)
        } else {
            all_below_start(bounds, &self.key)
        }
    }

    /// `value` if the key buffer is in range; stops the walk if it is past the far
    /// bound.
    fn offer(&mut self, value: &'a V, bounds: &KeyBounds) -> Option<&'a V> {
        if bounds.contains(&self.key) {
            return Some(value);
        }
        if self.past_far_bound(bounds) {
            self.stack.clear();
        }
        None
    }

    /// Visits `child`, whose path up to its edge byte is in the key buffer.
    fn visit(
        &mut self,
        child: &'a Child<V, P>,
        store: &'a Store<P>,
        bounds: &KeyBounds,
    ) -> Option<&'a V> {
        with_inner!(child, n => {
            self.key.extend_from_slice(P::S::get(store, n.prefix()));
            if self.past_far_bound(bounds) {
                self.stack.clear();
            } else if !self.before_near_bound(bounds) {
                prefetch_children(&**n, store, self.rev);
                self.stack.push(Frame {
                    node: child,
                    depth: self.key.len(),
                    last: None,
                    end_pending: n.end().is_some(),
                });
            }
            None
        }, l => {
            self.key.extend_from_slice(P::S::get(store, P::L::suffix(l)));
            self.offer(P::L::value(l), bounds)
        })
    }

    /// The next entry in range in this cursor's direction; its key is left in the
    /// key buffer.
    fn step(&mut self, store: &'a Store<P>, bounds: &KeyBounds) -> Option<&'a V> {
        if let Some(root) = self.root.take() {
            if let Some(v) = self.visit(root, store, bounds) {
                return Some(v);
            }
        }
        loop {
            let frame = self.stack.last_mut()?;
            self.key.truncate(frame.depth);
            let node = frame.node;
            let end = || with_inner!(node, n => n.end(), _l => None);
            if frame.end_pending && !self.rev {
                frame.end_pending = false;
                if let Some(v) = end().and_then(|v| self.offer(v, bounds)) {
                    return Some(v);
                }
                continue;
            }
            let next = if self.rev {
                with_inner!(node, n => n.prev_before(frame.last), _l => None)
            } else {
                with_inner!(node, n => n.next_after(frame.last), _l => None)
            };
            match next {
                Some((b, child)) => {
                    frame.last = Some(b);
                    self.key.push(b);
                    if let Some(v) = self.visit(child, store, bounds) {
                        return Some(v);
                    }
                }
                None if frame.end_pending => {
                    frame.end_pending = false;
                    if let Some(v) = end().and_then(|v| self.offer(v, bounds)) {
                        return Some(v);
                    }
                }
                None => {
                    self.stack.pop();
                }
            }
        }
    }
}

/// The entries of a boxed tree within a key range, in key order, from both ends.
pub(crate) struct RawIter<'a, V, P: Policy> {
    store: &'a Store<P>,
    bounds: KeyBounds,
    front: Cursor<'a, V, P>,
    back: Cursor<'a, V, P>,
    front_yielded: bool,
    back_yielded: bool,
    done: bool,
}

impl<'a, V, P: Policy> RawIter<'a, V, P> {
    pub(crate) fn new(
        root: Option<&'a Child<V, P>>,
        store: &'a Store<P>,
        bounds: KeyBounds,
    ) -> Self {
        RawIter {
            store,
            done: bounds.is_empty() || root.is_none(),
            bounds,
            front: Cursor::new(root, false),
            back: Cursor::new(root, true),
            front_yielded: false,
            back_yielded: false,
        }
    }
}

impl<'a, V, P: Policy> RawIter<'a, V, P> {
    /// The next entry from the front, its key lent until the next call.
    pub(crate) fn next_ref(&mut self) -> Option<(&[u8], &'a V)> {
        if self.done {
            return None;
        }
        let v = self.front.step(self.store, &self.bounds);
        if v.is_none() || (self.back_yielded && self.front.key >= self.back.key) {
            self.done = true;
            return None;
        }
        self.front_yielded = true;
        Some((&self.front.key, v?))
    }

    /// The next entry from the back, its key lent until the next call.
    pub(crate) fn next_back_ref(&mut self) -> Option<(&[u8], &'a V)> {
        if self.done {
            return None;
        }
        let v = self.back.step(self.store, &self.bounds);
        if v.is_none() || (self.front_yielded && self.back.key <= self.front.key) {
            self.done = true;
            return None;
        }
        self.back_yielded = true;
        Some((&self.back.key, v?))
    }
}

impl<'a, V, P: Policy> Iterator for RawIter<'a, V, P> {
    type Item = (Vec<u8>, &'a V);

    fn next(&mut self) -> Option<Self::Item> {
        self.next_ref().map(|(k, v)| (k.to_vec(), v))
    }
}

impl<V, P: Policy> DoubleEndedIterator for RawIter<'_, V, P> {
    fn next_back(&mut self) -> Option<Self::Item> {
        self.next_back_ref().map(|(k, v)| (k.to_vec(), v))
    }
}
