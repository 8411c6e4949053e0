//! The measuring child: loads one key file, measures one implementation, prints one
//! `RESULT <json>` line (and `PHASE <name>` lines as it goes).
//!
//! ```text
//! memkv-measure --file KEYS --impl NAME
//! memkv-measure --list
//! ```
//!
//! jemalloc is the global allocator here: the figures are its `stats.allocated`
//! deltas. The work itself is `memkv_measure::child`, shared with every other binary
//! that measures (the `compare_all` example of the `memkv` crate).

use std::process::ExitCode;

#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> ExitCode {
    memkv_measure::child::main_with_args(std::env::args().skip(1))
}
