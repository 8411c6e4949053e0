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
//! A slot holds the node's registry key (`Node::registry_key`) inline when it
//! fits, so a lookup of a narrow node touches one bucket of four slots (two cache
//! lines) and nothing else. A wider node's key (three or more transitions,
//! mostly) goes to a side pool of key bytes, and its slot holds the key's place
//! there with a full 64-bit hash, so only a likely match reads the pool. The pool
//! is bounded too: when full it starts again empty, and the entries that pointed
//! into it stop matching (a generation number tells them apart) until LRU
//! eviction reuses their slots.
//!
//! A table of tens of megabytes costs a cache miss per node registered, and most
//! nodes are registered without a lookup (a new key's chain of new nodes). So
//! registrations wait in a short queue, their buckets asked for from memory as
//! they join it, and are placed together, oldest first, before the next lookup:
//! the misses overlap, and the table is the same as if each had been placed at
//! once. Measured on 1M Debian paths (a throwaway probe, sorted keys into
//! `FrozenLayerBuilder::memory()`, alternating runs): 0.42-0.55 M keys/s before,
//! 0.64-0.84 M after, `fst::MapBuilder` 0.68-0.79 M; on 1M synthetic URLs
//! 0.26-0.32 M before, 0.47-0.65 M after, `fst` 0.46-0.61 M. The bytes written
//! are the same.

/// Registry key bytes a slot holds.
const INLINE: usize = 23;
/// Slots per bucket.
const WAYS: usize = 4;
/// The `len` of a slot whose key lives in the pool.
const POOLED: u8 = u8::MAX;

/// One registered node: `addr == 0` marks a free slot (address 0 is the empty
/// final state, which is never registered). A pooled slot's `key` holds the
/// pool offset, key length and generation (`u32` each) and the key's hash.
#[derive(Clone, Copy, Debug, Default)]
struct Slot {
    addr: u64,
    len: u8,
    key: [u8; INLINE],
}

/// Where a wide node's registry key lives in the pool.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Pooled {
    offset: u32,
    len: u32,
    generation: u32,
    hash: u64,
}

impl Slot {
    fn inline(key: &[u8], addr: u64) -> Slot {
        let mut s = Slot {
            addr,
            len: key.len() as u8,
            key: [0; INLINE],
        };
        s.key[..key.len()].copy_from_slice(key);
        s
    }

    fn pooled(p: Pooled, addr: u64) -> Slot {
        let mut key = [0; INLINE];
        key[0..4].copy_from_slice(&p.offset.to_le_bytes());
        key[4..8].copy_from_slice(&p.len.to_le_bytes());
        key[8..12].copy_from_slice(&p.generation.to_le_bytes());
        key[12..20].copy_from_slice(&p.hash.to_le_bytes());
        Slot {
            addr,
            len: POOLED,
            key,
        }
    }

    fn is_free(&self) -> bool {
        self.addr == 0
    }

    /// The pool entry of a pooled slot.
    fn pool_entry(&self) -> Option<Pooled> {
        (self.len == POOLED).then(|| {
            let u32_at = |i: usize| u32::from_le_bytes(self.key[i..i + 4].try_into().expect("4"));
            Pooled {
                offset: u32_at(0),
                len: u32_at(4),
                generation: u32_at(8),
                hash: u64::from_le_bytes(self.key[12..20].try_into().expect("8 bytes")),
            }
        })
    }

    fn inline_key(&self) -> &[u8] {
        &self.key[..usize::from(self.len)]
    }
}

type Bucket = [Slot; WAYS];

const BUCKET_BYTES: usize = std::mem::size_of::<Bucket>();

/// Memory budget of a registry's table by default; the pool may add a quarter.
pub(super) const DEFAULT_BUDGET: usize = 32 << 20;

/// Buckets a registry starts with: 16 KiB.
const MIN_BUCKETS: usize = 128;

/// Registrations queued before they are placed in the table (see
/// [`Registry::insert`]).
const BATCH: usize = 8;

/// A registration waiting in the queue: its key is the next `len` bytes of
/// the queue's key bytes.
#[derive(Clone, Copy, Debug)]
struct Queued {
    hash: u64,
    addr: u64,
    len: usize,
}

#[derive(Debug)]
pub(super) struct Registry {
    buckets: Vec<Bucket>,
    /// Registered nodes, evicted or not since the table last grew: it doubles
    /// when they fill a quarter of its slots, while the budget allows: a bucket
    /// then rarely overflows before the table reaches its budget.
    inserted: usize,
    budget: usize,
    /// Registry keys too long for a slot, back to back.
    pool: Vec<u8>,
    /// Bumped each time the pool starts again empty.
    generation: u32,
    /// Registered nodes pushed out of a full bucket.
    evicted: u64,
    /// Registrations not yet placed, oldest first, and their keys back to back.
    queue: Vec<Queued>,
    queued_keys: Vec<u8>,
}

/// The outcome of a lookup.
pub(super) enum Lookup {
    /// An equal node was written at this address.
    Found(u64),
    /// No equal node is registered; register the node with this hash once it is
    /// written.
    Vacant(u64),
}

impl Registry {
    /// A registry whose table never exceeds `budget` bytes (beyond a minimum of
    /// 16 KiB), and whose pool of wide nodes' keys never exceeds a quarter of
    /// it. Memory grows with use, so small builds stay small.
    pub(super) fn new(budget: usize) -> Registry {
        Registry {
            buckets: Vec::new(),
            inserted: 0,
            budget,
            pool: Vec::new(),
            generation: 0,
            evicted: 0,
            queue: Vec::with_capacity(BATCH),
            queued_keys: Vec::new(),
        }
    }

    /// Caps the table at `budget` bytes (and the pool at a quarter of it) from
    /// now on; neither shrinks.
    pub(super) fn set_budget(&mut self, budget: usize) {
        self.flush();
        self.budget = budget;
    }

    #[cfg(test)]
    pub(super) fn evicted(&mut self) -> u64 {
        self.flush();
        self.evicted
    }

    #[cfg(test)]
    fn table_bytes(&self) -> usize {
        self.buckets.len() * BUCKET_BYTES
    }

    #[cfg(test)]
    fn pool_bytes(&self) -> usize {
        self.pool.capacity()
    }

    fn pool_budget(&self) -> usize {
        (self.budget / 4).min(u32::MAX as usize)
    }

    pub(super) fn lookup(&mut self, key: &[u8]) -> Lookup {
        self.flush();
        let hash = hash(key);
        if self.buckets.is_empty() {
            return Lookup::Vacant(hash);
        }
        let b = self.bucket(hash);
        let bucket = &self.buckets[b];
        let found = bucket.iter().position(|s| self.holds(s, key, hash));
        match found {
            Some(i) => {
                // Most recently used first.
                let bucket = &mut self.buckets[b];
                bucket[..=i].rotate_right(1);
                Lookup::Found(bucket[0].addr)
            }
            None => Lookup::Vacant(hash),
        }
    }

    fn holds(&self, s: &Slot, key: &[u8], hash: u64) -> bool {
        if s.is_free() {
            return false;
        }
        match s.pool_entry() {
            None => s.inline_key() == key,
            Some(p) => {
                p.hash == hash
                    && p.generation == self.generation
                    && p.len as usize == key.len()
                    && self.pooled_key(p) == key
            }
        }
    }

    fn pooled_key(&self, p: Pooled) -> &[u8] {
        &self.pool[p.offset as usize..][..p.len as usize]
    }

    /// Records that the node with registry key `key` was written at `addr`. The
    /// key is absent: a lookup returned `Vacant(hash)` for it (nothing was
    /// registered since), or it cannot be present (`hash` is `None`).
    ///
    /// The registration is queued, its bucket asked for from memory at once, and
    /// placed with the ones queued after it when [`BATCH`] wait or before the
    /// next lookup, in the order they came: the table ends up exactly as if each
    /// had been placed at once, but a writer compiling a new key's chain of
    /// nodes (each registered, none looked up) no longer waits for one cache
    /// miss per node in a table of tens of megabytes: the misses of a batch
    /// overlap.
    pub(super) fn insert(&mut self, hash: Option<u64>, key: &[u8], addr: u64) {
        if addr == 0 {
            return;
        }
        let hash = hash.unwrap_or_else(|| self::hash(key));
        if !self.buckets.is_empty() {
            // A bucket is two cache lines: the table is at least 16 KiB, which
            // allocators hand out page-aligned, so buckets start on 128 bytes.
            let bucket = &self.buckets[self.bucket(hash)];
            let start = std::ptr::from_ref(bucket).cast::<u8>();
            memkv_arena::prefetch(start);
            memkv_arena::prefetch(start.wrapping_add(BUCKET_BYTES - 1));
        }
        self.queued_keys.extend_from_slice(key);
        self.queue.push(Queued {
            hash,
            addr,
            len: key.len(),
        });
        if self.queue.len() >= BATCH {
            self.flush();
        }
    }

    /// Places every queued registration, oldest first.
    fn flush(&mut self) {
        if self.queue.is_empty() {
            return;
        }
        let queue = std::mem::take(&mut self.queue);
        let keys = std::mem::take(&mut self.queued_keys);
        let mut at = 0;
        for q in &queue {
            self.place_new(q.hash, &keys[at..at + q.len], q.addr);
            at += q.len;
        }
        // The buffers go back, emptied, to keep their allocations.
        self.queue = queue;
        self.queue.clear();
        self.queued_keys = keys;
        self.queued_keys.clear();
    }

    /// Places the registration of `key` (absent, hashed to `hash`) at `addr`.
    fn place_new(&mut self, hash: u64, key: &[u8], addr: u64) {
        let slot = if key.len() <= INLINE {
            Slot::inline(key, addr)
        } else {
            let Some(p) = self.pool_push(key, hash) else {
                return;
            };
            Slot::pooled(p, addr)
        };
        if self.buckets.is_empty() {
            self.buckets = vec![Bucket::default(); MIN_BUCKETS];
        }
        self.inserted += 1;
        let bigger = self.buckets.len() * 2 * BUCKET_BYTES;
        if self.inserted * 4 > self.buckets.len() * WAYS && bigger <= self.budget {
            self.grow();
        }
        let b = self.bucket(hash);
        place(&mut self.buckets[b], slot, &mut self.evicted);
    }

    /// Appends a wide node's key to the pool, first emptying the pool if the key
    /// would take it past its budget. `None` if the key alone is over budget.
    fn pool_push(&mut self, key: &[u8], hash: u64) -> Option<Pooled> {
        let budget = self.pool_budget();
        if key.len() > budget {
            return None;
        }
        if self.pool.len() + key.len() > budget {
            self.pool.clear();
            self.generation = self.generation.wrapping_add(1);
        }
        let p = Pooled {
            offset: self.pool.len() as u32,
            len: key.len() as u32,
            generation: self.generation,
            hash,
        };
        let needed = self.pool.len() + key.len();
        if needed > self.pool.capacity() {
            // Doubling, but never past the budget.
            let target = (self.pool.capacity() * 2).clamp(needed, budget);
            self.pool.reserve_exact(target - self.pool.len());
        }
        self.pool.extend_from_slice(key);
        Some(p)
    }

    fn bucket(&self, hash: u64) -> usize {
        hash as usize & (self.buckets.len() - 1)
    }

    /// Doubles the table, keeping every live entry and each bucket's recency
    /// order; pooled entries from an earlier generation are dropped.
    fn grow(&mut self) {
        let bigger = vec![Bucket::default(); self.buckets.len() * 2];
        let old = std::mem::replace(&mut self.buckets, bigger);
        let mut live = 0;
        for bucket in &old {
            // Least recent first, so the most recent ends up in front.
            for s in bucket.iter().rev().filter(|s| !s.is_free()) {
                let hash = match s.pool_entry() {
                    None => hash(s.inline_key()),
                    Some(p) if p.generation == self.generation => p.hash,
                    Some(_) => continue,
                };
                live += 1;
                let b = self.bucket(hash);
                place(&mut self.buckets[b], *s, &mut self.evicted);
            }
        }
        self.inserted = live;
    }
}

/// Puts `slot` in front of `bucket`, pushing out its least recently used entry.
fn place(bucket: &mut Bucket, slot: Slot, evicted: &mut u64) {
    if !bucket[WAYS - 1].is_free() {
        *evicted += 1;
    }
    bucket.rotate_right(1);
    bucket[0] = slot;
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
        // A bucket that overflows forgets its oldest entry, even below the budget;
        // at under a quarter load that is rare (five or more of four ways).
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
        assert!(found * 100 >= keys.len() * 99, "found {found}");
        assert_eq!(r.evicted() as usize, keys.len() - found);
        // 20,000 nodes at under a quarter load: 128Ki slots of 32 bytes.
        assert_eq!(r.table_bytes(), 4 << 20);
        // A longer key sharing a prefix is a different node.
        assert_eq!(register(&mut r, &[0, 0, 0, 0], 5), None);
        // Keys too long to hold inline are registered through the pool.
        let long = [7u8; INLINE + 1];
        assert_eq!(register(&mut r, &long, 9), None);
        assert_eq!(register(&mut r, &long, 10), Some(9));
        let mut longer = long.to_vec();
        longer.push(7);
        assert_eq!(register(&mut r, &longer, 11), None);
        longer[0] = 8;
        assert_eq!(register(&mut r, &longer, 12), None);
        assert_eq!(register(&mut r, &longer, 13), Some(12));
    }

    #[test]
    fn queued_registrations_are_found_and_placed_in_order() {
        let mut r = Registry::new(DEFAULT_BUDGET);
        // Registered without lookups (as a chain of new nodes is): a run that is
        // not a multiple of the batch, so some wait in the queue at the end.
        let n = 3 * BATCH + 3;
        for i in 0..n as u32 {
            r.insert(None, &i.to_le_bytes(), u64::from(i) + 16);
        }
        assert_eq!(r.queue.len(), 3, "the last registrations are still queued");
        for i in (0..n as u32).rev() {
            assert!(
                matches!(r.lookup(&i.to_le_bytes()), Lookup::Found(a) if a == u64::from(i) + 16),
                "{i}"
            );
        }
        // Wide keys go through the pool from the queue too.
        let wide = [9u8; INLINE + 5];
        r.insert(None, &wide, 77);
        assert!(matches!(r.lookup(&wide), Lookup::Found(77)));
        // Placed in the order they came: of two equal keys registered in turn
        // (which a writer never does), the later one is in front of the bucket.
        r.insert(None, b"same", 5);
        r.insert(None, b"same", 6);
        assert!(matches!(r.lookup(b"same"), Lookup::Found(6)));
    }

    #[test]
    fn a_full_pool_starts_again_and_forgets_what_it_held() {
        let budget = 1 << 12;
        let mut r = Registry::new(budget);
        let key = |i: u32| {
            let mut k = vec![i as u8; 40];
            k[..4].copy_from_slice(&i.to_le_bytes());
            k
        };
        // 25 keys of 40 bytes fill the 1 KiB pool.
        for i in 0..25 {
            assert_eq!(register(&mut r, &key(i), u64::from(i) + 16), None);
        }
        for i in 0..25 {
            assert_eq!(register(&mut r, &key(i), 1), Some(u64::from(i) + 16));
        }
        // The 26th empties it: the first 25 are forgotten, the 26th is kept.
        assert_eq!(register(&mut r, &key(25), 41), None);
        assert_eq!(register(&mut r, &key(25), 1), Some(41));
        for i in 0..10 {
            assert_eq!(register(&mut r, &key(i), u64::from(i) + 100), None);
        }
        assert_eq!(register(&mut r, &key(0), 1), Some(100));
        assert!(r.pool_bytes() <= budget / 4);
        // A key larger than the whole pool is not registered.
        let huge = vec![1u8; budget];
        assert_eq!(register(&mut r, &huge, 5), None);
        assert_eq!(register(&mut r, &huge, 6), None);
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
