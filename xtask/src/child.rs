//! The binaries `cargo xtask` builds on demand and runs: the measuring child
//! (`memkv-measure`, whose global allocator is jemalloc) that
//! [`memkv_measure::compare`] launches once per implementation, and the downloader
//! (`xtask-fetch`), kept apart so that its HTTPS client is compiled only when a
//! download is asked for.

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use anyhow::{bail, Context};
use memkv_measure::compare::ChildCommand;

/// The Cargo profile of the children: the same as `cargo xtask`'s, so all share
/// their compiled dependencies.
pub const PROFILE: &str = "xtask";

/// Builds `memkv-measure`, the measuring child.
pub fn build() -> anyhow::Result<ChildCommand> {
    build_binary("memkv-measure").map(ChildCommand::new)
}

/// `cargo xtask dataset fetch urls ARGS`: builds `xtask-fetch` and runs it with
/// `args`; its failure is the command's.
pub fn run_fetch(args: &[OsString]) -> anyhow::Result<()> {
    eprintln!("building the downloader (cargo build --profile {PROFILE} --package xtask-fetch)");
    let exe = build_binary("xtask-fetch")?;
    let status = Command::new(&exe)
        .args(args)
        .status()
        .with_context(|| format!("running {}", exe.display()))?;
    if !status.success() {
        // The downloader has printed its own error.
        std::process::exit(status.code().unwrap_or(1));
    }
    Ok(())
}

/// Builds the binary `bin` of the package of the same name with Cargo and finds its
/// executable in Cargo's JSON messages (so any target directory works).
fn build_binary(bin: &str) -> anyhow::Result<PathBuf> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = Command::new(cargo)
        .current_dir(crate::paths::project_root())
        .args([
            "build",
            "--profile",
            PROFILE,
            "--package",
            bin,
            "--bin",
            bin,
        ])
        .arg("--message-format=json-render-diagnostics")
        .stderr(Stdio::inherit())
        .output()
        .with_context(|| format!("running cargo build for {bin}"))?;
    if !output.status.success() {
        bail!("building {bin} failed ({})", output.status);
    }
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|m| m["reason"] == "compiler-artifact" && m["target"]["name"] == bin)
        .find_map(|m| m["executable"].as_str().map(PathBuf::from))
        .with_context(|| format!("cargo did not report the {bin} executable"))
}
