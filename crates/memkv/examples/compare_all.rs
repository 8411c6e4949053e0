//! The complete memory comparison: every map on the default dataset, each measured in
//! its own process.
//!
//! ```text
//! cargo run --release --example compare_all [-- --limit 20K --impls BTreeMap,FrozenLayer ...]
//! ```
//!
//! This is `cargo xtask bench-memory` (same flags, same default dataset: 1M
//! synthetic URLs in the workspace's `datasets/` folder, generated on first use),
//! through the same code, `memkv_measure::compare`. Only the child differs: instead
//! of the `memkv-measure` binary, this example launches itself with a marker
//! argument, and as a child hands the rest of its arguments to
//! `memkv_measure::child`. Its global allocator is jemalloc for that reason: memory is
//! jemalloc's count of allocated bytes (the child checks that it really is the
//! allocator before measuring).

use std::process::ExitCode;

use memkv_measure::compare::{self, ChildCommand};

#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// The first argument of a measuring child.
const CHILD_MARKER: &str = "--measure-child";

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1).peekable();
    if args.peek().map(String::as_str) == Some(CHILD_MARKER) {
        return memkv_measure::child::main_with_args(args.skip(1));
    }
    let options = compare::Args::from_env();
    let launch_myself = || {
        let exe = std::env::current_exe()
            .map_err(|e| format!("cannot find this program's executable: {e}"))?;
        Ok(ChildCommand::new(exe).leading_arg(CHILD_MARKER))
    };
    match compare::run(&options, launch_myself) {
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("compare_all: {e}");
            ExitCode::FAILURE
        }
    }
}
