//! The measuring child: loads one key file, measures one implementation, and prints
//! the result on standard output for the parent ([`crate::compare`]).
//!
//! ```text
//! CHILD --file KEYS --impl NAME
//! CHILD --list
//! ```
//!
//! The protocol, one line each: `PHASE <name>` as each phase starts, `PEAK <bytes>`
//! (the highest allocation figure during the build, minus the one before it) when it
//! was sampled, `RESULT <json>` (an [`ImplResult`]), and `FAILURE <reason>` when the
//! run failed its checks.
//!
//! Any binary whose global allocator is jemalloc can act as the child by handing its
//! arguments to [`main_with_args`]: the crate's `memkv-measure` binary does, and so
//! does the `compare_all` example of the `memkv` crate, which re-executes itself.
//! [`memory::check_jemalloc_is_global`] refuses to measure anywhere else.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use crate::report::ImplResult;
use crate::{keys, memory, registry, workload::Workload};

/// Runs the child with its arguments (without the program name): exit code 0 when a
/// result was printed (even a failed one), 2 with a message on standard error when
/// the arguments are wrong, the keys cannot be read or jemalloc is not the global
/// allocator.
pub fn main_with_args(args: impl IntoIterator<Item = String>) -> ExitCode {
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("memkv-measure: {e}");
            ExitCode::from(2)
        }
    }
}

fn run(args: impl IntoIterator<Item = String>) -> Result<(), String> {
    let mut args = args.into_iter();
    let (mut file, mut name) = (None, None);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--file" => file = Some(PathBuf::from(args.next().ok_or("--file needs a path")?)),
            "--impl" => name = Some(args.next().ok_or("--impl needs a name")?),
            "--list" => {
                for i in registry::IMPLEMENTATIONS {
                    println!("{}\t{}", i.name, i.description);
                }
                return Ok(());
            }
            other => {
                return Err(format!(
                    "unknown argument {other:?} (usage: --file KEYS --impl NAME | --list)"
                ))
            }
        }
    }
    let file = file.ok_or("missing --file KEYS")?;
    let name = name.ok_or("missing --impl NAME")?;
    let implementation = registry::find(&name).ok_or_else(|| {
        let known: Vec<_> = registry::names().collect();
        format!(
            "unknown implementation {name:?}; known: {}",
            known.join(", ")
        )
    })?;
    memory::check_jemalloc_is_global()?;
    // The keys and the whole workload exist before the baseline is read, so they are
    // not counted.
    let loaded = keys::load(&file, None, &mut |_| {}).map_err(|e| e.to_string())?;
    let workload = Workload::new(loaded.keys);
    let mut stdout = std::io::stdout().lock();
    let mut phase = |p: crate::run::Phase| {
        // Progress only: a closed pipe must not abort the measurement.
        let _ = writeln!(stdout, "PHASE {}", p.name());
        let _ = stdout.flush();
    };
    let result = (implementation.run)(&workload, &mut phase);
    let mut stdout = std::io::stdout().lock();
    write_result(&mut stdout, &result).map_err(|e| e.to_string())
}

/// Prints a result in the protocol: `PEAK` (when known), `RESULT`, then `FAILURE`
/// (when the run failed).
pub fn write_result(out: &mut impl Write, result: &ImplResult) -> std::io::Result<()> {
    if let Some(peak) = result.peak_bytes {
        writeln!(out, "PEAK {peak}")?;
    }
    let json = serde_json::to_string(result).map_err(std::io::Error::other)?;
    writeln!(out, "RESULT {json}")?;
    if let Some(reason) = &result.failure {
        writeln!(out, "FAILURE {reason}")?;
    }
    out.flush()
}
