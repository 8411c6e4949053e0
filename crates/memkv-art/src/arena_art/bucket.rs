//! Leaf buckets: up to [`BUCKET_MAX`] entries below one child slot, stored as
//! one sorted, front-coded block of a [`memkv_arena::BlobArena`].
//!
//! ```text
//! block: count (u8) | entry | entry | ...
//! entry: shared (LEB128) | rest length (LEB128) | value index (u32 LE) | rest bytes
//! ```
//!
//! An entry's key suffix (the key bytes the path above has not spelled) is the
//! first `shared` bytes of the previous entry's suffix followed by its own `rest`
//! bytes; `shared` is exactly the longest common prefix of the two (canonical
//! form), and the first entry's is 0. Entries are in strictly increasing order.
//!
//! A bucket replaces the bottom of the tree: the Node2s that would tell its keys
//! apart, each leaf's suffix slot and the suffixes' own arena items. A lookup
//! reads one block (a few cache lines in a row) instead of a chain of nodes, and
//! about nine tenths of the inner nodes disappear, so the ones left stay in cache.

use super::lcp;

/// The most entries a bucket holds; one more bursts it into a node.
pub(super) const BUCKET_MAX: usize = 32;

/// Reads a LEB128 number at `*p`, advancing `*p`.
#[inline(always)]
fn varint(b: &[u8], p: &mut usize) -> usize {
    let first = b[*p];
    *p += 1;
    if first < 0x80 {
        return usize::from(first);
    }
    let mut n = usize::from(first & 0x7F);
    let mut shift = 7;
    loop {
        let x = b[*p];
        *p += 1;
        n |= usize::from(x & 0x7F) << shift;
        if x < 0x80 {
            return n;
        }
        shift += 7;
    }
}

fn put_varint(out: &mut Vec<u8>, mut n: usize) {
    loop {
        let byte = (n & 0x7F) as u8;
        n >>= 7;
        if n == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// One encoded entry, as read in order.
pub(super) struct Raw<'a> {
    /// Bytes shared with the previous entry's suffix.
    pub(super) shared: usize,
    /// The bytes after those.
    pub(super) rest: &'a [u8],
    /// The value's slot.
    pub(super) value: u32,
}

/// Reads the entries of a block in order.
pub(super) struct Reader<'a> {
    block: &'a [u8],
    pos: usize,
    left: usize,
}

impl<'a> Reader<'a> {
    #[inline(always)]
    pub(super) fn new(block: &'a [u8]) -> Reader<'a> {
        Reader {
            block,
            pos: 1,
            left: usize::from(block[0]),
        }
    }

    /// Resumes reading at byte `pos` with `left` entries to go.
    pub(super) fn at(block: &'a [u8], pos: usize, left: usize) -> Reader<'a> {
        Reader { block, pos, left }
    }

    /// The byte offset of the next entry (or of the block's end).
    pub(super) fn pos(&self) -> usize {
        self.pos
    }
}

impl<'a> Iterator for Reader<'a> {
    type Item = Raw<'a>;

    #[inline(always)]
    fn next(&mut self) -> Option<Raw<'a>> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        let b = self.block;
        let mut p = self.pos;
        let shared = varint(b, &mut p);
        let len = varint(b, &mut p);
        let value = u32::from_le_bytes(b[p..p + 4].try_into().expect("4 bytes"));
        p += 4;
        let rest = &b[p..p + len];
        self.pos = p + len;
        Some(Raw {
            shared,
            rest,
            value,
        })
    }
}

/// The number of entries of a block.
#[inline]
pub(super) fn count(block: &[u8]) -> usize {
    usize::from(block[0])
}

/// The encoded length of a block.
pub(super) fn encoded_len(block: &[u8]) -> usize {
    let mut r = Reader::new(block);
    for _ in r.by_ref() {}
    r.pos()
}

/// The value slot of the entry whose suffix is `t`, if any.
///
/// One pass, each key byte compared at most once: `m` is the common prefix of `t`
/// and the previous entry, which is smaller than `t`. An entry sharing more than
/// `m` bytes with the previous one is smaller too; one sharing fewer is larger,
/// and so is every entry after it. One sharing exactly `m` is told apart by its
/// first own byte in almost every case, so the loop takes one well-predicted
/// branch per entry and reads the rest of an entry only when it must.
#[inline]
pub(super) fn find(block: &[u8], t: &[u8]) -> Option<u32> {
    prefetch_block(block);
    let count = usize::from(block[0]);
    let mut p = 1;
    let mut m = 0;
    // `t[m]`, or -1 where `t` ends.
    let mut tm = t.first().map_or(-1, |&b| i32::from(b));
    for _ in 0..count {
        let shared = varint(block, &mut p);
        let len = varint(block, &mut p);
        let rest_at = p + 4;
        p = rest_at + len;
        // The entry's byte at `m` when it shares exactly `m`; -1 if it ends there.
        let first = if len > 0 {
            i32::from(block[rest_at])
        } else {
            -1
        };
        if shared > m || (shared == m && first < tm) {
            continue; // smaller than `t`; `m` stays
        }
        if shared < m || first > tm {
            return None; // larger than `t`
        }
        // Same byte at `m` (or both end there).
        let rest = &block[rest_at..p];
        let tr = &t[m..];
        let j = lcp(rest, tr);
        if j == rest.len() {
            if j == tr.len() {
                let v = &block[rest_at - 4..rest_at];
                return Some(u32::from_le_bytes(v.try_into().expect("4 bytes")));
            }
            // The entry is a prefix of `t`: smaller.
        } else if j == tr.len() || rest[j] > tr[j] {
            return None;
        }
        m += j;
        tm = t.get(m).map_or(-1, |&b| i32::from(b));
    }
    None
}

/// Where a suffix is, or would go, in a block.
pub(super) enum Place {
    /// Entry `index` has it: it spans bytes `at..end`, shares `shared` bytes
    /// with the entry before, and names value slot `value`.
    Found {
        at: usize,
        end: usize,
        shared: usize,
        value: u32,
    },
    /// It would go at byte `at`, sharing `m` bytes with the entry before. The
    /// entry at `at` (if any) ends at `next_end`; after the new one it shares
    /// `next_shared` bytes, its own bytes starting `skip` bytes into its rest.
    Absent {
        at: usize,
        m: usize,
        next: Option<Next>,
    },
}

/// The entry after an insertion point (see [`Place::Absent`]).
pub(super) struct Next {
    rest_at: usize,
    end: usize,
    shared: usize,
    skip: usize,
}

/// Finds `t` in `block`, like [`find`], keeping what an insertion or a removal
/// needs to rewrite the block without decoding it.
pub(super) fn locate(block: &[u8], t: &[u8]) -> Place {
    let count = usize::from(block[0]);
    let mut p = 1;
    let mut m = 0;
    for _ in 0..count {
        let at = p;
        let shared = varint(block, &mut p);
        let len = varint(block, &mut p);
        let rest_at = p + 4;
        p = rest_at + len;
        if shared > m {
            continue;
        }
        let stop = |skip: usize| Place::Absent {
            at,
            m,
            next: Some(Next {
                rest_at,
                end: p,
                shared: shared + skip,
                skip,
            }),
        };
        if shared < m {
            return stop(0);
        }
        let rest = &block[rest_at..p];
        let tr = &t[m..];
        let j = lcp(rest, tr);
        if j == rest.len() {
            if j == tr.len() {
                let v = &block[rest_at - 4..rest_at];
                return Place::Found {
                    at,
                    end: p,
                    shared,
                    value: u32::from_le_bytes(v.try_into().expect("4 bytes")),
                };
            }
        } else if j == tr.len() || rest[j] > tr[j] {
            return stop(j);
        }
        m += j;
    }
    Place::Absent {
        at: p,
        m,
        next: None,
    }
}

fn put_entry(out: &mut Vec<u8>, shared: usize, parts: &[&[u8]], value: u32) {
    put_varint(out, shared);
    put_varint(out, parts.iter().map(|x| x.len()).sum());
    out.extend_from_slice(&value.to_le_bytes());
    for x in parts {
        out.extend_from_slice(x);
    }
}

/// `block` (of encoded length `len`) with suffix `t` added at `place` (from
/// [`locate`], absent) under value slot `value`.
pub(super) fn inserted(block: &[u8], len: usize, t: &[u8], place: &Place, value: u32) -> Vec<u8> {
    let Place::Absent { at, m, next } = place else {
        unreachable!("inserting a present suffix")
    };
    let mut out = Vec::with_capacity(len + t.len() + 8);
    out.push(block[0] + 1);
    out.extend_from_slice(&block[1..*at]);
    put_entry(&mut out, *m, &[&t[*m..]], value);
    if let Some(n) = next {
        let v = &block[n.rest_at - 4..n.rest_at];
        let v = u32::from_le_bytes(v.try_into().expect("4 bytes"));
        put_entry(&mut out, n.shared, &[&block[n.rest_at + n.skip..n.end]], v);
        out.extend_from_slice(&block[n.end..len]);
    }
    out
}

/// `block` (of encoded length `len`) without the entry found at `place`.
pub(super) fn removed(block: &[u8], len: usize, place: &Place) -> Vec<u8> {
    let &Place::Found {
        at, end, shared, ..
    } = place
    else {
        unreachable!("removing an absent suffix")
    };
    let mut out = Vec::with_capacity(len);
    out.push(block[0] - 1);
    out.extend_from_slice(&block[1..at]);
    if end < len {
        // The next entry now follows the one before the removed one: it shares
        // the smaller of the two counts, and takes over the removed entry's bytes
        // it shared beyond that.
        let mut p = end;
        let next_shared = varint(block, &mut p);
        let next_len = varint(block, &mut p);
        let v = u32::from_le_bytes(block[p..p + 4].try_into().expect("4 bytes"));
        let rest = &block[p + 4..p + 4 + next_len];
        let mut q = at;
        varint(block, &mut q);
        varint(block, &mut q);
        let removed_rest = &block[q + 4..end];
        let tail_end = p + 4 + next_len;
        if next_shared > shared {
            let take = &removed_rest[..next_shared - shared];
            put_entry(&mut out, shared, &[take, rest], v);
        } else {
            put_entry(&mut out, next_shared, &[rest], v);
        }
        out.extend_from_slice(&block[tail_end..len]);
    }
    out
}

/// Asks the CPU for the cache lines after a block's first one, so that a scan
/// does not wait for them one after the other: the entries are parsed in a
/// chain, and without this each line is requested only when the scan gets there.
#[inline(always)]
fn prefetch_block(block: &[u8]) {
    let p = block.as_ptr();
    let into_line = (64 - p.align_offset(64)) % 64;
    for line in 1..PREFETCH_LINES {
        memkv_arena::prefetch(p.wrapping_add(line * 64 - into_line));
    }
}

/// Cache lines a lookup asks for at once from a bucket (the first included).
const PREFETCH_LINES: usize = 8;

/// A bucket's entries decoded: whole suffixes, to be changed and encoded again.
#[derive(Default, Debug)]
pub(super) struct Entries {
    bytes: Vec<u8>,
    /// (start in `bytes`, length, value slot), in key order.
    ents: Vec<(usize, usize, u32)>,
}

impl Entries {
    /// The entries of `block`.
    pub(super) fn decode(block: &[u8]) -> Entries {
        let mut e = Entries::with_capacity(count(block) + 1);
        let mut prev = (0, 0);
        for raw in Reader::new(block) {
            let start = e.bytes.len();
            e.bytes.extend_from_within(prev.0..prev.0 + raw.shared);
            e.bytes.extend_from_slice(raw.rest);
            let len = raw.shared + raw.rest.len();
            e.ents.push((start, len, raw.value));
            prev = (start, len);
        }
        e
    }

    pub(super) fn with_capacity(n: usize) -> Entries {
        Entries {
            bytes: Vec::new(),
            ents: Vec::with_capacity(n),
        }
    }

    pub(super) fn len(&self) -> usize {
        self.ents.len()
    }

    /// Entry `i`: (suffix, value slot).
    pub(super) fn get(&self, i: usize) -> (&[u8], u32) {
        let (s, l, v) = self.ents[i];
        (&self.bytes[s..s + l], v)
    }

    /// Appends an entry (the caller keeps the order).
    pub(super) fn push(&mut self, parts: &[&[u8]], value: u32) {
        let start = self.bytes.len();
        for p in parts {
            self.bytes.extend_from_slice(p);
        }
        self.ents.push((start, self.bytes.len() - start, value));
    }

    /// Where suffix `t` is or would go: `Ok(i)` if entry `i` has it, else
    /// `Err(i)` for the position it would take.
    pub(super) fn search(&self, t: &[u8]) -> Result<usize, usize> {
        self.ents
            .binary_search_by(|&(s, l, _)| self.bytes[s..s + l].cmp(t))
    }

    /// Inserts an entry at position `i` (from [`Entries::search`]).
    pub(super) fn insert(&mut self, i: usize, t: &[u8], value: u32) {
        let start = self.bytes.len();
        self.bytes.extend_from_slice(t);
        self.ents.insert(i, (start, t.len(), value));
    }

    /// Removes entry `i`, returning its value slot.
    #[cfg(test)]
    pub(super) fn remove(&mut self, i: usize) -> u32 {
        self.ents.remove(i).2
    }

    /// The same entries with `head` put in front of every suffix.
    pub(super) fn prepend(&self, head: &[u8]) -> Entries {
        let mut e = Entries::with_capacity(self.len());
        for i in 0..self.len() {
            let (s, v) = self.get(i);
            e.push(&[head, s], v);
        }
        e
    }

    /// The encoded block.
    pub(super) fn encode(&self) -> Vec<u8> {
        encode((0..self.len()).map(|i| self.get(i)))
    }
}

/// Encodes entries given in strictly increasing order (at most 255 of them).
pub(super) fn encode<'a>(ents: impl ExactSizeIterator<Item = (&'a [u8], u32)>) -> Vec<u8> {
    let mut out = Vec::with_capacity(1 + ents.len() * 16);
    out.push(u8::try_from(ents.len()).expect("at most 255 entries"));
    let mut prev: &[u8] = &[];
    for (s, v) in ents {
        let shared = lcp(prev, s);
        put_varint(&mut out, shared);
        put_varint(&mut out, s.len() - shared);
        out.extend_from_slice(&v.to_le_bytes());
        out.extend_from_slice(&s[shared..]);
        prev = s;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_finds() {
        let keys: Vec<&[u8]> = vec![
            b"",
            b"\0",
            b"a",
            b"ab",
            b"abc",
            b"abd",
            b"b",
            b"ba",
            b"\xff",
            b"\xff\xff",
        ];
        let block = encode(keys.iter().enumerate().map(|(i, k)| (*k, i as u32)));
        assert_eq!(encoded_len(&block), block.len());
        let e = Entries::decode(&block);
        for (i, k) in keys.iter().enumerate() {
            assert_eq!(e.get(i), (*k, i as u32));
            assert_eq!(find(&block, k), Some(i as u32), "{k:?}");
            let mut longer = k.to_vec();
            longer.push(0);
            if !keys.contains(&&longer[..]) {
                assert_eq!(find(&block, &longer), None, "{longer:?}");
            }
        }
        for miss in [&b"aa"[..], b"abe", b"c", b"\x01", b"ab\0", b"\xfe"] {
            assert_eq!(find(&block, miss), None, "{miss:?}");
        }
        // Rewrites by splicing agree with decoding and encoding again.
        for (i, k) in keys.iter().enumerate() {
            let len = block.len();
            let place = locate(&block, k);
            let out = removed(&block, len, &place);
            let mut e = Entries::decode(&block);
            e.remove(i);
            assert_eq!(out, e.encode(), "removing {k:?}");
            let back = inserted(&out, out.len(), k, &locate(&out, k), i as u32);
            assert_eq!(back, block, "inserting {k:?}");
        }
        let long = vec![9u8; 300];
        let block = encode([(&long[..], 5u32)].into_iter());
        assert_eq!(find(&block, &long), Some(5));
        assert_eq!(encoded_len(&block), block.len());
    }
}
