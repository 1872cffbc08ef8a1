//! Time: access outside business hours, quiet when the principal's own history shows the hour
//! is normal for it (a night-shift ETL role, staff in another time zone).

use crate::catalogue::rule;
use crate::catalogue::Severity;
use crate::detect::access::Access;
use crate::detect::baseline::Profile;
use crate::detect::emit::{Ctx, Emitter};
use crate::detect::habits::{hour_is_normal, learning};
use crate::event::PrincipalType;
use crate::time::NANOS_PER_HOUR;

pub const RULE_IDS: &[&str] = &[rule::BASELINE_AFTER_HOURS_ACCESS];

/// Active days that make a routine.
const MIN_ROUTINE_DAYS: usize = 10;

/// Hours of the window (day and hour) the principal was active outside its business hours:
/// someone who works an odd hour now and then does not raise an alarm at the next one.
fn off_hours_activity(p: &mut Profile, ctx: &Ctx) -> u32 {
    if let Some((hour, n)) = p.off_hours_memo {
        if hour == p.cur_hour {
            return n;
        }
    }
    let n = p
        .active_by_hour_of_week
        .iter()
        .enumerate()
        .filter(|&(s, &n)| n > 0 && !ctx.business(p, crate::detect::baseline::hour_of_week_time(s)))
        .map(|(_, &n)| n as u32)
        .sum();
    p.off_hours_memo = Some((p.cur_hour, n));
    n
}

/// Requests at an odd hour that make a session (more than a file fetched in the evening).
const SESSION_EVENTS: u64 = 3;

/// Off-hours activity (see [`off_hours_activity`]) that makes odd hours part of a routine.
const ODD_HOURS_HABIT: u32 = 3;

pub(crate) fn judge(p: &mut Profile, out: &mut Emitter, ctx: &Ctx, a: &Access) -> bool {
    if ctx.business(p, a.time)
        || matches!(
            a.principal_type,
            PrincipalType::Service | PrincipalType::Account
        )
    {
        return false;
    }
    let has_baseline = p.age_days(a.time) >= ctx.cfg.novelty_min_days;
    if has_baseline && hour_is_normal(p, ctx, a.time) {
        return false;
    }
    // Medium when the principal has a settled routine (active on several days) and never
    // worked at this hour of the day (or the hours either side) in the window; a principal
    // with irregular hours, or one seen at this hour once or twice, is low.
    // Two hours either side: working late is not the same as working at 03:00.
    let hod = a.time.div_euclid(NANOS_PER_HOUR).rem_euclid(24) as usize;
    let seen_near: u16 = (0..5)
        .map(|d| {
            let h = (hod + 22 + d) % 24;
            p.active_at(h) + p.suspect_at(h)
        })
        .sum();
    let settled = has_baseline
        && p.active_days.len() >= MIN_ROUTINE_DAYS
        && seen_near == 0
        && !learning(p, ctx, a.time)
        && off_hours_activity(p, ctx) < ODD_HOURS_HABIT;
    // Built only when a finding opens: this path runs for every after-hours event.
    let when = || {
        let (local_hour, weekday) = ctx.cfg.local_hour_weekday(a.time);
        format!(
            "{} {:02}:{:02}",
            crate::time::WEEKDAYS[weekday],
            local_hour,
            a.time.div_euclid(60_000_000_000).rem_euclid(60)
        )
    };
    let sev = out.emit_with(
        ctx,
        rule::BASELINE_AFTER_HOURS_ACCESS,
        a,
        || {
            if has_baseline {
                format!("activity at {}, outside business hours and at an hour this principal is not normally active", when())
            } else {
                format!("activity at {}, outside business hours (principal without a baseline yet)", when())
            }
        },
        |f| {
            // An odd hour says little on its own: the rule's own level (low) until something
            // else joins it in an incident. With a settled routine, a few requests (a session,
            // not one file fetched in the evening) make the catalogue's `session` level: see
            // the update below.
            f.set("active_days_in_window", p.active_days.len() as u64);
            f.set("local_time", when());
            f.set("business_hours", format!("{:02}:00-{:02}:00", ctx.cfg.business_start_hour, ctx.cfg.business_end_hour));
            f.set("has_baseline", has_baseline);
            let active: Vec<u16> = (0..24).map(|h| p.active_at(h)).collect();
            f.set("active_days_by_hour_utc", active);
            let how = crate::detect::baseline::hour_of_week(a.time.div_euclid(NANOS_PER_HOUR));
            f.set("active_days_at_this_hour_of_week", p.active_days_by_hour_of_week()[how]);
        },
        |f| {
            f.extra_mitre.extend(crate::detect::techniques::activity_techniques(a).into_iter().flatten());
            let session = crate::catalogue::Catalogue::get().level(
                rule::BASELINE_AFTER_HOURS_ACCESS,
                crate::catalogue::Case::Session,
                f.severity,
            );
            if f.event_count >= SESSION_EVENTS
                && f.severity < session
                && !ctx.cfg.severity.contains_key(rule::BASELINE_AFTER_HOURS_ACCESS)
                && settled
            {
                f.severity = session;
                f.score = f.severity.base_score();
            }
        },
    );
    sev >= Severity::Medium
}

/// Activity outside the principal's usual hours.
pub(crate) struct Timing;

impl crate::detect::detector::Detector for Timing {
    fn name(&self) -> &'static str {
        "timing"
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
        if a.principal_type != PrincipalType::Anonymous {
            j.flagged |= judge(p, out, ctx, a);
        }
    }
}
