//! The measurement procedure (`memkv_measure::run`) on small workloads: every
//! figure filled, wrong answers failing the run, memory read after settling.
//!
//! A test binary of its own, with jemalloc as its allocator as in the harness:
//! `stats.allocated` counts the whole process, so only tests that measure, one
//! at a time, may run in it (in the library's unit tests, another test freeing
//! a large buffer mid-build made the settled-memory check fail now and then).

#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

use std::collections::BTreeMap;

use memkv_measure::keys::KeySet;
use memkv_measure::run::{run_mutable, run_mutable_settled, run_static, Phase};
use memkv_measure::subject::{Insertable, Subject};
use memkv_measure::workload::Workload;

/// Held by each test: jemalloc's counters are process-wide, so a measurement
/// running beside another (each flushes its thread cache) can see the count
/// fall during its build and fail.
static MEASURING: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn measuring() -> std::sync::MutexGuard<'static, ()> {
    MEASURING
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn workload() -> Workload {
    let mut keys = KeySet::new();
    for i in 0..300 {
        keys.push(format!("key/{:03}/{}", i % 17, i).as_bytes());
    }
    keys.sort_dedup();
    Workload::new(keys)
}

/// A map that answers one lookup wrong.
struct OffByOne(BTreeMap<Vec<u8>, u64>);

impl Subject for OffByOne {
    fn entries(&self) -> usize {
        self.0.len()
    }
    fn lookup(&self, key: &[u8]) -> Option<u64> {
        let v = self.0.get(key).copied()?;
        Some(if v == 7 { 8 } else { v })
    }
    fn scan(&self, f: impl FnMut(&[u8], u64)) -> Option<()> {
        self.0.scan(f)
    }
    fn prefix_scan(&self, prefix: &[u8], f: impl FnMut(&[u8], u64)) -> Option<()> {
        self.0.prefix_scan(prefix, f)
    }
    fn range_count(&self, start: &[u8], end: &[u8]) -> Option<usize> {
        self.0.range_count(start, end)
    }
    fn self_reported_bytes(&self) -> Option<u64> {
        None
    }
}

fn btree(w: &Workload) -> BTreeMap<Vec<u8>, u64> {
    w.sorted_entries().map(|(k, v)| (k.to_vec(), v)).collect()
}

#[test]
fn correct_maps_pass_with_every_figure() {
    let _serial = measuring();
    let w = workload();
    let mut phases = Vec::new();
    let r = run_mutable::<BTreeMap<Vec<u8>, u64>>("BTreeMap", &w, &mut |p| phases.push(p));
    assert!(r.verified, "{:?}", r.failure);
    assert_eq!(r.keys, Some(300));
    assert!(r.scan_entries_per_s.is_some() && r.prefix_scans_per_s.is_some());
    assert_eq!(
        phases,
        [
            Phase::Build,
            Phase::GetHit,
            Phase::GetMiss,
            Phase::Scan,
            Phase::Prefix
        ]
    );
    let h = run_mutable::<std::collections::HashMap<Vec<u8>, u64>>("HashMap", &w, &mut |_| {});
    assert!(h.verified);
    assert_eq!((h.scan_entries_per_s, h.prefix_scans_per_s), (None, None));
}

/// A `BTreeMap` whose inserts leave a 4 MiB buffer behind until settled, as
/// a store with background merges leaves their buffers.
#[derive(Default)]
struct Littered {
    map: BTreeMap<Vec<u8>, u64>,
    litter: std::sync::Mutex<Vec<u8>>,
}

const LITTER: usize = 4 << 20;

impl Subject for Littered {
    fn entries(&self) -> usize {
        self.map.len()
    }
    fn lookup(&self, key: &[u8]) -> Option<u64> {
        self.map.get(key).copied()
    }
    fn scan(&self, f: impl FnMut(&[u8], u64)) -> Option<()> {
        self.map.scan(f)
    }
    fn prefix_scan(&self, prefix: &[u8], f: impl FnMut(&[u8], u64)) -> Option<()> {
        self.map.prefix_scan(prefix, f)
    }
    fn range_count(&self, start: &[u8], end: &[u8]) -> Option<usize> {
        self.map.range_count(start, end)
    }
    fn self_reported_bytes(&self) -> Option<u64> {
        None
    }
}

impl Insertable for Littered {
    fn empty() -> Self {
        Littered::default()
    }
    fn put(&mut self, key: &[u8], value: u64) {
        self.map.insert(key.to_vec(), value);
        self.litter.get_mut().unwrap().resize(LITTER, 1);
    }
}

#[test]
fn memory_is_read_after_settling_and_the_peak_keeps_the_litter() {
    let _serial = measuring();
    let w = workload();
    let unsettled = run_mutable::<Littered>("Littered", &w, &mut |_| {});
    assert!(unsettled.bytes.unwrap() >= LITTER as u64);
    let settled = run_mutable_settled::<Littered>("Littered", &w, &mut |_| {}, |s| {
        *s.litter.lock().unwrap() = Vec::new();
        Ok(())
    });
    assert!(settled.verified, "{:?}", settled.failure);
    assert!(settled.bytes.unwrap() < LITTER as u64 / 4);
    assert!(settled.peak_bytes.unwrap() >= LITTER as u64);
    let failed =
        run_mutable_settled::<Littered>("Littered", &w, &mut |_| {}, |_| Err("stuck".into()));
    assert_eq!(failed.failure.as_deref(), Some("stuck"));
}

#[test]
fn a_wrong_answer_fails_the_run_without_figures() {
    let _serial = measuring();
    let w = workload();
    let r = run_static("OffByOne", &w, |w| Ok(OffByOne(btree(w))), &mut |_| {});
    assert!(!r.verified);
    assert_eq!((r.bytes, r.get_hit_per_s), (None, None));
    assert!(r.failure.unwrap().contains("1 of 300 lookups"));
}

/// A map whose prefix scans yield the right number of entries, the first of
/// each under a key outside the prefix.
struct StrayPrefixKey(BTreeMap<Vec<u8>, u64>);

impl Subject for StrayPrefixKey {
    fn entries(&self) -> usize {
        self.0.len()
    }
    fn lookup(&self, key: &[u8]) -> Option<u64> {
        self.0.lookup(key)
    }
    fn scan(&self, f: impl FnMut(&[u8], u64)) -> Option<()> {
        self.0.scan(f)
    }
    fn prefix_scan(&self, prefix: &[u8], mut f: impl FnMut(&[u8], u64)) -> Option<()> {
        let mut first = true;
        self.0.prefix_scan(prefix, |k, v| {
            f(if first { b"\xff stray" } else { k }, v);
            first = false;
        })
    }
    fn range_count(&self, start: &[u8], end: &[u8]) -> Option<usize> {
        self.0.range_count(start, end)
    }
    fn self_reported_bytes(&self) -> Option<u64> {
        None
    }
}

#[test]
fn a_prefix_scan_yielding_a_key_outside_the_prefix_fails_the_run() {
    let _serial = measuring();
    let w = workload();
    let r = run_static("Stray", &w, |w| Ok(StrayPrefixKey(btree(w))), &mut |_| {});
    assert!(!r.verified);
    let failure = r.failure.unwrap();
    assert!(failure.contains("outside the prefix"), "{failure}");
}

#[test]
fn a_wrong_scan_or_prefix_count_fails_the_run() {
    let _serial = measuring();
    let w = workload();
    let r = run_static(
        "Missing",
        &w,
        |w| {
            let mut m = btree(w);
            // Same entry count, but one key replaced by a key outside the set.
            let first = m.keys().next().unwrap().clone();
            let v = m.remove(&first).unwrap();
            m.insert(b"zzz".to_vec(), v);
            Ok(m)
        },
        &mut |_| {},
    );
    assert!(!r.verified);
    let failed = run_static("Err", &w, |_| Err::<OffByOne, _>("no".into()), &mut |_| {});
    assert_eq!(failed.failure.as_deref(), Some("no"));
}
