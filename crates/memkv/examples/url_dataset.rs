//! A URL dataset in the four main maps: memory per key, lookups, a range and prefix
//! scans.
//!
//! ```text
//! cargo run --release --example url_dataset [FILE] [--count N]
//! ```
//!
//! `FILE` holds newline-separated URLs (a `.zst` file is decompressed; unsorted input
//! is sorted and de-duplicated). Without it, `N` synthetic URLs (default 200,000)
//! are generated in memory by the benchmark harness's generator. The keys go into a
//! `FrozenLayer`, an `ArenaArt`, a `HybridStore` (then compacted) and a `MemKV`, each
//! with the key's line number as its value; each map's own `memory_usage()` is shown
//! per key (the exact jemalloc figures are `compare_all`'s job).

use std::error::Error;
use std::ops::Bound;
use std::path::PathBuf;

use memkv::{ArenaArt, FrozenLayer, HybridStore, MemKV};
use memkv_measure::keys::{self, KeySet};
use memkv_measure::synth;

const USAGE: &str = "usage: url_dataset [FILE] [--count N]";

fn main() {
    if let Err(e) = run() {
        eprintln!("url_dataset: {e}");
        std::process::exit(1);
    }
}

/// The command line: a key file, or how many synthetic URLs.
fn parse_args() -> Result<(Option<PathBuf>, u64), String> {
    let (mut file, mut count) = (None, 200_000);
    let mut args = std::env::args_os().skip(1);
    while let Some(arg) = args.next() {
        match arg.to_str() {
            Some("--count") => {
                let n = args
                    .next()
                    .ok_or_else(|| format!("--count needs a number; {USAGE}"))?;
                count = memkv_measure::dataset::parse_count(&n.to_string_lossy())?;
            }
            Some("-h" | "--help") => return Err(USAGE.to_owned()),
            Some(flag) if flag.starts_with("--") => {
                return Err(format!("unknown option {flag}; {USAGE}"))
            }
            _ if file.is_none() => file = Some(PathBuf::from(arg)),
            _ => return Err(format!("more than one FILE; {USAGE}")),
        }
    }
    Ok((file, count))
}

fn load(file: Option<PathBuf>, count: u64) -> Result<(String, KeySet), Box<dyn Error>> {
    Ok(match file {
        Some(path) => {
            if !path.is_file() {
                return Err(format!("{} is not a readable file", path.display()).into());
            }
            let loaded = keys::load(&path, None, &mut |_| {})
                .map_err(|e| format!("cannot load {}: {e}", path.display()))?;
            for note in &loaded.notes {
                eprintln!("note: {note}");
            }
            (path.display().to_string(), loaded.keys)
        }
        None => {
            let mut text = Vec::new();
            synth::generate(count, synth::DEFAULT_SEED, &mut text, &mut |_| {})?;
            let keys = keys::parse_lines(&text).keys;
            (format!("{count} synthetic URLs"), keys)
        }
    })
}

fn run() -> Result<(), Box<dyn Error>> {
    let (file, count) = parse_args()?;
    let (source, keys) = load(file, count)?;
    if keys.is_empty() {
        return Err(format!("{source} holds no key").into());
    }
    let n = keys.len();
    let raw = keys.raw_key_bytes();
    println!(
        "{source}: {n} keys, {:.1} bytes/key on average ({} bytes of keys)",
        raw as f64 / n as f64,
        raw
    );

    // The value of a key is its rank in sorted order.
    let entries = || keys.iter().zip(0u64..);
    let frozen = FrozenLayer::from_sorted_iter(entries())?;
    let mut art: ArenaArt<u64> = ArenaArt::new();
    let hybrid: HybridStore<u64> = HybridStore::new();
    let shared: MemKV<u64> = MemKV::new();
    for (key, value) in entries() {
        art.insert(key, value);
        hybrid.insert(key, value);
        shared.insert(key, value);
    }
    hybrid.compact()?;
    shared.compact()?;

    println!("\nmemory (each map's memory_usage()):");
    let per_key = |bytes: usize| bytes as f64 / n as f64;
    for (name, len, bytes) in [
        ("FrozenLayer", frozen.len(), frozen.memory_usage()),
        ("ArenaArt", art.len(), art.memory_usage()),
        ("HybridStore", hybrid.len(), hybrid.memory_usage()),
        ("MemKV", shared.len(), shared.memory_usage()),
    ] {
        assert_eq!(len, n, "{name} lost keys");
        println!(
            "  {name:<12} {:>7.1} bytes/key ({:.2}x the raw keys)",
            per_key(bytes),
            bytes as f64 / raw as f64
        );
    }

    println!("\nlookups:");
    let absent = b"https://no-such-host.invalid/".to_vec();
    for key in [keys.get(0), keys.get(n / 2), keys.get(n - 1), &absent[..]] {
        let found = frozen.get(key);
        assert_eq!(art.get(key).copied(), found);
        assert_eq!(hybrid.get(key), found);
        assert_eq!(shared.get(key), found);
        println!("  {:<60} -> {found:?}", show(key));
    }

    // A range: from the middle key, up to the key five places later (exclusive).
    let (start, end) = (keys.get(n / 2), keys.get((n / 2 + 5).min(n - 1)));
    let from_frozen: Vec<(Vec<u8>, u64)> = frozen.range(start, end).collect();
    let bounds = || (Bound::Included(start), Bound::Excluded(end));
    let from_art: Vec<(Vec<u8>, u64)> = art.range(bounds()).map(|(k, v)| (k, *v)).collect();
    assert_eq!(from_art, from_frozen);
    assert_eq!(shared.range(bounds()).collect::<Vec<_>>(), from_frozen);
    println!("\nrange [{}, {}):", show(start), show(end));
    for (key, value) in &from_frozen {
        println!("  {:<60} {value}", show(key));
    }

    println!("\nprefix scans:");
    let middle = keys.get(n / 2);
    let host_end = host_prefix_len(middle);
    for prefix in [&b"http://"[..], b"https://www.", &middle[..host_end]] {
        let matches = frozen.prefix_scan(prefix).count();
        assert_eq!(art.prefix_scan(prefix).count(), matches);
        assert_eq!(hybrid.prefix_scan(prefix).count(), matches);
        assert_eq!(shared.prefix_scan(prefix).count(), matches);
        let first: Vec<String> = frozen
            .prefix_scan(prefix)
            .take(2)
            .map(|(k, _)| show(&k))
            .collect();
        println!(
            "  {:<40} {matches:>9} keys, first: {}",
            show(prefix),
            first.join(" ")
        );
    }
    Ok(())
}

/// The length of a URL's scheme and host with its `/` (the whole key when it has
/// no such part).
fn host_prefix_len(url: &[u8]) -> usize {
    let after_scheme = url
        .windows(3)
        .position(|w| w == b"://")
        .map_or(0, |i| i + 3);
    url[after_scheme..]
        .iter()
        .position(|&b| b == b'/')
        .map_or(url.len(), |i| after_scheme + i + 1)
}

/// A key for display (lossy UTF-8, cut at 60 characters).
fn show(key: &[u8]) -> String {
    let text = String::from_utf8_lossy(key);
    if text.chars().count() > 60 {
        format!("{}...", text.chars().take(57).collect::<String>())
    } else {
        text.into_owned()
    }
}
