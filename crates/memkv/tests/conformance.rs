//! `MemKV` runs the shared conformance suite, alone and under concurrent use, on its
//! default hybrid engine (with compactions at random points) and on a locked
//! `SimpleKV`.

use memkv::MemKV;
use memkv_core::conformance::{check_concurrent, check_concurrent_updates, Suite};
use memkv_core::{Locked, SimpleKV};
use memkv_hybrid::HybridConfig;

#[test]
fn memkv_conforms() {
    // Fewer cases than the suite's default: each compaction rebuilds FSTs with 64 KiB
    // keys, which is slow in debug builds.
    Suite::new("MemKV")
        .cases(64)
        .maintain(|kv: &mut MemKV<u64>| kv.compact().unwrap())
        .run(MemKV::<u64>::new);
}

#[test]
fn memkv_conforms_while_its_engine_flushes_in_the_background() {
    Suite::new("MemKV (small delta)")
        .cases(64)
        .run(|| MemKV::<u64>::with_config(HybridConfig::default().flush_threshold(500)));
}

#[test]
fn memkv_keeps_every_write_under_concurrent_readers_writers_and_compactions() {
    let kv: MemKV<u64> = MemKV::new();
    check_concurrent(&kv, |kv| kv.compact().unwrap()).unwrap();
    let kv: MemKV<u64> = MemKV::new();
    check_concurrent_updates(&kv, |kv| kv.compact().unwrap()).unwrap();
}

#[test]
fn memkv_on_a_locked_simple_kv_conforms() {
    type Locked64 = MemKV<u64, Locked<SimpleKV<u64>>>;
    Suite::new("MemKV<Locked<SimpleKV>>")
        .cases(64)
        .run(Locked64::new);
    let kv = Locked64::new();
    check_concurrent(&kv, |kv| {
        let _ = kv.memory_usage();
    })
    .unwrap();
}
