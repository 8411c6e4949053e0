//! A loom model of segment publication and reclamation.
//!
//! Run with `RUSTFLAGS="--cfg loom" cargo test -p memkv-hybrid --test loom --release`.
//! The store is compiled against loom's locks and `Arc`, so loom explores the
//! interleavings of a writer that freezes, merges and publishes segments with a
//! reader that gets and scans, and checks at the end of every execution that each
//! `Arc` (versions, segments, frozen deltas) was freed: a replaced segment set is
//! reclaimed once its last reader lets go, and never while one still holds it.
#![cfg(loom)]

use loom::sync::Arc;
use loom::thread;
use memkv_hybrid::{HybridConfig, HybridStore};

/// Stack of every modelled thread. Loom runs threads on 32 KiB stacks by default,
/// which the unoptimised store (an insert into the delta, an FST built by a
/// compaction) can outgrow.
const STACK: usize = 1 << 20;

/// Runs `f` on a modelled thread with a [`STACK`]-byte stack.
fn spawn<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> thread::JoinHandle<T> {
    thread::Builder::new()
        .stack_size(STACK)
        .spawn(f)
        .expect("loom spawns the thread")
}

fn store() -> HybridStore<u64> {
    let store = HybridStore::with_config(HybridConfig::default().background(false));
    store.insert(b"a", 1);
    store.insert(b"b", 2);
    store.compact().unwrap();
    store
}

#[test]
fn readers_see_every_write_while_the_delta_is_frozen_and_published() {
    let mut model = loom::model::Builder::new();
    model.preemption_bound = Some(2);
    model.check(|| spawn(readers_see_every_write).join().unwrap());
}

fn readers_see_every_write() {
    // Segment {a: 1, b: 2} under a delta {a: 3, b: deleted}.
    let store = Arc::new(store());
    store.insert(b"a", 3);
    store.remove(b"b");
    let writer = {
        let store = Arc::clone(&store);
        spawn(move || {
            store.insert(b"c", 5);
            store.compact().unwrap();
        })
    };
    // Wherever the freeze, merge and publication are, the delta's writes stay
    // visible: no old value resurfaces, no deleted key comes back.
    assert_eq!(store.get(b"a"), Some(3));
    assert_eq!(store.get(b"b"), None);
    let c1 = store.get(b"c");
    let c2 = store.get(b"c");
    assert!(
        matches!(
            (c1, c2),
            (None, None) | (None, Some(5)) | (Some(5), Some(5))
        ),
        "c went {c1:?} then {c2:?}"
    );
    let scan: Vec<(Vec<u8>, u64)> = store.iter().collect();
    let without_c = vec![(b"a".to_vec(), 3)];
    let with_c = vec![(b"a".to_vec(), 3), (b"c".to_vec(), 5)];
    assert!(
        scan == without_c || scan == with_c,
        "impossible scan {scan:?}"
    );
    writer.join().unwrap();
    assert_eq!(store.iter().collect::<Vec<_>>(), with_c);
    assert_eq!(store.stats().segments, [2]);
}

#[test]
fn a_scan_keeps_the_segments_it_reads_alive() {
    let mut model = loom::model::Builder::new();
    model.preemption_bound = Some(2);
    model.check(|| spawn(a_scan_keeps_its_segments).join().unwrap());
}

fn a_scan_keeps_its_segments() {
    let store = Arc::new(store());
    let mut scan = store.iter();
    let compactor = {
        let store = Arc::clone(&store);
        spawn(move || {
            store.insert(b"c", 4);
            store.compact().unwrap();
        })
    };
    // The scan started before the compaction and reads the old segment to its end.
    assert_eq!(scan.next(), Some((b"a".to_vec(), 1)));
    assert_eq!(scan.next(), Some((b"b".to_vec(), 2)));
    assert_eq!(scan.next(), None);
    drop(scan);
    compactor.join().unwrap();
    assert_eq!(store.len(), 3);
}
