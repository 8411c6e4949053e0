//! `ArenaArt` against `BTreeMap<Vec<u8>, u64>`: inserts in shuffled order and
//! lookups of shuffled probes, on synthetic file paths (no dataset needed).

use std::collections::BTreeMap;
use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use memkv_art::ArenaArt;

const N: usize = 100_000;

/// Deterministic path-like keys with shared directories, in shuffled order.
fn keys() -> Vec<Vec<u8>> {
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let dirs = [
        "usr/share/doc/",
        "usr/lib/x86_64-linux-gnu/",
        "usr/share/locale/",
        "etc/",
    ];
    let mut keys: Vec<Vec<u8>> = (0..N)
        .map(|i| {
            let r = next();
            format!(
                "/{}pkg{}/file-{}.{}",
                dirs[(r % 4) as usize],
                (r >> 8) % 3000,
                i,
                ["gz", "so", "mo"][(r >> 40) as usize % 3]
            )
            .into_bytes()
        })
        .collect();
    for i in (1..keys.len()).rev() {
        keys.swap(i, (next() % (i as u64 + 1)) as usize);
    }
    keys
}

fn bench(c: &mut Criterion) {
    let keys = keys();
    let mut g = c.benchmark_group("insert_100k_paths");
    g.throughput(Throughput::Elements(N as u64));
    g.sample_size(10);
    g.bench_function("ArenaArt", |b| {
        b.iter_batched(
            ArenaArt::new,
            |mut m| {
                for (i, k) in keys.iter().enumerate() {
                    m.insert(k, i as u64);
                }
                assert_eq!(m.len(), N);
                m
            },
            BatchSize::LargeInput,
        )
    });
    g.bench_function("BTreeMap", |b| {
        b.iter_batched(
            BTreeMap::new,
            |mut m| {
                for (i, k) in keys.iter().enumerate() {
                    m.insert(k.clone(), i as u64);
                }
                assert_eq!(m.len(), N);
                m
            },
            BatchSize::LargeInput,
        )
    });
    g.finish();

    let art: ArenaArt<u64> = keys
        .iter()
        .enumerate()
        .map(|(i, k)| (k, i as u64))
        .collect();
    let btree: BTreeMap<Vec<u8>, u64> = keys
        .iter()
        .enumerate()
        .map(|(i, k)| (k.clone(), i as u64))
        .collect();
    let expected: u64 = (0..N as u64).sum();
    let mut g = c.benchmark_group("get_100k_paths");
    g.throughput(Throughput::Elements(N as u64));
    g.sample_size(10);
    g.bench_function("ArenaArt", |b| {
        b.iter(|| {
            let sum: u64 = keys.iter().map(|k| *art.get(black_box(k)).unwrap()).sum();
            assert_eq!(sum, expected);
        })
    });
    g.bench_function("BTreeMap", |b| {
        b.iter(|| {
            let sum: u64 = keys
                .iter()
                .map(|k| *btree.get(black_box(k.as_slice())).unwrap())
                .sum();
            assert_eq!(sum, expected);
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
