//! Key sets: loading newline-separated key files, normalizing them (sorted, unique),
//! sampling, and the figures that describe a dataset.

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::Path;

use memkv_core::Error;

use crate::rng::SplitMix64;

/// The first bytes of every zstd frame; files are decompressed when they start with
/// it, whatever their name.
const ZSTD_MAGIC: [u8; 4] = [0x28, 0xB5, 0x2F, 0xFD];

/// The seed of `--limit` sampling, so a limited run always picks the same keys.
pub const SAMPLE_SEED: u64 = 46;

/// Keys stored back to back in one buffer: a `Vec<Vec<u8>>` would cost 24 bytes of
/// header plus an allocation per key, and this set lives next to the structure being
/// measured for the whole run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KeySet {
    bytes: Vec<u8>,
    /// `ends[i]` is the end of key `i` in `bytes`; key `i` starts at `ends[i - 1]`.
    ends: Vec<usize>,
}

impl KeySet {
    /// An empty set.
    pub fn new() -> KeySet {
        KeySet::default()
    }

    /// Appends a key (no ordering is checked here).
    pub fn push(&mut self, key: &[u8]) {
        self.bytes.extend_from_slice(key);
        self.ends.push(self.bytes.len());
    }

    /// The number of keys.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether the set has no key.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Key `i`.
    pub fn get(&self, i: usize) -> &[u8] {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.bytes[start..self.ends[i]]
    }

    /// The keys in stored order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &[u8]> + '_ {
        (0..self.len()).map(move |i| self.get(i))
    }

    /// The total length of all keys, separators excluded.
    pub fn raw_key_bytes(&self) -> u64 {
        self.bytes.len() as u64
    }

    /// Whether every key is strictly greater than the one before it.
    pub fn is_sorted_unique(&self) -> bool {
        (1..self.len()).all(|i| self.get(i - 1) < self.get(i))
    }

    /// The number of keys that are `< key` (the keys must be sorted).
    pub fn lower_bound(&self, key: &[u8]) -> usize {
        let (mut lo, mut hi) = (0, self.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if self.get(mid) < key {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        lo
    }

    /// Whether `key` is in the set (the keys must be sorted).
    pub fn contains_sorted(&self, key: &[u8]) -> bool {
        let i = self.lower_bound(key);
        i < self.len() && self.get(i) == key
    }

    /// The number of keys starting with `prefix` (the keys must be sorted): the
    /// oracle of the prefix-scan check.
    pub fn count_prefix(&self, prefix: &[u8]) -> usize {
        let start = self.lower_bound(prefix);
        // The keys with the prefix end where the keys >= its successor begin.
        let end = match memkv_core::prefix_successor(prefix) {
            Some(successor) => self.lower_bound(&successor),
            None => self.len(),
        };
        end - start
    }

    /// Sorts the keys byte-wise and drops duplicates.
    pub fn sort_dedup(&mut self) {
        if self.is_sorted_unique() {
            return;
        }
        let mut order: Vec<usize> = (0..self.len()).collect();
        order.sort_unstable_by(|&a, &b| self.get(a).cmp(self.get(b)));
        order.dedup_by(|a, b| self.get(*a) == self.get(*b));
        let mut sorted = KeySet {
            bytes: Vec::with_capacity(self.bytes.len()),
            ends: Vec::with_capacity(order.len()),
        };
        for i in order {
            sorted.push(self.get(i));
        }
        *self = sorted;
    }

    /// A uniform random sample of `k` keys (all of them when `k >= len`), fixed by
    /// `seed` and kept in the set's order (Knuth's selection sampling, algorithm S).
    pub fn sample(&self, k: usize, seed: u64) -> KeySet {
        let n = self.len();
        if k >= n {
            return self.clone();
        }
        let mut rng = SplitMix64::new(seed);
        let mut out = KeySet::new();
        let mut needed = k;
        for i in 0..n {
            if needed == 0 {
                break;
            }
            // Select key i with probability needed / remaining.
            if rng.below((n - i) as u64) < needed as u64 {
                out.push(self.get(i));
                needed -= 1;
            }
        }
        out
    }

    /// Writes the keys one per line.
    pub fn write_lines(&self, out: &mut impl io::Write) -> io::Result<()> {
        for key in self.iter() {
            out.write_all(key)?;
            out.write_all(b"\n")?;
        }
        Ok(())
    }
}

/// A key file after loading, with what was done to it.
#[derive(Debug)]
pub struct LoadedKeys {
    /// The keys, sorted and unique.
    pub keys: KeySet,
    /// Human-readable notes on what loading changed (sorting, de-duplication,
    /// sampling, skipped empty lines).
    pub notes: Vec<String>,
}

/// Counts the bytes read through it, for progress reporting.
struct Counting<'p, R> {
    inner: R,
    read: u64,
    progress: &'p mut dyn FnMut(u64),
}

impl<R: Read> Read for Counting<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        (self.progress)(self.read);
        Ok(n)
    }
}

/// Reads a whole key file, decompressing it when it is zstd. `progress` receives the
/// number of file bytes consumed so far (compare with the file's length).
pub fn read_file(path: &Path, progress: &mut dyn FnMut(u64)) -> Result<Vec<u8>, Error> {
    let io_err = |e| Error::io_at(path, e);
    let mut file = File::open(path).map_err(io_err)?;
    let mut magic = [0u8; 4];
    let got = read_up_to(&mut file, &mut magic).map_err(io_err)?;
    let reader = Counting {
        inner: BufReader::with_capacity(
            1 << 20,
            io::Cursor::new(magic[..got].to_vec()).chain(file),
        ),
        read: 0,
        progress,
    };
    let mut data = Vec::new();
    if got == 4 && magic == ZSTD_MAGIC {
        zstd::stream::read::Decoder::new(reader)
            .and_then(|mut d| d.read_to_end(&mut data))
            .map_err(io_err)?;
    } else {
        let mut reader = reader;
        reader.read_to_end(&mut data).map_err(io_err)?;
    }
    Ok(data)
}

/// Fills as much of `buf` as the reader has (short only at end of file).
fn read_up_to(reader: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match reader.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

/// Splits file contents into keys: one per `\n`-terminated line. Empty lines are
/// skipped (and counted in a note) because in a key list they are almost always
/// stray blank lines rather than a deliberate empty key.
pub fn parse_lines(data: &[u8]) -> LoadedKeys {
    let mut keys = KeySet::new();
    let mut empty = 0usize;
    for line in data.split(|&b| b == b'\n') {
        if line.is_empty() {
            empty += 1;
        } else {
            keys.push(line);
        }
    }
    // The final newline of the file produces one empty piece that is not a line.
    if data.last() == Some(&b'\n') || data.is_empty() {
        empty -= 1;
    }
    let mut notes = Vec::new();
    if empty > 0 {
        notes.push(format!("skipped {empty} empty line(s)"));
    }
    if !keys.is_sorted_unique() {
        let before = keys.len();
        keys.sort_dedup();
        notes.push(format!(
            "input was not sorted and unique: sorted and de-duplicated ({before} lines -> {} keys)",
            keys.len()
        ));
    }
    LoadedKeys { keys, notes }
}

/// Loads a key file: read (zstd transparently), split into lines, sort and
/// de-duplicate when needed, then keep a uniform sample of `limit` keys.
pub fn load(
    path: &Path,
    limit: Option<usize>,
    progress: &mut dyn FnMut(u64),
) -> Result<LoadedKeys, Error> {
    let data = read_file(path, progress)?;
    let mut loaded = parse_lines(&data);
    drop(data);
    if let Some(k) = limit {
        if k < loaded.keys.len() {
            let n = loaded.keys.len();
            loaded.keys = loaded.keys.sample(k, SAMPLE_SEED);
            loaded.notes.push(format!(
                "--limit {k}: uniform random sample of {k} of {n} keys (seed {SAMPLE_SEED})"
            ));
        }
    }
    Ok(loaded)
}

/// How compressible a sorted key set is: the figures `docs/DATASETS.md` compares.
#[derive(Clone, Debug, PartialEq)]
pub struct Compressibility {
    /// Bytes of the front-coded form: per key, the length of the prefix shared with
    /// the previous key and the suffix length (LEB128 varints each), then the suffix.
    pub front_coded_bytes: u64,
    /// Bytes of the `\n`-separated file compressed with zstd at `zstd_level`.
    pub zstd_bytes: u64,
    /// The zstd level used.
    pub zstd_level: i32,
}

/// The length of a LEB128 varint.
fn varint_len(mut x: usize) -> u64 {
    let mut n = 1;
    while x >= 0x80 {
        x >>= 7;
        n += 1;
    }
    n
}

/// Measures [`Compressibility`] of a sorted key set.
pub fn compressibility(keys: &KeySet, zstd_level: i32) -> io::Result<Compressibility> {
    let mut front = 0u64;
    let mut previous: &[u8] = &[];
    for key in keys.iter() {
        let lcp = previous.iter().zip(key).take_while(|(a, b)| a == b).count();
        let suffix = key.len() - lcp;
        front += varint_len(lcp) + varint_len(suffix) + suffix as u64;
        previous = key;
    }
    let mut text = Vec::with_capacity(keys.raw_key_bytes() as usize + keys.len());
    keys.write_lines(&mut text)?;
    let zstd_bytes = zstd::bulk::compress(&text, zstd_level)?.len() as u64;
    Ok(Compressibility {
        front_coded_bytes: front,
        zstd_bytes,
        zstd_level,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(keys: &[&str]) -> KeySet {
        let mut s = KeySet::new();
        for k in keys {
            s.push(k.as_bytes());
        }
        s
    }

    #[test]
    fn parse_sorts_dedups_and_notes_it() {
        let loaded = parse_lines(b"b\na\n\nb\nc");
        assert_eq!(loaded.keys, set(&["a", "b", "c"]));
        assert_eq!(loaded.notes.len(), 2, "{:?}", loaded.notes);
        assert!(loaded.notes[0].contains("1 empty"));
        assert!(loaded.notes[1].contains("4 lines -> 3 keys"));
    }

    #[test]
    fn parse_sorted_input_has_no_notes() {
        let loaded = parse_lines(b"a\nab\nb\n");
        assert_eq!(loaded.keys, set(&["a", "ab", "b"]));
        assert!(loaded.notes.is_empty(), "{:?}", loaded.notes);
        assert!(parse_lines(b"").keys.is_empty());
    }

    #[test]
    fn oracle_queries() {
        let s = set(&["a", "ab", "abc", "b", "ba"]);
        assert_eq!(s.count_prefix(b"a"), 3);
        assert_eq!(s.count_prefix(b"ab"), 2);
        assert_eq!(s.count_prefix(b"b"), 2);
        assert_eq!(s.count_prefix(b"c"), 0);
        assert_eq!(s.count_prefix(b""), 5);
        assert!(s.contains_sorted(b"abc"));
        assert!(!s.contains_sorted(b"abd"));
        assert_eq!(s.raw_key_bytes(), 9);
    }

    #[test]
    fn sample_is_deterministic_sorted_and_of_the_right_size() {
        let mut s = KeySet::new();
        for i in 0..1000 {
            s.push(format!("{i:04}").as_bytes());
        }
        let a = s.sample(100, 1);
        assert_eq!(a.len(), 100);
        assert!(a.is_sorted_unique());
        assert_eq!(a, s.sample(100, 1));
        assert_ne!(a, s.sample(100, 2));
        assert_eq!(s.sample(5000, 1), s);
    }

    #[test]
    fn zstd_files_are_read_transparently() {
        let dir = tempfile::tempdir().unwrap();
        let plain = dir.path().join("k.txt");
        let packed = dir.path().join("k.bin");
        std::fs::write(&plain, b"x\ny\n").unwrap();
        std::fs::write(&packed, zstd::bulk::compress(b"x\ny\n", 3).unwrap()).unwrap();
        let mut calls = 0;
        let a = load(&plain, None, &mut |_| calls += 1).unwrap();
        let b = load(&packed, None, &mut |_| {}).unwrap();
        assert_eq!(a.keys, b.keys);
        assert_eq!(a.keys, set(&["x", "y"]));
        assert!(calls > 0);
        let missing = load(&dir.path().join("nope"), None, &mut |_| {}).unwrap_err();
        assert!(missing.to_string().contains("nope"), "{missing}");
    }

    #[test]
    fn front_coding_counts_shared_prefixes_once() {
        let s = set(&["abc", "abd"]);
        let c = compressibility(&s, 3).unwrap();
        // "abc": lcp 0, suffix 3 -> 1 + 1 + 3; "abd": lcp 2, suffix 1 -> 1 + 1 + 1.
        assert_eq!(c.front_coded_bytes, 8);
        assert!(c.zstd_bytes > 0);
    }
}
