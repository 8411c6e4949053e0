//! The whole comparison through `memkv_measure::compare::run`, as `cargo xtask
//! bench-memory` and the `compare_all` example run it, with the crate's measuring
//! binary as the child.

use memkv_measure::compare::{self, ChildCommand};
use memkv_measure::report::Report;

const EXE: &str = env!("CARGO_BIN_EXE_memkv-measure");

#[test]
fn a_small_comparison_measures_prints_and_writes_every_output() {
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("small-keys.txt");
    // Unsorted on purpose: the children must get the normalized set.
    let text: String = (0..500)
        .rev()
        .map(|i| format!("{i}.example.org/\n"))
        .collect();
    std::fs::write(&keys, text).unwrap();
    let (json, md, svg) = (
        dir.path().join("out.json"),
        dir.path().join("out.md"),
        dir.path().join("out.svg"),
    );
    let args = compare::Args::try_parse_from([
        "compare".as_ref(),
        "--file".as_ref(),
        keys.as_os_str(),
        "--impls".as_ref(),
        "BTreeMap,FrozenLayer,HybridStore".as_ref(),
        "--limit".as_ref(),
        "400".as_ref(),
        "--jobs".as_ref(),
        "2".as_ref(),
        "--json".as_ref(),
        json.as_os_str(),
        "--markdown".as_ref(),
        md.as_os_str(),
        "--svg".as_ref(),
        svg.as_os_str(),
    ] as [&std::ffi::OsStr; 15])
    .unwrap();
    let report = compare::run(&args, || Ok(ChildCommand::new(EXE))).unwrap();
    assert_eq!(report.dataset.name, "small-keys");
    assert_eq!(report.dataset.keys, 400);
    let names: Vec<_> = report.results.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["BTreeMap", "FrozenLayer", "HybridStore"]);
    assert!(report
        .results
        .iter()
        .all(|r| r.verified && r.keys == Some(400)));
    let written: Report = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(written.results.len(), 3);
    assert!(std::fs::read_to_string(&md)
        .unwrap()
        .contains("| FrozenLayer |"));
    assert!(std::fs::read_to_string(&svg).unwrap().starts_with("<svg"));
}

#[test]
fn a_child_that_is_not_a_measurer_fails_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("keys.txt");
    std::fs::write(&keys, "a\nb\n").unwrap();
    let args = compare::Args::try_parse_from([
        "compare".as_ref(),
        "--file".as_ref(),
        keys.as_os_str(),
        "--impls".as_ref(),
        "BTreeMap".as_ref(),
    ] as [&std::ffi::OsStr; 5])
    .unwrap();
    // `true` prints nothing: no result, so the implementation fails.
    let err = compare::run(&args, || Ok(ChildCommand::new("true"))).unwrap_err();
    assert!(err.contains("1 implementation(s) failed"), "{err}");
    let err = compare::run(&args, || Err("no child today".to_owned())).unwrap_err();
    assert_eq!(err, "no child today");
}
