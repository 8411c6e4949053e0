//! A frozen layer written to a file and served from a memory mapping.
//!
//! ```text
//! cargo run --release --example frozen_file [KEYS_FILE]
//! ```
//!
//! Builds a `FrozenLayer` from a plain-text key file (one key per line) or from a
//! generated set of file paths, writes it atomically,
//! opens it again through `mmap`, and queries it. The heap of the opened layer stays
//! tiny whatever the file's size: the operating system pages the file in on demand.

use std::error::Error;

use memkv::FrozenLayer;

fn main() -> Result<(), Box<dyn Error>> {
    let keys: Vec<Vec<u8>> = match std::env::args_os().nth(1) {
        Some(path) => {
            let text = std::fs::read(&path)
                .map_err(|e| format!("cannot read {}: {e}", path.to_string_lossy()))?;
            let mut keys: Vec<Vec<u8>> = text
                .split(|&b| b == b'\n')
                .filter(|k| !k.is_empty())
                .map(<[u8]>::to_vec)
                .collect();
            keys.sort_unstable();
            keys.dedup();
            keys
        }
        None => {
            let mut keys: Vec<Vec<u8>> = (0..20_000u64).map(generated_path).collect();
            keys.sort_unstable();
            keys.dedup();
            keys
        }
    };
    let layer = FrozenLayer::from_sorted_iter(keys.iter().zip(0u64..))?;

    let dir = std::env::temp_dir().join(format!("memkv-example-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("keys.frz");
    layer.write_to(&path)?;

    let opened = FrozenLayer::open(&path)?;
    println!(
        "{} keys, file {} bytes ({:.1} B/key), heap of the opened layer {} bytes, mapped {} bytes",
        opened.len(),
        opened.mapped_bytes(),
        opened.mapped_bytes() as f64 / opened.len().max(1) as f64,
        opened.memory_usage(),
        opened.mapped_bytes(),
    );
    let first = opened.first().map(|(k, _)| k).unwrap_or_default();
    println!("first key: {}", String::from_utf8_lossy(&first));
    println!("get(first) = {:?}", opened.get(&first));
    let prefix = &first[..first.len().min(12)];
    println!(
        "{} keys start with {:?}; the last three:",
        opened.prefix_scan(prefix).count(),
        String::from_utf8_lossy(prefix)
    );
    for (k, v) in opened.prefix_scan(prefix).rev().take(3) {
        println!("  {} -> {v}", String::from_utf8_lossy(&k));
    }
    assert_eq!(opened.iter().count(), keys.len());
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}

/// A file path that looks like a package's: irregular enough that the automaton
/// cannot collapse it to a counter.
fn generated_path(i: u64) -> Vec<u8> {
    let h = i.wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(29);
    let dirs = [
        "bin",
        "lib/x86_64-linux-gnu",
        "share/doc",
        "share/man/man1",
        "include",
    ];
    format!(
        "/usr/{}/pkg{:x}/{:x}.{}",
        dirs[(h % 5) as usize],
        (h >> 8) % 1500,
        h >> 20,
        ["so", "gz", "h", "txt"][(h >> 4) as usize % 4]
    )
    .into_bytes()
}
