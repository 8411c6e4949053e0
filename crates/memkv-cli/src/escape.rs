//! How keys, which are arbitrary bytes, travel through text: command-line
//! arguments, input files and output lines.
//!
//! One rule everywhere, so that anything `memkv` prints can be given back to it:
//! printable UTF-8 is written as is; a backslash becomes `\\`; tab, newline and
//! carriage return become `\t`, `\n`, `\r` (so a record stays on one line and the
//! tab before its value is unambiguous); other control characters and every byte
//! that is not part of valid UTF-8 become `\xNN` (ASCII) or `\u{...}` (other
//! control characters).

use std::fmt;

/// Writes `key` in the escaped form.
pub fn escape(key: &[u8]) -> String {
    let mut out = String::with_capacity(key.len());
    for chunk in key.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '\\' => out.push_str("\\\\"),
                '\t' => out.push_str("\\t"),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                c if c.is_ascii_control() => push_hex(&mut out, c as u8),
                c if c.is_control() => {
                    out.push_str(&format!("\\u{{{:x}}}", u32::from(c)));
                }
                c => out.push(c),
            }
        }
        for &b in chunk.invalid() {
            push_hex(&mut out, b);
        }
    }
    out
}

fn push_hex(out: &mut String, b: u8) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push_str("\\x");
    out.push(char::from(HEX[usize::from(b >> 4)]));
    out.push(char::from(HEX[usize::from(b & 15)]));
}

/// An escape sequence that [`unescape`] does not understand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EscapeError {
    /// Byte offset of the backslash that starts the bad sequence.
    pub offset: usize,
    /// What is wrong with it.
    pub reason: String,
}

impl fmt::Display for EscapeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} at byte {} (escapes are \\\\, \\t, \\n, \\r, \\xNN and \\u{{N}}; \
             write a literal backslash as \\\\)",
            self.reason, self.offset
        )
    }
}

/// Reads the escaped form back into bytes. Bytes that are not part of an escape
/// (including bytes that are not UTF-8) are taken as they are.
pub fn unescape(text: &[u8]) -> Result<Vec<u8>, EscapeError> {
    let mut out = Vec::with_capacity(text.len());
    let mut i = 0;
    while i < text.len() {
        let b = text[i];
        if b != b'\\' {
            out.push(b);
            i += 1;
            continue;
        }
        let err = |reason: String| EscapeError { offset: i, reason };
        match text.get(i + 1) {
            Some(b'\\') => out.push(b'\\'),
            Some(b't') => out.push(b'\t'),
            Some(b'n') => out.push(b'\n'),
            Some(b'r') => out.push(b'\r'),
            Some(b'x') => {
                let hex = text
                    .get(i + 2..i + 4)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    .ok_or_else(|| err("\\x must be followed by two hex digits".into()))?;
                out.push(hex);
                i += 4;
                continue;
            }
            Some(b'u') => {
                let close = text[i..]
                    .iter()
                    .position(|&c| c == b'}')
                    .filter(|_| text.get(i + 2) == Some(&b'{'));
                let c = close
                    .and_then(|end| std::str::from_utf8(&text[i + 3..i + end]).ok())
                    .filter(|h| (1..=6).contains(&h.len()))
                    .and_then(|h| u32::from_str_radix(h, 16).ok())
                    .and_then(char::from_u32)
                    .ok_or_else(|| {
                        err("\\u must be followed by {N}, N a Unicode scalar in hex".into())
                    })?;
                let mut buf = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                i += close.unwrap_or(0) + 1;
                continue;
            }
            Some(&other) => {
                return Err(err(format!(
                    "unknown escape \\{}",
                    escape(&[other]).trim_start_matches('\\')
                )))
            }
            None => return Err(err("a lone backslash ends the key".into())),
        }
        i += 2;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn plain_text_is_unchanged() {
        assert_eq!(escape(b"usr/share/doc/caf\xc3\xa9"), "usr/share/doc/café");
        assert_eq!(unescape("café".as_bytes()).unwrap(), "café".as_bytes());
    }

    #[test]
    fn special_bytes_are_escaped() {
        assert_eq!(
            escape(b"a\\b\tc\nd\re\x00\x7f\xff"),
            r"a\\b\tc\nd\re\x00\x7f\xff"
        );
        assert_eq!(escape("\u{85}".as_bytes()), r"\u{85}");
        assert_eq!(unescape(br"\u{1F600}").unwrap(), "😀".as_bytes());
        assert_eq!(unescape(b"raw\xffbyte").unwrap(), b"raw\xffbyte");
    }

    #[test]
    fn bad_escapes_are_located() {
        for (text, offset) in [
            (&br"ab\q"[..], 2),
            (br"\x4", 0),
            (br"x\xzz", 1),
            (br"\u{110000}", 0),
            (br"\u1234", 0),
            (br"\u{}", 0),
            (br"end\", 3),
        ] {
            let e = unescape(text).unwrap_err();
            assert_eq!(e.offset, offset, "{text:?}: {e}");
        }
        assert!(unescape(br"\q")
            .unwrap_err()
            .to_string()
            .contains("unknown escape \\q"));
    }

    proptest! {
        #[test]
        fn round_trip(key in proptest::collection::vec(any::<u8>(), 0..40)) {
            let text = escape(&key);
            prop_assert!(!text.contains(['\t', '\n', '\r']));
            prop_assert_eq!(unescape(text.as_bytes()).unwrap(), key);
        }

        #[test]
        fn round_trip_unicode(key in "\\PC*|[\\x00-\\x1f\\u{80}-\\u{9f}\\\\]*") {
            let text = escape(key.as_bytes());
            prop_assert_eq!(unescape(text.as_bytes()).unwrap(), key.as_bytes());
        }
    }
}
