//! The tree algorithm, written once for every policy: lookup, insert (with leaf and
//! prefix splits and node growth), remove (with node shrinking and path
//! re-compression), memory accounting and the invariant checker.

use std::mem;

use super::node::{with_inner, Child, Header, Inner, Parts, Store, Str};
use super::policy::{Leaf, Leaves, Policy, Strings};

/// A boxed adaptive radix tree whose storage is chosen by `P`.
pub(crate) struct RawArt<V, P: Policy> {
    pub(crate) root: Option<Child<V, P>>,
    pub(crate) store: Store<P>,
    len: usize,
    /// The bytes of every inner node's box, kept up to date by [`build_inner`] and
    /// [`take_apart`] so that [`RawArt::memory_usage`] is O(1).
    node_bytes: usize,
}

/// Drops the tree with an explicit stack: the default recursive drop of nested
/// boxes would overflow the thread's stack on deep trees (a chain of keys that are
/// each a prefix of the next is one node per key).
impl<V, P: Policy> Drop for RawArt<V, P> {
    fn drop(&mut self) {
        let mut stack: Vec<Child<V, P>> = self.root.take().into_iter().collect();
        while let Some(child) = stack.pop() {
            if let Some((_, children)) = with_inner!(child, n => Some(n.into_parts()), _l => None) {
                stack.extend(children.into_iter().map(|(_, c)| c));
            }
        }
    }
}

/// Length of the longest common prefix of `a` and `b`, eight bytes at a time (keys
/// such as file paths share long prefixes).
fn lcp(a: &[u8], b: &[u8]) -> usize {
    let n = a.len().min(b.len());
    let mut i = 0;
    while let (Some(x), Some(y)) = (a[i..n].first_chunk::<8>(), b[i..n].first_chunk::<8>()) {
        let diff = u64::from_le_bytes(*x) ^ u64::from_le_bytes(*y);
        if diff != 0 {
            return i + (diff.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    i + a[i..n]
        .iter()
        .zip(&b[i..n])
        .take_while(|(x, y)| x == y)
        .count()
}

/// How many prefixes one lookup defers: more than the arena prefixes on a typical
/// path (about 2.4 on file paths); past this, prefixes are compared on the spot.
const DEFERRED: usize = 8;

/// Prefixes a lookup stepped past without comparing them (see [`RawArt::get`]).
struct Deferred<'a, P: Policy> {
    /// Each prefix and the key offset where it starts.
    items: [Option<(&'a Str<P>, usize)>; DEFERRED],
    len: usize,
}

impl<'a, P: Policy> Deferred<'a, P> {
    fn new() -> Self {
        Deferred {
            items: [None; DEFERRED],
            len: 0,
        }
    }

    fn has_room(&self) -> bool {
        self.len < DEFERRED
    }

    fn push(&mut self, prefix: &'a Str<P>, at: usize) {
        self.items[self.len] = Some((prefix, at));
        self.len += 1;
    }

    /// Whether `key` holds every deferred prefix where the lookup assumed it.
    fn all_match(&self, store: &Store<P>, key: &[u8]) -> bool {
        self.items[..self.len]
            .iter()
            .flatten()
            .all(|&(prefix, at)| P::S::match_prefix(store, prefix, &key[at..]).is_some())
    }
}

/// The slot of the child under `b` of the inner node in `slot`, which the caller
/// has just seen there.
fn child_slot<V, P: Policy>(slot: &mut Option<Child<V, P>>, b: u8) -> &mut Option<Child<V, P>> {
    let child = slot.as_mut().expect("descending from a full slot");
    let found = with_inner!(child, n => n.find_slot(b), _l => None);
    found.expect("descending to a child seen under this byte")
}

/// The smallest inner node holding `entries` (see [`Child::inner`]), its bytes
/// added to `node_bytes`.
fn build_inner<V, P: Policy>(
    node_bytes: &mut usize,
    header: Header<V, P>,
    entries: Vec<(u8, Child<V, P>)>,
) -> Child<V, P> {
    let child = Child::inner(header, entries);
    *node_bytes += child.node_bytes();
    child
}

/// The header and children of the inner node `child`, its box freed and its bytes
/// taken off `node_bytes`.
fn take_apart<V, P: Policy>(node_bytes: &mut usize, child: Child<V, P>) -> Parts<V, P> {
    *node_bytes -= child.node_bytes();
    with_inner!(child, n => n.into_parts(), _l => unreachable!("taking apart a leaf"))
}

/// The next step of an insert or remove, decided while the tree is only borrowed.
enum Step<V> {
    /// Go to the child under this byte.
    Descend(u8),
    /// The slot holds a leaf with a different key: split it.
    SplitLeaf,
    /// The inner node's prefix differs from the key after this many bytes.
    SplitPrefix(usize),
    /// The inner node is full: grow it, adding a leaf under this byte (or the end
    /// value, for `None`).
    Grow(Option<u8>),
    /// Remove the leaf in the slot itself.
    TakeLeaf,
    /// Remove the leaf child under this byte, then repair the node.
    TakeChild(u8),
    /// This value was the node's end value: repair the node.
    Repair(V),
}

impl<V, P: Policy> RawArt<V, P> {
    pub(crate) fn new() -> RawArt<V, P> {
        RawArt {
            root: None,
            store: Store::<P>::default(),
            len: 0,
            node_bytes: 0,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    fn bytes<'a>(&'a self, s: &'a Str<P>) -> &'a [u8] {
        P::S::get(&self.store, s)
    }

    /// The value under `key`.
    ///
    /// A prefix whose bytes live outside its node (in the arena or a box) costs a
    /// cache miss of its own. When the handle records the prefix's length, the
    /// lookup steps past it at once, prefetches its bytes and compares them at the
    /// end, so that miss overlaps the node-to-node chain instead of adding to it
    /// (about 2.5% faster gets on 1M Debian paths, same-process A/B runs).
    pub(crate) fn get(&self, key: &[u8]) -> Option<&V> {
        let mut deferred = Deferred::<P>::new();
        let mut child = self.root.as_ref()?;
        let mut depth = 0;
        let found = loop {
            with_inner!(child, n => {
                n.prefetch_search_lines();
                let prefix = n.prefix();
                match P::S::remote_len(prefix) {
                    Some(len) if deferred.has_room() && len <= key.len() - depth => {
                        P::S::prefetch(&self.store, prefix);
                        deferred.push(prefix, depth);
                        depth += len;
                    }
                    _ => depth += P::S::match_prefix(&self.store, prefix, &key[depth..])?,
                }
                if depth == key.len() {
                    break n.end()?;
                }
                child = n.find(key[depth])?;
                depth += 1;
            }, l => {
                if self.bytes(P::L::suffix(l)) != &key[depth..] {
                    return None;
                }
                break P::L::value(l);
            })
        };
        deferred.all_match(&self.store, key).then_some(found)
    }

    /// Every entry whose key is a prefix of `key`, shortest first: one walk down
    /// `key`'s path, collecting the end values it passes and the leaf it stops at
    /// when that leaf's key is a prefix of `key`.
    pub(crate) fn common_prefixes<'k>(&self, key: &'k [u8]) -> Vec<(&'k [u8], &V)> {
        let mut found = Vec::new();
        let mut next = self.root.as_ref();
        let mut depth = 0;
        while let Some(child) = next {
            next = with_inner!(child, n => {
                let Some(len) = P::S::match_prefix(&self.store, n.prefix(), &key[depth..]) else {
                    break;
                };
                depth += len;
                if let Some(v) = n.end() {
                    found.push((&key[..depth], v));
                }
                let child = key.get(depth).and_then(|&b| n.find(b));
                depth += 1;
                child
            }, l => {
                let suffix = self.bytes(P::L::suffix(l));
                if key[depth..].starts_with(suffix) {
                    found.push((&key[..depth + suffix.len()], P::L::value(l)));
                }
                None
            });
        }
        found
    }

    pub(crate) fn get_mut(&mut self, key: &[u8]) -> Option<&mut V> {
        let store = &self.store;
        let mut child = self.root.as_mut()?;
        let mut depth = 0;
        loop {
            with_inner!(child, n => {
                depth += P::S::match_prefix(store, n.prefix(), &key[depth..])?;
                if depth == key.len() {
                    return n.end_mut();
                }
                child = n.find_slot(key[depth])?.as_mut()?;
                depth += 1;
            }, l => {
                let (suffix, value) = P::L::parts_mut(l);
                return (P::S::get(store, suffix) == &key[depth..]).then_some(value);
            })
        }
    }

    pub(crate) fn insert(&mut self, key: &[u8], value: V) -> Option<V> {
        let store = &mut self.store;
        let mut slot = &mut self.root;
        let mut depth = 0;
        loop {
            let Some(child) = slot.as_mut() else {
                *slot = Some(Child::leaf(P::S::alloc(store, &[key]), value));
                self.len += 1;
                return None;
            };
            let step = with_inner!(child, n => {
                match P::S::match_prefix(store, n.prefix(), &key[depth..]) {
                    None => Step::SplitPrefix(lcp(P::S::get(store, n.prefix()), &key[depth..])),
                    Some(m) if depth + m == key.len() => {
                        depth += m;
                        if n.end().is_none() && !n.has_room() {
                            Step::Grow(None)
                        } else {
                            let old = n.set_end(value);
                            self.len += usize::from(old.is_none());
                            return old;
                        }
                    }
                    Some(m) => {
                        depth += m;
                        let b = key[depth];
                        if n.find(b).is_some() {
                            Step::Descend(b)
                        } else if n.has_room() {
                            let suffix = P::S::alloc(store, &[&key[depth + 1..]]);
                            n.add(b, Child::leaf(suffix, value));
                            self.len += 1;
                            return None;
                        } else {
                            Step::Grow(Some(b))
                        }
                    }
                }
            }, l => {
                let (suffix, old) = P::L::parts_mut(l);
                if P::S::get(store, suffix) == &key[depth..] {
                    return Some(mem::replace(old, value));
                }
                Step::<V>::SplitLeaf
            });
            match step {
                Step::Descend(b) => {
                    slot = child_slot(slot, b);
                    depth += 1;
                    continue;
                }
                Step::Grow(edge) => {
                    let old = slot.take().expect("growing a full slot");
                    let (mut header, mut entries) = take_apart(&mut self.node_bytes, old);
                    match edge {
                        Some(b) => {
                            let at = entries.partition_point(|(k, _)| *k < b);
                            let suffix = P::S::alloc(store, &[&key[depth + 1..]]);
                            entries.insert(at, (b, Child::leaf(suffix, value)));
                        }
                        None => header.end = Some(value),
                    }
                    *slot = Some(build_inner(&mut self.node_bytes, header, entries));
                }
                Step::SplitLeaf => {
                    let Some(Child::Leaf(l)) = slot.take() else {
                        unreachable!("SplitLeaf is decided on a leaf")
                    };
                    let Leaf { suffix, value: old } = P::L::unwrap(l);
                    let existing = P::S::get(store, &suffix).to_vec();
                    P::S::free(store, suffix);
                    let fork = Self::fork(
                        store,
                        &mut self.node_bytes,
                        &existing,
                        old,
                        &key[depth..],
                        value,
                    );
                    *slot = Some(fork);
                }
                Step::SplitPrefix(m) => {
                    let mut old = slot.take().expect("splitting a full slot");
                    let p = with_inner!(&mut old, n => {
                        let p = P::S::get(store, n.prefix()).to_vec();
                        let shorter = P::S::alloc(store, &[&p[m + 1..]]);
                        P::S::free(store, mem::replace(n.prefix_mut(), shorter));
                        p
                    }, _l => unreachable!());
                    let rest = &key[depth..];
                    let mut header = Header {
                        prefix: P::S::alloc(store, &[&p[..m]]),
                        end: None,
                    };
                    let mut entries = vec![(p[m], old)];
                    if rest.len() == m {
                        header.end = Some(value);
                    } else {
                        let suffix = P::S::alloc(store, &[&rest[m + 1..]]);
                        entries.push((rest[m], Child::leaf(suffix, value)));
                        entries.sort_by_key(|(k, _)| *k);
                    }
                    *slot = Some(build_inner(&mut self.node_bytes, header, entries));
                }
                Step::TakeLeaf | Step::TakeChild(_) | Step::Repair(_) => {
                    unreachable!("remove steps are not decided by insert")
                }
            }
            self.len += 1;
            return None;
        }
    }

    /// A Node4 holding two different keys, given by their remaining bytes.
    fn fork(
        store: &mut Store<P>,
        node_bytes: &mut usize,
        a: &[u8],
        va: V,
        b: &[u8],
        vb: V,
    ) -> Child<V, P> {
        let common = lcp(a, b);
        let mut header = Header {
            prefix: P::S::alloc(store, &[&a[..common]]),
            end: None,
        };
        let mut entries = Vec::with_capacity(2);
        for (rest, v) in [(a, va), (b, vb)] {
            if rest.len() == common {
                header.end = Some(v);
            } else {
                let suffix = P::S::alloc(store, &[&rest[common + 1..]]);
                entries.push((rest[common], Child::leaf(suffix, v)));
            }
        }
        entries.sort_by_key(|(k, _)| *k);
        build_inner(node_bytes, header, entries)
    }

    pub(crate) fn remove(&mut self, key: &[u8]) -> Option<V> {
        let store = &mut self.store;
        let mut slot = &mut self.root;
        let mut depth = 0;
        loop {
            let child = slot.as_mut()?;
            let step = with_inner!(child, n => {
                let p = P::S::get(store, n.prefix());
                if !key[depth..].starts_with(p) {
                    return None;
                }
                depth += p.len();
                if depth == key.len() {
                    Step::Repair(n.take_end()?)
                } else {
                    let b = key[depth];
                    match n.find(b)? {
                        Child::Leaf(l)
                            if P::S::get(store, P::L::suffix(l)) == &key[depth + 1..] =>
                        {
                            Step::TakeChild(b)
                        }
                        Child::Leaf(_) => return None,
                        _ => Step::Descend(b),
                    }
                }
            }, l => {
                if P::S::get(store, P::L::suffix(l)) != &key[depth..] {
                    return None;
                }
                Step::TakeLeaf
            });
            let value = match step {
                Step::Descend(b) => {
                    slot = child_slot(slot, b);
                    depth += 1;
                    continue;
                }
                Step::TakeLeaf => {
                    let Some(Child::Leaf(l)) = slot.take() else {
                        unreachable!("TakeLeaf is decided on a leaf")
                    };
                    let Leaf { suffix, value } = P::L::unwrap(l);
                    P::S::free(store, suffix);
                    value
                }
                Step::TakeChild(b) => {
                    let node = slot.as_mut().expect("removing from a full slot");
                    let taken = with_inner!(node, n => n.take(b), _l => None);
                    let Some(Child::Leaf(l)) = taken else {
                        unreachable!("TakeChild is decided on a leaf child")
                    };
                    let Leaf { suffix, value } = P::L::unwrap(l);
                    P::S::free(store, suffix);
                    Self::repair(store, &mut self.node_bytes, slot);
                    value
                }
                Step::Repair(value) => {
                    Self::repair(store, &mut self.node_bytes, slot);
                    value
                }
                Step::SplitLeaf | Step::SplitPrefix(_) | Step::Grow(_) => {
                    unreachable!("insert steps are not decided by remove")
                }
            };
            self.len -= 1;
            return Some(value);
        }
    }

    /// Restores the node invariants of the inner node in `slot` after it lost a
    /// child or its end value: a node left with one entry is merged into it (path
    /// compression), and a node below its type's minimum shrinks.
    fn repair(store: &mut Store<P>, node_bytes: &mut usize, slot: &mut Option<Child<V, P>>) {
        let node = slot.as_ref().expect("repairing a full slot");
        let (count, has_end, min) = with_inner!(node, n => {
            (n.count(), n.end().is_some(), n.min_children())
        }, _l => return);
        let entries = count + usize::from(has_end);
        if entries >= 2 && count >= min {
            return;
        }
        let old = slot.take().expect("repairing a full slot");
        let (header, mut children) = take_apart(node_bytes, old);
        if entries >= 2 {
            *slot = Some(build_inner(node_bytes, header, children));
            return;
        }
        let Header { prefix, end } = header;
        *slot = match (end, children.pop()) {
            (Some(value), _) => Some(Child::leaf(prefix, value)),
            (None, Some((b, Child::Leaf(l)))) => {
                let Leaf { suffix, value } = P::L::unwrap(l);
                Some(Child::leaf(Self::join(store, prefix, b, suffix), value))
            }
            (None, Some((b, mut inner))) => {
                with_inner!(&mut inner, n => {
                    let below = mem::replace(n.prefix_mut(), P::S::empty());
                    *n.prefix_mut() = Self::join(store, prefix, b, below);
                }, _l => unreachable!());
                Some(inner)
            }
            (None, None) => {
                P::S::free(store, prefix);
                None
            }
        };
    }

    /// The string `first + [b] + second`, freeing both parts.
    fn join(store: &mut Store<P>, first: Str<P>, b: u8, second: Str<P>) -> Str<P> {
        let bytes = [P::S::get(store, &first), &[b], P::S::get(store, &second)].concat();
        P::S::free(store, first);
        P::S::free(store, second);
        P::S::alloc(store, &[&bytes])
    }

    /// Heap bytes requested: nodes at their exact type sizes, leaves, end values,
    /// strings and the string store. Allocator rounding is not included. O(1):
    /// node bytes are counted as nodes are built and taken apart, leaves are one
    /// per entry, and the string store counts its own bytes.
    pub(crate) fn memory_usage(&self) -> usize {
        P::S::store_heap_bytes(&self.store)
            + self.node_bytes
            + self.len * P::L::heap_bytes::<Str<P>, V>()
    }

    /// Checks that a string handle's own record of its length (which lookups trust
    /// to step past a prefix) is the length of its bytes.
    fn check_remote_len(&self, s: &Str<P>, depth: usize) -> Result<(), String> {
        match P::S::remote_len(s) {
            Some(len) if len != self.bytes(s).len() => Err(format!(
                "a string at depth {depth} records length {len} but holds {} bytes",
                self.bytes(s).len()
            )),
            _ => Ok(()),
        }
    }

    /// Checks every node: type-specific layout, child counts within the type's
    /// bounds, no inner node with fewer than two entries, the entry count, string
    /// lengths recorded in handles, that the string store holds exactly the
    /// tree's out-of-line strings, and the byte counts behind
    /// [`RawArt::memory_usage`].
    pub(crate) fn check_invariants(&self) -> Result<(), String> {
        let mut entries = 0usize;
        let mut stored = 0usize;
        // What the counters behind `memory_usage` must come to.
        let (mut node_bytes, mut own_bytes) = (0usize, 0usize);
        let mut stack: Vec<(&Child<V, P>, usize)> = self.root.iter().map(|c| (c, 0)).collect();
        while let Some((child, depth)) = stack.pop() {
            node_bytes += child.node_bytes();
            let result: Result<(), String> = with_inner!(child, n => {
                stored += usize::from(P::S::in_store(n.prefix()));
                own_bytes += P::S::own_heap_bytes(n.prefix());
                self.check_remote_len(n.prefix(), depth)?;
                entries += usize::from(n.end().is_some());
                n.check_layout()?;
                let (count, name) = (n.count(), n.name());
                if count > n.capacity() || count < n.min_children() {
                    return Err(format!(
                        "{name} at depth {depth} has {count} children (allowed {}..={})",
                        n.min_children(),
                        n.capacity()
                    ));
                }
                if count + usize::from(n.end().is_some()) < 2 {
                    return Err(format!(
                        "{name} at depth {depth} has a single entry (not path-compressed)"
                    ));
                }
                let below = depth + self.bytes(n.prefix()).len() + 1;
                n.for_each(&mut |_, c| stack.push((c, below)));
                Ok(())
            }, l => {
                entries += 1;
                stored += usize::from(P::S::in_store(P::L::suffix(l)));
                own_bytes += P::S::own_heap_bytes(P::L::suffix(l));
                self.check_remote_len(P::L::suffix(l), depth)
            });
            result?;
        }
        if entries != self.len {
            return Err(format!(
                "len is {} but the tree holds {entries} entries",
                self.len
            ));
        }
        if let Some(items) = P::S::store_items(&self.store) {
            if items != stored {
                return Err(format!(
                    "the arena holds {items} strings but the tree references {stored}"
                ));
            }
        }
        if node_bytes != self.node_bytes {
            return Err(format!(
                "the inner nodes take {node_bytes} bytes but the tree counts {}",
                self.node_bytes
            ));
        }
        if let Some(counted) = P::S::counted_own_bytes(&self.store) {
            if counted != own_bytes {
                return Err(format!(
                    "the strings own {own_bytes} heap bytes but the store counts {counted}"
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::policy::{ArenaKeys, ArenaKeysNode3};
    use super::*;

    /// The type name of the root node (`None` for a leaf or an empty tree).
    fn root_type<V, P: Policy>(t: &RawArt<V, P>) -> Option<&'static str> {
        with_inner!(t.root.as_ref()?, n => Some(n.name()), _l => None)
    }

    #[test]
    fn small_nodes_follow_the_policy_with_one_entry_of_hysteresis() {
        let mut ultra = RawArt::<u64, ArenaKeysNode3>::new();
        let mut compact = RawArt::<u64, ArenaKeys>::new();
        // (key, insert or remove, root type in UltraCompactArt, in CompactArt)
        type Case<'a> = (&'a [u8], bool, Option<&'a str>, Option<&'a str>);
        let steps: [Case; 6] = [
            (b"a", true, None, None),
            (b"b", true, Some("Node3"), Some("Node4")),
            (b"", true, Some("Node3"), Some("Node4")),
            (b"c", true, Some("Node4"), Some("Node4")),
            // Three entries left, two of them keyed children: the Node4 stays.
            (b"c", false, Some("Node4"), Some("Node4")),
            (b"b", false, Some("Node3"), Some("Node4")),
        ];
        for (i, (key, insert, in_ultra, in_compact)) in steps.into_iter().enumerate() {
            if insert {
                ultra.insert(key, i as u64);
                compact.insert(key, i as u64);
            } else {
                ultra.remove(key).expect("present");
                compact.remove(key).expect("present");
            }
            ultra.check_invariants().unwrap();
            compact.check_invariants().unwrap();
            assert_eq!(root_type(&ultra), in_ultra, "step {i}");
            assert_eq!(root_type(&compact), in_compact, "step {i}");
        }
        assert_eq!(ultra.get(b""), Some(&2));
        assert_eq!(ultra.get(b"a"), Some(&0));
    }
}
