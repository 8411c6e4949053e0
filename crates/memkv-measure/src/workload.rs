//! The fixed workload every implementation runs, so that runs compare.
//!
//! Keys are sorted and unique. The value of key `i` is `values[i]`, a pseudo-random
//! permutation of `0..n` (seed [`VALUE_SEED`]): IDs that do not follow key order, as
//! a real index would store. Mutable maps insert in a shuffled order (seed
//! [`INSERT_SEED`]); lookups probe in another shuffled order (seed [`GET_SEED`]) so
//! that neither benefits from the cache warmth of sorted probes.
//!
//! The keys of each shuffled phase are copied into a [`Visits`], in the order the
//! phase visits them, before anything is measured. A caller's key is usually at
//! hand when it asks (just parsed from a request, or read from a file in turn);
//! fetching it from the sorted set at a random index instead cost every insert and
//! lookup two cache misses of the harness's own (the key's end offset, then its
//! bytes) and a third for its value, and pushed the structure's own nodes out of
//! the cache. That fixed cost, the same for every map, pulled every throughput
//! ratio toward 1.0.

use crate::keys::KeySet;
use crate::rng::{permutation, SplitMix64};

/// Seed of the value permutation.
pub const VALUE_SEED: u64 = 42;
/// Seed of the insertion order of mutable maps.
pub const INSERT_SEED: u64 = 43;
/// Seed of the lookup order.
pub const GET_SEED: u64 = 44;
/// Seed of the choice of prefix-scan keys.
pub const PREFIX_SEED: u64 = 45;
/// The number of prefix scans.
pub const PREFIX_QUERIES: usize = 10_000;
/// The byte appended to every key to make the absent-key probes.
pub const MISS_SUFFIX: u8 = 0x01;

/// One prefix-scan query: the first half of a key, and the oracle's answer.
#[derive(Clone, Debug)]
pub struct PrefixQuery {
    /// The key whose first half is the prefix.
    pub key_index: u32,
    /// The prefix length (half the key, rounded down).
    pub len: u32,
    /// How many keys start with the prefix, counted on the sorted key array.
    pub expected: u32,
}

/// Everything a measurement needs, prepared before the memory baseline is read so
/// that none of it is counted.
#[derive(Debug)]
pub struct Workload {
    /// The keys, sorted and unique.
    pub keys: KeySet,
    /// `values[i]` is the value of key `i`.
    pub values: Vec<u64>,
    /// What mutable maps insert, in their order.
    pub inserts: Visits,
    /// The lookups of present keys, in their order (each key once).
    pub gets: Visits,
    /// The prefix scans.
    pub prefixes: Vec<PrefixQuery>,
    /// How many absent-key probes (`key + 0x01`) are in fact keys of the set: zero
    /// on almost any data, but the check must not assume it.
    pub miss_probes_present: usize,
}

impl Workload {
    /// Prepares the workload of a sorted, unique key set.
    ///
    /// # Panics
    /// If the keys are not sorted and unique (loading guarantees they are), or there
    /// are more than `u32::MAX` of them.
    pub fn new(keys: KeySet) -> Workload {
        assert!(
            keys.is_sorted_unique(),
            "workload keys must be sorted and unique"
        );
        let n = keys.len();
        let values: Vec<u64> = permutation(n, VALUE_SEED)
            .into_iter()
            .map(u64::from)
            .collect();
        let inserts = Visits::new(&keys, &values, &permutation(n, INSERT_SEED));
        let gets = Visits::new(&keys, &values, &permutation(n, GET_SEED));
        let mut prefixes = Vec::new();
        if n > 0 {
            let mut rng = SplitMix64::new(PREFIX_SEED);
            for _ in 0..PREFIX_QUERIES {
                let key_index = rng.below(n as u64) as usize;
                let key = keys.get(key_index);
                let len = key.len() / 2;
                prefixes.push(PrefixQuery {
                    key_index: key_index as u32,
                    len: len as u32,
                    expected: keys.count_prefix(&key[..len]) as u32,
                });
            }
        }
        let mut probe = Vec::new();
        let miss_probes_present = keys
            .iter()
            .filter(|key| {
                miss_probe(key, &mut probe);
                keys.contains_sorted(&probe)
            })
            .count();
        Workload {
            keys,
            values,
            inserts,
            gets,
            prefixes,
            miss_probes_present,
        }
    }

    /// The number of keys.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether there is no key.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The prefix of a query.
    pub fn prefix(&self, q: &PrefixQuery) -> &[u8] {
        &self.keys.get(q.key_index as usize)[..q.len as usize]
    }

    /// The sorted `(key, value)` pairs, as static structures are built.
    pub fn sorted_entries(&self) -> impl ExactSizeIterator<Item = (&[u8], u64)> + '_ {
        self.keys.iter().zip(self.values.iter().copied())
    }
}

/// Keys and their values laid out in the order one phase of the workload visits
/// them, so that the phase reads its inputs sequentially (see the module docs).
#[derive(Debug)]
pub struct Visits {
    keys: KeySet,
    values: Vec<u64>,
}

impl Visits {
    /// The keys `keys[order[0]], keys[order[1]], …` with their values.
    fn new(keys: &KeySet, values: &[u64], order: &[u32]) -> Visits {
        let mut visits = Visits {
            keys: KeySet::new(),
            values: Vec::with_capacity(order.len()),
        };
        for &i in order {
            visits.keys.push(keys.get(i as usize));
            visits.values.push(values[i as usize]);
        }
        visits
    }

    /// The `(key, value)` pairs in visiting order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&[u8], u64)> + '_ {
        self.keys.iter().zip(self.values.iter().copied())
    }

    /// The keys in visiting order.
    pub fn keys(&self) -> impl ExactSizeIterator<Item = &[u8]> + '_ {
        self.keys.iter()
    }
}

/// Writes the absent-key probe of `key` into `buf` (reused, so the timed loop does
/// not allocate).
pub fn miss_probe(key: &[u8], buf: &mut Vec<u8>) {
    buf.clear();
    buf.extend_from_slice(key);
    buf.push(MISS_SUFFIX);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workload_is_consistent() {
        let mut keys = KeySet::new();
        for k in ["a", "a\x01", "ab", "abc", "b"] {
            keys.push(k.as_bytes());
        }
        let w = Workload::new(keys);
        let mut values = w.values.clone();
        values.sort_unstable();
        assert_eq!(values, vec![0, 1, 2, 3, 4]);
        assert_eq!(w.miss_probes_present, 1, "\"a\" + 0x01 is itself a key");
        for visits in [&w.inserts, &w.gets] {
            let mut seen: Vec<(&[u8], u64)> = visits.iter().collect();
            seen.sort_unstable();
            let sorted: Vec<(&[u8], u64)> = w.sorted_entries().collect();
            assert_eq!(seen, sorted, "each phase visits every entry once");
        }
        assert_ne!(
            w.inserts.keys().collect::<Vec<_>>(),
            w.gets.keys().collect::<Vec<_>>(),
            "inserts and lookups are shuffled differently"
        );
        assert_eq!(w.prefixes.len(), PREFIX_QUERIES);
        for q in &w.prefixes {
            let p = w.prefix(q);
            let count = w.keys.iter().filter(|k| k.starts_with(p)).count();
            assert_eq!(count, q.expected as usize);
        }
    }
}
