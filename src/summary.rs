//! The run summary: what was read, what was skipped and why, which formats, which time span.
//! It is the `{"type":"summary",…}` object of the output contract (DESIGN.md).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::event::Format;
use crate::ingest::stats::EventStats;
use crate::ingest::IngestReport;
use crate::skip::SkipSample;
use crate::time::rfc3339;

/// A file that yielded nothing.
#[derive(Debug, Clone, Serialize)]
pub struct FileProblem {
    pub file: String,
    pub error: String,
}

/// The summary object (`"type":"summary"`).
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub events: u64,
    pub skipped: u64,
    pub skipped_by_reason: BTreeMap<&'static str, u64>,
    pub skipped_samples: Vec<SkipSample>,
    pub ignored_files: u64,
    pub by_format: BTreeMap<&'static str, u64>,
    pub files: u64,
    pub file_errors: Vec<FileProblem>,
    pub time_range: Vec<String>,
    pub principals: u64,
    /// Findings by severity (empty when detection did not run).
    pub findings_by_severity: BTreeMap<&'static str, u64>,
    pub incidents: u64,
    /// Events that arrived after later ones had been judged (delivered very late).
    pub late_events: u64,
    /// S3 requests reported by both CloudTrail and the server access log: judged once.
    pub duplicate_requests: u64,
    /// What the detection state held against its memory budget (scans with detection).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory: Option<crate::detect::engine::StateFigures>,
    pub notes: Vec<String>,
}

impl Summary {
    pub fn new(stats: &EventStats, ingest: &IngestReport, path_errors: &[FileProblem]) -> Self {
        let by_format = Format::ALL
            .iter()
            .filter(|f| stats.by_format[f.index()] > 0)
            .map(|f| (f.id(), stats.by_format[f.index()]))
            .collect();
        let mut file_errors: Vec<FileProblem> = path_errors.to_vec();
        for f in &ingest.files {
            if let Some(p) = f.problem() {
                let error = p
                    .strip_prefix(&format!("{}: ", f.name))
                    .unwrap_or(&p)
                    .to_string();
                file_errors.push(FileProblem {
                    file: f.name.clone(),
                    error,
                });
            }
        }
        let mut notes = Vec::new();
        if stats.cloudtrail_events > 0 && stats.s3_data_events == 0 {
            notes.push(
                "only CloudTrail management events were found: bulk-download, enumeration and \
                 exfiltration detection needs S3 data events (a trail with S3 data events \
                 enabled, or S3 server access logs); `aws cloudtrail lookup-events` never \
                 returns them"
                    .to_string(),
            );
        }
        if stats.principals_overflow {
            notes.push(
                "more distinct principals than the counter holds: `principals` is a lower bound"
                    .to_string(),
            );
        }
        Summary {
            kind: "summary",
            events: stats.events,
            skipped: ingest.skips.total(),
            skipped_by_reason: ingest.skips.by_reason(),
            skipped_samples: ingest.skips.samples(),
            ignored_files: ingest.ignored_files(),
            by_format,
            files: ingest.files.len() as u64,
            file_errors,
            time_range: if stats.events > 0 {
                vec![rfc3339(stats.min_time), rfc3339(stats.max_time)]
            } else {
                Vec::new()
            },
            principals: stats.principals(),
            findings_by_severity: BTreeMap::new(),
            incidents: 0,
            late_events: 0,
            duplicate_requests: 0,
            memory: None,
            notes,
        }
    }
}

impl Summary {
    /// Adds the detection figures of a scan.
    pub fn with_detection(mut self, out: &crate::pipeline::ScanOutput) -> Self {
        for f in &out.findings {
            *self
                .findings_by_severity
                .entry(f.severity.as_str())
                .or_default() += 1;
        }
        self.incidents = out.incidents.len() as u64;
        self.late_events = out.late_events;
        self.duplicate_requests = out.duplicate_requests;
        self.memory = Some(out.memory.clone());
        if out.memory.strings_refused > 0 {
            self.notes.push(format!(
                "memory budget of {} MiB reached for text: {} distinct user agents, object keys \
                 or names were not kept (agents and keys first, so names keep room); raise \
                 [limits] memory_mib",
                out.memory.budget_mib, out.memory.strings_refused
            ));
        }
        if out.memory.evicted_profiles > 0 || out.memory.forgotten_principals > 0 {
            self.notes.push(format!(
                "memory budget of {} MiB reached: {} profiles evicted (coldest first) and {} \
                 first-seen times forgotten; those principals start over without a baseline \
                 when they return (raise [limits] memory_mib to keep them)",
                out.memory.budget_mib, out.memory.evicted_profiles, out.memory.forgotten_principals
            ));
        }
        self
    }
}
