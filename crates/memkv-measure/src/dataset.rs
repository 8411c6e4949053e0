//! Finding a dataset by name, as `cargo xtask bench-memory` and the `compare_all`
//! example do: the synthetic URL set (generated on first use into the workspace's
//! `datasets/` folder and checked against its committed manifest), the downloaded
//! URL crawl, or a key file of `../shared/datasets`. Also the key loading with a
//! progress bar that both show.

use std::path::{Path, PathBuf};
use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};

use crate::{files, keys, synth};

/// The default dataset of the comparison.
pub const SYNTHETIC_URLS: &str = "synthetic-urls";
/// Its default size.
pub const SYNTHETIC_DEFAULT_COUNT: u64 = 1_000_000;
/// The name of the downloaded URL crawl (`cargo xtask dataset fetch urls`).
pub const FETCHED_URLS: &str = "urls";

/// The workspace root (two levels above this crate's directory): every dataset path
/// is resolved from it, never from the current directory.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("memkv-measure lives two levels below the workspace root")
        .to_path_buf()
}

/// `datasets/`: generated and downloaded data (git-ignored) and their manifests.
pub fn datasets_dir() -> PathBuf {
    workspace_root().join("datasets")
}

/// `../shared/datasets` next to the workspace: real key sets, present on the
/// project's development machines only.
pub fn shared_datasets_dir() -> PathBuf {
    workspace_root().join("..").join("shared").join("datasets")
}

/// Where `cargo xtask dataset fetch urls` writes the crawl by default.
pub fn fetched_urls_path() -> PathBuf {
    datasets_dir().join("urls.txt")
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
    datasets_dir().join(format!("synthetic-urls-{count}-s{seed}.txt"))
}

/// `datasets/synthetic-urls-COUNT-sSEED.manifest.json`.
pub fn synthetic_manifest_path(count: u64, seed: u64) -> PathBuf {
    datasets_dir().join(format!("synthetic-urls-{count}-s{seed}.manifest.json"))
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

/// The sha256 of a file's contents, in lowercase hex.
pub fn sha256_file(path: &Path) -> Result<String, String> {
    use sha2::Digest;
    let mut hasher = sha2::Sha256::new();
    std::fs::File::open(path)
        .and_then(|mut file| std::io::copy(&mut file, &mut hasher))
        .map_err(|e| format!("reading {}: {e}", path.display()))?;
    Ok(hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

/// A progress bar counting `count` items.
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

/// Writes a synthetic URL set (atomically, with a progress bar) and returns how long
/// it took in seconds.
pub fn write_synthetic(count: u64, seed: u64, output: &Path) -> Result<f64, String> {
    let bar = count_bar(count, "generating synthetic URLs");
    let start = Instant::now();
    files::write_atomic(output, |out| {
        synth::generate(count, seed, out, &mut |n| bar.set_position(n))
    })
    .map_err(|e| e.to_string())?;
    bar.finish_and_clear();
    Ok(start.elapsed().as_secs_f64())
}

/// The synthetic set of `count` URLs (default seed), generated on first use and then
/// checked against its committed manifest, when there is one.
pub fn ensure_synthetic(count: u64) -> Result<PathBuf, String> {
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
            .map_err(|e| format!("parsing {}: {e}", manifest_path.display()))?;
        let sha256 = sha256_file(&path)?;
        if manifest.sha256 != sha256 {
            let _ = std::fs::remove_file(&path);
            return Err(format!(
                "the generated {} (sha256 {sha256}) differs from {} ({}): the generator changed; \
                 if that is intended, update the manifest and re-measure the published tables",
                path.display(),
                manifest_path.display(),
                manifest.sha256
            ));
        }
    }
    Ok(path)
}

/// Finds a dataset by name: `synthetic-urls` (generated on first use), `urls` (after
/// `cargo xtask dataset fetch urls`), or a key file of `../shared/datasets`
/// (`debian-paths-1m`, `words`, ...).
pub fn resolve(name: &str) -> Result<PathBuf, String> {
    if name == SYNTHETIC_URLS {
        return ensure_synthetic(SYNTHETIC_DEFAULT_COUNT);
    }
    if name == FETCHED_URLS {
        let path = fetched_urls_path();
        if path.exists() {
            return Ok(path);
        }
        return Err(format!(
            "dataset `{FETCHED_URLS}` is not downloaded: run `cargo xtask dataset fetch urls`, \
             or measure any key file with `--file PATH`"
        ));
    }
    let shared = shared_datasets_dir();
    for candidate in [format!("{name}.txt.zst"), format!("{name}.txt")] {
        let path = shared.join(&candidate);
        if path.exists() {
            return Ok(path);
        }
    }
    Err(format!(
        "unknown dataset {name:?}: use `{SYNTHETIC_URLS}`, `{FETCHED_URLS}` (after `cargo xtask \
         dataset fetch urls`), a key file name of {} when that folder exists, or `--file PATH`",
        shared.display()
    ))
}

/// Loads a key file (see [`keys::load`]) with a progress bar on the bytes read.
pub fn load_with_progress(path: &Path, limit: Option<usize>) -> Result<keys::LoadedKeys, String> {
    let len = std::fs::metadata(path)
        .map_err(|e| format!("reading {}: {e}", path.display()))?
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
    let loaded = keys::load(path, limit, &mut |n| bar.set_position(n)).map_err(|e| e.to_string());
    bar.finish_and_clear();
    loaded
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

    #[test]
    fn the_default_dataset_lives_in_the_workspace_datasets_folder() {
        let root = workspace_root();
        assert!(root.join("Cargo.toml").is_file(), "{}", root.display());
        assert!(root.join("crates").join("memkv-measure").is_dir());
        assert_eq!(
            synthetic_path(1_000_000, 42),
            root.join("datasets").join("synthetic-urls-1000000-s42.txt")
        );
    }

    #[test]
    fn unknown_datasets_are_errors_that_say_what_to_use() {
        let err = resolve("no-such-dataset-anywhere").unwrap_err();
        assert!(
            err.contains(SYNTHETIC_URLS) && err.contains("--file"),
            "{err}"
        );
    }
}
