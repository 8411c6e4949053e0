//! A reader's `get` latency while one writer inserts continuously and the store
//! compacts in the background: median, 99th, 99.9th percentile and worst case.
//!
//! ```text
//! cargo run --release --example read_latency [KEY_FILE] [--engine hybrid|locked]
//! ```
//!
//! Keys come from `KEY_FILE` (one per line, inserted in a shuffled order) or are
//! synthetic paths. The writer inserts them all as fast as it can; meanwhile the
//! reader times one `get` after another, of keys already inserted (hits) and of keys
//! not yet inserted (mostly misses), and the background thread flushes and merges.
//! `--engine locked` runs the same on `Locked<SimpleKV>` (a `BTreeMap` behind a
//! reader-writer lock) for comparison.
//!
//! Each latency is one `get` between two clock readings (about 20 ns of them), so
//! what the percentiles show above a few microseconds is waiting: on a lock, for the
//! allocator, or for a core (with one writer, one reader and a background thread,
//! three threads share a 2-core machine).

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use memkv::{Locked, MemKV, SharedMap, SimpleKV};

fn keys(file: Option<&str>) -> Vec<Vec<u8>> {
    let mut keys: Vec<Vec<u8>> = match file {
        Some(path) => std::fs::read(path)
            .unwrap_or_else(|e| panic!("cannot read {path}: {e}"))
            .split(|&b| b == b'\n')
            .filter(|l| !l.is_empty())
            .map(<[u8]>::to_vec)
            .collect(),
        None => (0..1_000_000u64)
            .map(|i| format!("/usr/share/doc/pkg{:05}/file{:04}.txt", i % 40_009, i).into_bytes())
            .collect(),
    };
    keys.sort_unstable();
    keys.dedup();
    // A fixed shuffle (xorshift), so runs are comparable.
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    for i in (1..keys.len()).rev() {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        keys.swap(i, (state % (i as u64 + 1)) as usize);
    }
    keys
}

fn run<E: SharedMap<Value = u64> + 'static>(kv: Arc<MemKV<u64, E>>, keys: Arc<Vec<Vec<u8>>>) {
    let inserted = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(AtomicBool::new(false));
    let writer = {
        let (kv, keys, inserted, done) = (
            Arc::clone(&kv),
            Arc::clone(&keys),
            Arc::clone(&inserted),
            Arc::clone(&done),
        );
        thread::spawn(move || {
            let start = Instant::now();
            for (i, k) in keys.iter().enumerate() {
                kv.insert(k, i as u64);
                inserted.store(i + 1, Ordering::Release);
            }
            done.store(true, Ordering::Release);
            start.elapsed()
        })
    };
    let reader = {
        let (kv, keys) = (Arc::clone(&kv), Arc::clone(&keys));
        thread::spawn(move || {
            let mut latencies: Vec<u32> = Vec::with_capacity(1 << 24);
            let mut state = 0x2545_F491_4F6C_DD1Du64;
            let mut hits = 0usize;
            while !done.load(Ordering::Acquire) {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                let n = inserted.load(Ordering::Acquire).max(1);
                // Three probes in four among the keys inserted so far.
                let i = if state % 4 == 0 {
                    (state >> 8) as usize % keys.len()
                } else {
                    (state >> 8) as usize % n
                };
                let t = Instant::now();
                let found = kv.get(&keys[i]);
                let ns = t.elapsed().as_nanos();
                hits += usize::from(found.is_some());
                latencies.push(u32::try_from(ns).unwrap_or(u32::MAX));
            }
            (latencies, hits)
        })
    };
    let wrote = writer.join().expect("writer panicked");
    let (mut latencies, hits) = reader.join().expect("reader panicked");
    latencies.sort_unstable();
    let at = |q: f64| {
        let i = ((latencies.len() as f64 * q) as usize).min(latencies.len() - 1);
        Duration::from_nanos(u64::from(latencies[i]))
    };
    println!(
        "writer: {} keys in {:.2?} ({:.0} keys/s)",
        keys.len(),
        wrote,
        keys.len() as f64 / wrote.as_secs_f64()
    );
    println!(
        "reader: {} gets ({hits} hits); median {:.2?}, p99 {:.2?}, p99.9 {:.2?}, p99.99 {:.2?}, max {:.2?}; p99.9/median {:.1}",
        latencies.len(),
        at(0.5),
        at(0.99),
        at(0.999),
        at(0.9999),
        at(1.0),
        at(0.999).as_secs_f64() / at(0.5).as_secs_f64()
    );
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let locked = args
        .windows(2)
        .any(|w| w[0] == "--engine" && w[1] == "locked");
    let file = args
        .iter()
        .enumerate()
        .find(|(i, a)| !a.starts_with("--") && (*i == 0 || args[i - 1] != "--engine"))
        .map(|(_, a)| a.as_str());
    let keys = Arc::new(keys(file));
    if locked {
        println!("engine: Locked<SimpleKV>");
        run(
            Arc::new(MemKV::with_engine(Locked::new(SimpleKV::new()))),
            keys,
        );
    } else {
        println!("engine: HybridStore (default MemKV)");
        let kv: Arc<MemKV<u64>> = Arc::new(MemKV::new());
        run(Arc::clone(&kv), keys);
        println!("layers at the end: {:?}", kv.engine().stats());
    }
}
