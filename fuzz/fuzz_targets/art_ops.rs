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
    match which % 5 {
        0 => run("ArenaArt", ArenaArt::new(), &ops),
        1 => run("CompactArt", CompactArt::new(), &ops),
        2 => run("UltraCompactArt", UltraCompactArt::new(), &ops),
        3 => run("AdaptiveRadixTree", AdaptiveRadixTree::new(), &ops),
        // The bucket layout of a map past 8 GiB: chunks of one size class each.
        _ => run(
            "ArenaArt (class bucket chunks)",
            ArenaArt::with_class_bucket_chunks_from(0),
            &ops,
        ),
    }
});

fn run<M>(name: &str, mut map: M, ops: &[Op])
where
    M: OrderedMapMut<Value = u64> + CheckInvariants,
{
    let suite = Suite::<M>::new(name).with_invariants();
    if let Err(why) = suite.replay(&mut map, ops) {
        panic!("{name}: {why}");
    }
}
