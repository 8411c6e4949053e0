//! The measuring child: loads one key file, measures one implementation, prints one
//! `RESULT <json>` line (and `PHASE <name>` lines as it goes).
//!
//! ```text
//! memkv-measure --file KEYS --impl NAME
//! memkv-measure --list
//! ```
//!
//! jemalloc is the global allocator here, and only here: the figures are its
//! `stats.allocated` deltas.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use memkv_measure::{keys, memory, registry, workload::Workload};

#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("memkv-measure: {e}");
            ExitCode::from(2)
        }
    }
}

fn run() -> Result<(), String> {
    let mut args = std::env::args().skip(1);
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
    let mut phase = |p: memkv_measure::run::Phase| {
        // Progress only: a closed pipe must not abort the measurement.
        let _ = writeln!(stdout, "PHASE {}", p.name());
        let _ = stdout.flush();
    };
    let result = (implementation.run)(&workload, &mut phase);
    let json = serde_json::to_string(&result).map_err(|e| e.to_string())?;
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "RESULT {json}").map_err(|e| e.to_string())?;
    if let Some(reason) = &result.failure {
        writeln!(stdout, "FAILURE {reason}").map_err(|e| e.to_string())?;
    }
    Ok(())
}
