//! The implementations the harness knows, looked up by exact name. Adding a
//! structure to every run is adding one entry to [`IMPLEMENTATIONS`].

use std::collections::{BTreeMap, HashMap};

use crate::report::ImplResult;
use crate::run::{run_mutable, run_mutable_settled, run_static, PhaseSink};
use crate::subject::Ordered;
use crate::workload::Workload;

/// The name of the baseline every other result is compared with.
pub const BASELINE: &str = "BTreeMap";

/// One measurable implementation.
#[derive(Debug)]
pub struct Implementation {
    /// The exact name used on the command line and in every table.
    pub name: &'static str,
    /// What it is, in a few words.
    pub description: &'static str,
    /// Builds it from the workload and measures it (see [`crate::run`]).
    pub run: fn(&Workload, PhaseSink<'_>) -> ImplResult,
    /// Roughly the seconds one measurement of 1M synthetic URLs takes (mostly its
    /// 10,000 prefix scans of about 6,000 entries each). It only orders the runs,
    /// heaviest first, so that the `--jobs` lanes finish close together.
    pub relative_cost: u32,
    /// How many cores its measurement keeps busy: 1, or 2 for a structure that
    /// merges on a background thread while the timed loop runs. The harness starts
    /// it only when that many of its `--jobs` cores are free, so that no other
    /// child takes the core its own background work needs (run beside another
    /// child on two cores, `MemKV`'s inserts measured 0.64× their rate alone).
    pub threads: u32,
}

/// Every implementation, in table order (baselines first).
pub const IMPLEMENTATIONS: &[Implementation] = &[
    Implementation {
        name: BASELINE,
        description: "std BTreeMap<Vec<u8>, u64>, shuffled inserts",
        run: |w, p| run_mutable::<BTreeMap<Vec<u8>, u64>>(BASELINE, w, p),
        relative_cost: 7,
        threads: 1,
    },
    Implementation {
        name: "HashMap",
        description: "std HashMap<Vec<u8>, u64>, shuffled inserts (unordered: no scans)",
        run: |w, p| run_mutable::<HashMap<Vec<u8>, u64>>("HashMap", w, p),
        relative_cost: 3,
        threads: 1,
    },
    Implementation {
        name: "fst::Map",
        description: "plain fst::Map built from the sorted keys, values = the IDs",
        run: |w, p| run_static("fst::Map", w, build_fst, p),
        relative_cost: 37,
        threads: 1,
    },
    Implementation {
        name: "SimpleKV",
        description: "memkv SimpleKV<u64> (BTreeMap-backed reference map)",
        run: |w, p| run_mutable::<Ordered<memkv::SimpleKV<u64>>>("SimpleKV", w, p),
        relative_cost: 8,
        threads: 1,
    },
    Implementation {
        name: "MemKV",
        description: "memkv MemKV<u64>, the thread-safe map on its default engine",
        // Its inserts leave merges running on the background thread: the memory
        // is read once they are done (their transient buffers are in the peak).
        run: |w, p| {
            run_mutable_settled::<Ordered<memkv::MemKV<u64>>>("MemKV", w, p, |s| {
                s.0.settle().map_err(|e| format!("settle: {e}"))
            })
        },
        relative_cost: 45,
        threads: 2,
    },
    Implementation {
        name: "ArenaArt",
        description: "memkv-art ArenaArt<u64>: ART with arena nodes, shuffled inserts",
        run: |w, p| run_mutable::<Ordered<memkv_art::ArenaArt<u64>>>("ArenaArt", w, p),
        relative_cost: 8,
        threads: 1,
    },
    Implementation {
        name: "UltraCompactArt",
        description: "memkv-art UltraCompactArt<u64>: boxed nodes, arena strings",
        run: |w, p| {
            run_mutable::<Ordered<memkv_art::UltraCompactArt<u64>>>("UltraCompactArt", w, p)
        },
        relative_cost: 25,
        threads: 1,
    },
    Implementation {
        name: "CompactArt",
        description: "memkv-art CompactArt<u64>: arena-backed keys",
        run: |w, p| run_mutable::<Ordered<memkv_art::CompactArt<u64>>>("CompactArt", w, p),
        relative_cost: 29,
        threads: 1,
    },
    Implementation {
        name: "AdaptiveRadixTree",
        description: "memkv-art AdaptiveRadixTree<u64>: classic ART",
        run: |w, p| {
            run_mutable::<Ordered<memkv_art::AdaptiveRadixTree<u64>>>("AdaptiveRadixTree", w, p)
        },
        relative_cost: 29,
        threads: 1,
    },
    Implementation {
        name: "FrozenLayer",
        description: "memkv-frozen FrozenLayer built from the sorted keys",
        run: |w, p| run_static("FrozenLayer", w, build_frozen, p),
        relative_cost: 42,
        threads: 1,
    },
    Implementation {
        name: "HybridStore",
        description: "memkv-hybrid HybridStore<u64>: shuffled inserts, then compact()",
        run: |w, p| run_static("HybridStore", w, build_hybrid, p),
        relative_cost: 53,
        threads: 2,
    },
];

/// The implementation called `name` (exact match).
pub fn find(name: &str) -> Option<&'static Implementation> {
    IMPLEMENTATIONS.iter().find(|i| i.name == name)
}

/// All names, in table order.
pub fn names() -> impl Iterator<Item = &'static str> {
    IMPLEMENTATIONS.iter().map(|i| i.name)
}

/// Builds an `fst::Map` the way a user would: `Map::from_iter` over sorted pairs.
fn build_fst(w: &Workload) -> Result<fst::Map<Vec<u8>>, String> {
    fst::Map::from_iter(w.sorted_entries()).map_err(|e| format!("fst build: {e}"))
}

/// Builds a `FrozenLayer` from the sorted entries.
fn build_frozen(w: &Workload) -> Result<Ordered<memkv_frozen::FrozenLayer>, String> {
    memkv_frozen::FrozenLayer::from_sorted_iter(w.sorted_entries())
        .map(Ordered)
        .map_err(|e| format!("FrozenLayer build: {e}"))
}

/// Fills a `HybridStore` in the shuffled order, then compacts it: the store folds
/// its delta into the frozen layer in the background at its own pace, so the
/// figure is taken in the settled state a long-running store reaches, not at
/// whatever point the background thread happens to be.
fn build_hybrid(w: &Workload) -> Result<Ordered<memkv_hybrid::HybridStore<u64>>, String> {
    let store = memkv_hybrid::HybridStore::new();
    for (key, value) in w.inserts.iter() {
        store.insert(key, value);
    }
    store
        .compact()
        .map_err(|e| format!("HybridStore compact: {e}"))?;
    Ok(Ordered(store))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_found() {
        let mut names: Vec<_> = names().collect();
        let n = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), n, "duplicate implementation names");
        for name in names {
            assert_eq!(find(name).map(|i| i.name), Some(name));
        }
        assert!(find("btreemap").is_none(), "lookup is by exact name");
        assert_eq!(IMPLEMENTATIONS[0].name, BASELINE);
    }
}
