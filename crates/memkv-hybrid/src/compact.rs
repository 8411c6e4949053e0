//! Compaction: freezing deltas, flushing them into segments, merging segments,
//! publishing each new version and freeing the replaced ones, and the background
//! thread that does it as writes come in.
//!
//! Two kinds of change make a new version, each an O(layers) step under the state
//! lock (cloning a short list of `Arc`s):
//!
//! - a writer whose delta reaches the flush threshold freezes it: the delta becomes
//!   the newest layer and a fresh delta takes writes;
//! - the holder of `Shared::compaction` (the background thread, or a caller of
//!   `compact`, `flush` or `save`) replaces a run of consecutive layers by the
//!   segment it built from them, with no lock held while it builds.
//!
//! Layers are only ever added in front, by freezes, so a run taken from a snapshot is
//! still whole and in order when its replacement is published, and the oldest layer
//! stays the oldest. Tombstones are dropped only when the new segment is the oldest
//! layer: nothing is left under it that they could hide.
//!
//! Flushes go first. A frozen delta is flushed alone into a segment of level 0;
//! merges follow the policy of [`Version::plan`]. A merge stops after each run it
//! builds to flush any delta frozen meanwhile, so a writer never waits for a merge,
//! only for a flush when it outpaces them.
//!
//! Replaced versions go to a graveyard that the compacting thread sweeps: a version
//! no reader holds any more is freed there. A reader's or a writer's `Arc` is thus
//! never the last one of a big segment, and freeing it never lands on their path.

use std::mem;
use std::ops::Range;
use std::time::Duration;

use memkv_core::{KeyBounds, Result};

use crate::delta::Delta;
use crate::merge::Merge;
use crate::segment::{BuildOptions, Segment};
use crate::store::{HybridStore, Shared, State};
use crate::sync::{self, Arc};
use crate::version::{Layer, Version};

/// How often the background thread sweeps the graveyard while versions wait there.
const SWEEP_INTERVAL: Duration = Duration::from_millis(5);

/// What the background thread is asked to do.
#[derive(Debug, Default)]
pub(crate) struct Worker {
    /// A frozen delta waits.
    wanted: bool,
    /// The store is being dropped.
    shutdown: bool,
}

impl<V: Clone> State<V> {
    /// Moves the delta, unless it is empty, into a new version as its newest layer,
    /// puts `fresh` (an empty delta made before the lock was taken) in its place, and
    /// returns the version it replaces.
    pub(crate) fn freeze(&mut self, fresh: &mut Option<Delta<V>>) -> Option<Arc<Version<V>>> {
        if self.active.is_empty() {
            return None;
        }
        let fresh = fresh.take().unwrap_or_else(|| Delta::new(1));
        let delta = Arc::new(mem::replace(&mut self.active, fresh));
        let mut layers = Vec::with_capacity(self.version.layers.len() + 1);
        layers.push(Layer::Delta(delta));
        layers.extend(self.version.layers.iter().cloned());
        Some(mem::replace(
            &mut self.version,
            Arc::new(Version { layers }),
        ))
    }
}

impl<V: Clone + Send + Sync + 'static> Shared<V> {
    /// The version published now.
    pub(crate) fn current(&self) -> Arc<Version<V>> {
        Arc::clone(&sync::read(&self.state).version)
    }

    /// An empty delta for this store.
    pub(crate) fn new_delta(&self) -> Delta<V> {
        Delta::new(self.delta_keys)
    }

    /// Freezes the delta (see [`State::freeze`]).
    pub(crate) fn freeze(&self) {
        let mut fresh = Some(self.new_delta());
        // The replaced version's layers all live on in the new one: dropping it frees
        // only its list.
        let replaced = sync::write(&self.state).freeze(&mut fresh);
        drop(replaced);
    }

    /// Flushes frozen deltas and runs the merges the policy asks for, until neither
    /// is left: what the background thread does when woken, and what `flush` does.
    pub(crate) fn maintain(&self) -> Result<()> {
        let _only_one = sync::lock(&self.compaction);
        let result = self.maintain_locked();
        self.sweep();
        result
    }

    fn maintain_locked(&self) -> Result<()> {
        loop {
            self.flush_deltas(&[])?;
            let version = self.current();
            let Some(run) = version.plan(self.config.merge_width()) else {
                return Ok(());
            };
            let level = version.layers[run.clone()]
                .iter()
                .filter_map(Layer::segment)
                .map(|s| s.level())
                .max()
                .unwrap_or(0);
            let options = BuildOptions {
                oldest: run.end == version.layers.len(),
                filtered: true,
                level: level.saturating_add(1),
                run_entries: self.config.run_entries,
            };
            if !self.merge(&version, run, options, true)? {
                return Ok(());
            }
        }
    }

    /// Merges every layer into one segment without tombstones or filter: the
    /// smallest form. Deltas frozen while it runs stay above it.
    pub(crate) fn compact_all(&self) -> Result<()> {
        let _only_one = sync::lock(&self.compaction);
        self.freeze();
        let result = self.compact_locked();
        self.sweep();
        result
    }

    fn compact_locked(&self) -> Result<()> {
        // The deltas first, each on its own: their radix trees are freed before the
        // big merge starts.
        self.flush_deltas(&[])?;
        let version = self.current();
        // Deltas frozen since are newer than every segment: the segments are the
        // bottom run.
        let first = version
            .layers
            .iter()
            .rposition(|l| matches!(l, Layer::Delta(_)))
            .map_or(0, |i| i + 1);
        let run = first..version.layers.len();
        let bottom = &version.layers[run.clone()];
        if let [Layer::Segment(only)] = bottom {
            if only.tombstone_count() == 0 {
                if only.is_filtered() {
                    let bare = Arc::new(only.without_filter());
                    self.replace(bottom, Some(bare));
                }
                return Ok(());
            }
        }
        if bottom.is_empty() {
            return Ok(());
        }
        let level = bottom
            .iter()
            .filter_map(Layer::segment)
            .map(|s| s.level())
            .max()
            .unwrap_or(0);
        let options = BuildOptions {
            oldest: true,
            filtered: false,
            level: level.saturating_add(1),
            run_entries: self.config.run_entries,
        };
        self.merge(&version, run, options, true).map(drop)
    }

    /// Flushes every frozen delta but those in `busy` (the inputs of a merge under
    /// way), oldest first, each into a segment of level 0.
    fn flush_deltas(&self, busy: &[Layer<V>]) -> Result<()> {
        loop {
            let version = self.current();
            let next = version
                .layers
                .iter()
                .rposition(|l| matches!(l, Layer::Delta(_)) && !busy.iter().any(|b| b.same(l)));
            let Some(at) = next else {
                return Ok(());
            };
            let options = BuildOptions {
                oldest: at + 1 == version.layers.len(),
                filtered: true,
                level: 0,
                run_entries: self.config.run_entries,
            };
            if !self.merge(&version, at..at + 1, options, true)? {
                return Ok(());
            }
            // Writers held back by a full delta may go on.
            let _w = sync::lock(&self.worker);
            self.frozen.notify_all();
        }
    }

    /// Builds one segment from the layers `run` of `version` and publishes it in
    /// their place. With `interleave`, it flushes the frozen deltas that are not among
    /// its inputs between the runs of the segment. `false` when the store is being
    /// dropped and the merge was abandoned (its inputs stay as they were).
    pub(crate) fn merge(
        &self,
        version: &Version<V>,
        run: Range<usize>,
        options: BuildOptions,
        interleave: bool,
    ) -> Result<bool> {
        let inputs = &version.layers[run];
        let expected = inputs.iter().map(Layer::entry_count).sum();
        let merged = Merge::new(Version::cursors_of(inputs, &KeyBounds::all()));
        let built = Segment::build(merged, expected, options, || {
            // A failed flush leaves its delta readable where it is; the next flush,
            // or `compact`, which reports its error, tries it again.
            if interleave {
                let _ = self.flush_deltas(inputs);
            }
            !sync::lock(&self.worker).shutdown
        })?;
        let Some(segment) = built else {
            return Ok(false);
        };
        let output = (segment.entry_count() > 0).then(|| Arc::new(segment));
        self.replace(inputs, output);
        Ok(true)
    }

    /// Publishes the current version with the layers `inputs` replaced by `output`.
    fn replace(&self, inputs: &[Layer<V>], output: Option<Arc<Segment<V>>>) {
        let replaced = {
            let mut st = sync::write(&self.state);
            let at = st.version.position(inputs).expect(
                "only the compaction lock holder removes layers, and freezes add them in front",
            );
            let next = st.version.replacing(at, inputs.len(), output);
            mem::replace(&mut st.version, Arc::new(next))
        };
        sync::lock(&self.graveyard).push(replaced);
        self.sweep();
    }

    /// Frees the replaced versions that no reader holds any more.
    pub(crate) fn sweep(&self) {
        let buried = mem::take(&mut *sync::lock(&self.graveyard));
        let mut held = Vec::new();
        for version in buried {
            match Arc::try_unwrap(version) {
                // Frees the layers that no newer version shares.
                Ok(free) => drop(free),
                Err(version) => held.push(version),
            }
        }
        if !held.is_empty() {
            sync::lock(&self.graveyard).extend(held);
        }
    }
}

/// What a writer does after its write.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum AfterWrite {
    /// Nothing.
    Nothing,
    /// It froze the delta: wake the background thread.
    Frozen,
    /// The delta is full and the frozen one is not flushed yet: wait for it.
    Stall,
    /// Flush in this thread (no background thread).
    Inline,
}

impl<V: Clone + Send + Sync + 'static> HybridStore<V> {
    /// What a writer must do once it has written, given the state it wrote in (whose
    /// lock it still holds): freezes the delta if it is full and nothing waits to be
    /// flushed, replacing it by `fresh` when the writer made one.
    pub(crate) fn after_write_locked(
        &self,
        st: &mut State<V>,
        fresh: &mut Option<Delta<V>>,
    ) -> AfterWrite {
        let config = &self.shared.config;
        let bytes = st.active.map_bytes();
        if bytes < config.flush_threshold {
            AfterWrite::Nothing
        } else if !config.background {
            AfterWrite::Inline
        } else if !st.version.has_delta() {
            if fresh.is_none() {
                // The write that fills the delta comes without a fresh one (it was
                // not full when the writer looked): the next write brings one, so
                // that no allocation happens under the lock.
                return AfterWrite::Nothing;
            }
            // The replaced version's layers all live on in the new one.
            drop(st.freeze(fresh));
            AfterWrite::Frozen
        } else if bytes >= config.flush_threshold.saturating_mul(config.stall_factor) {
            AfterWrite::Stall
        } else {
            AfterWrite::Nothing
        }
    }

    /// Carries out `action` once the state lock is released.
    pub(crate) fn after_write(&self, action: AfterWrite) {
        match action {
            AfterWrite::Nothing => {}
            AfterWrite::Inline => {
                // A failed flush leaves the frozen delta readable in the version; the
                // next flush, or `compact`, which reports its error, merges it again.
                self.shared.freeze();
                let _ = self.shared.maintain();
            }
            AfterWrite::Frozen => {
                self.ensure_thread();
                let mut w = sync::lock(&self.shared.worker);
                w.wanted = true;
                self.shared.wake.notify_one();
            }
            AfterWrite::Stall => {
                self.ensure_thread();
                let mut w = sync::lock(&self.shared.worker);
                w.wanted = true;
                self.shared.wake.notify_one();
                while !w.shutdown && sync::read(&self.shared.state).version.has_delta() {
                    w = sync::wait(&self.shared.frozen, w);
                }
            }
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

/// The background thread: flushes and merges whenever a delta is frozen, and sweeps
/// the graveyard while versions wait there, until the store is dropped.
fn background<V: Clone + Send + Sync + 'static>(shared: &Shared<V>) {
    loop {
        let wanted = {
            let mut w = sync::lock(&shared.worker);
            if !w.wanted && !w.shutdown {
                let buried = !sync::lock(&shared.graveyard).is_empty();
                w = if buried {
                    sync::wait_timeout(&shared.wake, w, SWEEP_INTERVAL)
                } else {
                    sync::wait(&shared.wake, w)
                };
            }
            if w.shutdown {
                return;
            }
            mem::take(&mut w.wanted)
        };
        if wanted {
            // A failed flush leaves the frozen delta readable in the version; the
            // next flush, or `compact`, which reports its error, merges it again.
            let _ = shared.maintain();
        } else {
            shared.sweep();
        }
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
