//! Statistics: whole hours and days against the principal's robust baseline. Catches what
//! stays under every fixed threshold — slow exfiltration at a few times the usual daily bytes,
//! spread evenly — and hours far outside the principal's own seasonal band.

use crate::catalogue::rule;
use crate::catalogue::Severity;
use crate::detect::access::Access;
use crate::detect::baseline::{band_upper, median_mad, Profile};
use crate::detect::emit::{Ctx, Emitter};
use crate::text::thousands;
use crate::time::NANOS_PER_HOUR;

pub const RULE_IDS: &[&str] = &[
    rule::BASELINE_HOURLY_VOLUME_ANOMALY,
    rule::BASELINE_BYTES_OUT_SPIKE,
    rule::BASELINE_DAILY_BYTES_ANOMALY,
];

/// Days of daily history needed before days are judged.
const MIN_DAYS: usize = 7;

/// A stand-in event for findings about a closed hour or day.
fn at(p: &Profile, principal_of: &Access) -> Access {
    Access {
        time: p.cur_first,
        file: p.cur_sample.0,
        offset: p.cur_sample.1,
        ..principal_of.clone()
    }
}

/// Judges the open hour as it closes.
pub(crate) fn close_hour(p: &mut Profile, out: &mut Emitter, ctx: &Ctx) {
    let Some(who) = p.last_event.clone() else {
        return;
    };
    if p.cur.requests == 0 || p.age_days(p.cur_first) < ctx.cfg.novelty_min_days {
        return;
    }
    let hour = p.cur_hour;
    let a = at(p, &who);
    let end = p.cur_last;
    // Requests far above both this hour's band and the principal's busiest usual hours.
    let min = ctx.threshold(rule::BASELINE_HOURLY_VOLUME_ANOMALY, "min_requests", 50.0);
    if p.cur_fired == 0 && p.cur.requests as f64 > min {
        let same = p.same_hour_values(hour, |s| s.requests as f64);
        let upper = band_upper(&same)
            .max(2.0 * p.any_hour_p99(|s| s.requests as f64))
            .max(min);
        let n = p.cur.requests as f64;
        if n > upper {
            let (med, _) = median_mad(&same);
            out.emit(
                ctx,
                rule::BASELINE_HOURLY_VOLUME_ANOMALY,
                &a,
                || {
                    format!(
                        "{} requests in one hour; usual at this hour: {}",
                        thousands(n as u64),
                        thousands(med.round() as u64)
                    )
                },
                |f| {
                    f.event_count = p.cur.requests as u64;
                    f.last_seen = end;
                    f.set("observed_per_hour", n);
                    f.set("baseline_median_same_hour", med.round());
                    f.set("baseline_upper_band", upper.round());
                },
            );
            p.cur_suspect = true;
        }
    }
    // Bytes out far above the hour's band.
    let bytes = p.cur.bytes_out as f64;
    let min_bytes = ctx.threshold(
        rule::BASELINE_BYTES_OUT_SPIKE,
        "min_bytes",
        1024.0 * 1024.0 * 1024.0,
    );
    if bytes > min_bytes {
        let same = p.same_hour_values(hour, |s| s.bytes_out as f64);
        let (med, _) = median_mad(&same);
        let factor = ctx.threshold(rule::BASELINE_BYTES_OUT_SPIKE, "factor", 10.0);
        // At an hour the principal keeps, its own busiest hours excuse the volume.
        let usual = crate::detect::habits::hour_is_near_normal(p, ctx, p.cur_first)
            || p.active_hours_of_day() >= 12;
        let capacity = if usual {
            2.0 * p.any_hour_p99(|s| s.bytes_out as f64)
        } else {
            0.0
        };
        let upper = band_upper(&same)
            .max(factor * med)
            .max(min_bytes)
            .max(capacity);
        if bytes > upper {
            // One large object (an installer, a VM image) makes the hour, not many reads:
            // worth a note (low), not an alarm; sizes are heavy-tailed.
            let largest = p.cur_largest.total as f64;
            let one_object = bytes - largest <= upper;
            let sev = out.emit(
                ctx,
                rule::BASELINE_BYTES_OUT_SPIKE,
                &a,
                || {
                    format!(
                        "{} read in one hour; usual at this hour: {}",
                        human_bytes(bytes),
                        human_bytes(med)
                    )
                },
                |f| {
                    f.last_seen = end;
                    f.set("observed_bytes", bytes);
                    f.set("baseline_median_same_hour", med.round());
                    f.set("largest_object_bytes", largest);
                    f.set("hour", crate::time::rfc3339(hour * NANOS_PER_HOUR));
                    if one_object {
                        f.severity = f.severity.min(crate::catalogue::Catalogue::get().level(
                            rule::BASELINE_BYTES_OUT_SPIKE,
                            crate::catalogue::Case::OneLargeObject,
                            f.severity,
                        ));
                        f.score = f.severity.base_score();
                        f.set("one_large_object", true);
                    }
                },
            );
            if sev >= Severity::Medium {
                p.cur_suspect = true;
                p.cur_day_suspect = true;
            }
        }
    }
}

/// Judges the open day as it closes: slow exfiltration.
pub(crate) fn close_day(p: &mut Profile, out: &mut Emitter, ctx: &Ctx) {
    if p.day_judged {
        return;
    }
    let Some(who) = p.last_event.clone() else {
        return;
    };
    let days = p.daily_bytes();
    let today = p.cur_day_bytes as f64;
    if days.len() < MIN_DAYS || today == 0.0 {
        return;
    }
    let (med, _) = median_mad(&days);
    let factor = ctx.threshold(rule::BASELINE_DAILY_BYTES_ANOMALY, "factor", 2.0);
    let min_bytes = ctx.threshold(
        rule::BASELINE_DAILY_BYTES_ANOMALY,
        "min_bytes",
        256.0 * 1024.0 * 1024.0,
    );
    let upper = band_upper(&days).max(factor * med).max(min_bytes);
    // Over the band even without the day's largest transfer: the excess is spread over many
    // reads (data drained away), not one big object (object sizes are heavy-tailed).
    let largest = p.cur_day_largest.total as f64;
    if today - largest > upper {
        let a = Access {
            time: p.cur_day * crate::detect::baseline::NANOS_PER_DAY,
            ..who
        };
        let day = crate::time::rfc3339(a.time);
        out.emit(
            ctx,
            rule::BASELINE_DAILY_BYTES_ANOMALY,
            &a,
            || {
                format!(
                    "{} read in one day; daily median for this principal: {}",
                    human_bytes(today),
                    human_bytes(med)
                )
            },
            |f| {
                f.last_seen = p.last_seen.max(a.time);
                f.set("observed_bytes_day", today);
                f.set("baseline_median_day", med.round());
                f.set("baseline_upper_band", upper.round());
                f.set("largest_object_bytes_day", largest);
                f.set(
                    "ratio_to_median",
                    if med > 0.0 {
                        (today / med * 10.0).round() / 10.0
                    } else {
                        0.0
                    },
                );
                f.set("day", crate::text::prefix(&day, 10).to_string());
            },
        );
        p.cur_day_suspect = true;
    }
}

/// `1.2 GB`, `340.0 MB`.
pub fn human_bytes(b: f64) -> String {
    const UNITS: [&str; 5] = ["B", "KB", "MB", "GB", "TB"];
    let mut v = b;
    let mut u = 0;
    while v >= 1000.0 && u < UNITS.len() - 1 {
        v /= 1000.0;
        u += 1;
    }
    format!("{v:.1} {}", UNITS[u])
}

/// Whole hours and days against the principal's history (bytes, requests, distinct objects).
pub(crate) struct Statistics;

impl crate::detect::detector::Detector for Statistics {
    fn name(&self) -> &'static str {
        "statistics"
    }

    fn rule_ids(&self) -> &'static [&'static str] {
        RULE_IDS
    }

    fn stages(&self) -> crate::detect::detector::Stages {
        use crate::detect::detector::Stages;
        Stages::CLOSE_HOUR.and(Stages::CLOSE_DAY)
    }

    fn close_hour(&mut self, p: &mut Profile, out: &mut Emitter, ctx: &Ctx) {
        close_hour(p, out, ctx);
    }

    fn close_day(&mut self, p: &mut Profile, out: &mut Emitter, ctx: &Ctx) {
        close_day(p, out, ctx);
    }
}
