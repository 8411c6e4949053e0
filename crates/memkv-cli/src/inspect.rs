//! `memkv stats` and `memkv verify`: what a frozen file holds, and whether it is
//! intact.

use std::path::Path;

use memkv_frozen::{FrozenLayer, ValueLayout};
use serde_json::json;

use crate::error::CliError;
use crate::escape::escape;
use crate::output::Output;
use crate::query::open;

/// How values are stored, in words.
fn describe(values: ValueLayout) -> String {
    match values {
        ValueLayout::Counted { base } => {
            format!("counting up from {base} with the keys (stored in 0 bits)")
        }
        ValueLayout::Packed { base, bits: 0 } => format!("all equal to {base} (stored in 0 bits)"),
        ValueLayout::Packed { base, bits } => format!("{base} + a {bits}-bit number per key"),
    }
}

/// `memkv stats FILE`: the figures the file's header and footer record.
pub fn stats(file: &Path, out: &mut Output) -> Result<bool, CliError> {
    let layer = open(file)?;
    let info = layer.format_info();
    let per_key = if info.keys == 0 {
        0.0
    } else {
        info.file_bytes as f64 / info.keys as f64
    };
    let (encoding, base, bits) = match info.values {
        ValueLayout::Packed { base, bits } => ("packed", base, bits),
        ValueLayout::Counted { base } => ("counted", base, 0),
    };
    let checksum = format!("{:08x}", info.checksum);
    let first = layer.first().map(|(k, _)| escape(&k));
    let last = layer.last().map(|(k, _)| escape(&k));
    if out.json() {
        out.object(&json!({
            "file": file.display().to_string(),
            "keys": info.keys,
            "file_bytes": info.file_bytes,
            "bytes_per_key": (per_key * 100.0).round() / 100.0,
            "format_version": info.version,
            "fst_bytes": info.fst_bytes,
            "value_bytes": info.value_bytes,
            "index_bytes": info.node_end_index_bytes,
            "values": describe(info.values),
            "value_encoding": encoding,
            "value_base": base,
            "value_bits": bits,
            "checksum_crc32": checksum,
            "first_key": first,
            "last_key": last,
        }))?;
    } else {
        let rows = [
            ("file", file.display().to_string()),
            ("keys", info.keys.to_string()),
            ("file bytes", info.file_bytes.to_string()),
            ("bytes/key", format!("{per_key:.2}")),
            (
                "format",
                format!("memkv frozen layer, version {}", info.version),
            ),
            ("fst bytes", info.fst_bytes.to_string()),
            ("value bytes", info.value_bytes.to_string()),
            ("index bytes", info.node_end_index_bytes.to_string()),
            ("values", describe(info.values)),
            ("checksum", format!("{checksum} (CRC-32)")),
            ("first key", first.unwrap_or_default()),
            ("last key", last.unwrap_or_default()),
        ];
        for (name, value) in rows {
            out.line(format_args!("{name:<11} {value}"))?;
        }
    }
    Ok(true)
}

/// `memkv verify FILE`: the checksum, header and FST structure (checked by
/// opening), then every key: strictly increasing, each found again at its own
/// position, as many as the header counts.
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
            "{}: ok ({keys} keys; checksum, header, FST structure and key order verified)",
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
    fn values_are_described() {
        let layer = FrozenLayer::from_sorted_iter([("a", 5), ("b", 6), ("c", 7)]).unwrap();
        assert_eq!(
            describe(layer.format_info().values),
            "counting up from 5 with the keys (stored in 0 bits)"
        );
        let layer = FrozenLayer::from_sorted_iter([("a", 9), ("b", 2)]).unwrap();
        assert_eq!(
            describe(layer.format_info().values),
            "2 + a 3-bit number per key"
        );
        let layer = FrozenLayer::from_sorted_iter([("a", 4), ("b", 4)]).unwrap();
        assert_eq!(
            describe(layer.format_info().values),
            "all equal to 4 (stored in 0 bits)"
        );
        check_structure(&layer).unwrap();
    }
}
