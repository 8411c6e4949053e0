//! Our writer of `fst`-format bytes: the FST that maps each key to its ordinal.
//!
//! Why not `fst::MapBuilder`: its registry of written nodes holds a fixed 20,000
//! entries, so on large key sets it forgets suffixes it could have shared (on 1M
//! Debian paths its FST is 12.78 MB against 11.71 MB when every node is
//! remembered). This writer differs only in the registry (`registry.rs`: every
//! node, within a fixed memory budget); the bytes are `fst`'s format version 3,
//! read by `fst::raw::Fst` and vetted on load by `validate`, and for key sets small
//! enough that neither registry forgets anything they equal `fst`'s byte for byte
//! (a test checks it).
//!
//! Construction is the classic one for minimal acyclic transducers from sorted
//! input (Mihov and Maurel; the `fst` crate's): the path of the last key stays
//! open on a stack; a new key closes (compiles) the nodes below its common prefix
//! with the last key, deepest first, and pushes its own suffix. Outputs are pushed
//! toward the root: a transition keeps the common part of the outputs of the keys
//! through it, and the remainder moves down.

mod crc32c;
mod node;
mod registry;

use std::io::{self, Write};

use crate::fst_format::{EMPTY_ADDRESS, FST_VERSION};
use crc32c::Crc32c;
use node::{Node, Trans};
use registry::{Lookup, Registry};

/// `fst`'s type field; 0 is what `fst::MapBuilder` writes.
const FST_TYPE: u64 = 0;
/// The address of the node written last before any node is written: an address
/// no transition can hold (it lies in the header).
const NO_NODE: u64 = 1;

/// Writes an FST to `W` from keys given in strictly increasing order, each with
/// its output. Memory: the longest key's path plus the registry's budget.
pub(crate) struct FstWriter<W> {
    out: W,
    /// Bytes written so far, the address of the next node.
    written: u64,
    crc: Crc32c,
    /// The open path: `path[i]` is the node reached by the last key's first `i`
    /// bytes, with its last transition (the last key's byte `i`) not yet compiled.
    /// Entries past `depth` are spares kept for their allocations.
    path: Vec<Open>,
    depth: usize,
    registry: Registry,
    last_addr: u64,
    len: u64,
    /// Scratch buffers: a node's registry key, its encoding.
    key: Vec<u8>,
    bytes: Vec<u8>,
}

/// The outcome of compiling a node: its address, and whether it was written now
/// (rather than found already written).
#[derive(Clone, Copy, Debug)]
struct Compiled {
    addr: u64,
    written: bool,
}

/// A node on the open path.
#[derive(Debug, Default)]
struct Open {
    node: Node,
    /// The transition the path continues with: input and output; its target is
    /// the next open node.
    last: Option<(u8, u64)>,
}

impl Open {
    /// Adds `prefix` to every output leaving this node (outputs pushed down).
    fn add_output_prefix(&mut self, prefix: u64) {
        if self.node.is_final {
            self.node.final_output += prefix;
        }
        for t in &mut self.node.trans {
            t.out += prefix;
        }
        if let Some((_, out)) = &mut self.last {
            *out += prefix;
        }
    }
}

impl<W: Write> FstWriter<W> {
    pub(crate) fn new(out: W) -> io::Result<FstWriter<W>> {
        FstWriter::with_registry_budget(out, registry::DEFAULT_BUDGET)
    }

    /// A writer whose registry of written nodes takes at most `budget` bytes.
    pub(crate) fn with_registry_budget(out: W, budget: usize) -> io::Result<FstWriter<W>> {
        let mut w = FstWriter {
            out,
            written: 0,
            crc: Crc32c::default(),
            path: vec![Open::default()],
            depth: 1,
            registry: Registry::new(budget),
            last_addr: NO_NODE,
            len: 0,
            key: Vec::new(),
            bytes: Vec::new(),
        };
        w.write(&FST_VERSION.to_le_bytes())?;
        w.write(&FST_TYPE.to_le_bytes())?;
        Ok(w)
    }

    /// Caps the registry's table at `budget` bytes from now on.
    pub(crate) fn set_registry_budget(&mut self, budget: usize) {
        self.registry.set_budget(budget);
    }

    /// Bytes written so far (the nodes compiled; not the open path or trailer).
    pub(crate) fn written(&self) -> u64 {
        self.written
    }

    /// Adds `key` with output `out`. The caller guarantees that `key` is greater
    /// than every key before it (the layer builder checks and reports order).
    pub(crate) fn insert(&mut self, key: &[u8], out: u64) -> io::Result<()> {
        if key.is_empty() {
            // Only ever the first key: the root becomes final.
            debug_assert_eq!(self.len, 0);
            self.len = 1;
            let root = &mut self.path[0].node;
            root.is_final = true;
            root.final_output = out;
            return Ok(());
        }
        let (common, out) = self.common_prefix(key, out);
        debug_assert!(common < key.len(), "keys strictly increase");
        self.len += 1;
        self.compile_from(common)?;
        self.push_suffix(&key[common..], out);
        Ok(())
    }

    /// The length of the longest prefix of `key` on the open path, and `out` minus
    /// the outputs along it. Outputs the path held beyond what `key` shares move
    /// one node down.
    fn common_prefix(&mut self, key: &[u8], mut out: u64) -> (usize, u64) {
        let mut i = 0;
        while i < key.len() {
            let Some((inp, t_out)) = &mut self.path[i].last else {
                break;
            };
            if *inp != key[i] {
                break;
            }
            let shared = (*t_out).min(out);
            let rest = *t_out - shared;
            out -= shared;
            *t_out = shared;
            i += 1;
            if rest > 0 {
                self.path[i].add_output_prefix(rest);
            }
        }
        (i, out)
    }

    /// Opens the nodes that spell `suffix` below the deepest open node; the last
    /// one is final.
    fn push_suffix(&mut self, suffix: &[u8], out: u64) {
        self.path[self.depth - 1].last = Some((suffix[0], out));
        for &b in &suffix[1..] {
            self.push_open(Some((b, 0)));
        }
        self.push_open(None);
        self.path[self.depth - 1].node.is_final = true;
    }

    fn push_open(&mut self, last: Option<(u8, u64)>) {
        if self.depth == self.path.len() {
            self.path.push(Open::default());
        }
        let open = &mut self.path[self.depth];
        open.node.clear();
        open.last = last;
        self.depth += 1;
    }

    /// Compiles the open nodes deeper than `depth`, deepest first, each one's
    /// address completing its parent's last transition.
    fn compile_from(&mut self, depth: usize) -> io::Result<()> {
        let mut child = None;
        while depth + 1 < self.depth {
            self.depth -= 1;
            let mut open = std::mem::take(&mut self.path[self.depth]);
            close(&mut open, child.map(|c: Compiled| c.addr));
            let compiled = self.compile(&open.node, child.is_some_and(|c| c.written));
            self.path[self.depth] = open;
            child = Some(compiled?);
        }
        close(&mut self.path[self.depth - 1], child.map(|c| c.addr));
        Ok(())
    }

    /// Writes `node` unless an equal node was written before. `new` says that
    /// the node's last transition points to a node written just now: then no
    /// earlier node can equal it (none points there), so it is not looked up, only
    /// registered. That skips most lookups, each a likely cache miss.
    fn compile(&mut self, node: &Node, new: bool) -> io::Result<Compiled> {
        if node.is_empty_final() {
            return Ok(Compiled {
                addr: EMPTY_ADDRESS,
                written: false,
            });
        }
        self.key.clear();
        node.registry_key(&mut self.key);
        let hash = if new {
            None
        } else {
            match self.registry.lookup(&self.key) {
                Lookup::Found(addr) => {
                    return Ok(Compiled {
                        addr,
                        written: false,
                    })
                }
                Lookup::Vacant(hash) => Some(hash),
            }
        };
        let mut bytes = std::mem::take(&mut self.bytes);
        bytes.clear();
        node.encode(self.written, self.last_addr, &mut bytes);
        let written = self.write(&bytes);
        self.bytes = bytes;
        written?;
        self.last_addr = self.written - 1;
        self.registry.insert(hash, &self.key, self.last_addr);
        Ok(Compiled {
            addr: self.last_addr,
            written: true,
        })
    }

    fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.out.write_all(bytes)?;
        self.crc.update(bytes);
        self.written += bytes.len() as u64;
        Ok(())
    }

    /// Compiles what is still open, writes the trailer (key count, root address,
    /// checksum) and returns the output.
    pub(crate) fn finish(mut self) -> io::Result<W> {
        self.compile_from(0)?;
        let root = std::mem::take(&mut self.path[0].node);
        // The root is compiled last: nothing can equal it.
        let root_addr = self.compile(&root, true)?.addr;
        let len = self.len;
        self.write(&len.to_le_bytes())?;
        self.write(&root_addr.to_le_bytes())?;
        let sum = self.crc.masked();
        self.out.write_all(&sum.to_le_bytes())?;
        self.out.flush()?;
        Ok(self.out)
    }

    /// How many registered nodes the registry pushed out to stay in its budget.
    #[cfg(test)]
    fn registry_evictions(&mut self) -> u64 {
        self.registry.evicted()
    }
}

/// Completes `open`'s pending transition with its target's address.
fn close(open: &mut Open, addr: Option<u64>) {
    if let Some(addr) = addr {
        let (inp, out) = open
            .last
            .take()
            .expect("an open node below has a parent transition");
        open.node.trans.push(Trans { inp, out, addr });
    }
}

#[cfg(test)]
mod tests;
