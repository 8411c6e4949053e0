//! Reading jemalloc's count of live bytes.
//!
//! The figure is only meaningful in a process whose global allocator is jemalloc
//! (the `memkv-measure` binary; never the library crates), so
//! [`check_jemalloc_is_global`] verifies that before anything is measured.

use tikv_jemalloc_ctl::{epoch, stats, Access, AsName};

/// Bytes currently allocated by the program, as jemalloc counts them (its
/// `stats.allocated`, refreshed by advancing the epoch first: the statistics are
/// cached until then).
///
/// jemalloc counts the blocks parked in a thread's cache as allocated, so a small
/// structure could be built entirely from cached blocks without moving the figure;
/// the cache is emptied first (turning it off flushes it; it is turned back on
/// right away, so timings keep the usual fast path).
pub fn allocated() -> Result<u64, String> {
    let tcache = b"thread.tcache.enabled\0".name();
    let enabled: bool = tcache
        .read()
        .map_err(|e| format!("jemalloc thread.tcache.enabled: {e}"))?;
    if enabled {
        tcache
            .write(false)
            .and_then(|()| tcache.write(true))
            .map_err(|e| format!("jemalloc thread.tcache.enabled: {e}"))?;
    }
    epoch::advance().map_err(|e| format!("jemalloc epoch: {e}"))?;
    let bytes = stats::allocated::read().map_err(|e| format!("jemalloc stats.allocated: {e}"))?;
    Ok(bytes as u64)
}

/// Fails unless allocations of this process go through jemalloc: allocates 4 MiB and
/// expects `stats.allocated` to grow by at least that much.
pub fn check_jemalloc_is_global() -> Result<(), String> {
    const PROBE: usize = 4 << 20;
    let before = allocated()?;
    let block = std::hint::black_box(vec![1u8; PROBE]);
    let during = allocated()?;
    drop(block);
    if during < before + PROBE as u64 {
        return Err(format!(
            "jemalloc is not the global allocator of this process (a {PROBE}-byte block \
             moved stats.allocated from {before} to {during}); memory can only be \
             measured by the memkv-measure binary"
        ));
    }
    Ok(())
}

/// Watches `stats.allocated` from a background thread while a structure is built, to
/// find the highest figure reached on the way (a store that compacts in the
/// background can hold far more during its load than once it settles).
///
/// The figure is sampled, so a spike shorter than the interval can be missed; the
/// merges and flushes that make a load's peak last much longer than that.
#[derive(Debug)]
pub struct PeakSampler {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: std::thread::JoinHandle<Result<u64, String>>,
}

impl PeakSampler {
    /// The interval between two samples.
    pub const INTERVAL: std::time::Duration = std::time::Duration::from_millis(2);

    /// Starts sampling.
    pub fn start() -> PeakSampler {
        use std::sync::atomic::{AtomicBool, Ordering};
        let stop = std::sync::Arc::new(AtomicBool::new(false));
        let flag = std::sync::Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            let mut peak = 0u64;
            loop {
                epoch::advance().map_err(|e| format!("jemalloc epoch: {e}"))?;
                let now = stats::allocated::read()
                    .map_err(|e| format!("jemalloc stats.allocated: {e}"))?;
                peak = peak.max(now as u64);
                if flag.load(Ordering::Acquire) {
                    return Ok(peak);
                }
                std::thread::sleep(PeakSampler::INTERVAL);
            }
        });
        PeakSampler { stop, thread }
    }

    /// Stops sampling and returns the highest `stats.allocated` seen.
    pub fn finish(self) -> Result<u64, String> {
        self.stop.store(true, std::sync::atomic::Ordering::Release);
        self.thread
            .join()
            .map_err(|_| "the peak sampling thread panicked".to_owned())?
    }
}
