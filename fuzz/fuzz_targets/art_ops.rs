//! The conformance suite's replay (`memkv_core::conformance::Suite::replay`) on
//! operation sequences decoded from the fuzzer's bytes, for the four radix trees:
//! every answer compared with a `BTreeMap` model and the tree's invariant checker
//! run after every step. Where proptest draws sequences at random, the fuzzer
//! steers them towards code paths not yet covered (node growth and shrinking,
//! bucket splits, prefix re-merges), and the address sanitizer watches the
//! arena crate's unsafe code.
#![no_main]

use std::ops::Bound;

use libfuzzer_sys::fuzz_target;
use memkv_art::{AdaptiveRadixTree, ArenaArt, CompactArt, UltraCompactArt};
use memkv_core::conformance::{Op, Suite};
use memkv_core::{CheckInvariants, KeyBounds, OrderedMapMut};

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    let ops = decode(rest);
    match which % 4 {
        0 => run::<ArenaArt<u64>>("ArenaArt", &ops),
        1 => run::<CompactArt<u64>>("CompactArt", &ops),
        2 => run::<UltraCompactArt<u64>>("UltraCompactArt", &ops),
        _ => run::<AdaptiveRadixTree<u64>>("AdaptiveRadixTree", &ops),
    }
});

fn run<M>(name: &str, ops: &[Op])
where
    M: OrderedMapMut<Value = u64> + CheckInvariants + Default,
{
    let suite = Suite::<M>::new(name).with_invariants();
    if let Err(why) = suite.replay(&mut M::default(), ops) {
        panic!("{name}: {why}");
    }
}

/// Reads the fuzzer's bytes as operations, each an opcode byte and its operands,
/// until the bytes run out.
fn decode(data: &[u8]) -> Vec<Op> {
    let mut input = Input(data);
    let mut ops = Vec::new();
    while let Some(code) = input.byte() {
        let op = match code % 16 {
            0..=5 => Op::Insert(input.key(), u64::from(input.byte().unwrap_or(0))),
            6 | 7 => Op::Remove(input.key()),
            8 => Op::Get(input.key()),
            9 => Op::Pop(code & 0x80 != 0),
            10 => {
                let modulus = u64::from(input.byte().unwrap_or(0) % 4) + 1;
                let residue = u64::from(input.byte().unwrap_or(0)) % modulus;
                Op::Retain { modulus, residue }
            }
            11 => Op::Range(input.bounds(), code & 0x80 != 0),
            12 => {
                let bounds = input.bounds();
                let pattern = input.byte().unwrap_or(0);
                Op::Zigzag(bounds, (0..8).map(|i| pattern >> i & 1 == 1).collect())
            }
            13 => Op::Prefix(input.key(), code & 0x80 != 0),
            14 => {
                let bounds = input.bounds();
                // As the suite draws it: no limit, or a break after 1 to 3 entries.
                let limit = match input.byte().unwrap_or(0) % 4 {
                    0 => usize::MAX,
                    n => usize::from(n),
                };
                Op::ForEach(bounds, limit)
            }
            _ => Op::LongestPrefix(input.key()),
        };
        ops.push(op);
    }
    ops.push(Op::Iter(true));
    ops
}

/// Bytes keys are made of: few, so that keys collide and prefix one another,
/// with the bytes maps get wrong (0x00, 0xFF).
const ALPHABET: [u8; 6] = [0x00, b'a', b'b', b'/', b'z', 0xFF];

struct Input<'a>(&'a [u8]);

impl Input<'_> {
    fn byte(&mut self) -> Option<u8> {
        let (&b, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(b)
    }

    /// A head byte, then up to 15 alphabet letters (its low four bits say how
    /// many). Its top bit puts a run of 300 copies of one letter in front: long
    /// shared prefixes, across node and bucket limits.
    fn key(&mut self) -> Vec<u8> {
        let head = self.byte().unwrap_or(0);
        let mut key = Vec::new();
        if head & 0x80 != 0 {
            key.resize(300, ALPHABET[usize::from(head >> 4 & 7) % ALPHABET.len()]);
        }
        for _ in 0..head & 0x0F {
            let Some(b) = self.byte() else { break };
            key.push(ALPHABET[usize::from(b) % ALPHABET.len()]);
        }
        key
    }

    fn bound(&mut self) -> Bound<Vec<u8>> {
        match self.byte().unwrap_or(0) % 3 {
            0 => Bound::Included(self.key()),
            1 => Bound::Excluded(self.key()),
            _ => Bound::Unbounded,
        }
    }

    fn bounds(&mut self) -> KeyBounds {
        let start = self.bound();
        let end = self.bound();
        KeyBounds { start, end }
    }
}
