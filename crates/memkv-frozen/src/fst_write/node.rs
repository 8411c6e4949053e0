//! A node waiting to be written, and its two encodings: the `fst` byte format
//! (read by `fst::raw::Fst`) and the registry key that identifies equal nodes.

use crate::fst_format::{common_code, pack_size, EMPTY_ADDRESS, INDEX_THRESHOLD};

/// A transition of a node ready to be written: its target is already compiled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Trans {
    pub inp: u8,
    pub out: u64,
    pub addr: u64,
}

/// A node whose transitions all point to compiled nodes.
#[derive(Clone, Debug, Default)]
pub(super) struct Node {
    pub is_final: bool,
    pub final_output: u64,
    /// In increasing input order.
    pub trans: Vec<Trans>,
}

impl Node {
    pub(super) fn clear(&mut self) {
        self.is_final = false;
        self.final_output = 0;
        self.trans.clear();
    }

    /// The final state with no transitions and no output takes no bytes: every
    /// transition to it stores the reserved address 0.
    pub(super) fn is_empty_final(&self) -> bool {
        self.is_final && self.trans.is_empty() && self.final_output == 0
    }

    /// Appends the bytes that identify this node among nodes of the same FST (two
    /// nodes with equal keys can share one compiled copy): a flag byte, the final
    /// output, then input, output and target of each transition, integers as
    /// LEB128. The encoding is prefix-free, so equal keys mean equal nodes.
    pub(super) fn registry_key(&self, key: &mut Vec<u8>) {
        key.push(u8::from(self.is_final));
        leb128(key, self.final_output);
        for t in &self.trans {
            key.push(t.inp);
            leb128(key, t.out);
            leb128(key, t.addr);
        }
    }

    /// Appends this node's `fst` encoding, for a node whose first byte lands at
    /// address `addr`, written just after the node whose last byte is at
    /// `last_addr`. The bytes are in file order: a reader starts at the node's
    /// last byte (its state) and reads down.
    pub(super) fn encode(&self, addr: u64, last_addr: u64, out: &mut Vec<u8>) {
        debug_assert!(!self.is_empty_final() && self.trans.len() <= 256);
        match self.trans[..] {
            [t] if !self.is_final => {
                let code = common_code(t.inp);
                if t.addr == last_addr && t.out == 0 {
                    // One transition to the node just before, output 0: the
                    // target needs no bytes.
                    if code == 0 {
                        out.push(t.inp);
                    }
                    out.push(0b11_000000 | code);
                } else {
                    let osize = if t.out == 0 { 0 } else { pack_size(t.out) };
                    let delta = delta(addr, t.addr);
                    let tsize = pack_size(delta);
                    pack(out, t.out, osize);
                    pack(out, delta, tsize);
                    out.push(pack_sizes(tsize, osize));
                    if code == 0 {
                        out.push(t.inp);
                    }
                    out.push(0b10_000000 | code);
                }
            }
            _ => self.encode_any(addr, out),
        }
    }

    /// Any number of transitions (or a final node): outputs, target deltas and
    /// inputs in reverse transition order, each column packed to one width.
    fn encode_any(&self, addr: u64, out: &mut Vec<u8>) {
        let any_outs = self.final_output != 0 || self.trans.iter().any(|t| t.out != 0);
        let osize = if any_outs {
            self.trans
                .iter()
                .map(|t| pack_size(t.out))
                .fold(pack_size(self.final_output), usize::max)
        } else {
            0
        };
        let tsize = self
            .trans
            .iter()
            .map(|t| pack_size(delta(addr, t.addr)))
            .max()
            .unwrap_or(0);
        if any_outs {
            if self.is_final {
                pack(out, self.final_output, osize);
            }
            for t in self.trans.iter().rev() {
                pack(out, t.out, osize);
            }
        }
        for t in self.trans.iter().rev() {
            pack(out, delta(addr, t.addr), tsize);
        }
        out.extend(self.trans.iter().rev().map(|t| t.inp));
        if self.trans.len() > INDEX_THRESHOLD {
            // Position of each input's transition; 255 (or any position past
            // the last) means none.
            let mut index = [255u8; 256];
            for (i, t) in self.trans.iter().enumerate() {
                index[usize::from(t.inp)] = i as u8;
            }
            out.extend_from_slice(&index);
        }
        out.push(pack_sizes(tsize, osize));
        let n = self.trans.len();
        let mut state = if self.is_final { 0b01_000000 } else { 0 };
        if (1..64).contains(&n) {
            state |= n as u8;
        } else {
            // 0, or 64 to 256 transitions: the count takes a byte, where 1 (never
            // stored here: one transition fits in the state) stands for 256.
            out.push(if n == 256 { 1 } else { n as u8 });
        }
        out.push(state);
    }
}

/// A transition's target as stored: the distance down from the node's first byte,
/// or 0 for the empty final state.
fn delta(addr: u64, target: u64) -> u64 {
    if target == EMPTY_ADDRESS {
        EMPTY_ADDRESS
    } else {
        addr - target
    }
}

fn pack_sizes(tsize: usize, osize: usize) -> u8 {
    (tsize as u8) << 4 | osize as u8
}

/// Appends the low `size` bytes of `n`, little-endian.
fn pack(out: &mut Vec<u8>, n: u64, size: usize) {
    out.extend_from_slice(&n.to_le_bytes()[..size]);
}

fn leb128(out: &mut Vec<u8>, mut n: u64) {
    while n >= 0x80 {
        out.push(n as u8 | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}
