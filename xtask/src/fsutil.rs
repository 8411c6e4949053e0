//! Writing files atomically: a temporary file in the same directory, fsync, rename,
//! so a crash never leaves a half-written dataset or report under the final name.

use std::fs::File;
use std::io::{self, BufWriter};
use std::path::Path;

/// Writes `path` atomically with the bytes produced by `fill`
/// ([`memkv_measure::files::write_atomic`]).
pub fn write_atomic(
    path: &Path,
    fill: impl FnOnce(&mut BufWriter<File>) -> io::Result<()>,
) -> anyhow::Result<()> {
    Ok(memkv_measure::files::write_atomic(path, fill)?)
}

pub use memkv_measure::files::sync_parent;

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;
    use std::io::Write;

    #[test]
    fn writes_whole_files_and_refuses_non_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join("out.txt");
        write_atomic(&path, |w| w.write_all(b"one")).unwrap();
        write_atomic(&path, |w| w.write_all(b"two")).unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"two");
        let failed = write_atomic(&path, |_| Err(io::Error::other("boom")));
        assert!(failed.is_err());
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
