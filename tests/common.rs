//! Helpers shared by the integration tests.

use std::path::{Path, PathBuf};

use trailhound::event::{Batch, OwnedEvent};
use trailhound::ingest::decode::ByteCounter;
use trailhound::ingest::skip::SkipLog;
use trailhound::ingest::{read_file, FileReport, InputFile};

pub fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus")
}

/// Reads one file through the library and returns its report, events and skips.
pub fn read(path: &Path) -> (FileReport, Vec<OwnedEvent>, SkipLog) {
    let file = InputFile {
        path: Some(path.to_path_buf()),
        display: path.display().to_string(),
        size: std::fs::metadata(path).map(|m| m.len()).unwrap_or(0),
    };
    let mut batches: Vec<Batch> = Vec::new();
    let mut skips = SkipLog::default();
    let mut sink = |b: Batch| batches.push(b);
    let report = read_file(0, &file, &ByteCounter::default(), &mut sink, &mut skips);
    let events = batches
        .iter()
        .flat_map(|b| b.events.iter().map(move |e| e.to_owned_event(b)))
        .collect();
    (report, events, skips)
}

pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_trailhound"))
}

/// Runs the binary; whatever its exit status, it must not have panicked.
pub fn run(args: &[&str]) -> std::process::Output {
    let out = std::process::Command::new(bin())
        .args(args)
        .output()
        .expect("run trailhound");
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("panicked"),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// [`run`], and it must have succeeded.
pub fn run_ok(args: &[&str]) -> std::process::Output {
    let out = run(args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// The `{"type":"summary"}` object of JSON Lines output.
pub fn summary_line(stdout: &[u8]) -> serde_json::Value {
    let text = String::from_utf8_lossy(stdout);
    let line = text
        .lines()
        .find(|l| l.starts_with("{\"type\":\"summary\""))
        .unwrap_or_else(|| {
            panic!(
                "no summary line in output: {}",
                &text[..text.len().min(2000)]
            )
        });
    serde_json::from_str(line).unwrap()
}
