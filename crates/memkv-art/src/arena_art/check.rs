//! The invariant checker and the memory breakdown, both full traversals.

use std::fmt;
use std::mem::size_of;

use memkv_arena::{BlobRef, Handle};

use super::bucket::{self, View, BUCKET_MAX};
use super::node::{is_leaf, leaf_index, Child, Node256, Node48, NodeId, Small, NONE, PLEN_LONG};
use super::{lcp, ArenaArt};

/// Where an [`ArenaArt`]'s bytes go, from [`ArenaArt::stats`].
///
/// Byte figures are heap bytes including spare capacity, so they add up to
/// [`ArenaArt::memory_usage`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ArenaArtStats {
    /// Entries.
    pub len: usize,
    /// Live nodes of each size class: Node2, Node4, Node8, Node16, Node48, Node256.
    pub nodes: [usize; 6],
    /// Heap bytes of each node slab (slots, free slots, spare capacity).
    pub node_bytes: [usize; 6],
    /// Bytes of each node's struct (header, keys, children).
    pub node_size: [usize; 6],
    /// Leaf buckets.
    pub buckets: usize,
    /// Heap bytes of the bucket store (blocks, free blocks, spare capacity).
    pub bucket_bytes: usize,
    /// Bytes of the live bucket blocks, each rounded up to its size class.
    pub bucket_block_bytes: usize,
    /// Encoded bytes of the buckets (what the blocks hold).
    pub bucket_used_bytes: usize,
    /// Bytes of vacant bucket blocks awaiting reuse.
    pub bucket_free_bytes: usize,
    /// Key bytes stored in buckets (after front coding).
    pub suffix_key_bytes: usize,
    /// Heap bytes of the value slab.
    pub value_bytes: usize,
    /// Node prefixes stored inline / in the byte arena.
    pub prefixes_inline: usize,
    /// Node prefixes stored in the byte arena.
    pub prefixes_in_arena: usize,
    /// Key bytes held in node prefixes.
    pub prefix_key_bytes: usize,
    /// Heap bytes of the byte arena (chunks and chunk table).
    pub arena_bytes: usize,
    /// Live arena bytes (fragment bytes plus their length headers).
    pub arena_live: usize,
    /// Dead arena bytes awaiting compaction.
    pub arena_dead: usize,
    /// Vacant slab slots awaiting reuse (nodes and values).
    pub free_slots: usize,
    /// Sum over all entries of the inner nodes a lookup visits to reach their
    /// bucket (divide by `len` for the average lookup depth).
    pub depth_total: usize,
    /// Sum over all entries of those nodes whose prefix is in the byte arena (each
    /// costs a lookup one more dependent memory access).
    pub arena_prefix_total: usize,
    /// Total heap bytes, as [`ArenaArt::memory_usage`].
    pub memory_usage: usize,
}

impl fmt::Display for ArenaArtStats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let per = |b: usize| b as f64 / self.len.max(1) as f64;
        writeln!(
            f,
            "{} entries, {} bytes ({:.2} B/key)",
            self.len,
            self.memory_usage,
            per(self.memory_usage)
        )?;
        for (i, name) in ["Node2", "Node4", "Node8", "Node16", "Node48", "Node256"]
            .iter()
            .enumerate()
        {
            writeln!(
                f,
                "  {name:8} {:>10} nodes x {:>4} B  {:>12} B  {:>7.2} B/key",
                self.nodes[i],
                self.node_size[i],
                self.node_bytes[i],
                per(self.node_bytes[i])
            )?;
        }
        writeln!(
            f,
            "  buckets  {:>10}            {:>12} B  {:>7.2} B/key (blocks {}, encoded {}, free {})",
            self.buckets,
            self.bucket_bytes,
            per(self.bucket_bytes),
            self.bucket_block_bytes,
            self.bucket_used_bytes,
            self.bucket_free_bytes
        )?;
        writeln!(
            f,
            "  values                       {:>12} B  {:>7.2} B/key",
            self.value_bytes,
            per(self.value_bytes)
        )?;
        writeln!(
            f,
            "  byte arena                   {:>12} B  {:>7.2} B/key (live {}, dead {}, slack {})",
            self.arena_bytes,
            per(self.arena_bytes),
            self.arena_live,
            self.arena_dead,
            self.arena_bytes
                .saturating_sub(self.arena_live + self.arena_dead)
        )?;
        writeln!(
            f,
            "  bucket key bytes: {} ({:.2} entries per bucket)",
            self.suffix_key_bytes,
            self.len as f64 / self.buckets.max(1) as f64
        )?;
        writeln!(
            f,
            "  prefixes: {} inline, {} in arena, {} key bytes; {} free slots",
            self.prefixes_inline, self.prefixes_in_arena, self.prefix_key_bytes, self.free_slots
        )?;
        write!(
            f,
            "  lookup depth: {:.2} nodes on average, {:.2} of them with arena prefixes",
            per(self.depth_total),
            per(self.arena_prefix_total)
        )
    }
}

impl<V> ArenaArt<V> {
    /// The memory breakdown by node type, buckets, values and key bytes (a full
    /// traversal of the slabs).
    pub fn stats(&self) -> ArenaArtStats {
        let nodes = &self.nodes;
        let mut s = ArenaArtStats {
            len: self.len,
            nodes: [
                nodes.n2.len(),
                nodes.n4.len(),
                nodes.n8.len(),
                nodes.n16.len(),
                nodes.n48.len(),
                nodes.n256.len(),
            ],
            node_bytes: [
                nodes.n2.memory_usage(),
                nodes.n4.memory_usage(),
                nodes.n8.memory_usage(),
                nodes.n16.memory_usage(),
                nodes.n48.memory_usage(),
                nodes.n256.memory_usage(),
            ],
            node_size: [
                size_of::<Small<2>>(),
                size_of::<Small<4>>(),
                size_of::<Small<8>>(),
                size_of::<Small<16>>(),
                size_of::<Node48>(),
                size_of::<Node256>(),
            ],
            buckets: self.buckets.blocks(),
            bucket_bytes: self.buckets.memory_usage(),
            bucket_block_bytes: self.buckets.block_bytes(),
            bucket_free_bytes: self.buckets.free_bytes(),
            value_bytes: self.values.memory_usage(),
            arena_bytes: self.arena.memory_usage(),
            arena_live: self.arena.live_bytes(),
            arena_dead: self.arena.dead_bytes(),
            free_slots: nodes.n2.free_slots()
                + nodes.n4.free_slots()
                + nodes.n8.free_slots()
                + nodes.n16.free_slots()
                + nodes.n48.free_slots()
                + nodes.n256.free_slots()
                + self.values.free_slots(),
            memory_usage: self.memory_usage(),
            ..ArenaArtStats::default()
        };
        let prefixes = nodes
            .n2
            .iter()
            .map(|(_, x)| *x.h.prefix())
            .chain(nodes.n4.iter().map(|(_, x)| *x.h.prefix()))
            .chain(nodes.n8.iter().map(|(_, x)| *x.h.prefix()))
            .chain(nodes.n16.iter().map(|(_, x)| *x.h.prefix()))
            .chain(nodes.n48.iter().map(|(_, x)| *x.h.prefix()))
            .chain(nodes.n256.iter().map(|(_, x)| *x.h.prefix()));
        for p in prefixes {
            s.prefix_key_bytes += p.len(&self.arena);
            if p.data_ref().is_some() {
                s.prefixes_in_arena += 1;
            } else {
                s.prefixes_inline += 1;
            }
        }
        let mut stack: Vec<(Child, usize, usize)> = Vec::new();
        if self.root != NONE {
            stack.push((self.root, 0, 0));
        }
        while let Some((c, depth, arena_prefixes)) = stack.pop() {
            if is_leaf(c) {
                let block = self.bucket(c);
                let n = bucket::count(block);
                s.depth_total += depth * n;
                s.arena_prefix_total += arena_prefixes * n;
                s.bucket_used_bytes += bucket::encoded_len(block);
                let v = View::new(block);
                s.suffix_key_bytes +=
                    v.prefix().len() + (0..n).map(|i| v.rec(i).len()).sum::<usize>();
                continue;
            }
            let n = NodeId::from_child(c);
            let a = arena_prefixes + usize::from(nodes.header(n).prefix().data_ref().is_some());
            let v = nodes.value(n);
            if v != NONE {
                stack.push((v, depth + 1, a));
            }
            stack.extend(nodes.children(n).map(|(_, c)| (c, depth + 1, a)));
        }
        s
    }
}

/// Checks one bucket: its size, canonical front coding, strictly increasing
/// suffixes, and value slots that are live and not named twice. Returns its
/// number of entries.
fn check_bucket<V>(
    t: &ArenaArt<V>,
    c: Child,
    is_value: bool,
    seen_values: &mut [bool],
) -> Result<usize, String> {
    let block = t.bucket(c);
    let count = bucket::count(block);
    let what = format!("bucket {:?}", BlobRef::from_u32(leaf_index(c)));
    if count == 0 || count > BUCKET_MAX {
        return Err(format!("{what} has {count} entries"));
    }
    if is_value && count != 1 {
        return Err(format!("{what} is a node's value with {count} entries"));
    }
    let v = View::new(block);
    if v.encoded_len() > block.len() {
        return Err(format!("{what} runs past its chunk"));
    }
    let recs: Vec<&[u8]> = (0..count).map(|i| v.rec(i)).collect();
    let shared = if count == 1 {
        0
    } else {
        lcp(recs[0], recs[count - 1])
    };
    if shared != 0 {
        return Err(format!(
            "{what}: its prefix is not the entries' whole common prefix"
        ));
    }
    if recs.windows(2).any(|w| w[0] >= w[1]) {
        return Err(format!("{what}: entries out of order"));
    }
    if count == 1 && !recs[0].is_empty() {
        return Err(format!("{what}: a lone entry's suffix is not all prefix"));
    }
    let mut whole = Vec::new();
    for i in 0..count {
        whole.clear();
        bucket::push_suffix(&v, i, &mut whole);
        if v.fp(i) != bucket::fingerprint(&whole) {
            return Err(format!("{what}: entry {i} has a wrong fingerprint"));
        }
        if is_value && !whole.is_empty() {
            return Err(format!("{what}: a node's value with a non-empty suffix"));
        }
        let value = v.value(i);
        if t.values.get(Handle::from_raw(value)).is_none() {
            return Err(format!("{what}: entry {i} names vacant value slot {value}"));
        }
        if std::mem::replace(&mut seen_values[value as usize], true) {
            return Err(format!("value slot {value} is named twice"));
        }
    }
    Ok(count)
}

/// Checks everything a traversal can see: node layouts, the two-entries rule,
/// canonical fragments and prefix lengths, buckets, and that the slabs, the bucket
/// store and the arena hold exactly what the tree reaches (no leaks, no double
/// use).
pub(super) fn check<V>(t: &ArenaArt<V>) -> Result<(), String> {
    let mut entries = 0usize;
    let mut buckets = 0usize;
    let mut nodes = [0usize; 6];
    let mut arena_items = 0usize;
    let mut seen_values = vec![false; t.values.high_water() as usize];
    let mut stack: Vec<(Child, bool)> = Vec::new();
    if t.root != NONE {
        stack.push((t.root, false));
    }
    while let Some((c, is_value)) = stack.pop() {
        if is_leaf(c) {
            entries += check_bucket(t, c, is_value, &mut seen_values)?;
            buckets += 1;
            continue;
        }
        if is_value {
            return Err(format!("{c:#x}: a node's value slot names a node"));
        }
        let n = NodeId::from_child(c);
        t.nodes.check_node(n)?;
        nodes[n.kind as usize] += 1;
        let h = t.nodes.header(n);
        if !h.prefix().is_canonical(&t.arena) {
            return Err(format!("prefix of {n:?}: fragment not in canonical form"));
        }
        arena_items += usize::from(h.prefix().data_ref().is_some());
        let plen = h.prefix().len(&t.arena);
        if u8::try_from(plen).unwrap_or(PLEN_LONG) != h.plen() {
            return Err(format!(
                "{n:?}: header prefix length {} for a prefix of {plen} bytes",
                h.plen()
            ));
        }
        let count = t.nodes.child_count(n);
        let value = t.nodes.value(n);
        if count + usize::from(value != NONE) < 2 {
            return Err(format!(
                "{n:?} has {count} children and no value: should be collapsed"
            ));
        }
        if value != NONE {
            stack.push((value, true));
        }
        for (_, child) in t.nodes.children(n) {
            stack.push((child, false));
        }
    }
    if entries != t.len {
        return Err(format!(
            "len is {} but {entries} entries are reachable",
            t.len
        ));
    }
    if t.values.len() != entries {
        return Err(format!(
            "{} value slots are occupied for {entries} reachable entries",
            t.values.len()
        ));
    }
    if t.buckets.blocks() != buckets {
        return Err(format!(
            "the bucket store holds {} blocks but {buckets} buckets are reachable",
            t.buckets.blocks()
        ));
    }
    let live = [
        t.nodes.n2.len(),
        t.nodes.n4.len(),
        t.nodes.n8.len(),
        t.nodes.n16.len(),
        t.nodes.n48.len(),
        t.nodes.n256.len(),
    ];
    if live != nodes {
        return Err(format!(
            "slabs hold {live:?} nodes but {nodes:?} are reachable (a leak)"
        ));
    }
    if arena_items != t.arena.len() {
        return Err(format!(
            "the arena holds {} items but the tree references {arena_items}",
            t.arena.len()
        ));
    }
    Ok(())
}
