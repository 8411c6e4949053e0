//! CRC-32C (Castagnoli), the checksum that closes an FST: `fst::raw::Fst::verify`
//! recomputes it. Slicing by 8: eight 256-entry tables built at compile time let
//! the loop fold eight bytes per step.

const POLY: u32 = 0x82F6_3B78; // reflected Castagnoli polynomial

const TABLES: [[u32; 256]; 8] = {
    let mut t = [[0u32; 256]; 8];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 == 1 { (c >> 1) ^ POLY } else { c >> 1 };
            k += 1;
        }
        t[0][i] = c;
        i += 1;
    }
    let mut s = 1;
    while s < 8 {
        let mut i = 0;
        while i < 256 {
            let prev = t[s - 1][i];
            t[s][i] = (prev >> 8) ^ t[0][(prev & 0xFF) as usize];
            i += 1;
        }
        s += 1;
    }
    t
};

/// A running CRC-32C.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Crc32c(u32);

impl Crc32c {
    pub(crate) fn update(&mut self, bytes: &[u8]) {
        let mut crc = !self.0;
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let lo = crc ^ u32::from_le_bytes([c[0], c[1], c[2], c[3]]);
            crc = TABLES[7][(lo & 0xFF) as usize]
                ^ TABLES[6][(lo >> 8 & 0xFF) as usize]
                ^ TABLES[5][(lo >> 16 & 0xFF) as usize]
                ^ TABLES[4][(lo >> 24) as usize]
                ^ TABLES[3][usize::from(c[4])]
                ^ TABLES[2][usize::from(c[5])]
                ^ TABLES[1][usize::from(c[6])]
                ^ TABLES[0][usize::from(c[7])];
        }
        for &b in chunks.remainder() {
            crc = (crc >> 8) ^ TABLES[0][((crc ^ u32::from(b)) & 0xFF) as usize];
        }
        self.0 = !crc;
    }

    /// The checksum in the "masked" form `fst` stores (the Snappy framing
    /// format's masking: rotate right by 15, add a constant).
    pub(crate) fn masked(&self) -> u32 {
        self.0.rotate_right(15).wrapping_add(0xA282_EAD8)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn crc(bytes: &[u8]) -> u32 {
        let mut c = Crc32c::default();
        c.update(bytes);
        c.0
    }

    #[test]
    fn known_values() {
        // The standard check value of CRC-32C, and RFC 3720's test vectors.
        assert_eq!(crc(b"123456789"), 0xE306_9283);
        assert_eq!(crc(&[0u8; 32]), 0x8A91_36AA);
        assert_eq!(crc(&[0xFFu8; 32]), 0x62A8_AB43);
        let ascending: Vec<u8> = (0..32).collect();
        assert_eq!(crc(&ascending), 0x46DD_794E);
    }

    #[test]
    fn split_updates_equal_one() {
        let data: Vec<u8> = (0..1000u32).map(|i| (i * 7 + i / 13) as u8).collect();
        for cut in [0, 1, 7, 8, 9, 500, 999, 1000] {
            let mut c = Crc32c::default();
            c.update(&data[..cut]);
            c.update(&data[cut..]);
            assert_eq!(c.0, crc(&data));
        }
    }
}
