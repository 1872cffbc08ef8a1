//! Embedding the engine: scan the paths given, print each finding of medium or above as one
//! line of JSON. Built with the library alone (`default-features = false` in a program's
//! Cargo.toml leaves out the command line's dependencies).
//!
//! cargo run --release --example embed -- path/to/logs

use trailhound::catalogue::Severity;
use trailhound::ingest::source::expand_paths;
use trailhound::ingest::IngestOptions;
use trailhound::pipeline::{scan, ScanConfig};

fn main() {
    let paths: Vec<String> = std::env::args().skip(1).collect();
    let (files, problems) = expand_paths(&paths);
    for p in &problems {
        eprintln!("embed: {p:?}");
    }
    let out = scan(files, &IngestOptions::default(), &ScanConfig::default());
    for f in out
        .findings
        .iter()
        .filter(|f| f.severity >= Severity::Medium)
    {
        println!(
            "{}",
            serde_json::to_string(f).expect("a finding serialises")
        );
    }
    eprintln!(
        "embed: {} events, {} findings, {} incidents",
        out.stats.events,
        out.findings.len(),
        out.incidents.len()
    );
}
