//! `cargo xtask bench-memory`: every implementation on one dataset, each in its own
//! process; prints the table and writes JSON, Markdown and SVG on request.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use memkv_measure::report::{DatasetInfo, ImplResult, Report};
use memkv_measure::{chart, registry, render};

use crate::child::Measurer;
use crate::{dataset, fsutil};

/// Arguments of `bench-memory`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// A named dataset: `synthetic-urls` (1M generated URLs), `urls` (after `dataset
    /// fetch urls`), or a file name of `../shared/datasets` such as `debian-paths-1m`.
    #[arg(long, default_value = dataset::SYNTHETIC_URLS, conflicts_with = "file")]
    dataset: String,
    /// Any newline-separated key file instead (`.zst` read transparently; unsorted
    /// input is sorted and de-duplicated).
    #[arg(long)]
    file: Option<PathBuf>,
    /// Measure a uniform deterministic sample of this many keys.
    #[arg(long, value_parser = dataset::parse_count)]
    limit: Option<u64>,
    /// Comma-separated implementation names (default: all).
    #[arg(long, value_delimiter = ',')]
    impls: Vec<String>,
    /// Write the results as JSON here.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Write the Markdown table here.
    #[arg(long)]
    markdown: Option<PathBuf>,
    /// Write the bar chart of bytes/key here (SVG).
    #[arg(long)]
    svg: Option<PathBuf>,
    /// How many measuring processes run at once. Memory figures do not depend on it;
    /// speeds do (concurrent children share caches and memory bandwidth), so
    /// published speed figures use the default of 1.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=64))]
    jobs: u32,
}

/// A file removed when dropped: the normalized key file handed to the children.
struct TempFile(PathBuf);

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// The dataset's display name: the named dataset, or the file name without `.txt`
/// and `.zst`.
fn dataset_name(args: &Args) -> String {
    match &args.file {
        None => args.dataset.clone(),
        Some(path) => {
            let name = path.file_name().unwrap_or_default().to_string_lossy();
            let name = name.strip_suffix(".zst").unwrap_or(&name);
            name.strip_suffix(".txt").unwrap_or(name).to_owned()
        }
    }
}

fn selected_impls(args: &Args) -> anyhow::Result<Vec<&'static str>> {
    if args.impls.is_empty() {
        return Ok(registry::names().collect());
    }
    args.impls
        .iter()
        .map(|name| {
            registry::find(name.trim())
                .map(|i| i.name)
                .with_context(|| {
                    let known: Vec<_> = registry::names().collect();
                    format!(
                        "unknown implementation {name:?}; known: {}",
                        known.join(", ")
                    )
                })
        })
        .collect()
}

/// `cargo xtask bench-memory`.
pub fn run(args: &Args) -> anyhow::Result<()> {
    let started = Instant::now();
    let impls = selected_impls(args)?;
    let path = match &args.file {
        Some(file) => file.clone(),
        None => dataset::resolve(&args.dataset)?,
    };
    let limit = args.limit.map(|l| usize::try_from(l).unwrap_or(usize::MAX));
    let loaded = dataset::load_with_progress(&path, limit)?;
    for note in &loaded.notes {
        eprintln!("note: {note}");
    }
    if loaded.keys.is_empty() {
        bail!("{} holds no key", path.display());
    }
    let info = DatasetInfo::of(dataset_name(args), &loaded.keys);
    // The children must measure exactly these keys: when loading changed anything
    // (sorting, de-duplication, sampling), hand them the normalized set.
    let normalized = if loaded.notes.is_empty() {
        None
    } else {
        let tmp = std::env::temp_dir().join(format!("memkv-bench-{}.txt", std::process::id()));
        fsutil::write_atomic(&tmp, |out| loaded.keys.write_lines(out))?;
        Some(TempFile(tmp))
    };
    drop(loaded);
    let child_file: &Path = normalized.as_ref().map_or(&path, |t| &t.0);

    eprintln!(
        "building the measuring binary (cargo build --profile {})",
        crate::child::PROFILE
    );
    let measurer = Measurer::build()?;
    let mut report = Report {
        dataset: info,
        results: Vec::new(),
    };
    let bars = MultiProgress::new();
    let next = AtomicUsize::new(0);
    let slots: Vec<Mutex<Option<ImplResult>>> = impls.iter().map(|_| Mutex::new(None)).collect();
    std::thread::scope(|scope| {
        for _ in 0..args.jobs.min(impls.len() as u32) {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(&name) = impls.get(i) else { break };
                let bar = bars.add(ProgressBar::new_spinner());
                bar.set_style(
                    ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
                        .expect("valid template"),
                );
                bar.enable_steady_tick(Duration::from_millis(120));
                bar.set_message(format!("{name}: loading"));
                let result = measurer.measure(child_file, name, &bar);
                bar.finish_and_clear();
                let _ = bars.println(format!(
                    "measured {name} in {:.1} s{}",
                    bar.elapsed().as_secs_f64(),
                    if result.verified { "" } else { " (FAILED)" }
                ));
                *slots[i].lock().unwrap_or_else(|e| e.into_inner()) = Some(result);
            });
        }
    });
    for (slot, name) in slots.into_iter().zip(&impls) {
        let result = slot.into_inner().unwrap_or_else(|e| e.into_inner());
        report.results.push(
            result.unwrap_or_else(|| ImplResult::failed(*name, "the measuring thread stopped")),
        );
    }

    println!();
    print!("{}", render::text_table(&report));
    if let Some(out) = &args.json {
        let json = report.to_json();
        fsutil::write_atomic(out, |w| std::io::Write::write_all(w, json.as_bytes()))?;
    }
    if let Some(out) = &args.markdown {
        let md = render::markdown_table(&report);
        fsutil::write_atomic(out, |w| std::io::Write::write_all(w, md.as_bytes()))?;
    }
    if let Some(out) = &args.svg {
        let svg = chart::bytes_per_key_svg(&report).map_err(anyhow::Error::msg)?;
        fsutil::write_atomic(out, |w| std::io::Write::write_all(w, svg.as_bytes()))?;
    }
    eprintln!("\ntotal time {:.1} s", started.elapsed().as_secs_f64());
    let failed = report.results.iter().filter(|r| !r.verified).count();
    if failed > 0 {
        bail!("{failed} implementation(s) failed");
    }
    Ok(())
}
