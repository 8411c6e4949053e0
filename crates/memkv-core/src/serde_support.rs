//! Serde support (feature `serde`): the one encoding every mutable map shares.
//!
//! A map serializes as a sequence of `(key, value)` pairs in key order, each key
//! as a byte string (`serialize_bytes`). A sequence rather than a serde map,
//! because keys are arbitrary bytes: JSON, for one, only takes string map keys.
//! Deserializing accepts the pairs in any order (later duplicates win, as for
//! `BTreeMap`), and a key as a byte string, a sequence of bytes or a string, so
//! formats without a byte-string type still round-trip.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::ser::{SerializeSeq, Serializer};
use serde::{Deserialize, Serialize};

use crate::OrderedMapMut;

/// A byte string handed to the serializer as one (`serialize_bytes`), not as a
/// sequence of numbers.
#[derive(Debug)]
pub struct Bytes<'a>(pub &'a [u8]);

impl Serialize for Bytes<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(self.0)
    }
}

/// Serializes `len` entries, in key order, as a sequence of `(key, value)` pairs.
pub fn serialize_entries<S, K, V>(
    serializer: S,
    len: usize,
    entries: impl Iterator<Item = (K, V)>,
) -> Result<S::Ok, S::Error>
where
    S: Serializer,
    K: AsRef<[u8]>,
    V: Serialize,
{
    let mut seq = serializer.serialize_seq(Some(len))?;
    for (k, v) in entries {
        seq.serialize_element(&(Bytes(k.as_ref()), v))?;
    }
    seq.end()
}

/// An owned byte string read from any of the forms a format may give it: a byte
/// string, a sequence of bytes, or a string.
#[derive(Debug)]
pub struct ByteBuf(pub Vec<u8>);

impl<'de> Deserialize<'de> for ByteBuf {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<ByteBuf, D::Error> {
        struct ByteVisitor;

        impl<'de> Visitor<'de> for ByteVisitor {
            type Value = ByteBuf;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a byte string, a sequence of bytes or a string")
            }
            fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<ByteBuf, E> {
                Ok(ByteBuf(v.to_vec()))
            }
            fn visit_byte_buf<E: de::Error>(self, v: Vec<u8>) -> Result<ByteBuf, E> {
                Ok(ByteBuf(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<ByteBuf, E> {
                Ok(ByteBuf(v.as_bytes().to_vec()))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<ByteBuf, A::Error> {
                let mut bytes = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
                while let Some(b) = seq.next_element::<u8>()? {
                    bytes.push(b);
                }
                Ok(ByteBuf(bytes))
            }
        }

        d.deserialize_bytes(ByteVisitor)
    }
}

/// Deserializes a map `M` from the pairs [`serialize_entries`] writes.
pub fn deserialize_entries<'de, D, M>(deserializer: D) -> Result<M, D::Error>
where
    D: Deserializer<'de>,
    M: OrderedMapMut + Default,
    M::Value: Deserialize<'de>,
{
    struct EntriesVisitor<M>(PhantomData<M>);

    impl<'de, M> Visitor<'de> for EntriesVisitor<M>
    where
        M: OrderedMapMut + Default,
        M::Value: Deserialize<'de>,
    {
        type Value = M;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a sequence of (key, value) pairs")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<M, A::Error> {
            let mut map = M::default();
            while let Some((ByteBuf(k), v)) = seq.next_element::<(ByteBuf, M::Value)>()? {
                map.insert(k, v);
            }
            Ok(map)
        }
    }

    deserializer.deserialize_seq(EntriesVisitor(PhantomData))
}
