//! Event statistics gathered while reading: events per format, time range, distinct
//! principals (when nothing else counts them), and how many S3 data events there were.

use std::hash::BuildHasher;

use crate::event::{ActionClass, Batch, Format};
use crate::ingest::BatchSink;

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
