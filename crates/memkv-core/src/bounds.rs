//! Owned byte-key bounds: what a range or prefix query covers.

use std::ops::{Bound, RangeBounds};

/// An owned pair of byte-key bounds.
///
/// Iterators keep one of these so they do not borrow the caller's bounds. It
/// implements [`RangeBounds<[u8]>`], so it can be passed anywhere a range is taken.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyBounds {
    /// Lower bound.
    pub start: Bound<Vec<u8>>,
    /// Upper bound.
    pub end: Bound<Vec<u8>>,
}

impl KeyBounds {
    /// All keys.
    pub fn all() -> KeyBounds {
        KeyBounds {
            start: Bound::Unbounded,
            end: Bound::Unbounded,
        }
    }

    /// Copies any `RangeBounds<[u8]>` (for example `..`, `a..b` over `&[u8]`, or a
    /// tuple of `Bound<&[u8]>`).
    pub fn from_range<R: RangeBounds<[u8]> + ?Sized>(range: &R) -> KeyBounds {
        KeyBounds {
            start: owned(range.start_bound()),
            end: owned(range.end_bound()),
        }
    }

    /// The keys that start with `prefix`: `[prefix, successor(prefix))`.
    pub fn prefix(prefix: &[u8]) -> KeyBounds {
        KeyBounds {
            start: Bound::Included(prefix.to_vec()),
            end: match prefix_successor(prefix) {
                Some(end) => Bound::Excluded(end),
                None => Bound::Unbounded,
            },
        }
    }

    /// Whether `key` lies within the bounds.
    pub fn contains(&self, key: &[u8]) -> bool {
        self.is_above_start(key) && self.is_below_end(key)
    }

    /// Whether `key` satisfies the lower bound.
    pub fn is_above_start(&self, key: &[u8]) -> bool {
        match &self.start {
            Bound::Included(s) => key >= s.as_slice(),
            Bound::Excluded(s) => key > s.as_slice(),
            Bound::Unbounded => true,
        }
    }

    /// Whether `key` satisfies the upper bound.
    pub fn is_below_end(&self, key: &[u8]) -> bool {
        match &self.end {
            Bound::Included(e) => key <= e.as_slice(),
            Bound::Excluded(e) => key < e.as_slice(),
            Bound::Unbounded => true,
        }
    }

    /// Whether no key at all can satisfy both bounds (for example `b..a`, or `a..a`).
    pub fn is_empty(&self) -> bool {
        match (&self.start, &self.end) {
            (Bound::Unbounded, _) | (_, Bound::Unbounded) => false,
            (Bound::Included(s), Bound::Included(e)) => s > e,
            (Bound::Included(s), Bound::Excluded(e)) => s >= e,
            (Bound::Excluded(s), Bound::Included(e)) => s >= e,
            // (s, e) is empty when e <= s or when e is s's immediate successor s\0.
            (Bound::Excluded(s), Bound::Excluded(e)) => {
                e <= s || (e.len() == s.len() + 1 && e.starts_with(s) && e[s.len()] == 0)
            }
        }
    }
}

impl RangeBounds<[u8]> for KeyBounds {
    fn start_bound(&self) -> Bound<&[u8]> {
        borrowed(&self.start)
    }
    fn end_bound(&self) -> Bound<&[u8]> {
        borrowed(&self.end)
    }
}

fn owned(b: Bound<&[u8]>) -> Bound<Vec<u8>> {
    match b {
        Bound::Included(k) => Bound::Included(k.to_vec()),
        Bound::Excluded(k) => Bound::Excluded(k.to_vec()),
        Bound::Unbounded => Bound::Unbounded,
    }
}

fn borrowed(b: &Bound<Vec<u8>>) -> Bound<&[u8]> {
    match b {
        Bound::Included(k) => Bound::Included(k.as_slice()),
        Bound::Excluded(k) => Bound::Excluded(k.as_slice()),
        Bound::Unbounded => Bound::Unbounded,
    }
}

/// The smallest key greater than every key that starts with `prefix`, or `None` when
/// there is no such key (the prefix is empty or all `0xFF` bytes).
///
/// ```
/// use memkv_core::prefix_successor;
/// assert_eq!(prefix_successor(b"ab"), Some(b"ac".to_vec()));
/// assert_eq!(prefix_successor(b"a\xff"), Some(b"b".to_vec()));
/// assert_eq!(prefix_successor(b"\xff\xff"), None);
/// assert_eq!(prefix_successor(b""), None);
/// ```
pub fn prefix_successor(prefix: &[u8]) -> Option<Vec<u8>> {
    let last = prefix.iter().rposition(|&b| b != 0xFF)?;
    let mut succ = prefix[..=last].to_vec();
    succ[last] += 1;
    Some(succ)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn key() -> impl Strategy<Value = Vec<u8>> {
        proptest::collection::vec(
            prop_oneof![Just(0u8), Just(1), Just(0xFE), Just(0xFF)],
            0..4,
        )
    }

    proptest! {
        #[test]
        fn prefix_bounds_match_starts_with(p in key(), k in key()) {
            prop_assert_eq!(KeyBounds::prefix(&p).contains(&k), k.starts_with(&p));
        }

        #[test]
        fn is_empty_means_no_key_inside(s in key(), e in key(), si in any::<bool>(), ei in any::<bool>(), probe in key()) {
            let b = KeyBounds {
                start: if si { Bound::Included(s) } else { Bound::Excluded(s) },
                end: if ei { Bound::Included(e) } else { Bound::Excluded(e) },
            };
            if b.is_empty() {
                prop_assert!(!b.contains(&probe));
            }
        }
    }

    #[test]
    fn excluded_pair_around_single_successor_is_empty() {
        let b = KeyBounds {
            start: Bound::Excluded(b"a".to_vec()),
            end: Bound::Excluded(b"a\0".to_vec()),
        };
        assert!(b.is_empty());
        assert!(!KeyBounds::from_range(&(
            Bound::Excluded(&b"a"[..]),
            Bound::Excluded(&b"a\0\0"[..])
        ))
        .is_empty());
    }
}
