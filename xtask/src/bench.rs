//! `cargo xtask bench-memory`: a thin caller of [`memkv_measure::compare`], whose
//! children are the `memkv-measure` binary, built here with Cargo.

use anyhow::anyhow;
use memkv_measure::compare;

/// Arguments of `bench-memory`: those of the comparison itself.
pub use memkv_measure::compare::Args;

/// `cargo xtask bench-memory`.
pub fn run(args: &Args) -> anyhow::Result<()> {
    compare::run(args, || {
        eprintln!(
            "building the measuring binary (cargo build --profile {})",
            crate::child::PROFILE
        );
        crate::child::build().map_err(|e| format!("{e:#}"))
    })
    .map(drop)
    .map_err(|e| anyhow!(e))
}
