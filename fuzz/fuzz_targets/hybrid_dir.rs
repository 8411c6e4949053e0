//! `HybridStore::open` on store directories made from the fuzzer's bytes: it
//! must refuse what is inconsistent, open what is consistent, and then behave as
//! the conformance suite's model says.
//!
//! Two kinds of input, told apart by the first byte's top bit:
//!
//! - **segments**: up to four segments, each a file of live keys and one of
//!   tombstones built from decoded keys, and a manifest naming them with the true
//!   key count or a forged one. A key both live and deleted in one segment must
//!   be refused; tombstones with nothing under them delete nothing (`open`
//!   drops them). Otherwise, with the true
//!   count, the store must open with the contents the segments say (newest
//!   first), then pass the suite's replay of the operations decoded from the
//!   remaining bytes (flushes and compactions included), its invariant checker
//!   after every step. With a forged count it may open or not, and whatever it
//!   then does must not panic.
//! - **manifest text**: the remaining bytes, with a correct checksum line
//!   appended, as the manifest of a directory holding a few valid segment
//!   files: the parser and the checks after it must return an error or a store
//!   that works without panicking.
//!
//! Each input writes files: run it with `TMPDIR=/dev/shm` (or another memory
//! file system), where the fsyncs of the atomic writes cost nothing.
#![no_main]

use std::fs;
use std::path::PathBuf;

use libfuzzer_sys::fuzz_target;
use memkv_core::conformance::{Model, Op, Suite};
use memkv_frozen::FrozenLayerBuilder;
use memkv_hybrid::{HybridConfig, HybridStore, MANIFEST};

mod decode;

use decode::Input;

fuzz_target!(|data: &[u8]| {
    let dir = scratch();
    let mut input = Input(data);
    let head = input.byte().unwrap_or(0);
    if head & 0x80 == 0 {
        segments(&dir, head, input);
    } else {
        manifest_text(&dir, input.0);
    }
});

/// A fresh, empty directory of this process's own.
fn scratch() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("memkv-fuzz-hybrid-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("the fuzzer needs a writable temporary directory");
    dir
}

/// A store configuration under which small inputs still flush and merge.
fn config() -> HybridConfig {
    HybridConfig::default()
        .flush_threshold(400)
        .run_entries(3)
        .background(false)
}

/// One segment as decoded: sorted live keys with their values, sorted tombstones.
struct Segment {
    live: Model,
    dead: Model,
}

fn segments(dir: &std::path::Path, head: u8, mut input: Input) {
    let count = usize::from(head & 3) + 1;
    let forged = head & 0x40 != 0;
    // Newest first, as the manifest lists them.
    let segments: Vec<Segment> = (0..count)
        .map(|_| {
            let lives = input.byte().unwrap_or(0);
            let deads = input.byte().unwrap_or(0);
            let mut live = Model::new();
            for _ in 0..lives % 8 {
                let key = input.key();
                live.insert(key, u64::from(input.byte().unwrap_or(0)));
            }
            let mut dead = Model::new();
            for _ in 0..deads % 4 {
                dead.insert(input.key(), 0);
            }
            Segment { live, dead }
        })
        .collect();

    let mut manifest_segments = Vec::new();
    for (i, s) in segments.iter().enumerate() {
        let live = format!("{i}.live");
        write_layer(dir, &live, &s.live);
        let tomb = (!s.dead.is_empty()).then(|| format!("{i}.tomb"));
        if let Some(t) = &tomb {
            write_layer(dir, t, &s.dead);
        }
        manifest_segments.push((live, tomb));
    }

    let contradiction = segments
        .iter()
        .any(|s| s.dead.keys().any(|k| s.live.contains_key(k)));
    let mut model = Model::new();
    for s in segments.iter().rev() {
        for k in s.dead.keys() {
            model.remove(k);
        }
        model.extend(s.live.clone());
    }
    let len = if forged {
        usize::from(input.byte().unwrap_or(0))
    } else {
        model.len()
    };
    write_manifest(dir, &manifest_body(len, &manifest_segments));
    let ops = decode::ops(input.0);

    let opened = HybridStore::open_with_config(dir, config());
    if contradiction {
        assert!(
            opened.is_err(),
            "opened a segment holding a key both live and deleted"
        );
        return;
    }
    if len != model.len() {
        // A forged count: an error, or a store whose `len` may be wrong.
        if let Ok(mut store) = opened {
            exercise(&mut store, &ops);
        }
        return;
    }
    let mut store = match opened {
        Ok(store) => store,
        Err(e) => panic!("a consistent store directory did not open: {e}"),
    };
    if let Err(why) = suite().replay_from(&mut store, model, &ops) {
        panic!("{why}");
    }
}

fn manifest_text(dir: &std::path::Path, body: &[u8]) {
    let one: Model = [(b"a".to_vec(), 1), (b"ab".to_vec(), 2), (b"b".to_vec(), 3)].into();
    let two: Model = [(b"c".to_vec(), 4), (b"d".to_vec(), 5)].into();
    let gone: Model = [(b"c".to_vec(), 0)].into();
    write_layer(dir, "1.live", &one);
    write_layer(dir, "1.tomb", &gone);
    write_layer(dir, "2.live", &two);
    let crc = crc32fast::hash(body);
    let mut bytes = body.to_vec();
    bytes.extend_from_slice(format!("crc32 {crc:08x}\n").as_bytes());
    fs::write(dir.join(MANIFEST), bytes).expect("write the manifest");
    if let Ok(mut store) = HybridStore::open_with_config(dir, config()) {
        let ops = [
            Op::Iter(true),
            Op::Len,
            Op::Maintain,
            Op::Pop(false),
            Op::Remove(b"d".to_vec()),
            Op::Insert(b"e".to_vec(), 6),
            Op::Maintain,
            Op::Iter(false),
        ];
        // What the manifest says may be anything: only a panic is a finding.
        exercise(&mut store, &ops);
    }
}

/// Runs `ops` on a store whose contents are not known, for panics only.
fn exercise(store: &mut HybridStore<u64>, ops: &[Op]) {
    for op in ops {
        match op {
            Op::Insert(k, v) => drop(store.insert(k, *v)),
            Op::Remove(k) => drop(store.remove(k)),
            Op::Pop(true) => drop(store.pop_last()),
            Op::Pop(false) => drop(store.pop_first()),
            Op::Retain { modulus, residue } => {
                let doomed: Vec<Vec<u8>> = store
                    .iter()
                    .filter(|(_, v)| v % modulus == *residue)
                    .map(|(k, _)| k)
                    .collect();
                for k in doomed {
                    store.remove(k);
                }
            }
            Op::Get(k) => drop(store.get(k)),
            Op::Len => drop(store.len()),
            Op::Range(b, true) => drop(store.range(b.clone()).rev().count()),
            Op::Range(b, false) | Op::ForEach(b, _) => drop(store.range(b.clone()).count()),
            Op::Zigzag(b, sides) => {
                let mut scan = store.range(b.clone());
                for &back in sides {
                    let _ = if back { scan.next_back() } else { scan.next() };
                }
            }
            Op::Prefix(p, _) => drop(store.prefix_scan(p).count()),
            Op::Iter(rev) => drop(if *rev {
                store.iter().rev().count()
            } else {
                store.iter().count()
            }),
            Op::LongestPrefix(k) => {
                drop(store.longest_prefix(k));
                drop(store.common_prefixes(k));
            }
            Op::Maintain => maintain(store),
        }
    }
    store.compact().expect("compact");
    let _ = store.iter().count();
}

fn maintain(store: &mut HybridStore<u64>) {
    if store.len().is_multiple_of(2) {
        store.compact().expect("compact");
    } else {
        store.flush().expect("flush");
    }
}

fn suite() -> Suite<HybridStore<u64>> {
    Suite::new("HybridStore (opened)")
        .with_invariants()
        .maintain(maintain)
}

fn write_layer(dir: &std::path::Path, name: &str, entries: &Model) {
    let mut builder = FrozenLayerBuilder::create(dir.join(name)).expect("create a layer file");
    for (key, value) in entries {
        builder.insert(key, *value).expect("sorted keys");
    }
    builder.finish_unopened().expect("finish a layer file");
}

fn manifest_body(len: usize, segments: &[(String, Option<String>)]) -> String {
    let mut body = format!("memkv-hybrid-manifest 1\ngeneration 1\nlen {len}\n");
    for (live, tomb) in segments {
        body.push_str(&format!(
            "segment {live} {}\n",
            tomb.as_deref().unwrap_or("-")
        ));
    }
    body
}

fn write_manifest(dir: &std::path::Path, body: &str) {
    let crc = crc32fast::hash(body.as_bytes());
    fs::write(dir.join(MANIFEST), format!("{body}crc32 {crc:08x}\n")).expect("write the manifest");
}
