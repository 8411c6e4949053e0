//! Read-only memory maps of layer files: the crate's only `unsafe` code.

use std::fs::File;
use std::io;

use memmap2::Mmap;

/// Maps the whole of `file` read-only.
///
/// The mapping stays valid after `file` is closed.
pub(crate) fn map(file: &File) -> io::Result<Mmap> {
    // SAFETY: `Mmap::map` is unsafe because the mapped bytes may change or vanish if
    // another process modifies or truncates the file while it is mapped, which Rust
    // cannot rule out. MemKV never writes to a layer file in place: `write_to` and
    // the builders write a temporary file and rename it over the destination, so a
    // mapped file is never modified by MemKV itself. Users must likewise treat layer
    // files as immutable (replace them by rename, never edit or truncate them).
    // Under that contract the slice behind the map is stable for its lifetime, and
    // every read of it goes through bounds-checked slice indexing.
    unsafe { Mmap::map(file) }
}
