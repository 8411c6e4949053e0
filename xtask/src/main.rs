//! `cargo xtask`: MemKV's developer commands.
//!
//! - `bench-memory`: the project's main job, the memory and speed comparison of
//!   every map (each measured in its own `memkv-measure` child process);
//! - `dataset synth urls | fetch urls | stats`: the datasets it runs on (the
//!   download is the `xtask-fetch` binary, built on first use);
//! - `freeze`: indexes a key file into a frozen-layer file;
//! - `docs`: writes the crate docs' "When to Use What" table from `docs/results/`.
//!
//! Run through the `cargo xtask` alias of `.cargo/config.toml`, which builds this
//! crate with the `xtask` profile.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod bench;
mod child;
mod dataset;
mod docs;
mod freeze;
mod paths;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "cargo xtask", about = "MemKV's developer commands")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Measures memory (jemalloc) and speed of every map, one child process each.
    BenchMemory(bench::Args),
    /// Indexes a key file (one key per line, optionally TAB and a u64 value; `.zst`
    /// read transparently; unsorted input is sorted externally) into a frozen-layer file.
    Freeze {
        /// The key file.
        #[arg(long)]
        input: PathBuf,
        /// The frozen-layer file to write.
        #[arg(long)]
        output: PathBuf,
        /// Memory budget of the external sort (K, M, G suffixes are binary: 1G = 2^30 bytes).
        #[arg(long, default_value = "1G", value_parser = parse_size)]
        memory: u64,
        /// What a repeated key does: `error` stops, `last` keeps the last value.
        #[arg(long, value_enum, default_value_t = Dups::Error)]
        dups: Dups,
    },
    /// Rewrites the crate docs' "When to Use What" table from docs/results/*.json.
    Docs {
        /// Only check that the committed table is up to date.
        #[arg(long)]
        check: bool,
    },
    /// Makes, downloads or describes datasets.
    Dataset {
        #[command(subcommand)]
        command: DatasetCommand,
    },
}

/// The `--dups` policy of `freeze`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum Dups {
    /// A repeated key is an error.
    Error,
    /// The last value of a repeated key wins.
    Last,
}

/// Parses a byte size such as `512M` or `1G` (binary units) or a plain number.
fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let (digits, shift) = match t.char_indices().last() {
        Some((i, 'k' | 'K')) => (&t[..i], 10),
        Some((i, 'm' | 'M')) => (&t[..i], 20),
        Some((i, 'g' | 'G')) => (&t[..i], 30),
        _ => (t, 0),
    };
    digits
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(1 << shift))
        .ok_or_else(|| format!("{s:?} is not a size (examples: 512M, 1G, 1048576)"))
}

#[derive(Debug, Subcommand)]
enum DatasetCommand {
    /// Writes a deterministic synthetic dataset.
    Synth {
        #[command(subcommand)]
        kind: SynthKind,
    },
    /// Downloads a real dataset.
    Fetch {
        #[command(subcommand)]
        kind: FetchKind,
    },
    /// Prints a key file's figures: keys, average length, front-coded and zstd bytes/key.
    Stats {
        /// The key file (newline-separated, `.zst` read transparently).
        file: PathBuf,
        /// The zstd level of the compressed-size figure.
        #[arg(long, default_value_t = 19)]
        zstd_level: i32,
    },
}

#[derive(Debug, Subcommand)]
enum SynthKind {
    /// Synthetic URLs, sorted and unique.
    Urls(dataset::SynthArgs),
}

#[derive(Debug, Subcommand)]
enum FetchKind {
    /// The seed's URL crawl (one sorted URL per line), by HTTP range requests:
    /// `[--url URL] [--bytes N] [--output FILE]` (`--help` lists them).
    #[command(disable_help_flag = true)]
    Urls {
        /// The downloader's options, handed to `xtask-fetch` as they are.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<std::ffi::OsString>,
    },
}

/// Runs the command; an error is printed as one message with its causes (never a
/// backtrace, whatever `RUST_BACKTRACE` says) and exits with status 1.
fn main() -> std::process::ExitCode {
    match run(Cli::parse().command) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::BenchMemory(args) => bench::run(&args),
        Command::Freeze {
            input,
            output,
            memory,
            dups,
        } => freeze::run(&input, &output, memory, dups == Dups::Last),
        Command::Docs { check } => docs::run(check),
        Command::Dataset { command } => match command {
            DatasetCommand::Synth {
                kind: SynthKind::Urls(args),
            } => dataset::synth_urls(&args),
            DatasetCommand::Fetch {
                kind: FetchKind::Urls { args },
            } => child::run_fetch(&args),
            DatasetCommand::Stats { file, zstd_level } => dataset::stats(&file, zstd_level),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_in_binary_units() {
        assert_eq!(parse_size("1G"), Ok(1 << 30));
        assert_eq!(parse_size("512M"), Ok(512 << 20));
        assert_eq!(parse_size("4096"), Ok(4096));
        assert!(parse_size("big").is_err());
    }

    #[test]
    fn the_command_line_parses() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
        let cli = Cli::try_parse_from([
            "xtask", "freeze", "--input", "k", "--output", "o", "--dups", "last",
        ])
        .unwrap();
        assert!(
            matches!(cli.command, Command::Freeze { memory, dups: Dups::Last, .. } if memory == 1 << 30)
        );
        assert!(
            Cli::try_parse_from(["xtask", "bench-memory", "--dataset", "x", "--file", "y"])
                .is_err()
        );
    }
}
