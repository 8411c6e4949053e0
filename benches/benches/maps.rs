//! get / insert / range / prefix / longest_prefix of each structure on 100K-key
//! slices.
//!
//! Inputs are built outside the timed closures and every answer is checked (a wrong
//! answer panics the benchmark rather than producing a number).

use std::collections::{BTreeMap, HashMap};
use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use memkv_benches::{inputs, range_query, Input};
use memkv_measure::subject::{count_prefix, Insertable, Ordered, Subject};

/// Lookups per `get` iteration, and queries per `range` / `prefix` iteration.
const BATCH: usize = 1_000;

fn build_mutable<S: Insertable>(input: &Input) -> S {
    let w = &input.workload;
    let mut s = S::empty();
    for (key, value) in w.inserts.iter() {
        s.put(key, value);
    }
    s
}

/// get, range and prefix of a built structure.
fn reads<S: Subject>(c: &mut Criterion, name: &str, input: &Input, s: &S) {
    let w = &input.workload;
    let mut group = c.benchmark_group(format!("{}/{name}", input.name));
    group.throughput(Throughput::Elements(BATCH as u64));
    let probes: Vec<(&[u8], u64)> = w.gets.iter().take(BATCH).collect();
    group.bench_function("get", |b| {
        b.iter(|| {
            for &(k, v) in &probes {
                assert_eq!(s.lookup(black_box(k)), Some(v));
            }
        })
    });
    let ranges: Vec<_> = (0..BATCH).map(|i| range_query(&w.keys, i)).collect();
    if s.range_count(ranges[0].0, ranges[0].1).is_some() {
        group.bench_function("range", |b| {
            b.iter(|| {
                for &(start, end, expected) in &ranges {
                    assert_eq!(s.range_count(black_box(start), end), Some(expected));
                }
            })
        });
    }
    let prefixes: Vec<(&[u8], usize)> = w.prefixes[..BATCH]
        .iter()
        .map(|q| (w.prefix(q), q.expected as usize))
        .collect();
    if count_prefix(s, prefixes[0].0).is_some() {
        group.bench_function("prefix", |b| {
            b.iter(|| {
                for &(p, expected) in &prefixes {
                    let got = count_prefix(s, black_box(p));
                    assert_eq!(got.map(|c| (c.yielded, c.outside)), Some((expected, 0)));
                }
            })
        });
    }
    // A present key with bytes after it: the answer is that key, or a longer
    // stored prefix of the query when there is one.
    let queries: Vec<(Vec<u8>, Option<usize>)> = probes
        .iter()
        .map(|&(k, _)| {
            let q = [k, &b"/more"[..]].concat();
            let expected = (0..=q.len())
                .rev()
                .find(|&n| w.keys.contains_sorted(&q[..n]));
            (q, expected)
        })
        .collect();
    if s.longest_prefix_len(&queries[0].0).is_some() {
        group.bench_function("longest_prefix", |b| {
            b.iter(|| {
                for (q, expected) in &queries {
                    assert_eq!(s.longest_prefix_len(black_box(q)), Some(*expected));
                }
            })
        });
    }
    group.finish();
}

/// insert of all keys in shuffled order into an empty structure.
fn inserts<S: Insertable>(c: &mut Criterion, name: &str, input: &Input) {
    let n = input.workload.len();
    let mut group = c.benchmark_group(format!("{}/{name}", input.name));
    group.throughput(Throughput::Elements(n as u64));
    group.sample_size(10);
    group.bench_function("insert", |b| {
        b.iter_batched(
            || (),
            |()| {
                let s: S = build_mutable(input);
                assert_eq!(s.entries(), n);
                s
            },
            BatchSize::PerIteration,
        )
    });
    group.finish();
}

fn mutable<S: Insertable>(c: &mut Criterion, name: &str, input: &Input) {
    inserts::<S>(c, name, input);
    let s: S = build_mutable(input);
    reads(c, name, input, &s);
}

fn benches(c: &mut Criterion) {
    for input in inputs() {
        mutable::<BTreeMap<Vec<u8>, u64>>(c, "BTreeMap", &input);
        mutable::<HashMap<Vec<u8>, u64>>(c, "HashMap", &input);
        mutable::<Ordered<memkv::SimpleKV<u64>>>(c, "SimpleKV", &input);
        mutable::<Ordered<memkv::MemKV<u64>>>(c, "MemKV", &input);
        mutable::<Ordered<memkv_art::ArenaArt<u64>>>(c, "ArenaArt", &input);
        mutable::<Ordered<memkv_art::UltraCompactArt<u64>>>(c, "UltraCompactArt", &input);
        mutable::<Ordered<memkv_art::CompactArt<u64>>>(c, "CompactArt", &input);
        mutable::<Ordered<memkv_art::AdaptiveRadixTree<u64>>>(c, "AdaptiveRadixTree", &input);
        mutable::<Ordered<memkv_hybrid::HybridStore<u64>>>(c, "HybridStore", &input);

        // Static structures: "insert" is the build from sorted input.
        let w = &input.workload;
        let n = w.len();
        let mut group = c.benchmark_group(format!("{}/fst::Map", input.name));
        group.throughput(Throughput::Elements(n as u64));
        group.sample_size(10);
        group.bench_function("build", |b| {
            b.iter(|| {
                let map = fst::Map::from_iter(w.sorted_entries()).expect("sorted input");
                assert_eq!(map.len(), n);
                map
            })
        });
        group.finish();
        let map = fst::Map::from_iter(w.sorted_entries()).expect("sorted input");
        reads(c, "fst::Map", &input, &map);

        let mut group = c.benchmark_group(format!("{}/FrozenLayer", input.name));
        group.throughput(Throughput::Elements(n as u64));
        group.sample_size(10);
        group.bench_function("build", |b| {
            b.iter(|| {
                let layer = memkv_frozen::FrozenLayer::from_sorted_iter(w.sorted_entries())
                    .expect("sorted input");
                assert_eq!(layer.len(), n);
                layer
            })
        });
        group.finish();
        let layer =
            memkv_frozen::FrozenLayer::from_sorted_iter(w.sorted_entries()).expect("sorted input");
        reads(c, "FrozenLayer", &input, &Ordered(layer));
    }
}

criterion_group!(maps, benches);
criterion_main!(maps);
