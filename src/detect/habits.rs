//! What is normal for a principal at a time: its hours, its routine, whether its history is
//! still being learned. Questions every detector asks of a profile; none of them raises a
//! finding.

use crate::detect::baseline::Profile;
use crate::detect::emit::Ctx;
use crate::time::NANOS_PER_HOUR;

/// Days a principal must have been active at an hour of the day for that hour to be normal.
const NORMAL_HOUR_DAYS: u16 = 3;

/// The principal was present when the data began and is still within its first days: its
/// history is unknown, not empty. Fixed thresholds report it as low ("learning") rather than
/// treating it like a principal created yesterday.
pub(crate) fn learning(p: &Profile, ctx: &Ctx, t: i64) -> bool {
    let min = ctx.warm_up();
    p.first_seen < ctx.data_start.saturating_add(min) && t - p.first_seen < min
}

/// The principal keeps this hour of the day — it was active within two hours of it on
/// several days of the window — whether or not it is a business hour: the hours the principal
/// itself works, not the office's. (Working late, or a nightly job starting early, is not a
/// new schedule; a job that moves from 02:00 to 14:00 is.)
pub(crate) fn hour_is_near_normal(p: &Profile, ctx: &Ctx, t: i64) -> bool {
    if p.age_days(t) < ctx.cfg.novelty_min_days {
        return false;
    }
    // A day worker's day is one piece: any business hour is its hour. A night job's is not.
    if ctx.business(p, t) && works_business_hours(p, ctx) {
        return true;
    }
    let hod = t.div_euclid(NANOS_PER_HOUR).rem_euclid(24) as usize;
    [(hod + 22) % 24, hod, (hod + 2) % 24]
        .iter()
        .any(|&h| p.days_active_around(h) >= NORMAL_HOUR_DAYS)
}

/// The principal is regularly active during business hours: at least as many active
/// day-hours inside them as there are workdays in a week.
fn works_business_hours(p: &Profile, ctx: &Ctx) -> bool {
    let (start, end) = (
        ctx.cfg.business_start_hour as usize,
        ctx.cfg.business_end_hour as usize,
    );
    let inside: u32 = (start..end.min(24)).map(|h| p.active_at(h) as u32).sum();
    inside >= 5
}

/// The principal has a baseline and is regularly active at this hour of the day (or the hours
/// either side), and has been active at this hour of the week before: a weekday routine at
/// 22:00 does not make Saturday 22:00 normal.
pub(crate) fn hour_is_normal(p: &Profile, ctx: &Ctx, t: i64) -> bool {
    if p.age_days(t) < ctx.cfg.novelty_min_days {
        return false;
    }
    if ctx.business(p, t) {
        return true;
    }
    let hour = t.div_euclid(NANOS_PER_HOUR);
    let hod = hour.rem_euclid(24) as usize;
    let around = [(hod + 23) % 24, hod, (hod + 1) % 24];
    around.iter().any(|&h| p.active_at(h) >= NORMAL_HOUR_DAYS) && p.keeps_hour_of_week(hour)
}
