//! The byte layout of a frozen layer: header, FST section, value section, footer.
//!
//! `docs/FORMAT.md` draws the same layout; this module is the one place that reads
//! and writes it. Every length and offset is checked against the buffer before a
//! section is sliced, so foreign or damaged bytes come back as an [`Error`] and never
//! as a panic.

use memkv_core::{Error, Result};

/// The first eight bytes of every frozen-layer file.
pub(crate) const MAGIC: [u8; 8] = *b"MEMKVFRZ";
/// The last four bytes of every frozen-layer file (after the checksum).
pub(crate) const END_MAGIC: [u8; 4] = *b"FRZ\n";
/// The format version this build writes and the newest it reads.
pub(crate) const VERSION: u32 = 2;
/// The oldest format version this build reads. Version 1 is version 2 without
/// flags.
pub(crate) const OLDEST_VERSION: u32 = 1;
/// Header flag (version 2): a node-end index follows the value section.
pub(crate) const FLAG_NODE_ENDS: u32 = 1;
/// Size of the fixed header.
pub(crate) const HEADER_LEN: usize = 64;
/// Size of the footer: CRC-32 then the end magic.
pub(crate) const FOOTER_LEN: usize = 8;

/// How the value of the key with ordinal `i` is stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ValueEncoding {
    /// `base + packed[i]`, each packed entry `width` bits wide.
    Packed,
    /// `base + i`: values that count up with the keys take no space at all.
    Ordinal,
}

impl ValueEncoding {
    fn code(self) -> u8 {
        match self {
            ValueEncoding::Packed => 0,
            ValueEncoding::Ordinal => 1,
        }
    }

    fn from_code(code: u8) -> Result<ValueEncoding> {
        match code {
            0 => Ok(ValueEncoding::Packed),
            1 => Ok(ValueEncoding::Ordinal),
            other => Err(Error::corrupt(format!("unknown value encoding {other}"))),
        }
    }
}

/// Everything the header says, once validated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Header {
    /// Number of keys.
    pub len: u64,
    /// Length of the FST section in bytes.
    pub fst_len: u64,
    /// Length of the value section in bytes (a multiple of 8).
    pub values_len: u64,
    /// What every stored value is added to.
    pub base: u64,
    /// How values are stored.
    pub encoding: ValueEncoding,
    /// Bits per packed value (0 for [`ValueEncoding::Ordinal`]).
    pub width: u8,
    /// Whether the node-end index section is present ([`FLAG_NODE_ENDS`]).
    pub node_ends: bool,
}

/// Rounds up to a multiple of 8.
pub(crate) fn align8(n: u64) -> u64 {
    n.div_ceil(8) * 8
}

/// The length of the node-end index of an FST section of `fst_len` bytes: one bit
/// per FST byte, in whole 64-bit words.
pub(crate) fn node_ends_len_for(fst_len: u64) -> u64 {
    fst_len.div_ceil(64) * 8
}

/// The value-section length that `len` values of `width` bits take: whole 64-bit
/// words, so that a reader can always load the word that holds a value's first bit
/// and the one after it.
pub(crate) fn values_len_for(len: u64, width: u8) -> Option<u64> {
    let bits = len.checked_mul(u64::from(width))?;
    // One spare word: a value that starts in the last word may spill into the next.
    let words = bits.div_ceil(64).checked_add(u64::from(width > 0))?;
    words.checked_mul(8)
}

impl Header {
    /// Where the FST section lies in the file. Only meaningful once
    /// [`Header::decode`] has checked the sections against the file length (or for
    /// a header describing bytes in memory), so the end fits in `usize`.
    pub fn fst_range(&self) -> std::ops::Range<usize> {
        HEADER_LEN..HEADER_LEN + self.fst_len as usize
    }

    /// Offset of the value section (the FST is padded to 8 bytes). Only
    /// meaningful once [`Header::total_len`] is known to fit.
    pub fn values_start(&self) -> u64 {
        HEADER_LEN as u64 + align8(self.fst_len)
    }

    /// Offset of the node-end index section (present or not).
    pub fn node_ends_start(&self) -> u64 {
        self.values_start().saturating_add(self.values_len)
    }

    /// Length of the node-end index section (0 when absent).
    pub fn node_ends_len(&self) -> u64 {
        if self.node_ends {
            node_ends_len_for(self.fst_len)
        } else {
            0
        }
    }

    /// Where the node-end index lies in the file, if present. Only meaningful once
    /// [`Header::decode`] has checked the sections against the file length.
    pub fn node_ends_range(&self) -> Option<std::ops::Range<usize>> {
        let start = self.node_ends_start() as usize;
        self.node_ends
            .then(|| start..start + self.node_ends_len() as usize)
    }

    /// The length of the whole file this header describes; `None` when it does
    /// not fit a `u64`. Every step is checked: [`Header::decode`] calls this on
    /// lengths read from untrusted bytes, before it has compared them with
    /// anything.
    pub fn total_len(&self) -> Option<u64> {
        (HEADER_LEN as u64)
            .checked_add(self.fst_len.checked_next_multiple_of(8)?)?
            .checked_add(self.values_len)?
            .checked_add(self.node_ends_len())?
            .checked_add(FOOTER_LEN as u64)
    }

    /// The 64 header bytes.
    pub fn encode(&self) -> [u8; HEADER_LEN] {
        let mut h = [0u8; HEADER_LEN];
        h[0..8].copy_from_slice(&MAGIC);
        h[8..12].copy_from_slice(&VERSION.to_le_bytes());
        let flags = if self.node_ends { FLAG_NODE_ENDS } else { 0 };
        h[12..16].copy_from_slice(&flags.to_le_bytes());
        h[16..24].copy_from_slice(&self.len.to_le_bytes());
        h[24..32].copy_from_slice(&self.fst_len.to_le_bytes());
        h[32..40].copy_from_slice(&self.values_len.to_le_bytes());
        h[40..48].copy_from_slice(&self.base.to_le_bytes());
        h[48] = self.encoding.code();
        h[49] = self.width;
        // 50..56: reserved (zero).
        let total = self.total_len().unwrap_or(u64::MAX);
        h[56..64].copy_from_slice(&total.to_le_bytes());
        h
    }

    /// Reads and validates the header at the start of `bytes`, checks that `bytes`
    /// has exactly the length it announces, and that the footer's end magic is in
    /// place. The checksum is checked separately ([`verify_checksum`]).
    pub fn decode(bytes: &[u8]) -> Result<Header> {
        if bytes.len() < MAGIC.len() || bytes[..MAGIC.len()] != MAGIC {
            return Err(Error::NotMemkv {
                found: bytes[..bytes.len().min(MAGIC.len())].to_vec(),
            });
        }
        let min = (HEADER_LEN + FOOTER_LEN) as u64;
        if (bytes.len() as u64) < min {
            return Err(Error::Truncated {
                expected: min,
                got: bytes.len() as u64,
            });
        }
        let version = version(bytes);
        if !(OLDEST_VERSION..=VERSION).contains(&version) {
            return Err(Error::Version {
                expected: VERSION,
                got: version,
            });
        }
        let flags = u32_at(bytes, 12);
        let known_flags = if version == 1 { 0 } else { FLAG_NODE_ENDS };
        if flags & !known_flags != 0 {
            return Err(Error::corrupt(format!(
                "unknown header flags {flags:#x} for format version {version}"
            )));
        }
        if bytes[50..56].iter().any(|&b| b != 0) {
            return Err(Error::corrupt("reserved header bytes are not zero"));
        }
        let header = Header {
            len: u64_at(bytes, 16),
            fst_len: u64_at(bytes, 24),
            values_len: u64_at(bytes, 32),
            base: u64_at(bytes, 40),
            encoding: ValueEncoding::from_code(bytes[48])?,
            width: bytes[49],
            node_ends: flags & FLAG_NODE_ENDS != 0,
        };
        let announced = u64_at(bytes, 56);
        let total = header
            .total_len()
            .filter(|&t| t == announced)
            .ok_or_else(|| Error::corrupt("section lengths do not add up to the file length"))?;
        if (bytes.len() as u64) < total {
            return Err(Error::Truncated {
                expected: total,
                got: bytes.len() as u64,
            });
        }
        if (bytes.len() as u64) > total {
            return Err(Error::corrupt(format!(
                "{} bytes of trailing data after the end of the layer",
                bytes.len() as u64 - total
            )));
        }
        if bytes[bytes.len() - END_MAGIC.len()..] != END_MAGIC {
            return Err(Error::corrupt("end magic missing"));
        }
        header.check_values()?;
        Ok(header)
    }

    /// The value encoding must be self-consistent, so that a reader never indexes
    /// past the value section and `base + value` never overflows.
    fn check_values(&self) -> Result<()> {
        let width_ok = match self.encoding {
            ValueEncoding::Packed => self.width <= 64,
            ValueEncoding::Ordinal => self.width == 0,
        };
        if !width_ok {
            return Err(Error::corrupt(format!(
                "value width {} is impossible",
                self.width
            )));
        }
        if values_len_for(self.len, self.width) != Some(self.values_len) {
            return Err(Error::corrupt(
                "value section length does not match key count and width",
            ));
        }
        // Packed values are read with wrapping arithmetic (a width may cover more
        // than the values' span), but counted values must all fit.
        if self.encoding == ValueEncoding::Ordinal
            && self.base.checked_add(self.len.saturating_sub(1)).is_none()
        {
            return Err(Error::corrupt("values overflow u64"));
        }
        Ok(())
    }
}

/// The largest value `width` bits hold.
pub(crate) fn max_of_width(width: u8) -> u64 {
    match width {
        0 => 0,
        64.. => u64::MAX,
        w => (1u64 << w) - 1,
    }
}

/// The format version recorded in `bytes`, which [`Header::decode`] accepted.
pub(crate) fn version(bytes: &[u8]) -> u32 {
    u32_at(bytes, 8)
}

/// Checks the footer's CRC-32, which covers every byte before the footer.
pub(crate) fn verify_checksum(bytes: &[u8]) -> Result<()> {
    // `Header::decode` already guaranteed the footer is present.
    let body_end = bytes.len() - FOOTER_LEN;
    let stored = u32_at(bytes, body_end);
    let computed = crc32fast::hash(&bytes[..body_end]);
    if stored != computed {
        return Err(Error::ChecksumMismatch {
            expected: u64::from(stored),
            got: u64::from(computed),
        });
    }
    Ok(())
}

/// The eight footer bytes for a body whose CRC-32 is `crc`.
pub(crate) fn footer(crc: u32) -> [u8; FOOTER_LEN] {
    let mut f = [0u8; FOOTER_LEN];
    f[..4].copy_from_slice(&crc.to_le_bytes());
    f[4..].copy_from_slice(&END_MAGIC);
    f
}

fn u32_at(bytes: &[u8], at: usize) -> u32 {
    let mut b = [0u8; 4];
    b.copy_from_slice(&bytes[at..at + 4]);
    u32::from_le_bytes(b)
}

fn u64_at(bytes: &[u8], at: usize) -> u64 {
    let mut b = [0u8; 8];
    b.copy_from_slice(&bytes[at..at + 8]);
    u64::from_le_bytes(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Header {
        Header {
            len: 3,
            fst_len: 5,
            values_len: values_len_for(3, 7).unwrap(),
            base: 10,
            encoding: ValueEncoding::Packed,
            width: 7,
            node_ends: false,
        }
    }

    fn file_of(h: &Header) -> Vec<u8> {
        let mut v = h.encode().to_vec();
        v.resize(h.total_len().unwrap() as usize - FOOTER_LEN, 0);
        let crc = crc32fast::hash(&v);
        v.extend_from_slice(&footer(crc));
        v
    }

    #[test]
    fn header_round_trips() {
        let h = sample();
        let bytes = file_of(&h);
        assert_eq!(Header::decode(&bytes).unwrap(), h);
        verify_checksum(&bytes).unwrap();
    }

    #[test]
    fn bad_headers_are_named() {
        let good = file_of(&sample());
        assert!(matches!(
            Header::decode(b"PK\x03\x04"),
            Err(Error::NotMemkv { .. })
        ));
        assert!(matches!(
            Header::decode(&good[..good.len() - 1]),
            Err(Error::Truncated { .. })
        ));
        let mut v3 = good.clone();
        v3[8] = 3;
        assert!(matches!(
            Header::decode(&v3),
            Err(Error::Version {
                expected: 2,
                got: 3
            })
        ));
        let mut v1_flags = good.clone();
        v1_flags[8] = 1;
        v1_flags[12] = 1;
        assert!(matches!(
            Header::decode(&v1_flags),
            Err(Error::Corrupt { .. })
        ));
        let mut unknown_flag = good.clone();
        unknown_flag[12] = 2;
        assert!(matches!(
            Header::decode(&unknown_flag),
            Err(Error::Corrupt { .. })
        ));
        let mut flipped = good.clone();
        flipped[HEADER_LEN] ^= 1;
        assert!(matches!(
            verify_checksum(&flipped),
            Err(Error::ChecksumMismatch { .. })
        ));
        let mut wide = sample();
        wide.width = 65;
        assert!(matches!(
            Header::decode(&file_of(&wide)),
            Err(Error::Corrupt { .. })
        ));
    }

    /// Section lengths near `u64::MAX` overflowed the padding arithmetic before
    /// anything compared them with the file (found by `fuzz/`, `frozen_bytes`).
    #[test]
    fn absurd_section_lengths_are_corrupt_not_an_overflow() {
        let good = file_of(&sample());
        for (field, value) in [
            (24, u64::MAX),
            (24, u64::MAX - 3),
            (24, u64::MAX - 64),
            (32, u64::MAX),
            (32, u64::MAX - 40),
        ] {
            let mut bytes = good.clone();
            bytes[field..field + 8].copy_from_slice(&value.to_le_bytes());
            assert!(
                matches!(Header::decode(&bytes), Err(Error::Corrupt { .. })),
                "field at {field} = {value:#x}"
            );
        }
    }

    #[test]
    fn the_node_end_index_adds_a_bit_per_fst_byte() {
        let mut h = sample();
        h.node_ends = true;
        h.fst_len = 65;
        let bytes = file_of(&h);
        let back = Header::decode(&bytes).unwrap();
        assert_eq!(back, h);
        assert_eq!(back.node_ends_len(), 16);
        let start = back.node_ends_start() as usize;
        assert_eq!(back.node_ends_range(), Some(start..start + 16));
        assert_eq!(bytes.len(), start + 16 + FOOTER_LEN);
    }

    #[test]
    fn value_section_lengths() {
        assert_eq!(values_len_for(0, 0), Some(0));
        assert_eq!(values_len_for(10, 0), Some(0));
        assert_eq!(values_len_for(1, 1), Some(16));
        assert_eq!(values_len_for(64, 1), Some(16));
        assert_eq!(values_len_for(65, 1), Some(24));
        assert_eq!(values_len_for(u64::MAX, 2), None);
    }
}
