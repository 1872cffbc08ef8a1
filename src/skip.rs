//! Skipped records: counted by reason, with a few located samples per reason.
//!
//! A record trailhound cannot use never vanishes silently: it lands here with the file, line,
//! byte offset and a reason, and the run summary reports the complete counts.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::Serialize;

/// At most this many samples are kept per reason (DESIGN.md, output contract).
pub const SAMPLES_PER_REASON: usize = 20;

/// Why a record was skipped. The ids are the `skipped_by_reason` keys: stable.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SkipReason {
    /// No event time, or one that does not parse.
    MissingOrInvalidTime,
    /// Not valid JSON where a JSON record was expected.
    MalformedJson,
    /// A JSON value of the wrong type where a record was expected (a number in `Records`).
    WrongShape,
    /// A JSON record of the detected format that lacks what makes it one of its records.
    UnrecognisedRecord,
    /// A text log line with the wrong number or kind of fields.
    MalformedLine,
    /// The input ended (or its compression broke) inside a record.
    TruncatedInput,
    /// A record longer than the size limit; read past, never loaded whole.
    RecordTooLarge,
    /// Reading or judging the record panicked; the panic was contained to it
    /// ([`crate::contain`]). A bug in trailhound, and a record someone may have crafted.
    InternalError,
}

impl SkipReason {
    pub fn id(self) -> &'static str {
        match self {
            SkipReason::MissingOrInvalidTime => "missing_or_invalid_time",
            SkipReason::MalformedJson => "malformed_json",
            SkipReason::WrongShape => "wrong_shape",
            SkipReason::UnrecognisedRecord => "unrecognised_record",
            SkipReason::MalformedLine => "malformed_line",
            SkipReason::TruncatedInput => "truncated_input",
            SkipReason::RecordTooLarge => "record_too_large",
            SkipReason::InternalError => "internal_error",
        }
    }
}

/// A skip as a parser reports it; the framing layer adds where it happened.
#[derive(Debug, Clone)]
pub struct Skip {
    pub reason: SkipReason,
    pub detail: Cow<'static, str>,
}

impl Skip {
    pub fn new(reason: SkipReason, detail: impl Into<Cow<'static, str>>) -> Self {
        Skip {
            reason,
            detail: detail.into(),
        }
    }

    /// A time field that is there but unusable: say which and what it held.
    pub fn bad_time(field: &str, raw: &[u8]) -> Self {
        let shown = String::from_utf8_lossy(&raw[..raw.len().min(60)]).into_owned();
        Skip::new(
            SkipReason::MissingOrInvalidTime,
            format!("invalid time: {field} {shown:?} is not an RFC 3339 time with a zone"),
        )
    }

    /// [`Skip::bad_time`] when `raw` is present, else [`Skip::time`].
    pub fn time_from(field: &str, raw: Option<&[u8]>) -> Self {
        match raw {
            Some(r) => Skip::bad_time(field, r),
            None => Skip::time(),
        }
    }

    pub fn time() -> Self {
        Skip::new(
            SkipReason::MissingOrInvalidTime,
            "missing or invalid time: the record has no usable event time",
        )
    }
}

/// One located example of a skip.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct SkipSample {
    pub file: String,
    /// 1-based line of the record start in the decoded input.
    pub line: u64,
    /// Byte offset of the record start in the decoded input.
    pub offset: u64,
    pub reason: &'static str,
    pub detail: String,
}

/// Skip counts by reason with samples.
#[derive(Debug, Default, Clone)]
pub struct SkipLog {
    counts: BTreeMap<SkipReason, u64>,
    samples: BTreeMap<SkipReason, Vec<SkipSample>>,
}

impl SkipLog {
    pub fn record(&mut self, file: &str, line: u64, offset: u64, skip: &Skip) {
        *self.counts.entry(skip.reason).or_default() += 1;
        let samples = self.samples.entry(skip.reason).or_default();
        // Keep the first samples in (file, offset) order, so reports do not depend on which
        // worker thread saw which file first.
        if samples.len() >= SAMPLES_PER_REASON {
            let last = &samples[samples.len() - 1];
            if (last.file.as_str(), last.offset) <= (file, offset) {
                return;
            }
        }
        samples.push(SkipSample {
            file: file.to_string(),
            line,
            offset,
            reason: skip.reason.id(),
            detail: crate::text::bounded(&skip.detail, 300),
        });
        Self::trim(samples);
    }

    fn trim(samples: &mut Vec<SkipSample>) {
        samples.sort_by(|a, b| (&a.file, a.offset).cmp(&(&b.file, b.offset)));
        samples.truncate(SAMPLES_PER_REASON);
    }

    pub fn merge(&mut self, other: SkipLog) {
        for (r, n) in other.counts {
            *self.counts.entry(r).or_default() += n;
        }
        for (r, s) in other.samples {
            let mine = self.samples.entry(r).or_default();
            mine.extend(s);
            Self::trim(mine);
        }
    }

    pub fn total(&self) -> u64 {
        self.counts.values().sum()
    }

    /// Counts keyed by reason id.
    pub fn by_reason(&self) -> BTreeMap<&'static str, u64> {
        self.counts.iter().map(|(r, n)| (r.id(), *n)).collect()
    }

    /// All samples, ordered by file, then offset, for a stable report.
    pub fn samples(&self) -> Vec<SkipSample> {
        let mut all: Vec<SkipSample> = self.samples.values().flatten().cloned().collect();
        all.sort_by(|a, b| (&a.file, a.offset, a.reason).cmp(&(&b.file, b.offset, b.reason)));
        all
    }

    pub fn count(&self, reason: SkipReason) -> u64 {
        self.counts.get(&reason).copied().unwrap_or(0)
    }
}
