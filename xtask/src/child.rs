//! Building the measuring child (`memkv-measure`, the binary whose global allocator
//! is jemalloc) that [`memkv_measure::compare`] launches once per implementation.

use std::path::PathBuf;
use std::process::{Command, Stdio};

use anyhow::{bail, Context};
use memkv_measure::compare::ChildCommand;

/// The Cargo profile of the child: the same as `cargo xtask`'s, so both share their
/// compiled dependencies.
pub const PROFILE: &str = "xtask";

/// Builds `memkv-measure` with Cargo and finds its executable in Cargo's JSON
/// messages (so any target directory works).
pub fn build() -> anyhow::Result<ChildCommand> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = Command::new(cargo)
        .current_dir(crate::paths::project_root())
        .args([
            "build",
            "--profile",
            PROFILE,
            "--package",
            "memkv-measure",
            "--bin",
            "memkv-measure",
            "--message-format=json-render-diagnostics",
        ])
        .stderr(Stdio::inherit())
        .output()
        .context("running cargo build for the measuring binary")?;
    if !output.status.success() {
        bail!("building memkv-measure failed ({})", output.status);
    }
    let exe = String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|m| m["reason"] == "compiler-artifact" && m["target"]["name"] == "memkv-measure")
        .find_map(|m| m["executable"].as_str().map(PathBuf::from))
        .context("cargo did not report the memkv-measure executable")?;
    Ok(ChildCommand::new(exe))
}
