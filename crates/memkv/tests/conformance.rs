//! `MemKV` runs the shared conformance suite, alone and under concurrent use.

use memkv::MemKV;
use memkv_core::conformance::{check_concurrent, Suite};

#[test]
fn memkv_conforms() {
    Suite::new("MemKV").run(MemKV::<u64>::new);
}

#[test]
fn memkv_keeps_every_write_under_concurrent_readers_and_writers() {
    let kv: MemKV<u64> = MemKV::new();
    check_concurrent(&kv, |kv| {
        let _ = kv.memory_usage();
    })
    .unwrap();
}
