//! The table, Markdown, JSON and SVG renderings of a fixed result set.

use memkv_measure::report::{DatasetInfo, ImplResult, Report};
use memkv_measure::{chart, render};

fn ok(name: &str, bytes: u64, rates: [Option<f64>; 5], self_reported: Option<u64>) -> ImplResult {
    ImplResult {
        name: name.to_owned(),
        keys: Some(1_000_000),
        bytes: Some(bytes),
        peak_bytes: Some(bytes),
        bytes_per_key: Some(bytes as f64 / 1e6),
        self_reported_bytes: self_reported,
        build_keys_per_s: rates[0],
        get_hit_per_s: rates[1],
        get_miss_per_s: rates[2],
        scan_entries_per_s: rates[3],
        prefix_scans_per_s: rates[4],
        verified: true,
        rounds: Vec::new(),
        failure: None,
    }
}

fn fixed_report() -> Report {
    Report {
        dataset: DatasetInfo {
            name: "debian-paths-1m".to_owned(),
            keys: 1_000_000,
            raw_key_bytes: 63_086_665,
            avg_key_len: 63.086665,
        },
        results: vec![
            ok(
                "BTreeMap",
                124_012_345,
                [
                    Some(812_000.0),
                    Some(901_234.5),
                    Some(1_100_000.0),
                    Some(57_000_000.0),
                    Some(9_876.0),
                ],
                None,
            ),
            ok(
                "HashMap",
                154_600_000,
                [
                    Some(2_000_000.0),
                    Some(7_700_000.0),
                    Some(9_100_000.0),
                    None,
                    None,
                ],
                None,
            ),
            ok(
                "fst::Map",
                21_000_000,
                [
                    Some(3_300_000.0),
                    Some(1_250_000.0),
                    Some(1_600_000.0),
                    Some(4_000_000.0),
                    Some(812.0),
                ],
                Some(17_000_000),
            ),
            ImplResult::failed("Broken", "1 of 1000000 lookups of present keys were wrong"),
        ],
    }
}

#[test]
fn text_table() {
    insta::assert_snapshot!(render::text_table(&fixed_report()));
}

#[test]
fn markdown_table() {
    insta::assert_snapshot!(render::markdown_table(&fixed_report()));
}

#[test]
fn json_has_exactly_the_published_shape() {
    let json: serde_json::Value = serde_json::from_str(&fixed_report().to_json()).unwrap();
    let keys = |v: &serde_json::Value| -> Vec<String> {
        let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        k.sort();
        k
    };
    assert_eq!(keys(&json), ["dataset", "results"]);
    assert_eq!(
        keys(&json["dataset"]),
        ["avg_key_len", "keys", "name", "raw_key_bytes"]
    );
    let mut expected = vec![
        "impl",
        "keys",
        "bytes",
        "bytes_per_key",
        "self_reported_bytes",
        "build_keys_per_s",
        "get_hit_per_s",
        "get_miss_per_s",
        "scan_entries_per_s",
        "prefix_scans_per_s",
        "verified",
    ];
    expected.sort_unstable();
    for r in json["results"].as_array().unwrap() {
        assert_eq!(keys(r), expected);
    }
    // Unsupported operations and failed runs are null, never numbers.
    assert!(json["results"][1]["scan_entries_per_s"].is_null());
    assert!(json["results"][3]["bytes"].is_null());
    assert_eq!(json["results"][3]["verified"], false);
    assert_eq!(json["results"][0]["impl"], "BTreeMap");
    // And it reads back.
    let back: Report = serde_json::from_value(json).unwrap();
    let mut sent = fixed_report().results[0].clone();
    sent.peak_bytes = None;
    assert_eq!(back.results[0], sent);
    // The measuring process hands its build peak to the parent in the same type.
    let carried: ImplResult =
        serde_json::from_str(&serde_json::to_string(&fixed_report().results[0]).unwrap()).unwrap();
    assert_eq!(carried, fixed_report().results[0]);
}

#[test]
fn svg_chart_has_a_bar_and_label_per_passing_implementation() {
    let svg = chart::bytes_per_key_svg(&fixed_report()).unwrap();
    assert!(svg.starts_with("<svg"), "{}", &svg[..svg.len().min(100)]);
    assert!(svg.trim_end().ends_with("</svg>"));
    for name in ["BTreeMap", "HashMap", "fst::Map"] {
        assert!(
            svg.contains(&format!(">{name}<")) || svg.contains(&format!(">\n{name}\n<")),
            "no label {name}"
        );
    }
    assert!(!svg.contains("Broken"), "failed runs have no bar");
    for figure in ["124.0", "154.6", "21.0"] {
        assert!(svg.contains(figure), "no figure {figure}");
    }
    // Every element that opens is closed.
    assert_eq!(svg.matches("<text").count(), svg.matches("</text>").count());
}

#[test]
fn build_peaks_are_reported_but_not_published() {
    let mut report = fixed_report();
    let last = report
        .results
        .iter()
        .rposition(|r| r.bytes.is_some())
        .unwrap();
    let keys = report.results[last].keys.unwrap();
    let bytes = report.results[last].bytes.unwrap();
    report.results[last].peak_bytes = Some(bytes * 3);
    let lines = report.peak_lines();
    assert_eq!(
        lines.len(),
        1,
        "only the structure whose peak exceeds its final size"
    );
    let name = &report.results[last].name;
    let per_key = format!("{:.1} bytes/key", (bytes * 3) as f64 / keys as f64);
    assert!(
        lines[0].contains(name.as_str()) && lines[0].contains(&per_key),
        "{lines:?}"
    );
    assert!(
        !report.to_json().contains("peak"),
        "peaks are not in the JSON shape"
    );
}

#[test]
fn repeated_runs_show_each_rounds_rates_against_the_baselines() {
    let run = |name: &str, build: f64, get: f64| {
        ok(
            name,
            1_000_000,
            [Some(build), Some(get), None, None, None],
            None,
        )
    };
    let base = ImplResult::combine(vec![
        run("BTreeMap", 1e6, 800_000.0),
        run("BTreeMap", 1e6, 1_000_000.0),
        run("BTreeMap", 1e6, 500_000.0),
    ]);
    let art = ImplResult::combine(vec![
        run("Art", 2e6, 880_000.0),
        run("Art", 2e6, 900_000.0),
        run("Art", 2e6, 600_000.0),
    ]);
    let mut report = fixed_report();
    report.results = vec![base, art];

    let text = render::text_table(&report);
    assert!(text.contains("speeds in each of the 3 rounds"), "{text}");
    assert!(
        text.contains("  BTreeMap  build/insert 1.00M 1.00M 1.00M, get 800.0K 1.00M 500.0K\n"),
        "{text}"
    );
    // Ahead by the medians (900 K over 800 K), behind in the second round.
    assert!(
        text.contains("  Art       build/insert 2.00 2.00 2.00, get 1.10 0.90 1.20\n"),
        "{text}"
    );
    let md = render::markdown_table(&report);
    assert!(
        md.contains("- Art: build/insert 2.00 2.00 2.00, get 1.10 0.90 1.20\n"),
        "{md}"
    );

    // The JSON carries every round and reads back.
    let json: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
    assert_eq!(json["results"][1]["rounds"][1]["get_hit_per_s"], 900_000.0);
    let back: Report = serde_json::from_value(json).unwrap();
    assert_eq!(back.results[1].rounds, report.results[1].rounds);

    // A single measurement has no rounds to show.
    assert!(!render::text_table(&fixed_report()).contains("rounds"));
}
