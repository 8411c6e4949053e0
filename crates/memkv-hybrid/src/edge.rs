//! The ends of the store: `first`, `last`, `pop_first`, `pop_last`.
//!
//! A scan copies the delta's part of its range (the delta is mutable, behind the
//! state lock), so `iter().next()` would copy the whole delta to find one key.
//! These read only the delta's first (or last) few entries: enough when the merge
//! finds a live key the copied part still covers; otherwise they copy four times
//! as many and look again, which only a run of removed keys at the edge needs.

use memkv_core::KeyBounds;

use crate::merge::{Cursor, Merge};
use crate::store::HybridStore;
use crate::sync;

/// Delta entries read by the first attempt.
const FIRST_TAKE: usize = 16;

impl<V: Clone + Send + Sync + 'static> HybridStore<V> {
    /// The entry with the smallest key, as of now.
    pub fn first(&self) -> Option<(Vec<u8>, V)> {
        self.edge(false)
    }

    /// The entry with the largest key, as of now.
    pub fn last(&self) -> Option<(Vec<u8>, V)> {
        self.edge(true)
    }

    /// Removes and returns the entry with the smallest key. Two threads popping
    /// at once get different entries.
    ///
    /// ```
    /// use memkv_hybrid::HybridStore;
    ///
    /// let queue: HybridStore<u64> = HybridStore::new();
    /// queue.insert("job/0002", 2);
    /// queue.insert("job/0001", 1);
    /// queue.compact().unwrap();
    /// queue.insert("job/0003", 3);
    /// assert_eq!(queue.pop_first(), Some((b"job/0001".to_vec(), 1)));
    /// assert_eq!(queue.pop_last(), Some((b"job/0003".to_vec(), 3)));
    /// assert_eq!(queue.first(), queue.last());
    /// ```
    pub fn pop_first(&self) -> Option<(Vec<u8>, V)> {
        self.pop(false)
    }

    /// Removes and returns the entry with the largest key (see
    /// [`pop_first`](HybridStore::pop_first)).
    pub fn pop_last(&self) -> Option<(Vec<u8>, V)> {
        self.pop(true)
    }

    fn pop(&self, from_back: bool) -> Option<(Vec<u8>, V)> {
        loop {
            let (key, _) = self.edge(from_back)?;
            // Another thread may take the key first: then look again.
            if let Some(value) = self.remove(&key) {
                return Some((key, value));
            }
        }
    }

    /// The live entry at the low end (the high end, `from_back`).
    fn edge(&self, from_back: bool) -> Option<(Vec<u8>, V)> {
        let all = KeyBounds::all();
        let mut take = FIRST_TAKE;
        loop {
            let (mut delta, version) = {
                let st = sync::read(&self.shared.state);
                let delta = st.active.entries(&all, take, from_back);
                (delta, sync::Arc::clone(&st.version))
            };
            // Past this key the copy says nothing: the delta may hold more there.
            let reach = match delta.last() {
                Some((k, _)) if delta.len() == take => Some(k.clone()),
                _ => None,
            };
            if from_back {
                delta.reverse();
            }
            let mut sources = vec![Cursor::from_sorted(delta)];
            sources.extend(version.cursors(&all));
            let mut merge = Merge::new(sources);
            let found = loop {
                let next = if from_back {
                    merge.next_back()
                } else {
                    merge.next()
                };
                match next {
                    None => break None,
                    Some((k, Some(v))) => break Some((k, v)),
                    Some((_, None)) => {}
                }
            };
            let covered = match (&found, reach) {
                (_, None) => true,
                (Some((k, _)), Some(r)) => {
                    if from_back {
                        *k >= r
                    } else {
                        *k <= r
                    }
                }
                (None, Some(_)) => false,
            };
            if covered {
                return found;
            }
            take = take.saturating_mul(4);
        }
    }
}
