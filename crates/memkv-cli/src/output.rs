//! Writing results to stdout: one record per line, as text or as JSON.
//!
//! Keys are written in the escaped form in both (see `escape`), so a key printed
//! by any command, text or JSON, can be passed back as an argument unchanged.

use std::io::{self, BufWriter, StdoutLock, Write};

use serde_json::{json, Value};

use crate::escape::escape;

/// Buffered stdout in the chosen format.
pub struct Output {
    out: BufWriter<StdoutLock<'static>>,
    json: bool,
}

impl Output {
    /// Text output, or JSON lines when `json` is set.
    pub fn new(json: bool) -> Output {
        Output {
            out: BufWriter::with_capacity(1 << 16, io::stdout().lock()),
            json,
        }
    }

    /// Whether JSON is written.
    pub fn json(&self) -> bool {
        self.json
    }

    /// A key and its value: `KEY<TAB>VALUE`, or `{"key":..,"value":..}`.
    pub fn record(&mut self, key: &[u8], value: u64) -> io::Result<()> {
        if self.json {
            self.object(&json!({ "key": escape(key), "value": value }))
        } else {
            writeln!(self.out, "{}\t{value}", escape(key))
        }
    }

    /// A line of text (text mode only).
    pub fn line(&mut self, text: impl std::fmt::Display) -> io::Result<()> {
        writeln!(self.out, "{text}")
    }

    /// A JSON object on one line.
    pub fn object(&mut self, value: &Value) -> io::Result<()> {
        serde_json::to_writer(&mut self.out, value)?;
        self.out.write_all(b"\n")
    }

    /// Writes out what is buffered.
    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}
