//! The structural check of the FST section, run by `FrozenLayer::open` and
//! `FrozenLayer::from_bytes` before the `fst` crate or `lookup` reads a single
//! node.
//!
//! The file's CRC-32 catches accidental damage, but a file can carry a valid
//! checksum around malformed FST bytes (written by a buggy tool, or on purpose).
//! `fst` trusts its input: a node that claims more bytes than exist, a pack size
//! above 8 or a transition that points outside the FST makes it panic, and a
//! transition that points forward could make a walk loop. This pass proves, in one
//! backward sweep over the bytes, that none of that can happen (`docs/FORMAT.md`,
//! "Reading rules", lists what it checks):
//!
//! - the FST header and trailer are well formed (version 3, root address where
//!   `fst` expects it);
//! - the node region is a gap-free sequence of nodes, from the root down to the end
//!   of the 16-byte FST header: every node decodes entirely within that region;
//! - every pack size is one `fst` accepts (1 to 8 bytes for transition addresses,
//!   0 to 8 for outputs);
//! - every transition points to the last byte of an *earlier* node (or to the
//!   empty final state), so every walk moves to strictly lower addresses, ends,
//!   and only ever decodes nodes this pass decoded;
//! - transition inputs strictly increase within a node, and the 256-byte index of
//!   large nodes agrees with them, so lookups and scans see the same transitions;
//! - no output exceeds the largest ordinal, and the number of nodes times the
//!   largest output fits in a `u64`, so the sums `fst` forms along a path cannot
//!   overflow.
//!
//! Matching transition targets with nodes needs memory: the sweep meets a target
//! long before the node it names. Files written by this crate carry a node-end
//! index (one bit per FST byte, `docs/FORMAT.md`), which the sweep checks against
//! the nodes it decodes and then looks targets up in: constant memory, whatever
//! the file size. Without the index (layers in memory, version 1 files) the sweep
//! keeps the pending targets in a heap, about 1% of the FST on real key sets.
//!
//! What it does not prove is that the keys and ordinals are *right* (that every
//! path spells a distinct key in order, with ordinals 0, 1, 2, ...): that takes a
//! walk over every key, which `memkv verify` does. A file that passes this check
//! but not that one gives wrong answers, never a panic or an endless loop.

use std::collections::BinaryHeap;

use memkv_core::{Error, Result};

use crate::fst_format::{sizes_of, unpack, FST_HEADER, FST_TRAILER, FST_VERSION, INDEX_THRESHOLD};

/// The size of an FST with no node at all (only the empty key, or nothing).
const EMPTY_FST: usize = FST_HEADER + FST_TRAILER;
/// The address of the empty final state, which takes no bytes.
const EMPTY_ADDRESS: usize = crate::fst_format::EMPTY_ADDRESS as usize;

fn corrupt(what: impl std::fmt::Display) -> Error {
    Error::corrupt(format!("FST section: {what}"))
}

fn u64_at(bytes: &[u8], at: usize) -> u64 {
    let mut b = [0u8; 8];
    b.copy_from_slice(&bytes[at..at + 8]);
    u64::from_le_bytes(b)
}

/// What the sweep learned, for tests and measurements.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct FstCheck {
    /// Nodes decoded.
    pub nodes: u64,
    /// The largest number of transition targets waiting to be matched with a node
    /// at any time (the memory the sweep needed, in `usize`s).
    pub max_pending: usize,
}

/// Checks the FST section `fst` of a layer whose header counts `keys` keys, with
/// the layer's node-end index when it has one.
pub(crate) fn check_fst(fst: &[u8], keys: u64, node_ends: Option<&[u8]>) -> Result<FstCheck> {
    if fst.len() < EMPTY_FST {
        return Err(corrupt(format!(
            "{} bytes, fewer than the {EMPTY_FST} of an empty FST",
            fst.len()
        )));
    }
    let version = u64_at(fst, 0);
    if version != FST_VERSION {
        return Err(corrupt(format!(
            "fst format version {version}, expected {FST_VERSION}"
        )));
    }
    let end = fst.len() - 4;
    let fst_keys = u64_at(fst, end - 16);
    let root = u64_at(fst, end - 8);
    if fst_keys != keys {
        return Err(corrupt(format!(
            "the header counts {keys} keys, the FST {fst_keys}"
        )));
    }
    if root == EMPTY_ADDRESS as u64 {
        // Only the empty key, with ordinal 0: the root is the empty final state.
        if fst.len() != EMPTY_FST || keys != 1 {
            return Err(corrupt("root is the empty final state, but the FST is not"));
        }
        if let Some(index) = node_ends {
            let index = NodeEnds(index);
            index.expect_clear(0, index.bits())?;
        }
        return Ok(FstCheck::default());
    }
    // The root node is the last thing before the trailer.
    let root = usize::try_from(root)
        .ok()
        .filter(|&r| r >= FST_HEADER && r.checked_add(FST_TRAILER + 1) == Some(fst.len()))
        .ok_or_else(|| corrupt(format!("root address {root} is not where it must be")))?;
    let pending = match node_ends {
        Some(index) => {
            // Outside the node region no bit may be set: a target there would be
            // taken for a node.
            let index = NodeEnds(index);
            index.expect_clear(0, FST_HEADER)?;
            index.expect_clear(root + 1, index.bits())?;
            Pending::Index(index)
        }
        None => Pending::Heap(BinaryHeap::new()),
    };
    sweep(&fst[..=root], keys.saturating_sub(1), pending)
}

/// The node-end index of a layer file: bit `a` (bit `a % 8` of byte `a / 8`) is
/// set exactly when FST byte `a` is the last byte of a node.
#[derive(Clone, Copy)]
struct NodeEnds<'a>(&'a [u8]);

impl NodeEnds<'_> {
    /// How many addresses the index covers.
    fn bits(&self) -> usize {
        self.0.len() * 8
    }

    fn is_set(&self, a: usize) -> bool {
        self.0.get(a / 8).is_some_and(|b| b >> (a % 8) & 1 == 1)
    }

    /// Checks that no bit in `from..to` is set.
    fn expect_clear(&self, from: usize, to: usize) -> Result<()> {
        match (from..to.min(self.bits())).find(|&a| self.is_set(a)) {
            None => Ok(()),
            Some(a) => Err(corrupt(format!(
                "the node-end index marks byte {a}, which ends no node"
            ))),
        }
    }
}

/// Writes the node-end index of `fst` (an FST this crate built, or one that passed
/// [`check_fst`]) as [`NodeEnds`] bytes: `emit(at, bytes)` receives consecutive
/// runs of the index, from its end down to its start, each to go at offset `at` of
/// the section. Memory is a fixed 64 KiB buffer, whatever the FST size.
pub(crate) fn node_end_runs(
    fst: &[u8],
    mut emit: impl FnMut(usize, &[u8]) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let len = fst.len().div_ceil(64) * 8;
    let mut run = vec![0u8; RUN.min(len)];
    // The run covers index bytes `start..start + run.len()`.
    let mut start = len - run.len();
    let end = fst.len() - 4;
    let root = usize::try_from(u64_at(fst, end - 8)).map_err(std::io::Error::other)?;
    if root != EMPTY_ADDRESS {
        let data = &fst[..=root];
        let mut addr = root;
        loop {
            while addr / 8 < start {
                emit(start, &run)?;
                move_down(&mut run, &mut start);
            }
            run[addr / 8 - start] |= 1 << (addr % 8);
            let node = decode(data, addr).map_err(std::io::Error::other)?;
            if node.low == FST_HEADER {
                break;
            }
            addr = node.low - 1;
        }
    }
    // The rest, down to the start of the index, holds no node end.
    loop {
        emit(start, &run)?;
        if start == 0 {
            return Ok(());
        }
        move_down(&mut run, &mut start);
    }
}

/// Index bytes [`node_end_runs`] emits at a time.
const RUN: usize = 1 << 16;

/// Makes `run` (index bytes `*start..`) the cleared run just below it: [`RUN`]
/// bytes, fewer at the bottom of the index.
fn move_down(run: &mut Vec<u8>, start: &mut usize) {
    let next = start.saturating_sub(RUN);
    run.fill(0);
    run.truncate(*start - next);
    *start = next;
}

/// Transition targets seen but not yet matched with a node. Targets lie below the
/// node that holds them, and the sweep moves down, so a target is matched (or
/// found to point into the middle of a node) when the sweep passes it.
enum Pending<'a> {
    /// The file's node-end index: targets are looked up in it at once, and the
    /// sweep checks that it marks exactly the ends of the nodes it decodes.
    Index(NodeEnds<'a>),
    /// A max-heap of target addresses (with repeats): small for real FSTs, whose
    /// transitions mostly point to recent nodes.
    Heap(BinaryHeap<usize>),
    /// One bit per byte of the node region, used once the heap would take more
    /// memory than that.
    Bits(Vec<u64>),
}

impl Pending<'_> {
    fn len_hint(&self) -> usize {
        match self {
            Pending::Index(_) => 0,
            Pending::Heap(h) => h.len(),
            Pending::Bits(b) => b.len(),
        }
    }

    fn push(&mut self, target: usize, region: usize) -> Result<()> {
        match self {
            // A marked byte the sweep has not reached yet is checked to end a node
            // when the sweep gets there.
            Pending::Index(index) if index.is_set(target) => {}
            Pending::Index(_) => {
                return Err(corrupt(format!(
                    "a transition points to byte {target}, which the node-end index does not mark"
                )))
            }
            Pending::Heap(h) => {
                h.push(target);
                // A heap entry costs 64 bits, a bitmap one bit per byte.
                if h.len() > 4096 && h.len() > region / 64 {
                    let mut bits = vec![0u64; region.div_ceil(64)];
                    for t in h.drain() {
                        bits[t / 64] |= 1 << (t % 64);
                    }
                    *self = Pending::Bits(bits);
                }
            }
            Pending::Bits(bits) => bits[target / 64] |= 1 << (target % 64),
        }
        Ok(())
    }

    /// Settles every target within the node at `low..=addr`: those at `addr` are
    /// matched, any other points into the middle of the node.
    fn settle(&mut self, low: usize, addr: usize) -> Result<()> {
        let inside = |t: usize| {
            corrupt(format!(
                "a transition points to byte {t}, inside the node at {low}..={addr}"
            ))
        };
        match self {
            Pending::Index(index) => {
                if !index.is_set(addr) {
                    return Err(corrupt(format!(
                        "the node-end index does not mark the end of the node at {low}..={addr}"
                    )));
                }
                index.expect_clear(low, addr)?;
            }
            Pending::Heap(h) => {
                while let Some(&t) = h.peek() {
                    if t < low {
                        break;
                    }
                    if t != addr {
                        return Err(inside(t));
                    }
                    h.pop();
                }
            }
            Pending::Bits(bits) => {
                let mut at = low;
                while at < addr {
                    let word = bits[at / 64] >> (at % 64);
                    if word == 0 {
                        at = (at / 64 + 1) * 64;
                        continue;
                    }
                    let t = at + word.trailing_zeros() as usize;
                    if t < addr {
                        return Err(inside(t));
                    }
                    break;
                }
                bits[addr / 64] &= !(1 << (addr % 64));
            }
        }
        Ok(())
    }
}

/// Decodes every node of `data` (the FST up to and including the root node's last
/// byte), from the root down.
fn sweep(data: &[u8], max_output: u64, mut pending: Pending<'_>) -> Result<FstCheck> {
    let mut check = FstCheck::default();
    let mut largest = 0u64;
    let mut addr = data.len() - 1;
    loop {
        let node = decode(data, addr)?;
        check.nodes += 1;
        pending.settle(node.low, addr)?;
        for i in 0..node.ntrans {
            let t = node.transition(data, i);
            if t.out > max_output {
                return Err(corrupt(format!(
                    "the node at {addr} has output {}, above the largest ordinal {max_output}",
                    t.out
                )));
            }
            largest = largest.max(t.out);
            let target = t.target.ok_or_else(|| {
                corrupt(format!(
                    "the node at {addr} has a transition out of the FST"
                ))
            })?;
            // The byte just below this node is the next node's last byte, which
            // the sweep decodes next: only other targets need remembering.
            if target != EMPTY_ADDRESS && target + 1 != node.low {
                pending.push(target, data.len())?;
                check.max_pending = check.max_pending.max(pending.len_hint());
            }
        }
        if node.final_out > max_output {
            return Err(corrupt(format!(
                "the node at {addr} has final output {}, above the largest ordinal {max_output}",
                node.final_out
            )));
        }
        largest = largest.max(node.final_out);
        if node.low == FST_HEADER {
            break;
        }
        // Nodes are contiguous: the previous one ends just below this one.
        addr = node.low - 1;
    }
    // Below the first node lies only the FST header: a target left over points there.
    if let Pending::Heap(h) = &pending {
        if let Some(t) = h.peek() {
            return Err(corrupt(format!(
                "a transition points to byte {t}, not a node"
            )));
        }
    }
    // A path visits each node at most once (addresses strictly decrease), so its
    // output sum is at most (nodes + 1) * largest.
    if u128::from(check.nodes + 1) * u128::from(largest) > u128::from(u64::MAX) {
        return Err(corrupt("outputs large enough to overflow along a path"));
    }
    Ok(check)
}

/// One transition, decoded: its output and target address (`None` when the
/// stored delta reaches below the node region).
#[derive(Clone, Copy, Debug)]
struct Trans {
    out: u64,
    target: Option<usize>,
}

/// A node's layout, with every offset checked to lie within `FST_HEADER..=addr`.
#[derive(Clone, Copy, Debug)]
struct Node {
    /// The node's lowest byte.
    low: usize,
    kind: Kind,
    ntrans: usize,
    final_out: u64,
}

#[derive(Clone, Copy, Debug)]
enum Kind {
    /// One transition to the node just below, output 0.
    OneNext,
    /// One transition: output at `low`, address after it.
    One { tsize: usize, osize: usize },
    /// Any number of transitions: transition 0's address ends (exclusive) at
    /// `addrs`, its output at `outputs`.
    Any {
        tsize: usize,
        osize: usize,
        addrs: usize,
        outputs: usize,
    },
}

/// The bytes an input takes in a one-transition node: none when the state byte
/// names it (`fst` numbers its 63 most common input bytes there), one otherwise.
fn input_len(state: u8) -> usize {
    usize::from(state & 0x3F == 0)
}

fn decode(data: &[u8], addr: usize) -> Result<Node> {
    let bad = |what: &str| corrupt(format!("the node at {addr}: {what}"));
    // `low` counts down from `addr`; every step is checked against the header.
    let below = |at: usize, n: usize| -> Result<usize> {
        at.checked_sub(n)
            .filter(|&x| x >= FST_HEADER)
            .ok_or_else(|| bad("it extends into the FST header"))
    };
    let state = data[addr];
    match state >> 6 {
        0b11 => {
            let low = below(addr, input_len(state))?;
            // The target is the byte just below: the previous node's last byte.
            below(low, 1)?;
            Ok(Node {
                low,
                kind: Kind::OneNext,
                ntrans: 1,
                final_out: 0,
            })
        }
        0b10 => {
            let sizes_at = below(addr, input_len(state) + 1)?;
            let (tsize, osize) = sizes_of(data[sizes_at]);
            if !(1..=8).contains(&tsize) || osize > 8 {
                return Err(bad("impossible pack sizes"));
            }
            let low = below(sizes_at, tsize + osize)?;
            Ok(Node {
                low,
                kind: Kind::One { tsize, osize },
                ntrans: 1,
                final_out: 0,
            })
        }
        _ => {
            let is_final = state & 0x40 != 0;
            let (ntrans, at) = match usize::from(state & 0x3F) {
                0 => {
                    let at = below(addr, 1)?;
                    // 1 never fits in the state byte's own count: it stands for 256.
                    let n = match data[at] {
                        1 => 256,
                        n => usize::from(n),
                    };
                    (n, at)
                }
                n => (n, addr),
            };
            let sizes_at = below(at, 1)?;
            let (tsize, osize) = sizes_of(data[sizes_at]);
            if (ntrans > 0 && !(1..=8).contains(&tsize)) || tsize > 8 || osize > 8 {
                return Err(bad("impossible pack sizes"));
            }
            let index = if ntrans > INDEX_THRESHOLD { 256 } else { 0 };
            let index_at = below(sizes_at, index)?;
            let inputs_low = below(index_at, ntrans)?;
            let addrs_low = below(inputs_low, ntrans * tsize)?;
            let outputs_low = below(addrs_low, ntrans * osize)?;
            let final_size = if is_final { osize } else { 0 };
            let low = below(outputs_low, final_size)?;
            let node = Node {
                low,
                kind: Kind::Any {
                    tsize,
                    osize,
                    addrs: inputs_low,
                    outputs: addrs_low,
                },
                ntrans,
                final_out: unpack(data, low, final_size),
            };
            // Inputs strictly increase, and the index (if any) agrees with them.
            let mut previous = None;
            for i in 0..ntrans {
                let inp = data[index_at - 1 - i];
                if previous.is_some_and(|p| p >= inp) {
                    return Err(bad("transition inputs out of order"));
                }
                previous = Some(inp);
            }
            if index > 0 {
                let table = &data[index_at..sizes_at];
                let mut listed = 0;
                for (b, &i) in table.iter().enumerate() {
                    let i = usize::from(i);
                    if i < ntrans {
                        if usize::from(data[index_at - 1 - i]) != b {
                            return Err(bad("its input index disagrees with its inputs"));
                        }
                        listed += 1;
                    }
                }
                // With 256 transitions, 255 is a valid position, not "absent".
                if listed != ntrans {
                    return Err(bad("its input index misses transitions"));
                }
            }
            Ok(node)
        }
    }
}

impl Node {
    /// Transition `i` (`i < self.ntrans`); the decode already bounded every read.
    fn transition(&self, data: &[u8], i: usize) -> Trans {
        match self.kind {
            Kind::OneNext => Trans {
                out: 0,
                target: Some(self.low - 1),
            },
            Kind::One { tsize, osize } => {
                let at = self.low + osize;
                Trans {
                    out: unpack(data, self.low, osize),
                    target: target(unpack(data, at, tsize), self.low),
                }
            }
            Kind::Any {
                tsize,
                osize,
                addrs,
                outputs,
            } => {
                let a = addrs - (i + 1) * tsize;
                Trans {
                    out: unpack(data, outputs - (i + 1) * osize, osize),
                    target: target(unpack(data, a, tsize), self.low),
                }
            }
        }
    }
}

/// A transition's target from its stored delta: 0 is the empty final state,
/// anything else is counted down from the node's lowest byte and must stay
/// within the node region.
fn target(delta: u64, low: usize) -> Option<usize> {
    match delta {
        0 => Some(EMPTY_ADDRESS),
        d => usize::try_from(d)
            .ok()
            .and_then(|d| low.checked_sub(d))
            .filter(|&t| t >= FST_HEADER),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::FrozenLayer;

    fn fst_of(layer: &FrozenLayer) -> &[u8] {
        layer.as_fst().as_bytes()
    }

    #[test]
    fn built_layers_pass_and_every_node_is_visited() {
        let empty = FrozenLayer::from_sorted_iter(Vec::<(&[u8], u64)>::new()).unwrap();
        assert_eq!(check_fst(fst_of(&empty), 0, None).unwrap().nodes, 1);
        let only_empty_key = FrozenLayer::from_sorted_iter([("", 7)]).unwrap();
        assert_eq!(
            check_fst(fst_of(&only_empty_key), 1, None).unwrap().nodes,
            0
        );
        // 300 keys under one byte each: a 256-transition indexed root.
        let wide: Vec<(Vec<u8>, u64)> = (0..=255u8)
            .map(|b| vec![b])
            .chain((0..44u8).map(|b| vec![b, b'x']))
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .enumerate()
            .map(|(i, k)| (k, i as u64))
            .collect();
        let layer = FrozenLayer::from_sorted_iter(wide.iter().map(|(k, v)| (k, *v))).unwrap();
        let check = check_fst(fst_of(&layer), 300, None).unwrap();
        assert!(check.nodes >= 2, "{check:?}");
        // The key count must match.
        assert!(check_fst(fst_of(&layer), 299, None).is_err());
    }

    /// The node-end index of `fst`, as `node_end_runs` lays it out.
    fn index_of(fst: &[u8]) -> Vec<u8> {
        let mut index = vec![0xEE; fst.len().div_ceil(64) * 8];
        let mut covered = index.len();
        node_end_runs(fst, |at, run| {
            assert_eq!(at + run.len(), covered, "runs come down without gaps");
            covered = at;
            index[at..at + run.len()].copy_from_slice(run);
            Ok(())
        })
        .unwrap();
        assert_eq!(covered, 0);
        index
    }

    #[test]
    fn the_node_end_index_replaces_the_pending_set_and_is_checked() {
        let keys: Vec<(String, u64)> = (0..5000u64)
            .map(|i| (format!("dir{}/file{}", i % 97, i), i * 7 % 5000))
            .collect::<std::collections::BTreeMap<_, _>>()
            .into_iter()
            .collect();
        let layer = FrozenLayer::from_sorted_iter(keys.iter().map(|(k, v)| (k, *v))).unwrap();
        let fst = fst_of(&layer);
        let index = index_of(fst);
        let without = check_fst(fst, 5000, None).unwrap();
        assert!(without.max_pending > 0);
        let with = check_fst(fst, 5000, Some(&index)).unwrap();
        assert_eq!((with.nodes, with.max_pending), (without.nodes, 0));
        // Every wrong bit is caught: a node end left out, a byte inside a node or
        // in the header or trailer marked.
        for a in [
            0,
            FST_HEADER,
            FST_HEADER + 1,
            fst.len() / 2,
            fst.len() - 25,
            fst.len() - 1,
        ] {
            let mut wrong = index.clone();
            wrong[a / 8] ^= 1 << (a % 8);
            assert!(check_fst(fst, 5000, Some(&wrong)).is_err(), "bit {a}");
        }
        // Small and empty FSTs get an index too.
        for tiny in [vec![], vec![("", 1)], vec![("a", 1)]] {
            let layer = FrozenLayer::from_sorted_iter(tiny.clone()).unwrap();
            let fst = fst_of(&layer);
            check_fst(fst, tiny.len() as u64, Some(&index_of(fst))).unwrap();
        }
    }

    #[test]
    fn a_large_pending_set_switches_to_the_bitmap() {
        let mut p = Pending::Heap(BinaryHeap::new());
        let region = 100_000;
        for t in (16..region).step_by(7) {
            p.push(t, region).unwrap();
        }
        assert!(matches!(p, Pending::Bits(_)));
        // Matching targets pass; a target inside a node does not.
        p.settle(16, 16).unwrap();
        assert!(p.settle(17, 30).is_err());
    }

    /// The cost of the check at open on 1M Debian paths, against the checksum
    /// pass that open always made: `cargo test -p memkv-frozen --release --lib
    /// -- --ignored --nocapture open_check_cost`.
    #[test]
    #[ignore = "a measurement; needs ../shared/datasets"]
    fn open_check_cost() {
        use std::io::Read;
        use std::time::Instant;
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/datasets/debian-paths-1m.txt.zst"
        );
        let mut raw = Vec::new();
        zstd::stream::read::Decoder::new(std::fs::File::open(path).unwrap())
            .unwrap()
            .read_to_end(&mut raw)
            .unwrap();
        let mut keys: Vec<&[u8]> = raw
            .split(|&b| b == b'\n')
            .filter(|k| !k.is_empty())
            .collect();
        keys.sort_unstable();
        keys.dedup();
        let value = |i: usize| (i as u64).wrapping_mul(2_654_435_761) % keys.len() as u64;
        let layer =
            FrozenLayer::from_sorted_iter(keys.iter().enumerate().map(|(i, k)| (k, value(i))))
                .unwrap();
        let best = |f: &dyn Fn()| {
            (0..5)
                .map(|_| {
                    let t = Instant::now();
                    f();
                    t.elapsed()
                })
                .min()
                .unwrap()
        };
        let fst = fst_of(&layer);
        let check = check_fst(fst, keys.len() as u64, None).unwrap();
        let sweep = best(&|| {
            check_fst(fst, keys.len() as u64, None).unwrap();
        });
        let crc = best(&|| {
            crate::format::verify_checksum(layer.as_bytes()).unwrap();
        });
        let open = best(&|| {
            FrozenLayer::from_bytes(layer.as_bytes().to_vec()).unwrap();
        });
        let full = best(&|| {
            assert_eq!(layer.iter().count(), keys.len());
        });
        eprintln!(
            "{} keys, {} FST bytes, {} nodes, at most {} pending targets: \
             structural check {sweep:?}, checksum {crc:?}, from_bytes (copy + both) {open:?}, \
             full key walk {full:?}",
            keys.len(),
            fst.len(),
            check.nodes,
            check.max_pending
        );
    }
}
