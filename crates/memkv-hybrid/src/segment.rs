//! Segments: the immutable layers under the delta.
//!
//! A segment is a [`FrozenLayer`] of live keys (its outputs are values or value slots,
//! see [`Column`]) plus, when older segments exist under it, a second `FrozenLayer`
//! holding the keys it deletes. Keeping tombstones in their own FST costs nothing when
//! there are none (the oldest segment never has any) and keeps every `u64` usable as a
//! value.

use memkv_core::{KeyBounds, Result};
use memkv_frozen::FrozenLayer;

use crate::delta::Found;
use crate::filter::KeyFilter;
use crate::value::Column;

/// Which of a segment's two FSTs a scan reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Part {
    /// The live keys and their values.
    Live,
    /// The deleted keys.
    Tombstones,
}

/// One immutable layer of the store.
#[derive(Debug)]
pub(crate) struct Segment<V> {
    live: FrozenLayer,
    tombstones: Option<FrozenLayer>,
    values: Column<V>,
    /// Every key of both FSTs; absent on the oldest segment and on segments read
    /// from disk.
    filter: Option<KeyFilter>,
}

impl<V: Clone + 'static> Segment<V> {
    /// Builds a segment from entries in strictly increasing key order (`None` is a
    /// tombstone), at most `expected` of them.
    ///
    /// `oldest` says nothing lies under the new segment: its tombstones are dropped
    /// (there is nothing left for them to hide) and it gets no filter.
    pub(crate) fn build(
        entries: impl Iterator<Item = (Vec<u8>, Option<V>)>,
        expected: usize,
        oldest: bool,
    ) -> Result<Segment<V>> {
        let mut values = Column::new();
        let mut deleted = Vec::new();
        let mut filter = (!oldest).then(|| KeyFilter::with_capacity(expected));
        let live = FrozenLayer::from_sorted_iter(entries.filter_map(|(key, entry)| {
            if entry.is_some() || !oldest {
                if let Some(f) = &mut filter {
                    f.insert(&key);
                }
            }
            match entry {
                Some(v) => Some((key, values.push(v))),
                None => {
                    if !oldest {
                        deleted.push(key);
                    }
                    None
                }
            }
        }))?;
        values.shrink_to_fit();
        let tombstones = if deleted.is_empty() {
            None
        } else {
            Some(FrozenLayer::from_sorted_iter(
                deleted.iter().map(|k| (k, 0)),
            )?)
        };
        Ok(Segment {
            live,
            tombstones,
            values,
            filter,
        })
    }

    /// What this segment says about `key`.
    pub(crate) fn find(&self, key: &[u8]) -> Found<V> {
        if self.filter.as_ref().is_some_and(|f| !f.may_contain(key)) {
            return Found::Absent;
        }
        if let Some(output) = self.live.get(key) {
            return Found::Value(self.value(output));
        }
        match &self.tombstones {
            Some(t) if t.get(key).is_some() => Found::Deleted,
            _ => Found::Absent,
        }
    }

    fn value(&self, output: u64) -> V {
        self.values
            .get(output)
            .expect("segment invariant: every FST output names a stored value")
    }

    /// Up to `limit` entries of `part` within `bounds`, from the low end, or from the
    /// high end (descending) when `from_back`.
    pub(crate) fn entries(
        &self,
        part: Part,
        bounds: &KeyBounds,
        limit: usize,
        from_back: bool,
    ) -> Vec<(Vec<u8>, Option<V>)> {
        let layer = match part {
            Part::Live => &self.live,
            Part::Tombstones => match &self.tombstones {
                Some(t) => t,
                None => return Vec::new(),
            },
        };
        let decode = |(k, out): (Vec<u8>, u64)| match part {
            Part::Live => (k, Some(self.value(out))),
            Part::Tombstones => (k, None),
        };
        let range = layer.range_bounds(bounds.clone());
        if from_back {
            range.rev().take(limit).map(decode).collect()
        } else {
            range.take(limit).map(decode).collect()
        }
    }

    /// Live keys plus tombstones: the size the merge policy weighs.
    pub(crate) fn entry_count(&self) -> usize {
        self.live.len() + self.tombstone_count()
    }

    /// The number of tombstones.
    pub(crate) fn tombstone_count(&self) -> usize {
        self.tombstones.as_ref().map_or(0, FrozenLayer::len)
    }

    /// Heap bytes: both FSTs (as their own `memory_usage` counts them; a memory-mapped
    /// FST counts as the file's size) and the value slots.
    pub(crate) fn memory_usage(&self) -> usize {
        self.live.memory_usage()
            + self
                .tombstones
                .as_ref()
                .map_or(0, FrozenLayer::memory_usage)
            + self.values.memory_usage()
            + self.filter.as_ref().map_or(0, KeyFilter::memory_usage)
    }

    /// Checks the segment on its own; `oldest` says nothing lies under it.
    pub(crate) fn check(&self, oldest: bool) -> std::result::Result<(), String> {
        if let Some(slots) = self.values.slot_count() {
            if slots != self.live.len() {
                return Err(format!(
                    "{slots} value slots for {} live keys",
                    self.live.len()
                ));
            }
        }
        if let Some(f) = &self.filter {
            let tombstones = self.tombstones.iter().flat_map(|t| t.iter());
            if let Some((k, _)) = self
                .live
                .iter()
                .chain(tombstones)
                .find(|(k, _)| !f.may_contain(k))
            {
                return Err(format!(
                    "the filter misses key {:?}",
                    k.escape_ascii().to_string()
                ));
            }
        }
        if let Some(t) = &self.tombstones {
            if oldest {
                return Err(format!("the oldest segment keeps {} tombstones", t.len()));
            }
            if t.is_empty() {
                return Err("an empty tombstone FST is kept".into());
            }
            if let Some((k, _)) = t.iter().find(|(k, _)| self.live.get(k).is_some()) {
                return Err(format!(
                    "key {:?} is both live and deleted",
                    k.escape_ascii().to_string()
                ));
            }
        }
        Ok(())
    }
}

impl Segment<u64> {
    /// A segment over FSTs read back from disk; `u64` values are the FST outputs.
    pub(crate) fn from_layers(live: FrozenLayer, tombstones: Option<FrozenLayer>) -> Segment<u64> {
        Segment {
            live,
            tombstones: tombstones.filter(|t| !t.is_empty()),
            values: Column::Inline,
            filter: None,
        }
    }

    /// The live-key FST.
    pub(crate) fn live(&self) -> &FrozenLayer {
        &self.live
    }

    /// The tombstone FST, if the segment deletes anything.
    pub(crate) fn tombstones(&self) -> Option<&FrozenLayer> {
        self.tombstones.as_ref()
    }
}
