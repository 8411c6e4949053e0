//! Where things are: every path is resolved from the workspace root, never from the
//! current directory.

use std::path::{Path, PathBuf};

/// The workspace root (the parent of this crate's directory).
pub fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives one level below the workspace root")
        .to_path_buf()
}
