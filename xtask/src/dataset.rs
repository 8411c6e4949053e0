//! `cargo xtask dataset ...`: the synthetic URL set, dataset figures, and finding a
//! dataset by name for `bench-memory`.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context};
use indicatif::{ProgressBar, ProgressStyle};
use memkv_measure::{keys, synth};

use crate::{fsutil, paths};

/// The default dataset of `bench-memory`.
pub const SYNTHETIC_URLS: &str = "synthetic-urls";
/// Its default size.
pub const SYNTHETIC_DEFAULT_COUNT: u64 = 1_000_000;

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

/// Parses a count such as `1000000`, `1_000_000`, `500K`, `1M` or `1G`.
pub fn parse_count(s: &str) -> Result<u64, String> {
    let s = s.trim().replace('_', "");
    let (digits, multiplier) = match s.char_indices().last() {
        Some((i, 'k' | 'K')) => (&s[..i], 1_000),
        Some((i, 'm' | 'M')) => (&s[..i], 1_000_000),
        Some((i, 'g' | 'G')) => (&s[..i], 1_000_000_000),
        _ => (&s[..], 1),
    };
    digits
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(multiplier))
        .ok_or_else(|| format!("{s:?} is not a count (examples: 5000, 100K, 1M)"))
}

/// The default file of a synthetic URL set.
pub fn synthetic_path(count: u64, seed: u64) -> PathBuf {
    paths::datasets_dir().join(format!("synthetic-urls-{count}-s{seed}.txt"))
}

fn count_bar(count: u64, what: &str) -> ProgressBar {
    let bar = ProgressBar::new(count);
    bar.set_style(
        ProgressStyle::with_template("{msg} [{bar:30}] {human_pos}/{human_len} ({per_sec}, {eta})")
            .expect("valid template")
            .progress_chars("=> "),
    );
    bar.set_message(what.to_owned());
    bar
}

/// Writes a synthetic URL set (atomically) and returns how long it took.
pub fn write_synthetic(count: u64, seed: u64, output: &Path) -> anyhow::Result<f64> {
    let bar = count_bar(count, "generating synthetic URLs");
    let start = Instant::now();
    fsutil::write_atomic(output, |out| {
        synth::generate(count, seed, out, &mut |n| bar.set_position(n))
    })?;
    bar.finish_and_clear();
    Ok(start.elapsed().as_secs_f64())
}

/// `cargo xtask dataset synth urls`.
pub fn synth_urls(args: &SynthArgs) -> anyhow::Result<()> {
    let output = args
        .output
        .clone()
        .unwrap_or_else(|| synthetic_path(args.count, args.seed));
    let secs = write_synthetic(args.count, args.seed, &output)?;
    if args.manifest {
        let manifest = SynthManifest {
            generator: "cargo xtask dataset synth urls".to_owned(),
            count: args.count,
            seed: args.seed,
            sha256: sha256_file(&output)?,
        };
        let json = serde_json::to_string_pretty(&manifest)? + "\n";
        let to = synthetic_manifest_path(args.count, args.seed);
        fsutil::write_atomic(&to, |w| std::io::Write::write_all(w, json.as_bytes()))?;
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

/// The committed record of a synthetic set: published figures depend on the
/// generator's exact output, so a change to it must show up as a changed hash.
#[derive(Debug, serde::Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct SynthManifest {
    /// The command that makes the file.
    pub generator: String,
    /// The number of URLs.
    pub count: u64,
    /// The seed.
    pub seed: u64,
    /// The sha256 of the file, in hex.
    pub sha256: String,
}

/// `datasets/synthetic-urls-COUNT-sSEED.manifest.json`.
pub fn synthetic_manifest_path(count: u64, seed: u64) -> PathBuf {
    paths::datasets_dir().join(format!("synthetic-urls-{count}-s{seed}.manifest.json"))
}

fn sha256_file(path: &Path) -> anyhow::Result<String> {
    use sha2::Digest;
    let mut hasher = sha2::Sha256::new();
    let mut file =
        std::fs::File::open(path).with_context(|| format!("reading {}", path.display()))?;
    std::io::copy(&mut file, &mut hasher)?;
    Ok(hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

/// The synthetic set of `count` URLs, generated on first use and then checked
/// against its committed manifest, when there is one.
pub fn ensure_synthetic(count: u64) -> anyhow::Result<PathBuf> {
    let seed = synth::DEFAULT_SEED;
    let path = synthetic_path(count, seed);
    if path.exists() {
        return Ok(path);
    }
    eprintln!("generating {} (first use)", path.display());
    write_synthetic(count, seed, &path)?;
    let manifest_path = synthetic_manifest_path(count, seed);
    if let Ok(text) = std::fs::read_to_string(&manifest_path) {
        let manifest: SynthManifest = serde_json::from_str(&text)
            .with_context(|| format!("parsing {}", manifest_path.display()))?;
        let sha256 = sha256_file(&path)?;
        if manifest.sha256 != sha256 {
            std::fs::remove_file(&path)?;
            bail!(
                "the generated {} (sha256 {sha256}) differs from {} ({}): the generator changed; \
                 if that is intended, update the manifest and re-measure the published tables",
                path.display(),
                manifest_path.display(),
                manifest.sha256
            );
        }
    }
    Ok(path)
}

/// Finds a dataset by name: `synthetic-urls`, `urls` (after `dataset fetch urls`), or
/// a key file of `../shared/datasets` (`debian-paths-1m`, `words`, ...).
pub fn resolve(name: &str) -> anyhow::Result<PathBuf> {
    if name == SYNTHETIC_URLS {
        return ensure_synthetic(SYNTHETIC_DEFAULT_COUNT);
    }
    if name == crate::fetch::DATASET {
        let path = crate::fetch::default_output();
        if path.exists() {
            return Ok(path);
        }
        bail!(
            "dataset `urls` is not downloaded: run `cargo xtask dataset fetch urls`, \
             or measure any key file with `--file PATH`"
        );
    }
    let shared = paths::shared_datasets_dir();
    for candidate in [format!("{name}.txt.zst"), format!("{name}.txt")] {
        let path = shared.join(&candidate);
        if path.exists() {
            return Ok(path);
        }
    }
    bail!(
        "unknown dataset {name:?}: use `{SYNTHETIC_URLS}`, `urls` (after `cargo xtask dataset \
         fetch urls`), a key file name of {} when that folder exists, or `--file PATH`",
        shared.display()
    )
}

/// Loads a key file with a progress bar on the bytes read.
pub fn load_with_progress(path: &Path, limit: Option<usize>) -> anyhow::Result<keys::LoadedKeys> {
    let len = std::fs::metadata(path)
        .with_context(|| format!("reading {}", path.display()))?
        .len();
    let bar = ProgressBar::new(len);
    bar.set_style(
        ProgressStyle::with_template(
            "loading {msg} [{bar:30}] {binary_bytes}/{binary_total_bytes}",
        )
        .expect("valid template")
        .progress_chars("=> "),
    );
    bar.set_message(
        path.file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned(),
    );
    let loaded = keys::load(path, limit, &mut |n| bar.set_position(n))?;
    bar.finish_and_clear();
    Ok(loaded)
}

/// `cargo xtask dataset stats FILE`.
pub fn stats(file: &Path, zstd_level: i32) -> anyhow::Result<()> {
    let loaded = load_with_progress(file, None)?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_parse_with_suffixes() {
        assert_eq!(parse_count("1M"), Ok(1_000_000));
        assert_eq!(parse_count("1_000"), Ok(1000));
        assert_eq!(parse_count("100k"), Ok(100_000));
        assert_eq!(parse_count("2G"), Ok(2_000_000_000));
        assert!(parse_count("lots").is_err());
        assert!(parse_count("").is_err());
    }
}
