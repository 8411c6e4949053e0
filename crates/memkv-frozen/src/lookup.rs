//! Point lookups straight on the FST bytes: a key's ordinal, or the ordinals of
//! the keys along its path (for `common_prefixes`).
//!
//! `fst::raw::Fst::get` builds a full `Node` for every node it passes (all of its
//! sizes and section offsets, its final output, ...) and then searches it. A
//! lookup needs much less: from a one-transition node (most nodes on a key's
//! path, since keys spell long chains of single transitions) only its input and
//! target, from a node with many transitions only the one under the key's next
//! byte. Reading just that takes about half the instructions: 4,180 per lookup
//! against 7,820 on 1M Debian paths (`docs/DESIGN.md`, "Our FST reader").
//!
//! The layout read here is `fst`'s format version 3, drawn in `docs/FORMAT.md`;
//! the constants are shared with the writer and the structural check
//! (`fst_format`). Every layer's bytes either come from this crate's writer or
//! passed that check (`validate`), which proves every offset computed below lies
//! within the FST; the reads are bounds-checked all the same, so bytes that
//! somehow escaped it could give a wrong answer or a panic, never undefined
//! behaviour. Property tests compare every answer with `fst`'s own.

use crate::fst_format::{sizes_of, unpack, COMMON_INPUTS, EMPTY_ADDRESS, INDEX_THRESHOLD};

/// The empty final state's address, as an index.
const EMPTY: usize = EMPTY_ADDRESS as usize;

/// Node kinds, from the state byte's top two bits.
const ONE_TRANS_NEXT: u8 = 0b11;
const ONE_TRANS: u8 = 0b10;
/// Bit 6 of a many-transition node's state byte: the node is final.
const FINAL: u8 = 0x40;
/// The low six bits: a one-transition node's common-input code, or a
/// many-transition node's transition count (0: in the byte below).
const LOW6: u8 = 0x3F;

/// A transition's target from its stored delta, counted down from the lowest
/// byte of the node it leaves (0 is the empty final state).
#[inline(always)]
fn target(delta: u64, low: usize) -> usize {
    if delta == 0 {
        EMPTY
    } else {
        low - delta as usize
    }
}

/// A one-transition node's input byte and the address just below it.
#[inline(always)]
fn one_input(data: &[u8], addr: usize, state: u8) -> (u8, usize) {
    match state & LOW6 {
        0 => (data[addr - 1], addr - 1),
        code => (COMMON_INPUTS[usize::from(code) - 1], addr),
    }
}

/// The layout of a node with any number of transitions (state bits `0b0x`).
struct Many {
    ntrans: usize,
    /// Bytes per transition target delta and per output.
    tsize: usize,
    osize: usize,
    /// One past the highest input byte (transition 0's input is just below).
    inputs_top: usize,
}

impl Many {
    #[inline(always)]
    fn new(data: &[u8], addr: usize, state: u8) -> Many {
        let (ntrans, sizes_at) = match state & LOW6 {
            // 1 never fits in this byte (the state byte holds it): it means 256.
            0 => match data[addr - 1] {
                1 => (256, addr - 2),
                n => (usize::from(n), addr - 2),
            },
            n => (usize::from(n), addr - 1),
        };
        let (tsize, osize) = sizes_of(data[sizes_at]);
        let index = if ntrans > INDEX_THRESHOLD { 256 } else { 0 };
        Many {
            ntrans,
            tsize,
            osize,
            inputs_top: sizes_at - index,
        }
    }

    /// The position of the transition under input `b`.
    #[inline(always)]
    fn find(&self, data: &[u8], b: u8) -> Option<usize> {
        let inputs_low = self.inputs_top - self.ntrans;
        if self.ntrans > INDEX_THRESHOLD {
            // The 256-byte index sits right above the inputs.
            let i = usize::from(data[self.inputs_top + usize::from(b)]);
            return (i < self.ntrans).then_some(i);
        }
        // Inputs increase with the position and are stored top down.
        let at = data[inputs_low..self.inputs_top]
            .iter()
            .rposition(|&x| x == b)?;
        Some(self.ntrans - 1 - at)
    }

    /// Where the transitions' target deltas end (exclusive).
    #[inline(always)]
    fn addrs_top(&self) -> usize {
        self.inputs_top - self.ntrans
    }

    /// Where the transitions' outputs end (exclusive).
    #[inline(always)]
    fn outputs_top(&self) -> usize {
        self.addrs_top() - self.ntrans * self.tsize
    }

    /// The node's lowest byte, given whether it is final.
    #[inline(always)]
    fn low(&self, is_final: bool) -> usize {
        self.outputs_top() - self.ntrans * self.osize - if is_final { self.osize } else { 0 }
    }

    /// The target address of transition `i`, given whether the node is final.
    #[inline(always)]
    fn target(&self, data: &[u8], i: usize, is_final: bool) -> usize {
        let delta = unpack(data, self.addrs_top() - (i + 1) * self.tsize, self.tsize);
        target(delta, self.low(is_final))
    }
}

/// A one-transition node's output and target, from the address just below its
/// input (`below`, as [`one_input`] returns it).
#[inline(always)]
fn one_trans_out(data: &[u8], below: usize) -> (u64, usize) {
    let (low, tsize, osize) = one_trans_layout(data, below);
    let out = unpack(data, low, osize);
    (out, target(unpack(data, low + osize, tsize), low))
}

/// A one-transition node's target alone (its output left unread).
#[inline(always)]
fn one_trans_target(data: &[u8], below: usize) -> usize {
    let (low, tsize, osize) = one_trans_layout(data, below);
    target(unpack(data, low + osize, tsize), low)
}

/// A one-transition node's lowest byte and its target and output sizes.
#[inline(always)]
fn one_trans_layout(data: &[u8], below: usize) -> (usize, usize, usize) {
    let sizes_at = below - 1;
    let (tsize, osize) = sizes_of(data[sizes_at]);
    (sizes_at - tsize - osize, tsize, osize)
}

/// The transition out of the node at `addr` under input `b`, if there is one:
/// its target's address and its output.
#[inline(always)]
pub(crate) fn step(data: &[u8], addr: usize, b: u8) -> Option<(usize, u64)> {
    if addr == EMPTY {
        return None;
    }
    let state = data[addr];
    match state >> 6 {
        ONE_TRANS_NEXT => {
            let (input, below) = one_input(data, addr, state);
            // The target is the node right below, output 0.
            (input == b).then_some((below - 1, 0))
        }
        ONE_TRANS => {
            let (input, below) = one_input(data, addr, state);
            if input != b {
                return None;
            }
            let (out, to) = one_trans_out(data, below);
            Some((to, out))
        }
        _ => {
            let node = Many::new(data, addr, state);
            let i = node.find(data, b)?;
            let out = unpack(data, node.outputs_top() - (i + 1) * node.osize, node.osize);
            Some((node.target(data, i, state & FINAL != 0), out))
        }
    }
}

/// How many transitions leave the node at `addr`, and whether it is final: what a
/// scan needs to know of a node before it takes one of its transitions.
#[inline(always)]
pub(crate) fn shape(data: &[u8], addr: usize) -> (usize, bool) {
    if addr == EMPTY {
        return (0, true);
    }
    let state = data[addr];
    // One-transition nodes (top bit set) are never final.
    if state >> 7 == 1 {
        return (1, false);
    }
    (Many::new(data, addr, state).ntrans, state & FINAL != 0)
}

/// The input byte and target of the node at `addr` when it has exactly one
/// transition; `None` for any other node. Unlike [`transition`] it leaves a
/// one-transition node's output unread: a scan walking a key's chain of such
/// nodes needs only where each leads.
#[inline(always)]
pub(crate) fn one_transition(data: &[u8], addr: usize) -> Option<(u8, usize)> {
    if addr == EMPTY {
        return None;
    }
    let state = data[addr];
    match state >> 6 {
        ONE_TRANS_NEXT => {
            let (input, below) = one_input(data, addr, state);
            Some((input, below - 1))
        }
        ONE_TRANS => {
            let (input, below) = one_input(data, addr, state);
            Some((input, one_trans_target(data, below)))
        }
        _ => None,
    }
}

/// The input byte and target address of transition `i` (below the node's
/// transition count) of the node at `addr`; transitions are in input order.
#[inline(always)]
pub(crate) fn transition(data: &[u8], addr: usize, i: usize) -> (u8, usize) {
    if let Some(only) = one_transition(data, addr) {
        return only;
    }
    let state = data[addr];
    let node = Many::new(data, addr, state);
    // Inputs increase with the position and are stored top down.
    let input = data[node.inputs_top - 1 - i];
    (input, node.target(data, i, state & FINAL != 0))
}

/// The final output of the node at `addr`, if the node is final.
#[inline(always)]
pub(crate) fn final_output(data: &[u8], addr: usize) -> Option<u64> {
    if addr == EMPTY {
        return Some(0);
    }
    let state = data[addr];
    // One-transition nodes are never final.
    if state >> 7 == 1 || state & FINAL == 0 {
        return None;
    }
    let node = Many::new(data, addr, state);
    Some(unpack(data, node.low(true), node.osize))
}

/// The output of `key`'s path in the FST `data` whose root node ends at `root`:
/// its ordinal, or `None` when the FST does not hold `key`.
///
/// Outputs add up with wrapping, as `fst`'s do in release builds: the
/// structural check proves no sum along a path overflows, and bytes that
/// escaped it must not make a lookup panic.
#[inline]
pub(crate) fn ordinal(data: &[u8], root: usize, key: &[u8]) -> Option<u64> {
    let mut addr = root;
    let mut out = 0u64;
    for &b in key {
        let (next, o) = step(data, addr, b)?;
        addr = next;
        out = out.wrapping_add(o);
    }
    Some(out.wrapping_add(final_output(data, addr)?))
}

/// The keys along `key`'s path: `(length, output)` for every prefix of `key`
/// (itself included) that the FST holds, shortest first, from one walk.
pub(crate) struct PathFinals<'a, 'k> {
    data: &'a [u8],
    key: &'k [u8],
    /// The node reached by `key[..depth]`, or `None` once the walk left the FST.
    addr: Option<usize>,
    depth: usize,
    /// The outputs summed along the transitions taken.
    out: u64,
}

impl<'a, 'k> PathFinals<'a, 'k> {
    /// The walk along `key` in the FST `data` whose root node ends at `root`.
    pub(crate) fn new(data: &'a [u8], root: usize, key: &'k [u8]) -> Self {
        PathFinals {
            data,
            key,
            addr: Some(root),
            depth: 0,
            out: 0,
        }
    }

    /// How many bytes of the key the walk has followed.
    pub(crate) fn depth(&self) -> usize {
        self.depth
    }
}

impl Iterator for PathFinals<'_, '_> {
    type Item = (usize, u64);

    fn next(&mut self) -> Option<(usize, u64)> {
        loop {
            let addr = self.addr.take()?;
            let here = self.depth;
            let found = final_output(self.data, addr).map(|o| self.out.wrapping_add(o));
            if let Some(&b) = self.key.get(here) {
                if let Some((next, o)) = step(self.data, addr, b) {
                    self.out = self.out.wrapping_add(o);
                    self.addr = Some(next);
                    self.depth += 1;
                }
            }
            if let Some(out) = found {
                return Some((here, out));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use crate::FrozenLayer;

    /// Checks every answer of the walker against `fst`'s on `layer`.
    fn agrees(layer: &FrozenLayer, queries: impl IntoIterator<Item = Vec<u8>>) {
        agrees_on(layer.as_fst(), queries);
    }

    fn agrees_on<D: AsRef<[u8]>>(
        fst: &fst::raw::Fst<D>,
        queries: impl IntoIterator<Item = Vec<u8>>,
    ) {
        for q in queries {
            let expected = fst.get(&q).map(|o| o.value());
            let (data, root) = (fst.as_bytes(), fst.root().addr());
            let got = super::ordinal(data, root, &q);
            assert_eq!(got, expected, "{:?}", q.escape_ascii().to_string());
            let finals: Vec<(usize, u64)> = super::PathFinals::new(data, root, &q).collect();
            let expected: Vec<(usize, u64)> = (0..=q.len())
                .filter_map(|n| Some((n, fst.get(&q[..n])?.value())))
                .collect();
            assert_eq!(finals, expected, "{:?}", q.escape_ascii().to_string());
        }
        // Every node's shape and transitions, as a scan reads them.
        let data = fst.as_bytes();
        let mut todo = vec![fst.root().addr()];
        let mut seen = std::collections::HashSet::new();
        while let Some(addr) = todo.pop() {
            if !seen.insert(addr) {
                continue;
            }
            let node = fst.node(addr);
            assert_eq!(
                super::shape(data, addr),
                (node.len(), node.is_final()),
                "node {addr}"
            );
            for (i, t) in node.transitions().enumerate() {
                assert_eq!(
                    super::transition(data, addr, i),
                    (t.inp, t.addr),
                    "node {addr}, {i}"
                );
                todo.push(t.addr);
            }
        }
    }

    fn layer_of(keys: &std::collections::BTreeSet<Vec<u8>>) -> FrozenLayer {
        FrozenLayer::from_sorted_iter(keys.iter().map(|k| (k, 0u64))).expect("sorted keys")
    }

    /// Every key, every proper prefix and extension of it, and near misses.
    fn queries_for(keys: &std::collections::BTreeSet<Vec<u8>>) -> Vec<Vec<u8>> {
        let mut qs = vec![Vec::new(), vec![0], vec![0xFF]];
        for k in keys {
            qs.push(k.clone());
            qs.extend((0..k.len()).map(|n| k[..n].to_vec()));
            for b in [0u8, b'a', 0xFF] {
                let mut longer = k.clone();
                longer.push(b);
                qs.push(longer);
            }
            if let Some((&last, head)) = k.split_last() {
                let mut other = head.to_vec();
                other.push(last.wrapping_add(1));
                qs.push(other);
            }
        }
        qs
    }

    #[test]
    fn agrees_with_fst_on_every_node_shape() {
        use std::collections::BTreeSet;
        // Empty, only the empty key, one key.
        for keys in [vec![], vec![vec![]], vec![b"key".to_vec()]] {
            let keys: BTreeSet<Vec<u8>> = keys.into_iter().collect();
            agrees(&layer_of(&keys), queries_for(&keys));
        }
        // A 256-transition indexed root (count 1 in its byte stands for 256),
        // 40-transition indexed nodes, inputs with and without a common code,
        // final nodes with transitions, and ordinals wide enough for 2-byte outputs.
        let mut keys: BTreeSet<Vec<u8>> = (0..=255u8).map(|b| vec![b]).collect();
        keys.extend((0..40u8).map(|b| vec![b'x', b'A' + b]));
        keys.extend((0..40u8).map(|b| vec![b'y', b, b'Y', 0]));
        keys.extend((0..2000u32).map(|i| format!("/usr/share/doc/pkg{i}/copyright").into_bytes()));
        keys.extend((0..200u32).map(|i| format!("/usr/lib/{i:x}").into_bytes()));
        agrees(&layer_of(&keys), queries_for(&keys));
    }

    proptest! {
        #[test]
        fn agrees_with_fst(
            keys in proptest::collection::btree_set(
                proptest::collection::vec(
                    prop_oneof![Just(0u8), Just(b'/'), Just(b'a'), Just(b'b'), Just(0xFF), any::<u8>()],
                    0..12,
                ),
                0..300,
            ),
            extra in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..6), 0..20),
        ) {
            let layer = layer_of(&keys);
            agrees(&layer, queries_for(&keys).into_iter().chain(extra));
        }

        /// Any values, not just ordinals: `fst`'s own builder then puts outputs
        /// on single transitions and final states anywhere, which valid files
        /// written by other tools may hold.
        #[test]
        fn agrees_with_fst_on_any_outputs(
            entries in proptest::collection::btree_map(
                proptest::collection::vec(
                    prop_oneof![Just(b'a'), Just(b'b'), Just(b'Y'), any::<u8>()],
                    0..10,
                ),
                prop_oneof![Just(0u64), 0..300u64, any::<u64>()],
                0..200,
            ),
        ) {
            let map = fst::Map::from_iter(entries.iter().map(|(k, &v)| (k, v))).expect("sorted");
            let keys = entries.keys().cloned().collect();
            agrees_on(map.as_fst(), queries_for(&keys));
        }
    }
}
