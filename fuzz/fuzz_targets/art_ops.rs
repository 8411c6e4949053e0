//! The conformance suite's replay (`memkv_core::conformance::Suite::replay`) on
//! operation sequences decoded from the fuzzer's bytes, for the four radix trees:
//! every answer compared with a `BTreeMap` model and the tree's invariant checker
//! run after every step. Where proptest draws sequences at random, the fuzzer
//! steers them towards code paths not yet covered (node growth and shrinking,
//! bucket splits, prefix re-merges), and the address sanitizer watches the
//! arena crate's unsafe code.
#![no_main]

use libfuzzer_sys::fuzz_target;
use memkv_art::{AdaptiveRadixTree, ArenaArt, CompactArt, UltraCompactArt};
use memkv_core::conformance::{Op, Suite};
use memkv_core::{CheckInvariants, OrderedMapMut};

mod decode;

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    let ops = decode::ops(rest);
    match which % 4 {
        0 => run::<ArenaArt<u64>>("ArenaArt", &ops),
        1 => run::<CompactArt<u64>>("CompactArt", &ops),
        2 => run::<UltraCompactArt<u64>>("UltraCompactArt", &ops),
        _ => run::<AdaptiveRadixTree<u64>>("AdaptiveRadixTree", &ops),
    }
});

fn run<M>(name: &str, ops: &[Op])
where
    M: OrderedMapMut<Value = u64> + CheckInvariants + Default,
{
    let suite = Suite::<M>::new(name).with_invariants();
    if let Err(why) = suite.replay(&mut M::default(), ops) {
        panic!("{name}: {why}");
    }
}
