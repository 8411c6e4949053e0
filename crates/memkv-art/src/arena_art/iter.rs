//! Ordered, double-ended iteration: two cursors over the tree, one from each end.
//!
//! A cursor is a stack of frames plus the key bytes spelled so far. It holds no
//! borrow of the tree (only node and leaf indices), so `compact` can walk a tree
//! with a cursor while moving values out of it.

use std::ops::Bound;

use memkv_arena::Handle;
use memkv_core::KeyBounds;

use super::bucket::{self, View};
use super::node::{is_leaf, Child, NodeId, NONE};
use super::ArenaArt;

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
    fn push_node<V>(&mut self, t: &ArenaArt<V>, n: NodeId, state: i16) {
        self.key.extend_from_slice(t.prefix(n));
        self.stack.push(Frame::Node {
            n,
            base: self.key.len(),
            state,
        });
    }

    /// Pushes the whole subtree at `c` (forward when `forward`).
    fn push_all<V>(&mut self, t: &ArenaArt<V>, c: Child, forward: bool) {
        let base = self.key.len();
        if c == NONE {
        } else if is_leaf(c) && forward {
            self.stack.push(Frame::Bucket { c, base, next: 0 });
        } else if is_leaf(c) {
            let left = bucket::count(t.bucket(c)) as u16;
            self.stack.push(Frame::BucketBack { c, base, left });
        } else {
            self.push_node(t, NodeId::from_child(c), if forward { -1 } else { 255 });
        }
    }

    /// Positions a forward cursor at the first key inside `start`.
    pub(super) fn seek_first<V>(&mut self, t: &ArenaArt<V>, start: Bound<&[u8]>) {
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
    pub(super) fn seek_last<V>(&mut self, t: &ArenaArt<V>, end: Bound<&[u8]>) {
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
    pub(super) fn next_forward<V>(&mut self, t: &ArenaArt<V>) -> Option<u32> {
        loop {
            match self.stack.last_mut()? {
                Frame::Bucket { c, base, next } => {
                    let view = View::new(t.bucket(*c));
                    let i = usize::from(*next);
                    if i == view.len() {
                        self.stack.pop();
                        continue;
                    }
                    *next += 1;
                    self.key.truncate(*base);
                    bucket::push_suffix(&view, i, &mut self.key);
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
    pub(super) fn next_backward<V>(&mut self, t: &ArenaArt<V>) -> Option<u32> {
        loop {
            match self.stack.last_mut()? {
                Frame::BucketBack { c, base, left } => {
                    if *left == 0 {
                        self.stack.pop();
                        continue;
                    }
                    *left -= 1;
                    let view = View::new(t.bucket(*c));
                    self.key.truncate(*base);
                    bucket::push_suffix(&view, usize::from(*left), &mut self.key);
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

    /// The key of the entry last returned.
    pub(super) fn key(&self) -> &[u8] {
        &self.key
    }
}

/// The iterator of [`ArenaArt::range`], `iter` and `prefix_scan`: entries in key
/// order, from either end. Keys are rebuilt into owned `Vec<u8>`s.
pub struct Iter<'a, V> {
    tree: &'a ArenaArt<V>,
    bounds: KeyBounds,
    front: Cursor,
    back: Cursor,
    front_started: bool,
    back_started: bool,
    done: bool,
}

impl<'a, V> Iter<'a, V> {
    pub(super) fn new(tree: &'a ArenaArt<V>, bounds: KeyBounds) -> Iter<'a, V> {
        let done = bounds.is_empty() || tree.is_empty();
        Iter {
            tree,
            bounds,
            front: Cursor::default(),
            back: Cursor::default(),
            front_started: false,
            back_started: false,
            done,
        }
    }

    fn value(&self, l: u32) -> &'a V {
        &self.tree.values[Handle::from_raw(l)]
    }
}

impl<V> std::fmt::Debug for Iter<'_, V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Iter")
            .field("bounds", &self.bounds)
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}

impl<'a, V> Iterator for Iter<'a, V> {
    type Item = (Vec<u8>, &'a V);

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        if !self.front_started {
            self.front_started = true;
            self.front.seek_first(self.tree, as_ref(&self.bounds.start));
        }
        let Some(l) = self.front.next_forward(self.tree) else {
            self.done = true;
            return None;
        };
        let key = self.front.key();
        let past_back = self.back_started && key >= self.back.key();
        if past_back || !self.bounds.is_below_end(key) {
            self.done = true;
            return None;
        }
        Some((key.to_vec(), self.value(l)))
    }
}

impl<V> DoubleEndedIterator for Iter<'_, V> {
    fn next_back(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        if !self.back_started {
            self.back_started = true;
            self.back.seek_last(self.tree, as_ref(&self.bounds.end));
        }
        let Some(l) = self.back.next_backward(self.tree) else {
            self.done = true;
            return None;
        };
        let key = self.back.key();
        let past_front = self.front_started && key <= self.front.key();
        if past_front || !self.bounds.is_above_start(key) {
            self.done = true;
            return None;
        }
        Some((key.to_vec(), self.value(l)))
    }
}

fn as_ref(b: &Bound<Vec<u8>>) -> Bound<&[u8]> {
    match b {
        Bound::Included(k) => Bound::Included(k),
        Bound::Excluded(k) => Bound::Excluded(k),
        Bound::Unbounded => Bound::Unbounded,
    }
}
