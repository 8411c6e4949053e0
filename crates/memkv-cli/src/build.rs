//! `memkv build`: key file in, frozen file out, in memory bounded by `--memory`.
//!
//! Presorted input streams straight into the file builder. Other input goes
//! through `memkv_frozen`'s external sorter first. The sorter only knows a
//! last-wins policy and does not report input lines, so each key is pushed
//! *tagged* with its line number (see [`tag`]): equal keys then come out of the
//! sort in input order, and one [`Dedup`] step applies every `--dups` policy and
//! names both lines of a duplicate, for sorted and unsorted input alike.

use std::cmp::Ordering;
use std::path::Path;

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
    let mut dedup = Dedup::new(args.dups, args.presorted, reader.name().to_string());
    let (mut builder, records) = if args.presorted {
        let mut builder = create(&args.output)?;
        let mut records = 0u64;
        while let Some(record) = reader.next_record()? {
            records += 1;
            if let Some(done) = dedup.push(record)? {
                insert(&mut builder, &done, &args.output)?;
            }
        }
        reading.finish_and_clear();
        (builder, records)
    } else {
        let options = SortOptions {
            memory_budget: args.memory,
            // Tags make every pushed key distinct; `Dedup` applies the policy.
            duplicates: DuplicatePolicy::Reject,
            temp_dir: args.temp_dir.clone(),
        };
        let spill = args
            .temp_dir
            .as_deref()
            .unwrap_or(Path::new("the temporary directory"));
        let mut sorter = ExternalSorter::new(options);
        let mut tagged = Vec::new();
        while let Some(record) = reader.next_record()? {
            tag(&record.key, record.line, &mut tagged);
            sorter
                .push(&tagged, record.value)
                .map_err(|e| CliError::at(spill, e))?;
        }
        reading.finish_and_clear();
        let records = sorter.len();
        if records == 0 {
            return Err(empty(&reader));
        }
        let mut builder = create(&args.output)?;
        let writing = progress.records("writing", records);
        for entry in sorter.finish().map_err(|e| CliError::at(spill, e))? {
            let (tagged, value) = entry.map_err(|e| CliError::at(spill, e))?;
            let (key, line) = untag(&tagged);
            writing.inc(1);
            if let Some(done) = dedup.push(Record { key, value, line })? {
                insert(&mut builder, &done, &args.output)?;
            }
        }
        writing.finish_and_clear();
        (builder, records)
    };
    if let Some(last) = dedup.finish() {
        insert(&mut builder, &last, &args.output)?;
    }
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

/// Resolves repeated keys in a stream of records sorted by (key, line), and
/// checks that order for presorted input.
struct Dedup {
    policy: Dups,
    presorted: bool,
    /// The input's name, for messages.
    input: String,
    /// The record with the largest key so far, held back until a larger key
    /// shows that it has no more duplicates.
    pending: Option<Record>,
}

impl Dedup {
    fn new(policy: Dups, presorted: bool, input: String) -> Dedup {
        Dedup {
            policy,
            presorted,
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
                Dups::Error => Err(CliError::failure(format!(
                    "{} line {}: key {} repeats line {}: remove the duplicate, or pass \
                     --dups first or --dups last",
                    self.input,
                    record.line,
                    escape(&record.key),
                    pending.line
                ))),
                Dups::First => Ok(None),
                Dups::Last => {
                    *pending = record;
                    Ok(None)
                }
            },
            // Only presorted input can go backwards: the sort emits keys in order.
            Ordering::Less => {
                debug_assert!(
                    self.presorted,
                    "the external sort emitted keys out of order"
                );
                Err(CliError::failure(format!(
                    "{} line {}: key {} sorts before key {} on line {}: the input is not \
                     sorted byte-wise; drop --presorted, or sort it with `LC_ALL=C sort`",
                    self.input,
                    record.line,
                    escape(&record.key),
                    escape(&pending.key),
                    pending.line
                )))
            }
        }
    }

    /// The last record.
    fn finish(self) -> Option<Record> {
        self.pending
    }
}

/// Writes into `out` a sort key for `key` on input line `line`: tagged keys sort
/// by key, then by line. The key is made prefix-free by doubling its zero bytes
/// as `00 FF` and ending it with `00 00`, so the line number that follows never
/// competes with key bytes.
fn tag(key: &[u8], line: u64, out: &mut Vec<u8>) {
    out.clear();
    for &b in key {
        out.push(b);
        if b == 0 {
            out.push(0xff);
        }
    }
    out.extend_from_slice(&[0, 0]);
    out.extend_from_slice(&line.to_be_bytes());
}

/// Reverses [`tag`].
fn untag(tagged: &[u8]) -> (Vec<u8>, u64) {
    let mut key = Vec::with_capacity(tagged.len().saturating_sub(10));
    let mut i = 0;
    while i < tagged.len() {
        let b = tagged[i];
        if b == 0 && tagged.get(i + 1) == Some(&0) {
            i += 2;
            break;
        }
        key.push(b);
        // A zero byte of the key was written as `00 FF`.
        i += if b == 0 { 2 } else { 1 };
    }
    let mut line = [0u8; 8];
    if let Some(tail) = tagged.get(i..i + 8) {
        line.copy_from_slice(tail);
    }
    (key, u64::from_be_bytes(line))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn tags_round_trip(key in proptest::collection::vec(any::<u8>(), 0..20), line: u64) {
            let mut t = Vec::new();
            tag(&key, line, &mut t);
            prop_assert_eq!(untag(&t), (key, line));
        }

        #[test]
        fn tags_sort_by_key_then_line(
            a in proptest::collection::vec(prop_oneof![Just(0u8), Just(1), Just(255)], 0..6),
            b in proptest::collection::vec(prop_oneof![Just(0u8), Just(1), Just(255)], 0..6),
            la: u64,
            lb: u64,
        ) {
            let (mut ta, mut tb) = (Vec::new(), Vec::new());
            tag(&a, la, &mut ta);
            tag(&b, lb, &mut tb);
            prop_assert_eq!(ta.cmp(&tb), a.cmp(&b).then(la.cmp(&lb)));
        }
    }

    fn rec(key: &str, value: u64, line: u64) -> Record {
        Record {
            key: key.into(),
            value,
            line,
        }
    }

    fn run(policy: Dups, records: &[Record]) -> Result<Vec<(String, u64)>, String> {
        let mut d = Dedup::new(policy, true, "in".into());
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
