//! The command line: subcommands, options and their parsing (`clap` derive).

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::error::CliError;
use crate::escape::unescape;

/// Build, query, verify and merge MemKV frozen files: compact, memory-mapped,
/// sorted maps from keys (one per line) to unsigned 64-bit values.
///
/// Records are printed one per line: the key, a TAB, the value. Bytes that are not
/// printable UTF-8 are escaped (\\, \t, \n, \r, \xNN, \u{N}), and keys given as
/// arguments are read back the same way (--raw takes them byte for byte). Exit
/// codes: 0 found, 1 not found or damaged, 2 usage error.
#[derive(Debug, Parser)]
#[command(name = "memkv", version, max_term_width = 100)]
pub struct Cli {
    /// Print JSON (one object per line) instead of text.
    #[arg(long, global = true)]
    pub json: bool,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Build a frozen file from a key file (one key per line, optional TAB and value).
    Build(BuildArgs),
    /// Print the value of each KEY (exit 1 if any is missing).
    Get {
        /// The frozen file.
        file: PathBuf,
        /// The keys to look up.
        #[arg(required = true)]
        keys: Vec<OsString>,
        #[command(flatten)]
        form: KeyForm,
    },
    /// Print the records with FROM <= key < TO, in key order.
    Range(RangeArgs),
    /// Print the records whose keys start with PREFIX.
    Prefix {
        /// The frozen file.
        file: PathBuf,
        /// The prefix (may be empty).
        prefix: OsString,
        #[command(flatten)]
        scan: ScanArgs,
        #[command(flatten)]
        form: KeyForm,
    },
    /// Print the number of keys, or of keys starting with PREFIX (exit 1 if 0).
    Count {
        /// The frozen file.
        file: PathBuf,
        /// Count only keys with this prefix.
        prefix: Option<OsString>,
        #[command(flatten)]
        form: KeyForm,
    },
    /// Print the record at position I in key order (0 is the smallest key).
    Nth {
        /// The frozen file.
        file: PathBuf,
        /// The position.
        index: u64,
    },
    /// Print the position of KEY in key order (exit 1 if it is absent).
    Rank {
        /// The frozen file.
        file: PathBuf,
        /// The key.
        key: OsString,
        #[command(flatten)]
        form: KeyForm,
    },
    /// Print what a frozen file holds: keys, sizes, format version, value encoding.
    Stats {
        /// The frozen file.
        file: PathBuf,
    },
    /// Check a frozen file completely: checksum, header and every key (exit 1 on damage).
    Verify {
        /// The frozen file.
        file: PathBuf,
    },
    /// Merge frozen files into one; on equal keys the later input wins.
    Merge {
        /// The frozen file to write (replaced atomically).
        output: PathBuf,
        /// The frozen files to merge, in increasing priority.
        #[arg(required = true)]
        inputs: Vec<PathBuf>,
    },
}

/// Options of `memkv build`.
#[derive(Debug, Args)]
pub struct BuildArgs {
    /// The key file: text, zstd-compressed text (detected by content), or - for stdin.
    pub input: PathBuf,
    /// The frozen file to write (replaced atomically).
    pub output: PathBuf,
    /// The input is already sorted byte-wise (LC_ALL=C): skip the external sort.
    #[arg(long)]
    pub presorted: bool,
    /// What to do with a key given more than once.
    #[arg(long, value_enum, default_value_t = Dups::Error)]
    pub dups: Dups,
    /// Memory for sorting before runs spill to disk (e.g. 512M, 2G; unused with --presorted).
    #[arg(long, value_parser = parse_size, default_value = "1G")]
    pub memory: usize,
    /// Where sorted runs spill (default: the system temporary directory).
    #[arg(long)]
    pub temp_dir: Option<PathBuf>,
    /// Read keys in the escaped form memkv prints (\\, \t, \xNN, ...), as in the
    /// output of `memkv range`; without it keys are taken byte for byte.
    #[arg(long)]
    pub escaped: bool,
}

/// The duplicate-key policies of `memkv build`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Dups {
    /// Fail, naming both lines.
    Error,
    /// Keep the value given first.
    First,
    /// Keep the value given last.
    Last,
}

/// Options of `memkv range`.
#[derive(Debug, Args)]
pub struct RangeArgs {
    /// The frozen file.
    pub file: PathBuf,
    /// Smallest key to print (inclusive).
    #[arg(long)]
    pub from: Option<OsString>,
    /// Key to stop before (exclusive).
    #[arg(long)]
    pub to: Option<OsString>,
    #[command(flatten)]
    pub scan: ScanArgs,
    #[command(flatten)]
    pub form: KeyForm,
}

/// How key arguments are written.
#[derive(Debug, Args)]
pub struct KeyForm {
    /// Take key arguments byte for byte instead of in the escaped form memkv prints.
    #[arg(long)]
    pub raw: bool,
}

impl KeyForm {
    /// For a key that was not found: a reminder that a backslash in `arg` was read
    /// as an escape, since a literal one is the likelier intent.
    pub fn not_found_hint(&self, arg: &OsString) -> &'static str {
        if !self.raw && os_bytes(arg).contains(&b'\\') {
            " (backslashes were read as escapes: pass --raw to take the key byte for byte)"
        } else {
            ""
        }
    }

    /// The bytes of a key given on the command line.
    pub fn key(&self, arg: &OsString) -> Result<Vec<u8>, CliError> {
        let bytes = os_bytes(arg);
        if self.raw {
            return Ok(bytes);
        }
        unescape(&bytes).map_err(|e| {
            CliError::usage(format!(
                "key argument `{}`: {e}; or pass --raw to take it byte for byte",
                arg.to_string_lossy()
            ))
        })
    }
}

/// Options shared by the scans.
#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Print at most N records.
    #[arg(long, value_name = "N")]
    pub limit: Option<u64>,
    /// Print in descending key order (with --limit: the last N).
    #[arg(long)]
    pub reverse: bool,
}

#[cfg(unix)]
fn os_bytes(arg: &OsString) -> Vec<u8> {
    use std::os::unix::ffi::OsStrExt;
    arg.as_bytes().to_vec()
}

#[cfg(not(unix))]
fn os_bytes(arg: &OsString) -> Vec<u8> {
    // Elsewhere arguments are Unicode; bytes outside it are given as \xNN escapes.
    arg.to_string_lossy().into_owned().into_bytes()
}

/// Parses a byte count with an optional binary suffix: `1048576`, `512K`, `1.5G`.
pub fn parse_size(text: &str) -> Result<usize, String> {
    let t = text.trim();
    let lower = t.to_ascii_lowercase();
    let lower = lower
        .strip_suffix("ib")
        .or_else(|| lower.strip_suffix('b'))
        .unwrap_or(&lower);
    let (number, shift) = match lower.char_indices().last() {
        Some((i, 'k')) => (&lower[..i], 10),
        Some((i, 'm')) => (&lower[..i], 20),
        Some((i, 'g')) => (&lower[..i], 30),
        Some((i, 't')) => (&lower[..i], 40),
        _ => (lower, 0),
    };
    let bad = || format!("{text:?} is not a size: write bytes or a number with K, M, G or T");
    let n: f64 = number.trim().parse().map_err(|_| bad())?;
    let bytes = n * f64::from(1u32 << (shift / 2)) * f64::from(1u32 << (shift - shift / 2));
    if !bytes.is_finite() || bytes < 1.0 || bytes > usize::MAX as f64 {
        return Err(bad());
    }
    Ok(bytes as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("1048576"), Ok(1 << 20));
        assert_eq!(parse_size("512K"), Ok(512 << 10));
        assert_eq!(parse_size("1G"), Ok(1 << 30));
        assert_eq!(parse_size("1.5g"), Ok(3 << 29));
        assert_eq!(parse_size("64MiB"), Ok(64 << 20));
        assert_eq!(parse_size("2mb"), Ok(2 << 20));
        for bad in ["", "G", "-1M", "0", "1X", "nanM", "1e30T"] {
            assert!(parse_size(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_command_line_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
