//! Counting how often each key occurs in a stream: the read-modify-write idiom of
//! each map, on 100K-key slices.
//!
//! The stream is every key once, then half of them again (in shuffled orders),
//! so a third of the steps find their key and two thirds insert it. Each
//! iteration counts the whole stream into an empty map and checks the totals.

use std::collections::BTreeMap;
use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use memkv_benches::inputs;

/// Counts a stream of keys into a fresh map; returns (distinct keys, total count).
type Count = dyn Fn(&[&[u8]]) -> (usize, u64);

fn counting(c: &mut Criterion) {
    for input in inputs() {
        let w = &input.workload;
        let n = w.len();
        let stream: Vec<&[u8]> = w.gets.keys().chain(w.inserts.keys().take(n / 2)).collect();
        let total = stream.len() as u64;
        let mut group = c.benchmark_group(format!("{}/count", input.name));
        group.throughput(Throughput::Elements(total));
        group.sample_size(10);
        let mut run = |name: &str, count: &Count| {
            group.bench_function(name, |b| {
                b.iter_batched(
                    || (),
                    |()| assert_eq!(count(black_box(&stream)), (n, total)),
                    BatchSize::PerIteration,
                )
            });
        };
        run("BTreeMap entry", &|keys| {
            let mut m: BTreeMap<Vec<u8>, u64> = BTreeMap::new();
            for &k in keys {
                *m.entry(k.to_vec()).or_insert(0) += 1;
            }
            (m.len(), m.values().sum())
        });
        run("BTreeMap get_mut or insert", &|keys| {
            let mut m: BTreeMap<Vec<u8>, u64> = BTreeMap::new();
            for &k in keys {
                match m.get_mut(k) {
                    Some(c) => *c += 1,
                    None => {
                        m.insert(k.to_vec(), 1);
                    }
                }
            }
            (m.len(), m.values().sum())
        });
        run("ArenaArt entry", &|keys| {
            let mut m: memkv::ArenaArt<u64> = memkv::ArenaArt::new();
            for &k in keys {
                *m.entry(k).or_insert(0) += 1;
            }
            (m.len(), m.iter().map(|(_, &c)| c).sum())
        });
        run("ArenaArt get_mut or insert", &|keys| {
            let mut m: memkv::ArenaArt<u64> = memkv::ArenaArt::new();
            for &k in keys {
                match m.get_mut(k) {
                    Some(c) => *c += 1,
                    None => {
                        m.insert(k, 1);
                    }
                }
            }
            (m.len(), m.iter().map(|(_, &c)| c).sum())
        });
        run("MemKV update", &|keys| {
            let m: memkv::MemKV<u64> = memkv::MemKV::new();
            for &k in keys {
                m.update(k, |c| Some(c.copied().unwrap_or(0) + 1));
            }
            (m.len(), m.iter().map(|(_, c)| c).sum())
        });
        run("MemKV<Locked<SimpleKV>> update", &|keys| {
            let m: memkv::MemKV<u64, memkv::Locked<memkv::SimpleKV<u64>>> = memkv::MemKV::new();
            for &k in keys {
                m.update(k, |c| Some(c.copied().unwrap_or(0) + 1));
            }
            (m.len(), m.iter().map(|(_, c)| c).sum())
        });
        group.finish();
    }
}

criterion_group!(benches, counting);
criterion_main!(benches);
