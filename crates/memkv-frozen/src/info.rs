//! [`FormatInfo`]: what a layer's header and footer record, for tools such as
//! `memkv stats`.

use crate::format::{self, Header, ValueEncoding, FOOTER_LEN};
use crate::FrozenLayer;

/// How a layer stores its values (the value section of `docs/FORMAT.md`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValueLayout {
    /// `base` plus a `bits`-bit number per key (`bits` may be 0: every value is
    /// `base`).
    Packed {
        /// The smallest value.
        base: u64,
        /// Bits per key, 0 to 64.
        bits: u8,
    },
    /// `base + ordinal`: values that count up with the keys, stored in no bytes.
    Counted {
        /// The value of the smallest key.
        base: u64,
    },
}

/// What a layer's file format records about it: the figures of its header and
/// footer. The format records no build parameters (input, duplicate policy,
/// memory budget).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct FormatInfo {
    /// The format version of the bytes (2; files written by earlier builds say 1).
    pub version: u32,
    /// The number of keys.
    pub keys: u64,
    /// The length of the whole layer in bytes (the file size).
    pub file_bytes: u64,
    /// The length of the FST section.
    pub fst_bytes: u64,
    /// The length of the value section.
    pub value_bytes: u64,
    /// The length of the node-end index (0 when absent: layers built in memory).
    pub node_end_index_bytes: u64,
    /// How values are stored.
    pub values: ValueLayout,
    /// The CRC-32 (IEEE) of everything before the footer, as stored in the footer.
    pub checksum: u32,
}

impl FrozenLayer {
    /// What the layer's header and footer record (checked when it was opened).
    ///
    /// ```
    /// use memkv_frozen::{FrozenLayer, ValueLayout};
    ///
    /// let layer = FrozenLayer::from_sorted_iter([("a", 10), ("b", 13), ("c", 11)])?;
    /// let info = layer.format_info();
    /// assert_eq!((info.version, info.keys), (2, 3));
    /// assert_eq!(info.node_end_index_bytes, 0);
    /// assert_eq!(info.values, ValueLayout::Packed { base: 10, bits: 2 });
    /// assert_eq!(info.file_bytes, layer.as_bytes().len() as u64);
    /// # Ok::<(), memkv_core::Error>(())
    /// ```
    pub fn format_info(&self) -> FormatInfo {
        let bytes = self.as_bytes();
        let footer = bytes.len() - FOOTER_LEN;
        let mut crc = [0u8; 4];
        crc.copy_from_slice(&bytes[footer..footer + 4]);
        let header = Header::decode(bytes)
            .expect("a layer's bytes passed Header::decode when the layer was made");
        let reader = self.value_reader();
        FormatInfo {
            version: format::version(bytes),
            keys: self.len() as u64,
            file_bytes: bytes.len() as u64,
            fst_bytes: self.as_fst().as_bytes().len() as u64,
            value_bytes: self.value_section_len() as u64,
            node_end_index_bytes: header.node_ends_len(),
            values: match reader.encoding {
                ValueEncoding::Packed => ValueLayout::Packed {
                    base: reader.base,
                    bits: reader.width,
                },
                ValueEncoding::Ordinal => ValueLayout::Counted { base: reader.base },
            },
            checksum: u32::from_le_bytes(crc),
        }
    }
}
