//! `cargo xtask dataset ...`: the synthetic URL set and dataset figures. Finding a
//! dataset by name (for `bench-memory` and the `compare_all` example) is
//! [`memkv_measure::dataset`].

use std::path::{Path, PathBuf};

use anyhow::anyhow;
use memkv_measure::dataset::{
    load_with_progress, sha256_file, synthetic_manifest_path, synthetic_path, write_synthetic,
    SynthManifest,
};
use memkv_measure::{keys, synth};

use memkv_measure::files;

pub use memkv_measure::dataset::parse_count;

/// Arguments of `dataset synth urls`.
#[derive(Debug, clap::Args)]
pub struct SynthArgs {
    /// How many URLs (accepts K, M and G suffixes: `10M`).
    #[arg(long, default_value = "1M", value_parser = parse_count)]
    count: u64,
    /// The seed; the same seed and count always give the same file.
    #[arg(long, default_value_t = synth::DEFAULT_SEED)]
    seed: u64,
    /// Where to write (default `datasets/synthetic-urls-COUNT-sSEED.txt`).
    #[arg(long)]
    output: Option<PathBuf>,
    /// Also (re)write the committed manifest of this count and seed.
    #[arg(long)]
    manifest: bool,
}

/// `cargo xtask dataset synth urls`.
pub fn synth_urls(args: &SynthArgs) -> anyhow::Result<()> {
    let output = args
        .output
        .clone()
        .unwrap_or_else(|| synthetic_path(args.count, args.seed));
    let secs = write_synthetic(args.count, args.seed, &output).map_err(|e| anyhow!(e))?;
    if args.manifest {
        let manifest = SynthManifest {
            generator: "cargo xtask dataset synth urls".to_owned(),
            count: args.count,
            seed: args.seed,
            sha256: sha256_file(&output).map_err(|e| anyhow!(e))?,
        };
        let json = serde_json::to_string_pretty(&manifest)? + "\n";
        let to = synthetic_manifest_path(args.count, args.seed);
        files::write_atomic(&to, |w| std::io::Write::write_all(w, json.as_bytes()))?;
        println!("wrote {}", to.display());
    }
    println!(
        "wrote {} synthetic URLs (seed {}) to {} in {secs:.1} s ({:.1} M keys/s)",
        args.count,
        args.seed,
        output.display(),
        args.count as f64 / secs.max(1e-9) / 1e6
    );
    Ok(())
}

/// `cargo xtask dataset stats FILE`.
pub fn stats(file: &Path, zstd_level: i32) -> anyhow::Result<()> {
    let loaded = load_with_progress(file, None).map_err(|e| anyhow!(e))?;
    for note in &loaded.notes {
        eprintln!("note: {note}");
    }
    let k = &loaded.keys;
    let n = k.len().max(1) as f64;
    let c = keys::compressibility(k, zstd_level)?;
    println!("file:               {}", file.display());
    println!("keys:               {}", k.len());
    println!("raw key bytes:      {}", k.raw_key_bytes());
    println!("avg key length:     {:.1}", k.raw_key_bytes() as f64 / n);
    println!("front-coded B/key:  {:.1}", c.front_coded_bytes as f64 / n);
    println!(
        "zstd -{} B/key:     {:.1}",
        c.zstd_level,
        c.zstd_bytes as f64 / n
    );
    Ok(())
}
