//! `cargo xtask bench-memory`: a thin caller of [`memkv_measure::compare`], whose
//! children are the `memkv-measure` binary, built here with Cargo.

use anyhow::anyhow;
use memkv_measure::{compare, dataset};

/// Arguments of `bench-memory`: those of the comparison itself.
pub use memkv_measure::compare::Args;

/// `cargo xtask bench-memory`.
pub fn run(args: &Args) -> anyhow::Result<()> {
    // `--dataset urls` is what `dataset fetch urls` downloads.
    debug_assert_eq!(crate::fetch::DATASET, dataset::FETCHED_URLS);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_downloaded_urls_are_where_the_comparison_looks_for_them() {
        assert_eq!(crate::fetch::DATASET, dataset::FETCHED_URLS);
        assert_eq!(crate::fetch::default_output(), dataset::fetched_urls_path());
    }
}
