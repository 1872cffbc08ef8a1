//! Every record under tests/corpus (a copy of the shared corpus, see its SOURCES.md) parses,
//! except those expected.tsv marks as skipped; and hand-checked fields per format.

use crate::common::{corpus_dir, read};
use trailhound::ingest::FileStatus;

struct Expected {
    file: String,
    format_dir: String,
    records: u64,
    skip: u64,
}

fn expected() -> Vec<Expected> {
    let text = std::fs::read_to_string(corpus_dir().join("expected.tsv")).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split('\t').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let (f, d, r, s) = (col("file"), col("format_dir"), col("records"), col("skip"));
    lines
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let c: Vec<&str> = l.split('\t').collect();
            Expected {
                file: c[f].to_string(),
                format_dir: c[d].to_string(),
                records: c[r].parse().unwrap(),
                skip: c[s].parse().unwrap(),
            }
        })
        .collect()
}

#[test]
fn corpus_counts_per_file() {
    let rows = expected();
    assert_eq!(rows.len(), 55, "expected.tsv lists 55 files");
    let mut failures = Vec::new();
    for row in &rows {
        let (report, events, skips) = read(&corpus_dir().join(&row.file));
        assert_eq!(report.status, FileStatus::Read, "{}", row.file);
        let want_events = row.records - row.skip;
        if report.events != want_events
            || report.skipped != row.skip
            || events.len() as u64 != want_events
        {
            failures.push(format!(
                "{}: events {} (want {}), skipped {} (want {}), reasons {:?}",
                row.file,
                report.events,
                want_events,
                report.skipped,
                row.skip,
                skips.by_reason()
            ));
        }
        if row.skip > 0 {
            assert_eq!(
                skips.by_reason().get("missing_or_invalid_time").copied(),
                Some(row.skip),
                "{}: skips are for the time",
                row.file
            );
        }
        // Format ids: the folder names, except Activity records that live in the Azure folder.
        for e in &events {
            let ok = e.source_format == row.format_dir
                || (row.format_dir == "azure_blob_logs" && e.source_format == "azure_activity");
            assert!(ok, "{}: event of format {}", row.file, e.source_format);
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
#[ignore]
fn dump() {
    let f = std::env::var("DUMP").unwrap();
    let (_, events, skips) = read(&corpus_dir().join(f));
    for e in events {
        println!("{}", serde_json::to_string(&e).unwrap());
    }
    println!("{:?}", skips.samples());
}
