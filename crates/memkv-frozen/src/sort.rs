//! Sorting unsorted entries within a memory budget: sorted runs spilled to
//! temporary files, then a k-way merge that applies the duplicate policy.
//!
//! This is what lets `FrozenLayer::from_unsorted` and `cargo xtask freeze` index
//! more keys than fit in memory: entries are buffered until the budget is reached,
//! sorted, written out as a run, and the runs are merged with one small read buffer
//! each.

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::PathBuf;

use memkv_core::{Error, Result};

use crate::{FrozenLayer, FrozenLayerBuilder};

/// What to do when the same key is given more than once.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum DuplicatePolicy {
    /// Fail with [`Error::DuplicateKey`], naming the input position of the second
    /// occurrence.
    #[default]
    Reject,
    /// Keep the value given last.
    LastWins,
    /// Keep the value given first (in push order, also across spilled runs).
    FirstWins,
}

/// Settings for [`ExternalSorter`] and [`FrozenLayer::from_unsorted`].
#[derive(Clone, Debug)]
pub struct SortOptions {
    /// Bytes of keys and bookkeeping buffered before a sorted run is spilled to a
    /// temporary file (each entry costs its key length plus 24 bytes).
    pub memory_budget: usize,
    /// What to do with repeated keys.
    pub duplicates: DuplicatePolicy,
    /// Where spilled runs go; the system temporary directory when `None`.
    pub temp_dir: Option<PathBuf>,
}

impl Default for SortOptions {
    fn default() -> Self {
        SortOptions {
            memory_budget: 256 << 20,
            duplicates: DuplicatePolicy::Reject,
            temp_dir: None,
        }
    }
}

impl SortOptions {
    /// Default options with the given memory budget in bytes.
    pub fn with_budget(memory_budget: usize) -> SortOptions {
        SortOptions {
            memory_budget,
            ..SortOptions::default()
        }
    }

    /// The same options with another duplicate policy.
    pub fn duplicates(mut self, policy: DuplicatePolicy) -> SortOptions {
        self.duplicates = policy;
        self
    }
}

/// Bytes of bookkeeping per buffered entry (see [`Entry`]).
const ENTRY_BYTES: usize = std::mem::size_of::<Entry>();

/// A buffered entry: its key is `keys[start..start + len]`.
#[derive(Clone, Copy, Debug)]
struct Entry {
    start: usize,
    len: u32,
    /// Position within the current run, which breaks ties between equal keys.
    seq: u32,
    value: u64,
}

/// Sorts entries of any number, spilling to disk beyond a memory budget.
///
/// ```
/// use memkv_frozen::{DuplicatePolicy, ExternalSorter, SortOptions};
///
/// let mut sorter = ExternalSorter::new(SortOptions::with_budget(64).duplicates(DuplicatePolicy::LastWins));
/// for (k, v) in [("pear", 1), ("fig", 2), ("pear", 3), ("apple", 4)] {
///     sorter.push(k, v)?;
/// }
/// let sorted: Vec<_> = sorter.finish()?.collect::<Result<_, _>>()?;
/// assert_eq!(sorted, [(b"apple".to_vec(), 4), (b"fig".to_vec(), 2), (b"pear".to_vec(), 3)]);
/// # Ok::<(), memkv_core::Error>(())
/// ```
#[derive(Debug)]
pub struct ExternalSorter {
    options: SortOptions,
    keys: Vec<u8>,
    entries: Vec<Entry>,
    runs: Vec<File>,
    /// Input position of the first entry of the current buffer.
    run_start: u64,
}

impl ExternalSorter {
    /// An empty sorter.
    pub fn new(options: SortOptions) -> ExternalSorter {
        ExternalSorter {
            options,
            keys: Vec::new(),
            entries: Vec::new(),
            runs: Vec::new(),
            run_start: 0,
        }
    }

    /// The number of entries pushed so far.
    pub fn len(&self) -> u64 {
        self.run_start + self.entries.len() as u64
    }

    /// Whether nothing was pushed yet.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The number of sorted runs spilled to disk so far.
    pub fn spilled_runs(&self) -> usize {
        self.runs.len()
    }

    /// Adds an entry, spilling the buffer first if it would outgrow the budget.
    pub fn push(&mut self, key: impl AsRef<[u8]>, value: u64) -> Result<()> {
        let key = key.as_ref();
        let len = u32::try_from(key.len()).map_err(|_| Error::CapacityExceeded {
            what: "key length",
            limit: u64::from(u32::MAX),
        })?;
        if !self.entries.is_empty()
            && (self.projected_bytes(key.len()) > self.options.memory_budget
                || self.entries.len() >= u32::MAX as usize)
        {
            self.spill()?;
        }
        self.entries.push(Entry {
            start: self.keys.len(),
            len,
            seq: self.entries.len() as u32,
            value,
        });
        self.keys.extend_from_slice(key);
        Ok(())
    }

    /// The buffers' capacity after adding a key of `key_len` bytes, counting the
    /// doubling a `Vec` does when full.
    fn projected_bytes(&self, key_len: usize) -> usize {
        fn grown(len: usize, cap: usize, add: usize) -> usize {
            if len + add <= cap {
                cap
            } else {
                (cap * 2).max(len + add)
            }
        }
        grown(self.keys.len(), self.keys.capacity(), key_len)
            + grown(self.entries.len(), self.entries.capacity(), 1) * ENTRY_BYTES
    }

    fn key(&self, e: &Entry) -> &[u8] {
        &self.keys[e.start..e.start + e.len as usize]
    }

    fn sort_buffer(&mut self) {
        let mut entries = std::mem::take(&mut self.entries);
        entries.sort_unstable_by(|a, b| self.key(a).cmp(self.key(b)).then(a.seq.cmp(&b.seq)));
        self.entries = entries;
    }

    /// Sorts the buffer and writes it out as a run: per entry, the key length
    /// (u32), the key, the value (u64) and the input position (u64), little-endian.
    fn spill(&mut self) -> Result<()> {
        self.sort_buffer();
        let file = match &self.options.temp_dir {
            Some(dir) => tempfile::tempfile_in(dir).map_err(|e| Error::io_at(dir, e))?,
            None => tempfile::tempfile()?,
        };
        let mut w = BufWriter::with_capacity(1 << 16, file);
        for e in &self.entries {
            w.write_all(&e.len.to_le_bytes())?;
            w.write_all(self.key(e))?;
            w.write_all(&e.value.to_le_bytes())?;
            w.write_all(&(self.run_start + u64::from(e.seq)).to_le_bytes())?;
        }
        let mut file = w.into_inner().map_err(|e| e.into_error())?;
        file.seek(SeekFrom::Start(0))?;
        self.runs.push(file);
        self.run_start += self.entries.len() as u64;
        self.entries.clear();
        self.keys.clear();
        Ok(())
    }

    /// The entries in key order, with duplicates resolved by the policy. Reading
    /// may fail (I/O on a run, or a rejected duplicate), so items are `Result`s.
    pub fn finish(mut self) -> Result<SortedEntries> {
        let source = if self.runs.is_empty() {
            self.sort_buffer();
            Source::Memory {
                keys: self.keys,
                entries: self.entries.into_iter(),
                run_start: self.run_start,
            }
        } else {
            if !self.entries.is_empty() {
                self.spill()?;
            }
            // The buffers are no longer needed during the merge.
            drop(std::mem::take(&mut self.keys));
            drop(std::mem::take(&mut self.entries));
            let mut heap = BinaryHeap::with_capacity(self.runs.len());
            let mut readers = Vec::with_capacity(self.runs.len());
            for (i, run) in self.runs.into_iter().enumerate() {
                let mut r = BufReader::with_capacity(1 << 16, run);
                if let Some(item) = read_item(&mut r)? {
                    heap.push(Reverse(Head { item, run: i }));
                }
                readers.push(r);
            }
            Source::Runs { heap, readers }
        };
        Ok(SortedEntries {
            source,
            policy: self.options.duplicates,
            pending: None,
            position: None,
            failed: false,
        })
    }
}

/// One entry read back: key, value, input position.
type Item = (Vec<u8>, u64, u64);

fn read_item(r: &mut impl Read) -> Result<Option<Item>> {
    let mut len = [0u8; 4];
    match r.read_exact(&mut len) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e.into()),
    }
    let mut key = vec![0u8; u32::from_le_bytes(len) as usize];
    r.read_exact(&mut key)?;
    let mut word = [0u8; 8];
    r.read_exact(&mut word)?;
    let value = u64::from_le_bytes(word);
    r.read_exact(&mut word)?;
    Ok(Some((key, value, u64::from_le_bytes(word))))
}

/// The smallest unread entry of a run; ordered by key, then input position.
#[derive(Debug)]
struct Head {
    item: Item,
    run: usize,
}

impl PartialEq for Head {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Head {}
impl PartialOrd for Head {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Head {
    fn cmp(&self, other: &Self) -> Ordering {
        (&self.item.0, self.item.2).cmp(&(&other.item.0, other.item.2))
    }
}

#[derive(Debug)]
enum Source {
    Memory {
        keys: Vec<u8>,
        entries: std::vec::IntoIter<Entry>,
        run_start: u64,
    },
    Runs {
        heap: BinaryHeap<Reverse<Head>>,
        readers: Vec<BufReader<File>>,
    },
}

impl Source {
    /// The next entry by (key, input position), duplicates included.
    fn next_raw(&mut self) -> Result<Option<Item>> {
        match self {
            Source::Memory {
                keys,
                entries,
                run_start,
            } => Ok(entries.next().map(|e| {
                let key = keys[e.start..e.start + e.len as usize].to_vec();
                (key, e.value, *run_start + u64::from(e.seq))
            })),
            Source::Runs { heap, readers } => {
                let Some(Reverse(head)) = heap.pop() else {
                    return Ok(None);
                };
                if let Some(next) = read_item(&mut readers[head.run])? {
                    heap.push(Reverse(Head {
                        item: next,
                        run: head.run,
                    }));
                }
                Ok(Some(head.item))
            }
        }
    }
}

/// The sorted, de-duplicated output of an [`ExternalSorter`].
#[derive(Debug)]
pub struct SortedEntries {
    source: Source,
    policy: DuplicatePolicy,
    /// The entry read ahead to detect duplicates.
    pending: Option<Item>,
    /// See [`SortedEntries::position`].
    position: Option<u64>,
    failed: bool,
}

impl SortedEntries {
    /// The input position (0 for the first entry pushed) of the entry the last
    /// call to `next` returned: of the occurrence whose value was kept when the key
    /// was repeated. After `next` returned [`Error::DuplicateKey`] (whose `index`
    /// is the position of the repeat), the position of the key's first occurrence.
    /// `None` before the first call.
    ///
    /// ```
    /// use memkv_frozen::{ExternalSorter, SortOptions};
    ///
    /// let mut sorter = ExternalSorter::new(SortOptions::default());
    /// for k in ["b", "a", "c", "a"] {
    ///     sorter.push(k, 0)?;
    /// }
    /// let mut sorted = sorter.finish()?;
    /// let err = sorted.next().unwrap().unwrap_err();
    /// assert!(matches!(err, memkv_core::Error::DuplicateKey { index: 3, .. }));
    /// assert_eq!(sorted.position(), Some(1));
    /// # Ok::<(), memkv_core::Error>(())
    /// ```
    pub fn position(&self) -> Option<u64> {
        self.position
    }

    fn advance(&mut self) -> Result<Option<(Vec<u8>, u64)>> {
        let Some((key, mut value, mut position)) = (match self.pending.take() {
            Some(item) => Some(item),
            None => self.source.next_raw()?,
        }) else {
            return Ok(None);
        };
        self.position = Some(position);
        loop {
            // Equal keys arrive in input order (runs are merged by key, then by
            // input position), so the first one seen is the first one pushed.
            match self.source.next_raw()? {
                Some(next) if next.0 == key => match self.policy {
                    DuplicatePolicy::Reject => {
                        return Err(Error::DuplicateKey { index: next.2, key })
                    }
                    DuplicatePolicy::LastWins => (value, position) = (next.1, next.2),
                    DuplicatePolicy::FirstWins => {}
                },
                other => {
                    self.pending = other;
                    self.position = Some(position);
                    return Ok(Some((key, value)));
                }
            }
        }
    }
}

impl Iterator for SortedEntries {
    type Item = Result<(Vec<u8>, u64)>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        let r = self.advance().transpose();
        if matches!(r, Some(Err(_))) {
            self.failed = true;
        }
        r
    }
}

impl std::iter::FusedIterator for SortedEntries {}

impl FrozenLayer {
    /// Builds a layer from entries in any order: sorts them (spilling sorted runs
    /// to temporary files beyond `options.memory_budget`) and resolves repeated
    /// keys by `options.duplicates`.
    ///
    /// ```
    /// use memkv_frozen::{DuplicatePolicy, FrozenLayer, SortOptions};
    ///
    /// let opts = SortOptions::default().duplicates(DuplicatePolicy::LastWins);
    /// let layer = FrozenLayer::from_unsorted([("b", 1), ("a", 2), ("b", 3)], &opts)?;
    /// assert_eq!(layer.iter().collect::<Vec<_>>(), [(b"a".to_vec(), 2), (b"b".to_vec(), 3)]);
    /// assert!(FrozenLayer::from_unsorted([("b", 1), ("b", 3)], &SortOptions::default()).is_err());
    /// # Ok::<(), memkv_core::Error>(())
    /// ```
    pub fn from_unsorted<I, K>(iter: I, options: &SortOptions) -> Result<FrozenLayer>
    where
        I: IntoIterator<Item = (K, u64)>,
        K: AsRef<[u8]>,
    {
        let mut sorter = ExternalSorter::new(options.clone());
        for (k, v) in iter {
            sorter.push(k, v)?;
        }
        let mut builder = FrozenLayerBuilder::memory();
        for entry in sorter.finish()? {
            let (k, v) = entry?;
            builder.insert(k, v)?;
        }
        builder.finish()
    }
}
