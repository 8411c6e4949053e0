//! Building and running the measuring child (`memkv-measure`, the binary whose
//! global allocator is jemalloc): one process per (implementation, dataset).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{bail, Context};
use indicatif::ProgressBar;
use memkv_measure::report::ImplResult;

/// The Cargo profile of the child: the same as `cargo xtask`'s, so both share their
/// compiled dependencies.
pub const PROFILE: &str = "xtask";

/// The measuring binary, built and ready to launch.
#[derive(Debug)]
pub struct Measurer {
    exe: PathBuf,
}

impl Measurer {
    /// Builds `memkv-measure` with Cargo and finds its executable in Cargo's JSON
    /// messages (so any target directory works).
    pub fn build() -> anyhow::Result<Measurer> {
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
            .filter(|m| {
                m["reason"] == "compiler-artifact" && m["target"]["name"] == "memkv-measure"
            })
            .find_map(|m| m["executable"].as_str().map(PathBuf::from))
            .context("cargo did not report the memkv-measure executable")?;
        Ok(Measurer { exe })
    }

    /// Measures `name` on the key file in a fresh process, showing its phases on
    /// `bar`. A child that crashes or prints no result gives a failed result.
    pub fn measure(&self, file: &Path, name: &str, bar: &ProgressBar) -> ImplResult {
        match self.try_measure(file, name, bar) {
            Ok(r) => r,
            Err(e) => ImplResult::failed(name, format!("{e:#}")),
        }
    }

    fn try_measure(
        &self,
        file: &Path,
        name: &str,
        bar: &ProgressBar,
    ) -> anyhow::Result<ImplResult> {
        let mut child = Command::new(&self.exe)
            .arg("--file")
            .arg(file)
            .args(["--impl", name])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .with_context(|| format!("launching {}", self.exe.display()))?;
        let stdout = child.stdout.take().context("child stdout")?;
        let mut result: Option<ImplResult> = None;
        let mut failure = None;
        for line in BufReader::new(stdout).lines() {
            let line = line.context("reading the child's output")?;
            if let Some(phase) = line.strip_prefix("PHASE ") {
                bar.set_message(format!("{name}: {phase}"));
            } else if let Some(json) = line.strip_prefix("RESULT ") {
                result = Some(serde_json::from_str(json).context("parsing the child's result")?);
            } else if let Some(reason) = line.strip_prefix("FAILURE ") {
                failure = Some(reason.to_owned());
            }
        }
        let status = child.wait().context("waiting for the child")?;
        match result {
            Some(mut r) if status.success() => {
                r.failure = failure;
                Ok(r)
            }
            _ => bail!("the measuring process ended with {status} before printing a result"),
        }
    }
}
