//! Settings of the stateful detectors, owned here (as Vector's components own theirs):
//! `trailhound.toml` is parsed by [`crate::config`], which fills these in.

use crate::catalogue::{Catalogue, Severity};
use crate::detect::baseline::NANOS_PER_DAY;
use crate::detect::rules::Cidr;
use crate::time::NANOS_PER_HOUR;

/// Settings of the stateful detectors (defaults from the catalogue; `trailhound.toml`
/// overrides them).
#[derive(Clone, Debug)]
pub struct DetectConfig {
    pub history_days: i64,
    /// Novelty detectors stay quiet for a principal's first days.
    pub novelty_min_days: f64,
    pub business_start_hour: u32,
    pub business_end_hour: u32,
    /// Monday = 0 … Sunday = 6.
    pub workdays: [bool; 7],
    /// The business-hours time zone.
    pub tz: Zone,
    /// Findings of the same rule and principal closer than this are one finding.
    pub merge_gap: i64,
    /// Per-rule severity overrides.
    pub severity: std::collections::BTreeMap<String, Severity>,
    /// Rules switched off.
    pub disabled: std::collections::BTreeSet<String>,
    /// Per-rule threshold overrides: (rule, key) → value.
    pub thresholds: std::collections::BTreeMap<(String, String), f64>,
    /// Business hours for principals matching a pattern (first match wins).
    pub hours_rules: Vec<HoursRule>,
    /// Findings these cover are reported as info.
    pub allow: AllowLists,
    /// Changes inside a window (by the listed principals) are reported as info.
    pub change_windows: Vec<ChangeWindowRule>,
    /// GeoIP / ASN databases, when given: new countries, new ASNs, impossible travel.
    pub geoip: Option<std::sync::Arc<crate::geo::GeoDb>>,
    /// What the detection state may hold (`[limits] memory_mib`).
    pub limits: crate::detect::cardinality::Limits,
}

impl Default for DetectConfig {
    fn default() -> Self {
        DetectConfig {
            history_days: 30,
            novelty_min_days: 7.0,
            business_start_hour: 8,
            business_end_hour: 18,
            workdays: [true, true, true, true, true, false, false],
            tz: Zone::Fixed(0),
            merge_gap: NANOS_PER_HOUR,
            severity: Default::default(),
            disabled: Default::default(),
            thresholds: Default::default(),
            hours_rules: Vec::new(),
            allow: Default::default(),
            change_windows: Vec::new(),
            geoip: None,
            limits: Default::default(),
        }
    }
}

impl DetectConfig {
    pub fn window(&self) -> i64 {
        self.history_days * NANOS_PER_DAY
    }

    pub fn threshold(&self, rule: &str, key: &str, default: f64) -> f64 {
        self.thresholds
            .get(&(rule.to_string(), key.to_string()))
            .copied()
            .unwrap_or_else(|| Catalogue::get().threshold(rule, key, default))
    }

    /// Local hour of day and weekday (Monday = 0) in the business time zone.
    pub fn local_hour_weekday(&self, t: i64) -> (u32, usize) {
        let local = self.tz.local(t);
        let hour = local.div_euclid(NANOS_PER_HOUR).rem_euclid(24) as u32;
        // 1970-01-01 was a Thursday (weekday 3).
        let weekday = (local.div_euclid(NANOS_PER_DAY) + 3).rem_euclid(7) as usize;
        (hour, weekday)
    }

    pub fn in_business_hours(&self, t: i64) -> bool {
        self.in_hours(None, t)
    }

    /// Business hours of a principal (`rule` indexes [`DetectConfig::hours_rules`]).
    pub fn in_hours(&self, rule: Option<u16>, t: i64) -> bool {
        let (start, end, tz, workdays) = match rule.and_then(|r| self.hours_rules.get(r as usize)) {
            Some(r) => (r.start_hour, r.end_hour, &r.tz, &r.workdays),
            None => (
                self.business_start_hour,
                self.business_end_hour,
                &self.tz,
                &self.workdays,
            ),
        };
        let local = tz.local(t);
        let h = local.div_euclid(NANOS_PER_HOUR).rem_euclid(24) as u32;
        let wd = (local.div_euclid(NANOS_PER_DAY) + 3).rem_euclid(7) as usize;
        workdays[wd] && h >= start && h < end
    }
}

/// Business hours for principals matching a pattern.
#[derive(Clone, Debug, PartialEq)]
pub struct HoursRule {
    pub pattern: String,
    pub start_hour: u32,
    pub end_hour: u32,
    pub tz: Zone,
    pub workdays: [bool; 7],
}

/// A time zone of business hours: a fixed offset (`+09:00`), or a named IANA zone
/// (`America/New_York`) whose offset follows daylight saving time.
#[derive(Clone, Debug, PartialEq)]
pub enum Zone {
    /// Minutes east of UTC.
    Fixed(i32),
    Named(jiff::tz::TimeZone),
}

impl Zone {
    /// Nanoseconds since the epoch of the local wall-clock time at `t` (UTC nanoseconds), for
    /// hour-of-day and weekday arithmetic.
    pub fn local(&self, t: i64) -> i64 {
        let offset_s = match self {
            Zone::Fixed(minutes) => i64::from(*minutes) * 60,
            Zone::Named(tz) => jiff::Timestamp::from_nanosecond(i128::from(t))
                .map_or(0, |ts| i64::from(tz.to_offset(ts).seconds())),
        };
        t.saturating_add(offset_s * 1_000_000_000)
    }
}

/// A declared change window.
#[derive(Clone, Debug, PartialEq)]
pub enum Window {
    Absolute {
        start: i64,
        end: i64,
    },
    /// Weekday (Monday = 0) and minutes of the day, in the business-hours time zone.
    Weekly {
        weekday: usize,
        from_min: u32,
        to_min: u32,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub struct ChangeWindowRule {
    pub principals: Vec<String>,
    pub rules: Vec<String>,
    pub window: Window,
}

/// Allow-lists: findings they cover are reported as info, not as alerts.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AllowLists {
    pub principals: Vec<String>,
    pub cidrs: Vec<Cidr>,
    pub user_agents: Vec<String>,
    pub buckets: Vec<String>,
}
