//! Node16 key search: SSE2 on the node's 16-byte key array against the scalar loop
//! on its occupied keys, for nodes holding 4, 8 and 16 keys.
//!
//! The search module is compiled into this bench directly (it is crate-private in
//! the library), so both versions are measured exactly as the tree uses them.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};

#[allow(dead_code)]
#[path = "../src/node_search.rs"]
mod node_search;

/// Sorted key sets of a Node16 at several fills, and probes hitting and missing.
fn cases() -> Vec<(usize, [u8; 16], Vec<u8>)> {
    [4usize, 8, 16]
        .iter()
        .map(|&n| {
            let mut keys = [0u8; 16];
            for (i, k) in keys.iter_mut().take(n).enumerate() {
                *k = i as u8 * 13 + 7;
            }
            // Every byte value once, in a scrambled order: hits and misses mixed.
            let probes: Vec<u8> = (0..=255u8)
                .map(|b| b.wrapping_mul(97).wrapping_add(31))
                .collect();
            (n, keys, probes)
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    for (n, array, probes) in cases() {
        let keys = &array[..n];
        let mut g = c.benchmark_group(format!("node16_find_byte/{n}_keys"));
        g.throughput(Throughput::Elements(probes.len() as u64));
        let hits = probes.iter().filter(|b| keys.contains(b)).count();
        g.bench_function("scalar", |b| {
            b.iter(|| {
                let found = probes
                    .iter()
                    .filter(|&&p| node_search::scalar::find_byte(black_box(keys), p).is_some())
                    .count();
                assert_eq!(found, hits);
            })
        });
        #[cfg(target_arch = "x86_64")]
        g.bench_function("sse2", |b| {
            b.iter(|| {
                let found = probes
                    .iter()
                    .filter(|&&p| node_search::sse2::find_byte16(black_box(&array), n, p).is_some())
                    .count();
                assert_eq!(found, hits);
            })
        });
        g.finish();

        let mut g = c.benchmark_group(format!("node16_lower_bound/{n}_keys"));
        g.throughput(Throughput::Elements(probes.len() as u64));
        let total: usize = probes
            .iter()
            .map(|&p| node_search::scalar::lower_bound(keys, p))
            .sum();
        g.bench_function("scalar", |b| {
            b.iter(|| {
                let sum: usize = probes
                    .iter()
                    .map(|&p| node_search::scalar::lower_bound(black_box(keys), p))
                    .sum();
                assert_eq!(sum, total);
            })
        });
        #[cfg(target_arch = "x86_64")]
        g.bench_function("sse2", |b| {
            b.iter(|| {
                let sum: usize = probes
                    .iter()
                    .map(|&p| node_search::sse2::lower_bound16(black_box(&array), n, p))
                    .sum();
                assert_eq!(sum, total);
            })
        });
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
