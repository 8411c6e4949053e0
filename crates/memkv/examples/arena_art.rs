//! `ArenaArt`, the mutable radix tree: inserts, lookups, ordered scans, removal and
//! compaction, with the memory breakdown.
//!
//! ```text
//! cargo run --release --example arena_art [KEYS]
//! ```

use memkv::ArenaArt;

fn main() {
    let total: u64 = std::env::args()
        .nth(1)
        .map(|s| s.parse().expect("KEYS must be a number"))
        .unwrap_or(300_000);
    let mut kv: ArenaArt<u64> = ArenaArt::new();
    for i in 0..total {
        // Any byte string is a key: prefixes of other keys included.
        kv.insert(format!("/srv/data/{:03}/file-{i}", i % 500), i);
        if i % 1000 == 0 {
            kv.insert(format!("/srv/data/{:03}", i % 500), i);
        }
    }
    let full = kv.memory_usage();
    println!(
        "{} keys, {:.1} bytes/key",
        kv.len(),
        full as f64 / kv.len() as f64
    );
    println!("{}", kv.stats());
    println!(
        "first: {:?}",
        kv.first()
            .map(|(k, v)| (String::from_utf8_lossy(&k).into_owned(), *v))
    );
    println!(
        "keys under /srv/data/007/: {}",
        kv.prefix_scan("/srv/data/007/").count()
    );

    let keys: Vec<Vec<u8>> = kv.iter().map(|(k, _)| k).step_by(2).collect();
    for k in &keys {
        kv.remove(k);
    }
    kv.compact();
    println!(
        "after removing half and compact(): {} keys, {} bytes ({:.2}x of before)",
        kv.len(),
        kv.memory_usage(),
        kv.memory_usage() as f64 / full as f64
    );
}
