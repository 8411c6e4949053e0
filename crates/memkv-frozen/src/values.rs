//! The value column: one `u64` per key, indexed by the key's ordinal.
//!
//! The FST maps each key to its ordinal (its position in key order), because
//! ordinals grow with the keys and so cost the FST far less than arbitrary values
//! (values that do not follow key order stop the FST from sharing output bytes).
//! The values themselves live here, bit-packed at the width of the largest
//! `value - base`, or not stored at all when they count up with the keys.

use std::io::{self, Write};

use crate::format::{max_of_width, ValueEncoding};

/// Reads values out of a value section.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ValueReader {
    pub encoding: ValueEncoding,
    pub base: u64,
    pub width: u8,
}

impl ValueReader {
    /// The value of the key with ordinal `i`. `words` is the value section, already
    /// validated against the header (so a packed value never reads past its end;
    /// out-of-range reads still return a value rather than panic).
    #[inline]
    pub fn get(&self, words: &[u8], i: u64) -> u64 {
        match self.encoding {
            ValueEncoding::Ordinal => self.base.wrapping_add(i),
            ValueEncoding::Packed if self.width == 0 => self.base,
            ValueEncoding::Packed => {
                let bit = i.wrapping_mul(u64::from(self.width));
                let word = (bit / 64) as usize;
                let shift = (bit % 64) as u32;
                let lo = word_at(words, word) >> shift;
                // The spare word at the end of the section makes `word + 1` valid.
                let hi = if shift == 0 {
                    0
                } else {
                    word_at(words, word + 1) << (64 - shift)
                };
                self.base.wrapping_add((lo | hi) & max_of_width(self.width))
            }
        }
    }
}

#[inline]
fn word_at(words: &[u8], i: usize) -> u64 {
    let start = i.saturating_mul(8);
    match words.get(start..start.saturating_add(8)) {
        Some(b) => {
            let mut w = [0u8; 8];
            w.copy_from_slice(b);
            u64::from_le_bytes(w)
        }
        None => 0,
    }
}

/// What the builder learns about the values while keys stream in, enough to pick
/// the encoding at the end.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ValueStats {
    count: u64,
    first: u64,
    min: u64,
    max: u64,
    /// Whether every value so far equals `first + ordinal`.
    ordinal: bool,
}

impl Default for ValueStats {
    fn default() -> Self {
        ValueStats {
            count: 0,
            first: 0,
            min: u64::MAX,
            max: 0,
            ordinal: true,
        }
    }
}

impl ValueStats {
    /// Records the value of the next key.
    pub fn push(&mut self, v: u64) {
        if self.count == 0 {
            self.first = v;
        } else if self.ordinal && self.first.checked_add(self.count) != Some(v) {
            self.ordinal = false;
        }
        self.count += 1;
        self.min = self.min.min(v);
        self.max = self.max.max(v);
    }

    /// The number of values recorded.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// The cheapest encoding for the values seen.
    pub fn reader(&self) -> ValueReader {
        if self.count == 0 {
            return ValueReader {
                encoding: ValueEncoding::Packed,
                base: 0,
                width: 0,
            };
        }
        if self.ordinal && self.count > 1 {
            return ValueReader {
                encoding: ValueEncoding::Ordinal,
                base: self.first,
                width: 0,
            };
        }
        let span = self.max - self.min;
        ValueReader {
            encoding: ValueEncoding::Packed,
            base: self.min,
            width: (64 - span.leading_zeros()) as u8,
        }
    }
}

/// Packs values into 64-bit little-endian words and writes them out, one word at a
/// time, so packing needs no memory proportional to the number of keys.
pub(crate) struct Packer<W: Write> {
    out: W,
    reader: ValueReader,
    acc: u64,
    filled: u32,
}

impl<W: Write> Packer<W> {
    pub fn new(out: W, reader: ValueReader) -> Packer<W> {
        Packer {
            out,
            reader,
            acc: 0,
            filled: 0,
        }
    }

    /// Appends the value of the next key (a no-op for encodings that store nothing).
    pub fn push(&mut self, value: u64) -> io::Result<()> {
        let width = u32::from(self.reader.width);
        if self.reader.encoding == ValueEncoding::Ordinal || width == 0 {
            return Ok(());
        }
        let v = value - self.reader.base;
        self.acc |= v << self.filled;
        let room = 64 - self.filled;
        if width >= room {
            self.out.write_all(&self.acc.to_le_bytes())?;
            // The bits of `v` that did not fit go to the next word.
            self.acc = if room == 64 { 0 } else { v >> room };
            self.filled = width - room;
        } else {
            self.filled += width;
        }
        Ok(())
    }

    /// Writes the last partial word and the spare word; returns the writer.
    pub fn finish(mut self) -> io::Result<W> {
        if self.reader.encoding == ValueEncoding::Packed && self.reader.width > 0 {
            if self.filled > 0 {
                self.out.write_all(&self.acc.to_le_bytes())?;
            }
            self.out.write_all(&[0u8; 8])?;
        }
        Ok(self.out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::values_len_for;
    use proptest::prelude::*;

    fn pack(values: &[u64]) -> (ValueReader, Vec<u8>) {
        let mut stats = ValueStats::default();
        values.iter().for_each(|&v| stats.push(v));
        let reader = stats.reader();
        let mut p = Packer::new(Vec::new(), reader);
        for &v in values {
            p.push(v).unwrap();
        }
        (reader, p.finish().unwrap())
    }

    proptest! {
        #[test]
        fn packed_values_read_back(values in prop::collection::vec(any::<u64>(), 0..200), shift in 0u32..64) {
            let values: Vec<u64> = values.iter().map(|v| v >> shift).collect();
            let (reader, words) = pack(&values);
            prop_assert_eq!(Some(words.len() as u64), values_len_for(values.len() as u64, reader.width));
            for (i, &v) in values.iter().enumerate() {
                prop_assert_eq!(reader.get(&words, i as u64), v);
            }
        }
    }

    #[test]
    fn encodings_are_chosen_by_the_data() {
        let (r, w) = pack(&[5, 6, 7, 8]);
        assert_eq!(r.encoding, ValueEncoding::Ordinal);
        assert!(w.is_empty());
        assert_eq!(r.get(&w, 3), 8);
        let (r, w) = pack(&[9, 9, 9]);
        assert_eq!((r.encoding, r.width), (ValueEncoding::Packed, 0));
        assert!(w.is_empty());
        assert_eq!(r.get(&w, 2), 9);
        let (r, _) = pack(&[100, 103, 101]);
        assert_eq!((r.base, r.width), (100, 2));
        let (r, w) = pack(&[0, u64::MAX, 1]);
        assert_eq!(r.width, 64);
        assert_eq!(r.get(&w, 1), u64::MAX);
    }
}
