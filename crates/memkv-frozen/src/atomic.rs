//! Atomic file replacement: write a temporary file in the destination's directory,
//! fsync it, rename it over the destination, fsync the directory.
//!
//! A reader (or a process that maps the old file) therefore sees either the old
//! complete file or the new complete file, never a partial one, and a crash leaves
//! at worst a stray temporary file.

use std::fs::File;
use std::path::{Path, PathBuf};

use memkv_core::{Error, Result};
use tempfile::NamedTempFile;

/// A temporary file that becomes `dest` on [`AtomicFile::commit`], and disappears if
/// dropped before.
#[derive(Debug)]
pub(crate) struct AtomicFile {
    temp: NamedTempFile,
    dest: PathBuf,
}

impl AtomicFile {
    /// Creates the temporary file next to `dest`.
    pub fn create(dest: &Path) -> Result<AtomicFile> {
        let dir = parent_dir(dest);
        let mut builder = tempfile::Builder::new();
        builder.prefix(".memkv-frozen-").suffix(".tmp");
        // Temporary files are private (0600) by default; the result is an ordinary
        // data file, readable by others as the umask allows.
        #[cfg(unix)]
        builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o644));
        let temp = builder.tempfile_in(dir).map_err(|e| Error::io_at(dir, e))?;
        Ok(AtomicFile {
            temp,
            dest: dest.to_path_buf(),
        })
    }

    /// The open temporary file.
    pub fn file(&self) -> &File {
        self.temp.as_file()
    }

    /// The destination path (for error messages).
    pub fn dest(&self) -> &Path {
        &self.dest
    }

    /// Flushes the data to disk and renames the file into place.
    pub fn commit(self) -> Result<()> {
        let AtomicFile { temp, dest } = self;
        temp.as_file()
            .sync_all()
            .map_err(|e| Error::io_at(temp.path(), e))?;
        temp.persist(&dest)
            .map_err(|e| Error::io_at(&dest, e.error))?;
        // Make the rename itself durable. Directories cannot be opened for syncing on
        // every platform, so a failure to open one is not an error.
        if let Ok(dir) = File::open(parent_dir(&dest)) {
            dir.sync_all()
                .map_err(|e| Error::io_at(parent_dir(&dest), e))?;
        }
        Ok(())
    }
}

fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}
