//! Scans with lent keys: the trees rebuild each key in their cursor, so their
//! iterators can lend it (`next_ref`) where the `Iterator` trait must copy it
//! out; `OrderedMap::for_each_in` on every tree drives one through
//! [`for_each_lent`], and `==` between two trees compares two with
//! [`lent_eq`].

use std::ops::ControlFlow;

/// An iterator of a tree that can lend its rebuilt key.
pub(crate) trait LendingIter<'a, V: 'a> {
    /// The next entry, its key lent until the next call.
    fn next_lent(&mut self) -> Option<(&[u8], &'a V)>;
}

/// Calls `f` with each entry of `entries` until it returns `Break`.
pub(crate) fn for_each_lent<'a, V: 'a>(
    mut entries: impl LendingIter<'a, V>,
    mut f: impl FnMut(&[u8], &V) -> ControlFlow<()>,
) {
    while let Some((k, v)) = entries.next_lent() {
        if f(k, v).is_break() {
            return;
        }
    }
}

/// Whether `a` and `b` yield the same entries, comparing lent keys (no key is
/// copied).
pub(crate) fn lent_eq<'a, 'b, V: PartialEq + 'a + 'b>(
    mut a: impl LendingIter<'a, V>,
    mut b: impl LendingIter<'b, V>,
) -> bool {
    loop {
        match (a.next_lent(), b.next_lent()) {
            (Some((ka, va)), Some((kb, vb))) => {
                if ka != kb || va != vb {
                    return false;
                }
            }
            (None, None) => return true,
            _ => return false,
        }
    }
}
