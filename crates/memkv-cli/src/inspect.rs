//! `memkv stats` and `memkv verify`: what a frozen file holds, and whether it is
//! intact.

use std::path::Path;

use memkv_frozen::FrozenLayer;
use serde_json::json;

use crate::error::CliError;
use crate::escape::escape;
use crate::output::Output;
use crate::query::open;

/// The header fields `stats` reports, read from the bytes of an opened (so
/// already validated) layer.
///
/// `memkv_frozen` exposes no accessor for them yet, so this reads the layout of
/// format version 1 as `docs/FORMAT.md` documents it: a u32 version at byte 8,
/// the value base at 40, the encoding code at 48 and the bit width at 49, all
/// little-endian. `FrozenLayer::open` has already checked all of them.
#[derive(Debug, PartialEq, Eq)]
struct Header {
    version: u32,
    base: u64,
    encoding: u8,
    width: u8,
}

impl Header {
    fn read(bytes: &[u8]) -> Option<Header> {
        let version = u32::from_le_bytes(bytes.get(8..12)?.try_into().ok()?);
        let base = u64::from_le_bytes(bytes.get(40..48)?.try_into().ok()?);
        Some(Header {
            version,
            base,
            encoding: *bytes.get(48)?,
            width: *bytes.get(49)?,
        })
    }

    /// How values are stored, in words.
    fn values(&self) -> String {
        match (self.encoding, self.width) {
            (1, _) => format!(
                "counting up from {} with the keys (stored in 0 bits)",
                self.base
            ),
            (0, 0) => format!("all equal to {} (stored in 0 bits)", self.base),
            (0, w) => format!("{} + a {w}-bit number per key", self.base),
            (code, _) => format!("unknown encoding {code}"),
        }
    }
}

/// `memkv stats FILE`.
pub fn stats(file: &Path, out: &mut Output) -> Result<bool, CliError> {
    let layer = open(file)?;
    let bytes = layer.as_bytes();
    let header = Header::read(bytes)
        .ok_or_else(|| CliError::failure(format!("{}: header unreadable", file.display())))?;
    let keys = layer.len() as u64;
    let total = bytes.len() as u64;
    let fst = layer.as_fst().as_bytes().len() as u64;
    let per_key = if keys == 0 {
        0.0
    } else {
        total as f64 / keys as f64
    };
    let first = layer.first().map(|(k, _)| escape(&k));
    let last = layer.last().map(|(k, _)| escape(&k));
    if out.json() {
        out.object(&json!({
            "file": file.display().to_string(),
            "keys": keys,
            "file_bytes": total,
            "bytes_per_key": (per_key * 100.0).round() / 100.0,
            "format_version": header.version,
            "fst_bytes": fst,
            "values": header.values(),
            "value_base": header.base,
            "value_bits": header.width,
            "first_key": first,
            "last_key": last,
        }))?;
    } else {
        let rows = [
            ("file", file.display().to_string()),
            ("keys", keys.to_string()),
            ("file bytes", total.to_string()),
            ("bytes/key", format!("{per_key:.2}")),
            (
                "format",
                format!("memkv frozen layer, version {}", header.version),
            ),
            ("fst bytes", fst.to_string()),
            ("values", header.values()),
            ("first key", first.unwrap_or_default()),
            ("last key", last.unwrap_or_default()),
        ];
        for (name, value) in rows {
            out.line(format_args!("{name:<11} {value}"))?;
        }
    }
    Ok(true)
}

/// `memkv verify FILE`: the checksum and header (checked by opening), then every
/// key: strictly increasing, each found again at its own position, as many as
/// the header counts.
pub fn verify(file: &Path, out: &mut Output) -> Result<bool, CliError> {
    let layer = open(file)?;
    let damaged = |what: String| {
        CliError::failure(format!(
            "{}: damaged: {what}; rebuild the file from its source",
            file.display()
        ))
    };
    check_structure(&layer).map_err(damaged)?;
    let keys = layer.len();
    if out.json() {
        out.object(&json!({ "file": file.display().to_string(), "ok": true, "keys": keys }))?;
    } else {
        out.line(format_args!(
            "{}: ok ({keys} keys; checksum, header and key order verified)",
            file.display()
        ))?;
    }
    Ok(true)
}

fn check_structure(layer: &FrozenLayer) -> Result<(), String> {
    let mut previous: Option<Vec<u8>> = None;
    let mut seen = 0u64;
    for (key, _) in layer.iter() {
        if let Some(p) = &previous {
            if key <= *p {
                return Err(format!(
                    "key #{seen} {} does not sort after {}",
                    escape(&key),
                    escape(p)
                ));
            }
        }
        if layer.rank(&key) != Some(seen) {
            return Err(format!(
                "key #{seen} {} is not found at its position",
                escape(&key)
            ));
        }
        seen += 1;
        previous = Some(key);
    }
    if seen != layer.len() as u64 {
        return Err(format!(
            "the header counts {} keys, a scan finds {seen}",
            layer.len()
        ));
    }
    if layer.last().map(|(k, _)| k) != previous {
        return Err("the last key differs between a scan and a lookup by position".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_fields_match_the_layer() {
        let layer = FrozenLayer::from_sorted_iter([("a", 5), ("b", 6), ("c", 7)]).unwrap();
        let h = Header::read(layer.as_bytes()).unwrap();
        assert_eq!((h.version, h.encoding, h.base), (1, 1, 5));
        assert!(h.values().starts_with("counting up from 5"));
        let layer = FrozenLayer::from_sorted_iter([("a", 9), ("b", 2)]).unwrap();
        let h = Header::read(layer.as_bytes()).unwrap();
        assert_eq!((h.encoding, h.base, h.width), (0, 2, 3));
        check_structure(&layer).unwrap();
    }
}
