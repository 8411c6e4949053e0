//! The shared conformance suite: every map in the workspace runs it.
//!
//! Random operation sequences (proptest) are replayed against the map under test
//! and against a `BTreeMap<Vec<u8>, u64>` model, and every result is compared:
//! inserts and re-inserts, gets, removes of present and absent keys, `pop_first`,
//! `pop_last` and `retain`, `len`, full iteration forward and backward, ranges with
//! every bound combination (also consumed from both ends at once), prefix scans
//! including the empty prefix, `longest_prefix` and `common_prefixes`.
//!
//! Keys are drawn to hit the cases ordered byte maps get wrong: keys that are
//! prefixes of other keys (`a`, `ab`, `abc`), the empty key, `0x00` and `0xFF` bytes
//! (also trailing), long shared prefixes, and keys of more than 64 KiB.
//!
//! ```
//! use memkv_core::{conformance::Suite, SimpleKV};
//! Suite::new("SimpleKV").cases(16).run(SimpleKV::<u64>::new);
//! ```
//!
//! Structures with an invariant checker add `.with_invariants()` so it runs after
//! every step; structures with maintenance operations (compaction, flushing) add
//! `.maintain(..)` so those run at random points too.

use std::borrow::Borrow;
use std::collections::BTreeMap;
use std::fmt;
use std::ops::{Bound, ControlFlow};

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestError, TestRunner};

use crate::{CheckInvariants, KeyBounds, OrderedMap, OrderedMapMut, SharedMap};

/// The model every map is compared with.
pub type Model = BTreeMap<Vec<u8>, u64>;

/// One step of a test sequence.
#[derive(Clone)]
pub enum Op {
    /// `insert(key, value)`; the returned old value is compared.
    Insert(Vec<u8>, u64),
    /// `remove(key)`; the returned value is compared.
    Remove(Vec<u8>),
    /// `pop_first()` (`false`) or `pop_last()` (`true`); the entry is compared.
    Pop(bool),
    /// `retain`, dropping the entries whose `(value + key length) % modulus` is
    /// `residue` (with `modulus` 1, all of them); the count is compared.
    Retain {
        /// At least 1.
        modulus: u64,
        /// Below `modulus`.
        residue: u64,
    },
    /// `get(key)` and `contains_key(key)`.
    Get(Vec<u8>),
    /// `len()` and `is_empty()`.
    Len,
    /// `range(bounds)`, forward or reversed.
    Range(KeyBounds, bool),
    /// `range(bounds)` consumed from both ends: `true` takes `next_back`.
    Zigzag(KeyBounds, Vec<bool>),
    /// `prefix_scan(prefix)`, forward or reversed.
    Prefix(Vec<u8>, bool),
    /// `for_each_in(bounds, f)` with `f` breaking after this many entries.
    ForEach(KeyBounds, usize),
    /// `iter()`, forward or reversed.
    Iter(bool),
    /// `longest_prefix(key)` and `common_prefixes(key)`.
    LongestPrefix(Vec<u8>),
    /// The structure's maintenance hook (compaction, flush), when it has one.
    Maintain,
}

/// A key for humans: escaped, and cut short when long.
struct Show<'a>(&'a [u8]);

impl fmt::Debug for Show<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const MAX: usize = 24;
        let cut = &self.0[..self.0.len().min(MAX)];
        write!(f, "\"{}\"", cut.escape_ascii())?;
        if self.0.len() > MAX {
            write!(f, "..({}B)", self.0.len())?;
        }
        Ok(())
    }
}

struct ShowBound<'a>(&'a Bound<Vec<u8>>);

impl fmt::Debug for ShowBound<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Bound::Included(k) => write!(f, "Included({:?})", Show(k)),
            Bound::Excluded(k) => write!(f, "Excluded({:?})", Show(k)),
            Bound::Unbounded => write!(f, "Unbounded"),
        }
    }
}

impl fmt::Debug for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Op::Insert(k, v) => write!(f, "Insert({:?}, {v})", Show(k)),
            Op::Remove(k) => write!(f, "Remove({:?})", Show(k)),
            Op::Pop(last) => write!(f, "{}", if *last { "PopLast" } else { "PopFirst" }),
            Op::Retain { modulus, residue } => write!(f, "Retain(drop % {modulus} == {residue})"),
            Op::Get(k) => write!(f, "Get({:?})", Show(k)),
            Op::Len => write!(f, "Len"),
            Op::Range(b, rev) => write!(
                f,
                "Range({:?}, {:?}, rev={rev})",
                ShowBound(&b.start),
                ShowBound(&b.end)
            ),
            Op::Zigzag(b, pattern) => write!(
                f,
                "Zigzag({:?}, {:?}, {pattern:?})",
                ShowBound(&b.start),
                ShowBound(&b.end)
            ),
            Op::Prefix(p, rev) => write!(f, "Prefix({:?}, rev={rev})", Show(p)),
            Op::ForEach(b, limit) => write!(
                f,
                "ForEach({:?}, {:?}, break after {limit})",
                ShowBound(&b.start),
                ShowBound(&b.end)
            ),
            Op::Iter(rev) => write!(f, "Iter(rev={rev})"),
            Op::LongestPrefix(k) => write!(f, "LongestPrefix({:?})", Show(k)),
            Op::Maintain => write!(f, "Maintain"),
        }
    }
}

/// Bytes the short keys are made of: the extremes, their neighbours and two letters.
const ALPHABET: &[u8] = &[0x00, 0x01, b'a', b'b', 0x7F, 0x80, 0xFE, 0xFF];

/// A prefix shared by many keys, longer than any inline prefix buffer.
const SHARED_PREFIX: &[u8] = b"https://www.example.com/a/rather/long/shared/path/prefix/";

/// Length of the long keys.
const HUGE: usize = if cfg!(miri) { 300 } else { 64 * 1024 + 3 };

fn short_key() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(proptest::sample::select(ALPHABET), 0..5)
}

/// Keys chosen to collide, share prefixes and sit on edges.
pub fn key() -> BoxedStrategy<Vec<u8>> {
    prop_oneof![
        10 => short_key(),
        4 => short_key().prop_map(|s| [SHARED_PREFIX, &s].concat()),
        1 => (proptest::sample::select(&[b'x', 0x00, 0xFF][..]), short_key())
            .prop_map(|(fill, s)| {
                let mut k = vec![fill; HUGE];
                k.extend_from_slice(&s);
                k
            }),
    ]
    .boxed()
}

fn bound() -> impl Strategy<Value = Bound<Vec<u8>>> {
    prop_oneof![
        key().prop_map(Bound::Included),
        key().prop_map(Bound::Excluded),
        Just(Bound::Unbounded),
    ]
}

fn bounds() -> impl Strategy<Value = KeyBounds> {
    (bound(), bound()).prop_map(|(start, end)| KeyBounds { start, end })
}

fn read_op() -> BoxedStrategy<Op> {
    prop_oneof![
        6 => key().prop_map(Op::Get),
        1 => Just(Op::Len),
        3 => (bounds(), any::<bool>()).prop_map(|(b, r)| Op::Range(b, r)),
        2 => (bounds(), proptest::collection::vec(any::<bool>(), 0..12))
            .prop_map(|(b, p)| Op::Zigzag(b, p)),
        3 => (key().prop_map(|k| k[..k.len().min(3)].to_vec()), any::<bool>())
            .prop_map(|(p, r)| Op::Prefix(p, r)),
        1 => any::<bool>().prop_map(Op::Iter),
        2 => (bounds(), prop_oneof![Just(usize::MAX), 1..4usize])
            .prop_map(|(b, limit)| Op::ForEach(b, limit)),
        // A drawn key and some bytes after it, so that stored keys are often
        // prefixes of the query (and the query's own prefixes are often keys).
        3 => (key(), short_key())
            .prop_map(|(k, tail)| Op::LongestPrefix([k, tail].concat())),
    ]
    .boxed()
}

fn any_op() -> BoxedStrategy<Op> {
    prop_oneof![
        10 => (key(), any::<u64>()).prop_map(|(k, v)| Op::Insert(k, v)),
        4 => key().prop_map(Op::Remove),
        1 => any::<bool>().prop_map(Op::Pop),
        1 => (1..=4u64)
            .prop_flat_map(|m| (Just(m), 0..m))
            .prop_map(|(modulus, residue)| Op::Retain { modulus, residue }),
        8 => read_op(),
        1 => Just(Op::Maintain),
    ]
    .boxed()
}

/// Entries to build a read-only map from.
pub fn entries() -> BoxedStrategy<Model> {
    proptest::collection::btree_map(key(), any::<u64>(), 0..48).boxed()
}

type Entries = Vec<(Vec<u8>, u64)>;

fn collect<'a, K: AsRef<[u8]>, V: Borrow<u64>>(it: impl Iterator<Item = (K, V)> + 'a) -> Entries {
    it.map(|(k, v)| (k.as_ref().to_vec(), *v.borrow()))
        .collect()
}

fn model_range(model: &Model, b: &KeyBounds) -> Entries {
    model
        .iter()
        .filter(|(k, _)| b.contains(k))
        .map(|(k, v)| (k.clone(), *v))
        .collect()
}

fn show_entries(e: &Entries) -> String {
    let shown: Vec<String> = e
        .iter()
        .take(8)
        .map(|(k, v)| format!("{:?}={v}", Show(k)))
        .collect();
    let more = if e.len() > 8 {
        format!(" ..{} in all", e.len())
    } else {
        String::new()
    };
    format!("[{}{more}]", shown.join(", "))
}

fn compare(what: &str, expected: Entries, got: Entries) -> Result<(), String> {
    if expected == got {
        Ok(())
    } else {
        Err(format!(
            "{what}: expected {} got {}",
            show_entries(&expected),
            show_entries(&got)
        ))
    }
}

/// Runs one read-only operation on `map` and the model, comparing the results.
fn check_read<M: OrderedMap<Value = u64>>(map: &M, model: &Model, op: &Op) -> Result<(), String> {
    match op {
        Op::Get(k) => {
            let expected = model.get(k).copied();
            let got = map.get(k).map(|v| *v.borrow());
            if expected != got {
                return Err(format!("get: expected {expected:?} got {got:?}"));
            }
            if map.contains_key(k) != expected.is_some() {
                return Err(format!("contains_key disagrees with get ({expected:?})"));
            }
        }
        Op::Len => {
            if map.len() != model.len() || map.is_empty() != model.is_empty() {
                return Err(format!("len: expected {} got {}", model.len(), map.len()));
            }
        }
        Op::Range(b, rev) => {
            let mut expected = model_range(model, b);
            let got = if *rev {
                expected.reverse();
                collect(map.range(b.clone()).rev())
            } else {
                collect(map.range(b.clone()))
            };
            compare("range", expected, got)?;
        }
        Op::Zigzag(b, pattern) => {
            let mut expected = model_range(model, b).into_iter();
            let mut it = map.range(b.clone());
            for &back in pattern.iter().chain(std::iter::repeat_n(&false, 2)) {
                let (e, g) = if back {
                    (expected.next_back(), it.next_back())
                } else {
                    (expected.next(), it.next())
                };
                let g = g.map(|(k, v)| (k.as_ref().to_vec(), *v.borrow()));
                if e != g {
                    return Err(format!(
                        "double-ended range (next_back={back}): expected {:?} got {:?}",
                        e.map(|(k, v)| format!("{:?}={v}", Show(&k))),
                        g.map(|(k, v)| format!("{:?}={v}", Show(&k)))
                    ));
                }
            }
        }
        Op::Prefix(p, rev) => {
            let mut expected: Entries = model
                .iter()
                .filter(|(k, _)| k.starts_with(p))
                .map(|(k, v)| (k.clone(), *v))
                .collect();
            let got = if *rev {
                expected.reverse();
                collect(map.prefix_scan(p).rev())
            } else {
                collect(map.prefix_scan(p))
            };
            compare("prefix_scan", expected, got)?;
        }
        Op::ForEach(b, limit) => {
            let expected: Entries = model_range(model, b).into_iter().take(*limit).collect();
            let mut got = Vec::new();
            map.for_each_in(b.clone(), |k, v| {
                got.push((k.to_vec(), *v));
                if got.len() == *limit {
                    ControlFlow::Break(())
                } else {
                    ControlFlow::Continue(())
                }
            });
            compare("for_each_in", expected, got)?;
        }
        Op::Iter(rev) => {
            let mut expected: Entries = model.iter().map(|(k, v)| (k.clone(), *v)).collect();
            let got = if *rev {
                expected.reverse();
                collect(map.iter().rev())
            } else {
                collect(map.iter())
            };
            compare("iter", expected, got)?;
        }
        Op::LongestPrefix(q) => {
            let expected = model
                .iter()
                .filter(|(k, _)| q.starts_with(k))
                .max_by_key(|(k, _)| k.len())
                .map(|(k, v)| (k.clone(), *v));
            let got = map
                .longest_prefix(q)
                .map(|(k, v)| (k.as_ref().to_vec(), *v.borrow()));
            compare(
                "longest_prefix",
                expected.into_iter().collect(),
                got.into_iter().collect(),
            )?;
            let expected: Entries = model
                .iter()
                .filter(|(k, _)| q.starts_with(k))
                .map(|(k, v)| (k.clone(), *v))
                .collect();
            let got = map
                .common_prefixes(q)
                .into_iter()
                .map(|(k, v)| (k.to_vec(), *v.borrow()))
                .collect();
            compare("common_prefixes", expected, got)?;
        }
        Op::Insert(..) | Op::Remove(_) | Op::Pop(_) | Op::Retain { .. } | Op::Maintain => {
            unreachable!("write operations are applied by the mutable replay")
        }
    }
    Ok(())
}

type Hook<M> = Box<dyn Fn(&mut M)>;
type Checker<M> = Box<dyn Fn(&M) -> Result<(), String>>;

/// A configured run of the conformance suite for one map type.
pub struct Suite<M> {
    name: String,
    cases: u32,
    max_ops: usize,
    invariants: Option<Checker<M>>,
    maintain: Option<Hook<M>>,
}

impl<M> fmt::Debug for Suite<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Suite")
            .field("name", &self.name)
            .field("cases", &self.cases)
            .field("max_ops", &self.max_ops)
            .finish_non_exhaustive()
    }
}

impl<M> Suite<M> {
    /// A suite for the map type called `name` (used in failure messages).
    ///
    /// The number of cases defaults to 256 (8 under Miri), or `PROPTEST_CASES` when
    /// set.
    pub fn new(name: &str) -> Suite<M> {
        let default_cases = if cfg!(miri) { 8 } else { 256 };
        let cases = std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(default_cases);
        Suite {
            name: name.to_string(),
            cases,
            max_ops: if cfg!(miri) { 24 } else { 96 },
            invariants: None,
            maintain: None,
        }
    }

    /// Sets the number of random sequences.
    pub fn cases(mut self, cases: u32) -> Suite<M> {
        self.cases = cases;
        self
    }

    /// Sets the longest sequence.
    pub fn max_ops(mut self, max_ops: usize) -> Suite<M> {
        self.max_ops = max_ops.max(1);
        self
    }

    /// Runs `M`'s invariant checker after every step.
    pub fn with_invariants(mut self) -> Suite<M>
    where
        M: CheckInvariants,
    {
        self.invariants = Some(Box::new(|m: &M| m.check_invariants()));
        self
    }

    /// Runs `hook` (a compaction, a flush) wherever a sequence says `Maintain`.
    pub fn maintain(mut self, hook: impl Fn(&mut M) + 'static) -> Suite<M> {
        self.maintain = Some(Box::new(hook));
        self
    }

    fn runner(&self) -> TestRunner {
        TestRunner::new(Config {
            cases: self.cases,
            failure_persistence: None,
            ..Config::default()
        })
    }

    fn report<T: fmt::Debug>(&self, r: Result<(), TestError<T>>) -> Result<(), String> {
        r.map_err(|e| match e {
            TestError::Fail(why, input) => format!(
                "{} fails the conformance suite: {why}\nminimal failing input: {input:#?}",
                self.name
            ),
            TestError::Abort(why) => format!("{}: suite aborted: {why}", self.name),
        })
    }

    /// Runs the invariant checker, if the suite has one.
    fn invariants_hold(&self, map: &M) -> Result<(), String> {
        match &self.invariants {
            Some(check) => check(map).map_err(|why| format!("invariant broken: {why}")),
            None => Ok(()),
        }
    }

    /// Panics with the minimal failing sequence if `M` does not conform.
    pub fn run(&self, make: impl Fn() -> M)
    where
        M: OrderedMapMut<Value = u64>,
    {
        if let Err(e) = self.check(make) {
            panic!("{e}");
        }
    }

    /// Replays random sequences on maps made by `make`; `Err` describes the minimal
    /// failing sequence.
    pub fn check(&self, make: impl Fn() -> M) -> Result<(), String>
    where
        M: OrderedMapMut<Value = u64>,
    {
        let ops = proptest::collection::vec(any_op(), 1..=self.max_ops);
        let result = self.runner().run(&ops, |ops| {
            self.replay(&mut make(), &ops).map_err(TestCaseError::fail)
        });
        self.report(result)
    }

    /// Replays `ops` on `map` (empty) and on the model, comparing every answer and
    /// running the invariant checker after each step, then compares the full
    /// contents; `Err` names the first step that went wrong. This is what
    /// [`Suite::check`] runs for each random sequence; a fuzzer that decodes its
    /// own sequences (`fuzz/`) calls it directly.
    pub fn replay(&self, map: &mut M, ops: &[Op]) -> Result<(), String>
    where
        M: OrderedMapMut<Value = u64>,
    {
        self.replay_from(map, Model::new(), ops)
    }

    /// [`Suite::replay`] on a map that starts with the contents of `model`: one
    /// opened from files, say, whose expected contents the caller knows.
    pub fn replay_from(&self, map: &mut M, mut model: Model, ops: &[Op]) -> Result<(), String>
    where
        M: OrderedMapMut<Value = u64>,
    {
        check_read(map, &model, &Op::Iter(false))
            .and_then(|()| check_read(map, &model, &Op::Len))
            .map_err(|why| format!("before the first step: {why}"))?;
        for (step, op) in ops.iter().enumerate() {
            let fail = |why: String| format!("step {step} ({op:?}): {why}");
            match op {
                Op::Insert(k, v) => {
                    let expected = model.insert(k.clone(), *v);
                    let got = map.insert(k, *v);
                    if expected != got {
                        return Err(fail(format!(
                            "insert returned {got:?}, expected {expected:?}"
                        )));
                    }
                }
                Op::Remove(k) => {
                    let expected = model.remove(k);
                    let got = map.remove(k);
                    if expected != got {
                        return Err(fail(format!(
                            "remove returned {got:?}, expected {expected:?}"
                        )));
                    }
                }
                Op::Pop(last) => {
                    let (expected, got) = if *last {
                        (model.pop_last(), map.pop_last())
                    } else {
                        (model.pop_first(), map.pop_first())
                    };
                    if expected != got {
                        return Err(fail(format!(
                            "pop returned {:?}, expected {:?}",
                            got.map(|(k, v)| format!("{:?}={v}", Show(&k))),
                            expected.map(|(k, v)| format!("{:?}={v}", Show(&k)))
                        )));
                    }
                }
                Op::Retain { modulus, residue } => {
                    let doomed =
                        |k: &[u8], v: &u64| v.wrapping_add(k.len() as u64) % modulus == *residue;
                    let before = model.len();
                    model.retain(|k, v| !doomed(k, v));
                    let expected = before - model.len();
                    let got = map.retain(|k, v| !doomed(k, v));
                    if expected != got {
                        return Err(fail(format!(
                            "retain removed {got} entries, expected {expected}"
                        )));
                    }
                }
                Op::Maintain => {
                    if let Some(hook) = &self.maintain {
                        hook(map);
                    }
                }
                read => check_read(map, &model, read).map_err(fail)?,
            }
            self.invariants_hold(map).map_err(fail)?;
        }
        check_read(map, &model, &Op::Iter(false))
            .and_then(|()| check_read(map, &model, &Op::Len))
            .map_err(|why| format!("after the last step: {why}"))
    }

    /// Panics if maps that `build` makes from sorted entries do not answer read
    /// operations like the model.
    pub fn run_read_only(&self, build: impl Fn(&[(Vec<u8>, u64)]) -> M)
    where
        M: OrderedMap<Value = u64>,
    {
        if let Err(e) = self.check_read_only(build) {
            panic!("{e}");
        }
    }

    /// Builds maps from random sorted entries with `build`, then replays random
    /// read operations.
    pub fn check_read_only(&self, build: impl Fn(&[(Vec<u8>, u64)]) -> M) -> Result<(), String>
    where
        M: OrderedMap<Value = u64>,
    {
        let strategy = (
            entries(),
            proptest::collection::vec(read_op(), 1..=self.max_ops),
        );
        let result = self.runner().run(&strategy, |(model, ops)| {
            let sorted: Entries = model.iter().map(|(k, v)| (k.clone(), *v)).collect();
            let map = build(&sorted);
            self.invariants_hold(&map)
                .map_err(|why| TestCaseError::fail(format!("once built: {why}")))?;
            for (step, op) in ops
                .iter()
                .chain([Op::Iter(false), Op::Iter(true), Op::Len].iter())
                .enumerate()
            {
                check_read(&map, &model, op)
                    .map_err(|why| TestCaseError::fail(format!("step {step} ({op:?}): {why}")))?;
            }
            Ok(())
        });
        self.report(result)
    }
}

/// Writers, readers and the map's maintenance hook running at once on one shared
/// map; at the end its contents must equal the model of all writes.
///
/// Each writer owns a disjoint set of keys, so the final state is deterministic.
/// Readers check that every value they see for a key is one that some writer stored
/// under it, and that scans come back sorted and within bounds.
pub fn check_concurrent<E>(map: &E, maintain: impl Fn(&E) + Sync) -> Result<(), String>
where
    E: SharedMap<Value = u64>,
{
    const WRITERS: u64 = 2;
    const READERS: usize = 2;
    let per_writer: u64 = if cfg!(miri) { 30 } else { 3_000 };
    // Key i of writer w; value encodes (w, i, version) so readers can validate it.
    let key =
        |w: u64, i: u64| format!("w{w}/{:x}", i.wrapping_mul(0x9E37_79B9) % 4096).into_bytes();
    let value = |w: u64, i: u64, version: u64| (w << 48) | (i << 8) | version;
    let done = std::sync::atomic::AtomicBool::new(false);
    let error = std::sync::Mutex::new(None::<String>);

    std::thread::scope(|s| {
        let writers: Vec<_> = (0..WRITERS)
            .map(|w| {
                s.spawn(move || {
                    for i in 0..per_writer {
                        map.insert(&key(w, i), value(w, i, 1));
                        if i % 3 == 0 {
                            map.insert(&key(w, i), value(w, i, 2));
                        }
                        if i % 5 == 0 {
                            map.remove(&key(w, i));
                        }
                    }
                })
            })
            .collect();
        for r in 0..READERS {
            let (done, error) = (&done, &error);
            s.spawn(move || {
                let mut round = 0u64;
                while !done.load(std::sync::atomic::Ordering::Acquire) {
                    round += 1;
                    let w = round % WRITERS;
                    let i = (round * 7 + r as u64) % per_writer;
                    let k = key(w, i);
                    if let Some(v) = map.get(&k) {
                        let (vw, vi, version) = (v >> 48, (v >> 8) & 0xFF_FFFF_FFFF, v & 0xFF);
                        if vw != w || !(1..=2).contains(&version) || key(vw, vi) != k {
                            *error.lock().unwrap() =
                                Some(format!("reader saw value {v:#x} under {:?}", Show(&k)));
                        }
                    }
                    if round % 64 == 0 {
                        let b = KeyBounds::prefix(format!("w{w}/").as_bytes());
                        let scan = map.collect_range(&b);
                        let sorted = scan.windows(2).all(|p| p[0].0 < p[1].0);
                        if !sorted || scan.iter().any(|(k, _)| !b.contains(k)) {
                            *error.lock().unwrap() =
                                Some("a scan came back unsorted or out of bounds".into());
                        }
                    }
                }
            });
        }
        let maintainer = s.spawn(|| {
            for _ in 0..4 {
                maintain(map);
                std::thread::yield_now();
            }
        });
        for w in writers {
            w.join().expect("writer thread panicked");
        }
        maintainer.join().expect("maintenance thread panicked");
        done.store(true, std::sync::atomic::Ordering::Release);
    });

    if let Some(e) = error.into_inner().unwrap() {
        return Err(e);
    }
    let mut model = Model::new();
    for w in 0..WRITERS {
        for i in 0..per_writer {
            model.insert(key(w, i), value(w, i, 1));
            if i % 3 == 0 {
                model.insert(key(w, i), value(w, i, 2));
            }
            if i % 5 == 0 {
                model.remove(&key(w, i));
            }
        }
    }
    let got = map.collect_range(&KeyBounds::all());
    let expected: Entries = model.into_iter().collect();
    compare("final contents after concurrent writes", expected, got)?;
    Ok(())
}

/// Threads updating shared counters with [`SharedMap::update`] while the map's
/// maintenance hook runs: no increment may be lost. One more thread toggles a key
/// of its own in and out, checking each answer, so removal through `update` is
/// checked too.
pub fn check_concurrent_updates<E>(map: &E, maintain: impl Fn(&E) + Sync) -> Result<(), String>
where
    E: SharedMap<Value = u64>,
{
    const THREADS: u64 = 3;
    const COUNTERS: u64 = 8;
    let per_thread: u64 = if cfg!(miri) { 40 } else { 3_000 };
    let counter = |i: u64| format!("count/{i}").into_bytes();
    let toggle = b"toggle".as_slice();
    let error = std::sync::Mutex::new(None::<String>);
    std::thread::scope(|s| {
        for t in 0..THREADS {
            let error = &error;
            s.spawn(move || {
                for j in 0..per_thread {
                    let k = counter((j * 7 + t) % COUNTERS);
                    let now = map.update(&k, |n| Some(n.copied().unwrap_or(0) + 1));
                    if now.is_none_or(|n| n == 0) {
                        *error.lock().unwrap() = Some(format!("update returned {now:?}"));
                    }
                }
            });
        }
        let error = &error;
        s.spawn(move || {
            for j in 0..per_thread {
                let expected = (j % 2 == 0).then_some(j);
                let now = map.update(toggle, |old| match old {
                    None => Some(j),
                    Some(_) => None,
                });
                if now != expected {
                    *error.lock().unwrap() = Some(format!(
                        "toggle {j}: update returned {now:?}, expected {expected:?}"
                    ));
                }
            }
        });
        s.spawn(|| {
            for _ in 0..4 {
                maintain(map);
                std::thread::yield_now();
            }
        });
    });
    if let Some(e) = error.into_inner().unwrap() {
        return Err(e);
    }
    let total: u64 = (0..COUNTERS).filter_map(|i| map.get(&counter(i))).sum();
    if total != THREADS * per_thread {
        return Err(format!(
            "counters add up to {total}, expected {}: updates were lost",
            THREADS * per_thread
        ));
    }
    let toggled = map.get(toggle);
    let expected = (per_thread % 2 == 1).then_some(per_thread - 1);
    if toggled != expected {
        return Err(format!(
            "toggle ended as {toggled:?}, expected {expected:?}"
        ));
    }
    Ok(())
}
