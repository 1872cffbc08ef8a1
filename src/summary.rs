//! The run summary: what was read, what was skipped and why, which formats, which time span.
//! It is the `{"type":"summary",…}` object of the output contract (DESIGN.md).

use std::collections::BTreeMap;

use serde::Serialize;

use std::hash::BuildHasher;

use crate::event::{ActionClass, Batch, Format};
use crate::ingest::skip::SkipSample;
use crate::ingest::{BatchSink, IngestReport};
use crate::time::rfc3339;

/// At most this many distinct principals are counted (bounded memory).
const MAX_PRINCIPALS: usize = 10_000_000;

/// Per-worker event statistics, merged at the end of a run.
pub struct EventStats {
    /// Count distinct principals here (off when the detection engine counts them).
    pub count_principals: bool,
    pub events: u64,
    pub by_format: [u64; Format::ALL.len()],
    pub min_time: i64,
    pub max_time: i64,
    /// Distinct principals, by a 64-bit hash of their id: counting needs no strings, and at
    /// these cardinalities a collision is vanishingly unlikely.
    principals: hashbrown::HashSet<u64, foldhash::fast::RandomState>,
    hasher: foldhash::quality::FixedState,
    /// Distinct principals past the bound were not counted.
    pub principals_overflow: bool,
    /// Distinct principals as counted by the detection engine.
    principals_counted: usize,
    pub cloudtrail_events: u64,
    /// S3 object-level (data) events seen: server access-log events, and CloudTrail data
    /// events until the first one (only "any or none" is used).
    pub s3_data_events: u64,
}

impl Default for EventStats {
    fn default() -> Self {
        EventStats {
            count_principals: true,
            events: 0,
            by_format: [0; Format::ALL.len()],
            min_time: i64::MAX,
            max_time: i64::MIN,
            principals: hashbrown::HashSet::default(),
            // Fixed seed: worker sets are merged by hash value, so all must hash alike. The
            // set only counts, so a crafted collision costs at most one in the count.
            hasher: foldhash::quality::FixedState::with_seed(0x7472_6169_6c68_6f75),
            principals_overflow: false,
            principals_counted: 0,
            cloudtrail_events: 0,
            s3_data_events: 0,
        }
    }
}

impl EventStats {
    /// Statistics that leave counting principals to the detection engine.
    pub fn without_principals() -> Self {
        EventStats {
            count_principals: false,
            ..EventStats::default()
        }
    }

    pub fn add_batch(&mut self, b: &Batch) {
        for ev in &b.events {
            self.events += 1;
            self.by_format[ev.format_index as usize] += 1;
            self.min_time = self.min_time.min(ev.time);
            self.max_time = self.max_time.max(ev.time);
            if !self.count_principals {
                // The detection engine counts them (and set_principals gives the figure).
            } else if self.principals.len() < MAX_PRINCIPALS {
                self.principals
                    .insert(self.hasher.hash_one(b.str(ev.principal)));
            } else {
                self.principals_overflow = true;
            }
            match ev.format() {
                Format::AwsCloudtrail => {
                    self.cloudtrail_events += 1;
                    // Only "were there any?" matters: stop looking once one is seen.
                    if self.s3_data_events == 0 && is_s3_data_event(b, ev) {
                        self.s3_data_events += 1;
                    }
                }
                Format::S3Access => self.s3_data_events += 1,
                _ => {}
            }
        }
    }

    pub fn merge(&mut self, other: EventStats) {
        self.events += other.events;
        for (a, b) in self.by_format.iter_mut().zip(other.by_format) {
            *a += b;
        }
        self.min_time = self.min_time.min(other.min_time);
        self.max_time = self.max_time.max(other.max_time);
        self.principals_overflow |= other.principals_overflow;
        self.principals.extend(other.principals);
        self.cloudtrail_events += other.cloudtrail_events;
        self.s3_data_events += other.s3_data_events;
    }

    pub fn principals(&self) -> u64 {
        self.principals.len().max(self.principals_counted) as u64
    }

    /// Sets the distinct-principal count from elsewhere (the detection engine's profiles).
    pub fn set_principals(&mut self, n: usize) {
        self.principals_counted = n;
    }
}

impl BatchSink for EventStats {
    fn batch(&mut self, batch: Batch) {
        self.add_batch(&batch);
    }
}

/// An S3 object-level API call (CloudTrail data event).
fn is_s3_data_event(b: &Batch, ev: &crate::event::AccessEvent) -> bool {
    b.str(ev.event_source).starts_with("s3")
        && (!ev.object.is_empty()
            || (ev.action_class == ActionClass::List
                && matches!(
                    b.str(ev.action),
                    "ListObjects" | "ListObjectsV2" | "ListObjectVersions" | "ListBucket"
                )))
}

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
