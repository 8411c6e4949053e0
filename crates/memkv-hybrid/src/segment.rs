//! Segments: the immutable layers under the delta.
//!
//! A segment is a sequence of runs over consecutive key ranges. Each run is a
//! [`FrozenLayer`] of live keys (its outputs are values or value slots, see
//! [`Column`]) plus, when older layers exist under the segment, a second
//! `FrozenLayer` holding the keys it deletes. Keeping tombstones in their own FST
//! costs nothing when there are none (the oldest segment never has any) and keeps
//! every `u64` usable as a value.
//!
//! A run is cut when its layer reaches 1 MiB (`RUN_BYTES`, an allocator size
//! class) or `HybridConfig::run_entries` entries (256Ki), so building a segment
//! holds one run's builder buffers beside the finished runs, whatever the
//! segment's size: a single FST for a whole segment would hold its growing buffer,
//! its value list and a copy of its bytes at the end, about twice the segment at
//! once. The split costs some space: on a million Debian paths, one `FrozenLayer`
//! over all keys holds 14.3 bytes per key of data, the store compacted into runs
//! 15.3 (`memory_usage`), because no suffix is shared across runs and each run's
//! registry of FST nodes is kept small (`RUN_REGISTRY_BUDGET`).

use std::ops::Bound;
use std::path::Path;

use memkv_core::{Error, KeyBounds, Result};
use memkv_frozen::{FrozenLayer, FrozenLayerBuilder};

use crate::delta::Found;
use crate::filter::{KeyFilter, KeyHash};
use crate::merge::Chunk;
use crate::value::Column;

/// The memory cap of each run builder's registry of FST nodes. Merges run while
/// the store takes writes, so their transient memory counts towards the store's
/// peak: the frozen crate's default (32 MiB) would add about 45 bytes per key to
/// it on 1M Debian paths.
const RUN_REGISTRY_BUDGET: usize = 1 << 20;

/// The size at which a run's layer is cut. A layer is one allocation, and an
/// allocator serves large sizes in classes (jemalloc: four per doubling), so a
/// layer of arbitrary size wastes a tenth of itself on average: runs cut at 64Ki
/// entries held 1.47 MB more than their 15.3 MB of bytes (1M Debian paths). A
/// power of two is a class boundary in jemalloc, in glibc's malloc (pages) and
/// in most others.
const RUN_BYTES: u64 = 1 << 20;

/// What may still come after a run is cut: the FST nodes of the open path, and
/// the allocation's own header (an `Arc`'s counts).
const RUN_MARGIN: u64 = 4 << 10;

/// Which of a segment's two kinds of FST a scan reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Part {
    /// The live keys and their values.
    Live,
    /// The deleted keys.
    Tombstones,
}

/// One key range of a segment.
#[derive(Clone, Debug)]
struct Run {
    live: FrozenLayer,
    tombstones: Option<FrozenLayer>,
}

impl Run {
    fn part(&self, part: Part) -> Option<&FrozenLayer> {
        match part {
            Part::Live => Some(&self.live),
            Part::Tombstones => self.tombstones.as_ref(),
        }
    }

    fn len(&self) -> usize {
        self.live.len() + self.tombstones.as_ref().map_or(0, FrozenLayer::len)
    }

    /// The smallest key of the run.
    fn first_key(&self) -> Option<Vec<u8>> {
        let live = self.live.first().map(|(k, _)| k);
        let dead = self
            .tombstones
            .as_ref()
            .and_then(|t| t.first())
            .map(|(k, _)| k);
        match (live, dead) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// A key the run holds both as live and as deleted, if any: a contradiction
    /// the writer never makes, so only damaged or forged files hold one. One
    /// lookup in the live FST per tombstone.
    fn live_and_deleted(&self) -> Option<Vec<u8>> {
        let t = self.tombstones.as_ref()?;
        t.iter()
            .map(|(k, _)| k)
            .find(|k| self.live.get(k).is_some())
    }

    /// The largest key of the run.
    fn last_key(&self) -> Option<Vec<u8>> {
        let live = self.live.last().map(|(k, _)| k);
        let dead = self
            .tombstones
            .as_ref()
            .and_then(|t| t.last())
            .map(|(k, _)| k);
        match (live, dead) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        }
    }
}

/// The run being built.
struct RunBuilder {
    live: FrozenLayerBuilder,
    tombstones: Option<FrozenLayerBuilder>,
    entries: usize,
}

impl RunBuilder {
    /// Whether either layer is as large as a run may be (give or take what its open
    /// path still adds).
    fn is_full(&self) -> bool {
        let full = |b: &FrozenLayerBuilder| b.estimated_len() >= RUN_BYTES - RUN_MARGIN;
        full(&self.live) || self.tombstones.as_ref().is_some_and(full)
    }

    fn finish(self) -> Result<Run> {
        Ok(Run {
            live: self.live.finish()?,
            tombstones: self
                .tombstones
                .map(FrozenLayerBuilder::finish)
                .transpose()?,
        })
    }
}

/// How a segment is built.
#[derive(Clone, Copy, Debug)]
pub(crate) struct BuildOptions {
    /// Nothing lies under the new segment: its tombstones are dropped (there is
    /// nothing left for them to hide).
    pub(crate) oldest: bool,
    /// Give the segment a Bloom filter.
    pub(crate) filtered: bool,
    /// The segment's level in the merge policy.
    pub(crate) level: u32,
    /// The most entries (live keys and tombstones) in one run.
    pub(crate) run_entries: usize,
}

/// One immutable layer of the store.
#[derive(Debug)]
pub(crate) struct Segment<V> {
    runs: Vec<Run>,
    /// The smallest key of each run but the first: run `i + 1` holds the keys from
    /// `starts[i]` up to `starts[i + 1]`.
    starts: Vec<Vec<u8>>,
    values: Column<V>,
    /// Every key of the segment, live or deleted; absent on a fully compacted
    /// segment and on segments read from disk.
    filter: Option<KeyFilter>,
    level: u32,
    entries: usize,
    tombstones: usize,
}

impl<V: Clone + 'static> Segment<V> {
    /// Builds a segment from entries in strictly increasing key order (`None` is a
    /// tombstone), at most `expected` of them (the filter is sized for that many).
    ///
    /// `between_runs` is called after each finished run; when it returns `false` the
    /// build stops and returns `None`.
    pub(crate) fn build(
        entries: impl Iterator<Item = (Vec<u8>, Option<V>)>,
        expected: usize,
        options: BuildOptions,
        mut between_runs: impl FnMut() -> bool,
    ) -> Result<Option<Segment<V>>> {
        let mut segment = Segment {
            runs: Vec::new(),
            starts: Vec::new(),
            values: Column::new(),
            filter: options.filtered.then(|| KeyFilter::with_capacity(expected)),
            level: options.level,
            entries: 0,
            tombstones: 0,
        };
        let mut run: Option<RunBuilder> = None;
        for (key, entry) in entries {
            if entry.is_none() && options.oldest {
                continue;
            }
            if let Some(f) = &mut segment.filter {
                f.insert(&key);
            }
            let current = match &mut run {
                Some(r) => r,
                None => {
                    if !segment.runs.is_empty() {
                        segment.starts.push(key.clone());
                    }
                    run.insert(RunBuilder {
                        live: FrozenLayerBuilder::memory().registry_budget(RUN_REGISTRY_BUDGET),
                        tombstones: None,
                        entries: 0,
                    })
                }
            };
            match entry {
                Some(v) => current.live.insert(&key, segment.values.push(v))?,
                None => {
                    current
                        .tombstones
                        .get_or_insert_with(|| {
                            FrozenLayerBuilder::memory().registry_budget(RUN_REGISTRY_BUDGET)
                        })
                        .insert(&key, 0)?;
                    segment.tombstones += 1;
                }
            }
            current.entries += 1;
            segment.entries += 1;
            if current.entries >= options.run_entries || current.is_full() {
                let finished = run.take().map(RunBuilder::finish).transpose()?;
                segment.runs.extend(finished);
                if !between_runs() {
                    return Ok(None);
                }
            }
        }
        let finished = run.take().map(RunBuilder::finish).transpose()?;
        segment.runs.extend(finished);
        segment.values.shrink_to_fit();
        Ok(Some(segment))
    }

    /// The same segment without its filter (the layers are shared, not copied).
    pub(crate) fn without_filter(&self) -> Segment<V> {
        Segment {
            runs: self.runs.clone(),
            starts: self.starts.clone(),
            values: self.values.clone(),
            filter: None,
            level: self.level,
            entries: self.entries,
            tombstones: self.tombstones,
        }
    }

    /// The run that holds `key` if any does.
    fn run_of(&self, key: &[u8]) -> Option<&Run> {
        self.runs
            .get(self.starts.partition_point(|s| s.as_slice() <= key))
    }

    /// Starts loading the block of the segment's filter that [`find`](Segment::find)
    /// reads first for `hash`, if the segment has a filter.
    pub(crate) fn prefetch_filter(&self, hash: KeyHash) {
        if let Some(f) = &self.filter {
            f.prefetch(hash);
        }
    }

    /// What this segment says about `key`, whose hash is `hash`.
    pub(crate) fn find(&self, key: &[u8], hash: KeyHash) -> Found<V> {
        if self
            .filter
            .as_ref()
            .is_some_and(|f| !f.may_contain_hashed(hash))
        {
            return Found::Absent;
        }
        let Some(run) = self.run_of(key) else {
            return Found::Absent;
        };
        if let Some(output) = run.live.get(key) {
            return Found::Value(self.value(output));
        }
        match &run.tombstones {
            Some(t) if t.get(key).is_some() => Found::Deleted,
            _ => Found::Absent,
        }
    }

    fn value(&self, output: u64) -> V {
        self.values
            .get(output)
            .expect("segment invariant: every FST output names a stored value")
    }

    /// Appends each of this segment's keys that is a prefix of `key` as its
    /// length and what the segment holds for it: a value, or `None` for a
    /// tombstone (see [`crate::HybridStore::common_prefixes`]). One walk down the
    /// FSTs of each run a prefix of `key` falls in: the prefixes grow with their
    /// length, so their runs are in order and usually one or two.
    pub(crate) fn prefixes(&self, key: &[u8], out: &mut Vec<(usize, Option<V>)>) {
        // The run of `key[..len]` never decreases as `len` grows, so the runs
        // to walk are found from the longest prefix down, each with a binary
        // search for the shortest prefix in it: a few searches per run walked,
        // not one per byte of `key`.
        let run_of = |len: usize| self.starts.partition_point(|s| s.as_slice() <= &key[..len]);
        let mut longest = key.len();
        loop {
            let r = run_of(longest);
            if let Some(run) = self.runs.get(r) {
                if let Some(layer) = run.part(Part::Live) {
                    let live = layer.common_prefixes(key);
                    out.extend(live.map(|(k, output)| (k.len(), Some(self.value(output)))));
                }
                if let Some(layer) = run.part(Part::Tombstones) {
                    out.extend(layer.common_prefixes(key).map(|(k, _)| (k.len(), None)));
                }
            }
            let (mut lo, mut hi) = (0, longest);
            while lo < hi {
                let mid = lo + (hi - lo) / 2;
                if run_of(mid) == r {
                    hi = mid;
                } else {
                    lo = mid + 1;
                }
            }
            let Some(shorter) = lo.checked_sub(1) else {
                return;
            };
            longest = shorter;
        }
    }

    /// The indexes of the runs that may hold keys within `bounds`, in order.
    fn runs_within(&self, bounds: &KeyBounds) -> std::ops::Range<usize> {
        let first = match &bounds.start {
            Bound::Included(s) | Bound::Excluded(s) => self
                .starts
                .partition_point(|x| x.as_slice() <= s.as_slice()),
            Bound::Unbounded => 0,
        };
        let last = match &bounds.end {
            Bound::Included(e) => self
                .starts
                .partition_point(|x| x.as_slice() <= e.as_slice()),
            Bound::Excluded(e) => self.starts.partition_point(|x| x.as_slice() < e.as_slice()),
            Bound::Unbounded => self.runs.len().saturating_sub(1),
        };
        first..(last + 1).min(self.runs.len()).max(first)
    }

    /// Pushes up to `limit` entries of `part` within `bounds` into `out`, from the
    /// low end, or from the high end (descending) when `from_back`. Keys are copied
    /// from each run's lent keys straight into the chunk's buffer.
    pub(crate) fn fetch(
        &self,
        part: Part,
        bounds: &KeyBounds,
        limit: usize,
        from_back: bool,
        out: &mut Chunk<V>,
    ) {
        let runs = &self.runs[self.runs_within(bounds)];
        let mut take = |run: &Run| {
            if let Some(layer) = run.part(part) {
                let mut range = layer.range_bounds(bounds.clone());
                while out.pushed() < limit {
                    let next = if from_back {
                        range.next_back_ref()
                    } else {
                        range.next_ref()
                    };
                    let Some((key, out_value)) = next else {
                        break;
                    };
                    let value = match part {
                        Part::Live => Some(self.value(out_value)),
                        Part::Tombstones => None,
                    };
                    out.push(key, value);
                }
            }
            out.pushed() < limit
        };
        if from_back {
            for run in runs.iter().rev() {
                if !take(run) {
                    break;
                }
            }
        } else {
            for run in runs {
                if !take(run) {
                    break;
                }
            }
        }
    }

    /// Live keys plus tombstones: the size the merge policy weighs.
    pub(crate) fn entry_count(&self) -> usize {
        self.entries
    }

    /// The number of tombstones.
    pub(crate) fn tombstone_count(&self) -> usize {
        self.tombstones
    }

    /// The segment's level in the merge policy.
    pub(crate) fn level(&self) -> u32 {
        self.level
    }

    /// Whether the segment has a Bloom filter.
    pub(crate) fn is_filtered(&self) -> bool {
        self.filter.is_some()
    }

    /// Heap bytes: the FSTs (as their own `memory_usage` counts them; a memory-mapped
    /// FST counts as the file's size), the run boundaries, the value slots and the
    /// filter.
    pub(crate) fn memory_usage(&self) -> usize {
        let runs: usize = self
            .runs
            .iter()
            .map(|r| {
                r.live.memory_usage() + r.tombstones.as_ref().map_or(0, FrozenLayer::memory_usage)
            })
            .sum();
        runs + self.starts.iter().map(Vec::capacity).sum::<usize>()
            + self.runs.capacity() * std::mem::size_of::<Run>()
            + self.values.memory_usage()
            + self.filter.as_ref().map_or(0, KeyFilter::memory_usage)
    }

    /// Checks the segment on its own; `oldest` says nothing lies under it.
    pub(crate) fn check(&self, oldest: bool) -> std::result::Result<(), String> {
        if self.starts.len() + 1 != self.runs.len().max(1) {
            return Err(format!(
                "{} run boundaries for {} runs",
                self.starts.len(),
                self.runs.len()
            ));
        }
        let live: usize = self.runs.iter().map(|r| r.live.len()).sum();
        if let Some(slots) = self.values.slot_count() {
            if slots != live {
                return Err(format!("{slots} value slots for {live} live keys"));
            }
        }
        let counted: usize = self.runs.iter().map(Run::len).sum();
        if counted != self.entries || self.entries - live != self.tombstones {
            return Err(format!(
                "counts {} entries and {} tombstones, the runs hold {counted} and {}",
                self.entries,
                self.tombstones,
                counted - live
            ));
        }
        for (i, run) in self.runs.iter().enumerate() {
            if run.len() == 0 {
                return Err(format!("run {i} is empty"));
            }
            if i > 0 && run.first_key().as_ref() != Some(&self.starts[i - 1]) {
                return Err(format!("run {i} does not start at its boundary"));
            }
            if let (Some(last), Some(next)) = (run.last_key(), self.starts.get(i)) {
                if last >= *next {
                    return Err(format!("run {i} reaches past the next run's start"));
                }
            }
            let Some(t) = &run.tombstones else { continue };
            if oldest {
                return Err(format!("the oldest segment keeps {} tombstones", t.len()));
            }
            if t.is_empty() {
                return Err("an empty tombstone FST is kept".into());
            }
            if let Some(k) = run.live_and_deleted() {
                return Err(format!(
                    "key {:?} is both live and deleted",
                    k.escape_ascii().to_string()
                ));
            }
        }
        if let Some(f) = &self.filter {
            let keys = self.runs.iter().flat_map(|r| {
                let dead = r.tombstones.iter().flat_map(|t| t.iter());
                r.live.iter().chain(dead)
            });
            for (k, _) in keys {
                if !f.may_contain(&k) {
                    return Err(format!(
                        "the filter misses key {:?}",
                        k.escape_ascii().to_string()
                    ));
                }
            }
        }
        Ok(())
    }
}

impl Segment<u64> {
    /// A segment of one run over FSTs read back from disk; `u64` values are the FST
    /// outputs. `keys_below` says whether an older segment holds live keys: without
    /// any, the tombstones delete nothing and are left out. An error when a key is
    /// both live and deleted.
    pub(crate) fn from_layers(
        live: FrozenLayer,
        tombstones: Option<FrozenLayer>,
        keys_below: bool,
        level: u32,
    ) -> Result<Segment<u64>> {
        let mut run = Run {
            live,
            tombstones: tombstones.filter(|t| !t.is_empty()),
        };
        if let Some(k) = run.live_and_deleted() {
            return Err(Error::corrupt(format!(
                "a segment holds the key {:?} both as live and as deleted",
                k.escape_ascii().to_string()
            )));
        }
        if !keys_below {
            run.tombstones = None;
        }
        let (entries, dead) = (run.len(), run.len() - run.live.len());
        Ok(Segment {
            runs: if entries == 0 { Vec::new() } else { vec![run] },
            starts: Vec::new(),
            values: Column::Inline,
            filter: None,
            level,
            entries,
            tombstones: dead,
        })
    }

    /// Writes the live keys and values into one `FrozenLayer` file at `path`.
    pub(crate) fn write_live(&self, path: &Path) -> Result<()> {
        self.write_part(Part::Live, path)
    }

    /// Writes the deleted keys into one `FrozenLayer` file at `path`; `false` (and no
    /// file) when the segment deletes nothing.
    pub(crate) fn write_tombstones(&self, path: &Path) -> Result<bool> {
        if self.tombstones == 0 {
            return Ok(false);
        }
        self.write_part(Part::Tombstones, path).map(|()| true)
    }

    fn write_part(&self, part: Part, path: &Path) -> Result<()> {
        let layers: Vec<&FrozenLayer> = self.runs.iter().filter_map(|r| r.part(part)).collect();
        if let [only] = layers.as_slice() {
            return only.write_to(path);
        }
        // Several runs: stream them into one file, in key order, with memory
        // independent of their size.
        let mut builder = FrozenLayerBuilder::create(path)?;
        for layer in layers {
            for (key, value) in layer.iter() {
                builder.insert(key, value)?;
            }
        }
        builder.finish_unopened().map(drop)
    }
}
