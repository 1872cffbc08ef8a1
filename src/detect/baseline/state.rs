//! The baseline's own state between runs: a principal's profile with its symbols written out
//! as text (never this run's symbol numbers), so that a profile saved by one run reads in any
//! other. Derived parts (hour-of-week activity, memos) are rebuilt, not stored.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use crate::detect::access::{Access, Sym, Symbols};
use crate::detect::baseline::{HourRecord, HourStat, Profile, Seen};
use crate::event::{Format, PrincipalType};

/// A principal's profile with its symbols written out.
#[derive(Serialize, Deserialize)]
pub struct ProfileState {
    pub principal: String,
    principal_type: PrincipalType,
    format: Format,
    first_seen: i64,
    last_seen: i64,
    hours: Vec<(i64, HourStat, bool)>,
    suspect_days: Vec<i64>,
    active_days: Vec<i64>,
    days: Vec<(i64, u64, bool)>,
    ips: Vec<(IpAddr, Seen)>,
    networks: Vec<(u128, Seen)>,
    agents: Vec<(u64, Seen)>,
    apis: Vec<(String, Seen)>,
    buckets: Vec<(String, Seen)>,
    sources: Vec<(String, Seen)>,
    #[serde(default)]
    countries: Vec<(u16, Seen)>,
    #[serde(default)]
    asns: Vec<(u32, Seen)>,
    #[serde(default)]
    last_place: Option<crate::detect::baseline::LastPlace>,
    #[serde(default)]
    place_probation: Vec<(u128, i64)>,
    cur_hour: i64,
    cur: HourStat,
    cur_objects: Vec<u64>,
    cur_listed: Vec<String>,
    cur_suspect: bool,
    cur_first: i64,
    cur_last: i64,
    cur_limits: [Option<f64>; 4],
    cur_fired: u8,
    cur_day: i64,
    cur_day_bytes: u64,
    #[serde(default)]
    cur_day_largest: crate::detect::baseline::LargestObject,
    #[serde(default)]
    cur_largest: crate::detect::baseline::LargestObject,
    cur_day_suspect: bool,
    day_judged: bool,
    last_source_ip: Option<IpAddr>,
    last_bucket: String,
}

fn text_set(set: &crate::detect::baseline::SeenSet<Sym>, syms: &Symbols) -> Vec<(String, Seen)> {
    let mut v: Vec<(String, Seen)> = set.iter().map(|(k, s)| (syms.text(*k), *s)).collect();
    v.sort_by(|a, b| a.0.cmp(&b.0));
    v
}

fn plain_set<K: Copy + Ord + std::hash::Hash + Eq>(
    set: &crate::detect::baseline::SeenSet<K>,
) -> Vec<(K, Seen)> {
    let mut v: Vec<(K, Seen)> = set.iter().map(|(k, s)| (*k, *s)).collect();
    v.sort_by_key(|a| a.0);
    v
}

impl ProfileState {
    pub fn from_profile(principal: &str, p: &Profile, syms: &Symbols) -> Self {
        let last = p.last_event.as_ref();
        ProfileState {
            principal: principal.to_string(),
            principal_type: last.map(|a| a.principal_type).unwrap_or_default(),
            format: last.map(|a| a.format).unwrap_or_default(),
            first_seen: p.first_seen,
            last_seen: p.last_seen,
            hours: p
                .hours
                .iter()
                .map(|h| (h.hour, h.stat, h.suspect))
                .collect(),
            suspect_days: p.suspect_days.iter().copied().collect(),
            active_days: p.active_days.iter().copied().collect(),
            days: p.days.iter().copied().collect(),
            ips: plain_set(&p.ips),
            networks: plain_set(&p.networks),
            agents: plain_set(&p.agents),
            apis: text_set(&p.apis, syms),
            buckets: text_set(&p.buckets, syms),
            sources: text_set(&p.sources, syms),
            countries: plain_set(&p.countries),
            asns: plain_set(&p.asns),
            last_place: p.last_place,
            place_probation: p.place_probation.clone(),
            cur_hour: p.cur_hour,
            cur: p.cur,
            cur_objects: {
                let mut v: Vec<u64> = p.cur_objects.iter().copied().collect();
                v.sort_unstable();
                v
            },
            cur_listed: p.cur_listed.iter().map(|s| syms.text(*s)).collect(),
            cur_suspect: p.cur_suspect,
            cur_first: p.cur_first,
            cur_last: p.cur_last,
            cur_limits: p.cur_limits,
            cur_fired: p.cur_fired,
            cur_day: p.cur_day,
            cur_day_bytes: p.cur_day_bytes,
            cur_day_largest: p.cur_day_largest,
            cur_largest: p.cur_largest,
            cur_day_suspect: p.cur_day_suspect,
            day_judged: p.day_judged,
            last_source_ip: last.and_then(|a| a.source_ip),
            last_bucket: last.map(|a| syms.text(a.bucket)).unwrap_or_default(),
        }
    }

    /// Rebuilds the profile, interning its strings in this run's table. Returns the
    /// principal's symbol and the profile.
    pub fn into_profile(self, syms: &Symbols) -> (Sym, Profile) {
        let principal = syms.intern(&self.principal);
        let mut p = Profile::new(self.first_seen);
        p.last_seen = self.last_seen;
        p.hours = self
            .hours
            .into_iter()
            .map(|(hour, stat, suspect)| HourRecord {
                hour,
                stat,
                suspect,
            })
            .collect();
        // Derived from the history (hour-of-week, and so hour-of-day, activity): rebuilt,
        // not stored.
        let hours: Vec<(i64, bool)> = p.hours.iter().map(|h| (h.hour, h.suspect)).collect();
        for (hour, suspect) in hours {
            p.count_hour_of_week(hour, suspect, 1);
        }
        p.suspect_days = self.suspect_days.into_iter().collect();
        p.active_days = self.active_days.into_iter().collect();
        p.days = self.days.into_iter().collect();
        for (k, s) in self.ips {
            p.ips.restore(k, s);
        }
        for (k, s) in self.networks {
            p.networks.restore(k, s);
        }
        for (k, s) in self.agents {
            p.agents.restore(k, s);
        }
        for (k, s) in self.apis {
            p.apis.restore(syms.intern(&k), s);
        }
        for (k, s) in self.buckets {
            p.buckets.restore(syms.intern(&k), s);
        }
        for (k, s) in self.sources {
            p.sources.restore(syms.intern(&k), s);
        }
        for (k, s) in self.countries {
            p.countries.restore(k, s);
        }
        for (k, s) in self.asns {
            p.asns.restore(k, s);
        }
        p.last_place = self.last_place;
        p.place_probation = self.place_probation;
        p.cur_hour = self.cur_hour;
        p.cur = self.cur;
        p.cur_objects = self.cur_objects.into_iter().collect();
        p.cur_listed = self.cur_listed.iter().map(|s| syms.intern(s)).collect();
        p.cur_suspect = self.cur_suspect;
        p.cur_first = self.cur_first;
        p.cur_last = self.cur_last;
        p.cur_limits = self.cur_limits;
        p.cur_fired = self.cur_fired;
        p.cur_day = self.cur_day;
        p.cur_day_bytes = self.cur_day_bytes;
        p.cur_day_largest = self.cur_day_largest;
        p.cur_largest = self.cur_largest;
        p.cur_day_suspect = self.cur_day_suspect;
        p.day_judged = self.day_judged;
        p.last_event = Some(Access {
            time: self.last_seen,
            principal,
            principal_type: self.principal_type,
            format: self.format,
            source_ip: self.last_source_ip,
            bucket: syms.intern(&self.last_bucket),
            file: u32::MAX,
            ..Default::default()
        });
        (principal, p)
    }
}
