//! Leaf buckets: up to [`BUCKET_MAX`] entries below one child slot, in one block
//! of a [`memkv_arena::BlobArena`], found by a one-byte fingerprint.
//!
//! ```text
//! block: head (u8) | prefix length (LEB128) | prefix | fp [count] | value [count]
//!        | end [count + 1] | records
//! head:  count (low 7 bits) | 0x80 if `end` entries are u32 (else u16, LE)
//! value: the entry's value slot (u32 LE); record: the entry's own bytes
//! ```
//!
//! An entry's key suffix (the key bytes the path above has not spelled) is the
//! bucket's prefix followed by its record's bytes; the prefix is exactly the
//! longest common prefix of all the suffixes (canonical form), so a bucket of one
//! entry holds its whole suffix as prefix. Records are in strictly increasing
//! order; `end[i]` is where record `i` starts within the records and `end[count]`
//! where they end. `fp[i]` is [`fingerprint`] of entry `i`'s whole suffix. The
//! value slots sit next to the fingerprints, so a lookup can ask for the value
//! as soon as the fingerprint matches, while the record is still being compared.
//!
//! A bucket replaces the bottom of the tree: the Node2s that would tell its keys
//! apart, each leaf's suffix slot and the suffixes' own arena items; about nine
//! tenths of the inner nodes disappear, so the ones left stay in cache. A lookup
//! hashes its suffix while the block is still on its way from memory, then
//! compares fingerprints a word at a time and the bytes of the one candidate:
//! few instructions and hardly any mispredicted branches once the block
//! arrives, so the CPU keeps going with the next lookup meanwhile.

use super::lcp;

/// The most entries a bucket holds; one more bursts it into a node.
pub(super) const BUCKET_MAX: usize = 32;

const WIDE: u8 = 0x80;
const COUNT_MASK: u8 = 0x7F;
const _: () = assert!(BUCKET_MAX <= COUNT_MASK as usize);

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

/// The one-byte fingerprint of a suffix.
#[inline]
pub(super) fn fingerprint(s: &[u8]) -> u8 {
    const K: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut h = (s.len() as u64).wrapping_mul(K);
    let mut chunks = s.chunks_exact(8);
    for c in chunks.by_ref() {
        let w = u64::from_le_bytes(c.try_into().expect("8 bytes"));
        h = (h ^ w).wrapping_mul(K).rotate_left(23);
    }
    let mut tail = [0u8; 8];
    let rest = chunks.remainder();
    tail[..rest.len()].copy_from_slice(rest);
    h = (h ^ u64::from_le_bytes(tail)).wrapping_mul(K);
    (h >> 56) as u8
}

/// A parsed block.
#[derive(Clone, Copy)]
pub(super) struct View<'a> {
    block: &'a [u8],
    count: usize,
    wide: bool,
    prefix: &'a [u8],
    /// Where the fingerprints start.
    fps: usize,
    /// Where the value slots start.
    vals: usize,
    /// Where the `end` table starts.
    ends: usize,
    /// Where the records start.
    recs: usize,
}

impl<'a> View<'a> {
    #[inline(always)]
    pub(super) fn new(block: &'a [u8]) -> View<'a> {
        let head = block[0];
        let count = usize::from(head & COUNT_MASK);
        let wide = head & WIDE != 0;
        let mut p = 1;
        let plen = varint(block, &mut p);
        let prefix = &block[p..p + plen];
        let fps = p + plen;
        let vals = fps + count;
        let ends = vals + 4 * count;
        let recs = ends + (count + 1) * if wide { 4 } else { 2 };
        View {
            block,
            count,
            wide,
            prefix,
            fps,
            vals,
            ends,
            recs,
        }
    }

    /// The number of entries.
    pub(super) fn len(&self) -> usize {
        self.count
    }

    /// The prefix all the suffixes share.
    pub(super) fn prefix(&self) -> &'a [u8] {
        self.prefix
    }

    #[inline(always)]
    fn end(&self, i: usize) -> usize {
        let b = self.block;
        if self.wide {
            let at = self.ends + 4 * i;
            u32::from_le_bytes(b[at..at + 4].try_into().expect("4 bytes")) as usize
        } else {
            let at = self.ends + 2 * i;
            usize::from(u16::from_le_bytes([b[at], b[at + 1]]))
        }
    }

    /// Entry `i`'s own bytes (after the prefix).
    #[inline(always)]
    pub(super) fn rec(&self, i: usize) -> &'a [u8] {
        &self.block[self.recs + self.end(i)..self.recs + self.end(i + 1)]
    }

    /// Entry `i`'s value slot.
    #[inline(always)]
    pub(super) fn value(&self, i: usize) -> u32 {
        let at = self.vals + 4 * i;
        u32::from_le_bytes(self.block[at..at + 4].try_into().expect("4 bytes"))
    }

    /// Entry `i`'s fingerprint.
    pub(super) fn fp(&self, i: usize) -> u8 {
        self.block[self.fps + i]
    }

    /// The encoded length.
    pub(super) fn encoded_len(&self) -> usize {
        self.recs + self.end(self.count)
    }

    /// Asks the CPU for the block's cache lines past the first
    /// [`PREFETCH_LINES`] (which [`prefetch_block`] asks for).
    #[inline(always)]
    pub(super) fn prefetch_rest(&self) {
        let p = self.block.as_ptr();
        let into_line = (64 - p.align_offset(64)) % 64;
        let end = self.encoded_len() + into_line;
        let mut line = PREFETCH_LINES * 64;
        while line < end {
            memkv_arena::prefetch(p.wrapping_add(line - into_line));
            line += 64;
        }
    }

    /// Where suffix `t` is or would go: `Ok(i)` if entry `i` has it, else
    /// `Err(i)` for the position it would take.
    pub(super) fn search(&self, t: &[u8]) -> Result<usize, usize> {
        let p = self.prefix;
        let k = p.len().min(t.len());
        match p[..k].cmp(&t[..k]) {
            std::cmp::Ordering::Less => return Err(self.count),
            std::cmp::Ordering::Greater => return Err(0),
            // `t` ends inside the prefix: before every entry.
            std::cmp::Ordering::Equal if t.len() < p.len() => return Err(0),
            std::cmp::Ordering::Equal => {}
        }
        let t = &t[k..];
        let (mut lo, mut hi) = (0, self.count);
        while lo < hi {
            let mid = (lo + hi) / 2;
            match self.rec(mid).cmp(t) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Ok(mid),
            }
        }
        Err(lo)
    }

    /// The value slot of the entry whose suffix is `t`, if any.
    #[inline(always)]
    pub(super) fn find(&self, t: &[u8], fp: u8) -> Option<u32> {
        let plen = self.prefix.len();
        if t.len() < plen || t[..plen] != *self.prefix {
            return None;
        }
        let t = &t[plen..];
        let pattern = u64::from(fp) * 0x0101_0101_0101_0101;
        let mut base = 0;
        while base < self.count {
            // Eight fingerprints at once; the value slots and the `end` table
            // follow them, so eight bytes are always there to read.
            let at = self.fps + base;
            let w = u64::from_le_bytes(self.block[at..at + 8].try_into().expect("8 bytes"));
            let x = w ^ pattern;
            // The top bit of each byte of `x` that is zero (exact, no carries).
            const LOW7: u64 = 0x7F7F_7F7F_7F7F_7F7F;
            let mut zero = !(((x & LOW7) + LOW7) | x | LOW7);
            let left = self.count - base;
            if left < 8 {
                zero &= (1u64 << (8 * left)) - 1;
            }
            while zero != 0 {
                let i = base + (zero.trailing_zeros() / 8) as usize;
                zero &= zero - 1;
                if self.rec(i) == t {
                    return Some(self.value(i));
                }
            }
            base += 8;
        }
        None
    }
}

/// The number of entries of a block.
#[inline]
pub(super) fn count(block: &[u8]) -> usize {
    usize::from(block[0] & COUNT_MASK)
}

/// The encoded length of a block.
pub(super) fn encoded_len(block: &[u8]) -> usize {
    View::new(block).encoded_len()
}

/// The value slot of the entry whose suffix is `t` in `block`, if any.
#[inline(always)]
pub(super) fn find(block: &[u8], t: &[u8]) -> Option<u32> {
    prefetch_block(block);
    // The hash depends on the key alone, so it is computed while the block loads.
    let fp = fingerprint(t);
    View::new(block).find(t, fp)
}

/// Cache lines of a block a lookup asks for at once, the first included.
const PREFETCH_LINES: usize = 4;

/// Asks the CPU for the cache lines after a block's first one: the `end` table
/// and the record a lookup reads are found through the first line, so without
/// this each would be a cache miss after the other (measured: 3% more lookups).
#[inline(always)]
pub(super) fn prefetch_block(block: &[u8]) {
    let p = block.as_ptr();
    let into_line = (64 - p.align_offset(64)) % 64;
    for line in 1..PREFETCH_LINES {
        memkv_arena::prefetch(p.wrapping_add(line * 64 - into_line));
    }
}

/// An entry to encode: its record bytes are `a` then `b` (after the prefix).
#[derive(Clone, Copy)]
pub(super) struct Ent<'a> {
    pub(super) a: &'a [u8],
    pub(super) b: &'a [u8],
    pub(super) value: u32,
    pub(super) fp: u8,
}

/// Encodes a bucket: `prefix` (the suffixes' exact common prefix) and `ents` in
/// strictly increasing order (at most [`BUCKET_MAX`]).
pub(super) fn encode(prefix: &[u8], ents: &[Ent<'_>]) -> Vec<u8> {
    let count = ents.len();
    debug_assert!((1..=BUCKET_MAX).contains(&count));
    let rec_bytes: usize = ents.iter().map(|e| e.a.len() + e.b.len()).sum();
    let wide = rec_bytes > usize::from(u16::MAX);
    let width = if wide { 4 } else { 2 };
    let mut out = Vec::with_capacity(12 + prefix.len() + count * (5 + width) + rec_bytes);
    out.push(count as u8 | if wide { WIDE } else { 0 });
    put_varint(&mut out, prefix.len());
    out.extend_from_slice(prefix);
    out.extend(ents.iter().map(|e| e.fp));
    for e in ents {
        out.extend_from_slice(&e.value.to_le_bytes());
    }
    let mut end = 0usize;
    for e in ents.iter().map(|e| e.a.len() + e.b.len()).chain([0]) {
        if wide {
            out.extend_from_slice(&(end as u32).to_le_bytes());
        } else {
            out.extend_from_slice(&(end as u16).to_le_bytes());
        }
        end += e;
    }
    for e in ents {
        out.extend_from_slice(e.a);
        out.extend_from_slice(e.b);
    }
    out
}

/// A bucket of whole suffixes `ents` (strictly increasing, 1 to [`BUCKET_MAX`]).
pub(super) fn from_sorted(ents: &[(&[u8], u32)]) -> Vec<u8> {
    let first = ents[0].0;
    let plen = lcp(first, ents[ents.len() - 1].0);
    let list: Vec<Ent<'_>> = ents
        .iter()
        .map(|&(s, value)| Ent {
            a: &s[plen..],
            b: &[],
            value,
            fp: fingerprint(s),
        })
        .collect();
    encode(&first[..plen], &list)
}

/// A bucket of one entry.
pub(super) fn single(suffix: &[u8], value: u32) -> Vec<u8> {
    from_sorted(&[(suffix, value)])
}

/// [`inserted`] when `t` does not keep the whole prefix (the bytes it does not
/// share move into every old record) or the `end` table changes width: the
/// block re-encoded into `out`, entry by entry where they change.
fn inserted_reencoded(v: &View<'_>, at: usize, t: &[u8], value: u32, out: &mut Vec<u8>) {
    let old = v.prefix;
    let plen = lcp(old, t);
    let extra = &old[plen..];
    let delta = extra.len();
    let n = v.count;
    let new_rec = t.len() - plen;
    let rec_bytes = v.end(n) + n * delta + new_rec;
    let wide = rec_bytes > usize::from(u16::MAX);
    let width = if wide { 4 } else { 2 };
    let b = v.block;
    out.clear();
    out.reserve(12 + plen + (n + 1) * (5 + width) + width + rec_bytes);
    out.push((n + 1) as u8 | if wide { WIDE } else { 0 });
    put_varint(out, plen);
    out.extend_from_slice(&old[..plen]);
    out.extend_from_slice(&b[v.fps..v.fps + at]);
    out.push(fingerprint(t));
    out.extend_from_slice(&b[v.fps + at..v.vals + 4 * at]);
    out.extend_from_slice(&value.to_le_bytes());
    out.extend_from_slice(&b[v.vals + 4 * at..v.ends]);
    for j in 0..=n + 1 {
        let e = if j <= at {
            v.end(j) + j * delta
        } else {
            v.end(j - 1) + (j - 1) * delta + new_rec
        };
        if wide {
            out.extend_from_slice(&(e as u32).to_le_bytes());
        } else {
            out.extend_from_slice(&(e as u16).to_le_bytes());
        }
    }
    let push_old = |out: &mut Vec<u8>, range: std::ops::Range<usize>| {
        if delta == 0 {
            out.extend_from_slice(&b[v.recs + v.end(range.start)..v.recs + v.end(range.end)]);
        } else {
            for i in range {
                out.extend_from_slice(extra);
                out.extend_from_slice(v.rec(i));
            }
        }
    };
    push_old(out, 0..at);
    out.extend_from_slice(&t[plen..]);
    push_old(out, at..n);
}

/// Bytes a [`Runs`] copies at once (one cache line), and the slack it keeps
/// past its output.
const WINDOW: usize = 64;

/// A buffer written front to back in runs of bytes: a run of at most `WINDOW`
/// bytes is one fixed-size copy of `WINDOW` bytes when its source has them
/// (the bytes written past the run are overwritten by the next one), so that
/// short runs of varying length cost no `memcpy` call and none of the
/// length-dependent branches inside it, which mispredict.
struct Runs<'a> {
    out: &'a mut [u8],
    len: usize,
}

impl<'a> Runs<'a> {
    /// A writer of up to `len` bytes into `buf`, which it grows to `len`
    /// plus `WINDOW` bytes of slack if needed.
    fn new(buf: &'a mut Vec<u8>, len: usize) -> Runs<'a> {
        if buf.len() < len + WINDOW {
            buf.resize(len + WINDOW, 0);
        }
        Runs { out: buf, len: 0 }
    }

    /// Appends `src[range]`.
    #[inline(always)]
    fn copy(&mut self, src: &[u8], range: std::ops::Range<usize>) {
        let (at, n) = (self.len, range.len());
        match src.get(range.start..range.start + WINDOW) {
            Some(window) if n <= WINDOW => self.out[at..at + WINDOW].copy_from_slice(window),
            _ => self.out[at..at + n].copy_from_slice(&src[range]),
        }
        self.len += n;
    }

    /// Appends a few bytes of fixed length.
    #[inline(always)]
    fn put<const N: usize>(&mut self, bytes: [u8; N]) {
        self.out[self.len..self.len + N].copy_from_slice(&bytes);
        self.len += N;
    }
}

/// `v`'s bucket with suffix `t` (absent, at position `at` from
/// [`View::search`]) added under value slot `value`, written to `out[..len]`;
/// returns `len`. `out` is the caller's reused buffer: no allocation per insert.
///
/// Inserts are the hot path of building a map, so this splices the block. In
/// the common case (`t` keeps the bucket's whole prefix and the `end` table
/// stays narrow) the new block is the old one's bytes in five runs, with the new
/// entry's fingerprint, value slot, `end` entry and record between them and the
/// `end` entries after it shifted (inserts of 1M Debian paths: about 5% faster
/// than appending each part to a `Vec`, same-process comparison).
pub(super) fn inserted(v: &View<'_>, at: usize, t: &[u8], value: u32, out: &mut Vec<u8>) -> usize {
    let n = v.count;
    let b = v.block;
    let rec_end = v.end(n);
    let new_rec = t.len().saturating_sub(v.prefix.len());
    if v.wide || !t.starts_with(v.prefix) || rec_end + new_rec > usize::from(u16::MAX) {
        inserted_reencoded(v, at, t, value, out);
        return out.len();
    }
    // One more fingerprint (1), value slot (4) and `end` entry (2).
    let len = v.recs + 7 + rec_end + new_rec;
    let mut w = Runs::new(out, len);
    w.put([(n + 1) as u8]);
    // The prefix length and prefix are unchanged.
    w.copy(b, 1..v.fps + at);
    w.put([fingerprint(t)]);
    w.copy(b, v.fps + at..v.vals + 4 * at);
    w.put(value.to_le_bytes());
    w.copy(b, v.vals + 4 * at..v.ends + 2 * (at + 1));
    for j in at..=n {
        w.put(((v.end(j) + new_rec) as u16).to_le_bytes());
    }
    let split = v.recs + v.end(at);
    w.copy(b, v.recs..split);
    w.copy(t, v.prefix.len()..t.len());
    w.copy(b, split..v.recs + rec_end);
    debug_assert_eq!(w.len, len);
    len
}

/// `v`'s bucket (of two or more entries) without entry `at`.
pub(super) fn removed(v: &View<'_>, at: usize) -> Vec<u8> {
    let (first, last) = match (at, v.count - 1) {
        (0, _) => (1, v.count - 1),
        (a, l) if a == l => (0, l - 1),
        (_, l) => (0, l),
    };
    // The prefix grows by what the remaining records all share.
    let grow = lcp(v.rec(first), v.rec(last));
    let mut prefix = v.prefix.to_vec();
    prefix.extend_from_slice(&v.rec(first)[..grow]);
    let list: Vec<Ent<'_>> = (0..v.count)
        .filter(|&i| i != at)
        .map(|i| Ent {
            a: &v.rec(i)[grow..],
            b: &[],
            value: v.value(i),
            fp: v.fp(i),
        })
        .collect();
    encode(&prefix, &list)
}

/// `v`'s bucket with `head` put in front of every suffix.
pub(super) fn prepended(v: &View<'_>, head: &[u8]) -> Vec<u8> {
    let mut prefix = head.to_vec();
    prefix.extend_from_slice(v.prefix);
    let mut whole = Vec::new();
    let list: Vec<Ent<'_>> = (0..v.count)
        .map(|i| {
            whole.clear();
            whole.extend_from_slice(&prefix);
            whole.extend_from_slice(v.rec(i));
            Ent {
                a: v.rec(i),
                b: &[],
                value: v.value(i),
                fp: fingerprint(&whole),
            }
        })
        .collect();
    encode(&prefix, &list)
}

/// Entry `i`'s whole suffix, appended to `out`.
pub(super) fn push_suffix(v: &View<'_>, i: usize, out: &mut Vec<u8>) {
    out.extend_from_slice(v.prefix);
    out.extend_from_slice(v.rec(i));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn whole(v: &View<'_>, i: usize) -> Vec<u8> {
        let mut s = Vec::new();
        push_suffix(v, i, &mut s);
        s
    }

    #[test]
    fn round_trips_finds_and_rewrites() {
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
        let ents: Vec<(&[u8], u32)> = keys
            .iter()
            .enumerate()
            .map(|(i, k)| (*k, i as u32))
            .collect();
        let block = from_sorted(&ents);
        let v = View::new(&block);
        assert_eq!(v.encoded_len(), block.len());
        for (i, k) in keys.iter().enumerate() {
            assert_eq!(whole(&v, i), *k);
            assert_eq!(v.fp(i), fingerprint(k));
            assert_eq!(find(&block, k), Some(i as u32), "{k:?}");
            assert_eq!(v.search(k), Ok(i));
        }
        for miss in [
            &b"aa"[..],
            b"abe",
            b"c",
            b"\x01",
            b"ab\0",
            b"\xfe",
            b"\xff\xff\xff",
        ] {
            assert_eq!(find(&block, miss), None, "{miss:?}");
            assert!(v.search(miss).is_err());
        }
        // Removing and adding back each entry gives the same block.
        for (i, k) in keys.iter().enumerate() {
            let out = removed(&v, i);
            let w = View::new(&out);
            assert_eq!(w.len(), keys.len() - 1);
            assert_eq!(find(&out, k), None);
            let at = w.search(k).expect_err("absent");
            assert_eq!(at, i);
            let mut spliced = vec![0xAA; 3];
            let len = inserted(&w, at, k, i as u32, &mut spliced);
            assert_eq!(spliced[..len], block, "{k:?}");
        }
        let p = prepended(&v, b"xy");
        for (i, k) in keys.iter().enumerate() {
            let mut s = b"xy".to_vec();
            s.extend_from_slice(k);
            assert_eq!(find(&p, &s), Some(i as u32));
        }
        let long = vec![9u8; 70_000];
        let two = from_sorted(&[(&long[..1], 1), (&long[..], 5)]);
        assert_eq!(two[0] & WIDE, WIDE);
        assert_eq!(find(&two, &long), Some(5));
        assert_eq!(find(&two, &long[..1]), Some(1));
        assert_eq!(encoded_len(&two), two.len());
    }
}
