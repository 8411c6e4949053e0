//! The tables a run prints: aligned plain text for the console, and Markdown for
//! the docs. Both show the same cells.

use std::fmt::Write;

use crate::report::{ImplResult, Report, Speeds};

/// The column headers, in order.
pub const HEADERS: [&str; 10] = [
    "Implementation",
    "Memory",
    "Bytes/Key",
    "vs BTreeMap",
    "vs raw keys",
    "build/insert keys/s",
    "get keys/s",
    "miss keys/s",
    "scan entries/s",
    "prefix scans/s",
];

/// A byte count in binary units (`115.3 MiB`).
pub fn fmt_bytes(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

/// A rate with a metric suffix (`1.23 M`, `456.7 K`, `12`); `n/a` when the
/// operation is not supported.
pub fn fmt_rate(rate: Option<f64>) -> String {
    match rate {
        None => "n/a".to_owned(),
        Some(r) if r >= 1e9 => format!("{:.2} G", r / 1e9),
        Some(r) if r >= 1e6 => format!("{:.2} M", r / 1e6),
        Some(r) if r >= 1e3 => format!("{:.1} K", r / 1e3),
        Some(r) => format!("{r:.0}"),
    }
}

/// The cells of one row.
fn row(r: &ImplResult, report: &Report) -> Vec<String> {
    let (Some(bytes), Some(per_key), true) = (r.bytes, r.bytes_per_key, r.verified) else {
        let mut cells = vec![r.name.clone(), "FAILED".to_owned()];
        cells.resize(HEADERS.len(), "-".to_owned());
        return cells;
    };
    let vs_baseline = match report.baseline().and_then(|b| b.bytes) {
        Some(_) if r.name == crate::registry::BASELINE => "baseline".to_owned(),
        Some(base) if base > 0 => {
            format!("{:+.0}%", (bytes as f64 / base as f64 - 1.0) * 100.0)
        }
        _ => "-".to_owned(),
    };
    let raw = report.dataset.raw_key_bytes;
    let vs_raw = if raw == 0 {
        "-".to_owned()
    } else {
        format!("{:.2}x", bytes as f64 / raw as f64)
    };
    vec![
        r.name.clone(),
        fmt_bytes(bytes),
        format!("{per_key:.1}"),
        vs_baseline,
        vs_raw,
        fmt_rate(r.build_keys_per_s),
        fmt_rate(r.get_hit_per_s),
        fmt_rate(r.get_miss_per_s),
        fmt_rate(r.scan_entries_per_s),
        fmt_rate(r.prefix_scans_per_s),
    ]
}

/// The dataset line printed above the table.
pub fn dataset_line(report: &Report) -> String {
    let d = &report.dataset;
    format!(
        "Dataset {}: {} keys, {:.1} bytes/key on average, {} of raw keys",
        d.name,
        d.keys,
        d.avg_key_len,
        fmt_bytes(d.raw_key_bytes)
    )
}

/// The reasons of failed runs, one line each.
fn failures(report: &Report) -> Vec<String> {
    report
        .results
        .iter()
        .filter(|r| !r.verified)
        .map(|r| {
            format!(
                "{} FAILED: {}",
                r.name,
                r.failure.as_deref().unwrap_or("wrong results")
            )
        })
        .collect()
}

/// One line per structure that reports its own size: what `memory_usage()` says
/// next to the jemalloc figure, so an estimate that drifts shows up in every run.
fn cross_checks(report: &Report) -> Vec<String> {
    report
        .results
        .iter()
        .filter(|r| r.verified)
        .filter_map(|r| {
            let (own, measured) = (r.self_reported_bytes?, r.bytes?);
            let diff = if measured == 0 {
                String::new()
            } else {
                format!(
                    " ({:+.1}% vs measured)",
                    (own as f64 / measured as f64 - 1.0) * 100.0
                )
            };
            Some(format!(
                "{}: memory_usage() = {} bytes, jemalloc = {} bytes{diff}",
                r.name, own, measured
            ))
        })
        .collect()
}

/// With `--repeat`, how steady the speeds were: the heading, then the baseline's
/// rates in each round and, for every other implementation, its rates over the
/// baseline's in the same round, as `(name, figures)` pairs. Ratios per round,
/// rather than the medians' ratio alone, show whether a lead holds in every round
/// or only on average. `None` for a single measurement.
fn rounds(report: &Report) -> Option<(String, Vec<(String, String)>)> {
    let base = report.baseline()?;
    let n = base.rounds.len();
    if n < 2 {
        return None;
    }
    let figures = |r: &ImplResult, cell: &dyn Fn(f64, Option<f64>) -> String| {
        let columns: Vec<String> = (0..Speeds::NAMES.len())
            .filter_map(|c| {
                let cells: Vec<String> = r
                    .rounds
                    .iter()
                    .zip(&base.rounds)
                    .map(|(mine, theirs)| Some(cell(mine.in_order()[c]?, theirs.in_order()[c])))
                    .collect::<Option<_>>()?;
                Some(format!("{} {}", Speeds::NAMES[c], cells.join(" ")))
            })
            .collect();
        columns.join(", ")
    };
    let mut lines = vec![(
        base.name.clone(),
        figures(base, &|rate, _| fmt_rate(Some(rate)).replace(' ', "")),
    )];
    for r in &report.results {
        if r.name == base.name || !r.verified || r.rounds.len() != n {
            continue;
        }
        let ratio = |rate: f64, base: Option<f64>| match base {
            Some(b) if b > 0.0 => format!("{:.2}", rate / b),
            _ => "-".to_owned(),
        };
        lines.push((r.name.clone(), figures(r, &ratio)));
    }
    let heading = format!(
        "speeds in each of the {n} rounds ({} in keys/s, the others as a multiple of \
         {}'s in the same round; the table gives the medians):",
        base.name, base.name
    );
    Some((heading, lines))
}

/// The console table: the dataset line, aligned columns (names left, figures
/// right), then the reasons of any failed run.
pub fn text_table(report: &Report) -> String {
    let rows: Vec<Vec<String>> = report.results.iter().map(|r| row(r, report)).collect();
    let widths: Vec<usize> = (0..HEADERS.len())
        .map(|c| {
            rows.iter()
                .map(|r| r[c].chars().count())
                .chain([HEADERS[c].len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: &[String]| {
        let mut s = String::new();
        for (c, cell) in cells.iter().enumerate() {
            if c > 0 {
                s.push_str("  ");
            }
            if c == 0 {
                let _ = write!(s, "{cell:<w$}", w = widths[c]);
            } else {
                let _ = write!(s, "{cell:>w$}", w = widths[c]);
            }
        }
        s.trim_end().to_owned()
    };
    let mut out = dataset_line(report);
    out.push_str("\n\n");
    let headers: Vec<String> = HEADERS.iter().map(|h| h.to_string()).collect();
    out.push_str(&line(&headers));
    out.push('\n');
    let rule: Vec<String> = widths.iter().map(|&w| "-".repeat(w)).collect();
    out.push_str(&line(&rule));
    out.push('\n');
    for r in &rows {
        out.push_str(&line(r));
        out.push('\n');
    }
    if let Some((heading, lines)) = rounds(report) {
        let width = lines.iter().map(|(name, _)| name.len()).max().unwrap_or(0);
        out.push_str(&format!("\n{heading}\n"));
        for (name, figures) in lines {
            out.push_str(&format!("  {name:<width$}  {figures}\n"));
        }
    }
    let checks = cross_checks(report);
    if !checks.is_empty() {
        out.push_str("\nself-reported sizes:\n");
        for c in checks {
            out.push_str(&format!("  {c}\n"));
        }
    }
    let failures = failures(report);
    if !failures.is_empty() {
        out.push('\n');
        for f in failures {
            out.push_str(&f);
            out.push('\n');
        }
    }
    out
}

/// The Markdown table, with the dataset line above it.
pub fn markdown_table(report: &Report) -> String {
    let mut out = format!("{}\n\n", dataset_line(report));
    out.push_str(&format!("| {} |\n", HEADERS.join(" | ")));
    let align: Vec<&str> = (0..HEADERS.len())
        .map(|c| if c == 0 { "---" } else { "---:" })
        .collect();
    out.push_str(&format!("| {} |\n", align.join(" | ")));
    for r in &report.results {
        out.push_str(&format!("| {} |\n", row(r, report).join(" | ")));
    }
    if let Some((heading, lines)) = rounds(report) {
        let mut heading = heading;
        heading[..1].make_ascii_uppercase();
        out.push_str(&format!("\n{heading}\n\n"));
        for (name, figures) in lines {
            out.push_str(&format!("- {name}: {figures}\n"));
        }
    }
    let checks = cross_checks(report);
    if !checks.is_empty() {
        out.push_str("\nSelf-reported sizes:\n\n");
        for c in checks {
            out.push_str(&format!("- {c}\n"));
        }
    }
    let failures = failures(report);
    if !failures.is_empty() {
        out.push('\n');
        for f in failures {
            out.push_str(&format!("- {f}\n"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units() {
        assert_eq!(fmt_bytes(512), "512 B");
        assert_eq!(fmt_bytes(1536), "1.5 KiB");
        assert_eq!(fmt_bytes(124 << 20), "124.0 MiB");
        assert_eq!(fmt_rate(Some(1_234_567.0)), "1.23 M");
        assert_eq!(fmt_rate(Some(45_600.0)), "45.6 K");
        assert_eq!(fmt_rate(Some(12.3)), "12");
        assert_eq!(fmt_rate(None), "n/a");
    }
}
