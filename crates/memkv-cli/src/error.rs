//! The tool's errors: a message for a person and the exit code for a script.
//!
//! Exit codes: 0 when the command succeeded and found what it looked for, 1 when
//! it found nothing, or a file or input was damaged or unreadable, 2 when the
//! command line itself was wrong.

use std::fmt;
use std::io;
use std::path::Path;

use memkv_core::Error;

/// Exit code: nothing found, or a file or input is damaged or unreadable.
pub const FAILURE: u8 = 1;
/// Exit code: the command line is wrong.
pub const USAGE: u8 = 2;

/// Why a command failed: printed as `memkv: {message}` on stderr.
#[derive(Debug)]
pub struct CliError {
    /// The exit code to return.
    pub code: u8,
    /// What went wrong and what to do about it.
    pub message: String,
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl CliError {
    /// A failure (exit code 1).
    pub fn failure(message: impl Into<String>) -> CliError {
        CliError {
            code: FAILURE,
            message: message.into(),
        }
    }

    /// A wrong command line (exit code 2).
    pub fn usage(message: impl Into<String>) -> CliError {
        CliError {
            code: USAGE,
            message: message.into(),
        }
    }

    /// A library error about `file`, worded so that the file comes first.
    pub fn at(file: &Path, error: Error) -> CliError {
        match error {
            // The error already names its own file (maybe a temporary one).
            Error::Io {
                path: Some(path),
                source,
            } => CliError::io(&path, &source),
            Error::Io { path: None, source } => CliError::io(file, &source),
            other => CliError::failure(format!("{}: {other}", file.display())),
        }
    }

    /// An I/O error on `file`, with a hint for the common causes.
    pub fn io(file: &Path, error: &io::Error) -> CliError {
        let hint = match error.kind() {
            io::ErrorKind::NotFound => ": check the path",
            io::ErrorKind::PermissionDenied => ": check the file's permissions",
            io::ErrorKind::StorageFull => ": free some disk space, or pass --temp-dir",
            _ => "",
        };
        CliError::failure(format!("{}: {error}{hint}", file.display()))
    }
}

impl From<io::Error> for CliError {
    /// An error writing to stdout. When the reader went away (`memkv range ... |
    /// head`) the command stops quietly with exit code 0 and an empty message.
    fn from(error: io::Error) -> CliError {
        if error.kind() == io::ErrorKind::BrokenPipe {
            CliError {
                code: 0,
                message: String::new(),
            }
        } else {
            CliError::failure(format!("cannot write the output: {error}"))
        }
    }
}
