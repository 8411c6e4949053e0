//! A hybrid store taking writes while it compacts in the background.
//!
//! ```text
//! cargo run --release --example hybrid_compaction [KEYS]
//! ```
//!
//! One thread inserts keys continuously while a second thread reads them back and a
//! third asks for full compactions. Reads never wait for a compaction; at the end all
//! keys are present and the store sits in one compact FST segment.

use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;

use memkv::{HybridConfig, HybridStore};

fn main() -> Result<(), memkv::Error> {
    let total: u64 = std::env::args()
        .nth(1)
        .map(|s| s.parse().expect("KEYS must be a number"))
        .unwrap_or(500_000);
    // A small delta so this example flushes often.
    let store: HybridStore<u64> =
        HybridStore::with_config(HybridConfig::default().flush_threshold(256 << 10));
    let key = |i: u64| format!("https://example.org/{:x}/item/{i}", i % 97);
    let writing = AtomicBool::new(true);

    thread::scope(|s| {
        s.spawn(|| {
            for i in 0..total {
                store.insert(key(i), i);
            }
            writing.store(false, Ordering::Release);
        });
        s.spawn(|| {
            let mut hits = 0u64;
            let mut i = 0u64;
            while writing.load(Ordering::Acquire) {
                hits += u64::from(store.get(key(i % total)).is_some());
                i += 1;
            }
            println!("reader: {hits} of {i} lookups found a key while the writer ran");
        });
        s.spawn(|| {
            while writing.load(Ordering::Acquire) {
                store.compact().expect("compaction failed");
                thread::sleep(std::time::Duration::from_millis(50));
            }
        });
    });

    println!("before the final compaction: {:?}", store.stats());
    store.compact()?;
    assert_eq!(store.len() as u64, total);
    println!(
        "after: {} keys, {:.1} bytes/key (memory_usage), {:?}",
        store.len(),
        store.memory_usage() as f64 / store.len() as f64,
        store.stats()
    );
    Ok(())
}
