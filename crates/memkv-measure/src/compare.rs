//! The whole comparison, parent side: every selected implementation on one dataset,
//! each measured in its own child process ([`crate::child`]), with progress; then the
//! table, the self-reported cross-check and the build peaks on the console, and JSON,
//! Markdown and SVG files on request.
//!
//! `cargo xtask bench-memory` and the `compare_all` example of the `memkv` crate are
//! both thin callers of [`run`]: they differ only in how the child is launched
//! ([`ChildCommand`]): xtask builds the `memkv-measure` binary, the example
//! re-executes itself with a marker argument.

use std::ffi::OsString;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};

use crate::dataset;
use crate::report::{DatasetInfo, ImplResult, Report};
use crate::{chart, files, registry, render};

/// The options of the comparison (`cargo xtask bench-memory`, `compare_all`).
#[derive(Debug, Clone, clap::Parser)]
#[command(about = "Measures memory (jemalloc) and speed of every map, one child process each")]
pub struct Args {
    /// A named dataset: `synthetic-urls` (1M generated URLs), `urls` (after `dataset
    /// fetch urls`), or a file name of `../shared/datasets` such as `debian-paths-1m`.
    #[arg(long, default_value = dataset::SYNTHETIC_URLS, conflicts_with = "file")]
    pub dataset: String,
    /// Any newline-separated key file instead (`.zst` read transparently; unsorted
    /// input is sorted and de-duplicated).
    #[arg(long)]
    pub file: Option<PathBuf>,
    /// Measure a uniform deterministic sample of this many keys.
    #[arg(long, value_parser = dataset::parse_count)]
    pub limit: Option<u64>,
    /// Comma-separated implementation names (default: all).
    #[arg(long, value_delimiter = ',')]
    pub impls: Vec<String>,
    /// Write the results as JSON here.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Write the Markdown table here.
    #[arg(long)]
    pub markdown: Option<PathBuf>,
    /// Write the bar chart of bytes/key here (SVG).
    #[arg(long)]
    pub svg: Option<PathBuf>,
    /// How many measuring processes run at once (default: 2, or 1 on a one-core
    /// machine). Memory figures do not depend on it. Each child runs on its own core,
    /// but concurrent children share the last-level cache and memory bandwidth, so
    /// `--jobs 1` gives the steadiest speeds at twice the wall time. A structure
    /// that works on a background thread (`MemKV`, `HybridStore`) takes two of
    /// these cores, so with `--jobs 2` it runs alone.
    #[arg(long, default_value_t = default_jobs(), value_parser = clap::value_parser!(u32).range(1..=64))]
    pub jobs: u32,
    /// Measure each implementation this many times, each in a fresh process, and
    /// report the median of every figure. Speeds of one process on a shared machine
    /// vary by tens of percent from one process to the next; the median of 3 or 5
    /// tells a real difference from that noise. Memory figures repeat exactly.
    /// Every round's speeds are listed after the table.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=99))]
    pub repeat: u32,
}

/// Two children at once where there are two cores to run them: the full comparison
/// (11 implementations on 1M keys) then takes about 2 minutes instead of 4. More
/// would leave children waiting for a core, which distorts speeds.
fn default_jobs() -> u32 {
    match std::thread::available_parallelism() {
        Ok(n) if n.get() >= 2 => 2,
        _ => 1,
    }
}

impl Args {
    /// Parses the process's command line (exits with clap's message on a bad one).
    pub fn from_env() -> Args {
        <Args as clap::Parser>::parse()
    }

    /// Parses the given command line (its first item is the program name).
    pub fn try_parse_from<I, T>(args: I) -> Result<Args, String>
    where
        I: IntoIterator<Item = T>,
        T: Into<OsString> + Clone,
    {
        <Args as clap::Parser>::try_parse_from(args).map_err(|e| e.to_string())
    }

    /// The dataset's display name: the named dataset, or the file name without
    /// `.txt` and `.zst`.
    pub fn dataset_name(&self) -> String {
        match &self.file {
            None => self.dataset.clone(),
            Some(path) => {
                let name = path.file_name().unwrap_or_default().to_string_lossy();
                let name = name.strip_suffix(".zst").unwrap_or(&name);
                name.strip_suffix(".txt").unwrap_or(name).to_owned()
            }
        }
    }

    /// The implementations to measure, in registry order when none was named; an
    /// unknown name is an error listing the known ones.
    pub fn selected_impls(&self) -> Result<Vec<&'static str>, String> {
        if self.impls.is_empty() {
            return Ok(registry::names().collect());
        }
        self.impls
            .iter()
            .map(|name| {
                registry::find(name.trim()).map(|i| i.name).ok_or_else(|| {
                    let known: Vec<_> = registry::names().collect();
                    format!(
                        "unknown implementation {name:?}; known: {}",
                        known.join(", ")
                    )
                })
            })
            .collect()
    }
}

/// How to start a measuring child: a program whose global allocator is jemalloc and
/// the arguments that put it in the child role. `--file KEYS --impl NAME` follow.
#[derive(Debug, Clone)]
pub struct ChildCommand {
    /// The executable.
    pub program: PathBuf,
    /// Arguments before the child's own (a role marker, for a binary that is also
    /// the parent).
    pub leading_args: Vec<OsString>,
}

impl ChildCommand {
    /// A program that is only a child (no leading argument).
    pub fn new(program: impl Into<PathBuf>) -> ChildCommand {
        ChildCommand {
            program: program.into(),
            leading_args: Vec::new(),
        }
    }

    /// Adds a leading argument.
    pub fn leading_arg(mut self, arg: impl Into<OsString>) -> ChildCommand {
        self.leading_args.push(arg.into());
        self
    }

    /// Measures `name` on the key file in a fresh process, handing each phase's name
    /// to `on_phase`. A child that cannot start, crashes or prints no result gives a
    /// failed result.
    pub fn measure(&self, file: &Path, name: &str, on_phase: &mut dyn FnMut(&str)) -> ImplResult {
        match self.try_measure(file, name, on_phase) {
            Ok(r) => r,
            Err(e) => ImplResult::failed(name, e),
        }
    }

    fn try_measure(
        &self,
        file: &Path,
        name: &str,
        on_phase: &mut dyn FnMut(&str),
    ) -> Result<ImplResult, String> {
        let mut child = Command::new(&self.program)
            .args(&self.leading_args)
            .arg("--file")
            .arg(file)
            .args(["--impl", name])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("launching {}: {e}", self.program.display()))?;
        let stdout = child
            .stdout
            .take()
            .ok_or("the child has no standard output")?;
        let mut output = ChildOutput::default();
        let mut read_error = None;
        for line in BufReader::new(stdout).lines() {
            match line {
                Ok(line) => {
                    if let Some(phase) = output.line(&line) {
                        on_phase(phase);
                    }
                }
                Err(e) => {
                    read_error = Some(format!("reading the child's output: {e}"));
                    break;
                }
            }
        }
        let status = child
            .wait()
            .map_err(|e| format!("waiting for the child: {e}"))?;
        if let Some(e) = read_error {
            return Err(e);
        }
        output.finish(status.success(), &status.to_string())
    }
}

/// What a child printed, line by line (the protocol of [`crate::child`]).
#[derive(Debug, Default)]
pub struct ChildOutput {
    result: Option<Result<ImplResult, String>>,
    peak: Option<u64>,
    failure: Option<String>,
}

impl ChildOutput {
    /// Takes one line; returns the phase name when the line announces one. Lines
    /// outside the protocol are ignored.
    pub fn line<'l>(&mut self, line: &'l str) -> Option<&'l str> {
        if let Some(phase) = line.strip_prefix("PHASE ") {
            return Some(phase);
        }
        if let Some(json) = line.strip_prefix("RESULT ") {
            self.result = Some(
                serde_json::from_str(json).map_err(|e| format!("parsing the child's result: {e}")),
            );
        } else if let Some(peak) = line.strip_prefix("PEAK ") {
            self.peak = peak.trim().parse().ok();
        } else if let Some(reason) = line.strip_prefix("FAILURE ") {
            self.failure = Some(reason.to_owned());
        }
        None
    }

    /// The result, once the child has ended (`exited_ok`; `status` describes how).
    pub fn finish(self, exited_ok: bool, status: &str) -> Result<ImplResult, String> {
        match self.result {
            Some(Ok(mut r)) if exited_ok => {
                r.failure = self.failure;
                r.peak_bytes = r.peak_bytes.or(self.peak);
                Ok(r)
            }
            Some(Err(e)) => Err(e),
            _ => Err(format!(
                "the measuring process ended with {status} before printing a result"
            )),
        }
    }
}

/// A file removed when dropped: the normalized key file handed to the children.
struct TempFile(PathBuf);

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// The console text after the measurements: the table with the self-reported
/// sizes and any failure, then the structures whose memory peaked during the build.
pub fn console_text(report: &Report) -> String {
    let mut out = render::text_table(report);
    let peaks = report.peak_lines();
    if !peaks.is_empty() {
        out.push_str("\npeak during the build (above the final figure by more than 5%):\n");
        for line in peaks {
            out.push_str(&line);
            out.push('\n');
        }
    }
    out
}

/// Runs the comparison: resolves and loads the dataset, calls `prepare_child` for
/// the way to launch children, measures every selected implementation in its own
/// child (`args.jobs` at a time), prints the results and writes the requested files.
/// Fails when the dataset cannot be loaded or any implementation failed (the table
/// still prints, with `FAILED` and the reason).
pub fn run(
    args: &Args,
    prepare_child: impl FnOnce() -> Result<ChildCommand, String>,
) -> Result<Report, String> {
    let started = Instant::now();
    let impls = args.selected_impls()?;
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
        return Err(format!("{} holds no key", path.display()));
    }
    let info = DatasetInfo::of(args.dataset_name(), &loaded.keys);
    // The children must measure exactly these keys: when loading changed anything
    // (sorting, de-duplication, sampling), hand them the normalized set.
    let normalized = if loaded.notes.is_empty() {
        None
    } else {
        let tmp = std::env::temp_dir().join(format!("memkv-bench-{}.txt", std::process::id()));
        files::write_atomic(&tmp, |out| loaded.keys.write_lines(out)).map_err(|e| e.to_string())?;
        Some(TempFile(tmp))
    };
    drop(loaded);
    let child_file: &Path = normalized.as_ref().map_or(&path, |t| &t.0);

    let child = prepare_child()?;
    let repeat = if args.repeat > 1 {
        format!(", {} times each (--repeat: medians reported)", args.repeat)
    } else {
        String::new()
    };
    eprintln!(
        "measuring {} implementation(s), {} at a time (--jobs), each in its own process{repeat}",
        impls.len(),
        args.jobs.min(impls.len() as u32 * args.repeat).max(1)
    );
    let report = Report {
        dataset: info,
        results: measure_all(&child, child_file, &impls, args.jobs, args.repeat),
    };

    println!();
    print!("{}", console_text(&report));
    if let Some(out) = &args.json {
        write_text(out, &report.to_json())?;
    }
    if let Some(out) = &args.markdown {
        write_text(out, &render::markdown_table(&report))?;
    }
    if let Some(out) = &args.svg {
        write_text(out, &chart::bytes_per_key_svg(&report)?)?;
    }
    eprintln!("\ntotal time {:.1} s", started.elapsed().as_secs_f64());
    let failed = report.results.iter().filter(|r| !r.verified).count();
    if failed > 0 {
        return Err(format!("{failed} implementation(s) failed"));
    }
    Ok(report)
}

fn write_text(path: &Path, text: &str) -> Result<(), String> {
    files::write_atomic(path, |w| std::io::Write::write_all(w, text.as_bytes()))
        .map_err(|e| e.to_string())
}

/// The order in which to start the measurements, as indices into `impls`: `repeat`
/// rounds, each measuring every implementation once, heaviest first (longest
/// processing time first, so that with several lanes none is left with a long run
/// at the end while the others idle). Rounds, rather than each implementation's
/// repeats back to back, spread any drift of the machine's speed over all of them.
fn start_order(impls: &[&str], repeat: u32) -> Vec<usize> {
    let cost = |name: &str| registry::find(name).map_or(0, |i| i.relative_cost);
    let mut round: Vec<usize> = (0..impls.len()).collect();
    round.sort_by_key(|&i| std::cmp::Reverse(cost(impls[i])));
    std::iter::repeat_n(round, repeat as usize)
        .flatten()
        .collect()
}

/// Measures each implementation `repeat` times, each in its own child, `jobs` at a
/// time, with a spinner per running child; the results (medians of the repeats)
/// come back in the order of `impls`.
fn measure_all(
    child: &ChildCommand,
    file: &Path,
    impls: &[&str],
    jobs: u32,
    repeat: u32,
) -> Vec<ImplResult> {
    let bars = MultiProgress::new();
    let order = start_order(impls, repeat.max(1));
    let next = AtomicUsize::new(0);
    // Each result with its ticket, so that the repeats combine in the order of
    // their rounds even when a later round finished first.
    let slots: Vec<Mutex<Vec<(usize, ImplResult)>>> =
        impls.iter().map(|_| Mutex::new(Vec::new())).collect();
    let measure_one = |name: &str| {
        let bar = bars.add(ProgressBar::new_spinner());
        bar.set_style(
            ProgressStyle::with_template("{spinner} {msg} ({elapsed})").expect("valid template"),
        );
        bar.enable_steady_tick(Duration::from_millis(120));
        bar.set_message(format!("{name}: loading"));
        let result = child.measure(file, name, &mut |phase| {
            bar.set_message(format!("{name}: {phase}"))
        });
        bar.finish_and_clear();
        let line = format!(
            "measured {name} in {:.1} s{}",
            bar.elapsed().as_secs_f64(),
            if result.verified { "" } else { " (FAILED)" }
        );
        // Without a terminal the bars are hidden: the log still shows progress.
        if bars.is_hidden() {
            eprintln!("{line}");
        } else {
            let _ = bars.println(line);
        }
        result
    };
    let cores = Cores::new(jobs);
    std::thread::scope(|scope| {
        for _ in 0..(jobs as usize).clamp(1, order.len().max(1)) {
            scope.spawn(|| loop {
                let ticket = next.fetch_add(1, Ordering::Relaxed);
                let Some(&i) = order.get(ticket) else {
                    break;
                };
                let threads = registry::find(impls[i]).map_or(1, |imp| imp.threads);
                let _held = cores.take(ticket, threads);
                let result = measure_one(impls[i]);
                slots[i]
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push((ticket, result));
            });
        }
    });
    slots
        .into_iter()
        .zip(impls)
        .map(|(slot, name)| {
            let mut runs = slot.into_inner().unwrap_or_else(|e| e.into_inner());
            runs.sort_by_key(|&(ticket, _)| ticket);
            if runs.is_empty() {
                ImplResult::failed(*name, "the measuring thread stopped")
            } else {
                ImplResult::combine(runs.into_iter().map(|(_, r)| r).collect())
            }
        })
        .collect()
}

/// The cores the children may use (`--jobs` of them), handed out in start order.
///
/// A child takes as many as its implementation keeps busy
/// ([`registry::Implementation::threads`], at most all of them) and waits until
/// they are free. Children start strictly in ticket order, so one that needs
/// every core is not overtaken again and again by children that need one.
struct Cores {
    total: u32,
    state: Mutex<CoreState>,
    changed: Condvar,
}

struct CoreState {
    free: u32,
    /// The ticket (position in the start order) of the next child to start.
    next: usize,
}

/// Cores taken by one child, given back when dropped.
struct HeldCores<'a> {
    cores: &'a Cores,
    count: u32,
}

impl Cores {
    fn new(total: u32) -> Cores {
        let total = total.max(1);
        Cores {
            total,
            state: Mutex::new(CoreState {
                free: total,
                next: 0,
            }),
            changed: Condvar::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, CoreState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits until every child before `ticket` has started and `wanted` cores
    /// (at least one, at most all) are free, then takes them.
    fn take(&self, ticket: usize, wanted: u32) -> HeldCores<'_> {
        let count = wanted.clamp(1, self.total);
        let mut state = self.lock();
        while state.next != ticket || state.free < count {
            state = self.changed.wait(state).unwrap_or_else(|e| e.into_inner());
        }
        state.free -= count;
        state.next += 1;
        self.changed.notify_all();
        HeldCores { cores: self, count }
    }
}

impl Drop for HeldCores<'_> {
    fn drop(&mut self) {
        self.cores.lock().free += self.count;
        self.cores.changed.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(extra: &[&str]) -> Args {
        Args::try_parse_from(std::iter::once("compare").chain(extra.iter().copied())).unwrap()
    }

    #[test]
    fn the_heaviest_measurements_start_first() {
        let impls = ["HashMap", "BTreeMap", "HybridStore", "ArenaArt", "MemKV"];
        let started: Vec<&str> = start_order(&impls, 1).iter().map(|&i| impls[i]).collect();
        assert_eq!(started[..2], ["HybridStore", "MemKV"]);
        assert_eq!(started.last(), Some(&"HashMap"));
        let mut sorted = started.clone();
        sorted.sort_unstable();
        assert_eq!(
            sorted,
            ["ArenaArt", "BTreeMap", "HashMap", "HybridStore", "MemKV"]
        );
        let twice: Vec<&str> = start_order(&impls, 2).iter().map(|&i| impls[i]).collect();
        assert_eq!(twice[..5], started[..]);
        assert_eq!(twice[5..], started[..]);
    }

    #[test]
    fn the_command_line_parses_with_the_defaults_of_bench_memory() {
        use clap::CommandFactory;
        Args::command().debug_assert();
        let a = args(&[]);
        assert_eq!(a.dataset, dataset::SYNTHETIC_URLS);
        assert_eq!(
            (a.limit, a.jobs, a.file.as_ref()),
            (None, default_jobs(), None)
        );
        let a = args(&[
            "--limit",
            "20K",
            "--impls",
            "BTreeMap,FrozenLayer",
            "--jobs",
            "2",
        ]);
        assert_eq!(a.limit, Some(20_000));
        assert_eq!(a.selected_impls().unwrap(), ["BTreeMap", "FrozenLayer"]);
        assert!(Args::try_parse_from(["c", "--dataset", "x", "--file", "y"]).is_err());
        assert!(Args::try_parse_from(["c", "--jobs", "0"]).is_err());
        let err = args(&["--impls", "NoSuchMap"])
            .selected_impls()
            .unwrap_err();
        assert!(err.contains("BTreeMap"), "{err}");
        assert_eq!(
            args(&[]).selected_impls().unwrap(),
            registry::names().collect::<Vec<_>>()
        );
    }

    /// Children that need both cores run alone, the others two at a time, and
    /// all start in ticket order.
    #[test]
    fn a_child_that_needs_every_core_runs_alone() {
        let needs = [2, 1, 1, 2, 1, 3, 1, 1];
        let cores = Cores::new(2);
        let next = AtomicUsize::new(0);
        // (cores in use, most ever in use, whether a wide child ever had company)
        let busy = Mutex::new((0u32, 0u32, false));
        let started = Mutex::new(Vec::new());
        std::thread::scope(|scope| {
            for _ in 0..2 {
                scope.spawn(|| loop {
                    let ticket = next.fetch_add(1, Ordering::Relaxed);
                    let Some(&need) = needs.get(ticket) else {
                        break;
                    };
                    // What the child keeps busy: all the cores there are, at most.
                    let uses = need.min(2);
                    let _held = cores.take(ticket, need);
                    started.lock().unwrap().push(ticket);
                    {
                        let mut b = busy.lock().unwrap();
                        b.0 += uses;
                        b.1 = b.1.max(b.0);
                        b.2 |= uses == 2 && b.0 > 2;
                    }
                    std::thread::sleep(Duration::from_millis(5));
                    busy.lock().unwrap().0 -= uses;
                });
            }
        });
        let (in_use, most, shared) = *busy.lock().unwrap();
        assert_eq!(in_use, 0);
        assert_eq!(most, 2, "never more cores busy than --jobs");
        assert!(!shared, "a two-core child never ran beside another");
        assert_eq!(
            *started.lock().unwrap(),
            (0..needs.len()).collect::<Vec<_>>()
        );
    }

    #[test]
    fn dataset_names_drop_the_file_extensions() {
        assert_eq!(args(&[]).dataset_name(), "synthetic-urls");
        assert_eq!(
            args(&["--file", "/x/debian-paths-1m.txt.zst"]).dataset_name(),
            "debian-paths-1m"
        );
        assert_eq!(args(&["--file", "keys"]).dataset_name(), "keys");
    }

    fn sample() -> ImplResult {
        let mut r = ImplResult::failed("BTreeMap", "x");
        r.failure = None;
        r.verified = true;
        r.keys = Some(10);
        r.bytes = Some(1000);
        r.bytes_per_key = Some(100.0);
        r
    }

    #[test]
    fn the_child_protocol_round_trips() {
        let mut with_peak = sample();
        with_peak.peak_bytes = Some(3000);
        let mut failed = ImplResult::failed("HashMap", "wrong answer to get");
        failed.peak_bytes = None;
        for r in [sample(), with_peak, failed] {
            let mut printed = Vec::new();
            crate::child::write_result(&mut printed, &r).unwrap();
            let mut output = ChildOutput::default();
            assert_eq!(output.line("PHASE build"), Some("build"));
            for line in String::from_utf8(printed).unwrap().lines() {
                assert_eq!(output.line(line), None);
            }
            assert_eq!(output.finish(true, "exit status: 0").unwrap(), r);
        }
    }

    #[test]
    fn a_peak_line_fills_a_result_without_one_and_bad_children_fail() {
        let json = serde_json::to_string(&sample()).unwrap();
        let mut output = ChildOutput::default();
        output.line("PEAK 5000");
        output.line("some stray line");
        output.line(&format!("RESULT {json}"));
        assert_eq!(output.finish(true, "").unwrap().peak_bytes, Some(5000));

        let mut output = ChildOutput::default();
        output.line(&format!("RESULT {json}"));
        let err = output.finish(false, "signal: 9 (SIGKILL)").unwrap_err();
        assert!(err.contains("SIGKILL"), "{err}");
        assert!(ChildOutput::default()
            .finish(true, "exit status: 0")
            .is_err());
        let mut output = ChildOutput::default();
        output.line("RESULT {not json");
        assert!(output.finish(true, "").unwrap_err().contains("parsing"));
    }

    #[test]
    fn a_child_that_cannot_start_is_a_failed_result() {
        let child = ChildCommand::new("/nonexistent/memkv-measure-child").leading_arg("--child");
        let r = child.measure(Path::new("keys.txt"), "BTreeMap", &mut |_| {});
        assert!(!r.verified);
        assert!(r
            .failure
            .unwrap()
            .contains("/nonexistent/memkv-measure-child"));
    }

    #[test]
    fn the_console_text_adds_the_build_peaks() {
        let mut report = Report {
            dataset: DatasetInfo {
                name: "t".into(),
                keys: 10,
                raw_key_bytes: 100,
                avg_key_len: 10.0,
            },
            results: vec![sample()],
        };
        assert_eq!(console_text(&report), render::text_table(&report));
        report.results[0].peak_bytes = Some(5000);
        let text = console_text(&report);
        assert!(text.starts_with(&render::text_table(&report)));
        assert!(text.contains("peak during the build"), "{text}");
    }
}
