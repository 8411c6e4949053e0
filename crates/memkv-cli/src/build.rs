//! `memkv build`: key file in, frozen file out, in memory bounded by `--memory`.
//!
//! Presorted input streams straight into the file builder, through one [`Dedup`]
//! step that checks the order and applies `--dups`. Other input goes through
//! `memkv_frozen`'s external sorter, which applies `--dups` itself (equal keys
//! leave the sort in input order, across spilled runs) and reports the input
//! positions of a rejected duplicate, which [`Lines`] turns back into line
//! numbers.

use std::cmp::Ordering;
use std::path::Path;

use memkv_core::Error;
use memkv_frozen::{DuplicatePolicy, ExternalSorter, FrozenLayer, FrozenLayerBuilder, SortOptions};

use crate::args::{BuildArgs, Dups};
use crate::error::CliError;
use crate::escape::escape;
use crate::input::{KeyFormat, KeyReader, Record};
use crate::progress::Progress;

/// What a build produced.
#[derive(Debug)]
pub struct Built {
    /// The new file, mapped.
    pub layer: FrozenLayer,
    /// Input records read (before duplicates were removed).
    pub records: u64,
    /// Blank input lines skipped.
    pub blank_lines: u64,
}

/// Runs `memkv build`.
pub fn build(args: &BuildArgs, progress: Progress) -> Result<Built, CliError> {
    let format = if args.escaped {
        KeyFormat::Escaped
    } else {
        KeyFormat::Raw
    };
    let reading = progress.bytes("reading");
    let mut reader = KeyReader::open(&args.input, format, reading.clone())?;
    let (builder, records) = if args.presorted {
        let mut builder = create(&args.output)?;
        let mut dedup = Dedup::new(args.dups, reader.name().to_string());
        let mut records = 0u64;
        while let Some(record) = reader.next_record()? {
            records += 1;
            if let Some(done) = dedup.push(record)? {
                insert(&mut builder, &done, &args.output)?;
            }
        }
        if let Some(last) = dedup.finish() {
            insert(&mut builder, &last, &args.output)?;
        }
        reading.finish_and_clear();
        (builder, records)
    } else {
        let options = SortOptions {
            memory_budget: args.memory,
            duplicates: match args.dups {
                Dups::Error => DuplicatePolicy::Reject,
                Dups::First => DuplicatePolicy::FirstWins,
                Dups::Last => DuplicatePolicy::LastWins,
            },
            temp_dir: args.temp_dir.clone(),
        };
        let spill = args
            .temp_dir
            .as_deref()
            .unwrap_or(Path::new("the temporary directory"));
        let mut sorter = ExternalSorter::new(options);
        let mut lines = Lines::default();
        while let Some(record) = reader.next_record()? {
            lines.push(sorter.len(), record.line);
            sorter
                .push(&record.key, record.value)
                .map_err(|e| CliError::at(spill, e))?;
        }
        reading.finish_and_clear();
        let records = sorter.len();
        if records == 0 {
            return Err(empty(&reader));
        }
        let mut builder = create(&args.output)?;
        let writing = progress.records("writing", records);
        let mut sorted = sorter.finish().map_err(|e| CliError::at(spill, e))?;
        while let Some(entry) = sorted.next() {
            let (key, value) = match entry {
                Ok(entry) => entry,
                Err(Error::DuplicateKey { index, key }) => {
                    let first = sorted.position().map_or(0, |p| lines.line(p));
                    return Err(repeated(reader.name(), lines.line(index), &key, first));
                }
                Err(e) => return Err(CliError::at(spill, e)),
            };
            writing.inc(1);
            builder
                .insert(&key, value)
                .map_err(|e| CliError::at(&args.output, e))?;
        }
        writing.finish_and_clear();
        (builder, records)
    };
    if builder.is_empty() {
        return Err(empty(&reader));
    }
    let layer = builder
        .finish()
        .map_err(|e| CliError::at(&args.output, e))?;
    Ok(Built {
        layer,
        records,
        blank_lines: reader.blank_lines(),
    })
}

fn create(output: &Path) -> Result<FrozenLayerBuilder, CliError> {
    FrozenLayerBuilder::create(output).map_err(|e| CliError::at(output, e))
}

fn insert(
    builder: &mut FrozenLayerBuilder,
    record: &Record,
    output: &Path,
) -> Result<(), CliError> {
    builder
        .insert(&record.key, record.value)
        .map_err(|e| CliError::at(output, e))
}

fn empty(reader: &KeyReader) -> CliError {
    let blank = match reader.blank_lines() {
        0 => String::new(),
        n => format!(" ({n} blank lines)"),
    };
    CliError::failure(format!(
        "{}: the input holds no keys{blank}: a memkv file needs at least one; check the \
         input path, or the command that feeds stdin",
        reader.name()
    ))
}

/// The error for `key` on line `line` repeating line `first`.
fn repeated(input: &str, line: u64, key: &[u8], first: u64) -> CliError {
    CliError::failure(format!(
        "{input} line {line}: key {} repeats line {first}: remove the duplicate, or pass \
         --dups first or --dups last",
        escape(key)
    ))
}

/// Maps the input positions the sorter reports (0 for the first record) back to
/// line numbers. Only blank lines make the two drift apart, so only the points
/// where they do are kept.
#[derive(Debug, Default)]
struct Lines {
    /// `(position, line)` of each record after which the offset changed.
    breaks: Vec<(u64, u64)>,
}

impl Lines {
    /// Records that the record at `position` is on line `line`.
    fn push(&mut self, position: u64, line: u64) {
        let expected = match self.breaks.last() {
            Some(&(p, l)) => l + (position - p),
            None => position + 1,
        };
        if line != expected {
            self.breaks.push((position, line));
        }
    }

    /// The line of the record at `position`.
    fn line(&self, position: u64) -> u64 {
        match self.breaks.partition_point(|&(p, _)| p <= position) {
            0 => position + 1,
            i => {
                let (p, l) = self.breaks[i - 1];
                l + (position - p)
            }
        }
    }
}

/// Resolves repeated keys in presorted input, and checks its order.
struct Dedup {
    policy: Dups,
    /// The input's name, for messages.
    input: String,
    /// The record with the largest key so far, held back until a larger key
    /// shows that it has no more duplicates.
    pending: Option<Record>,
}

impl Dedup {
    fn new(policy: Dups, input: String) -> Dedup {
        Dedup {
            policy,
            input,
            pending: None,
        }
    }

    /// Takes the next record; returns the previous one when it is complete.
    fn push(&mut self, record: Record) -> Result<Option<Record>, CliError> {
        let Some(pending) = &mut self.pending else {
            self.pending = Some(record);
            return Ok(None);
        };
        match record.key.cmp(&pending.key) {
            Ordering::Greater => Ok(self.pending.replace(record)),
            Ordering::Equal => match self.policy {
                Dups::Error => Err(repeated(
                    &self.input,
                    record.line,
                    &record.key,
                    pending.line,
                )),
                Dups::First => Ok(None),
                Dups::Last => {
                    *pending = record;
                    Ok(None)
                }
            },
            Ordering::Less => Err(CliError::failure(format!(
                "{} line {}: key {} sorts before key {} on line {}: the input is not \
                     sorted byte-wise; drop --presorted, or sort it with `LC_ALL=C sort`",
                self.input,
                record.line,
                escape(&record.key),
                escape(&pending.key),
                pending.line
            ))),
        }
    }

    /// The last record.
    fn finish(self) -> Option<Record> {
        self.pending
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_map_back_to_lines() {
        let mut lines = Lines::default();
        // Records on lines 1, 2, 5, 6, 9 (blank lines 3, 4, 7, 8).
        for (position, line) in [(0, 1), (1, 2), (2, 5), (3, 6), (4, 9)] {
            lines.push(position, line);
        }
        assert_eq!(lines.breaks.len(), 2);
        let found: Vec<u64> = (0..5).map(|p| lines.line(p)).collect();
        assert_eq!(found, [1, 2, 5, 6, 9]);
        assert_eq!(Lines::default().line(41), 42);
    }

    fn rec(key: &str, value: u64, line: u64) -> Record {
        Record {
            key: key.into(),
            value,
            line,
        }
    }

    fn run(policy: Dups, records: &[Record]) -> Result<Vec<(String, u64)>, String> {
        let mut d = Dedup::new(policy, "in".into());
        let mut out = Vec::new();
        for r in records {
            if let Some(done) = d.push(r.clone()).map_err(|e| e.message)? {
                out.push(done);
            }
        }
        out.extend(d.finish());
        Ok(out
            .into_iter()
            .map(|r| (String::from_utf8(r.key).unwrap(), r.value))
            .collect())
    }

    #[test]
    fn duplicate_policies() {
        let input = [
            rec("a", 1, 1),
            rec("b", 2, 2),
            rec("b", 3, 3),
            rec("c", 4, 4),
        ];
        assert_eq!(
            run(Dups::First, &input).unwrap(),
            [("a".into(), 1), ("b".into(), 2), ("c".into(), 4)]
        );
        assert_eq!(
            run(Dups::Last, &input).unwrap(),
            [("a".into(), 1), ("b".into(), 3), ("c".into(), 4)]
        );
        let e = run(Dups::Error, &input).unwrap_err();
        assert!(e.contains("line 3: key b repeats line 2"), "{e}");
        let e = run(Dups::Last, &[rec("b", 1, 1), rec("a", 2, 2)]).unwrap_err();
        assert!(
            e.contains("line 2: key a sorts before key b on line 1"),
            "{e}"
        );
    }
}
