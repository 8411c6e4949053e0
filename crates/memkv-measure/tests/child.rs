//! The measuring binary end to end: every registered implementation on a small
//! synthetic key file, each in its own process, as `cargo xtask bench-memory` runs it.

use std::process::Command;

use memkv_measure::registry;
use memkv_measure::report::ImplResult;

const EXE: &str = env!("CARGO_BIN_EXE_memkv-measure");

fn key_file(dir: &std::path::Path) -> std::path::PathBuf {
    let path = dir.join("keys.txt");
    let mut out = Vec::new();
    memkv_measure::synth::generate(1_000, 7, &mut out, &mut |_| {}).unwrap();
    std::fs::write(&path, out).unwrap();
    path
}

fn measure(file: &std::path::Path, name: &str) -> (ImplResult, Vec<String>) {
    let out = Command::new(EXE)
        .arg("--file")
        .arg(file)
        .args(["--impl", name])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{name}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let phases = stdout
        .lines()
        .filter_map(|l| l.strip_prefix("PHASE "))
        .map(str::to_owned)
        .collect();
    let json = stdout
        .lines()
        .find_map(|l| l.strip_prefix("RESULT "))
        .expect("a RESULT line");
    (serde_json::from_str(json).unwrap(), phases)
}

#[test]
fn every_implementation_measures_and_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let file = key_file(dir.path());
    let raw: u64 = std::fs::read(&file)
        .unwrap()
        .iter()
        .filter(|&&b| b != b'\n')
        .count() as u64;
    for name in registry::names() {
        let (r, phases) = measure(&file, name);
        assert!(r.verified, "{name} failed");
        assert_eq!(r.name, name);
        assert_eq!(r.keys, Some(1_000));
        assert_eq!(phases, ["build", "get", "miss", "scan", "prefix"]);
        let bytes = r.bytes.unwrap();
        // jemalloc really is the allocator: every structure costs something, and
        // the ones that store each key whole cost more than the keys.
        assert!(bytes > 0, "{name}: 0 bytes");
        if ["BTreeMap", "HashMap", "SimpleKV"].contains(&name) {
            assert!(bytes > raw, "{name}: {bytes} bytes for {raw} bytes of keys");
        }
    }
}

#[test]
fn bad_arguments_fail_with_a_message() {
    let out = Command::new(EXE)
        .args(["--file", "x", "--impl", "NoSuchMap"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("unknown implementation") && err.contains("BTreeMap"),
        "{err}"
    );
    let out = Command::new(EXE)
        .args(["--impl", "BTreeMap", "--file", "/nonexistent/keys"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/keys"));
}
