//! Reading key files: plain or zstd-compressed text, or stdin; one record per
//! line, `KEY` or `KEY<TAB>VALUE`.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use indicatif::ProgressBar;

use crate::error::CliError;
use crate::escape::unescape;

/// The first four bytes of every zstd frame.
const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];

/// One input record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The key, unescaped.
    pub key: Vec<u8>,
    /// The value (0 when the line has none).
    pub value: u64,
    /// The 1-based line number, for error messages.
    pub line: u64,
}

/// How keys are written in the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyFormat {
    /// The escaped form that `memkv` prints (see `escape`).
    Escaped,
    /// Bytes as they are.
    Raw,
}

/// Reads records from a key file.
pub struct KeyReader {
    lines: Box<dyn BufRead>,
    path: PathBuf,
    name: String,
    format: KeyFormat,
    buf: Vec<u8>,
    line: u64,
    blank: u64,
}

impl KeyReader {
    /// Opens `path` (`-` for stdin), detecting zstd compression by its magic bytes.
    /// `progress` advances by the bytes read from the file (compressed bytes for a
    /// compressed file).
    pub fn open(
        path: &Path,
        format: KeyFormat,
        progress: ProgressBar,
    ) -> Result<KeyReader, CliError> {
        let source: Box<dyn Read> = if path.as_os_str() == "-" {
            Box::new(io::stdin().lock())
        } else {
            let file = File::open(path).map_err(|e| CliError::io(path, &e))?;
            if let Ok(meta) = file.metadata() {
                if meta.is_file() {
                    crate::progress::set_total_bytes(&progress, meta.len());
                }
            }
            Box::new(file)
        };
        let mut raw = BufReader::with_capacity(
            1 << 16,
            Counted {
                inner: source,
                progress,
            },
        );
        let head = raw.fill_buf().map_err(|e| CliError::io(path, &e))?;
        let lines: Box<dyn BufRead> = if head.starts_with(&ZSTD_MAGIC) {
            let decoder = zstd::Decoder::with_buffer(raw).map_err(|e| CliError::io(path, &e))?;
            Box::new(BufReader::with_capacity(1 << 16, decoder))
        } else {
            Box::new(raw)
        };
        let name = if path.as_os_str() == "-" {
            "standard input".to_string()
        } else {
            path.display().to_string()
        };
        Ok(KeyReader {
            lines,
            path: path.to_path_buf(),
            name,
            format,
            buf: Vec::new(),
            line: 0,
            blank: 0,
        })
    }

    /// The input's name for messages: its path, or "standard input".
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The number of blank lines skipped so far.
    pub fn blank_lines(&self) -> u64 {
        self.blank
    }

    /// An error about the current line.
    fn error(&self, what: impl std::fmt::Display) -> CliError {
        CliError::failure(format!("{} line {}: {what}", self.name, self.line))
    }

    /// The next record, or `None` at the end of the input. Blank lines are skipped
    /// (an empty key is written as a line holding only a TAB and a value).
    pub fn next_record(&mut self) -> Result<Option<Record>, CliError> {
        loop {
            self.buf.clear();
            let n = self
                .lines
                .read_until(b'\n', &mut self.buf)
                .map_err(|e| CliError::io(&self.path, &e))?;
            if n == 0 {
                return Ok(None);
            }
            self.line += 1;
            let mut text = &self.buf[..];
            text = text.strip_suffix(b"\n").unwrap_or(text);
            text = text.strip_suffix(b"\r").unwrap_or(text);
            if text.is_empty() {
                self.blank += 1;
                continue;
            }
            let (key, value) = match text.iter().rposition(|&b| b == b'\t') {
                Some(tab) => (&text[..tab], Some(&text[tab + 1..])),
                None => (text, None),
            };
            let value = match value {
                None => 0,
                Some(v) => std::str::from_utf8(v)
                    .ok()
                    .filter(|v| v.bytes().all(|b| b.is_ascii_digit()))
                    .and_then(|v| v.parse::<u64>().ok())
                    .ok_or_else(|| {
                        let tab_in_key = match self.format {
                            KeyFormat::Raw => "a key that holds a TAB needs a value after it",
                            KeyFormat::Escaped => "write a TAB inside a key as \\t",
                        };
                        self.error(format_args!(
                            "the value {:?} after the last TAB is not an unsigned 64-bit \
                             integer: write KEY<TAB>VALUE; {tab_in_key}",
                            String::from_utf8_lossy(v)
                        ))
                    })?,
            };
            let key = match self.format {
                KeyFormat::Raw => key.to_vec(),
                KeyFormat::Escaped => unescape(key).map_err(|e| {
                    self.error(format_args!(
                        "{e}; or drop --escaped to take keys byte for byte"
                    ))
                })?,
            };
            return Ok(Some(Record {
                key,
                value,
                line: self.line,
            }));
        }
    }
}

/// A reader that reports the bytes it reads to a progress bar.
struct Counted {
    inner: Box<dyn Read>,
    progress: ProgressBar,
}

impl Read for Counted {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.progress.inc(n as u64);
        Ok(n)
    }
}
