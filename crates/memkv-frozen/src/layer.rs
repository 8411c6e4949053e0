//! [`FrozenLayer`]: opening, point queries and ordinal queries.

use std::fmt;
use std::fs::File;
use std::io::{Seek, Write};
use std::ops::{Bound, ControlFlow, RangeBounds};
use std::path::Path;
use std::sync::Arc;

use fst::raw::Fst;
use memkv_core::{Error, KeyBounds, OrderedMap, Result};

use crate::atomic::AtomicFile;
use crate::build::{write_node_ends, FrozenLayerBuilder};
use crate::format::{footer, verify_checksum, Header, HEADER_LEN};
use crate::lookup;
use crate::mmap;
use crate::range::FrozenRange;
use crate::storage::{Section, Storage};
use crate::validate;
use crate::values::ValueReader;

/// An immutable ordered map from byte strings to `u64`, stored as an FST of key
/// ordinals plus a bit-packed value column.
///
/// Build one from sorted entries ([`FrozenLayer::from_sorted_iter`], or the
/// streaming [`FrozenLayerBuilder`]), from unsorted ones
/// ([`FrozenLayer::from_unsorted`]), from bytes ([`FrozenLayer::from_bytes`]) or by
/// memory-mapping a file ([`FrozenLayer::open`]). Clones share the bytes, so they are
/// cheap, and the layer is `Send + Sync`.
///
/// ```
/// use memkv_frozen::FrozenLayer;
///
/// let layer = FrozenLayer::from_sorted_iter([("apple", 7), ("banana", 3), ("cherry", 9)])?;
/// assert_eq!(layer.get("banana"), Some(3));
/// assert_eq!(layer.rank("cherry"), Some(2));
/// let a_to_c: Vec<_> = layer.range("a", "c").map(|(k, _)| k).collect();
/// assert_eq!(a_to_c, [b"apple".to_vec(), b"banana".to_vec()]);
/// # Ok::<(), memkv_core::Error>(())
/// ```
#[derive(Clone)]
pub struct FrozenLayer {
    /// Maps each key to its ordinal. Its data is the FST section of `storage`.
    fst: Fst<Section>,
    /// The address of the FST's root node, for [`lookup::ordinal`].
    root: usize,
    values: ValueReader,
    values_start: usize,
    values_end: usize,
}

impl fmt::Debug for FrozenLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FrozenLayer")
            .field("len", &self.len())
            .field("bytes", &self.as_bytes().len())
            .field("mapped", &self.is_mapped())
            .field("values", &self.values)
            .finish()
    }
}

impl FrozenLayer {
    /// Builds a layer from entries sorted by key, with no duplicate keys.
    ///
    /// Unsorted input returns [`Error::OutOfOrder`], a repeated key
    /// [`Error::DuplicateKey`]. For unsorted input use [`FrozenLayer::from_unsorted`].
    ///
    /// ```
    /// use memkv_frozen::FrozenLayer;
    ///
    /// let mut data: Vec<(&[u8], u64)> = vec![(b"banana", 2), (b"apple", 1)];
    /// assert!(FrozenLayer::from_sorted_iter(data.iter().copied()).is_err()); // out of order
    /// data.sort_by_key(|(k, _)| *k);
    /// let layer = FrozenLayer::from_sorted_iter(data)?;
    /// assert_eq!(layer.len(), 2);
    /// # Ok::<(), memkv_core::Error>(())
    /// ```
    pub fn from_sorted_iter<I, K>(iter: I) -> Result<FrozenLayer>
    where
        I: IntoIterator<Item = (K, u64)>,
        K: AsRef<[u8]>,
    {
        let mut builder = FrozenLayerBuilder::memory();
        for (key, value) in iter {
            builder.insert(key, value)?;
        }
        builder.finish()
    }

    /// Reads a layer from the bytes of a layer file (as written by
    /// [`FrozenLayer::write_to`] or returned by [`FrozenLayer::as_bytes`]).
    ///
    /// The magic number, version, section lengths, checksum and the structure of
    /// the FST are all checked: bytes that are not an intact layer return an error,
    /// and no bytes can make a later query panic.
    ///
    /// ```
    /// use memkv_frozen::FrozenLayer;
    ///
    /// let layer = FrozenLayer::from_sorted_iter([("k", 1)])?;
    /// let copy = FrozenLayer::from_bytes(layer.as_bytes().to_vec())?;
    /// assert_eq!(copy.get("k"), Some(1));
    /// assert!(FrozenLayer::from_bytes(b"not a layer".to_vec()).is_err());
    /// # Ok::<(), memkv_core::Error>(())
    /// ```
    pub fn from_bytes(bytes: impl Into<Arc<[u8]>>) -> Result<FrozenLayer> {
        FrozenLayer::from_storage(Storage::Heap(bytes.into()))
    }

    /// Memory-maps a layer file. The layer keeps only a few hundred bytes of heap,
    /// whatever the file size, so a layer larger than RAM can be served; the
    /// operating system pages the file in as it is read.
    ///
    /// The whole file is read once to check its checksum, and the FST section once
    /// more to check its structure (so that no file, however crafted, can make a
    /// query panic: see `docs/FORMAT.md`), about 0.1 s per million keys. With the
    /// node-end index that this crate's writers put in every file, the check
    /// allocates nothing: `open` takes under 64 KiB of heap whatever the file size
    /// (a version 1 file, without the index, needs a transient set of pending
    /// transition targets, about 1% of the file on real key sets). Layer files must
    /// not be modified while mapped: replace them by renaming a new file over them
    /// (which is what [`FrozenLayer::write_to`] does).
    ///
    /// ```
    /// use memkv_frozen::FrozenLayer;
    ///
    /// let dir = tempfile::tempdir().unwrap();
    /// let path = dir.path().join("fruit.frz");
    /// FrozenLayer::from_sorted_iter([("apple", 1), ("pear", 2)])?.write_to(&path)?;
    /// let layer = FrozenLayer::open(&path)?;
    /// assert!(layer.is_mapped());
    /// assert_eq!(layer.get("pear"), Some(2));
    /// # Ok::<(), memkv_core::Error>(())
    /// ```
    pub fn open(path: impl AsRef<Path>) -> Result<FrozenLayer> {
        let path = path.as_ref();
        let file = File::open(path).map_err(|e| Error::io_at(path, e))?;
        let map = mmap::map(&file).map_err(|e| Error::io_at(path, e))?;
        FrozenLayer::from_storage(Storage::Mapped(Arc::new(map)))
    }

    /// A layer over bytes from outside: every check of `docs/FORMAT.md` runs
    /// before any node is read.
    pub(crate) fn from_storage(storage: Storage) -> Result<FrozenLayer> {
        let bytes = storage.bytes();
        let header = Header::decode(bytes)?;
        verify_checksum(bytes)?;
        // Prove that `fst` can walk the section without panicking before it reads
        // a node (the checksum guards only against accidents).
        validate::check_fst(
            &bytes[header.fst_range()],
            header.len,
            node_ends(bytes, &header),
        )?;
        FrozenLayer::assemble(storage, &header)
    }

    /// A layer over bytes this crate's builder has just produced: the header is
    /// decoded, but the checksum and the FST's structure, right by construction,
    /// are only re-checked in debug builds.
    pub(crate) fn from_built(storage: Storage) -> Result<FrozenLayer> {
        let bytes = storage.bytes();
        let header = Header::decode(bytes)?;
        debug_assert!(verify_checksum(bytes).is_ok());
        debug_assert!(validate::check_fst(
            &bytes[header.fst_range()],
            header.len,
            node_ends(bytes, &header)
        )
        .is_ok());
        FrozenLayer::assemble(storage, &header)
    }

    fn assemble(storage: Storage, header: &Header) -> Result<FrozenLayer> {
        // `Header::decode` checked that every section lies within the bytes, whose
        // length fits in `usize`.
        let fst_range = header.fst_range();
        let values_start = header.values_start() as usize;
        let values_end = values_start + header.values_len as usize;
        let fst = Fst::new(Section {
            storage,
            start: fst_range.start,
            end: fst_range.end,
        })
        .map_err(|e| Error::corrupt(format!("FST section: {e}")))?;
        if fst.len() as u64 != header.len {
            return Err(Error::corrupt(format!(
                "the header counts {} keys, the FST {}",
                header.len,
                fst.len()
            )));
        }
        let root = fst.root().addr();
        Ok(FrozenLayer {
            fst,
            root,
            values: ValueReader {
                encoding: header.encoding,
                base: header.base,
                width: header.width,
            },
            values_start,
            values_end,
        })
    }

    /// The layer in its file format: the bytes [`FrozenLayer::from_bytes`] reads.
    /// A layer built in memory has no node-end index (`docs/FORMAT.md`), which
    /// [`FrozenLayer::write_to`] adds; a mapped layer returns its file as it is.
    pub fn as_bytes(&self) -> &[u8] {
        self.fst.as_inner().storage.bytes()
    }

    /// Writes the layer to `path` atomically: a temporary file in the same
    /// directory, fsync, rename. The file gets a node-end index (one bit per FST
    /// byte, about a ninth of the file) if the layer's bytes lack one, so that
    /// [`FrozenLayer::open`] checks it in constant memory.
    pub fn write_to(&self, path: impl AsRef<Path>) -> Result<()> {
        let out = AtomicFile::create(path.as_ref())?;
        self.write_file(out.file())
            .map_err(|e| Error::io_at(out.dest(), e))?;
        out.commit()
    }

    fn write_file(&self, mut file: &File) -> std::io::Result<()> {
        let bytes = self.as_bytes();
        let header = Header::decode(bytes).map_err(std::io::Error::other)?;
        if header.node_ends {
            return file.write_all(bytes);
        }
        let indexed = Header {
            node_ends: true,
            ..header
        };
        let head = indexed.encode();
        let body = &bytes[HEADER_LEN..header.node_ends_start() as usize];
        file.write_all(&head)?;
        file.write_all(body)?;
        let index_crc = write_node_ends(file, self.as_fst().as_bytes(), indexed.node_ends_start())?;
        let mut crc = crc32fast::Hasher::new();
        crc.update(&head);
        crc.update(body);
        crc.combine(&index_crc);
        file.seek(std::io::SeekFrom::Start(
            indexed.node_ends_start() + indexed.node_ends_len(),
        ))?;
        file.write_all(&footer(crc.finalize()))
    }

    /// The value stored under `key`.
    ///
    /// ```
    /// use memkv_frozen::FrozenLayer;
    ///
    /// let layer = FrozenLayer::from_sorted_iter([("apple", 7)])?;
    /// assert_eq!(layer.get("apple"), Some(7));
    /// assert_eq!(layer.get(b"apples"), None);
    /// # Ok::<(), memkv_core::Error>(())
    /// ```
    #[inline]
    pub fn get(&self, key: impl AsRef<[u8]>) -> Option<u64> {
        let ordinal = self.ordinal(key.as_ref())?;
        Some(self.value_at(ordinal))
    }

    /// Whether `key` is present.
    #[inline]
    pub fn contains_key(&self, key: impl AsRef<[u8]>) -> bool {
        self.ordinal(key.as_ref()).is_some()
    }

    /// The ordinal of `key`, read straight from the FST bytes (see `lookup`).
    #[inline]
    fn ordinal(&self, key: &[u8]) -> Option<u64> {
        lookup::ordinal(self.fst.as_bytes(), self.root, key)
    }

    /// The number of keys.
    pub fn len(&self) -> usize {
        self.fst.len()
    }

    /// Whether the layer has no keys.
    pub fn is_empty(&self) -> bool {
        self.fst.is_empty()
    }

    /// The entries whose keys are prefixes of `key` (`key` itself included),
    /// shortest first, as (key, value): one walk down the FST along `key`, so the
    /// cost is that of one lookup whatever the number of matches.
    ///
    /// ```
    /// use memkv_frozen::FrozenLayer;
    ///
    /// let layer = FrozenLayer::from_sorted_iter([("/usr/", 1), ("/usr/lib/", 2), ("/usr/lib32/", 3)])?;
    /// let found: Vec<(&[u8], u64)> = layer.common_prefixes(b"/usr/lib/os-release").collect();
    /// assert_eq!(found, [(&b"/usr/"[..], 1), (&b"/usr/lib/"[..], 2)]);
    /// # Ok::<(), memkv_core::Error>(())
    /// ```
    pub fn common_prefixes<'k>(&self, key: &'k [u8]) -> CommonPrefixes<'_, 'k> {
        CommonPrefixes {
            layer: self,
            key,
            walk: lookup::PathFinals::new(self.fst.as_bytes(), self.root, key),
        }
    }

    /// The entry whose key is the longest prefix of `key` (`key` itself
    /// included), if any: the last of [`common_prefixes`](FrozenLayer::common_prefixes),
    /// one walk down the FST.
    pub fn longest_prefix(&self, key: impl AsRef<[u8]>) -> Option<(Vec<u8>, u64)> {
        let (k, v) = self.common_prefixes(key.as_ref()).last()?;
        Some((k.to_vec(), v))
    }

    /// The position of `key` in key order (0 for the smallest key), if present.
    ///
    /// ```
    /// use memkv_frozen::FrozenLayer;
    ///
    /// let layer = FrozenLayer::from_sorted_iter([("a", 30), ("b", 10), ("c", 20)])?;
    /// assert_eq!(layer.rank("c"), Some(2));
    /// assert_eq!(layer.nth(2), Some((b"c".to_vec(), 20)));
    /// assert_eq!(layer.rank("bb"), None);
    /// # Ok::<(), memkv_core::Error>(())
    /// ```
    pub fn rank(&self, key: impl AsRef<[u8]>) -> Option<u64> {
        self.ordinal(key.as_ref())
    }

    /// The entry at position `i` in key order.
    pub fn nth(&self, i: u64) -> Option<(Vec<u8>, u64)> {
        let key = self.key_at(i)?;
        Some((key, self.value_at(i)))
    }

    /// The entry with the smallest key.
    pub fn first(&self) -> Option<(Vec<u8>, u64)> {
        self.nth(0)
    }

    /// The entry with the largest key.
    pub fn last(&self) -> Option<(Vec<u8>, u64)> {
        self.nth((self.len() as u64).checked_sub(1)?)
    }

    /// The entry with the largest key that is `<= key`.
    ///
    /// ```
    /// use memkv_frozen::FrozenLayer;
    ///
    /// let layer = FrozenLayer::from_sorted_iter([("b", 1), ("d", 2)])?;
    /// assert_eq!(layer.floor("c"), Some((b"b".to_vec(), 1)));
    /// assert_eq!(layer.ceiling("c"), Some((b"d".to_vec(), 2)));
    /// assert_eq!(layer.floor("a"), None);
    /// assert_eq!(layer.count_below("c"), 1);
    /// # Ok::<(), memkv_core::Error>(())
    /// ```
    pub fn floor(&self, key: impl AsRef<[u8]>) -> Option<(Vec<u8>, u64)> {
        let (below, found) = self.position(key.as_ref());
        self.nth((below + u64::from(found)).checked_sub(1)?)
    }

    /// The entry with the smallest key that is `>= key`.
    pub fn ceiling(&self, key: impl AsRef<[u8]>) -> Option<(Vec<u8>, u64)> {
        self.nth(self.position(key.as_ref()).0)
    }

    /// The number of keys strictly smaller than `key`.
    pub fn count_below(&self, key: impl AsRef<[u8]>) -> u64 {
        self.position(key.as_ref()).0
    }

    /// The entries with `start <= key < end`, in key order (either direction).
    ///
    /// ```
    /// use memkv_frozen::FrozenLayer;
    ///
    /// let layer = FrozenLayer::from_sorted_iter([("apple", 1), ("banana", 2), ("cherry", 3)])?;
    /// let values: Vec<u64> = layer.range(b"a", b"c").map(|(_, v)| v).collect();
    /// assert_eq!(values, [1, 2]);
    /// # Ok::<(), memkv_core::Error>(())
    /// ```
    pub fn range(&self, start: impl AsRef<[u8]>, end: impl AsRef<[u8]>) -> FrozenRange<'_> {
        self.range_bounds::<(Bound<&[u8]>, Bound<&[u8]>)>((
            Bound::Included(start.as_ref()),
            Bound::Excluded(end.as_ref()),
        ))
    }

    /// The entries whose keys lie within `range`, in key order (either direction).
    ///
    /// ```
    /// use std::ops::Bound;
    /// use memkv_frozen::FrozenLayer;
    ///
    /// let layer = FrozenLayer::from_sorted_iter([("a", 1), ("b", 2), ("c", 3)])?;
    /// let b_to_c = (Bound::Excluded(&b"a"[..]), Bound::Included(&b"c"[..]));
    /// assert_eq!(layer.range_bounds(b_to_c).rev().map(|(_, v)| v).collect::<Vec<_>>(), [3, 2]);
    /// # Ok::<(), memkv_core::Error>(())
    /// ```
    pub fn range_bounds<R: RangeBounds<[u8]>>(&self, range: R) -> FrozenRange<'_> {
        let front = match range.start_bound() {
            Bound::Included(s) => self.position(s).0,
            Bound::Excluded(s) => {
                let (below, found) = self.position(s);
                below + u64::from(found)
            }
            Bound::Unbounded => 0,
        };
        let back = match range.end_bound() {
            Bound::Included(e) => {
                let (below, found) = self.position(e);
                below + u64::from(found)
            }
            Bound::Excluded(e) => self.position(e).0,
            Bound::Unbounded => self.len() as u64,
        };
        FrozenRange::new(self, front, back.max(front))
    }

    /// All entries in key order (either direction).
    pub fn iter(&self) -> FrozenRange<'_> {
        self.range_bounds::<std::ops::RangeFull>(..)
    }

    /// The entries whose keys start with `prefix`, in key order (either direction).
    ///
    /// ```
    /// use memkv_frozen::FrozenLayer;
    ///
    /// let layer = FrozenLayer::from_sorted_iter([("/usr/bin/perl", 1), ("/usr/bin/python3", 2), ("/usr/lib", 3)])?;
    /// let keys: Vec<Vec<u8>> = layer.prefix_scan("/usr/bin/").rev().map(|(k, _)| k).collect();
    /// assert_eq!(keys, [b"/usr/bin/python3".to_vec(), b"/usr/bin/perl".to_vec()]);
    /// assert_eq!(layer.prefix_scan("/usr/").len(), 3); // counted from ordinals, no walk
    /// # Ok::<(), memkv_core::Error>(())
    /// ```
    pub fn prefix_scan(&self, prefix: impl AsRef<[u8]>) -> FrozenRange<'_> {
        self.range_bounds(KeyBounds::prefix(prefix.as_ref()))
    }

    /// Heap bytes owned by the layer: the whole file image for a layer built in
    /// memory or read with `from_bytes`; only bookkeeping for a mapped layer (see
    /// [`FrozenLayer::mapped_bytes`]). Exact, except for allocator rounding.
    ///
    /// ```
    /// use memkv_frozen::FrozenLayer;
    ///
    /// let layer = FrozenLayer::from_sorted_iter((0..1000u64).map(|i| (format!("key{i:04}"), i * 7)))?;
    /// assert!(layer.memory_usage() >= layer.as_bytes().len());
    /// println!("{:.1} bytes per key", layer.memory_usage() as f64 / layer.len() as f64);
    /// # Ok::<(), memkv_core::Error>(())
    /// ```
    pub fn memory_usage(&self) -> usize {
        self.fst.as_inner().storage.heap_bytes()
    }

    /// Bytes of a mapped file backing the layer (0 for a heap layer). The operating
    /// system keeps only the pages in use resident.
    pub fn mapped_bytes(&self) -> usize {
        match &self.fst.as_inner().storage {
            Storage::Heap(_) => 0,
            Storage::Mapped(m) => m.len(),
        }
    }

    /// Whether the layer reads a memory-mapped file.
    pub fn is_mapped(&self) -> bool {
        self.mapped_bytes() > 0
    }

    /// The underlying FST, which maps each key to its ordinal: for `fst`'s own
    /// streams, set operations and automata.
    pub fn as_fst(&self) -> &Fst<impl AsRef<[u8]> + Clone + fmt::Debug> {
        &self.fst
    }

    /// The value of the key with ordinal `ordinal`.
    #[inline]
    pub(crate) fn value_at(&self, ordinal: u64) -> u64 {
        let bytes = self.as_bytes();
        let words = bytes.get(self.values_start..self.values_end).unwrap_or(&[]);
        self.values.get(words, ordinal)
    }

    /// How values are read.
    pub(crate) fn value_reader(&self) -> ValueReader {
        self.values
    }

    /// The length of the value section.
    pub(crate) fn value_section_len(&self) -> usize {
        self.values_end - self.values_start
    }

    /// The key with ordinal `i`.
    pub(crate) fn key_at(&self, i: u64) -> Option<Vec<u8>> {
        if i >= self.len() as u64 {
            return None;
        }
        self.fst.get_key(i)
    }

    pub(crate) fn fst(&self) -> &Fst<Section> {
        &self.fst
    }

    /// `(number of keys < key, whether key is present)`.
    ///
    /// Because outputs are ordinals, the outputs summed along the path to a node
    /// equal the ordinal of the smallest key below it, so the count is read off the
    /// path: at the first byte with no transition, it is the ordinal of the first
    /// key of the next sibling subtree (or of the nearest ancestor's next sibling).
    fn position(&self, key: &[u8]) -> (u64, bool) {
        let fst = &self.fst;
        let mut node = fst.root();
        // Ordinal of the smallest key below `node`.
        let mut here = 0u64;
        // Ordinal of the first key after everything below `node`.
        let mut after = self.len() as u64;
        for &b in key {
            match node.find_input(b) {
                Some(i) => {
                    if i + 1 < node.len() {
                        after = here.wrapping_add(node.transition(i + 1).out.value());
                    }
                    let t = node.transition(i);
                    here = here.wrapping_add(t.out.value());
                    node = fst.node(t.addr);
                }
                None => {
                    let next = node.transitions().find(|t| t.inp > b);
                    let below = next.map_or(after, |t| here.wrapping_add(t.out.value()));
                    return (below, false);
                }
            }
        }
        (
            here.wrapping_add(node.final_output().value()),
            node.is_final(),
        )
    }
}

/// The entries of a [`FrozenLayer`] whose keys are prefixes of a given key,
/// shortest first (see [`FrozenLayer::common_prefixes`]).
pub struct CommonPrefixes<'a, 'k> {
    layer: &'a FrozenLayer,
    key: &'k [u8],
    walk: lookup::PathFinals<'a, 'k>,
}

impl<'k> Iterator for CommonPrefixes<'_, 'k> {
    type Item = (&'k [u8], u64);

    fn next(&mut self) -> Option<(&'k [u8], u64)> {
        let (len, ordinal) = self.walk.next()?;
        Some((&self.key[..len], self.layer.value_at(ordinal)))
    }
}

impl std::iter::FusedIterator for CommonPrefixes<'_, '_> {}

impl fmt::Debug for CommonPrefixes<'_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CommonPrefixes")
            .field("depth", &self.walk.depth())
            .finish_non_exhaustive()
    }
}

impl OrderedMap for FrozenLayer {
    type Value = u64;
    type KeyRef<'a> = Vec<u8>;
    type ValueRef<'a> = u64;
    type Range<'a> = FrozenRange<'a>;

    fn get(&self, key: impl AsRef<[u8]>) -> Option<u64> {
        FrozenLayer::get(self, key)
    }

    fn contains_key(&self, key: impl AsRef<[u8]>) -> bool {
        FrozenLayer::contains_key(self, key)
    }

    fn len(&self) -> usize {
        FrozenLayer::len(self)
    }

    fn is_empty(&self) -> bool {
        FrozenLayer::is_empty(self)
    }

    fn range<R: RangeBounds<[u8]>>(&self, range: R) -> FrozenRange<'_> {
        self.range_bounds(range)
    }

    /// Walks with the range's lent keys: no `Vec<u8>` per entry.
    fn for_each_in<R: RangeBounds<[u8]>>(
        &self,
        range: R,
        mut f: impl FnMut(&[u8], &u64) -> ControlFlow<()>,
    ) {
        let mut entries = self.range_bounds(range);
        while let Some((k, v)) = entries.next_ref() {
            if f(k, &v).is_break() {
                return;
            }
        }
    }

    fn longest_prefix(&self, key: impl AsRef<[u8]>) -> Option<(Vec<u8>, u64)> {
        FrozenLayer::longest_prefix(self, key)
    }

    fn common_prefixes<'k>(&self, key: &'k [u8]) -> Vec<(&'k [u8], u64)> {
        FrozenLayer::common_prefixes(self, key).collect()
    }

    fn iter(&self) -> FrozenRange<'_> {
        FrozenLayer::iter(self)
    }

    fn prefix_scan(&self, prefix: impl AsRef<[u8]>) -> FrozenRange<'_> {
        FrozenLayer::prefix_scan(self, prefix)
    }

    fn memory_usage(&self) -> usize {
        FrozenLayer::memory_usage(self)
    }
}

/// The node-end index section of `bytes`, whose header is `header`, if it has one.
fn node_ends<'a>(bytes: &'a [u8], header: &Header) -> Option<&'a [u8]> {
    header.node_ends_range().map(|r| &bytes[r])
}

/// The layer's file bytes ([`FrozenLayer::as_bytes`]), as one byte string: what
/// `fst` users are told to store (a serialized FST is its bytes).
#[cfg(feature = "serde")]
impl serde::Serialize for FrozenLayer {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        serde::Serialize::serialize(&memkv_core::serde_support::Bytes(self.as_bytes()), s)
    }
}

/// Reads the bytes back with [`FrozenLayer::from_bytes`], so damaged or foreign
/// bytes are an error, never a panic.
#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for FrozenLayer {
    fn deserialize<D: serde::Deserializer<'de>>(
        d: D,
    ) -> std::result::Result<FrozenLayer, D::Error> {
        let memkv_core::serde_support::ByteBuf(bytes) = serde::Deserialize::deserialize(d)?;
        FrozenLayer::from_bytes(bytes).map_err(serde::de::Error::custom)
    }
}
