//! A real key set, when the shared datasets are present next to the workspace
//! (`../shared/datasets`); skipped with a message otherwise.

use std::io::Read;
use std::path::PathBuf;

use memkv_frozen::{FrozenLayer, FrozenLayerBuilder};

fn dataset(name: &str) -> Option<Vec<u8>> {
    let workspace_root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let path = workspace_root.join("../shared/datasets").join(name);
    let Ok(file) = std::fs::File::open(&path) else {
        eprintln!("skipping: dataset {} not found", path.display());
        return None;
    };
    let mut raw = Vec::new();
    zstd::stream::read::Decoder::new(file)
        .unwrap()
        .read_to_end(&mut raw)
        .unwrap();
    Some(raw)
}

#[test]
fn words_round_trip_through_a_file() {
    let Some(raw) = dataset("words.txt.zst") else {
        return;
    };
    let keys: Vec<&[u8]> = raw
        .split(|&b| b == b'\n')
        .filter(|k| !k.is_empty())
        .collect();
    // Values that do not follow key order, as in the benchmarks.
    let value = |i: usize| (i as u64).wrapping_mul(2_654_435_761) % keys.len() as u64;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("words.frz");
    let mut b = FrozenLayerBuilder::create(&path).unwrap();
    for (i, k) in keys.iter().enumerate() {
        b.insert(k, value(i)).unwrap();
    }
    let layer = b.finish().unwrap();
    assert_eq!(layer.len(), keys.len());
    for (i, k) in keys.iter().enumerate().step_by(97) {
        assert_eq!(
            layer.get(k),
            Some(value(i)),
            "{}",
            String::from_utf8_lossy(k)
        );
    }
    assert!(layer
        .iter()
        .map(|(k, _)| k)
        .eq(keys.iter().map(|k| k.to_vec())));
    assert!(layer.iter().rev().take(1000).map(|(k, _)| k).eq(keys
        .iter()
        .rev()
        .take(1000)
        .map(|k| k.to_vec())));
    // The layer's own FST reader answers as `fst` does, on hits and near misses.
    let fst = layer.as_fst();
    for k in keys.iter().step_by(7) {
        let mut longer = k.to_vec();
        longer.push(0);
        // A byte changed two thirds in: a miss within the key's own chain.
        let mut changed = k.to_vec();
        changed[k.len() * 2 / 3] ^= 1;
        for q in [&k[..], &k[..k.len() - 1], &longer, &changed] {
            assert_eq!(
                layer.rank(q),
                fst.get(q).map(|o| o.value()),
                "{}",
                q.escape_ascii()
            );
        }
    }
    let in_memory = FrozenLayer::from_bytes(std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(in_memory.as_bytes(), layer.as_bytes());
    // Far below the raw 9.4 bytes/key plus 8 for a u64 (measured: about 7).
    let per_key = layer.as_bytes().len() as f64 / keys.len() as f64;
    assert!(per_key < 9.0, "{per_key:.2} bytes/key");
}
