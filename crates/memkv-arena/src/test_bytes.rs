//! Byte strings for the arenas' property tests, cheap enough for Miri.
//!
//! Under Miri, drawing every byte from its own strategy dominated the crate's
//! test time (34 of 73 s for `BlobArena`'s model test alone), while what the
//! tests check (lengths, size classes, which bytes belong to which item) needs
//! only distinct contents, not random ones. So Miri gets a drawn length filled
//! with a drawn arithmetic pattern; native runs keep fully random bytes.

use std::ops::Range;

use proptest::prelude::*;

/// Byte strings with a length in `len`.
pub(crate) fn bytes(len: Range<usize>) -> BoxedStrategy<Vec<u8>> {
    if cfg!(miri) {
        (len, any::<u8>(), any::<u8>())
            .prop_map(|(n, start, step)| {
                (0..n)
                    .map(|j| start.wrapping_add(step.wrapping_mul(j as u8)))
                    .collect()
            })
            .boxed()
    } else {
        proptest::collection::vec(any::<u8>(), len).boxed()
    }
}
