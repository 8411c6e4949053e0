//! End-to-end tests of the `memkv` binary: each runs the built executable in a
//! temporary directory and checks its output, stderr and exit code, against a
//! `BTreeMap` model and against `insta` snapshots of whole transcripts.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use tempfile::TempDir;

/// What one run of the binary produced.
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

/// Runs `memkv args...` in `dir`, with `stdin` as its standard input.
fn memkv_with_stdin(dir: &Path, args: &[&str], stdin: &[u8]) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_memkv"))
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the memkv binary runs");
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin).unwrap();
    drop(input);
    let out = child.wait_with_output().unwrap();
    Run {
        code: out
            .status
            .code()
            .expect("memkv exits normally, not by a signal"),
        stdout: String::from_utf8(out.stdout).expect("stdout is UTF-8 (keys are escaped)"),
        stderr: String::from_utf8(out.stderr).expect("stderr is UTF-8"),
    }
}

fn memkv(dir: &Path, args: &[&str]) -> Run {
    memkv_with_stdin(dir, args, b"")
}

/// Runs `memkv` and records the exchange as a transcript for a snapshot.
struct Session {
    dir: TempDir,
    transcript: String,
}

impl Session {
    fn new() -> Session {
        Session {
            dir: tempfile::tempdir().unwrap(),
            transcript: String::new(),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn write(&self, name: &str, contents: &[u8]) {
        std::fs::write(self.path(name), contents).unwrap();
    }

    /// Runs the command, adds it to the transcript and returns it.
    fn run(&mut self, args: &[&str]) -> Run {
        self.run_with_stdin(args, b"")
    }

    fn run_with_stdin(&mut self, args: &[&str], stdin: &[u8]) -> Run {
        let run = memkv_with_stdin(self.dir.path(), args, stdin);
        writeln!(self.transcript, "$ memkv {}", args.join(" ")).unwrap();
        self.transcript.push_str(&run.stdout);
        for line in run.stderr.lines() {
            writeln!(self.transcript, "[stderr] {line}").unwrap();
        }
        writeln!(self.transcript, "[exit {}]", run.code).unwrap();
        run
    }
}

/// The escaped form documented in docs/CLI.md, written independently of the
/// tool's own code (keys here hold no non-ASCII control characters).
fn escaped(key: &[u8]) -> String {
    let mut s = String::new();
    for chunk in key.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '\\' => s.push_str("\\\\"),
                '\t' => s.push_str("\\t"),
                '\n' => s.push_str("\\n"),
                '\r' => s.push_str("\\r"),
                c if c.is_ascii_control() => write!(s, "\\x{:02x}", c as u8).unwrap(),
                c => s.push(c),
            }
        }
        for b in chunk.invalid() {
            write!(s, "\\x{b:02x}").unwrap();
        }
    }
    s
}

/// Deterministic pseudo-random numbers (64-bit LCG, high bits).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 16
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// About 3,000 keys shaped like file paths, with prefix pairs, bytes that are
/// not UTF-8, tabs, newlines, backslashes, a zero byte and the empty key; then
/// shuffled, with some keys repeated under new values.
fn generated() -> Vec<(Vec<u8>, u64)> {
    let mut rng = Rng(42);
    let mut keys: Vec<Vec<u8>> = Vec::new();
    for i in 0..2_500u64 {
        let dir = ["usr/bin", "usr/share/doc", "etc", "var/lib/dpkg"][rng.below(4) as usize];
        let key = format!("{dir}/pkg{}/file{i}", rng.below(40));
        keys.push(key.clone().into_bytes());
        if i % 10 == 0 {
            // A key that is a prefix of another.
            keys.push(format!("{dir}/pkg{}", rng.below(40)).into_bytes());
        }
    }
    for i in 0..200u8 {
        keys.push(vec![b'b', b'i', b'n', b'/', 0x80 | i, 0xff - (i % 7), b'x']);
    }
    for special in [
        &b"tab\there"[..],
        b"new\nline",
        b"back\\slash",
        b"nul\0byte",
        b"cr\rcr",
        b"",
        "caf\u{e9}/\u{1F600}".as_bytes(),
    ] {
        keys.push(special.to_vec());
    }
    let mut entries: Vec<(Vec<u8>, u64)> = keys
        .into_iter()
        .map(|k| {
            let v = match rng.below(3) {
                0 => rng.below(1000),
                1 => rng.next(),
                _ => u64::MAX - rng.below(5),
            };
            (k, v)
        })
        .collect();
    for i in 0..300 {
        let j = rng.below(entries.len() as u64) as usize;
        let again = (entries[j].0.clone(), i);
        entries.push(again);
    }
    for i in (1..entries.len()).rev() {
        entries.swap(i, rng.below(i as u64 + 1) as usize);
    }
    entries
}

fn key_file(entries: &[(Vec<u8>, u64)]) -> Vec<u8> {
    let mut text = String::new();
    for (k, v) in entries {
        writeln!(text, "{}\t{v}", escaped(k)).unwrap();
    }
    text.into_bytes()
}

fn model_lines<'a>(entries: impl IntoIterator<Item = (&'a Vec<u8>, &'a u64)>) -> String {
    let mut s = String::new();
    for (k, v) in entries {
        writeln!(s, "{}\t{v}", escaped(k)).unwrap();
    }
    s
}

#[test]
fn generated_keys_round_trip() {
    let entries = generated();
    let model: BTreeMap<Vec<u8>, u64> = entries.iter().cloned().collect();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("keys.txt"), key_file(&entries)).unwrap();

    // A budget of 16 KiB makes the sort spill many runs and merge them.
    let b = memkv(
        d,
        &[
            "build",
            "--escaped",
            "keys.txt",
            "keys.mkv",
            "--dups",
            "last",
            "--memory",
            "16K",
        ],
    );
    assert_eq!((b.code, b.stderr.as_str()), (0, ""));
    let all = memkv(d, &["range", "keys.mkv"]);
    assert_eq!(all.code, 0, "{}", all.stderr);
    assert_eq!(all.stdout, model_lines(&model));

    // The tool's output is valid input: a presorted rebuild gives the same file.
    std::fs::write(d.join("sorted.txt"), &all.stdout).unwrap();
    let b = memkv(
        d,
        &[
            "build",
            "--escaped",
            "--presorted",
            "sorted.txt",
            "again.mkv",
        ],
    );
    assert_eq!((b.code, b.stderr.as_str()), (0, ""));
    assert_eq!(
        std::fs::read(d.join("keys.mkv")).unwrap(),
        std::fs::read(d.join("again.mkv")).unwrap()
    );

    // Keys printed escaped are read back the same way as arguments.
    let sorted: Vec<(&Vec<u8>, &u64)> = model.iter().collect();
    let mut rng = Rng(7);
    for _ in 0..12 {
        let i = rng.below(sorted.len() as u64) as usize;
        let (k, v) = sorted[i];
        let e = escaped(k);
        let get = memkv(d, &["get", "keys.mkv", &e]);
        assert_eq!((get.code, get.stdout.clone()), (0, format!("{e}\t{v}\n")));
        let rank = memkv(d, &["rank", "keys.mkv", &e]);
        assert_eq!(rank.stdout, format!("{i}\n"));
        let nth = memkv(d, &["nth", "keys.mkv", &i.to_string()]);
        assert_eq!(nth.stdout, format!("{e}\t{v}\n"));
    }
    let missing = memkv(d, &["get", "keys.mkv", "usr/bin", "bin/\\xff"]);
    assert_eq!(missing.code, 1);
    assert_eq!(missing.stdout, "");
    assert_eq!(missing.stderr.lines().count(), 2, "{}", missing.stderr);

    // Prefixes and counts.
    for (prefix, raw) in [
        ("usr/", &b"usr/"[..]),
        ("usr/share/doc/pkg1", b"usr/share/doc/pkg1"),
        ("bin/\\x80", b"bin/\x80"),
        ("var/lib/dpkg/pkg39/", b"var/lib/dpkg/pkg39/"),
        ("zzz", b"zzz"),
    ] {
        let expected: Vec<_> = model.iter().filter(|(k, _)| k.starts_with(raw)).collect();
        let scan = memkv(d, &["prefix", "keys.mkv", prefix]);
        assert_eq!(
            scan.stdout,
            model_lines(expected.iter().copied()),
            "{prefix}"
        );
        assert_eq!(scan.code, if expected.is_empty() { 1 } else { 0 });
        let count = memkv(d, &["count", "keys.mkv", prefix]);
        assert_eq!(count.stdout, format!("{}\n", expected.len()), "{prefix}");
    }
    let count = memkv(d, &["count", "keys.mkv"]);
    assert_eq!(count.stdout, format!("{}\n", model.len()));

    // Bounded, limited and reversed ranges.
    let (from, to) = (&b"etc/pkg3"[..], &b"usr/bin/pkg1/"[..]);
    let inside: Vec<_> = model.range(from.to_vec()..to.to_vec()).collect();
    let args = [
        "range",
        "keys.mkv",
        "--from",
        "etc/pkg3",
        "--to",
        "usr/bin/pkg1/",
    ];
    assert_eq!(memkv(d, &args).stdout, model_lines(inside.iter().copied()));
    let mut limited = args.to_vec();
    limited.extend(["--limit", "5", "--reverse"]);
    let last5: Vec<_> = inside.iter().rev().take(5).copied().collect();
    assert_eq!(memkv(d, &limited).stdout, model_lines(last5));
    let first = memkv(d, &["--json", "range", "keys.mkv", "--limit", "2"]);
    assert_eq!(
        first.stdout,
        "{\"key\":\"\",\"value\":".to_string()
            + &model[&b""[..]].to_string()
            + "}\n{\"key\":\"back\\\\\\\\slash\",\"value\":"
            + &model[&b"back\\slash"[..]].to_string()
            + "}\n"
    );

    // A reader that goes away early (`memkv range | head -1`) ends the command
    // quietly: the output (about 100 KB) is larger than a pipe buffer, so the tool
    // is still writing when the pipe closes.
    let mut child = Command::new(env!("CARGO_BIN_EXE_memkv"))
        .args(["range", "keys.mkv"])
        .current_dir(d)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    std::io::BufRead::read_line(&mut stdout, &mut first).unwrap();
    drop(stdout);
    let out = child.wait_with_output().unwrap();
    assert_eq!(first, model_lines(model.iter().take(1)));
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");

    let verify = memkv(d, &["verify", "keys.mkv"]);
    assert_eq!(verify.code, 0, "{}", verify.stderr);
    let stats = memkv(d, &["stats", "keys.mkv"]);
    assert!(
        stats
            .stdout
            .contains(&format!("keys        {}\n", model.len())),
        "{}",
        stats.stdout
    );
}

#[test]
fn a_small_session() {
    let mut s = Session::new();
    s.write(
        "fruit.txt",
        "pear\t3\napple\t1\nfig\n\ncherry\t2\ncaf\\xc3\\xa9\t9\nodd\\xff\\tkey\t5\n".as_bytes(),
    );
    s.run(&["build", "--escaped", "fruit.txt", "fruit.mkv"]);
    s.run(&["stats", "fruit.mkv"]);
    s.run(&["verify", "fruit.mkv"]);
    s.run(&["range", "fruit.mkv"]);
    s.run(&["get", "fruit.mkv", "pear", "odd\\xff\\tkey", "plum"]);
    s.run(&["prefix", "fruit.mkv", "c"]);
    s.run(&[
        "range",
        "fruit.mkv",
        "--from",
        "b",
        "--to",
        "g",
        "--reverse",
    ]);
    s.run(&["count", "fruit.mkv", "c"]);
    s.run(&["nth", "fruit.mkv", "0"]);
    s.run(&["nth", "fruit.mkv", "6"]);
    s.run(&["rank", "fruit.mkv", "fig"]);
    s.run(&["rank", "fruit.mkv", "date"]);
    s.run(&["--json", "get", "fruit.mkv", "fig", "kiwi"]);
    s.run(&["--json", "stats", "fruit.mkv"]);
    s.run(&["--json", "count", "fruit.mkv"]);
    s.run(&["--json", "verify", "fruit.mkv"]);
    insta::assert_snapshot!("small_session", s.transcript);
}

#[test]
fn bad_input_gets_a_clear_error() {
    let mut s = Session::new();
    s.write("good.txt", b"a\t1\nb\t2\nc\t3\n");
    assert_eq!(s.run(&["build", "good.txt", "good.mkv"]).code, 0);
    let good = std::fs::read(s.path("good.mkv")).unwrap();

    // Damaged and foreign files.
    s.write("truncated.mkv", &good[..good.len() - 10]);
    s.run(&["get", "truncated.mkv", "a"]);
    s.write("foreign.mkv", b"PK\x03\x04 a zip archive, not a memkv file");
    s.run(&["stats", "foreign.mkv"]);
    s.write("empty.mkv", b"");
    s.run(&["verify", "empty.mkv"]);
    let mut flipped = good.clone();
    flipped[70] ^= 0x20;
    s.write("flipped.mkv", &flipped);
    s.run(&["verify", "flipped.mkv"]);
    s.run(&["count", "missing.mkv"]);

    // Bad key files; none of them leaves an output file behind.
    s.write("unsorted.txt", b"apple\nbanana\ncherry\nbanana2\nbanana1\n");
    s.run(&["build", "--presorted", "unsorted.txt", "out.mkv"]);
    s.write("empty.txt", b"");
    s.run(&["build", "empty.txt", "out.mkv"]);
    s.run_with_stdin(&["build", "--presorted", "-", "out.mkv"], b"\n\n");
    s.write("dups.txt", b"x\t1\ny\t2\nx\t3\n");
    s.run(&["build", "dups.txt", "out.mkv"]);
    s.run(&["build", "--presorted", "dups.txt", "out.mkv"]);
    s.write("badvalue.txt", b"x\t1\ny\tmany\n");
    s.run(&["build", "badvalue.txt", "out.mkv"]);
    s.write("badescape.txt", b"C:\\Users\n");
    s.run(&["build", "--escaped", "badescape.txt", "out.mkv"]);
    s.run(&["build", "no-such-input.txt", "out.mkv"]);
    assert!(!s.path("out.mkv").exists());
    let leftovers: Vec<_> = std::fs::read_dir(s.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    // Usage errors exit with 2.
    s.run(&["get", "good.mkv", "bad\\escape"]);
    s.run(&["build", "good.txt", "x.mkv", "--memory", "lots"]);
    s.run(&["nth", "good.mkv", "-1"]);
    s.run(&["frobnicate"]);
    insta::assert_snapshot!("bad_input", s.transcript);
}

#[test]
fn raw_keys_and_compressed_stdin() {
    let mut s = Session::new();
    // Real file paths hold backslashes (systemd unit names): by default a key
    // file is taken byte for byte, so they survive as they are.
    let text = b"C:\\Users\\a\t1\nC:\\Users\\b\t2\nbyte\xfe\nlib/systemd/system/run-vmblock\\x2dfuse.mount\n";
    s.write("raw.txt", text);
    s.run(&["build", "raw.txt", "raw.mkv"]);
    s.run(&["range", "raw.mkv"]);
    s.run(&["get", "raw.mkv", "C:\\\\Users\\\\b", "byte\\xfe"]);
    s.run(&[
        "get",
        "raw.mkv",
        "lib/systemd/system/run-vmblock\\x2dfuse.mount",
    ]);
    s.run(&[
        "get",
        "--raw",
        "raw.mkv",
        "lib/systemd/system/run-vmblock\\x2dfuse.mount",
    ]);
    s.run(&["count", "--raw", "raw.mkv", "C:\\"]);
    s.run(&["range", "--raw", "raw.mkv", "--from", "C:\\Users\\b"]);
    let zst = zstd::encode_all(&text[..], 3).unwrap();
    s.run_with_stdin(&["build", "-", "stdin.mkv"], &zst);
    assert_eq!(
        std::fs::read(s.path("raw.mkv")).unwrap(),
        std::fs::read(s.path("stdin.mkv")).unwrap()
    );
    insta::assert_snapshot!("raw_keys", s.transcript);
}

#[test]
fn merge_later_inputs_win() {
    let mut s = Session::new();
    s.write("one.txt", b"a\t1\nb\t1\nc\t1\n");
    s.write("two.txt", b"b\t2\nd\t2\n");
    s.write("three.txt", b"c\t3\nd\t3\ne\t3\n");
    for name in ["one", "two", "three"] {
        let (txt, mkv) = (format!("{name}.txt"), format!("{name}.mkv"));
        assert_eq!(s.run(&["build", &txt, &mkv]).code, 0);
    }
    s.run(&["merge", "all.mkv", "one.mkv", "two.mkv", "three.mkv"]);
    s.run(&["range", "all.mkv"]);
    s.run(&[
        "--json",
        "merge",
        "rev.mkv",
        "three.mkv",
        "two.mkv",
        "one.mkv",
    ]);
    s.run(&["range", "rev.mkv"]);
    s.run(&["verify", "rev.mkv"]);
    // Merging a file into itself replaces it atomically.
    s.run(&["merge", "one.mkv", "one.mkv", "two.mkv"]);
    s.run(&["range", "one.mkv"]);
    s.run(&["merge", "bad.mkv", "one.mkv", "missing.mkv"]);
    insta::assert_snapshot!("merge", s.transcript);
}

/// The words list of the shared datasets, sorted byte-wise (663,473 keys).
fn words_file() -> Option<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let path = root.join("../shared/datasets/words.txt.zst");
    if path.exists() {
        Some(path)
    } else {
        eprintln!(
            "skipping: {} is absent (see the datasets README)",
            path.display()
        );
        None
    }
}

#[test]
fn words_dataset_round_trip() {
    let Some(words) = words_file() else { return };
    let mut s = Session::new();
    let input = words.to_str().expect("a UTF-8 path");
    let b = memkv(s.dir.path(), &["build", "--presorted", input, "words.mkv"]);
    assert_eq!((b.code, b.stderr.as_str()), (0, ""));
    s.run(&["stats", "words.mkv"]);
    s.run(&[
        "get",
        "words.mkv",
        "zebra",
        "Zürich",
        "aardvark",
        "no-such-word",
    ]);
    s.run(&["range", "words.mkv", "--from", "quixotic", "--limit", "4"]);
    s.run(&["prefix", "words.mkv", "quix"]);
    s.run(&["count", "words.mkv", "un"]);
    s.run(&["nth", "words.mkv", "331736"]);
    s.run(&["rank", "words.mkv", "memory"]);
    s.run(&["range", "words.mkv", "--reverse", "--limit", "2"]);
    insta::assert_snapshot!("words", s.transcript);

    // Every key comes back, in order, exactly as it was given.
    let all = memkv(s.dir.path(), &["range", "words.mkv"]);
    let original = zstd::decode_all(std::fs::File::open(&words).unwrap()).unwrap();
    let escaped_words: String = original
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| escaped(l) + "\t0\n")
        .collect();
    assert_eq!(all.stdout, escaped_words);
}

/// `--dups first`, `last` and `error` on unsorted input that spills many sorted
/// runs: the first or last value in input order wins, and a rejected duplicate
/// names the lines of both occurrences, blank lines counted.
#[test]
fn duplicate_policies_across_spilled_runs() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // 3000 records of 300 keys (each given 10 times, in scrambled order), with a
    // blank line after every 7th record.
    let mut input = Vec::new();
    let mut first = BTreeMap::new();
    let mut last = BTreeMap::new();
    let mut line = 0u64;
    let mut lines_of: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    for i in 0..3000u64 {
        let key = format!("key-{:03}", (i * 131) % 300);
        let value = i * 7 + 1;
        line += 1;
        input.extend_from_slice(format!("{key}\t{value}\n").as_bytes());
        lines_of.entry(key.clone()).or_default().push(line);
        first.entry(key.clone().into_bytes()).or_insert(value);
        last.insert(key.into_bytes(), value);
        if i % 7 == 6 {
            input.push(b'\n');
            line += 1;
        }
    }
    std::fs::write(d.join("dups.txt"), &input).unwrap();
    for (policy, model) in [("first", &first), ("last", &last)] {
        let out = format!("{policy}.mkv");
        let b = memkv(
            d,
            &[
                "build", "dups.txt", &out, "--dups", policy, "--memory", "4K",
            ],
        );
        assert_eq!((b.code, b.stderr.as_str()), (0, ""), "{policy}");
        let all = memkv(d, &["range", &out]);
        assert_eq!(all.stdout, model_lines(model), "{policy}");
    }
    let b = memkv(d, &["build", "dups.txt", "err.mkv", "--memory", "4K"]);
    assert_eq!(b.code, 1);
    // The smallest repeated key is reported: its second line repeats its first.
    let at = &lines_of["key-000"];
    let expected = format!(
        "memkv: dups.txt line {}: key key-000 repeats line {}: remove the duplicate",
        at[1], at[0]
    );
    assert!(b.stderr.starts_with(&expected), "{}", b.stderr);
    assert!(!d.join("err.mkv").exists());
}

/// CRC-32 (IEEE), bit by bit: enough to reseal a small damaged file.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = (crc >> 1) ^ (0xEDB8_8320 & (crc & 1).wrapping_neg());
        }
    }
    !crc
}

/// A file whose FST bytes were changed and whose checksum was recomputed: `verify`
/// and `stats` report it as damaged (exit 1) or answer, and never panic.
#[test]
fn resealed_damage_is_reported_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("in.txt"), "pear\t3\napple\t1\nfig\ncherry\t2\n").unwrap();
    assert_eq!(memkv(d, &["build", "in.txt", "good.mkv"]).code, 0);
    let good = std::fs::read(d.join("good.mkv")).unwrap();
    let fst_len = u64::from_le_bytes(good[24..32].try_into().unwrap()) as usize;
    let mut rejected = 0;
    for at in 64..64 + fst_len {
        let mut bad = good.clone();
        bad[at] ^= 0xFF;
        let body = bad.len() - 8;
        let crc = crc32(&bad[..body]);
        bad[body..body + 4].copy_from_slice(&crc.to_le_bytes());
        std::fs::write(d.join("bad.mkv"), &bad).unwrap();
        for command in ["verify", "stats"] {
            let r = memkv(d, &[command, "bad.mkv"]);
            assert!(
                (0..=1).contains(&r.code),
                "byte {at}, {command}: {} {}",
                r.code,
                r.stderr
            );
            if r.code == 1 && command == "verify" && r.stderr.contains("FST section") {
                rejected += 1;
            }
        }
    }
    assert!(rejected > 0);
}
