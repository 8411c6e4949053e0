//! The results of a run, in the JSON shape the project publishes.

use serde::{Deserialize, Serialize};

use crate::keys::KeySet;

/// The dataset a run measured.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DatasetInfo {
    /// Its name (`synthetic-urls`, `debian-paths-1m`, or the file name).
    pub name: String,
    /// The number of keys (sorted, unique).
    pub keys: u64,
    /// The total length of the keys, separators excluded.
    pub raw_key_bytes: u64,
    /// `raw_key_bytes / keys`.
    pub avg_key_len: f64,
}

impl DatasetInfo {
    /// Describes a key set.
    pub fn of(name: impl Into<String>, keys: &KeySet) -> DatasetInfo {
        let n = keys.len() as u64;
        DatasetInfo {
            name: name.into(),
            keys: n,
            raw_key_bytes: keys.raw_key_bytes(),
            avg_key_len: if n == 0 {
                0.0
            } else {
                keys.raw_key_bytes() as f64 / n as f64
            },
        }
    }
}

/// One implementation's figures. Operations it does not support, and every figure
/// of a run that failed, are `None` (`null` in JSON).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ImplResult {
    /// The implementation's registry name.
    #[serde(rename = "impl")]
    pub name: String,
    /// The number of entries the structure holds after the build.
    pub keys: Option<u64>,
    /// jemalloc's allocated bytes after the build minus before it.
    pub bytes: Option<u64>,
    /// The highest allocated figure during the build minus the one before it,
    /// sampled (see [`crate::memory::PeakSampler`]). Carried from the measuring
    /// process to the parent, but not part of the published JSON shape.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peak_bytes: Option<u64>,
    /// `bytes / keys`.
    pub bytes_per_key: Option<f64>,
    /// What the structure's own `memory_usage()` says.
    pub self_reported_bytes: Option<u64>,
    /// Keys inserted (mutable maps) or built from sorted input (static ones) per second.
    pub build_keys_per_s: Option<f64>,
    /// Lookups of present keys per second.
    pub get_hit_per_s: Option<f64>,
    /// Lookups of absent keys per second.
    pub get_miss_per_s: Option<f64>,
    /// Entries per second of a full ordered scan.
    pub scan_entries_per_s: Option<f64>,
    /// Prefix scans per second (each walks all its matches).
    pub prefix_scans_per_s: Option<f64>,
    /// Whether every answer was checked and right.
    pub verified: bool,
    /// With `--repeat`: the speeds of each measurement, in the order of the rounds
    /// they ran in (the rates above are their medians). Empty for a single one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rounds: Vec<Speeds>,
    /// Why the run failed, for the console (not part of the JSON shape).
    #[serde(skip)]
    pub failure: Option<String>,
}

impl ImplResult {
    /// A failed run: no figure at all, only the reason.
    pub fn failed(name: impl Into<String>, reason: impl Into<String>) -> ImplResult {
        ImplResult {
            name: name.into(),
            keys: None,
            bytes: None,
            peak_bytes: None,
            bytes_per_key: None,
            self_reported_bytes: None,
            build_keys_per_s: None,
            get_hit_per_s: None,
            get_miss_per_s: None,
            scan_entries_per_s: None,
            prefix_scans_per_s: None,
            verified: false,
            rounds: Vec::new(),
            failure: Some(reason.into()),
        }
    }

    /// The rates of this result.
    pub fn speeds(&self) -> Speeds {
        Speeds {
            build_keys_per_s: self.build_keys_per_s,
            get_hit_per_s: self.get_hit_per_s,
            get_miss_per_s: self.get_miss_per_s,
            scan_entries_per_s: self.scan_entries_per_s,
            prefix_scans_per_s: self.prefix_scans_per_s,
        }
    }
}

/// The rates of one measurement: the figures that vary from one process to the
/// next (memory figures repeat to the byte). `None` where the operation is not
/// supported.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Speeds {
    /// See [`ImplResult::build_keys_per_s`].
    pub build_keys_per_s: Option<f64>,
    /// See [`ImplResult::get_hit_per_s`].
    pub get_hit_per_s: Option<f64>,
    /// See [`ImplResult::get_miss_per_s`].
    pub get_miss_per_s: Option<f64>,
    /// See [`ImplResult::scan_entries_per_s`].
    pub scan_entries_per_s: Option<f64>,
    /// See [`ImplResult::prefix_scans_per_s`].
    pub prefix_scans_per_s: Option<f64>,
}

impl Speeds {
    /// The column names of the rates, in table order.
    pub const NAMES: [&'static str; 5] = ["build/insert", "get", "miss", "scan", "prefix"];

    /// The rates in table order (see [`Speeds::NAMES`]).
    pub fn in_order(&self) -> [Option<f64>; 5] {
        [
            self.build_keys_per_s,
            self.get_hit_per_s,
            self.get_miss_per_s,
            self.scan_entries_per_s,
            self.prefix_scans_per_s,
        ]
    }
}

/// The median of the present figures (the upper middle one of an even count), or
/// `None` when none is present.
fn median<T: Copy + PartialOrd>(figures: impl Iterator<Item = Option<T>>) -> Option<T> {
    let mut present: Vec<T> = figures.flatten().collect();
    present.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    present.get(present.len() / 2).copied()
}

impl ImplResult {
    /// One result from several measurements of the same implementation (`--repeat`),
    /// given in the order they ran: each figure is the median of the measurements,
    /// the peak the highest, and [`ImplResult::rounds`] keeps every measurement's
    /// speeds. A failed measurement fails the whole result, with its reason.
    pub fn combine(runs: Vec<ImplResult>) -> ImplResult {
        if let Some(failed) = runs.iter().find(|r| !r.verified) {
            return failed.clone();
        }
        let Some(first) = runs.first() else {
            return ImplResult::failed("", "no measurement ran");
        };
        let m = |f: fn(&ImplResult) -> Option<f64>| median(runs.iter().map(f));
        ImplResult {
            name: first.name.clone(),
            keys: median(runs.iter().map(|r| r.keys)),
            bytes: median(runs.iter().map(|r| r.bytes)),
            peak_bytes: runs.iter().filter_map(|r| r.peak_bytes).max(),
            bytes_per_key: m(|r| r.bytes_per_key),
            self_reported_bytes: median(runs.iter().map(|r| r.self_reported_bytes)),
            build_keys_per_s: m(|r| r.build_keys_per_s),
            get_hit_per_s: m(|r| r.get_hit_per_s),
            get_miss_per_s: m(|r| r.get_miss_per_s),
            scan_entries_per_s: m(|r| r.scan_entries_per_s),
            prefix_scans_per_s: m(|r| r.prefix_scans_per_s),
            verified: true,
            rounds: if runs.len() > 1 {
                runs.iter().map(ImplResult::speeds).collect()
            } else {
                Vec::new()
            },
            failure: None,
        }
    }
}

/// A whole run: the dataset and one result per implementation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// The dataset.
    pub dataset: DatasetInfo,
    /// The results, in registry order.
    pub results: Vec<ImplResult>,
}

impl Report {
    /// The result of the `BTreeMap` baseline, when it ran and passed.
    pub fn baseline(&self) -> Option<&ImplResult> {
        self.results
            .iter()
            .find(|r| r.name == crate::registry::BASELINE && r.verified)
    }

    /// The JSON text (pretty-printed), in the published shape (without the
    /// build peaks).
    pub fn to_json(&self) -> String {
        let mut published = self.clone();
        for r in &mut published.results {
            r.peak_bytes = None;
        }
        serde_json::to_string_pretty(&published).expect("a report always serializes")
    }

    /// One line per structure whose memory during the build rose above its final
    /// figure by more than 5%: the peak in bytes/key and against the baseline's final
    /// bytes/key. Stores that compact in the background are judged by this peak.
    pub fn peak_lines(&self) -> Vec<String> {
        let baseline = self.baseline().and_then(|b| b.bytes_per_key);
        self.results
            .iter()
            .filter_map(|r| {
                let (peak, bytes, keys) = (r.peak_bytes?, r.bytes?, r.keys?);
                if keys == 0 || (peak as f64) <= bytes as f64 * 1.05 {
                    return None;
                }
                let per_key = peak as f64 / keys as f64;
                let vs = baseline
                    .map(|b| format!(" ({:.2}x {} final)", per_key / b, crate::registry::BASELINE))
                    .unwrap_or_default();
                Some(format!(
                    "  {}: peak during the build {per_key:.1} bytes/key{vs}, {:.1} once built",
                    r.name,
                    bytes as f64 / keys as f64
                ))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_measurements_combine_into_medians_and_the_highest_peak() {
        let run = |get: f64, peak: u64| {
            let mut r = ImplResult::failed("X", "");
            r.verified = true;
            r.failure = None;
            r.bytes = Some(100);
            r.get_hit_per_s = Some(get);
            r.peak_bytes = Some(peak);
            r
        };
        let c = ImplResult::combine(vec![run(5.0, 1), run(1.0, 3), run(3.0, 2)]);
        assert_eq!(
            (c.get_hit_per_s, c.bytes, c.peak_bytes),
            (Some(3.0), Some(100), Some(3))
        );
        assert!(c.verified && c.scan_entries_per_s.is_none());
        let gets: Vec<_> = c.rounds.iter().map(|s| s.get_hit_per_s).collect();
        assert_eq!(
            gets,
            [Some(5.0), Some(1.0), Some(3.0)],
            "in the order they ran"
        );
        assert!(ImplResult::combine(vec![run(5.0, 1)]).rounds.is_empty());
        let c = ImplResult::combine(vec![run(5.0, 1), ImplResult::failed("X", "wrong")]);
        assert!(!c.verified && c.failure.as_deref() == Some("wrong"));
        assert!(!ImplResult::combine(Vec::new()).verified);
    }
}
