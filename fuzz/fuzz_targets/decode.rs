//! Operation sequences and keys decoded from a fuzzer's bytes, shared by the
//! targets that replay operations through the conformance suite.

use std::ops::Bound;

use memkv_core::conformance::Op;
use memkv_core::KeyBounds;

/// Reads the fuzzer's bytes as operations, each an opcode byte and its operands,
/// until the bytes run out.
pub fn ops(data: &[u8]) -> Vec<Op> {
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
            // Flush or compact, for the maps whose suite has a maintenance hook;
            // nothing for the others.
            _ if code & 0x80 != 0 => Op::Maintain,
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

pub struct Input<'a>(pub &'a [u8]);

impl Input<'_> {
    pub fn byte(&mut self) -> Option<u8> {
        let (&b, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(b)
    }

    /// A head byte, then up to 15 alphabet letters (its low four bits say how
    /// many). Its top bit puts a run of 300 copies of one letter in front: long
    /// shared prefixes, across node and bucket limits.
    pub fn key(&mut self) -> Vec<u8> {
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

    pub fn bounds(&mut self) -> KeyBounds {
        let start = self.bound();
        let end = self.bound();
        KeyBounds { start, end }
    }
}
