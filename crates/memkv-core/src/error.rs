//! The one error type of the workspace.

use std::fmt;
use std::io;
use std::path::PathBuf;

/// A specialised `Result` whose error is [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in MemKV.
///
/// Variants carry the data needed to find the fault (the index of an out-of-order key,
/// the bytes found instead of a magic number, the file involved). New variants may be
/// added in minor releases.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// A sorted builder received a key that is smaller than the previous one.
    OutOfOrder {
        /// Zero-based position of the offending key in the input.
        index: u64,
        /// The key before it.
        previous: Vec<u8>,
        /// The offending key.
        got: Vec<u8>,
    },
    /// A builder received the same key twice, and the caller asked for an error.
    DuplicateKey {
        /// Zero-based position of the second occurrence in the input.
        index: u64,
        /// The duplicated key.
        key: Vec<u8>,
    },
    /// Bytes that are not a MemKV file at all.
    NotMemkv {
        /// The bytes found where the magic number should be.
        found: Vec<u8>,
    },
    /// A MemKV file of a format version this build cannot read.
    Version {
        /// The newest version this build reads.
        expected: u32,
        /// The version found in the file.
        got: u32,
    },
    /// A file shorter than its own header says it is.
    Truncated {
        /// The length the header requires.
        expected: u64,
        /// The length present.
        got: u64,
    },
    /// The stored checksum does not match the data.
    ChecksumMismatch {
        /// The checksum stored in the file.
        expected: u64,
        /// The checksum computed over the data.
        got: u64,
    },
    /// The data is structurally invalid (a section out of bounds, an impossible
    /// field value).
    Corrupt {
        /// What is wrong, in words.
        reason: String,
    },
    /// A size or count exceeds what the structure can represent.
    CapacityExceeded {
        /// What overflowed.
        what: &'static str,
        /// The limit.
        limit: u64,
    },
    /// An I/O operation failed.
    Io {
        /// The file involved, when known.
        path: Option<PathBuf>,
        /// The underlying error.
        source: io::Error,
    },
}

impl Error {
    /// Wraps an I/O error, naming the file it concerns.
    pub fn io_at(path: impl Into<PathBuf>, source: io::Error) -> Error {
        Error::Io {
            path: Some(path.into()),
            source,
        }
    }

    /// A [`Error::Corrupt`] with the given reason.
    pub fn corrupt(reason: impl Into<String>) -> Error {
        Error::Corrupt {
            reason: reason.into(),
        }
    }
}

/// Shows a key for a human: as text when it is printable UTF-8, escaped otherwise.
pub(crate) struct ShowKey<'a>(pub &'a [u8]);

impl fmt::Display for ShowKey<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const MAX: usize = 64;
        let shown = &self.0[..self.0.len().min(MAX)];
        write!(f, "\"{}\"", shown.escape_ascii())?;
        if self.0.len() > MAX {
            write!(f, "... ({} bytes)", self.0.len())?;
        }
        Ok(())
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::OutOfOrder {
                index,
                previous,
                got,
            } => write!(
                f,
                "key #{index} {} is smaller than the key before it {}: the input must be sorted \
                 byte-wise (use the unsorted builder, or `LC_ALL=C sort -u`)",
                ShowKey(got),
                ShowKey(previous)
            ),
            Error::DuplicateKey { index, key } => write!(
                f,
                "key #{index} {} occurs twice: remove duplicates or choose a last-wins policy",
                ShowKey(key)
            ),
            Error::NotMemkv { found } => write!(
                f,
                "not a memkv file (magic bytes {}): check the path, or rebuild the file with memkv",
                ShowKey(found)
            ),
            Error::Version { expected, got } => write!(
                f,
                "memkv file format version {got} is not supported (this build reads up to \
                 version {expected}): upgrade memkv or rebuild the file"
            ),
            Error::Truncated { expected, got } => write!(
                f,
                "file is truncated: {got} bytes present, {expected} required; it was probably \
                 cut short while copying, rebuild or copy it again"
            ),
            Error::ChecksumMismatch { expected, got } => write!(
                f,
                "checksum mismatch (stored {expected:#x}, computed {got:#x}): the file is \
                 damaged, rebuild it from its source"
            ),
            Error::Corrupt { reason } => write!(f, "corrupt data: {reason}"),
            Error::CapacityExceeded { what, limit } => {
                write!(f, "{what} exceeds the supported maximum of {limit}")
            }
            Error::Io {
                path: Some(p),
                source,
            } => write!(f, "{}: {source}", p.display()),
            Error::Io { path: None, source } => write!(f, "I/O error: {source}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

impl From<io::Error> for Error {
    fn from(source: io::Error) -> Error {
        Error::Io { path: None, source }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_problem_and_the_remedy() {
        let e = Error::OutOfOrder {
            index: 7,
            previous: b"b".to_vec(),
            got: b"a\xff".to_vec(),
        };
        let msg = e.to_string();
        assert!(msg.contains("key #7"), "{msg}");
        assert!(msg.contains(r#""a\xff""#), "{msg}");
        assert!(msg.contains("sorted"), "{msg}");
        let long = Error::DuplicateKey {
            index: 1,
            key: vec![b'x'; 100],
        };
        assert!(long.to_string().contains("(100 bytes)"));
    }
}
