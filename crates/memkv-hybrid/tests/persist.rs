//! Saving and reopening stores, including saves cut short.

use std::fs;
use std::path::{Path, PathBuf};

use memkv_core::CheckInvariants;
use memkv_core::Error;
use memkv_frozen::FrozenLayerBuilder;
use memkv_hybrid::{HybridConfig, HybridStore, MANIFEST};

/// A fresh, empty scratch directory under the target directory.
fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

fn contents(store: &HybridStore<u64>) -> Vec<(Vec<u8>, u64)> {
    store.iter().collect()
}

/// A store with several segments, tombstones in the newer ones, and a non-empty delta.
fn layered_store() -> HybridStore<u64> {
    let store = HybridStore::with_config(
        HybridConfig::default()
            .flush_threshold(2_000)
            .background(false),
    );
    for i in 0..600u64 {
        store.insert(format!("/srv/{:03}/{}", i % 97, i), i);
        if i % 7 == 0 {
            store.remove(format!("/srv/{:03}/{}", (i / 2) % 97, i / 2));
        }
    }
    if store.stats().delta_entries == 0 {
        // The last write flushed: one more leaves something in the delta.
        store.insert(b"/srv/zzz", 600);
    }
    assert!(store.stats().segments.len() > 1, "{:?}", store.stats());
    assert!(store.stats().delta_entries > 0);
    store
}

#[test]
fn a_saved_store_opens_with_the_same_contents() {
    let dir = scratch("roundtrip");
    let store = layered_store();
    let expected = contents(&store);
    store.save(&dir).unwrap();
    let opened = HybridStore::open(&dir).unwrap();
    assert_eq!(contents(&opened), expected);
    assert_eq!(opened.len(), expected.len());
    assert_eq!(opened.get(&expected[10].0), Some(expected[10].1));
    // The saved layers keep working as segments of a live store.
    opened.insert(b"/new", 1);
    opened.remove(&expected[0].0);
    opened.compact().unwrap();
    assert_eq!(opened.len(), expected.len());
    // Saving again over the directory the segments are mapped from.
    opened.save(&dir).unwrap();
    let again = HybridStore::open(&dir).unwrap();
    assert_eq!(contents(&again), contents(&opened));
    // Only the files of the last save are left.
    let names: Vec<String> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
}

#[test]
fn segments_of_many_runs_are_saved_as_one_file_each() {
    let dir = scratch("runs");
    let store = HybridStore::with_config(
        HybridConfig::default()
            .flush_threshold(2_000)
            .run_entries(7)
            .background(false),
    );
    for i in 0..300u64 {
        store.insert(format!("/runs/{:03}/{}", i % 13, i), i);
        if i % 5 == 0 {
            store.remove(format!("/runs/{:03}/{}", (i / 2) % 13, i / 2));
        }
    }
    let expected = contents(&store);
    store.save(&dir).unwrap();
    let opened = HybridStore::open(&dir).unwrap();
    assert_eq!(contents(&opened), expected);
    assert_eq!(opened.len(), expected.len());
    opened.check_invariants().unwrap();
    store.compact().unwrap();
    store.save(&dir).unwrap();
    let compacted = HybridStore::open(&dir).unwrap();
    assert_eq!(compacted.stats().segments, [expected.len()]);
    assert_eq!(contents(&compacted), expected);
}

#[test]
fn an_empty_store_round_trips() {
    let dir = scratch("empty");
    HybridStore::<u64>::new().save(&dir).unwrap();
    let opened = HybridStore::open(&dir).unwrap();
    assert!(opened.is_empty());
    assert_eq!(opened.iter().count(), 0);
}

fn copy_files(from: &Path, to: &Path, skip: &str) {
    for e in fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.file_name() != skip {
            fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

#[test]
fn a_save_cut_short_leaves_the_previous_state_readable() {
    let dir = scratch("interrupted");
    let store = layered_store();
    store.save(&dir).unwrap();
    let first = contents(&store);

    // The next save of the same store, cut short before its manifest was renamed
    // into place: its segment files are all written, its manifest only as a torn
    // temporary file. Simulated by saving into a twin directory (same generation
    // numbers) and copying everything but the manifest over.
    let twin = scratch("interrupted-twin");
    copy_files(&dir, &twin, "");
    for i in 0..300u64 {
        store.insert(format!("/later/{i}"), i);
        store.remove(&first[i as usize].0);
    }
    store.save(&twin).unwrap();
    copy_files(&twin, &dir, MANIFEST);
    let manifest = fs::read(twin.join(MANIFEST)).unwrap();
    fs::write(
        dir.join(format!("{MANIFEST}.tmp")),
        &manifest[..manifest.len() / 2],
    )
    .unwrap();

    let reopened = HybridStore::open(&dir).unwrap();
    assert_eq!(contents(&reopened), first);
    // And the next complete save recovers the directory.
    reopened.save(&dir).unwrap();
    assert_eq!(contents(&HybridStore::open(&dir).unwrap()), first);
    assert!(!dir.join(format!("{MANIFEST}.tmp")).exists());
}

#[test]
fn damaged_manifests_are_reported_not_trusted() {
    let dir = scratch("damaged");
    layered_store().save(&dir).unwrap();
    let good = fs::read_to_string(dir.join(MANIFEST)).unwrap();

    let write = |text: &str| fs::write(dir.join(MANIFEST), text).unwrap();
    let open_err = || HybridStore::open(&dir).expect_err("a damaged manifest must not open");

    write(&good.replace("len ", "len 1"));
    assert!(
        matches!(open_err(), Error::ChecksumMismatch { .. }),
        "{}",
        open_err()
    );

    write("PK\u{3}\u{4} a zip file\n");
    assert!(
        matches!(open_err(), Error::NotMemkv { .. }),
        "{}",
        open_err()
    );

    write(&good.replacen("manifest 1", "manifest 9", 1));
    assert!(
        matches!(
            open_err(),
            Error::Version {
                expected: 1,
                got: 9
            }
        ),
        "{}",
        open_err()
    );

    write(&good[..good.len() - 12]);
    assert!(
        matches!(
            open_err(),
            Error::Corrupt { .. } | Error::ChecksumMismatch { .. }
        ),
        "{}",
        open_err()
    );

    // A manifest may only name files inside the directory.
    let body = "memkv-hybrid-manifest 1\ngeneration 1\nlen 0\nsegment ../../etc/passwd -\n";
    write(&format!("{body}crc32 {:08x}\n", crc32(body)));
    assert!(
        matches!(open_err(), Error::Corrupt { .. }),
        "{}",
        open_err()
    );

    fs::remove_file(dir.join(MANIFEST)).unwrap();
    assert!(
        matches!(open_err(), Error::Io { path: Some(_), .. }),
        "{}",
        open_err()
    );
}

/// CRC-32 (IEEE), bit by bit, so the test does not share the crate's implementation.
fn crc32(text: &str) -> u32 {
    let mut crc = !0u32;
    for &b in text.as_bytes() {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// `dir`'s manifest with its `len` line set to `len` and the checksum recomputed: a
/// forgery the checksum cannot catch.
fn forge_len(dir: &Path, len: usize) {
    let good = fs::read_to_string(dir.join(MANIFEST)).unwrap();
    let body_end = good.trim_end().rfind('\n').unwrap() + 1;
    let body: String = good[..body_end]
        .lines()
        .map(|l| {
            if l.starts_with("len ") {
                format!("len {len}\n")
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    fs::write(
        dir.join(MANIFEST),
        format!("{body}crc32 {:08x}\n", crc32(&body)),
    )
    .unwrap();
}

#[test]
fn a_forged_key_count_is_refused_or_harmless() {
    let dir = scratch("forged_len");
    let store = layered_store();
    let expected = contents(&store);
    store.save(&dir).unwrap();

    // Counts no set of these segments can hold.
    let held: usize = store.stats().segments.iter().sum();
    for len in [0, held + store.stats().delta_entries + 1] {
        forge_len(&dir, len);
        let err = HybridStore::open(&dir).expect_err("an impossible count must not open");
        assert!(matches!(err, Error::Corrupt { .. }), "{err}");
        assert!(
            err.to_string().contains(&format!("counts {len} live keys")),
            "{err}"
        );
    }

    // A count short by one lies within the bounds `open` can check: the store opens,
    // its `len` is wrong, and removing every key must not panic.
    forge_len(&dir, expected.len() - 1);
    let opened = HybridStore::open(&dir).expect("a plausible count opens");
    assert_eq!(opened.len(), expected.len() - 1);
    for (key, value) in &expected {
        assert_eq!(opened.remove(key), Some(*value));
    }
    assert_eq!(opened.len(), 0);
    assert!(opened.iter().next().is_none());
}

#[test]
fn live_and_deleted_keys_are_refused_and_idle_tombstones_dropped() {
    let dir = scratch("live_and_dead");
    let write = |name: &str, keys: &[&str]| {
        let mut builder = FrozenLayerBuilder::create(dir.join(name)).unwrap();
        for (i, k) in (0u64..).zip(keys) {
            builder.insert(k, i).unwrap();
        }
        builder.finish_unopened().unwrap();
    };
    write("new.live", &["b", "x"]);
    write("new.tomb", &["a", "x"]);
    write("old.live", &["a", "c", "x"]);
    let body = "memkv-hybrid-manifest 1\ngeneration 1\nlen 3\n\
                segment new.live new.tomb\nsegment old.live -\n";
    fs::write(
        dir.join(MANIFEST),
        format!("{body}crc32 {:08x}\n", crc32(body)),
    )
    .unwrap();
    let err = HybridStore::open(&dir).expect_err("a contradiction must not open");
    assert!(matches!(err, Error::Corrupt { .. }), "{err}");
    assert!(
        err.to_string()
            .contains("\"x\" both as live and as deleted"),
        "{err}"
    );

    // The same files without the contradiction open.
    write("new.tomb", &["a"]);
    let opened = HybridStore::open(&dir).unwrap();
    assert_eq!(
        contents(&opened),
        [(b"b".to_vec(), 0), (b"c".to_vec(), 1), (b"x".to_vec(), 1)]
    );
    assert_eq!(opened.len(), 3);

    // Tombstones with no live key under them delete nothing: dropped, not refused
    // (the store keeps none in its oldest segment), also when the segments under
    // them are empty.
    write("empty.live", &[]);
    write("gone.tomb", &["a"]);
    for under in ["", "segment empty.live -\n"] {
        let body = format!(
            "memkv-hybrid-manifest 1\ngeneration 1\nlen 2\nsegment new.live gone.tomb\n{under}"
        );
        fs::write(
            dir.join(MANIFEST),
            format!("{body}crc32 {:08x}\n", crc32(&body)),
        )
        .unwrap();
        let opened = HybridStore::open(&dir).unwrap();
        opened.check_invariants().unwrap();
        assert_eq!(opened.stats().segments, [2]);
    }
}
