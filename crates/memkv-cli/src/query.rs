//! The read-only queries: `get`, `range`, `prefix`, `count`, `nth`, `rank`.
//!
//! Each returns whether it found anything, which becomes the exit code (0 or 1),
//! the way `grep` does, so scripts can test for presence without parsing output.

use std::ffi::OsString;
use std::ops::Bound;
use std::path::Path;

use memkv_frozen::{FrozenLayer, FrozenRange};
use serde_json::json;

use crate::args::{KeyForm, RangeArgs, ScanArgs};
use crate::error::CliError;
use crate::escape::escape;
use crate::output::Output;

/// Opens (memory-maps) a frozen file, checking its header and checksum.
pub fn open(file: &Path) -> Result<FrozenLayer, CliError> {
    FrozenLayer::open(file).map_err(|e| match e {
        // "magic bytes \"\"" would be a puzzling way to say it.
        memkv_core::Error::NotMemkv { found } if found.is_empty() => CliError::failure(format!(
            "{}: the file is empty, not a memkv file: check the path, or rebuild it with \
             `memkv build`",
            file.display()
        )),
        e => CliError::at(file, e),
    })
}

/// `memkv get FILE KEY...`: found keys on stdout, missing ones named on stderr.
pub fn get(
    file: &Path,
    keys: &[OsString],
    form: &KeyForm,
    out: &mut Output,
) -> Result<bool, CliError> {
    let parsed = keys
        .iter()
        .map(|k| form.key(k))
        .collect::<Result<Vec<_>, _>>()?;
    let layer = open(file)?;
    let mut all = true;
    for (key, arg) in parsed.into_iter().zip(keys) {
        match layer.get(&key) {
            Some(value) => out.record(&key, value)?,
            None => {
                all = false;
                if out.json() {
                    out.object(&json!({ "key": escape(&key), "value": null }))?;
                } else {
                    eprintln!(
                        "memkv: {}: key {} not found{}",
                        file.display(),
                        escape(&key),
                        form.not_found_hint(arg)
                    );
                }
            }
        }
    }
    Ok(all)
}

/// `memkv range FILE [--from A] [--to B]`.
pub fn range(args: &RangeArgs, out: &mut Output) -> Result<bool, CliError> {
    let from = args.from.as_ref().map(|k| args.form.key(k)).transpose()?;
    let to = args.to.as_ref().map(|k| args.form.key(k)).transpose()?;
    let layer = open(&args.file)?;
    let bounds = (
        from.as_deref().map_or(Bound::Unbounded, Bound::Included),
        to.as_deref().map_or(Bound::Unbounded, Bound::Excluded),
    );
    scan(
        layer.range_bounds::<(Bound<&[u8]>, Bound<&[u8]>)>(bounds),
        &args.scan,
        out,
    )
}

/// `memkv prefix FILE PREFIX`.
pub fn prefix(
    file: &Path,
    prefix: &OsString,
    args: &ScanArgs,
    form: &KeyForm,
    out: &mut Output,
) -> Result<bool, CliError> {
    let prefix = form.key(prefix)?;
    let layer = open(file)?;
    scan(layer.prefix_scan(&prefix), args, out)
}

/// Prints a scan, honouring `--limit` and `--reverse`.
fn scan(range: FrozenRange<'_>, args: &ScanArgs, out: &mut Output) -> Result<bool, CliError> {
    let limit = usize::try_from(args.limit.unwrap_or(u64::MAX)).unwrap_or(usize::MAX);
    let mut any = false;
    let records: Box<dyn Iterator<Item = (Vec<u8>, u64)>> = if args.reverse {
        Box::new(range.rev().take(limit))
    } else {
        Box::new(range.take(limit))
    };
    for (key, value) in records {
        out.record(&key, value)?;
        any = true;
    }
    Ok(any)
}

/// `memkv count FILE [PREFIX]`: counted from key positions, without a scan.
pub fn count(
    file: &Path,
    prefix: Option<&OsString>,
    form: &KeyForm,
    out: &mut Output,
) -> Result<bool, CliError> {
    let prefix = prefix.map(|p| form.key(p)).transpose()?;
    let layer = open(file)?;
    let n = match &prefix {
        Some(p) => layer.prefix_scan(p).len() as u64,
        None => layer.len() as u64,
    };
    if out.json() {
        out.object(&json!({ "prefix": prefix.as_deref().map(escape), "count": n }))?;
    } else {
        out.line(n)?;
    }
    Ok(n > 0)
}

/// `memkv nth FILE I`.
pub fn nth(file: &Path, index: u64, out: &mut Output) -> Result<bool, CliError> {
    let layer = open(file)?;
    match layer.nth(index) {
        Some((key, value)) => {
            out.record(&key, value)?;
            Ok(true)
        }
        None => {
            let n = layer.len();
            let valid = match n {
                0 => "the file is empty".to_string(),
                n => format!("valid positions are 0 to {}", n - 1),
            };
            eprintln!(
                "memkv: {}: position {index} is out of range: {n} keys, {valid}",
                file.display()
            );
            Ok(false)
        }
    }
}

/// `memkv rank FILE KEY`.
pub fn rank(
    file: &Path,
    arg: &OsString,
    form: &KeyForm,
    out: &mut Output,
) -> Result<bool, CliError> {
    let key = form.key(arg)?;
    let layer = open(file)?;
    let rank = layer.rank(&key);
    if out.json() {
        out.object(&json!({
            "key": escape(&key),
            "rank": rank,
            "below": layer.count_below(&key),
        }))?;
    } else if let Some(r) = rank {
        out.line(r)?;
    } else {
        eprintln!(
            "memkv: {}: key {} not found ({} keys sort before it){}",
            file.display(),
            escape(&key),
            layer.count_below(&key),
            form.not_found_hint(arg)
        );
    }
    Ok(rank.is_some())
}
