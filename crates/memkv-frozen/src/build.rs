//! [`FrozenLayerBuilder`]: builds a layer from sorted entries, in memory or straight
//! into a file.
//!
//! The FST is streamed as keys arrive by our writer of `fst`-format bytes
//! (`fst_write`), whose memory is the longest key's path plus its registry's fixed
//! budget, not proportional to the number of keys. The value encoding depends on the
//! largest value, which is only known at the end, so values wait in a buffer: a
//! `Vec` for an in-memory build, an anonymous temporary file (8 bytes per key on
//! disk) for a file build, which therefore runs in memory independent of the number
//! of keys.

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use memkv_core::{Error, Result};

use crate::atomic::AtomicFile;
use crate::format::{align8, footer, values_len_for, Header, HEADER_LEN};
use crate::fst_format::FST_TRAILER;
use crate::fst_write::FstWriter;
use crate::storage::Storage;
use crate::values::{Packer, ValueStats};
use crate::FrozenLayer;

/// Builds a [`FrozenLayer`] from entries given in strictly increasing key order.
///
/// ```
/// use memkv_frozen::FrozenLayerBuilder;
///
/// let mut b = FrozenLayerBuilder::memory();
/// b.insert("a", 10)?;
/// b.insert("b", 20)?;
/// assert!(b.insert("a", 30).is_err()); // out of order: rejected, builder unchanged
/// let layer = b.finish()?;
/// assert_eq!(layer.get("b"), Some(20));
/// # Ok::<(), memkv_core::Error>(())
/// ```
pub struct FrozenLayerBuilder {
    fst: FstWriter<Sink>,
    values: ValueSpill,
    stats: ValueStats,
    /// The previous key, to reject unsorted input with our own error.
    last: Vec<u8>,
    count: u64,
}

impl std::fmt::Debug for FrozenLayerBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FrozenLayerBuilder")
            .field("len", &self.count)
            .field("values", &self.values)
            .finish_non_exhaustive()
    }
}

/// Where the FST bytes go.
#[derive(Debug)]
enum Sink {
    Memory(Vec<u8>),
    /// The FST section of the output file; `written` and `crc` cover what went
    /// through this sink (everything after the header placeholder).
    File {
        out: BufWriter<File>,
        written: u64,
        crc: crc32fast::Hasher,
    },
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Sink::Memory(v) => v.write(buf),
            Sink::File { out, written, crc } => {
                let n = out.write(buf)?;
                crc.update(&buf[..n]);
                *written += n as u64;
                Ok(n)
            }
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Sink::Memory(_) => Ok(()),
            Sink::File { out, .. } => out.flush(),
        }
    }
}

/// Where values wait until the encoding is known.
#[derive(Debug)]
enum ValueSpill {
    Memory(Vec<u64>),
    File {
        spill: BufWriter<File>,
        out: AtomicFile,
    },
}

impl FrozenLayerBuilder {
    /// A builder that assembles the layer in memory.
    pub fn memory() -> FrozenLayerBuilder {
        FrozenLayerBuilder::with(Sink::Memory(Vec::new()), ValueSpill::Memory(Vec::new()))
            .expect("writing to a Vec cannot fail")
    }

    /// A builder that writes the layer to `path`, atomically (the file appears,
    /// complete, when [`finish`](FrozenLayerBuilder::finish) succeeds), using memory
    /// independent of the number of keys. Values are buffered in an anonymous
    /// temporary file in the same directory.
    pub fn create(path: impl AsRef<Path>) -> Result<FrozenLayerBuilder> {
        let path = path.as_ref();
        let out = AtomicFile::create(path)?;
        let dir = out.dest().parent().map(Path::to_path_buf);
        let spill = match dir {
            Some(d) if !d.as_os_str().is_empty() => tempfile::tempfile_in(&d),
            _ => tempfile::tempfile_in("."),
        }
        .map_err(|e| Error::io_at(path, e))?;
        let mut file = out.file().try_clone().map_err(|e| Error::io_at(path, e))?;
        // The header is written last, when the section lengths are known.
        file.write_all(&[0u8; HEADER_LEN])
            .map_err(|e| Error::io_at(path, e))?;
        let sink = Sink::File {
            out: BufWriter::with_capacity(1 << 16, file),
            written: 0,
            crc: crc32fast::Hasher::new(),
        };
        let values = ValueSpill::File {
            spill: BufWriter::with_capacity(1 << 16, spill),
            out,
        };
        FrozenLayerBuilder::with(sink, values).map_err(|e| Error::io_at(path, e))
    }

    fn with(sink: Sink, values: ValueSpill) -> io::Result<FrozenLayerBuilder> {
        let fst = FstWriter::new(sink)?;
        Ok(FrozenLayerBuilder {
            fst,
            values,
            stats: ValueStats::default(),
            last: Vec::new(),
            count: 0,
        })
    }

    /// Caps the memory of the registry of written FST nodes at `bytes` (default
    /// 32 MiB; it grows with the build up to that), plus up to a quarter of that
    /// for the keys of wide nodes, held apart. The registry finds nodes equal
    /// to nodes already written, which is what keeps the FST small: on 1M Debian
    /// paths the default gives an FST 6% smaller than the `fst` crate's own builder
    /// (whose registry is fixed at about 20,000 nodes). Set it lower when builds
    /// run beside other memory that must stay small (a hybrid store's segment runs
    /// use 1 MiB). Best called before the first insert:
    /// a registry that already grew past `bytes` keeps its size.
    pub fn registry_budget(mut self, bytes: usize) -> FrozenLayerBuilder {
        self.fst.set_registry_budget(bytes);
        self
    }

    /// The number of entries inserted so far.
    pub fn len(&self) -> u64 {
        self.count
    }

    /// Whether nothing was inserted yet.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// About the bytes an in-memory build would hold if it were finished now: all
    /// but the FST nodes still open (the last key's path, a few hundred bytes for
    /// keys of ordinary length). A caller that cuts a large set into layers of a
    /// target size watches this.
    pub fn estimated_len(&self) -> u64 {
        let fst_len = self.fst.written() + FST_TRAILER as u64;
        header_for(fst_len, &self.stats, self.count, false)
            .ok()
            .and_then(|h| h.total_len())
            .unwrap_or(u64::MAX)
    }

    /// Adds the next entry. `key` must be greater than every key before it:
    /// otherwise [`Error::OutOfOrder`] or [`Error::DuplicateKey`] is returned and
    /// the builder is left as it was. After an I/O error ([`Error::Io`]) the
    /// builder is in an unknown state and should be dropped (a file build then
    /// leaves no file behind).
    pub fn insert(&mut self, key: impl AsRef<[u8]>, value: u64) -> Result<()> {
        let key = key.as_ref();
        if self.count > 0 {
            match key.cmp(&self.last[..]) {
                std::cmp::Ordering::Greater => {}
                std::cmp::Ordering::Equal => {
                    return Err(Error::DuplicateKey {
                        index: self.count,
                        key: key.to_vec(),
                    })
                }
                std::cmp::Ordering::Less => {
                    return Err(Error::OutOfOrder {
                        index: self.count,
                        previous: self.last.clone(),
                        got: key.to_vec(),
                    })
                }
            }
        }
        self.fst
            .insert(key, self.count)
            .map_err(|e| self.io_error(e))?;
        match &mut self.values {
            ValueSpill::Memory(v) => v.push(value),
            ValueSpill::File { spill, out } => spill
                .write_all(&value.to_le_bytes())
                .map_err(|e| Error::io_at(out.dest(), e))?,
        }
        self.stats.push(value);
        self.last.clear();
        self.last.extend_from_slice(key);
        self.count += 1;
        Ok(())
    }

    fn io_error(&self, e: io::Error) -> Error {
        match &self.values {
            ValueSpill::Memory(_) => Error::from(e),
            ValueSpill::File { out, .. } => Error::io_at(out.dest(), e),
        }
    }

    /// Completes the layer. A file build renames the file into place, then maps it
    /// (reading it once to verify its checksum).
    pub fn finish(self) -> Result<FrozenLayer> {
        match self.complete()? {
            Completed::Memory(layer) => Ok(layer),
            Completed::File(path) => FrozenLayer::open(path),
        }
    }

    /// Completes the layer without loading it, and returns its length in bytes. For
    /// a file build this skips mapping and verifying the new file, so the pages of a
    /// huge result never count towards the process's resident memory.
    pub fn finish_unopened(self) -> Result<u64> {
        match self.complete()? {
            Completed::Memory(layer) => Ok(layer.as_bytes().len() as u64),
            Completed::File(path) => std::fs::metadata(&path)
                .map(|m| m.len())
                .map_err(|e| Error::io_at(path, e)),
        }
    }

    fn complete(self) -> Result<Completed> {
        let FrozenLayerBuilder {
            fst, values, stats, ..
        } = self;
        let sink = fst.finish()?;
        match (sink, values) {
            (Sink::Memory(fst_bytes), ValueSpill::Memory(values)) => {
                finish_memory(&fst_bytes, &values, stats).map(Completed::Memory)
            }
            (Sink::File { out, written, crc }, ValueSpill::File { spill, out: file }) => {
                let dest = file.dest().to_path_buf();
                finish_file(out, written, crc, spill, stats).map_err(|e| Error::io_at(&dest, e))?;
                file.commit()?;
                Ok(Completed::File(dest))
            }
            _ => unreachable!("builders pair a memory sink with memory values"),
        }
    }
}

/// A finished build: the layer itself, or the path of the file now in place.
enum Completed {
    Memory(FrozenLayer),
    File(PathBuf),
}

fn header_for(fst_len: u64, stats: &ValueStats, len: u64, node_ends: bool) -> Result<Header> {
    let reader = stats.reader();
    let values_len = values_len_for(len, reader.width).ok_or(Error::CapacityExceeded {
        what: "value section bytes",
        limit: u64::MAX,
    })?;
    Ok(Header {
        len,
        fst_len,
        values_len,
        base: reader.base,
        encoding: reader.encoding,
        width: reader.width,
        node_ends,
    })
}

fn finish_memory(fst_bytes: &[u8], values: &[u64], stats: ValueStats) -> Result<FrozenLayer> {
    // In memory, the node-end index would only cost bytes: nothing checks a layer
    // this crate has just built.
    let header = header_for(fst_bytes.len() as u64, &stats, values.len() as u64, false)?;
    let total = header
        .total_len()
        .and_then(|t| usize::try_from(t).ok())
        .ok_or(Error::CapacityExceeded {
            what: "layer bytes",
            limit: usize::MAX as u64,
        })?;
    // The layer's final buffer, allocated once at its exact size and filled in
    // place: building in a `Vec` and converting it would copy the whole layer,
    // holding it twice at the build's peak.
    let mut bytes: Arc<[u8]> = (0..total).map(|_| 0u8).collect();
    let buf = Arc::get_mut(&mut bytes).expect("a new Arc has no other owner");
    let values_start = header.values_start() as usize;
    buf[..HEADER_LEN].copy_from_slice(&header.encode());
    buf[HEADER_LEN..HEADER_LEN + fst_bytes.len()].copy_from_slice(fst_bytes);
    let mut packer = Packer::new(&mut buf[values_start..], stats.reader());
    for &v in values {
        packer.push(v)?;
    }
    let rest = packer.finish()?;
    debug_assert_eq!(rest.len(), footer(0).len(), "the header's lengths add up");
    let body = total - footer(0).len();
    let crc = crc32fast::hash(&buf[..body]);
    buf[body..].copy_from_slice(&footer(crc));
    // These bytes were just produced from sorted input, so the checksum and the
    // FST's structure need no second pass (debug builds check them anyway).
    FrozenLayer::from_built(Storage::Heap(bytes))
}

/// Writes padding, values, the node-end index, footer and header around the FST
/// already in the file.
fn finish_file(
    out: BufWriter<File>,
    fst_len: u64,
    fst_crc: crc32fast::Hasher,
    spill: BufWriter<File>,
    stats: ValueStats,
) -> io::Result<()> {
    let len = stats.count();
    let header = header_for(fst_len, &stats, len, true).map_err(io::Error::other)?;
    let mut sink = Sink::File {
        out,
        written: fst_len,
        crc: fst_crc,
    };
    let pad = align8(fst_len) - fst_len;
    sink.write_all(&[0u8; 8][..pad as usize])?;
    let mut spill = spill.into_inner().map_err(|e| e.into_error())?;
    spill.seek(SeekFrom::Start(0))?;
    let mut reader = BufReader::with_capacity(1 << 16, spill);
    let mut packer = Packer::new(sink, stats.reader());
    let mut word = [0u8; 8];
    for _ in 0..len {
        reader.read_exact(&mut word)?;
        packer.push(u64::from_le_bytes(word))?;
    }
    let Sink::File { out, crc, .. } = packer.finish()? else {
        unreachable!("the packer writes to the file sink it was given")
    };
    let mut file = out.into_inner().map_err(|e| e.into_error())?;
    // The FST is read back through a map of the file, so the index is written in
    // fixed memory. The map covers only the bytes written so far, which nothing
    // changes while it exists: the index and the footer go after them, the header
    // (not mapped for reading: the FST starts after it) once the map is gone.
    let map = crate::mmap::map(&file)?;
    let fst = &map[HEADER_LEN..HEADER_LEN + fst_len as usize];
    let index_crc = write_node_ends(&file, fst, header.node_ends_start())?;
    drop(map);
    let head = header.encode();
    let mut whole = crc32fast::Hasher::new();
    whole.update(&head);
    whole.combine(&crc);
    whole.combine(&index_crc);
    let end = header.node_ends_start() + header.node_ends_len();
    file.seek(SeekFrom::Start(end))?;
    file.write_all(&footer(whole.finalize()))?;
    file.seek(SeekFrom::Start(0))?;
    file.write_all(&head)?;
    Ok(())
}

/// Writes the node-end index of `fst` at offset `at` of `file` (in runs of fixed
/// size, from its end down) and returns the CRC-32 state of the section.
pub(crate) fn write_node_ends(file: &File, fst: &[u8], at: u64) -> io::Result<crc32fast::Hasher> {
    let mut file = file;
    // The runs arrive last first: each one's CRC goes in front of the rest's.
    let mut rest = crc32fast::Hasher::new();
    crate::validate::node_end_runs(fst, |offset, run| {
        file.seek(SeekFrom::Start(at + offset as u64))?;
        file.write_all(run)?;
        let mut crc = crc32fast::Hasher::new();
        crc.update(run);
        crc.combine(&rest);
        rest = crc;
        Ok(())
    })?;
    Ok(rest)
}
