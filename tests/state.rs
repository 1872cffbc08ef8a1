//! State between runs: two runs over consecutive halves of the data report the same findings
//! as one run over all of it; a locked state file refuses a second run.

use std::collections::BTreeSet;

use trailhound::catalogue::Severity;
use trailhound::ingest::{expand_paths, IngestOptions, InputFile};
use trailhound::pipeline::{order_files, scan_with_state, ScanConfig};
use trailhound::state::StateDb;

fn keys(findings: &[trailhound::detect::finding::Finding]) -> BTreeSet<(String, String, String)> {
    findings
        .iter()
        .filter(|f| f.severity >= Severity::Medium)
        .map(|f| {
            (
                f.rule.clone(),
                f.principal.clone(),
                f.first_seen[..13].to_string(),
            )
        })
        .collect()
}

#[test]
fn split_runs_equal_one_run() {
    split_runs_equal_one_run_with(ScanConfig::default(), &[]);
}

/// The same with GeoIP databases: countries, ASNs and the last located request carry over.
#[test]
fn split_runs_equal_one_run_with_geoip() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let cfg = trailhound::config::parse(
        "[geoip]\ndatabases = [\"geoip/GeoLite2-City-Test.mmdb\", \"geoip/GeoLite2-ASN-Test.mmdb\"]\n",
        &dir,
    )
    .unwrap();
    // The second run needs the first run's countries and last place to tell these.
    split_runs_equal_one_run_with(cfg, &["baseline.impossible_travel", "baseline.new_country"]);
}

fn split_runs_equal_one_run_with(cfg: ScanConfig, expected: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let world = dir.path().join("world");
    trailhound::generate::generate(&trailhound::generate::Options {
        out: world.clone(),
        days: 35,
        seed: 21,
        scale: 0.3,
    })
    .unwrap();
    let (files, _) = expand_paths(&[world.display().to_string()]);
    let opts = IngestOptions::default();
    let (one, _) = scan_with_state(files.clone(), &opts, &cfg, None, None).unwrap();

    // Split by the files' start times at day 20.
    let (ordered, starts) = order_files(files, 2);
    let first = starts
        .iter()
        .copied()
        .filter(|&t| t != i64::MIN)
        .min()
        .unwrap();
    let cut = first + 20 * 86_400 * 1_000_000_000;
    let mut a: Vec<InputFile> = Vec::new();
    let mut b: Vec<InputFile> = Vec::new();
    for (f, t) in ordered.into_iter().zip(starts) {
        if t < cut {
            a.push(f);
        } else {
            b.push(f);
        }
    }
    assert!(!a.is_empty() && !b.is_empty());

    let state_path = dir.path().join("state.db");
    let db = StateDb::open(&state_path).unwrap();
    let prior = db.load().unwrap();
    let (first_run, st) = scan_with_state(a, &opts, &cfg, Some(prior), None).unwrap();
    db.save(&st, &first_run.findings).unwrap();

    let db = StateDb::open(&state_path).unwrap();
    let prior = db.load().unwrap();
    assert!(!prior.profiles.is_empty(), "profiles were saved");
    let (second_run, st) = scan_with_state(b, &opts, &cfg, Some(prior), None).unwrap();
    db.save(&st, &second_run.findings).unwrap();

    let whole = keys(&one.findings);
    let mut split = keys(&first_run.findings);
    split.extend(keys(&second_run.findings));
    let missing: Vec<_> = whole.difference(&split).collect();
    let extra: Vec<_> = split.difference(&whole).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "missing {missing:#?}\nextra {extra:#?}"
    );
    assert!(whole.len() >= 10, "the world has attacks: {}", whole.len());
    for rule in expected {
        assert!(
            split.iter().any(|(r, _, _)| r == rule),
            "{rule} missing from the split runs: {split:#?}"
        );
    }
}

#[test]
fn a_second_run_on_a_locked_state_fails_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.db");
    let held = StateDb::open(&path).unwrap();
    let err = match StateDb::open(&path) {
        Ok(_) => panic!("a second run must not get the state"),
        Err(e) => format!("{e:#}"),
    };
    assert!(err.contains("in use by another trailhound run"), "{err}");
    drop(held);
    // Dropped without saving: nothing was written, the file opens again.
    let db = StateDb::open(&path).unwrap();
    assert!(db.load().unwrap().profiles.is_empty());
}
