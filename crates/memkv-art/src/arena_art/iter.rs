//! Ordered, double-ended iteration: two cursors over the tree, one from each end.
//!
//! A cursor is a stack of frames plus the key bytes spelled so far. It holds no
//! borrow of the tree (only node and leaf indices), so `compact` can walk a tree
//! with a cursor while moving values out of it.

use std::iter::FusedIterator;
use std::ops::{Bound, ControlFlow};

use memkv_arena::{DisjointMut, Handle, Slab};
use memkv_core::KeyBounds;

use super::bucket::{self, View};
use super::node::{is_leaf, Child, NodeId, NONE};
use super::{ArenaArt, Shape};

/// How many children of a node an ordered scan asks the CPU to load at once.
const PREFETCH_CHILDREN: usize = 16;

/// One level of a cursor's descent.
#[derive(Clone, Copy, Debug)]
enum Frame {
    /// Inner node `n`; `base` is the key length after its prefix. Forward cursors
    /// use `state` -1 (own value next) or 0..=256 (next child byte to look at);
    /// backward cursors 255..=0 (last child byte to look at), -1 (own value next)
    /// or -2 (done).
    Node { n: NodeId, base: usize, state: i16 },
    /// Bucket `c`, forward; `base` is the key length before its suffixes; entry
    /// `next` comes next.
    Bucket { c: Child, base: usize, next: u16 },
    /// Bucket `c`, backward: entries `left - 1` down to 0 are still to come.
    BucketBack { c: Child, base: usize, left: u16 },
}

/// A position in the tree, moving forward or backward.
#[derive(Clone, Debug, Default)]
pub(super) struct Cursor {
    stack: Vec<Frame>,
    key: Vec<u8>,
}

impl Cursor {
    fn push_node(&mut self, t: Shape<'_>, n: NodeId, state: i16) {
        self.key.extend_from_slice(t.prefix(n));
        self.stack.push(Frame::Node {
            n,
            base: self.key.len(),
            state,
        });
    }

    /// Pushes the whole subtree at `c` (forward when `forward`).
    fn push_all(&mut self, t: Shape<'_>, c: Child, forward: bool) {
        let base = self.key.len();
        if c == NONE {
        } else if is_leaf(c) && forward {
            self.stack.push(Frame::Bucket { c, base, next: 0 });
        } else if is_leaf(c) {
            let left = bucket::count(t.bucket(c)) as u16;
            self.stack.push(Frame::BucketBack { c, base, left });
        } else if forward {
            self.push_node(t, NodeId::from_child(c), -1);
        } else {
            let n = NodeId::from_child(c);
            // As a forward cursor does on its first visit (see `next_forward`):
            // the last children are the next ones this cursor reads.
            for (_, c) in t.nodes.children_rev(n).take(PREFETCH_CHILDREN) {
                t.prefetch_child(c);
            }
            self.push_node(t, n, 255);
        }
    }

    /// Positions a forward cursor at the first key inside `start`.
    pub(super) fn seek_first(&mut self, t: Shape<'_>, start: Bound<&[u8]>) {
        self.stack.clear();
        self.key.clear();
        let (target, inclusive) = match start {
            Bound::Unbounded => return self.push_all(t, t.root, true),
            Bound::Included(k) => (k, true),
            Bound::Excluded(k) => (k, false),
        };
        let mut child = t.root;
        let mut d = 0;
        loop {
            if child == NONE {
                return;
            }
            let rest = &target[d..];
            if is_leaf(child) {
                // The first entry past `rest` (or at it, when inclusive).
                let view = View::new(t.bucket(child));
                let next = match view.search(rest) {
                    Ok(i) if !inclusive => i + 1,
                    Ok(i) | Err(i) => i,
                };
                self.stack.push(Frame::Bucket {
                    c: child,
                    base: self.key.len(),
                    next: next as u16,
                });
                return;
            }
            let n = NodeId::from_child(child);
            let p = t.prefix(n);
            let k = p.len().min(rest.len());
            match p[..k].cmp(&rest[..k]) {
                std::cmp::Ordering::Less => return,
                std::cmp::Ordering::Greater => return self.push_node(t, n, -1),
                std::cmp::Ordering::Equal if rest.len() < p.len() => {
                    return self.push_node(t, n, -1)
                }
                std::cmp::Ordering::Equal => {}
            }
            d += p.len();
            if d == target.len() {
                return self.push_node(t, n, if inclusive { -1 } else { 0 });
            }
            let b = target[d];
            self.push_node(t, n, i16::from(b) + 1);
            self.key.push(b);
            child = t.nodes.find_child(n, b).unwrap_or(NONE);
            d += 1;
        }
    }

    /// Positions a backward cursor at the last key inside `end`.
    pub(super) fn seek_last(&mut self, t: Shape<'_>, end: Bound<&[u8]>) {
        self.stack.clear();
        self.key.clear();
        let (target, inclusive) = match end {
            Bound::Unbounded => return self.push_all(t, t.root, false),
            Bound::Included(k) => (k, true),
            Bound::Excluded(k) => (k, false),
        };
        let mut child = t.root;
        let mut d = 0;
        loop {
            if child == NONE {
                return;
            }
            let rest = &target[d..];
            if is_leaf(child) {
                // Entries before `rest` (or at it, when inclusive) are to come.
                let view = View::new(t.bucket(child));
                let left = match view.search(rest) {
                    Ok(i) if inclusive => i + 1,
                    Ok(i) | Err(i) => i,
                };
                self.stack.push(Frame::BucketBack {
                    c: child,
                    base: self.key.len(),
                    left: left as u16,
                });
                return;
            }
            let n = NodeId::from_child(child);
            let p = t.prefix(n);
            let k = p.len().min(rest.len());
            match p[..k].cmp(&rest[..k]) {
                std::cmp::Ordering::Less => return self.push_node(t, n, 255),
                std::cmp::Ordering::Greater => return,
                std::cmp::Ordering::Equal if rest.len() < p.len() => return,
                std::cmp::Ordering::Equal => {}
            }
            d += p.len();
            if d == target.len() {
                if inclusive {
                    self.push_node(t, n, -1);
                }
                return;
            }
            let b = target[d];
            self.push_node(t, n, i16::from(b) - 1);
            self.key.push(b);
            child = t.nodes.find_child(n, b).unwrap_or(NONE);
            d += 1;
        }
    }

    /// The next entry forward: the key is left in `self.key`, the leaf returned.
    ///
    /// On entering a bucket it passes all the bucket's value slots to
    /// `prefetch_value`: after shuffled inserts, neighbouring keys' values sit
    /// far apart, and asking for them together overlaps their cache misses.
    pub(super) fn next_forward(
        &mut self,
        t: Shape<'_>,
        prefetch_value: impl Fn(u32),
    ) -> Option<u32> {
        loop {
            match self.stack.last_mut()? {
                Frame::Bucket { c, base, next } => {
                    let view = View::new(t.bucket(*c));
                    let i = usize::from(*next);
                    if i == view.len() {
                        self.stack.pop();
                        continue;
                    }
                    if i == 0 {
                        (0..view.len()).for_each(|j| prefetch_value(view.value(j)));
                    }
                    *next += 1;
                    put_suffix(&mut self.key, *base, &view, i);
                    return Some(view.value(i));
                }
                Frame::BucketBack { .. } => unreachable!("a backward frame in a forward cursor"),
                &mut Frame::Node {
                    n,
                    base,
                    ref mut state,
                } => {
                    self.key.truncate(base);
                    if *state == -1 {
                        *state = 0;
                        // Shuffled inserts scatter neighbouring entries: ask for the
                        // first lines of every child now so their misses overlap.
                        for (_, c) in t.nodes.children(n).take(PREFETCH_CHILDREN) {
                            t.prefetch_child(c);
                        }
                        let v = t.nodes.value(n);
                        if v != NONE {
                            return Some(t.value_bucket(v));
                        }
                        continue;
                    }
                    match t.nodes.next_child(n, *state as u16) {
                        None => {
                            self.stack.pop();
                        }
                        Some((b, c)) => {
                            *state = i16::from(b) + 1;
                            self.key.push(b);
                            self.push_all(t, c, true);
                        }
                    }
                }
            }
        }
    }

    /// The next entry backward, as [`Cursor::next_forward`].
    pub(super) fn next_backward(
        &mut self,
        t: Shape<'_>,
        prefetch_value: impl Fn(u32),
    ) -> Option<u32> {
        loop {
            match self.stack.last_mut()? {
                Frame::BucketBack { c, base, left } => {
                    if *left == 0 {
                        self.stack.pop();
                        continue;
                    }
                    let view = View::new(t.bucket(*c));
                    if usize::from(*left) == view.len() {
                        (0..view.len()).for_each(|j| prefetch_value(view.value(j)));
                    }
                    *left -= 1;
                    put_suffix(&mut self.key, *base, &view, usize::from(*left));
                    return Some(view.value(usize::from(*left)));
                }
                Frame::Bucket { .. } => unreachable!("a forward frame in a backward cursor"),
                &mut Frame::Node {
                    n,
                    base,
                    ref mut state,
                } => {
                    self.key.truncate(base);
                    if *state >= 0 {
                        match t.nodes.prev_child(n, *state as u8) {
                            None => *state = -1,
                            Some((b, c)) => {
                                *state = i16::from(b) - 1;
                                self.key.push(b);
                                self.push_all(t, c, false);
                            }
                        }
                    } else if *state == -1 {
                        *state = -2;
                        let v = t.nodes.value(n);
                        if v != NONE {
                            return Some(t.value_bucket(v));
                        }
                    } else {
                        self.stack.pop();
                    }
                }
            }
        }
    }

    /// Calls `f` with each entry forward (its key and value slot) until `f` breaks,
    /// `below_end` rejects a key, or the tree ends; the cursor is spent after it.
    ///
    /// Entries one at a time through [`Cursor::next_forward`] cost a bucket's
    /// header parse, a frame match and an end-bound compare each; here the rest of
    /// a bucket goes in one loop over its parsed view, and when the bucket's last
    /// key is below the end, so are the others and none is compared.
    pub(super) fn for_each_forward(
        &mut self,
        t: Shape<'_>,
        prefetch_value: impl Fn(u32),
        below_end: impl Fn(&[u8]) -> bool,
        mut f: impl FnMut(&[u8], u32) -> ControlFlow<()>,
    ) {
        loop {
            if let Some(&Frame::Bucket { c, base, next }) = self.stack.last() {
                self.stack.pop();
                let view = View::new(t.bucket(c));
                let (start, end) = (usize::from(next), view.len());
                if start == end {
                    continue;
                }
                if start == 0 {
                    (0..end).for_each(|j| prefetch_value(view.value(j)));
                }
                put_suffix(&mut self.key, base, &view, end - 1);
                let all_below = below_end(&self.key);
                for i in start..end {
                    put_suffix(&mut self.key, base, &view, i);
                    if !all_below && !below_end(&self.key) {
                        return;
                    }
                    if f(&self.key, view.value(i)).is_break() {
                        return;
                    }
                }
                continue;
            }
            let Some(l) = self.next_forward(t, &prefetch_value) else {
                return;
            };
            if !below_end(&self.key) || f(&self.key, l).is_break() {
                return;
            }
        }
    }

    /// The key of the entry last returned.
    pub(super) fn key(&self) -> &[u8] {
        &self.key
    }
}

/// Makes `key` spell entry `i` of bucket `view`, whose suffixes start at `base`.
///
/// The bucket's prefix is written once, for the first entry the frame yields (the
/// key then ends at `base`); later entries of the same frame only replace the
/// record after it, since the key still holds the previous entry of the bucket.
#[inline]
fn put_suffix(key: &mut Vec<u8>, base: usize, view: &View<'_>, i: usize) {
    let prefix = view.prefix();
    let with_prefix = base + prefix.len();
    if key.len() < with_prefix {
        key.truncate(base);
        key.extend_from_slice(prefix);
    } else {
        key.truncate(with_prefix);
    }
    debug_assert_eq!(&key[base..], prefix);
    key.extend_from_slice(view.rec(i));
}

/// A bounded walk from both ends: two cursors that stop where they meet or leave
/// the bounds. It yields value slots and leaves the key in the cursor that moved,
/// so [`Iter`] and [`IterMut`] differ only in how they fetch the value.
#[derive(Debug)]
struct Walk {
    bounds: KeyBounds,
    front: Cursor,
    back: Cursor,
    front_started: bool,
    back_started: bool,
    done: bool,
}

impl Walk {
    fn new(bounds: KeyBounds, tree_is_empty: bool) -> Walk {
        let done = bounds.is_empty() || tree_is_empty;
        Walk {
            bounds,
            front: Cursor::default(),
            back: Cursor::default(),
            front_started: false,
            back_started: false,
            done,
        }
    }

    /// The next value slot from the front; its key is `self.front.key()`.
    fn next(&mut self, t: Shape<'_>, prefetch_value: impl Fn(u32)) -> Option<u32> {
        if self.done {
            return None;
        }
        if !self.front_started {
            self.front_started = true;
            self.front.seek_first(t, as_ref(&self.bounds.start));
        }
        let Some(l) = self.front.next_forward(t, prefetch_value) else {
            self.done = true;
            return None;
        };
        let key = self.front.key();
        let past_back = self.back_started && key >= self.back.key();
        if past_back || !self.bounds.is_below_end(key) {
            self.done = true;
            return None;
        }
        Some(l)
    }

    /// Calls `f` with every entry of a fresh walk, in order, until it breaks,
    /// batched by [`Cursor::for_each_forward`].
    fn for_each(
        mut self,
        t: Shape<'_>,
        prefetch_value: impl Fn(u32),
        f: impl FnMut(&[u8], u32) -> ControlFlow<()>,
    ) {
        debug_assert!(!self.front_started && !self.back_started);
        if self.done {
            return;
        }
        self.front.seek_first(t, as_ref(&self.bounds.start));
        let bounds = &self.bounds;
        self.front
            .for_each_forward(t, prefetch_value, |k| bounds.is_below_end(k), f);
    }

    /// The next value slot from the back; its key is `self.back.key()`.
    fn next_back(&mut self, t: Shape<'_>, prefetch_value: impl Fn(u32)) -> Option<u32> {
        if self.done {
            return None;
        }
        if !self.back_started {
            self.back_started = true;
            self.back.seek_last(t, as_ref(&self.bounds.end));
        }
        let Some(l) = self.back.next_backward(t, prefetch_value) else {
            self.done = true;
            return None;
        };
        let key = self.back.key();
        let past_front = self.front_started && key <= self.front.key();
        if past_front || !self.bounds.is_above_start(key) {
            self.done = true;
            return None;
        }
        Some(l)
    }
}

/// The iterator of [`ArenaArt::range`], `iter` and `prefix_scan`: entries in key
/// order, from either end.
///
/// Keys are rebuilt from the path, so the `Iterator` methods return each one as a
/// fresh `Vec<u8>`. [`next_ref`](Iter::next_ref) and
/// [`next_back_ref`](Iter::next_back_ref) lend the rebuilt key instead, with no
/// allocation (the `Iterator` trait cannot lend: fst's `Streamer` works the same
/// way), and [`ArenaArt::values`] skips keys altogether.
pub struct Iter<'a, V> {
    shape: Shape<'a>,
    values: &'a Slab<V>,
    walk: Walk,
}

impl<'a, V> Iter<'a, V> {
    pub(super) fn new(tree: &'a ArenaArt<V>, bounds: KeyBounds) -> Iter<'a, V> {
        Iter {
            shape: tree.shape(),
            values: &tree.values,
            walk: Walk::new(bounds, tree.is_empty()),
        }
    }

    /// The next entry from the front, its key lent until the next call.
    ///
    /// ```
    /// use memkv_art::ArenaArt;
    ///
    /// let kv: ArenaArt<u64> = [("a/1", 1), ("a/2", 2), ("b/1", 3)].into_iter().collect();
    /// let mut it = kv.prefix_scan("a/");
    /// let mut total = 0;
    /// while let Some((key, value)) = it.next_ref() {
    ///     assert!(key.starts_with(b"a/"));
    ///     total += value;
    /// }
    /// assert_eq!(total, 3);
    /// ```
    pub fn next_ref(&mut self) -> Option<(&[u8], &'a V)> {
        let values = self.values;
        let l = self
            .walk
            .next(self.shape, |l| values.prefetch(Handle::from_raw(l)))?;
        Some((self.walk.front.key(), &values[Handle::from_raw(l)]))
    }

    /// The next entry from the back, its key lent until the next call.
    pub fn next_back_ref(&mut self) -> Option<(&[u8], &'a V)> {
        let values = self.values;
        let l = self
            .walk
            .next_back(self.shape, |l| values.prefetch(Handle::from_raw(l)))?;
        Some((self.walk.back.key(), &values[Handle::from_raw(l)]))
    }

    /// Calls `f` with each entry in order, its key lent, until `f` breaks: what
    /// `for_each_in` runs on a fresh range, faster than a loop of
    /// [`next_ref`](Iter::next_ref) (see [`Cursor::for_each_forward`]).
    pub(super) fn for_each_lent(self, mut f: impl FnMut(&[u8], &'a V) -> ControlFlow<()>) {
        let values = self.values;
        self.walk.for_each(
            self.shape,
            |l| values.prefetch(Handle::from_raw(l)),
            |k, l| f(k, &values[Handle::from_raw(l)]),
        );
    }
}

impl<'a, V> crate::lend::LendingIter<'a, V> for Iter<'a, V> {
    fn next_lent(&mut self) -> Option<(&[u8], &'a V)> {
        self.next_ref()
    }
}

impl<V> std::fmt::Debug for Iter<'_, V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Iter")
            .field("bounds", &self.walk.bounds)
            .field("done", &self.walk.done)
            .finish_non_exhaustive()
    }
}

impl<'a, V> Iterator for Iter<'a, V> {
    type Item = (Vec<u8>, &'a V);

    fn next(&mut self) -> Option<Self::Item> {
        self.next_ref().map(|(k, v)| (k.to_vec(), v))
    }
}

impl<V> DoubleEndedIterator for Iter<'_, V> {
    fn next_back(&mut self) -> Option<Self::Item> {
        self.next_back_ref().map(|(k, v)| (k.to_vec(), v))
    }
}

impl<V> FusedIterator for Iter<'_, V> {}

/// The iterator of [`ArenaArt::iter_mut`], `range_mut` and `prefix_scan_mut`:
/// entries in key order, from either end, with their values mutable. Keys are
/// rebuilt as in [`Iter`], with the same lending `next_ref` and `next_back_ref`.
pub struct IterMut<'a, V> {
    shape: Shape<'a>,
    values: DisjointMut<'a, V>,
    walk: Walk,
}

impl<'a, V> IterMut<'a, V> {
    pub(super) fn new(tree: &'a mut ArenaArt<V>, bounds: KeyBounds) -> IterMut<'a, V> {
        let walk = Walk::new(bounds, tree.is_empty());
        let ArenaArt {
            root,
            nodes,
            buckets,
            values,
            arena,
            ..
        } = tree;
        IterMut {
            shape: Shape {
                root: *root,
                nodes,
                buckets,
                arena,
            },
            values: values.disjoint_mut(),
            walk,
        }
    }

    /// The value in slot `l`. The tree names each value slot from exactly one
    /// entry and a walk visits each entry once, so no slot is asked for twice.
    fn value(&mut self, l: u32) -> &'a mut V {
        self.values
            .take(Handle::from_raw(l))
            .expect("a walk reaches each live value slot once")
    }

    /// The next entry from the front, its key lent until the next call.
    pub fn next_ref(&mut self) -> Option<(&[u8], &'a mut V)> {
        let values = &self.values;
        let l = self
            .walk
            .next(self.shape, |l| values.prefetch(Handle::from_raw(l)))?;
        let v = self.value(l);
        Some((self.walk.front.key(), v))
    }

    /// The next entry from the back, its key lent until the next call.
    pub fn next_back_ref(&mut self) -> Option<(&[u8], &'a mut V)> {
        let values = &self.values;
        let l = self
            .walk
            .next_back(self.shape, |l| values.prefetch(Handle::from_raw(l)))?;
        let v = self.value(l);
        Some((self.walk.back.key(), v))
    }
}

impl<V> std::fmt::Debug for IterMut<'_, V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IterMut")
            .field("bounds", &self.walk.bounds)
            .field("done", &self.walk.done)
            .finish_non_exhaustive()
    }
}

impl<'a, V> Iterator for IterMut<'a, V> {
    type Item = (Vec<u8>, &'a mut V);

    fn next(&mut self) -> Option<Self::Item> {
        self.next_ref().map(|(k, v)| (k.to_vec(), v))
    }
}

impl<V> DoubleEndedIterator for IterMut<'_, V> {
    fn next_back(&mut self) -> Option<Self::Item> {
        self.next_back_ref().map(|(k, v)| (k.to_vec(), v))
    }
}

impl<V> FusedIterator for IterMut<'_, V> {}

/// The keys of an [`ArenaArt`] in order, from [`ArenaArt::keys`].
#[derive(Debug)]
pub struct Keys<'a, V>(pub(super) Iter<'a, V>);

impl<V> Iterator for Keys<'_, V> {
    type Item = Vec<u8>;
    fn next(&mut self) -> Option<Vec<u8>> {
        self.0.next().map(|(k, _)| k)
    }
}

impl<V> DoubleEndedIterator for Keys<'_, V> {
    fn next_back(&mut self) -> Option<Vec<u8>> {
        self.0.next_back().map(|(k, _)| k)
    }
}

impl<V> FusedIterator for Keys<'_, V> {}

/// The values of an [`ArenaArt`] in key order, from [`ArenaArt::values`]; no key
/// is copied out.
#[derive(Debug)]
pub struct Values<'a, V>(pub(super) Iter<'a, V>);

impl<'a, V> Iterator for Values<'a, V> {
    type Item = &'a V;
    fn next(&mut self) -> Option<&'a V> {
        self.0.next_ref().map(|(_, v)| v)
    }
}

impl<V> DoubleEndedIterator for Values<'_, V> {
    fn next_back(&mut self) -> Option<Self::Item> {
        self.0.next_back_ref().map(|(_, v)| v)
    }
}

impl<V> FusedIterator for Values<'_, V> {}

/// The values of an [`ArenaArt`] in key order, mutably, from
/// [`ArenaArt::values_mut`]; no key is copied out.
#[derive(Debug)]
pub struct ValuesMut<'a, V>(pub(super) IterMut<'a, V>);

impl<'a, V> Iterator for ValuesMut<'a, V> {
    type Item = &'a mut V;
    fn next(&mut self) -> Option<&'a mut V> {
        self.0.next_ref().map(|(_, v)| v)
    }
}

impl<V> DoubleEndedIterator for ValuesMut<'_, V> {
    fn next_back(&mut self) -> Option<Self::Item> {
        self.0.next_back_ref().map(|(_, v)| v)
    }
}

impl<V> FusedIterator for ValuesMut<'_, V> {}

fn as_ref(b: &Bound<Vec<u8>>) -> Bound<&[u8]> {
    match b {
        Bound::Included(k) => Bound::Included(k),
        Bound::Excluded(k) => Bound::Excluded(k),
        Bound::Unbounded => Bound::Unbounded,
    }
}
