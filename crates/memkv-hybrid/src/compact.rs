//! Compaction: freezing the delta, merging layers into a segment, publishing the new
//! version, and the background thread that does it when the delta grows.
//!
//! A compaction runs in three steps, only the first and last under the state lock and
//! each O(1) there:
//!
//! 1. freeze: the delta moves into a new version's frozen list, a fresh delta takes
//!    writes;
//! 2. merge (no lock held): the frozen deltas and the chosen segments are streamed
//!    through the k-way merge into a new segment;
//! 3. publish: a version with the new segment in place of the merged layers replaces
//!    the current one.
//!
//! Only the holder of `Shared::compaction` changes the version, so step 3 replaces
//! exactly what step 1 captured. Tombstones are dropped only when the new segment
//! becomes the oldest: nothing is left under it that they could hide.

use std::mem;

use memkv_core::{KeyBounds, Result};

use crate::merge::Merge;
use crate::segment::Segment;
use crate::store::{HybridStore, Shared};
use crate::sync::{self, Arc};
use crate::version::Version;

/// What the background thread is asked to do.
#[derive(Debug, Default)]
pub(crate) struct Worker {
    /// A flush is wanted.
    wanted: bool,
    /// The store is being dropped.
    shutdown: bool,
}

impl<V: Clone + Send + Sync + 'static> Shared<V> {
    /// Runs one compaction: `full` merges everything into one segment, otherwise the
    /// frozen delta is merged with as many of the newest segments as the merge policy
    /// asks for.
    pub(crate) fn compact(&self, full: bool) -> Result<()> {
        let _only_one = sync::lock(&self.compaction);
        let (snapshot, _) = self.freeze();
        let k = if full {
            snapshot.segments.len()
        } else {
            snapshot.plan(self.config.merge_ratio)
        };
        let nothing_to_do = snapshot.frozen.is_empty() && (!full || k <= 1);
        if !nothing_to_do {
            let oldest = k == snapshot.segments.len();
            let merged = Merge::new(snapshot.cursors(&KeyBounds::all(), k));
            let segment = Segment::build(merged, snapshot.entry_count(k), oldest)?;
            let mut next = Version {
                frozen: Vec::new(),
                segments: snapshot.segments[k..].to_vec(),
            };
            if segment.entry_count() > 0 {
                next.segments.insert(0, Arc::new(segment));
            }
            self.publish(&snapshot, next);
        }
        Ok(())
    }

    /// Moves the delta into the version's frozen list and returns the version with
    /// its number of live keys.
    pub(crate) fn freeze(&self) -> (Arc<Version<V>>, usize) {
        let version = {
            let mut st = sync::write(&self.state);
            if !st.active.is_empty() {
                let delta = Arc::new(mem::take(&mut st.active));
                let mut next = Version::clone(&st.version);
                next.frozen.insert(0, delta);
                st.version = Arc::new(next);
            }
            (Arc::clone(&st.version), st.len)
        };
        // Writers held back by a full delta may go on.
        let _w = sync::lock(&self.worker);
        self.frozen.notify_all();
        version
    }

    /// Replaces `current` (which the caller captured while holding the compaction
    /// lock) by `next`.
    pub(crate) fn publish(&self, current: &Arc<Version<V>>, next: Version<V>) {
        let replaced = {
            let mut st = sync::write(&self.state);
            debug_assert!(
                Arc::ptr_eq(&st.version, current),
                "only the compaction lock holder publishes"
            );
            mem::replace(&mut st.version, Arc::new(next))
        };
        // The old layers are freed here, outside the lock, unless a reader still holds
        // them: then the last reader frees them.
        drop(replaced);
    }
}

impl<V: Clone + Send + Sync + 'static> HybridStore<V> {
    /// Starts a flush once the delta has reached the threshold, and holds the writer
    /// back while the delta is far past it.
    pub(crate) fn after_write(&self, delta_bytes: usize) {
        let config = &self.shared.config;
        if delta_bytes < config.flush_threshold {
            return;
        }
        if !config.background {
            // A failed flush leaves the frozen delta readable in the version; the next
            // flush, or `compact`, which reports its error, merges it again.
            let _ = self.shared.compact(false);
            return;
        }
        self.ensure_thread();
        let limit = config.flush_threshold.saturating_mul(config.stall_factor);
        let mut w = sync::lock(&self.shared.worker);
        w.wanted = true;
        self.shared.wake.notify_one();
        while delta_bytes >= limit
            && !w.shutdown
            && sync::read(&self.shared.state).active.memory_usage() >= limit
        {
            w = sync::wait(&self.shared.frozen, w);
        }
    }

    fn ensure_thread(&self) {
        let mut thread = sync::lock(&self.thread);
        if thread.is_none() {
            let shared = Arc::clone(&self.shared);
            *thread = Some(sync::thread::spawn(move || background(&shared)));
        }
    }
}

/// The background thread: flushes whenever asked, until the store is dropped.
fn background<V: Clone + Send + Sync + 'static>(shared: &Shared<V>) {
    loop {
        {
            let mut w = sync::lock(&shared.worker);
            while !w.wanted && !w.shutdown {
                w = sync::wait(&shared.wake, w);
            }
            if w.shutdown {
                return;
            }
            w.wanted = false;
        }
        // A failed flush leaves the frozen delta readable in the version; the next
        // flush, or `compact`, which reports its error, merges it again.
        let _ = shared.compact(false);
    }
}

impl<V> Drop for HybridStore<V> {
    fn drop(&mut self) {
        let handle = sync::lock(&self.thread).take();
        if let Some(handle) = handle {
            {
                let mut w = sync::lock(&self.shared.worker);
                w.shutdown = true;
                self.shared.wake.notify_all();
                self.shared.frozen.notify_all();
            }
            // A panic in the background thread is a bug already reported on stderr;
            // dropping the store must not panic again.
            let _ = handle.join();
        }
    }
}
