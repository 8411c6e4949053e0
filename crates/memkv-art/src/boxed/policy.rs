//! Storage policies: what the boxed variants differ in.
//!
//! The tree algorithm in [`super::tree`] is written once, over a [`Policy`] that
//! decides three things:
//!
//! - **where byte strings live** ([`Strings`]): prefixes and leaf suffixes owned
//!   by their 24-byte handle, inline or in a `Box<[u8]>` ([`OwnedStrings`]), or as
//!   8-byte [`ArenaStr`] handles into one shared [`ByteArena`] ([`ArenaStrings`]);
//! - **where leaves live** ([`Leaves`]): each in its own `Box` ([`BoxedLeaves`]),
//!   or inline in the parent's 16-byte child slot ([`InlineLeaves`]);
//! - **the smallest node class** ([`Policy::NODE3`]): the paper's Node4, or a
//!   one-line Node3.

use std::marker::PhantomData;

use memkv_arena::{ByteArena, DataRef};

/// How the tree stores byte strings (node prefixes and leaf key suffixes).
pub(crate) trait Strings: 'static {
    /// Shared storage the handles point into (`()` when each string owns its bytes).
    type Store: Default;
    /// A handle to one byte string.
    type Str;

    /// The empty string (needs no storage).
    fn empty() -> Self::Str;
    /// Stores the concatenation of `parts`.
    fn alloc(store: &mut Self::Store, parts: &[&[u8]]) -> Self::Str;
    /// The bytes of `s`.
    fn get<'a>(store: &'a Self::Store, s: &'a Self::Str) -> &'a [u8];
    /// `Some(len of s)` when `rest` starts with `s`. The lookup loop calls this at
    /// every level, so policies with inline strings answer without a `memcmp` call.
    #[inline]
    fn match_prefix(store: &Self::Store, s: &Self::Str, rest: &[u8]) -> Option<usize> {
        let p = Self::get(store, s);
        rest.starts_with(p).then_some(p.len())
    }
    /// The length of `s` when its bytes live outside the handle (a dependent cache
    /// miss away) and the handle knows how many there are; `None` otherwise.
    fn remote_len(s: &Self::Str) -> Option<usize>;
    /// Starts loading the bytes of `s` into the cache, if they live elsewhere.
    fn prefetch(store: &Self::Store, s: &Self::Str);
    /// Releases `s`.
    fn free(store: &mut Self::Store, s: Self::Str);
    /// Heap bytes owned by the handle itself (not by the store).
    fn own_heap_bytes(s: &Self::Str) -> usize;
    /// Heap bytes of the strings: the shared store's, or the sum of
    /// [`Strings::own_heap_bytes`] as the store counts it. O(1).
    fn store_heap_bytes(store: &Self::Store) -> usize;
    /// The store's count of the bytes strings own themselves, when it keeps one
    /// (for the invariant checker, which adds them up).
    fn counted_own_bytes(store: &Self::Store) -> Option<usize>;
    /// Whether `s` occupies an item of the store (for the invariant checker).
    fn in_store(s: &Self::Str) -> bool;
    /// Live items of the store, when the store counts them.
    fn store_items(store: &Self::Store) -> Option<usize>;
}

/// `PREFIX_MASKS[len]` keeps the low `len` bytes of a little-endian word.
///
/// A table because every level of a lookup builds one: computed as
/// `(1u128 << 8 * len) - 1` it cost `CompactArt` about 60 of its 1,700
/// instructions per get on 1M Debian paths (callgrind); `checked_shr` added a
/// branch instead.
const PREFIX_MASKS: [u64; 9] = {
    let mut m = [0u64; 9];
    let mut i = 1;
    while i < 9 {
        m[i] = u64::MAX >> (64 - 8 * i);
        i += 1;
    }
    m
};

/// `Some(len)` when `rest` starts with the first `len` (at most 8) bytes of `mine`
/// (little-endian), compared as one masked word when `rest` has 8 bytes to load.
#[inline(always)]
fn word_prefix_match(mine: [u8; 8], len: usize, rest: &[u8]) -> Option<usize> {
    debug_assert!(len <= 8);
    match rest.first_chunk::<8>() {
        Some(head) => {
            let mask = PREFIX_MASKS[len];
            ((u64::from_le_bytes(*head) ^ u64::from_le_bytes(mine)) & mask == 0).then_some(len)
        }
        None => rest.starts_with(&mine[..len]).then_some(len),
    }
}

/// Strings of at most this many bytes are stored inside an [`OwnedStr`].
const OWNED_INLINE: usize = 22;

/// An owned byte string in 24 bytes: up to 22 bytes inline, longer ones in a
/// `Box<[u8]>` of their own.
///
/// 24 bytes is what the handle costs anyway next to the other fields of a boxed
/// leaf (32-byte allocation class) or a Node4 header, so the inline room is free;
/// it spares most prefixes and leaf suffixes an allocation and a cache miss, much
/// as the paper's nodes keep short prefixes in the node header.
#[derive(Debug)]
pub(crate) enum OwnedStr {
    Inline { len: u8, data: [u8; OWNED_INLINE] },
    Heap(Box<[u8]>),
}

const _: () = assert!(std::mem::size_of::<OwnedStr>() == 24);

/// Each string owned by its handle ([`OwnedStr`]): the classic layout, a heap
/// allocation per string that does not fit inline.
#[derive(Debug)]
pub(crate) struct OwnedStrings;

/// All that [`OwnedStrings`] keeps beside the strings: how many heap bytes they
/// own, counted as they are allocated and freed, so that the tree's memory usage
/// needs no traversal.
#[derive(Debug, Default)]
pub(crate) struct OwnedBytes(usize);

impl Strings for OwnedStrings {
    type Store = OwnedBytes;
    type Str = OwnedStr;

    fn empty() -> OwnedStr {
        OwnedStr::Inline {
            len: 0,
            data: [0; OWNED_INLINE],
        }
    }
    fn alloc(store: &mut OwnedBytes, parts: &[&[u8]]) -> OwnedStr {
        let len: usize = parts.iter().map(|p| p.len()).sum();
        if len > OWNED_INLINE {
            store.0 += len;
            return OwnedStr::Heap(parts.concat().into_boxed_slice());
        }
        let mut data = [0; OWNED_INLINE];
        let mut at = 0;
        for p in parts {
            data[at..at + p.len()].copy_from_slice(p);
            at += p.len();
        }
        OwnedStr::Inline {
            len: u8::try_from(len).expect("inline length fits a byte"),
            data,
        }
    }
    #[inline]
    fn get<'a>(_: &'a OwnedBytes, s: &'a OwnedStr) -> &'a [u8] {
        match s {
            OwnedStr::Inline { len, data } => &data[..usize::from(*len)],
            OwnedStr::Heap(b) => b,
        }
    }
    #[inline(always)]
    fn match_prefix(store: &OwnedBytes, s: &OwnedStr, rest: &[u8]) -> Option<usize> {
        match s {
            OwnedStr::Inline { len, data } if *len <= 8 => {
                let head = *data.first_chunk::<8>().expect("22 inline bytes");
                word_prefix_match(head, usize::from(*len), rest)
            }
            s => {
                let p = Self::get(store, s);
                rest.starts_with(p).then_some(p.len())
            }
        }
    }
    #[inline(always)]
    fn remote_len(s: &OwnedStr) -> Option<usize> {
        match s {
            OwnedStr::Inline { .. } => None,
            OwnedStr::Heap(b) => Some(b.len()),
        }
    }
    #[inline(always)]
    fn prefetch(_: &OwnedBytes, s: &OwnedStr) {
        if let OwnedStr::Heap(b) = s {
            memkv_arena::prefetch(b.as_ptr());
        }
    }
    fn free(store: &mut OwnedBytes, s: OwnedStr) {
        store.0 -= Self::own_heap_bytes(&s);
    }
    fn own_heap_bytes(s: &OwnedStr) -> usize {
        match s {
            OwnedStr::Inline { .. } => 0,
            OwnedStr::Heap(b) => b.len(),
        }
    }
    fn store_heap_bytes(store: &OwnedBytes) -> usize {
        store.0
    }
    fn counted_own_bytes(store: &OwnedBytes) -> Option<usize> {
        Some(store.0)
    }
    fn in_store(_: &OwnedStr) -> bool {
        false
    }
    fn store_items(_: &OwnedBytes) -> Option<usize> {
        None
    }
}

/// The tag byte of an [`ArenaStr`]: an inline length or "a [`DataRef`]".
///
/// An enum rather than a `u8` so that the 249 values it never takes are a niche:
/// `Child` uses one of them for its tag, which keeps an inline leaf (8-byte string +
/// `u64` value) and the child enum at 16 bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
enum Kind {
    Inline0,
    Inline1,
    Inline2,
    Inline3,
    Inline4,
    Inline5,
    Inline6,
    Ref,
}

const INLINE: [Kind; 7] = [
    Kind::Inline0,
    Kind::Inline1,
    Kind::Inline2,
    Kind::Inline3,
    Kind::Inline4,
    Kind::Inline5,
    Kind::Inline6,
];

/// A packed 8-byte string handle: up to 6 bytes stored inline, longer strings as a
/// 6-byte [`DataRef`] into the tree's [`ByteArena`] plus their length (255 standing
/// for "255 or more").
///
/// Short strings are common (most node prefixes and many leaf suffixes are a few
/// bytes), so inlining them saves the arena's length header and the lookup. The
/// length byte lets a lookup step past an arena prefix before its bytes arrive; it
/// costs nothing, because the handle sits next to a pointer or a `u64` in every node
/// and leaf, where its eighth byte was padding.
#[derive(Debug)]
pub(crate) struct ArenaStr {
    data: [u8; 6],
    kind: Kind,
    /// The length of an arena string, saturated at `u8::MAX`; 0 for inline ones.
    remote_len: u8,
}

/// Byte strings in one shared [`ByteArena`], named by 8-byte [`ArenaStr`] handles:
/// no allocation per key, no allocator rounding, no 16-byte fat pointers.
#[derive(Debug)]
pub(crate) struct ArenaStrings;

impl Strings for ArenaStrings {
    type Store = ByteArena;
    type Str = ArenaStr;

    fn empty() -> ArenaStr {
        ArenaStr {
            data: [0; 6],
            kind: Kind::Inline0,
            remote_len: 0,
        }
    }
    fn alloc(store: &mut ByteArena, parts: &[&[u8]]) -> ArenaStr {
        let len: usize = parts.iter().map(|p| p.len()).sum();
        if len <= 6 {
            let mut data = [0u8; 6];
            let mut at = 0;
            for p in parts {
                data[at..at + p.len()].copy_from_slice(p);
                at += p.len();
            }
            ArenaStr {
                data,
                kind: INLINE[len],
                remote_len: 0,
            }
        } else {
            ArenaStr {
                data: store.alloc_parts(parts).to_bytes(),
                kind: Kind::Ref,
                remote_len: u8::try_from(len).unwrap_or(u8::MAX),
            }
        }
    }
    #[inline(always)]
    fn remote_len(s: &ArenaStr) -> Option<usize> {
        (s.kind == Kind::Ref && s.remote_len < u8::MAX).then_some(usize::from(s.remote_len))
    }
    #[inline(always)]
    fn prefetch(store: &ByteArena, s: &ArenaStr) {
        if s.kind == Kind::Ref {
            store.prefetch(data_ref(s));
        }
    }
    #[inline]
    fn get<'a>(store: &'a ByteArena, s: &'a ArenaStr) -> &'a [u8] {
        match s.kind {
            Kind::Ref => store.get(data_ref(s)),
            inline => &s.data[..inline as usize],
        }
    }
    #[inline(always)]
    fn match_prefix(store: &ByteArena, s: &ArenaStr, rest: &[u8]) -> Option<usize> {
        if s.kind == Kind::Ref {
            return match_arena_prefix(store, s, rest);
        }
        let mut mine = [0u8; 8];
        mine[..6].copy_from_slice(&s.data);
        word_prefix_match(mine, s.kind as usize, rest)
    }
    fn free(store: &mut ByteArena, s: ArenaStr) {
        if s.kind == Kind::Ref {
            store.free(data_ref(&s));
        }
    }
    fn own_heap_bytes(_: &ArenaStr) -> usize {
        0
    }
    fn store_heap_bytes(store: &ByteArena) -> usize {
        store.memory_usage()
    }
    fn counted_own_bytes(_: &ByteArena) -> Option<usize> {
        None
    }
    fn in_store(s: &ArenaStr) -> bool {
        s.kind == Kind::Ref
    }
    fn store_items(store: &ByteArena) -> Option<usize> {
        Some(store.len())
    }
}

/// [`ArenaStrings::match_prefix`] for a string in the arena: out of line, so the
/// inline case stays small enough to inline into the lookup loop.
#[inline(never)]
fn match_arena_prefix(store: &ByteArena, s: &ArenaStr, rest: &[u8]) -> Option<usize> {
    let p = store.get(data_ref(s));
    rest.starts_with(p).then_some(p.len())
}

fn data_ref(s: &ArenaStr) -> DataRef {
    DataRef::from_bytes(s.data).expect("ArenaStr of kind Ref holds a DataRef")
}

/// A leaf: the key bytes its path has not spelled, and the value.
#[derive(Debug)]
pub(crate) struct Leaf<S, V> {
    pub(crate) suffix: S,
    pub(crate) value: V,
}

/// How the tree holds leaves in child slots.
pub(crate) trait Leaves: 'static {
    /// What a child slot holds for a leaf.
    type Slot<S, V>;

    fn wrap<S, V>(leaf: Leaf<S, V>) -> Self::Slot<S, V>;
    fn unwrap<S, V>(slot: Self::Slot<S, V>) -> Leaf<S, V>;
    fn suffix<S, V>(slot: &Self::Slot<S, V>) -> &S;
    fn value<S, V>(slot: &Self::Slot<S, V>) -> &V;
    /// The suffix, and the value mutably.
    fn parts_mut<S, V>(slot: &mut Self::Slot<S, V>) -> (&S, &mut V);
    /// Starts loading what the slot points at (the leaf's box), if anything.
    #[inline(always)]
    fn prefetch_leaf<S, V>(_slot: &Self::Slot<S, V>) {}
    /// Heap bytes of one leaf beyond its slot.
    fn heap_bytes<S, V>() -> usize;
}

/// Each leaf in its own `Box`, as in the paper (a child pointer to a leaf object).
#[derive(Debug)]
pub(crate) struct BoxedLeaves;

impl Leaves for BoxedLeaves {
    type Slot<S, V> = Box<Leaf<S, V>>;

    fn wrap<S, V>(leaf: Leaf<S, V>) -> Box<Leaf<S, V>> {
        Box::new(leaf)
    }
    fn unwrap<S, V>(slot: Box<Leaf<S, V>>) -> Leaf<S, V> {
        *slot
    }
    #[inline]
    fn suffix<S, V>(slot: &Box<Leaf<S, V>>) -> &S {
        &slot.suffix
    }
    #[inline]
    fn value<S, V>(slot: &Box<Leaf<S, V>>) -> &V {
        &slot.value
    }
    fn parts_mut<S, V>(slot: &mut Box<Leaf<S, V>>) -> (&S, &mut V) {
        (&slot.suffix, &mut slot.value)
    }
    #[inline(always)]
    fn prefetch_leaf<S, V>(slot: &Box<Leaf<S, V>>) {
        memkv_arena::prefetch(&raw const **slot);
    }
    fn heap_bytes<S, V>() -> usize {
        std::mem::size_of::<Leaf<S, V>>()
    }
}

/// Leaves stored in the child slot itself: no allocation and no pointer per key.
#[derive(Debug)]
pub(crate) struct InlineLeaves;

impl Leaves for InlineLeaves {
    type Slot<S, V> = Leaf<S, V>;

    fn wrap<S, V>(leaf: Leaf<S, V>) -> Leaf<S, V> {
        leaf
    }
    fn unwrap<S, V>(slot: Leaf<S, V>) -> Leaf<S, V> {
        slot
    }
    #[inline]
    fn suffix<S, V>(slot: &Leaf<S, V>) -> &S {
        &slot.suffix
    }
    #[inline]
    fn value<S, V>(slot: &Leaf<S, V>) -> &V {
        &slot.value
    }
    fn parts_mut<S, V>(slot: &mut Leaf<S, V>) -> (&S, &mut V) {
        (&slot.suffix, &mut slot.value)
    }
    fn heap_bytes<S, V>() -> usize {
        0
    }
}

/// A pair of choices: string storage `S` and leaf placement `L`.
pub(crate) trait Policy: 'static {
    /// String storage.
    type S: Strings;
    /// Leaf placement.
    type L: Leaves;
    /// Whether nodes of up to three entries are a Node3 rather than a Node4.
    ///
    /// With 8-byte string handles and 16-byte child slots a Node3 is 64 bytes,
    /// one cache line (jemalloc places 64-byte objects on line boundaries), where
    /// a Node4 is 80 bytes over two; most branch points of real keys are binary.
    const NODE3: bool;
}

/// The policy made of `S` and `L`, with a Node3 class when `NODE3`.
#[derive(Debug)]
pub(crate) struct Layout<S, L, const NODE3: bool>(PhantomData<(S, L)>);

impl<S: Strings, L: Leaves, const NODE3: bool> Policy for Layout<S, L, NODE3> {
    type S = S;
    type L = L;
    const NODE3: bool = NODE3;
}

/// Classic ART: owned strings, boxed leaves.
pub(crate) type Classic = Layout<OwnedStrings, BoxedLeaves, false>;
/// Classic ART with strings in an arena and each leaf (suffix handle and value)
/// in its child slot: no allocation per key.
pub(crate) type ArenaKeys = Layout<ArenaStrings, InlineLeaves, false>;
/// [`ArenaKeys`] with a Node3 class below Node4.
pub(crate) type ArenaKeysNode3 = Layout<ArenaStrings, InlineLeaves, true>;
