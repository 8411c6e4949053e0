//! `MemKV` shared by threads: writers and readers at once, no external locking.
//!
//! ```text
//! cargo run --release --example memkv_threads [KEYS_PER_WRITER]
//! ```

use std::sync::Arc;
use std::thread;

use memkv::MemKV;

fn main() {
    let per_writer: u64 = std::env::args()
        .nth(1)
        .map(|s| s.parse().expect("KEYS_PER_WRITER must be a number"))
        .unwrap_or(200_000);
    let kv: Arc<MemKV<u64>> = Arc::new(MemKV::new());

    let writers: Vec<_> = (0..2u64)
        .map(|w| {
            let kv = Arc::clone(&kv);
            thread::spawn(move || {
                for i in 0..per_writer {
                    kv.insert(format!("https://site{w}.example/page/{i:08}"), i);
                }
            })
        })
        .collect();
    let reader = {
        let kv = Arc::clone(&kv);
        thread::spawn(move || {
            let mut found = 0u64;
            for i in (0..per_writer).step_by(7) {
                found += u64::from(
                    kv.get(format!("https://site0.example/page/{i:08}"))
                        .is_some(),
                );
            }
            found
        })
    };
    for w in writers {
        w.join().expect("writer panicked");
    }
    let seen_while_writing = reader.join().expect("reader panicked");

    assert_eq!(kv.len() as u64, 2 * per_writer);
    println!(
        "{} keys; the reader found {seen_while_writing} of its probes while the writers ran",
        kv.len()
    );
    let page: Vec<(Vec<u8>, u64)> = kv
        .prefix_scan("https://site1.example/page/0000001")
        .collect();
    println!(
        "prefix scan: {} entries, first {:?}",
        page.len(),
        page.first()
            .map(|(k, v)| (String::from_utf8_lossy(k).into_owned(), *v))
    );
    println!(
        "memory: {:.1} bytes/key",
        kv.memory_usage() as f64 / kv.len() as f64
    );
}
