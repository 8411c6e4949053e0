//! `FrozenLayer::from_bytes` on arbitrary bytes: it must return an error or a
//! layer whose every query returns without panicking and never yields more
//! entries than the layer holds.
//!
//! Each input is tried twice: as it is (the checksum turns away almost every
//! mutation), and with its footer checksum recomputed, so that the structural
//! check of the FST and value sections is what stands between the bytes and the
//! readers (a file written by a buggy tool, or crafted on purpose).
#![no_main]

use libfuzzer_sys::fuzz_target;
use memkv_frozen::FrozenLayer;

#[path = "../../crates/memkv-frozen/tests/damaged/mod.rs"]
mod damaged;

fuzz_target!(|data: &[u8]| {
    check(data.to_vec());
    let mut resealed = data.to_vec();
    damaged::reseal(&mut resealed);
    check(resealed);
});

fn check(bytes: Vec<u8>) {
    if let Ok(layer) = FrozenLayer::from_bytes(bytes) {
        damaged::exercise(&layer);
    }
}
