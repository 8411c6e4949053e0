//! Automaton searches: the keys an `fst` automaton accepts, streamed in key order.
//!
//! The FST is walked together with the automaton, so subtrees the automaton can no
//! longer match are skipped whole; nothing is collected first.

use std::fmt;
use std::iter::FusedIterator;

use fst::automaton::Subsequence;
use fst::raw::Stream;
use fst::{Automaton, IntoStreamer, Streamer};

use crate::FrozenLayer;

/// The entries whose keys an automaton accepts, in key order.
pub struct FrozenSearch<'a, A: Automaton> {
    layer: &'a FrozenLayer,
    stream: Stream<'a, A>,
    done: bool,
}

impl<A: Automaton> fmt::Debug for FrozenSearch<'_, A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FrozenSearch")
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}

impl<A: Automaton> Iterator for FrozenSearch<'_, A> {
    type Item = (Vec<u8>, u64);

    fn next(&mut self) -> Option<(Vec<u8>, u64)> {
        if self.done {
            return None;
        }
        match self.stream.next() {
            Some((key, ordinal)) => Some((key.to_vec(), self.layer.value_at(ordinal.value()))),
            None => {
                self.done = true;
                None
            }
        }
    }
}

impl<A: Automaton> FusedIterator for FrozenSearch<'_, A> {}

impl FrozenLayer {
    /// The entries whose keys `automaton` accepts, in key order.
    ///
    /// ```
    /// use memkv_frozen::{automaton::{Automaton, Str}, FrozenLayer};
    ///
    /// let layer = FrozenLayer::from_sorted_iter([("bar", 1), ("baz", 2), ("foo", 3)])?;
    /// let hits: Vec<u64> = layer.search(Str::new("ba").starts_with()).map(|(_, v)| v).collect();
    /// assert_eq!(hits, [1, 2]);
    /// # Ok::<(), memkv_core::Error>(())
    /// ```
    pub fn search<A: Automaton>(&self, automaton: A) -> FrozenSearch<'_, A> {
        FrozenSearch {
            layer: self,
            stream: self.fst().search(automaton).into_stream(),
            done: false,
        }
    }

    /// The entries whose keys contain the bytes of `pattern` in order, not
    /// necessarily adjacent (`"mkv"` matches `"memkv"`). Keys need not be UTF-8.
    pub fn subsequence<'a>(&'a self, pattern: &'a str) -> FrozenSearch<'a, Subsequence<'a>> {
        self.search(Subsequence::new(pattern))
    }

    /// The entries whose keys are within Levenshtein distance `distance` of `query`
    /// (counted in Unicode characters; keys that are not UTF-8 never match).
    ///
    /// Returns [`memkv_core::Error::CapacityExceeded`] when the automaton for this
    /// query and distance would exceed `fst`'s state limit (large distances on long
    /// queries).
    #[cfg(feature = "levenshtein")]
    pub fn fuzzy(
        &self,
        query: &str,
        distance: u32,
    ) -> memkv_core::Result<FrozenSearch<'_, fst::automaton::Levenshtein>> {
        const STATE_LIMIT: usize = 10_000;
        let automaton = fst::automaton::Levenshtein::new_with_limit(query, distance, STATE_LIMIT)
            .map_err(|_| memkv_core::Error::CapacityExceeded {
            what: "Levenshtein automaton states",
            limit: STATE_LIMIT as u64,
        })?;
        Ok(self.search(automaton))
    }
}
