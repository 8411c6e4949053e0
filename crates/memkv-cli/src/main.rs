//! `memkv`: the command-line tool for people with key files. It builds MemKV
//! frozen files (an FST of the keys plus packed values, memory-mapped when read)
//! from text key files of any size, queries them (get, range, prefix, count,
//! nth, rank), reports on them (stats), checks them (verify) and merges them.
//!
//! The user guide is `docs/CLI.md`; `memkv help` lists every option. Exit codes:
//! 0 found or done, 1 not found, damaged or failed, 2 usage error.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod args;
mod build;
mod error;
mod escape;
mod input;
mod inspect;
mod merge;
mod output;
mod progress;
mod query;

use std::process::ExitCode;

use clap::Parser;
use serde_json::json;

use crate::args::{Cli, Command};
use crate::error::{CliError, FAILURE};
use crate::output::Output;
use crate::progress::Progress;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let mut out = Output::new(cli.json);
    let result = run(cli.command, &mut out).and_then(|found| {
        out.flush()?;
        Ok(found)
    });
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(FAILURE),
        Err(e) => {
            if !e.message.is_empty() {
                eprintln!("memkv: {e}");
            }
            ExitCode::from(e.code)
        }
    }
}

/// Runs one command; `Ok(false)` means it found nothing.
fn run(command: Command, out: &mut Output) -> Result<bool, CliError> {
    let progress = Progress::for_stderr();
    match command {
        Command::Build(args) => {
            let built = build::build(&args, progress)?;
            report_written(
                &args.output,
                &built.layer,
                Some(built.records),
                out,
                progress,
            )?;
            if built.blank_lines > 0 && progress.visible() {
                eprintln!("memkv: skipped {} blank lines", built.blank_lines);
            }
            Ok(true)
        }
        Command::Get { file, keys, form } => query::get(&file, &keys, &form, out),
        Command::Range(args) => query::range(&args, out),
        Command::Prefix {
            file,
            prefix,
            scan,
            form,
        } => query::prefix(&file, &prefix, &scan, &form, out),
        Command::Count { file, prefix, form } => query::count(&file, prefix.as_ref(), &form, out),
        Command::Nth { file, index } => query::nth(&file, index, out),
        Command::Rank { file, key, form } => query::rank(&file, &key, &form, out),
        Command::Stats { file } => inspect::stats(&file, out),
        Command::Verify { file } => inspect::verify(&file, out),
        Command::Merge { output, inputs } => {
            let layer = merge::merge(&output, &inputs, progress)?;
            report_written(&output, &layer, None, out, progress)?;
            Ok(true)
        }
    }
}

/// After `build` (which knows how many input `records` it read) and `merge`: a
/// JSON summary on stdout when asked for, a line on a terminal's stderr, nothing
/// otherwise.
fn report_written(
    path: &std::path::Path,
    layer: &memkv_frozen::FrozenLayer,
    records: Option<u64>,
    out: &mut Output,
    progress: Progress,
) -> Result<(), CliError> {
    let keys = layer.len() as u64;
    let bytes = layer.as_bytes().len() as u64;
    if out.json() {
        let mut summary = json!({
            "file": path.display().to_string(),
            "keys": keys,
            "file_bytes": bytes,
        });
        if let Some(r) = records {
            summary["records"] = json!(r);
        }
        out.object(&summary)?;
    } else if progress.visible() {
        let from = records.map_or(String::new(), |r| format!(" from {r} input records"));
        eprintln!(
            "memkv: wrote {}: {keys} keys{from}, {bytes} bytes ({:.2} bytes/key)",
            path.display(),
            bytes as f64 / keys.max(1) as f64
        );
    }
    Ok(())
}
