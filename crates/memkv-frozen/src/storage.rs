//! Where a layer's bytes live: a shared heap buffer or a shared memory map.

use std::sync::Arc;

use memmap2::Mmap;

/// The bytes of a whole layer file, shared by every clone of the layer.
#[derive(Clone, Debug)]
pub(crate) enum Storage {
    /// Bytes on the heap (built in memory, or handed to `from_bytes`).
    Heap(Arc<[u8]>),
    /// A read-only map of a layer file.
    Mapped(Arc<Mmap>),
}

impl Storage {
    pub fn bytes(&self) -> &[u8] {
        match self {
            Storage::Heap(b) => b,
            Storage::Mapped(m) => m,
        }
    }

    /// Heap bytes owned by this storage: the buffer (plus the `Arc` counters) for
    /// heap storage, only the map handle for mapped storage.
    pub fn heap_bytes(&self) -> usize {
        match self {
            Storage::Heap(b) => b.len() + 2 * std::mem::size_of::<usize>(),
            Storage::Mapped(_) => std::mem::size_of::<Mmap>() + 2 * std::mem::size_of::<usize>(),
        }
    }
}

/// A sub-range of a [`Storage`]: what the FST reads as its own bytes.
#[derive(Clone, Debug)]
pub(crate) struct Section {
    pub storage: Storage,
    pub start: usize,
    pub end: usize,
}

impl AsRef<[u8]> for Section {
    #[inline]
    fn as_ref(&self) -> &[u8] {
        &self.storage.bytes()[self.start..self.end]
    }
}
