//! The conformance suite against `SimpleKV`, and proof that the suite has teeth.

use std::ops::{Bound, ControlFlow, RangeBounds};

use memkv_core::conformance::{check_concurrent, check_concurrent_updates, Model, Op, Suite};
use memkv_core::{
    CheckInvariants, KeyBounds, Locked, OrderedMap, OrderedMapMut, SharedMap, SimpleKV,
};

#[test]
fn simple_kv_conforms() {
    Suite::new("SimpleKV").run(SimpleKV::<u64>::new);
}

#[test]
fn simple_kv_read_only_conforms() {
    Suite::new("SimpleKV (read-only)")
        .run_read_only(|entries| entries.iter().cloned().collect::<SimpleKV<u64>>());
}

#[test]
fn locked_simple_kv_survives_concurrent_use() {
    let map = Locked::new(SimpleKV::<u64>::new());
    check_concurrent(&map, |m| {
        m.write(|inner| assert!(inner.iter().count() <= inner.len()));
    })
    .unwrap();
    let map = Locked::new(SimpleKV::<u64>::new());
    check_concurrent_updates(&map, |m| {
        let _ = m.memory_usage();
    })
    .unwrap();
}

/// A shared map whose `update` cannot remove: `None` leaves the old value.
struct UpdateNeverRemoves(Locked<SimpleKV<u64>>);

impl SharedMap for UpdateNeverRemoves {
    type Value = u64;
    type Scan = <Locked<SimpleKV<u64>> as SharedMap>::Scan;

    fn insert(&self, key: &[u8], value: u64) -> Option<u64> {
        self.0.insert(key, value)
    }
    fn remove(&self, key: &[u8]) -> Option<u64> {
        SharedMap::remove(&self.0, key)
    }
    fn update(&self, key: &[u8], f: impl FnOnce(Option<&u64>) -> Option<u64>) -> Option<u64> {
        self.0.update(key, |old| f(old).or(old.copied()))
    }
    fn get(&self, key: &[u8]) -> Option<u64> {
        SharedMap::get(&self.0, key)
    }
    fn contains_key(&self, key: &[u8]) -> bool {
        SharedMap::contains_key(&self.0, key)
    }
    fn len(&self) -> usize {
        SharedMap::len(&self.0)
    }
    fn scan(&self, bounds: &KeyBounds) -> Self::Scan {
        self.0.scan(bounds)
    }
    fn memory_usage(&self) -> usize {
        SharedMap::memory_usage(&self.0)
    }
}

#[test]
fn concurrent_update_check_catches_an_update_that_cannot_remove() {
    let map = UpdateNeverRemoves(Locked::new(SimpleKV::new()));
    let err = check_concurrent_updates(&map, |_| {}).expect_err("removal must be checked");
    assert!(err.contains("toggle"), "{err}");
}

/// The read side of a test map wrapping a `SimpleKV`: every method passes
/// through, except those given after the type (the map's deliberate fault).
macro_rules! reads_of_simple_kv {
    ($map:ty $(, $($fault:tt)+)?) => {
        impl OrderedMap for $map {
            type Value = u64;
            type KeyRef<'a> = &'a [u8];
            type ValueRef<'a> = &'a u64;
            type Range<'a> = <SimpleKV<u64> as OrderedMap>::Range<'a>;

            fn get(&self, key: impl AsRef<[u8]>) -> Option<&u64> {
                self.0.get(key)
            }
            fn len(&self) -> usize {
                self.0.len()
            }
            fn range<R: RangeBounds<[u8]>>(&self, range: R) -> Self::Range<'_> {
                self.0.range(range)
            }
            fn memory_usage(&self) -> usize {
                self.0.memory_usage()
            }
            $($($fault)+)?
        }
    };
}

/// A map with the classic radix-tree bug: a key that is a strict prefix of a key
/// already present is silently dropped.
#[derive(Default)]
struct ForgetsPrefixKeys(SimpleKV<u64>);

reads_of_simple_kv!(ForgetsPrefixKeys);

impl OrderedMapMut for ForgetsPrefixKeys {
    fn insert(&mut self, key: impl AsRef<[u8]>, value: u64) -> Option<u64> {
        let key = key.as_ref();
        let shadowed = self
            .0
            .range(KeyBounds::prefix(key))
            .any(|(k, _)| k.len() > key.len());
        if shadowed {
            return None;
        }
        self.0.insert(key, value)
    }
    fn remove(&mut self, key: impl AsRef<[u8]>) -> Option<u64> {
        self.0.remove(key)
    }
}

#[test]
fn suite_catches_a_map_that_loses_prefix_keys() {
    let err = Suite::new("ForgetsPrefixKeys")
        .check(ForgetsPrefixKeys::default)
        .expect_err("the suite must reject a map that loses prefix keys");
    assert!(err.contains("ForgetsPrefixKeys fails"), "{err}");
}

/// `replay` runs one given sequence: it passes on a correct map and names the
/// step where a broken one first disagrees with the model.
#[test]
fn replay_names_the_first_step_that_disagrees() {
    let ops = [
        Op::Insert(b"ab".to_vec(), 1),
        Op::Insert(b"a".to_vec(), 2),
        Op::Get(b"a".to_vec()),
        Op::Prefix(b"a".to_vec(), false),
    ];
    Suite::new("SimpleKV")
        .replay(&mut SimpleKV::<u64>::new(), &ops)
        .unwrap();
    let err = Suite::new("ForgetsPrefixKeys")
        .replay(&mut ForgetsPrefixKeys::default(), &ops)
        .expect_err("a map that loses prefix keys fails the replay");
    // Dropping "a" returns what the model returns (nothing was there): the
    // lookup after it is the first answer that differs.
    assert!(err.starts_with("step 2 (Get(\"a\"))"), "{err}");
}

/// `replay_from` starts from a known model: it checks the map holds it before
/// the first step, then goes on as `replay`.
#[test]
fn replay_from_checks_the_starting_contents() {
    let start: Model = [(b"a".to_vec(), 1), (b"b".to_vec(), 2)]
        .into_iter()
        .collect();
    let mut map: SimpleKV<u64> = start.clone().into_iter().collect();
    let ops = [Op::Remove(b"a".to_vec()), Op::Get(b"b".to_vec())];
    let suite = Suite::new("SimpleKV");
    suite.replay_from(&mut map, start.clone(), &ops).unwrap();

    // The same map, now without "a", no longer matches the starting model.
    let err = suite
        .replay_from(&mut map, start, &ops)
        .expect_err("a map that does not hold the starting model fails");
    assert!(err.starts_with("before the first step"), "{err}");
}

/// A map whose ordered iteration is wrong only backwards.
#[derive(Default)]
struct BrokenReverse(SimpleKV<u64>);

impl OrderedMap for BrokenReverse {
    type Value = u64;
    type KeyRef<'a> = &'a [u8];
    type ValueRef<'a> = &'a u64;
    type Range<'a> = std::vec::IntoIter<(&'a [u8], &'a u64)>;

    fn get(&self, key: impl AsRef<[u8]>) -> Option<&u64> {
        self.0.get(key)
    }
    fn len(&self) -> usize {
        self.0.len()
    }
    fn range<R: RangeBounds<[u8]>>(&self, range: R) -> Self::Range<'_> {
        let mut v: Vec<_> = self.0.range(range).collect();
        // Drops the last entry whenever there are three or more: only a reverse or
        // double-ended scan of a long enough range notices.
        if v.len() >= 3 {
            v.pop();
        }
        v.into_iter()
    }
    fn memory_usage(&self) -> usize {
        0
    }
}

#[test]
fn suite_catches_a_range_that_loses_its_last_entry() {
    let result = Suite::new("BrokenReverse")
        .check_read_only(|entries| BrokenReverse(entries.iter().cloned().collect()));
    assert!(result.is_err());
}

/// A map whose invariant checker objects to any key longer than 4 bytes.
#[derive(Default)]
struct PickyInvariants(SimpleKV<u64>);

impl CheckInvariants for PickyInvariants {
    fn check_invariants(&self) -> Result<(), String> {
        match self.0.iter().find(|(k, _)| k.len() > 4) {
            Some((k, _)) => Err(format!("key of {} bytes", k.len())),
            None => Ok(()),
        }
    }
}

reads_of_simple_kv!(PickyInvariants);

impl OrderedMapMut for PickyInvariants {
    fn insert(&mut self, key: impl AsRef<[u8]>, value: u64) -> Option<u64> {
        self.0.insert(key, value)
    }
    fn remove(&mut self, key: impl AsRef<[u8]>) -> Option<u64> {
        self.0.remove(key)
    }
}

#[test]
fn suite_runs_the_invariant_checker_after_every_step() {
    let err = Suite::new("PickyInvariants")
        .with_invariants()
        .check(PickyInvariants::default)
        .expect_err("the invariant checker must be consulted");
    assert!(err.contains("invariant broken"), "{err}");
}

/// A map whose `longest_prefix` answers with the shortest stored prefix instead.
struct ShortestPrefix(SimpleKV<u64>);

reads_of_simple_kv!(
    ShortestPrefix,
    fn longest_prefix(&self, key: impl AsRef<[u8]>) -> Option<(&[u8], &u64)> {
        let key = key.as_ref();
        (0..=key.len()).find_map(|n| {
            let q = Bound::Included(&key[..n]);
            self.0.range::<(Bound<&[u8]>, Bound<&[u8]>)>((q, q)).next()
        })
    }
);

#[test]
fn suite_catches_a_longest_prefix_that_stops_short() {
    let err = Suite::new("ShortestPrefix")
        .check_read_only(|entries| ShortestPrefix(entries.iter().cloned().collect()))
        .expect_err("the suite must check longest_prefix");
    assert!(err.contains("longest_prefix"), "{err}");
}

/// A map whose `common_prefixes` lists the prefixes longest first.
struct ReversedPrefixes(SimpleKV<u64>);

reads_of_simple_kv!(
    ReversedPrefixes,
    fn common_prefixes<'a, 'k>(&'a self, key: &'k [u8]) -> Vec<(&'k [u8], &'a u64)> {
        let mut found = OrderedMap::common_prefixes(&self.0, key);
        found.reverse();
        found
    }
);

#[test]
fn suite_catches_common_prefixes_out_of_order() {
    let err = Suite::new("ReversedPrefixes")
        .check_read_only(|entries| ReversedPrefixes(entries.iter().cloned().collect()))
        .expect_err("the suite must check common_prefixes");
    assert!(err.contains("common_prefixes"), "{err}");
}

/// A map whose `pop_last` takes the first entry and whose `retain` stops after
/// the first entry it drops.
#[derive(Default)]
struct SloppyRemovals {
    inner: SimpleKV<u64>,
    /// Which of the two faults is on: `true` the pop, `false` the retain.
    bad_pop: bool,
}

impl OrderedMap for SloppyRemovals {
    type Value = u64;
    type KeyRef<'a> = &'a [u8];
    type ValueRef<'a> = &'a u64;
    type Range<'a> = <SimpleKV<u64> as OrderedMap>::Range<'a>;

    fn get(&self, key: impl AsRef<[u8]>) -> Option<&u64> {
        self.inner.get(key)
    }
    fn len(&self) -> usize {
        self.inner.len()
    }
    fn range<R: RangeBounds<[u8]>>(&self, range: R) -> Self::Range<'_> {
        self.inner.range(range)
    }
    fn memory_usage(&self) -> usize {
        self.inner.memory_usage()
    }
}

impl OrderedMapMut for SloppyRemovals {
    fn insert(&mut self, key: impl AsRef<[u8]>, value: u64) -> Option<u64> {
        self.inner.insert(key, value)
    }
    fn remove(&mut self, key: impl AsRef<[u8]>) -> Option<u64> {
        self.inner.remove(key)
    }
    fn pop_last(&mut self) -> Option<(Vec<u8>, u64)> {
        if self.bad_pop {
            self.pop_first()
        } else {
            OrderedMapMut::pop_last(&mut self.inner)
        }
    }
    fn retain(&mut self, mut keep: impl FnMut(&[u8], &u64) -> bool) -> usize {
        if self.bad_pop {
            return OrderedMapMut::retain(&mut self.inner, keep);
        }
        let first_doomed = self
            .inner
            .iter()
            .find(|(k, v)| !keep(k, v))
            .map(|(k, _)| k.to_vec());
        first_doomed.map_or(0, |k| usize::from(self.remove(k).is_some()))
    }
}

#[test]
fn suite_catches_wrong_pops_and_partial_retains() {
    for (bad_pop, what) in [(true, "pop returned"), (false, "retain removed")] {
        let err = Suite::new("SloppyRemovals")
            .check(|| SloppyRemovals {
                inner: SimpleKV::new(),
                bad_pop,
            })
            .expect_err("the suite must check pop_last and retain");
        assert!(err.contains(what), "{err}");
    }
}

/// A map whose `for_each_in` does not stop when told to.
struct IgnoresBreak(SimpleKV<u64>);

reads_of_simple_kv!(
    IgnoresBreak,
    fn for_each_in<R: RangeBounds<[u8]>>(
        &self,
        range: R,
        mut f: impl FnMut(&[u8], &u64) -> ControlFlow<()>,
    ) {
        for (k, v) in self.0.range(range) {
            let _ = f(k, v);
        }
    }
);

#[test]
fn suite_catches_a_scan_that_ignores_break() {
    let err = Suite::new("IgnoresBreak")
        .check_read_only(|entries| IgnoresBreak(entries.iter().cloned().collect()))
        .expect_err("the suite must check for_each_in");
    assert!(err.contains("for_each_in"), "{err}");
}
