//! Writing files atomically: a temporary file in the same directory, fsync, rename,
//! so a crash never leaves a half-written dataset or report under the final name.

use std::fs::{self, File};
use std::io::{self, BufWriter};
use std::path::{Path, PathBuf};

/// The temporary sibling of `path` used while it is written.
pub fn temp_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".{}.tmp", std::process::id()));
    path.with_file_name(name)
}

/// Writes `path` atomically with the bytes produced by `fill`. The error names the
/// file.
pub fn write_atomic(
    path: &Path,
    fill: impl FnOnce(&mut BufWriter<File>) -> io::Result<()>,
) -> io::Result<()> {
    let located = |what: &str, at: &Path, e: io::Error| {
        io::Error::new(e.kind(), format!("{what} {}: {e}", at.display()))
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        fs::create_dir_all(dir).map_err(|e| located("creating", dir, e))?;
    }
    // Renaming over a device or a directory would replace it: refuse.
    if let Ok(meta) = fs::symlink_metadata(path) {
        if !meta.is_file() {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                format!("{} exists and is not a regular file", path.display()),
            ));
        }
    }
    let tmp = temp_path(path);
    let result = (|| -> io::Result<()> {
        let mut out = BufWriter::with_capacity(1 << 20, File::create(&tmp)?);
        fill(&mut out)?;
        let file = out.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        fs::rename(&tmp, path)?;
        sync_parent(path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result.map_err(|e| located("writing", path, e))
}

/// Makes a rename durable by syncing the directory that holds `path`.
pub fn sync_parent(path: &Path) -> io::Result<()> {
    match path.parent().filter(|d| !d.as_os_str().is_empty()) {
        Some(dir) => File::open(dir)?.sync_all(),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn writes_whole_files_and_refuses_non_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join("out.txt");
        write_atomic(&path, |w| w.write_all(b"one")).unwrap();
        write_atomic(&path, |w| w.write_all(b"two")).unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"two");
        let failed = write_atomic(&path, |_| Err(io::Error::other("boom")));
        let message = failed.unwrap_err().to_string();
        assert!(
            message.contains("out.txt") && message.contains("boom"),
            "{message}"
        );
        assert_eq!(
            fs::read(&path).unwrap(),
            b"two",
            "a failed write keeps the old file"
        );
        assert_eq!(
            fs::read_dir(path.parent().unwrap()).unwrap().count(),
            1,
            "no temp file left"
        );
        assert!(write_atomic(dir.path(), |w| w.write_all(b"x")).is_err());
    }
}
