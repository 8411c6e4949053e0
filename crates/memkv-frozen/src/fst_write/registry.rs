//! The registry of compiled nodes: a node equal to one already written is not
//! written again, its address is reused. This sharing of common suffixes is what
//! makes an FST small, and how much of it is found depends on how many nodes the
//! registry remembers.
//!
//! `fst`'s own builder remembers 20,000 nodes (a 10,000 x 2 cache), which on
//! 1M Debian paths leaves the FST 9% larger than when every node is remembered.
//! This registry is a cache of the same kind, set-associative with least recently
//! used eviction, but it grows with the build up to a memory budget (32 MiB, a
//! million nodes, by default): on those paths its FST is within 2% of the
//! remember-everything size, and memory stays bounded whatever the number of keys.
//!
//! A slot holds the node's registry key (`Node::registry_key`) inline, so a lookup
//! touches one bucket of four slots (two cache lines) and nothing else. Nodes
//! whose key does not fit (three or more transitions, mostly) are not registered:
//! measured on the same paths, that costs 0.5% of the FST.

/// Registry key bytes a slot holds.
const INLINE: usize = 23;
/// Slots per bucket.
const WAYS: usize = 4;

/// One registered node: `addr == 0` marks a free slot (address 0 is the empty
/// final state, which is never registered).
#[derive(Clone, Copy, Debug, Default)]
struct Slot {
    addr: u64,
    len: u8,
    key: [u8; INLINE],
}

impl Slot {
    fn holds(&self, key: &[u8]) -> bool {
        self.addr != 0 && usize::from(self.len) == key.len() && &self.key[..key.len()] == key
    }

    fn key(&self) -> &[u8] {
        &self.key[..usize::from(self.len)]
    }
}

type Bucket = [Slot; WAYS];

const BUCKET_BYTES: usize = std::mem::size_of::<Bucket>();

/// Memory budget of a registry by default.
pub(super) const DEFAULT_BUDGET: usize = 32 << 20;

/// Buckets a registry starts with: 16 KiB.
const MIN_BUCKETS: usize = 128;

#[derive(Debug)]
pub(super) struct Registry {
    buckets: Vec<Bucket>,
    /// Registered nodes, evicted or not since the table last grew: it doubles
    /// when they fill half its slots, while the budget allows.
    inserted: usize,
    budget: usize,
    /// Registered nodes pushed out of a full bucket.
    evicted: u64,
}

/// The outcome of a lookup.
pub(super) enum Lookup {
    /// An equal node was written at this address.
    Found(u64),
    /// No equal node is registered; register the node with this hash once it is
    /// written.
    Vacant(u64),
    /// The node is too large to register.
    Unregistered,
}

impl Registry {
    /// A registry whose table never exceeds `budget` bytes (beyond a minimum of
    /// 16 KiB). Memory grows with use, so small builds stay small.
    pub(super) fn new(budget: usize) -> Registry {
        Registry {
            buckets: Vec::new(),
            inserted: 0,
            budget,
            evicted: 0,
        }
    }

    /// Caps the table at `budget` bytes from now on (it never shrinks).
    pub(super) fn set_budget(&mut self, budget: usize) {
        self.budget = budget;
    }

    #[cfg(test)]
    pub(super) fn evicted(&self) -> u64 {
        self.evicted
    }

    #[cfg(test)]
    fn table_bytes(&self) -> usize {
        self.buckets.len() * BUCKET_BYTES
    }

    pub(super) fn lookup(&mut self, key: &[u8]) -> Lookup {
        if key.len() > INLINE {
            return Lookup::Unregistered;
        }
        let hash = hash(key);
        if self.buckets.is_empty() {
            return Lookup::Vacant(hash);
        }
        let b = self.bucket(hash);
        let bucket = &mut self.buckets[b];
        match bucket.iter().position(|s| s.holds(key)) {
            Some(i) => {
                // Most recently used first.
                bucket[..=i].rotate_right(1);
                Lookup::Found(bucket[0].addr)
            }
            None => Lookup::Vacant(hash),
        }
    }

    /// Records that the node with registry key `key` was written at `addr`. The
    /// key is absent: a lookup returned `Vacant(hash)` for it (nothing was
    /// registered since), or it cannot be present (`hash` is `None`).
    pub(super) fn insert(&mut self, hash: Option<u64>, key: &[u8], addr: u64) {
        if key.len() > INLINE || addr == 0 {
            return;
        }
        let hash = hash.unwrap_or_else(|| self::hash(key));
        if self.buckets.is_empty() {
            self.buckets = vec![Bucket::default(); MIN_BUCKETS];
        }
        self.inserted += 1;
        let bigger = self.buckets.len() * 2 * BUCKET_BYTES;
        if self.inserted * 2 > self.buckets.len() * WAYS && bigger <= self.budget {
            self.grow();
        }
        let b = self.bucket(hash);
        place(&mut self.buckets[b], key, addr, &mut self.evicted);
    }

    fn bucket(&self, hash: u64) -> usize {
        hash as usize & (self.buckets.len() - 1)
    }

    /// Doubles the table, keeping every entry and each bucket's recency order.
    fn grow(&mut self) {
        let bigger = vec![Bucket::default(); self.buckets.len() * 2];
        let old = std::mem::replace(&mut self.buckets, bigger);
        let mut evicted = 0;
        for bucket in &old {
            // Least recent first, so the most recent ends up in front.
            for s in bucket.iter().rev().filter(|s| s.addr != 0) {
                let b = self.bucket(hash(s.key()));
                place(&mut self.buckets[b], s.key(), s.addr, &mut evicted);
            }
        }
        self.evicted += evicted;
        self.inserted = old.iter().flatten().filter(|s| s.addr != 0).count();
    }
}

/// Puts a node in front of `bucket`, pushing out its least recently used entry.
fn place(bucket: &mut Bucket, key: &[u8], addr: u64, evicted: &mut u64) {
    if bucket[WAYS - 1].addr != 0 {
        *evicted += 1;
    }
    bucket.rotate_right(1);
    let s = &mut bucket[0];
    s.addr = addr;
    s.len = key.len() as u8;
    s.key[..key.len()].copy_from_slice(key);
}

/// A fast hash of a registry key: eight bytes at a time, multiplied and
/// rotated, then mixed so that the low bits (the bucket) depend on every input
/// bit.
fn hash(key: &[u8]) -> u64 {
    const K: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut h = key.len() as u64;
    let mut chunks = key.chunks_exact(8);
    for c in &mut chunks {
        let w = u64::from_le_bytes(c.try_into().expect("8 bytes"));
        h = (h ^ w).wrapping_mul(K).rotate_left(29);
    }
    let mut last = [0u8; 8];
    last[..chunks.remainder().len()].copy_from_slice(chunks.remainder());
    h = (h ^ u64::from_le_bytes(last)).wrapping_mul(K);
    h ^= h >> 29;
    h = h.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    h ^ h >> 32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn register(r: &mut Registry, key: &[u8], addr: u64) -> Option<u64> {
        match r.lookup(key) {
            Lookup::Found(a) => Some(a),
            Lookup::Vacant(hash) => {
                r.insert(Some(hash), key, addr);
                None
            }
            Lookup::Unregistered => None,
        }
    }

    #[test]
    fn finds_what_it_holds_across_growth() {
        let mut r = Registry::new(DEFAULT_BUDGET);
        let keys: Vec<Vec<u8>> = (0..20_000u32)
            .map(|i| i.to_le_bytes()[..3].to_vec())
            .collect();
        for (i, k) in keys.iter().enumerate() {
            assert_eq!(register(&mut r, k, i as u64 + 16), None);
        }
        // A bucket that overflows forgets its oldest entry, even below the budget:
        // at half load, about 4% of the entries (five or more of four ways).
        let found = keys
            .iter()
            .enumerate()
            .filter(|(i, k)| match r.lookup(k) {
                Lookup::Found(a) => {
                    assert_eq!(a, *i as u64 + 16);
                    true
                }
                _ => false,
            })
            .count();
        assert!(found * 100 >= keys.len() * 93, "found {found}");
        assert_eq!(r.evicted() as usize, keys.len() - found);
        // A longer key sharing a prefix is a different node.
        assert_eq!(register(&mut r, &[0, 0, 0, 0], 5), None);
        // Keys too long to hold inline are never registered.
        let long = [7u8; INLINE + 1];
        assert_eq!(register(&mut r, &long, 9), None);
        assert_eq!(register(&mut r, &long, 10), None);
    }

    #[test]
    fn a_full_registry_forgets_the_least_recent_within_its_budget() {
        let budget = 1 << 16;
        let mut r = Registry::new(budget);
        for i in 0..100_000u32 {
            register(&mut r, &i.to_le_bytes(), u64::from(i) + 16);
            // A key looked up again and again stays.
            assert_eq!(register(&mut r, b"hot", 7), (i > 0).then_some(7));
            assert!(r.table_bytes() <= budget);
        }
        assert!(r.evicted() > 0);
        assert_eq!(
            register(&mut r, &99_999u32.to_le_bytes(), 1),
            Some(99_999 + 16)
        );
        assert_eq!(register(&mut r, &0u32.to_le_bytes(), 1), None);
    }
}
