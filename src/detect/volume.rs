//! Volume: bulk download, enumeration, mass deletion — per principal per hour, on every cloud.
//!
//! The fixed thresholds of the catalogue apply as they stand to a principal without a
//! baseline. Once it has one, they fire only when the hour is also above the principal's own
//! band for that hour of the day ([`crate::detect::baseline::band_upper`]): the nightly ETL job that
//! reads thousands of objects at 02:00 stays quiet, the same volume at a new hour does not.

use crate::catalogue::rule;
use crate::catalogue::Severity;
use crate::detect::access::Access;
use crate::detect::baseline::{HourStat, Profile};
use crate::detect::emit::{Ctx, Emitter};
use crate::event::{ActionClass, Provider};
use crate::text::thousands;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Kind {
    Reads = 0,
    Lists = 1,
    Deletes = 2,
}

/// Rule ids by kind and provider.
pub(crate) fn rule(kind: Kind, provider: Provider) -> &'static str {
    match (kind, provider) {
        (Kind::Reads, Provider::Aws) => rule::AWS_S3_BULK_DOWNLOAD,
        (Kind::Reads, Provider::Gcp) => rule::GCP_GCS_BULK_DOWNLOAD,
        (Kind::Reads, Provider::Azure) => rule::AZURE_BLOB_BULK_DOWNLOAD,
        (Kind::Lists, Provider::Aws) => rule::AWS_S3_ENUMERATION,
        (Kind::Lists, Provider::Gcp) => rule::GCP_GCS_ENUMERATION,
        (Kind::Lists, Provider::Azure) => rule::AZURE_BLOB_ENUMERATION,
        (Kind::Deletes, Provider::Aws) => rule::AWS_S3_MASS_DELETE,
        (Kind::Deletes, Provider::Gcp) => rule::GCP_GCS_MASS_DELETE,
        (Kind::Deletes, Provider::Azure) => rule::AZURE_BLOB_MASS_DELETE,
    }
}

pub const RULE_IDS: &[&str] = &[
    rule::AWS_S3_BULK_DOWNLOAD,
    rule::GCP_GCS_BULK_DOWNLOAD,
    rule::AZURE_BLOB_BULK_DOWNLOAD,
    rule::AWS_S3_ENUMERATION,
    rule::GCP_GCS_ENUMERATION,
    rule::AZURE_BLOB_ENUMERATION,
    rule::AWS_S3_MASS_DELETE,
    rule::GCP_GCS_MASS_DELETE,
    rule::AZURE_BLOB_MASS_DELETE,
    rule::BASELINE_AFTER_HOURS_BULK,
];

fn field(kind: Kind) -> fn(&HourStat) -> f64 {
    match kind {
        Kind::Reads => |s| s.reads as f64,
        Kind::Lists => |s| s.lists as f64,
        Kind::Deletes => |s| s.deletes as f64,
    }
}

fn verb(kind: Kind) -> &'static str {
    match kind {
        Kind::Reads => "object reads",
        Kind::Lists => "list calls",
        Kind::Deletes => "deletions",
    }
}

/// Counts the event into the open hour; fires when a threshold and the band are crossed.
/// Returns true when the event belongs to a finding of medium or above.
pub(crate) fn count(
    p: &mut Profile,
    out: &mut Emitter,
    ctx: &Ctx,
    a: &Access,
    new_place: bool,
) -> bool {
    if p.cur.requests == 0 {
        p.cur_first = a.time;
        p.cur_sample = (a.file, a.offset);
    }
    p.cur.requests += 1;
    p.cur_last = a.time;
    // Sizes come from records: an attacker can write 2^64 - 1 twice.
    p.cur.bytes_out = p.cur.bytes_out.saturating_add(a.bytes_out);
    p.cur_day_bytes = p.cur_day_bytes.saturating_add(a.bytes_out);
    if a.bytes_out > 0 {
        p.cur_day_largest.add(a.object_hash, a.bytes_out);
        p.cur_largest.add(a.object_hash, a.bytes_out);
    }
    // Failed reads and deletes moved no data; failed lists are still discovery attempts. Only
    // the object stores' own calls count: KMS decryptions, SSM deletions and EC2 descriptions
    // are reads, deletes and lists of other services.
    if (a.error() && a.class != ActionClass::List) || !a.storage() {
        return false;
    }
    let kind = match a.class {
        ActionClass::Read if !ctx.names.metadata_reads.contains(&a.action) => {
            p.cur.reads += 1;
            if a.object_hash != 0 && p.cur_objects.len() < 100_000 {
                p.cur_objects.insert(a.object_hash);
            }
            Kind::Reads
        }
        ActionClass::List => {
            p.cur.lists += 1;
            if p.cur_listed.len() < 8 && !p.cur_listed.contains(&a.bucket) {
                p.cur_listed.push(a.bucket);
            }
            Kind::Lists
        }
        ActionClass::Delete => {
            p.cur.deletes += 1;
            Kind::Deletes
        }
        _ => return false,
    };
    p.cur_calls.add(kind as u8, a.action);
    let rule = rule(kind, a.provider());
    let bit = 1u8 << kind as u8;
    let count = field(kind)(&p.cur);
    if p.cur_fired & bit != 0 {
        // Already firing this hour: the event is part of it (and flagged only if the finding
        // is an alert: a learning-period note must not keep the hour out of the baseline).
        // Anonymous findings are per bucket while the count is the principal's: a read of
        // another bucket in the same hour extends nothing and opens nothing.
        let sev = out.extend(ctx, rule, a, |f| {
            f.peak = f.peak.max(count);
            // A new principal's workload that keeps growing past three times the
            // threshold is a raid after all.
            let modest = f.evidence.get("new_principal_modest_volume").is_some();
            let threshold = f
                .evidence
                .get("threshold")
                .and_then(|v| v.as_f64())
                .unwrap_or(f64::MAX);
            if modest && count > 3.0 * threshold {
                f.evidence.remove("new_principal_modest_volume");
                let sev = crate::catalogue::Catalogue::get()
                    .rule(rule)
                    .map(|r| r.severity)
                    .unwrap_or(Severity::High);
                f.severity = ctx.cfg.severity.get(rule).copied().unwrap_or(sev);
                f.score = f.severity.base_score();
            }
        });
        return sev.is_some_and(|s| s >= Severity::Medium);
    }
    let provider = match a.provider() {
        Provider::Aws => 0,
        Provider::Gcp => 1,
        Provider::Azure => 2,
    };
    let base = ctx.volume_per_hour[kind as usize][provider];
    // Under the threshold (nearly every event): nothing more to work out.
    if count <= base {
        return false;
    }
    let has_baseline = p.age_days(a.time) >= ctx.cfg.novelty_min_days;
    let irregular = p.active_hours_of_day() >= 12;
    let usual_context = has_baseline
        && !new_place
        && (irregular || crate::detect::habits::hour_is_near_normal(p, ctx, a.time));
    // The fixed threshold is a blunt default: a principal with a baseline, from a network it
    // knows, at an hour it keeps, gets twice the room.
    let threshold = base * if usual_context { 2.0 } else { 1.0 };
    if count <= threshold {
        return false;
    }
    // Enumeration is discovery across resources: many lists of one bucket (a deploy job
    // syncing its own prefix) count only when far over the threshold.
    if kind == Kind::Lists && p.cur_listed.len() < 3 && count <= 3.0 * threshold {
        return false;
    }
    // With a baseline: above the band of this hour of the day, and — at an hour the principal
    // keeps and from a place it knows — also above the busiest hours it has had (an analyst's
    // occasional big read, a deploy burst). At a new hour or from a new network, the same
    // volume is not excused.
    let upper = if has_baseline {
        let band = p.hour_limit(kind as usize, field(kind));
        // Listing one or two buckets over and over is how deploy jobs sync their prefixes,
        // whatever the hour or runner: within twice its busiest hours it is not discovery.
        let one_place_lists = kind == Kind::Lists && p.cur_listed.len() < 3;
        if usual_context || one_place_lists {
            band.max(2.0 * p.any_hour_p99(field(kind)))
        } else {
            band
        }
    } else {
        0.0
    };
    if count <= upper {
        return false;
    }
    let learning = crate::detect::habits::learning(p, ctx, a.time);
    // A principal new in the data, without a baseline: the fixed threshold applies, but a
    // new workload just over it is not yet a raid; three times over it is.
    let new_and_modest = !has_baseline && !learning && count <= 3.0 * threshold;
    // A principal new in the data that read as much at this hour yesterday: a new daily job
    // settling in (its first day was reported), not a second raid.
    let new_daily_job = !has_baseline
        && !learning
        && p.hours.iter().rev().take(48).any(|h| {
            (p.cur_hour - 25..=p.cur_hour - 23).contains(&h.hour)
                && field(kind)(&h.stat) > threshold
        });
    let new_and_modest = new_and_modest || new_daily_job;
    p.cur_fired |= bit;
    let usual = if has_baseline {
        crate::detect::baseline::quantile(&p.same_hour_values(p.cur_hour, field(kind)), 0.99)
    } else {
        0.0
    };
    let hour = p.cur_hour;
    let objects = p.cur_objects.len();
    let counted_calls = p.cur_calls.of(kind as u8, ctx.syms);
    let sev = out.emit(
        ctx,
        rule,
        a,
        || {
            if has_baseline {
                format!(
                    "{} {} in one hour; 30-day p99 for this principal at this hour: {}",
                    thousands(count as u64),
                    verb(kind),
                    thousands(usual.round() as u64)
                )
            } else {
                format!(
                    "{} {} in one hour (over the {} threshold; no baseline yet)",
                    thousands(count as u64),
                    verb(kind),
                    thousands(threshold as u64)
                )
            }
        },
        |f| {
            if learning || new_and_modest {
                let case = if learning {
                    crate::catalogue::Case::Learning
                } else {
                    crate::catalogue::Case::Probation
                };
                f.severity = crate::catalogue::Catalogue::get().level(rule, case, f.severity);
                f.score = f.severity.base_score();
                f.set(
                    if learning {
                        "learning_period"
                    } else if new_daily_job {
                        // (Not "modest": it does not turn into a raid by growing.)
                        "new_principal_same_hour_yesterday"
                    } else {
                        "new_principal_modest_volume"
                    },
                    true,
                );
            }
            f.set("observed_per_hour", count);
            f.set("threshold", threshold);
            f.set("baseline_p99_same_hour", usual.round());
            f.set("baseline_upper_band", upper.round());
            f.set("has_baseline", has_baseline);
            if kind == Kind::Reads {
                f.set("distinct_objects", objects as u64);
            }
            // Which calls made the count (the object store's own, by API).
            f.set("counted_calls", counted_calls);
            let mut features = vec![format!("above the fixed threshold ({threshold})")];
            if has_baseline {
                features.push(format!(
                    "above the principal's own band for this hour ({})",
                    upper.round()
                ));
            }
            f.set("features", features);
            f.set(
                "hour",
                crate::time::rfc3339(hour * crate::time::NANOS_PER_HOUR),
            );
        },
    );
    // The same volume at an hour that is not normal for the principal is worse.
    if !learning
        && !new_and_modest
        && !crate::detect::habits::hour_is_near_normal(p, ctx, a.time)
        && !ctx.business(p, a.time)
    {
        out.emit(
            ctx,
            rule::BASELINE_AFTER_HOURS_BULK,
            a,
            || {
                format!(
                    "{} {} outside business hours, at an hour unusual for this principal",
                    thousands(count as u64),
                    verb(kind)
                )
            },
            |f| {
                f.set("observed_per_hour", count);
                f.set("related_rule", rule);
            },
        );
    }
    sev >= Severity::Medium
}

/// The volume rules' per-hour thresholds, [kind][provider] (see [`Ctx::volume_per_hour`]).
pub(crate) fn thresholds(cfg: &crate::detect::config::DetectConfig) -> [[f64; 3]; 3] {
    use crate::event::Provider;
    [Kind::Reads, Kind::Lists, Kind::Deletes].map(|kind| {
        [Provider::Aws, Provider::Gcp, Provider::Azure]
            .map(|provider| cfg.threshold(rule(kind, provider), "per_hour", 100.0))
    })
}

/// Reads, lists and deletes in an hour against the principal's band for that hour.
pub(crate) struct Volume;

impl crate::detect::detector::Detector for Volume {
    fn name(&self) -> &'static str {
        "volume"
    }

    fn rule_ids(&self) -> &'static [&'static str] {
        RULE_IDS
    }

    fn stages(&self) -> crate::detect::detector::Stages {
        use crate::detect::detector::Stages;
        Stages::JUDGE
    }

    fn judge(
        &mut self,
        p: &mut Profile,
        a: &Access,
        j: &mut crate::detect::detector::Judged,
        out: &mut Emitter,
        ctx: &Ctx,
    ) {
        j.flagged |= count(p, out, ctx, a, j.new_keys.ip);
    }
}
