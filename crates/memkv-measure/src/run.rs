//! The measurement procedure: build, then time each operation and check every
//! answer against the workload.

use std::time::{Duration, Instant};

use crate::memory;
use crate::report::ImplResult;
use crate::subject::{Insertable, Subject};
use crate::workload::{miss_probe, Workload};

/// The steps of a measurement, announced as they start (the parent process shows
/// them next to its progress bar).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Building or inserting.
    Build,
    /// Looking up every key.
    GetHit,
    /// Looking up absent keys.
    GetMiss,
    /// The full ordered scan.
    Scan,
    /// The prefix scans.
    Prefix,
}

impl Phase {
    /// A short lowercase name.
    pub fn name(self) -> &'static str {
        match self {
            Phase::Build => "build",
            Phase::GetHit => "get",
            Phase::GetMiss => "miss",
            Phase::Scan => "scan",
            Phase::Prefix => "prefix",
        }
    }
}

/// Receives each [`Phase`] as it starts.
pub type PhaseSink<'a> = &'a mut dyn FnMut(Phase);

/// Measures a mutable structure: inserts every key in the workload's shuffled order.
pub fn run_mutable<S: Insertable>(name: &str, w: &Workload, phase: PhaseSink<'_>) -> ImplResult {
    run_mutable_settled::<S>(name, w, phase, |_| Ok(()))
}

/// [`run_mutable`] for a structure whose inserts leave work running in the
/// background (merges, freeing replaced data): `settle` finishes it after the
/// timed inserts and before the memory is read, so the figure is the
/// structure's own and not a snapshot of work in flight (which the build peak
/// still shows).
pub fn run_mutable_settled<S: Insertable>(
    name: &str,
    w: &Workload,
    phase: PhaseSink<'_>,
    settle: impl FnOnce(&S) -> Result<(), String>,
) -> ImplResult {
    measure(
        name,
        w,
        |w| {
            let mut s = S::empty();
            for &i in &w.insert_order {
                let i = i as usize;
                s.put(w.keys.get(i), w.values[i]);
            }
            Ok(s)
        },
        settle,
        phase,
    )
}

/// Measures a static structure built from the sorted entries by `build`.
pub fn run_static<S: Subject>(
    name: &str,
    w: &Workload,
    build: impl FnOnce(&Workload) -> Result<S, String>,
    phase: PhaseSink<'_>,
) -> ImplResult {
    measure(name, w, build, |_| Ok(()), phase)
}

/// Items per second over a duration (never infinite: a zero duration counts as 1 ns).
fn rate(items: usize, d: Duration) -> f64 {
    items as f64 / d.as_secs_f64().max(1e-9)
}

fn measure<S: Subject>(
    name: &str,
    w: &Workload,
    build: impl FnOnce(&Workload) -> Result<S, String>,
    settle: impl FnOnce(&S) -> Result<(), String>,
    phase: PhaseSink<'_>,
) -> ImplResult {
    match try_measure(name, w, build, settle, phase) {
        Ok(r) => r,
        Err(reason) => ImplResult::failed(name, reason),
    }
}

fn try_measure<S: Subject>(
    name: &str,
    w: &Workload,
    build: impl FnOnce(&Workload) -> Result<S, String>,
    settle: impl FnOnce(&S) -> Result<(), String>,
    phase: PhaseSink<'_>,
) -> Result<ImplResult, String> {
    let n = w.len();
    phase(Phase::Build);
    let before = memory::allocated()?;
    let sampler = memory::PeakSampler::start();
    let start = Instant::now();
    let s = build(w)?;
    let build_time = start.elapsed();
    settle(&s)?;
    let after = memory::allocated()?;
    let peak = sampler.finish()?.max(after);
    let bytes = after
        .checked_sub(before)
        .ok_or_else(|| format!("allocated bytes shrank during the build ({before} -> {after})"))?;
    if s.entries() != n {
        return Err(format!("holds {} entries, expected {n}", s.entries()));
    }

    phase(Phase::GetHit);
    let start = Instant::now();
    let mut wrong = 0usize;
    for &i in &w.get_order {
        let i = i as usize;
        if s.lookup(w.keys.get(i)) != Some(w.values[i]) {
            wrong += 1;
        }
    }
    let get_time = start.elapsed();
    if wrong > 0 {
        return Err(format!("{wrong} of {n} lookups of present keys were wrong"));
    }

    phase(Phase::GetMiss);
    let mut probe = Vec::new();
    let start = Instant::now();
    let mut found = 0usize;
    for &i in &w.get_order {
        miss_probe(w.keys.get(i as usize), &mut probe);
        if s.lookup(&probe).is_some() {
            found += 1;
        }
    }
    let miss_time = start.elapsed();
    if found != w.miss_probes_present {
        return Err(format!(
            "{found} absent-key probes were found, expected {}",
            w.miss_probes_present
        ));
    }

    phase(Phase::Scan);
    let start = Instant::now();
    let mut seen = 0usize;
    let mut mismatch = None;
    let scanned = s.scan(|k, v| {
        if mismatch.is_none() && (seen >= n || k != w.keys.get(seen) || v != w.values[seen]) {
            mismatch = Some(seen);
        }
        seen += 1;
    });
    let scan_time = start.elapsed();
    if scanned.is_some() {
        if let Some(at) = mismatch {
            return Err(format!("the ordered scan is wrong at entry {at}"));
        }
        if seen != n {
            return Err(format!(
                "the ordered scan yielded {seen} entries, expected {n}"
            ));
        }
    }

    phase(Phase::Prefix);
    let start = Instant::now();
    let mut prefix_supported = true;
    for q in &w.prefixes {
        match s.prefix_count(w.prefix(q)) {
            None => {
                prefix_supported = false;
                break;
            }
            Some(got) if got != q.expected as usize => {
                return Err(format!(
                    "prefix scan of {:?} yielded {got} entries, expected {}",
                    String::from_utf8_lossy(w.prefix(q)),
                    q.expected
                ));
            }
            Some(_) => {}
        }
    }
    let prefix_time = start.elapsed();

    let self_reported_bytes = s.self_reported_bytes();
    drop(s);
    Ok(ImplResult {
        name: name.to_owned(),
        keys: Some(n as u64),
        bytes: Some(bytes),
        peak_bytes: Some(peak - before),
        bytes_per_key: Some(if n == 0 { 0.0 } else { bytes as f64 / n as f64 }),
        self_reported_bytes,
        build_keys_per_s: Some(rate(n, build_time)),
        get_hit_per_s: Some(rate(n, get_time)),
        get_miss_per_s: Some(rate(n, miss_time)),
        scan_entries_per_s: scanned.map(|()| rate(n, scan_time)),
        prefix_scans_per_s: prefix_supported.then(|| rate(w.prefixes.len(), prefix_time)),
        verified: true,
        failure: None,
    })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::keys::KeySet;

    /// Held by each test that measures: jemalloc's counters are process-wide, so
    /// a measurement running beside another (each flushes its thread cache)
    /// can see the count fall during its build and fail.
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
        fn prefix_count(&self, prefix: &[u8]) -> Option<usize> {
            self.0.prefix_count(prefix)
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
        fn prefix_count(&self, prefix: &[u8]) -> Option<usize> {
            self.map.prefix_count(prefix)
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
}
