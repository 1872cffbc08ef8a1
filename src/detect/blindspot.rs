//! Blind spots: a log stream that goes quiet where its own history expects records.
//!
//! Attackers switch logging off first. A stream is one kind of record from one delivery:
//! CloudTrail (or GCS/Azure) data events, their management events, the server access logs of
//! one bucket. Each stream learns, per hour of the week, how often it has records; a run of
//! empty hours is a finding when the stream's own history makes that run very unlikely
//! (the product of the hours' chances of being empty is below one in a billion, over six
//! hours at least), including a
//! stream that stops before the others end.

use crate::catalogue::rule;
use crate::detect::access::{Access, Sym};
use crate::detect::baseline::hour_of_week;
use crate::detect::emit::{Ctx, Emitter};
use crate::event::{ActionClass, Format, PrincipalType};
use crate::time::NANOS_PER_HOUR;

pub const RULE_IDS: &[&str] = &[rule::BASELINE_LOG_GAP];

/// Streams tracked at most (one per bucket for per-bucket logs): bounds memory on hostile input.
const MAX_STREAMS: usize = 10_000;
/// A stream needs this much history before its gaps mean anything.
const MIN_HISTORY_HOURS: i64 = 14 * 24;
/// Shortest gap reported, and the chance below which it is.
/// (Delivery of hourly logs is best effort: a few missing hours happen to healthy streams.)
const MIN_GAP_HOURS: i64 = 6;
const MAX_LN_CHANCE: f64 = -20.7; // ln(1e-9)
/// Hours of history a stream keeps.
const HISTORY_LIMIT: usize = 366 * 24;
/// A stream with records in at least this share of its hours runs around the clock.
const BUSY: f64 = 0.9;

#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub(crate) struct StreamKey {
    format: Format,
    /// Data events (object reads, writes, deletes, lists) rather than management events.
    data: bool,
    /// The bucket, for logs delivered per bucket; else 0.
    bucket: Sym,
}

fn key_of(a: &Access) -> StreamKey {
    let per_bucket = matches!(
        a.format,
        Format::S3Access | Format::AzureStorageAnalytics | Format::GcsUsage
    );
    StreamKey {
        format: a.format,
        data: matches!(
            a.class,
            ActionClass::Read | ActionClass::Write | ActionClass::Delete | ActionClass::List
        ),
        bucket: if per_bucket { a.bucket } else { 0 },
    }
}

struct Stream {
    first_hour: i64,
    last_hour: i64,
    /// One bit per hour since `first_hour`: the hour had records.
    active: Vec<u64>,
    /// The last record seen, for the finding's sample reference.
    last: Access,
    /// The last record before each silence long enough to be a gap (bounded).
    before_gaps: Vec<(i64, Access)>,
}

impl Stream {
    fn mark(&mut self, hour: i64) {
        let Ok(mut off) = usize::try_from(hour - self.first_hour) else {
            return;
        };
        // A year of hours at most: older history slides out, whole words at a time, so a
        // stray timestamp cannot allocate without bound and state kept for years stays small.
        if off >= HISTORY_LIMIT {
            let drop = (off - HISTORY_LIMIT) / 64 + 1;
            self.active.drain(..drop.min(self.active.len()));
            self.first_hour += drop as i64 * 64;
            off -= drop * 64;
        }
        if self.active.len() <= off / 64 {
            self.active.resize(off / 64 + 1, 0);
        }
        self.active[off / 64] |= 1 << (off % 64);
    }

    fn is_active(&self, hour: i64) -> bool {
        let off = (hour - self.first_hour) as usize;
        self.active
            .get(off / 64)
            .is_some_and(|w| w & (1 << (off % 64)) != 0)
    }
}

/// Every stream's hourly presence.
#[derive(Default)]
pub(crate) struct Streams {
    map: hashbrown::HashMap<StreamKey, Stream, foldhash::fast::RandomState>,
    last: Option<(StreamKey, i64)>,
    /// The last hour an earlier run judged (from `--state`): its gaps were reported then.
    judged_until: Option<i64>,
}

/// A stream as the state file keeps it.
#[derive(serde::Serialize, serde::Deserialize, Clone, Debug, PartialEq)]
pub struct StreamState {
    pub format: Format,
    pub data: bool,
    pub bucket: String,
    pub first_hour: i64,
    pub last_hour: i64,
    pub active: Vec<u64>,
}

/// Every stream, and the hour they were judged up to.
#[derive(serde::Serialize, serde::Deserialize, Clone, Debug, Default, PartialEq)]
pub struct StreamsState {
    pub streams: Vec<StreamState>,
    pub judged_until: Option<i64>,
}

impl Streams {
    /// Counts the event's hour as active for its stream (cheap: consecutive events of one
    /// stream in one hour cost a comparison).
    pub fn observe(&mut self, a: &Access) {
        let key = key_of(a);
        let hour = a.time.div_euclid(NANOS_PER_HOUR);
        if self.last == Some((key, hour)) {
            return;
        }
        self.last = Some((key, hour));
        if !self.map.contains_key(&key) && self.map.len() >= MAX_STREAMS {
            return;
        }
        let s = self.map.entry(key).or_insert_with(|| Stream {
            first_hour: hour,
            last_hour: hour,
            active: Vec::new(),
            last: a.clone(),
            before_gaps: Vec::new(),
        });
        s.mark(hour);
        if hour >= s.last_hour {
            if hour - s.last_hour > MIN_GAP_HOURS && s.before_gaps.len() < 64 {
                s.before_gaps.push((s.last_hour, s.last.clone()));
            }
            s.last_hour = hour;
            s.last = a.clone();
        }
    }

    /// Reports the gaps, up to `end` (the last event time of the run); gaps an earlier run
    /// already judged whole are not reported again.
    pub fn judge(&self, end: i64, ctx: &Ctx, out: &mut Emitter) {
        let end_hour = end.div_euclid(NANOS_PER_HOUR);
        let mut keys: Vec<&StreamKey> = self.map.keys().collect();
        keys.sort_unstable();
        for key in keys {
            let s = &self.map[key];
            for gap in gaps(s, end_hour) {
                if self.judged_until.is_some_and(|j| gap.last_hour < j) {
                    continue;
                }
                emit(key, s, &gap, ctx, out);
            }
        }
    }

    /// The streams for the state file, judged up to `end`.
    pub fn export(&self, end: i64, syms: &crate::detect::access::Symbols) -> StreamsState {
        let mut streams: Vec<StreamState> = self
            .map
            .iter()
            .map(|(k, s)| StreamState {
                format: k.format,
                data: k.data,
                bucket: if k.bucket != 0 {
                    syms.text(k.bucket)
                } else {
                    String::new()
                },
                first_hour: s.first_hour,
                last_hour: s.last_hour,
                active: s.active.clone(),
            })
            .collect();
        streams.sort_by(|a, b| {
            (a.format, a.data, &a.bucket, a.first_hour).cmp(&(
                b.format,
                b.data,
                &b.bucket,
                b.first_hour,
            ))
        });
        StreamsState {
            streams,
            judged_until: Some(end.div_euclid(NANOS_PER_HOUR)).filter(|_| end != i64::MIN),
        }
    }

    /// Continues the streams of an earlier run. Their last records are not known here: a
    /// finding about a gap that began in an earlier run names no sample record.
    pub fn restore(&mut self, st: StreamsState, syms: &crate::detect::access::Symbols) {
        self.judged_until = st.judged_until;
        for s in st.streams.into_iter().take(MAX_STREAMS) {
            let bucket = if s.bucket.is_empty() {
                0
            } else {
                syms.intern(&s.bucket)
            };
            let key = StreamKey {
                format: s.format,
                data: s.data,
                bucket,
            };
            let last = Access {
                time: s.last_hour * NANOS_PER_HOUR,
                format: s.format,
                bucket,
                file: u32::MAX,
                ..Default::default()
            };
            self.map.insert(
                key,
                Stream {
                    first_hour: s.first_hour,
                    last_hour: s.last_hour,
                    active: s.active,
                    last,
                    before_gaps: Vec::new(),
                },
            );
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
struct Gap {
    first_hour: i64,
    /// Inclusive.
    last_hour: i64,
    ln_chance: f64,
    /// Hours with records the stream's history expected in the gap.
    expected_active: f64,
    /// The gap runs to the end of the data: the stream stopped.
    stopped: bool,
    /// The share of the stream's hours that have records.
    busy: f64,
}

fn gaps(s: &Stream, end_hour: i64) -> Vec<Gap> {
    let span = end_hour - s.first_hour + 1;
    if !(MIN_HISTORY_HOURS..=366 * 24).contains(&span) {
        return Vec::new();
    }
    let mut seen = [0u32; 168];
    let mut active = [0u32; 168];
    for h in s.first_hour..=end_hour {
        let slot = hour_of_week(h);
        seen[slot] += 1;
        active[slot] += s.is_active(h) as u32;
    }
    // The chance that an hour of the gap would have records, judged on the stream's history
    // without the gap: the slot's own weeks, pulled towards the stream's overall rate (as if
    // two more weeks at that rate had been seen), so that four weeks of a slot do not claim
    // certainty and a quiet slot is not declared impossible.
    let total_active: u32 = active.iter().sum();
    let busy = total_active as f64 / span as f64;
    let mut out = Vec::new();
    let start = s.first_hour + 7 * 24;
    let mut h = start;
    while h <= end_hour {
        if s.is_active(h) {
            h += 1;
            continue;
        }
        let first = h;
        while h <= end_hour && !s.is_active(h) {
            h += 1;
        }
        let last = h - 1;
        let len = last - first + 1;
        let stopped = last == end_hour;
        if len < MIN_GAP_HOURS {
            continue;
        }
        let mut in_gap = [0u32; 168];
        for g in first..=last {
            in_gap[hour_of_week(g)] += 1;
        }
        let overall = total_active as f64 / ((span - len) as f64 + 1.0);
        let (mut ln_chance, mut expected) = (0.0, 0.0);
        for g in first..=last {
            let slot = hour_of_week(g);
            let seen_before = (seen[slot] - in_gap[slot]) as f64;
            let ph = (active[slot] as f64 + 2.0 * overall) / (seen_before + 2.0);
            ln_chance += (1.0 - ph.min(1.0)).max(1e-9).ln();
            expected += ph.min(1.0);
        }
        if ln_chance < MAX_LN_CHANCE {
            out.push(Gap {
                first_hour: first,
                last_hour: last,
                ln_chance,
                expected_active: expected,
                stopped,
                busy,
            });
        }
    }
    out
}

fn stream_name(key: &StreamKey, ctx: &Ctx) -> String {
    let kind = if key.data {
        "data events"
    } else {
        "management events"
    };
    if key.bucket != 0 {
        format!(
            "{} of {} ({kind})",
            key.format.id(),
            crate::text::bounded(&ctx.syms.text(key.bucket), 100)
        )
    } else {
        format!("{} {kind}", key.format.id())
    }
}

fn emit(key: &StreamKey, s: &Stream, gap: &Gap, ctx: &Ctx, out: &mut Emitter) {
    let name = stream_name(key, ctx);
    let a = Access {
        time: gap.first_hour * NANOS_PER_HOUR,
        principal: ctx.syms.intern(&format!("log-stream:{name}")),
        principal_type: PrincipalType::Service,
        class: ActionClass::Logging,
        format: key.format,
        bucket: key.bucket,
        source_ip: None,
        // The last record before the gap is the evidence to open.
        ..s.before_gaps
            .iter()
            .find(|(h, _)| *h == gap.first_hour - 1)
            .map_or(&s.last, |(_, a)| a)
            .clone()
    };
    let hours = gap.last_hour - gap.first_hour + 1;
    let start = crate::time::rfc3339(gap.first_hour * NANOS_PER_HOUR);
    let end = crate::time::rfc3339((gap.last_hour + 1) * NANOS_PER_HOUR);
    out.emit(
        ctx,
        rule::BASELINE_LOG_GAP,
        &a,
        || {
            if gap.stopped {
                format!("{name} stopped at {start}: no records for the last {hours} hours, where about {:.0} active hours were expected", gap.expected_active)
            } else {
                format!("{name} silent for {hours} hours from {start}, where about {:.0} active hours were expected", gap.expected_active)
            }
        },
        |f| {
            f.last_seen = (gap.last_hour + 1) * NANOS_PER_HOUR - 1;
            // Only a stream that runs around the clock (as a trail with management events
            // does) says much by going quiet: a stream that follows office hours also goes
            // quiet on holidays. A busy stream that stops, or stays silent a day, is worse.
            let cat = crate::catalogue::Catalogue::get();
            if gap.busy < BUSY {
                f.severity = cat.level(rule::BASELINE_LOG_GAP, crate::catalogue::Case::QuietStream, f.severity);
            } else if gap.stopped || hours >= 24 {
                f.severity = f.severity.max(cat.level(
                    rule::BASELINE_LOG_GAP,
                    crate::catalogue::Case::StoppedStream,
                    f.severity,
                ));
            }
            f.set("stream_active_share", (gap.busy * 100.0).round() / 100.0);
            f.set("stream", name.clone());
            f.set("gap_start", start.clone());
            f.set("gap_end", end.clone());
            f.set("gap_hours", hours);
            f.set("expected_active_hours", (gap.expected_active * 10.0).round() / 10.0);
            f.set("chance", format!("{:.1e}", gap.ln_chance.exp()));
            f.set("stopped", gap.stopped);
        },
    );
}

impl crate::detect::detector::Detector for Streams {
    fn name(&self) -> &'static str {
        "streams"
    }

    fn rule_ids(&self) -> &'static [&'static str] {
        RULE_IDS
    }

    fn stages(&self) -> crate::detect::detector::Stages {
        use crate::detect::detector::Stages;
        Stages::RECORD
    }

    fn record(&mut self, a: &Access) {
        self.observe(a);
    }

    fn finish(&mut self, end: Option<i64>, out: &mut Emitter, ctx: &Ctx) {
        if let Some(end) = end {
            Streams::judge(self, end, ctx, out);
        }
    }

    fn snapshot(
        &self,
        end: Option<i64>,
        syms: &crate::detect::access::Symbols,
    ) -> Option<serde_json::Value> {
        serde_json::to_value(self.export(end.unwrap_or(i64::MIN), syms)).ok()
    }

    fn restore(
        &mut self,
        state: serde_json::Value,
        syms: &crate::detect::access::Symbols,
    ) -> anyhow::Result<()> {
        Streams::restore(self, serde_json::from_value(state)?, syms);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stream(active: impl Fn(i64) -> bool, hours: i64) -> Stream {
        let mut s = Stream {
            first_hour: 0,
            last_hour: 0,
            active: Vec::new(),
            last: Access::default(),
            before_gaps: Vec::new(),
        };
        for h in 0..hours {
            if active(h) {
                s.mark(h);
                s.last_hour = h;
            }
        }
        s
    }

    /// Office hours Monday to Friday (hour 0 is a Thursday 00:00 UTC).
    fn office(h: i64) -> bool {
        let how = hour_of_week(h);
        how < 5 * 24 && (8..18).contains(&(how % 24))
    }

    #[test]
    fn a_busy_stream_that_goes_quiet_is_a_gap() {
        let end = 28 * 24 - 1;
        let s = stream(|h| !(400..408).contains(&h), end + 1);
        let g = gaps(&s, end);
        assert_eq!(g.len(), 1, "{g:?}");
        assert_eq!((g[0].first_hour, g[0].last_hour), (400, 407));
        assert!(!g[0].stopped);
        // A few empty hours happen to healthy streams.
        let s = stream(|h| !(400..405).contains(&h), end + 1);
        assert!(gaps(&s, end).is_empty());
    }

    #[test]
    fn nights_and_weekends_are_not_gaps_but_a_missing_workday_is() {
        let end = 35 * 24 - 1;
        let s = stream(office, end + 1);
        assert!(gaps(&s, end).is_empty(), "{:?}", gaps(&s, end));
        // A whole workday missing in week 4 (day 22 = a Friday; day 25 = Monday).
        let s = stream(|h| office(h) && !(25 * 24..26 * 24).contains(&h), end + 1);
        let g = gaps(&s, end);
        assert_eq!(g.len(), 1, "{g:?}");
        assert!(g[0].first_hour < 25 * 24 + 8 && g[0].last_hour >= 25 * 24 + 17);
    }

    #[test]
    fn a_stream_that_stops_is_reported_as_stopped() {
        let end = 21 * 24 - 1;
        let s = stream(|h| h < end - 10, end + 1);
        let g = gaps(&s, end);
        assert_eq!(g.len(), 1, "{g:?}");
        assert!(g[0].stopped);
        // Stopping a few hours before the data ends is how delivery lag looks.
        let s = stream(|h| h < end - 4, end + 1);
        assert!(gaps(&s, end).is_empty());
    }

    #[test]
    fn sparse_streams_and_short_histories_say_nothing() {
        // Active one hour in three at random-looking places: long silences are normal.
        let s = stream(|h| (h * 7919) % 3 == 0, 30 * 24);
        assert!(gaps(&s, 30 * 24 - 1).is_empty());
        // Ten days of history: too little to expect anything.
        let s = stream(|h| !(200..220).contains(&h), 10 * 24);
        assert!(gaps(&s, 10 * 24 - 1).is_empty());
        // Two weeks is the least history that counts.
        let silent = |h: i64| !(200..220).contains(&h);
        assert!(gaps(&stream(silent, 13 * 24), 13 * 24 - 1).is_empty());
        assert!(!gaps(&stream(silent, 15 * 24), 15 * 24 - 1).is_empty());
    }
}
