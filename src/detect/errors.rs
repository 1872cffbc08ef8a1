//! Errors: bursts of access-denied and jumps in the error rate — probing for what stolen
//! credentials can reach.

use crate::catalogue::rule;
use crate::catalogue::Severity;
use crate::detect::access::Access;
use crate::detect::baseline::Profile;
use crate::detect::emit::{Ctx, Emitter};

pub const RULE_IDS: &[&str] = &[
    rule::BASELINE_ACCESS_DENIED_BURST,
    rule::BASELINE_ERROR_RATE_JUMP,
];

const DENIED: usize = 3;

pub(crate) fn count(p: &mut Profile, out: &mut Emitter, ctx: &Ctx, a: &Access) -> bool {
    p.last_event_update(a);
    if !a.error() {
        return false;
    }
    p.cur.errors += 1;
    if !(a.http_status == 403 || ctx.names.denied.contains(&a.status)) {
        return false;
    }
    p.cur.denied += 1;
    let bit = 1u8 << DENIED;
    let n = p.cur.denied as f64;
    if p.cur_fired & bit != 0 {
        // Extends the open finding only (see volume: anonymous findings are per bucket).
        let sev = out.extend(ctx, rule::BASELINE_ACCESS_DENIED_BURST, a, |f| {
            f.peak = f.peak.max(n)
        });
        return sev.is_some_and(|s| s >= Severity::Medium);
    }
    let threshold = ctx.threshold(rule::BASELINE_ACCESS_DENIED_BURST, "per_hour", 20.0);
    if n <= threshold {
        return false;
    }
    let has_baseline = p.age_days(a.time) >= ctx.cfg.novelty_min_days;
    let upper = if has_baseline {
        p.hour_limit(DENIED, |s| s.denied as f64)
    } else {
        0.0
    };
    if n <= upper {
        return false;
    }
    p.cur_fired |= bit;
    let status = ctx.syms.text(a.status);
    let sev = out.emit(
        ctx,
        rule::BASELINE_ACCESS_DENIED_BURST,
        a,
        || format!("{} denied requests in one hour ({status})", n as u64),
        |f| {
            if crate::detect::habits::learning(p, ctx, a.time) {
                f.severity = crate::catalogue::Catalogue::get().level(
                    rule::BASELINE_ACCESS_DENIED_BURST,
                    crate::catalogue::Case::Learning,
                    f.severity,
                );
                f.score = f.severity.base_score();
            }
            f.set("observed_denied_per_hour", n);
            f.set("threshold", threshold);
            f.set("baseline_upper_band", upper.round());
        },
    );
    sev >= Severity::Medium
}

/// A closed hour where most requests failed, for a principal whose errors are normally rare.
pub(crate) fn close_hour(p: &mut Profile, out: &mut Emitter, ctx: &Ctx) {
    let Some(who) = p.last_event.clone() else {
        return;
    };
    let req = p.cur.requests as f64;
    let min = ctx.threshold(rule::BASELINE_ERROR_RATE_JUMP, "min_requests", 30.0);
    let rate_limit = ctx.threshold(rule::BASELINE_ERROR_RATE_JUMP, "rate", 0.5);
    if req < min
        || p.age_days(p.cur_first) < ctx.cfg.novelty_min_days
        || p.cur_fired & (1 << DENIED) != 0
    {
        return;
    }
    let rate = p.cur.errors as f64 / req;
    if rate <= rate_limit {
        return;
    }
    let (hist_err, hist_req) = p
        .hours
        .iter()
        .filter(|h| !h.suspect)
        .fold((0u64, 0u64), |(e, r), h| {
            (e + h.stat.errors as u64, r + h.stat.requests as u64)
        });
    let usual = if hist_req > 0 {
        hist_err as f64 / hist_req as f64
    } else {
        0.0
    };
    if usual >= 0.1 {
        return;
    }
    let a = Access {
        time: p.cur_first,
        file: p.cur_sample.0,
        offset: p.cur_sample.1,
        ..who
    };
    let end = p.cur_last;
    out.emit(
        ctx,
        rule::BASELINE_ERROR_RATE_JUMP,
        &a,
        || {
            format!(
                "{:.0} % of {} requests failed in one hour; usually {:.1} %",
                rate * 100.0,
                req as u64,
                usual * 100.0
            )
        },
        |f| {
            f.last_seen = end;
            f.event_count = p.cur.requests as u64;
            f.set("error_rate", (rate * 1000.0).round() / 1000.0);
            f.set("baseline_error_rate", (usual * 1000.0).round() / 1000.0);
        },
    );
}

/// Bursts of denied calls and jumps in the error rate.
pub(crate) struct Errors;

impl crate::detect::detector::Detector for Errors {
    fn name(&self) -> &'static str {
        "errors"
    }

    fn rule_ids(&self) -> &'static [&'static str] {
        RULE_IDS
    }

    fn stages(&self) -> crate::detect::detector::Stages {
        use crate::detect::detector::Stages;
        Stages::JUDGE.and(Stages::CLOSE_HOUR)
    }

    fn judge(
        &mut self,
        p: &mut Profile,
        a: &Access,
        j: &mut crate::detect::detector::Judged,
        out: &mut Emitter,
        ctx: &Ctx,
    ) {
        j.flagged |= count(p, out, ctx, a);
    }

    fn close_hour(&mut self, p: &mut Profile, out: &mut Emitter, ctx: &Ctx) {
        close_hour(p, out, ctx);
    }
}
