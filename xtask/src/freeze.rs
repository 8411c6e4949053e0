//! `cargo xtask freeze`: index a key file into a frozen-layer file.
//!
//! The input has one key per line (`\n`-separated; a `.zst` file is decompressed on
//! the fly). A line may end with a tab and a decimal `u64`, which becomes the key's
//! value; otherwise the value is the key's line ordinal (0 for the first key). Blank
//! lines are skipped. The input need not be sorted: keys go through an external
//! sort that spills sorted runs to temporary files beyond the memory budget, and the
//! merged stream is written straight into the output file, so memory stays bounded
//! by the budget whatever the number of keys. The output appears atomically.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use memkv_frozen::{DuplicatePolicy, ExternalSorter, FrozenLayerBuilder, SortOptions};

/// How often progress is reported, in keys (a power of two).
const PROGRESS_EVERY: u64 = 1 << 22;

/// Reads `input`, sorts and de-duplicates its keys within `memory_budget_bytes`
/// (repeated keys are an error unless `dups_last_wins`), and writes the layer to
/// `output`. Progress goes to stderr.
pub fn run(
    input: &Path,
    output: &Path,
    memory_budget_bytes: u64,
    dups_last_wins: bool,
) -> Result<()> {
    let started = Instant::now();
    let file = File::open(input).with_context(|| format!("opening {}", input.display()))?;
    let reader: Box<dyn Read> = if input.extension().is_some_and(|e| e == "zst") {
        Box::new(
            zstd::stream::read::Decoder::new(file)
                .with_context(|| format!("reading {} as zstd", input.display()))?,
        )
    } else {
        Box::new(file)
    };
    let mut lines = BufReader::with_capacity(1 << 20, reader);
    let options = SortOptions {
        memory_budget: usize::try_from(memory_budget_bytes).unwrap_or(usize::MAX),
        duplicates: if dups_last_wins {
            DuplicatePolicy::LastWins
        } else {
            DuplicatePolicy::Reject
        },
        // Runs go next to the output, where there is presumably room for the result.
        temp_dir: output
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map(Path::to_path_buf),
    };
    let mut sorter = ExternalSorter::new(options);
    let mut line = Vec::new();
    let mut line_no = 0u64;
    let mut ordinal = 0u64;
    loop {
        line.clear();
        let n = lines
            .read_until(b'\n', &mut line)
            .with_context(|| format!("reading {} (line {})", input.display(), line_no + 1))?;
        if n == 0 {
            break;
        }
        line_no += 1;
        if line.last() == Some(&b'\n') {
            line.pop();
        }
        if line.is_empty() {
            continue;
        }
        let (key, value) = split_value(&line, ordinal)
            .with_context(|| format!("{}:{line_no}", input.display()))?;
        sorter.push(key, value)?;
        ordinal += 1;
        if ordinal & (PROGRESS_EVERY - 1) == 0 {
            eprintln!(
                "freeze: read {ordinal} keys ({} sorted runs spilled) in {:.1?}",
                sorter.spilled_runs(),
                started.elapsed()
            );
        }
    }
    eprintln!(
        "freeze: read {ordinal} keys from {line_no} lines; {} sorted runs spilled; merging into {}",
        sorter.spilled_runs(),
        output.display()
    );
    let mut builder = FrozenLayerBuilder::create(output)?;
    for entry in sorter.finish()? {
        let (key, value) = entry?;
        builder.insert(key, value)?;
        if builder.len() & (PROGRESS_EVERY - 1) == 0 {
            eprintln!(
                "freeze: wrote {} keys in {:.1?}",
                builder.len(),
                started.elapsed()
            );
        }
    }
    let keys = builder.len();
    // Not `finish`: mapping the result to return it would add its pages to our RSS.
    let bytes = builder.finish_unopened()?;
    eprintln!(
        "freeze: {keys} keys, {bytes} bytes ({:.2} bytes/key) written to {} in {:.1?}",
        bytes as f64 / keys.max(1) as f64,
        output.display(),
        started.elapsed()
    );
    Ok(())
}

/// Splits `key\tvalue`; a line without a tab is all key, valued `ordinal`.
fn split_value(line: &[u8], ordinal: u64) -> Result<(&[u8], u64)> {
    let Some(tab) = line.iter().rposition(|&b| b == b'\t') else {
        return Ok((line, ordinal));
    };
    let digits = &line[tab + 1..];
    let text = std::str::from_utf8(digits).map_err(|_| bad_value(digits))?;
    match text.trim_end_matches('\r').parse::<u64>() {
        Ok(v) => Ok((&line[..tab], v)),
        Err(_) => bail!(bad_value(digits)),
    }
}

fn bad_value(digits: &[u8]) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!(
            "the text after the last tab, \"{}\", is not a u64 value",
            digits.escape_ascii()
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_come_from_the_tab_column_or_the_ordinal() {
        assert_eq!(split_value(b"a/b", 7).unwrap(), (&b"a/b"[..], 7));
        assert_eq!(split_value(b"a\tb\t42", 7).unwrap(), (&b"a\tb"[..], 42));
        assert!(split_value(b"a\tx", 0).is_err());
    }

    #[test]
    fn freezes_an_unsorted_file_with_duplicates() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("keys.txt");
        let output = dir.path().join("keys.frz");
        std::fs::write(&input, b"pear\napple\n\nfig\t9\napple\n").unwrap();
        assert!(run(&input, &output, 1 << 20, false).is_err());
        assert!(!output.exists());
        run(&input, &output, 64, true).unwrap();
        let layer = memkv_frozen::FrozenLayer::open(&output).unwrap();
        let all: Vec<_> = layer.iter().collect();
        assert_eq!(
            all,
            [
                (b"apple".to_vec(), 3),
                (b"fig".to_vec(), 9),
                (b"pear".to_vec(), 0)
            ]
        );
    }
}
