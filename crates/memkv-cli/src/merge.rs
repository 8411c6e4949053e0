//! `memkv merge`: a k-way merge of frozen files into a new one, streamed (memory
//! independent of the number of keys); on equal keys the later input wins.

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;
use std::path::{Path, PathBuf};

use memkv_frozen::{FrozenLayer, FrozenLayerBuilder, FrozenRange};

use crate::error::CliError;
use crate::progress::Progress;
use crate::query::open;

/// The smallest unmerged entry of one input.
struct Head {
    key: Vec<u8>,
    value: u64,
    input: usize,
}

impl Head {
    /// Key order; among equal keys the later input first, so it is the one kept.
    fn order(&self) -> (&[u8], Reverse<usize>) {
        (&self.key, Reverse(self.input))
    }
}

impl PartialEq for Head {
    fn eq(&self, other: &Self) -> bool {
        self.order() == other.order()
    }
}
impl Eq for Head {}
impl PartialOrd for Head {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Head {
    fn cmp(&self, other: &Self) -> Ordering {
        self.order().cmp(&other.order())
    }
}

/// Merges `inputs` into `output`; returns the new file.
pub fn merge(
    output: &Path,
    inputs: &[PathBuf],
    progress: Progress,
) -> Result<FrozenLayer, CliError> {
    let layers = inputs
        .iter()
        .map(|p| open(p))
        .collect::<Result<Vec<_>, _>>()?;
    let total = layers.iter().map(|l| l.len() as u64).sum();
    let mut streams: Vec<FrozenRange<'_>> = layers.iter().map(FrozenLayer::iter).collect();
    let mut heap = BinaryHeap::with_capacity(streams.len());
    for (input, stream) in streams.iter_mut().enumerate() {
        if let Some((key, value)) = stream.next() {
            heap.push(Reverse(Head { key, value, input }));
        }
    }
    let mut builder = FrozenLayerBuilder::create(output).map_err(|e| CliError::at(output, e))?;
    let bar = progress.records("merging", total);
    let mut last: Option<Vec<u8>> = None;
    while let Some(Reverse(head)) = heap.pop() {
        bar.inc(1);
        if let Some((key, value)) = streams[head.input].next() {
            heap.push(Reverse(Head {
                key,
                value,
                input: head.input,
            }));
        }
        // The first of equal keys to come out is the latest input's: skip the rest.
        if last.as_deref() == Some(&head.key[..]) {
            continue;
        }
        builder
            .insert(&head.key, head.value)
            .map_err(|e| CliError::at(output, e))?;
        last = Some(head.key);
    }
    bar.finish_and_clear();
    builder.finish().map_err(|e| CliError::at(output, e))
}
