//! `xtask-fetch`, the downloader behind `cargo xtask dataset fetch urls`: downloads
//! the seed's URL crawl with HTTP range requests, resumably, keeping whole lines
//! only, and records what it got in a manifest (source, byte range, line count,
//! sha256).
//!
//! The partial download lives in `FILE.part`; an interrupted transfer (a cut
//! connection, a killed process) resumes from its length, within the same run (a
//! few retries) or on the next one.
//!
//! It is a crate of its own so that its HTTPS client (ureq, rustls, ring) is built
//! only by the command that needs it: `cargo xtask bench-memory` on a fresh clone
//! compiles a third less.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context};
use indicatif::{ProgressBar, ProgressStyle};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use clap::Parser;
use memkv_measure::{dataset, files};

/// Where the seed's crawl is published: one sorted URL per line.
pub const DEFAULT_URL: &str = "https://static.wilsonl.in/urls.txt";
/// The seed's table used the first 46 MB of it (about 967K URLs).
pub const DEFAULT_BYTES: u64 = 46_000_000;
/// Retries of a cut transfer within one run.
const MAX_ATTEMPTS: u32 = 5;

/// Arguments of `dataset fetch urls`.
#[derive(Debug, Parser)]
#[command(
    name = "cargo xtask dataset fetch urls",
    bin_name = "cargo xtask dataset fetch urls",
    about = "Downloads the seed's URL crawl (one sorted URL per line) by HTTP range requests"
)]
struct Args {
    /// The source.
    #[arg(long, default_value = DEFAULT_URL)]
    url: String,
    /// How many bytes to fetch from the start (then cut at the last complete line).
    #[arg(long, default_value_t = DEFAULT_BYTES, value_parser = dataset::parse_count)]
    bytes: u64,
    /// Where to write (default `datasets/urls.txt`, manifest next to it).
    #[arg(long)]
    output: Option<PathBuf>,
}

/// What a download produced, written next to the data as `NAME.manifest.json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// The URL fetched.
    pub source: String,
    /// The bytes of the source kept: `[start, end)`.
    pub byte_range: [u64; 2],
    /// The number of lines (keys) kept.
    pub lines: u64,
    /// The sha256 of the file, in hex.
    pub sha256: String,
}

/// The default download location: where `bench-memory --dataset urls` looks.
fn default_output() -> PathBuf {
    dataset::fetched_urls_path()
}

/// `datasets/urls.txt` → `datasets/urls.manifest.json`.
fn manifest_path(output: &Path) -> PathBuf {
    let name = output.file_name().unwrap_or_default().to_string_lossy();
    let stem = name.strip_suffix(".txt").unwrap_or(&name);
    output.with_file_name(format!("{stem}.manifest.json"))
}

fn part_path(output: &Path) -> PathBuf {
    let mut name = output.file_name().unwrap_or_default().to_os_string();
    name.push(".part");
    output.with_file_name(name)
}

/// Runs the download; an error is printed as one message with its causes and exits
/// with status 1.
fn main() -> std::process::ExitCode {
    match run(&Args::parse()) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run(args: &Args) -> anyhow::Result<()> {
    let output = args.output.clone().unwrap_or_else(default_output);
    let bar = ProgressBar::new(args.bytes);
    bar.set_style(
        ProgressStyle::with_template("downloading [{bar:30}] {binary_bytes}/{binary_total_bytes} ({binary_bytes_per_sec}, {eta})")
            .expect("valid template")
            .progress_chars("=> "),
    );
    let manifest = download(&args.url, args.bytes, &output, &mut |n| bar.set_position(n))?;
    bar.finish_and_clear();
    println!(
        "{}: {} URLs, bytes {}..{} of {}, sha256 {}",
        output.display(),
        manifest.lines,
        manifest.byte_range[0],
        manifest.byte_range[1],
        manifest.source,
        manifest.sha256
    );
    Ok(())
}

/// How one request ended.
enum Transfer {
    /// Everything asked for arrived, or the resource ended (`eof`).
    Done { eof: bool },
    /// The connection broke mid-body; what arrived is kept and the next request
    /// resumes after it.
    Cut(io::Error),
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .timeout_resolve(Some(Duration::from_secs(10)))
        .timeout_connect(Some(Duration::from_secs(10)))
        .http_status_as_error(false)
        .build()
        .into()
}

/// Downloads the first `max_bytes` of `url` into `output` (cut at the last complete
/// line), resuming a previous partial download, and writes the manifest.
/// `progress` receives the number of bytes held so far.
fn download(
    url: &str,
    max_bytes: u64,
    output: &Path,
    progress: &mut dyn FnMut(u64),
) -> anyhow::Result<Manifest> {
    if let Some(dir) = output.parent().filter(|d| !d.as_os_str().is_empty()) {
        fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let part = part_path(output);
    let mut file = OpenOptions::new()
        .create(true)
        .append(true)
        .read(true)
        .open(&part)
        .with_context(|| format!("opening {}", part.display()))?;
    let mut have = file.metadata()?.len();
    if have > max_bytes {
        file.set_len(max_bytes)?;
        have = max_bytes;
    }
    let agent = agent();
    let mut eof = false;
    let mut attempts = 0;
    while have < max_bytes && !eof {
        progress(have);
        attempts += 1;
        let transfer = match request(&agent, url, have, max_bytes, &mut file, progress) {
            Ok(t) => t,
            Err(e) => {
                // Leave no empty partial file behind a download that never started.
                if file.metadata()?.len() == 0 {
                    let _ = fs::remove_file(&part);
                }
                return Err(e);
            }
        };
        match transfer {
            Transfer::Done { eof: e } => eof = e,
            Transfer::Cut(e) if attempts < MAX_ATTEMPTS => {
                eprintln!("transfer cut at byte {} ({e}); resuming", file.metadata()?.len());
            }
            Transfer::Cut(e) => bail!(
                "the transfer of {url} was cut {attempts} times (last: {e}); {} bytes are kept in {}, \
                 run the command again to resume",
                file.metadata()?.len(),
                part.display()
            ),
        }
        have = file.metadata()?.len();
    }
    progress(have);
    finish(url, &mut file, &part, output, eof)
}

/// One range request for bytes `have..max_bytes`, appended to `file`.
fn request(
    agent: &ureq::Agent,
    url: &str,
    have: u64,
    max_bytes: u64,
    file: &mut File,
    progress: &mut dyn FnMut(u64),
) -> anyhow::Result<Transfer> {
    let response = agent
        .get(url)
        .header("Range", format!("bytes={have}-{}", max_bytes - 1))
        .call()
        .map_err(|e| {
            anyhow::anyhow!(
                "could not reach {url}: {e}. Without network access, measure any local key file \
                 instead: `cargo xtask bench-memory --file PATH` (one key per line, .zst allowed)"
            )
        })?;
    let status = response.status().as_u16();
    // Bytes of the body to throw away before the part we lack (a server that ignores
    // Range sends the whole resource from byte 0).
    let (skip, want) = match status {
        206 => {
            let range = response
                .headers()
                .get("content-range")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            let start = parse_content_range_start(range)
                .with_context(|| format!("bad Content-Range {range:?} from {url}"))?;
            if start != have {
                bail!("{url} answered bytes from {start}, but {have} were asked for");
            }
            (0, max_bytes - have)
        }
        200 => (have, max_bytes - have),
        // The resource is no longer than what is already held.
        416 => return Ok(Transfer::Done { eof: true }),
        _ => bail!("{url} answered HTTP {status}; nothing more was downloaded"),
    };
    let mut body = response.into_body().into_reader();
    if skip > 0 {
        match io::copy(&mut (&mut body).take(skip), &mut io::sink()) {
            Ok(n) if n == skip => {}
            Ok(_) => return Ok(Transfer::Done { eof: true }),
            Err(e) => return Ok(Transfer::Cut(e)),
        }
    }
    let mut buf = vec![0u8; 1 << 16];
    let mut got = 0u64;
    while got < want {
        let n = match body.read(&mut buf[..(want - got).min(1 << 16) as usize]) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                file.sync_data()?;
                return Ok(Transfer::Cut(e));
            }
        };
        file.write_all(&buf[..n])?;
        got += n as u64;
        progress(have + got);
    }
    file.sync_data()?;
    // A 206 that stops short without an error means the source itself ended.
    Ok(Transfer::Done { eof: got < want })
}

/// The first byte of a `Content-Range: bytes START-END/TOTAL` header.
fn parse_content_range_start(v: &str) -> Option<u64> {
    v.trim()
        .strip_prefix("bytes ")?
        .split('-')
        .next()?
        .trim()
        .parse()
        .ok()
}

/// Cuts the partial file at its last complete line, hashes and counts it, moves it
/// into place and writes the manifest.
fn finish(
    url: &str,
    file: &mut File,
    part: &Path,
    output: &Path,
    eof: bool,
) -> anyhow::Result<Manifest> {
    let len = file.metadata()?.len();
    let keep = if eof { len } else { last_line_end(file, len)? };
    if keep == 0 {
        bail!("{url} gave no complete line");
    }
    file.set_len(keep)?;
    if eof && last_byte(file, keep)? != b'\n' {
        // The source's final line is complete even without its newline.
        file.write_all(b"\n")?;
    }
    file.sync_all()?;
    file.seek(SeekFrom::Start(0))?;
    let mut hasher = Sha256::new();
    let mut lines = 0u64;
    let mut reader = BufReader::with_capacity(1 << 20, &mut *file);
    loop {
        let chunk = reader.fill_buf()?;
        if chunk.is_empty() {
            break;
        }
        hasher.update(chunk);
        lines += chunk.iter().filter(|&&b| b == b'\n').count() as u64;
        let n = chunk.len();
        reader.consume(n);
    }
    let manifest = Manifest {
        source: url.to_owned(),
        byte_range: [0, keep],
        lines,
        sha256: hex(&hasher.finalize()),
    };
    fs::rename(part, output).with_context(|| format!("moving {} into place", part.display()))?;
    files::sync_parent(output)?;
    let json = serde_json::to_string_pretty(&manifest)? + "\n";
    files::write_atomic(&manifest_path(output), |w| w.write_all(json.as_bytes()))?;
    Ok(manifest)
}

fn last_byte(file: &mut File, len: u64) -> io::Result<u8> {
    let mut b = [0u8; 1];
    file.seek(SeekFrom::Start(len - 1))?;
    file.read_exact(&mut b)?;
    Ok(b[0])
}

/// The length up to and including the last `\n` of the first `len` bytes, scanning
/// backwards a block at a time.
fn last_line_end(file: &mut File, len: u64) -> io::Result<u64> {
    let mut end = len;
    let mut buf = vec![0u8; 1 << 16];
    while end > 0 {
        let start = end.saturating_sub(buf.len() as u64);
        let block = &mut buf[..(end - start) as usize];
        file.seek(SeekFrom::Start(start))?;
        file.read_exact(block)?;
        if let Some(i) = block.iter().rposition(|&b| b == b'\n') {
            return Ok(start + i as u64 + 1);
        }
        end = start;
    }
    Ok(0)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    //! The download code against a local HTTP/1.1 server on 127.0.0.1 serving a
    //! fixture: range requests, a transfer cut mid-way then resumed, servers that
    //! ignore ranges or fail, and no server at all.

    use std::io::{BufRead, BufReader, Write};
    use std::net::{TcpListener, TcpStream};
    use std::sync::{Arc, Mutex};
    use std::thread;
    use std::time::{Duration, Instant};

    use super::*;

    #[derive(Clone, Copy)]
    enum Mode {
        /// Honours `Range`.
        Ranges,
        /// Honours `Range`, but the first response stops after this many body bytes.
        CutFirst(usize),
        /// Ignores `Range` and sends the whole resource with 200.
        IgnoreRange,
        /// Answers 500.
        Fail,
    }

    struct Server {
        url: String,
        /// The `Range` header of each request, in order.
        ranges: Arc<Mutex<Vec<String>>>,
    }

    fn fixture() -> Vec<u8> {
        (0..2000)
            .map(|i| format!("https://example.org/page/{i:05}\n"))
            .collect::<String>()
            .into_bytes()
    }

    /// Serves `body` for at most `max_requests` requests or 20 seconds, whichever
    /// ends first, then stops by itself.
    fn serve(body: Vec<u8>, mode: Mode, max_requests: usize) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let url = format!("http://{}/urls.txt", listener.local_addr().unwrap());
        let ranges = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&ranges);
        thread::spawn(move || {
            let deadline = Instant::now() + Duration::from_secs(20);
            let mut served = 0;
            while served < max_requests && Instant::now() < deadline {
                match listener.accept() {
                    Ok((stream, _)) => {
                        stream.set_nonblocking(false).unwrap();
                        let range = respond(stream, &body, mode, served);
                        log.lock().unwrap().push(range);
                        served += 1;
                    }
                    Err(_) => thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        Server { url, ranges }
    }

    /// Answers one request; returns its `Range` header (empty when absent).
    fn respond(mut stream: TcpStream, body: &[u8], mode: Mode, index: usize) -> String {
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut range = String::new();
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                break;
            }
            if let Some(v) = line.to_ascii_lowercase().strip_prefix("range:") {
                range = v.trim().to_owned();
            }
        }
        let len = body.len();
        let (start, end) = range
            .strip_prefix("bytes=")
            .and_then(|r| r.split_once('-'))
            .map(|(s, e)| {
                (
                    s.parse::<usize>().unwrap(),
                    e.parse::<usize>().unwrap().min(len - 1),
                )
            })
            .unwrap_or((0, len - 1));
        let _ = match mode {
            Mode::Fail => stream.write_all(b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"),
            Mode::IgnoreRange => write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Length: {len}\r\nConnection: close\r\n\r\n"
            )
            .and_then(|()| stream.write_all(body)),
            Mode::Ranges | Mode::CutFirst(_) if start >= len => stream.write_all(
                format!("HTTP/1.1 416 Range Not Satisfiable\r\nContent-Range: bytes */{len}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").as_bytes(),
            ),
            Mode::Ranges | Mode::CutFirst(_) => {
                let part = &body[start..=end];
                let sent = match mode {
                    Mode::CutFirst(n) if index == 0 => &part[..n],
                    _ => part,
                };
                write!(
                    stream,
                    "HTTP/1.1 206 Partial Content\r\nContent-Range: bytes {start}-{end}/{len}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    part.len()
                )
                .and_then(|()| stream.write_all(sent))
            }
        };
        // Dropping the stream closes the connection: for a cut response, mid-body.
        range
    }

    fn fetch(server: &Server, max: u64, dir: &Path) -> anyhow::Result<Manifest> {
        download(&server.url, max, &dir.join("urls.txt"), &mut |_| {})
    }

    fn sha256_hex(data: &[u8]) -> String {
        hex(&Sha256::digest(data))
    }

    #[test]
    fn range_download_cuts_at_the_last_complete_line() {
        let body = fixture();
        let server = serve(body.clone(), Mode::Ranges, 4);
        let dir = tempfile::tempdir().unwrap();
        let m = fetch(&server, 1000, dir.path()).unwrap();
        let kept = &body[..body[..1000].iter().rposition(|&b| b == b'\n').unwrap() + 1];
        assert_eq!(fs::read(dir.path().join("urls.txt")).unwrap(), kept);
        assert_eq!(m.byte_range, [0, kept.len() as u64]);
        assert_eq!(m.lines, kept.iter().filter(|&&b| b == b'\n').count() as u64);
        assert_eq!(m.sha256, sha256_hex(kept));
        assert_eq!(*server.ranges.lock().unwrap(), ["bytes=0-999"]);
        let on_disk: Manifest =
            serde_json::from_slice(&fs::read(dir.path().join("urls.manifest.json")).unwrap())
                .unwrap();
        assert_eq!(on_disk, m);
        assert!(!dir.path().join("urls.txt.part").exists());
    }

    #[test]
    fn a_cut_transfer_resumes_where_it_stopped() {
        let body = fixture();
        let server = serve(body.clone(), Mode::CutFirst(12_345), 4);
        let dir = tempfile::tempdir().unwrap();
        let m = fetch(&server, body.len() as u64, dir.path()).unwrap();
        assert_eq!(fs::read(dir.path().join("urls.txt")).unwrap(), body);
        assert_eq!(m.lines, 2000);
        let ranges = server.ranges.lock().unwrap().clone();
        assert_eq!(ranges[0], format!("bytes=0-{}", body.len() - 1));
        assert_eq!(ranges[1], format!("bytes=12345-{}", body.len() - 1));
    }

    #[test]
    fn a_partial_file_from_an_earlier_run_is_resumed() {
        let body = fixture();
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("urls.txt.part"), &body[..5000]).unwrap();
        let server = serve(body.clone(), Mode::Ranges, 4);
        fetch(&server, 20_000, dir.path()).unwrap();
        assert_eq!(*server.ranges.lock().unwrap(), ["bytes=5000-19999"]);
        let got = fs::read(dir.path().join("urls.txt")).unwrap();
        assert!(body.starts_with(&got) && got.ends_with(b"\n") && got.len() > 19_900);

        // A server that ignores Range: the bytes already held are skipped.
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("urls.txt.part"), &body[..777]).unwrap();
        let server = serve(body.clone(), Mode::IgnoreRange, 4);
        fetch(&server, body.len() as u64, dir.path()).unwrap();
        assert_eq!(fs::read(dir.path().join("urls.txt")).unwrap(), body);
    }

    #[test]
    fn a_source_shorter_than_asked_is_kept_whole() {
        let mut body = fixture();
        body.pop(); // no final newline: the last line is still complete
        let server = serve(body.clone(), Mode::Ranges, 4);
        let dir = tempfile::tempdir().unwrap();
        let m = fetch(&server, 10_000_000, dir.path()).unwrap();
        assert_eq!(m.lines, 2000);
        let got = fs::read(dir.path().join("urls.txt")).unwrap();
        assert_eq!(&got[..body.len()], &body[..]);
        assert_eq!(got.last(), Some(&b'\n'));
    }

    #[test]
    fn a_server_error_fails_without_output() {
        let server = serve(fixture(), Mode::Fail, 4);
        let dir = tempfile::tempdir().unwrap();
        let err = fetch(&server, 1000, dir.path()).unwrap_err().to_string();
        assert!(err.contains("HTTP 500"), "{err}");
        assert!(!dir.path().join("urls.txt").exists());
        assert!(!dir.path().join("urls.manifest.json").exists());
        assert!(!dir.path().join("urls.txt.part").exists());
    }

    #[test]
    fn no_server_fails_fast_naming_the_file_alternative() {
        // Bind then drop a listener: its port is closed, so connecting is refused at
        // once, like a machine without network.
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let dir = tempfile::tempdir().unwrap();
        let started = Instant::now();
        let err = download(
            &format!("http://127.0.0.1:{port}/urls.txt"),
            1000,
            &dir.path().join("urls.txt"),
            &mut |_| {},
        )
        .unwrap_err()
        .to_string();
        assert!(started.elapsed() < Duration::from_secs(5));
        assert!(err.contains("--file"), "{err}");
    }

    #[test]
    fn content_range_parsing() {
        assert_eq!(parse_content_range_start("bytes 100-199/1000"), Some(100));
        assert_eq!(parse_content_range_start("bytes */1000"), None);
        assert_eq!(
            manifest_path(Path::new("d/urls.txt")),
            Path::new("d/urls.manifest.json")
        );
    }
}
