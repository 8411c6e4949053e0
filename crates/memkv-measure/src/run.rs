//! The measurement procedure: build, then time each operation and check every
//! answer against the workload.

use std::time::{Duration, Instant};

use crate::memory;
use crate::report::ImplResult;
use crate::subject::{count_prefix, Insertable, Subject};
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
            for (key, value) in w.inserts.iter() {
                s.put(key, value);
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
    for (key, value) in w.gets.iter() {
        if s.lookup(key) != Some(value) {
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
    for key in w.gets.keys() {
        miss_probe(key, &mut probe);
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
        let Some(got) = count_prefix(&s, w.prefix(q)) else {
            prefix_supported = false;
            break;
        };
        if got.yielded != q.expected as usize || got.outside > 0 {
            return Err(format!(
                "prefix scan of {:?} yielded {} entries ({} outside the prefix), expected {}",
                String::from_utf8_lossy(w.prefix(q)),
                got.yielded,
                got.outside,
                q.expected
            ));
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
        rounds: Vec::new(),
        failure: None,
    })
}
