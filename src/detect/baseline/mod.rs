//! Per-principal baselines: what is normal for this identity — when, from where, with what,
//! how much — learned online over a sliding history window.
//!
//! Each event is judged against the profile *before* it is absorbed. Statistics are robust
//! (median and MAD over the same hour of the day, not mean and standard deviation), and
//! activity that raised a finding of medium or above is held apart ("pending") until it
//! recurs on [`PROMOTE_DAYS`] distinct days, so a patient attacker cannot teach the baseline
//! that their behaviour is normal in one night.

pub mod state;

use std::collections::VecDeque;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::detect::access::Sym;
use crate::time::NANOS_PER_HOUR;

pub const NANOS_PER_DAY: i64 = 24 * NANOS_PER_HOUR;

/// Distinct days a flagged novelty must recur on before it counts as normal.
pub const PROMOTE_DAYS: u8 = 3;

/// Counters of one principal in one hour.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct HourStat {
    pub requests: u32,
    /// Object data reads (GetObject, storage.objects.get, GetBlob).
    pub reads: u32,
    pub lists: u32,
    pub deletes: u32,
    pub errors: u32,
    pub denied: u32,
    pub bytes_out: u64,
}

/// A closed hour kept in the history.
#[derive(Clone, Copy, Debug)]
pub struct HourRecord {
    /// Hours since the epoch.
    pub hour: i64,
    pub stat: HourStat,
    /// True when the hour raised a finding of medium or above: not used as normal.
    pub suspect: bool,
}

/// The network of an address, /24 (IPv4) or /48 (IPv6), and its prefix length.
pub fn network_prefix(ip: IpAddr) -> (IpAddr, u8) {
    match ip {
        IpAddr::V4(v4) => (Ipv4Addr::from(u32::from(v4) & 0xffff_ff00).into(), 24),
        IpAddr::V6(v6) => (
            Ipv6Addr::from(u128::from(v6) & !((1u128 << 80) - 1)).into(),
            48,
        ),
    }
}

/// Network key of an address: its /24 (IPv4) or /48 (IPv6).
pub fn network_of(ip: IpAddr) -> u128 {
    match network_prefix(ip).0 {
        IpAddr::V4(net) => u32::from(net) as u128,
        IpAddr::V6(net) => u128::from(net) | (1 << 127),
    }
}

/// The largest object read in a period, by its size in one transfer: its bytes over all its
/// reads (the same read reported by CloudTrail and by the server access log counts twice).
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LargestObject {
    pub object: u64,
    pub single: u64,
    pub total: u64,
}

impl LargestObject {
    pub fn add(&mut self, object: u64, bytes: u64) {
        if object != 0 && object == self.object {
            self.total = self.total.saturating_add(bytes);
            self.single = self.single.max(bytes);
        } else if bytes > self.single {
            *self = LargestObject {
                object,
                single: bytes,
                total: bytes,
            };
        }
    }
}

/// When something was seen, and on how many distinct days (for promotion).
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Seen {
    pub first: i64,
    pub last: i64,
    pub days: u8,
    /// Held apart because it came with a finding of medium or above.
    pub pending: bool,
}

impl Seen {
    /// First seen at `t`, not pending.
    pub fn first(t: i64) -> Self {
        Seen::new(t, false)
    }

    /// Records another sighting.
    pub fn note(&mut self, t: i64) {
        self.touch(t);
    }

    fn new(t: i64, pending: bool) -> Self {
        Seen {
            first: t,
            last: t,
            days: 1,
            pending,
        }
    }

    fn touch(&mut self, t: i64) {
        if t.div_euclid(NANOS_PER_DAY) != self.last.div_euclid(NANOS_PER_DAY) && self.days < u8::MAX
        {
            self.days += 1;
        }
        self.last = self.last.max(t);
        if self.pending && self.days >= PROMOTE_DAYS {
            self.pending = false;
        }
    }

    /// Holds the entry apart from `t` on: it must recur on [`PROMOTE_DAYS`] days from here.
    pub fn hold_from(&mut self, t: i64) {
        self.pending = true;
        self.days = 1;
        self.last = self.last.max(t);
    }

    /// Known as normal (not pending) and seen within the window.
    pub fn known(&self, now: i64, window: i64) -> bool {
        !self.pending && now - self.last <= window
    }
}

type FastMap<K, V> = hashbrown::HashMap<K, V, foldhash::fast::RandomState>;

/// Most keys one set holds (addresses, networks, agents, APIs, buckets of one principal).
/// A principal past it (a public bucket's crowd under one identity, or an attacker minting
/// addresses and agents) keeps its most recently used half: its novelty is judged against
/// them, and an older key that returns looks new again.
pub const MAX_KEYS_PER_SET: usize = 4096;

/// The middle of `times` (0 when empty): keeping what is later than it keeps the newer half,
/// which is how bounded sets shed their oldest entries in one pass.
pub(crate) fn median_time(mut times: Vec<i64>) -> i64 {
    let mid = times.len() / 2;
    match times.get(mid) {
        Some(_) => *times.select_nth_unstable(mid).1,
        None => 0,
    }
}

/// A set of things a principal has used, with when.
#[derive(Debug)]
pub struct SeenSet<K: std::hash::Hash + Eq> {
    map: FastMap<K, Seen>,
}

impl<K: std::hash::Hash + Eq> Default for SeenSet<K> {
    fn default() -> Self {
        SeenSet {
            map: FastMap::default(),
        }
    }
}

impl<K: std::hash::Hash + Eq + Copy> SeenSet<K> {
    pub fn get(&self, k: &K) -> Option<&Seen> {
        self.map.get(k)
    }

    /// Records a use and says whether the key was known as normal before it (one hash
    /// lookup: judge and absorb in one step).
    pub fn observe(&mut self, k: K, t: i64, window: i64) -> bool {
        match self.map.entry(k) {
            hashbrown::hash_map::Entry::Occupied(mut e) => {
                let known = e.get().known(t, window);
                e.get_mut().touch(t);
                known
            }
            hashbrown::hash_map::Entry::Vacant(e) => {
                e.insert(Seen::new(t, false));
                self.bound();
                false
            }
        }
    }

    /// Keeps the set within [`MAX_KEYS_PER_SET`]: the older half (by last use) goes at once,
    /// so the cost is amortised over the next half's inserts.
    fn bound(&mut self) {
        if self.map.len() <= MAX_KEYS_PER_SET {
            return;
        }
        let cut = median_time(self.map.values().map(|s| s.last).collect());
        self.map.retain(|_, s| s.last > cut);
    }

    /// [`SeenSet::observe`] through a memo: the same known key again on the same day costs a
    /// comparison.
    pub fn observe_memo(&mut self, memo: &mut Option<Memo<K>>, k: K, t: i64, window: i64) -> bool {
        let day = t.div_euclid(NANOS_PER_DAY);
        if let Some(m) = memo {
            if m.key == k && m.day == day {
                m.last = m.last.max(t);
                m.skipped = true;
                return true;
            }
        }
        self.flush_memo(memo, window);
        let known = self.observe(k, t, window);
        *memo = known.then_some(Memo {
            key: k,
            day,
            last: t,
            skipped: false,
        });
        known
    }

    /// Writes a memo's skipped last-seen back into the set.
    pub fn flush_memo(&mut self, memo: &mut Option<Memo<K>>, window: i64) {
        if let Some(m) = memo.take() {
            if m.skipped {
                self.observe(m.key, m.last, window);
            }
        }
    }

    /// Holds a key apart from the baseline (it came with a finding of medium or above) until
    /// it recurs on [`PROMOTE_DAYS`] distinct days.
    pub fn hold(&mut self, k: &K) {
        if let Some(s) = self.map.get_mut(k) {
            // Already held, or promoted by this very sighting (its third day): its days keep
            // counting. Resetting them on every flagged recurrence would mean it could never
            // become normal, however often it recurs.
            if !s.pending && s.days < PROMOTE_DAYS {
                s.pending = true;
                s.days = 1;
            }
        }
    }

    /// Records a use; `flagged` keeps a new entry pending.
    pub fn absorb(&mut self, k: K, t: i64, flagged: bool) {
        match self.map.get_mut(&k) {
            Some(s) => s.touch(t),
            None => {
                self.map.insert(k, Seen::new(t, flagged));
                self.bound();
            }
        }
    }

    /// Forgets entries not seen within `window` of `now`.
    pub fn prune(&mut self, now: i64, window: i64) {
        self.map.retain(|_, s| now - s.last <= window);
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Entries known as normal within the window.
    pub fn known_count(&self, now: i64, window: i64) -> usize {
        self.map.values().filter(|s| s.known(now, window)).count()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&K, &Seen)> {
        self.map.iter()
    }

    /// Restores an entry (from saved state).
    pub fn restore(&mut self, k: K, s: Seen) {
        self.map.insert(k, s);
    }
}

/// Where and when a principal's latest located request came from.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LastPlace {
    pub time: i64,
    pub ip: IpAddr,
    pub country: u16,
    pub lat: f32,
    pub lon: f32,
    /// Accuracy radius of the location, km.
    pub radius_km: u16,
}

/// A principal's activity against its baseline, for reports.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Habit {
    /// Days active per hour of the week (UTC, Monday 00:00 first; 168 cells).
    pub week: Vec<u16>,
    /// Requests per hour over the principal's last week: (hour since the epoch, requests,
    /// flagged), oldest first.
    pub hours: Vec<(i64, u32, bool)>,
    /// Upper edge of the normal band of requests for each hour of the day (UTC).
    pub band: [f64; 24],
}

/// The last key a set was asked about on a day, known then. Asking again for the same key on
/// the same day needs no lookup (it is still known: nothing but its last-seen changes, and
/// only `hold` on new keys makes a key pending); the skipped last-seen is written back by
/// [`SeenSet::flush_memo`] before anything else reads the set.
#[derive(Clone, Copy, Debug)]
pub struct Memo<K> {
    pub key: K,
    pub day: i64,
    pub last: i64,
    pub skipped: bool,
}

/// One memo per set novelty asks about for every event.
#[derive(Clone, Copy, Debug, Default)]
pub struct Memos {
    pub ip: Option<Memo<IpAddr>>,
    pub network: Option<Memo<u128>>,
    pub agent: Option<Memo<u64>>,
    pub api: Option<Memo<Sym>>,
    pub bucket: Option<Memo<Sym>>,
    pub source: Option<Memo<Sym>>,
    pub country: Option<Memo<u16>>,
    pub asn: Option<Memo<u32>>,
}

/// Keys an event added to the profile that were not known as normal before it: held apart
/// if the event turns out to be part of a finding of medium or above.
#[derive(Default, Clone, Copy)]
pub struct NewKeys {
    pub ip: bool,
    pub agent: bool,
    pub api: bool,
    pub bucket: bool,
    pub source: bool,
    pub country: Option<u16>,
    pub asn: Option<u32>,
}

/// The calls counted in the open hour by kind (reads, lists, deletes) and API, for the
/// evidence of a volume finding: which calls made the count. A few APIs per kind are named;
/// the rest are summed.
#[derive(Clone, Debug, Default)]
pub struct CallTally {
    named: [(u8, Sym, u32); 6],
    others: [u32; 3],
}

impl CallTally {
    pub fn add(&mut self, kind: u8, api: Sym) {
        if let Some(e) = self
            .named
            .iter_mut()
            .find(|e| e.2 > 0 && e.0 == kind && e.1 == api)
        {
            e.2 = e.2.saturating_add(1);
        } else if let Some(e) = self.named.iter_mut().find(|e| e.2 == 0) {
            *e = (kind, api, 1);
        } else if let Some(n) = self.others.get_mut(usize::from(kind)) {
            *n = n.saturating_add(1);
        }
    }

    /// The calls of one kind, by API (`"(other calls)"` for those not named).
    pub fn of(&self, kind: u8, syms: &crate::detect::access::Symbols) -> serde_json::Value {
        let mut m = serde_json::Map::new();
        for &(k, api, n) in &self.named {
            if n > 0 && k == kind {
                m.insert(syms.text(api), n.into());
            }
        }
        if let Some(&n) = self.others.get(usize::from(kind)).filter(|n| **n > 0) {
            m.insert("(other calls)".into(), n.into());
        }
        serde_json::Value::Object(m)
    }
}

/// What is normal for one principal.
#[derive(Default, Debug)]
pub struct Profile {
    /// The business-hours rule matching this principal (index into the configuration's
    /// per-principal hours), if any.
    pub hours_rule: Option<u16>,
    pub first_seen: i64,
    pub last_seen: i64,
    /// Closed hours with activity, oldest first, within the history window.
    pub hours: VecDeque<HourRecord>,
    /// Distinct days in the window with flagged hours (big reads, bursts): three or more
    /// make them a habit of the principal.
    pub suspect_days: VecDeque<i64>,
    /// Distinct active days in the window (clean ones).
    pub active_days: VecDeque<i64>,
    /// Daily bytes out of closed days (day number, bytes, suspect).
    pub days: VecDeque<(i64, u64, bool)>,
    pub ips: SeenSet<IpAddr>,
    pub networks: SeenSet<u128>,
    pub agents: SeenSet<u64>,
    pub apis: SeenSet<Sym>,
    pub buckets: SeenSet<Sym>,
    pub sources: SeenSet<Sym>,
    /// Countries (packed ISO codes) and AS numbers of the source addresses, when a GeoIP
    /// database is given.
    pub countries: SeenSet<u16>,
    pub asns: SeenSet<u32>,
    /// The latest located request, for impossible travel.
    pub last_place: Option<LastPlace>,
    /// New networks whose further requests, until the time given, still count towards the
    /// finding about them (see `novelty`).
    pub place_probation: Vec<(u128, i64)>,
    /// The last known key of each set today (see [`Memo`]).
    pub memos: Memos,
    /// The open hour.
    pub cur_hour: i64,
    pub cur: HourStat,
    /// Buckets listed in the open hour (up to a few: enumeration is listing across them).
    pub cur_listed: Vec<Sym>,
    /// The storage calls counted in the open hour, by API.
    pub cur_calls: CallTally,
    /// Hashes of the distinct objects read in the open hour.
    pub cur_objects: hashbrown::HashSet<u64, foldhash::fast::RandomState>,
    /// The open hour raised a finding of medium or above.
    pub cur_suspect: bool,
    /// First and last event time of the open hour, and a raw record of it.
    pub cur_first: i64,
    pub cur_last: i64,
    pub cur_sample: (u32, u64),
    /// Per-hour limits computed once the open hour crossed a fixed threshold (reads, lists,
    /// deletes, denied), and which volume detectors already fired in it (bit per kind).
    pub cur_limits: [Option<f64>; 4],
    pub cur_fired: u8,
    /// For each hour of the week (UTC, Monday 00:00 first), on how many days of the window
    /// the principal was active: in clean hours, and in hours that raised a finding of medium
    /// or above (those become normal once they recur on [`PROMOTE_DAYS`] days: a nightly job
    /// is learned, a one-night raid is not). Kept with the history (168 cells each, allocated
    /// on the first closed hour); the hour-of-day figures are their sums over the week.
    pub active_by_hour_of_week: Vec<u16>,
    pub suspect_by_hour_of_week: Vec<u16>,
    /// The principal's latest event (who, which cloud, a raw record), for findings about
    /// closed hours and days.
    pub last_event: Option<crate::detect::access::Access>,
    /// The open day and its bytes out.
    pub cur_day: i64,
    pub cur_day_bytes: u64,
    /// The open day's largest object read: a day that is big only because of one large
    /// object is not data drained away.
    pub cur_day_largest: LargestObject,
    /// The open hour's largest object read.
    pub cur_largest: LargestObject,
    /// Off-hours activity in the window as of the open hour (hour, hours active): it changes
    /// only as hours close (see `timing`).
    pub off_hours_memo: Option<(i64, u32)>,
    pub cur_day_suspect: bool,
    /// The open day was already judged (at the end of a run): the next run does not judge it
    /// again when it closes.
    pub day_judged: bool,
}

impl Profile {
    /// Writes the memos' skipped last-seen back (before the day rolls over, the sets are pruned,
    /// or the state is saved): the sets end as if every event had been looked up.
    pub fn flush_memos(&mut self, window: i64) {
        let p = self;
        let m = &mut p.memos;
        p.ips.flush_memo(&mut m.ip, window);
        p.networks.flush_memo(&mut m.network, window);
        p.agents.flush_memo(&mut m.agent, window);
        p.apis.flush_memo(&mut m.api, window);
        p.buckets.flush_memo(&mut m.bucket, window);
        p.sources.flush_memo(&mut m.source, window);
        p.countries.flush_memo(&mut m.country, window);
        p.asns.flush_memo(&mut m.asn, window);
    }

    /// Holds the event's new keys apart from the baseline when it was part of a finding of
    /// medium or above.
    pub fn hold_new(&mut self, a: &crate::detect::access::Access, new: NewKeys) {
        let p = self;
        if let Some(ip) = a.source_ip.filter(|_| new.ip) {
            p.ips.hold(&ip);
            p.networks.hold(&network_of(ip));
        }
        if new.agent {
            p.agents.hold(&a.agent_family);
        }
        if new.api {
            p.apis.hold(&a.action);
        }
        if new.bucket {
            p.buckets.hold(&a.bucket);
        }
        if new.source {
            p.sources.hold(&a.event_source);
        }
        if let Some(c) = new.country {
            p.countries.hold(&c);
        }
        if let Some(n) = new.asn {
            p.asns.hold(&n);
        }
    }

    /// Forgets novelty entries that left the history window (once a day).
    pub fn prune(&mut self, now: i64, window: i64) {
        self.ips.prune(now, window);
        self.networks.prune(now, window);
        self.agents.prune(now, window);
        self.apis.prune(now, window);
        self.buckets.prune(now, window);
        self.sources.prune(now, window);
        self.countries.prune(now, window);
        self.asns.prune(now, window);
    }

    pub fn new(t: i64) -> Self {
        Profile {
            first_seen: t,
            last_seen: t,
            cur_hour: t.div_euclid(NANOS_PER_HOUR),
            cur_day: t.div_euclid(NANOS_PER_DAY),
            ..Default::default()
        }
    }

    /// Remembers who the principal is from an event, for findings about closed hours and
    /// days (a few fields, not the whole event: this runs for every event).
    pub fn last_event_update(&mut self, a: &crate::detect::access::Access) {
        match &mut self.last_event {
            Some(e) => {
                if a.source_ip.is_some() {
                    e.source_ip = a.source_ip;
                }
                e.bucket = if a.bucket != 0 { a.bucket } else { e.bucket };
            }
            None => {
                self.last_event = Some(a.identity());
            }
        }
    }

    /// The band of the open hour for a counter, computed once per hour.
    pub fn hour_limit(&mut self, slot: usize, f: impl Fn(&HourStat) -> f64) -> f64 {
        if let Some(v) = self.cur_limits[slot] {
            return v;
        }
        let v = band_upper(&self.same_hour_values(self.cur_hour, f));
        self.cur_limits[slot] = Some(v);
        v
    }

    /// Days since the principal was first seen.
    pub fn age_days(&self, now: i64) -> f64 {
        (now - self.first_seen) as f64 / NANOS_PER_DAY as f64
    }

    /// Moves a closed hour into the history and forgets what left the window.
    pub fn close_hour(&mut self, window: i64) {
        if self.cur.requests > 0 {
            let rec = HourRecord {
                hour: self.cur_hour,
                stat: self.cur,
                suspect: self.cur_suspect,
            };
            self.count_hour_of_week(rec.hour, rec.suspect, 1);
            if rec.suspect {
                let day = self.cur_hour.div_euclid(24);
                if self.suspect_days.back() != Some(&day) {
                    self.suspect_days.push_back(day);
                }
            } else {
                let day = self.cur_hour.div_euclid(24);
                if self.active_days.back() != Some(&day) {
                    self.active_days.push_back(day);
                }
            }
            self.hours.push_back(rec);
        }
        self.cur = HourStat::default();
        self.cur_largest = LargestObject::default();
        self.cur_objects.clear();
        self.cur_listed.clear();
        self.cur_calls = CallTally::default();
        self.cur_suspect = false;
        self.cur_limits = [None; 4];
        self.cur_fired = 0;
        let oldest = self.cur_hour - window / NANOS_PER_HOUR;
        while self.hours.front().is_some_and(|h| h.hour < oldest) {
            if let Some(h) = self.hours.pop_front() {
                self.count_hour_of_week(h.hour, h.suspect, -1);
            }
        }
        let oldest_day = oldest.div_euclid(24);
        while self.active_days.front().is_some_and(|&d| d < oldest_day) {
            self.active_days.pop_front();
        }
        while self.suspect_days.front().is_some_and(|&d| d < oldest_day) {
            self.suspect_days.pop_front();
        }
    }

    pub fn close_day(&mut self, window: i64) {
        self.days
            .push_back((self.cur_day, self.cur_day_bytes, self.cur_day_suspect));
        self.cur_day_bytes = 0;
        self.cur_day_largest = LargestObject::default();
        self.cur_day_suspect = false;
        self.day_judged = false;
        let oldest = self.cur_day - window / NANOS_PER_DAY;
        while self.days.front().is_some_and(|d| d.0 < oldest) {
            self.days.pop_front();
        }
    }

    /// Values of `f` for the same hour of the day (and the hours either side, so a job that
    /// drifts by an hour stays normal) on each clean day of the window; days without
    /// activity at those hours count as 0.
    pub fn same_hour_values(&self, hour: i64, f: impl Fn(&HourStat) -> f64) -> Vec<f64> {
        let promoted = self.recurring_suspect(hour.rem_euclid(24) as usize);
        same_hour_per_day(
            self.hours
                .iter()
                .filter(|h| !h.suspect || promoted)
                .map(|h| (h.hour, f(&h.stat))),
            hour,
            self.active_days.len().max(1),
        )
    }

    /// Hours that raised findings at this hour of the day (or either side) on enough days to
    /// count as the principal's routine.
    pub fn recurring_suspect(&self, hod: usize) -> bool {
        let around = [(hod + 23) % 24, hod, (hod + 1) % 24];
        around
            .iter()
            .map(|&h| self.suspect_at(h))
            .max()
            .unwrap_or(0)
            >= PROMOTE_DAYS as u16
    }

    /// Days the principal was active at this hour of the day (or either side), counting
    /// flagged hours once they recur.
    pub fn days_active_around(&self, hod: usize) -> u16 {
        let promoted = self.recurring_suspect(hod);
        [(hod + 23) % 24, hod, (hod + 1) % 24]
            .iter()
            .map(|&h| self.active_at(h) + if promoted { self.suspect_at(h) } else { 0 })
            .max()
            .unwrap_or(0)
    }

    /// The principal's week, its last week's hourly requests and its band, for reports.
    pub fn habit(&self) -> Habit {
        let last = self.hours.back().map(|h| h.hour).unwrap_or(self.cur_hour);
        let mut band = [0.0; 24];
        for (hod, b) in band.iter_mut().enumerate() {
            *b = band_upper(&self.same_hour_values(hod as i64, |s| s.requests as f64));
        }
        Habit {
            week: self.active_days_by_hour_of_week().to_vec(),
            hours: self
                .hours
                .iter()
                .filter(|h| h.hour > last - 168)
                .map(|h| (h.hour, h.stat.requests, h.suspect))
                .collect(),
            band,
        }
    }

    /// Days of the window the principal was active at this hour of the day (clean hours).
    pub fn active_at(&self, hod: usize) -> u16 {
        sum_over_week(&self.active_by_hour_of_week, hod)
    }

    /// Days of the window with flagged activity at this hour of the day.
    pub fn suspect_at(&self, hod: usize) -> u16 {
        sum_over_week(&self.suspect_by_hour_of_week, hod)
    }

    /// Adds (`+1`) or removes (`-1`) an hour of the history in the hour-of-week counts.
    pub fn count_hour_of_week(&mut self, hour: i64, suspect: bool, delta: i32) {
        let counts = if suspect {
            &mut self.suspect_by_hour_of_week
        } else {
            &mut self.active_by_hour_of_week
        };
        if counts.is_empty() {
            counts.resize(168, 0);
        }
        let slot = &mut counts[hour_of_week(hour)];
        *slot = (i32::from(*slot) + delta).clamp(0, i32::from(u16::MAX)) as u16;
    }

    /// For each hour of the week (UTC, Monday 00:00 first), on how many days of the window the
    /// principal was active (clean hours; flagged ones once they recur at their hour).
    pub fn active_days_by_hour_of_week(&self) -> [u16; 168] {
        let mut v = [0u16; 168];
        for (slot, out) in v.iter_mut().enumerate() {
            *out = self.active_by_hour_of_week.get(slot).copied().unwrap_or(0);
            if self.recurring_suspect(slot % 24) {
                *out += self.suspect_by_hour_of_week.get(slot).copied().unwrap_or(0);
            }
        }
        v
    }

    /// The principal was active at this hour of the week, or the hour either side, on some
    /// day of the window: a weekday-only routine does not make Saturday 02:00 normal, a
    /// nightly one does.
    pub fn keeps_hour_of_week(&self, hour: i64) -> bool {
        let slot = hour_of_week(hour);
        [(slot + 167) % 168, slot, (slot + 1) % 168]
            .iter()
            .any(|&s| {
                self.active_by_hour_of_week.get(s).is_some_and(|&n| n > 0)
                    || (self.suspect_by_hour_of_week.get(s).is_some_and(|&n| n > 0)
                        && self.recurring_suspect(s % 24))
            })
    }

    /// Flagged hours on enough distinct days to be a habit of the principal (an analyst's
    /// weekly big reads).
    pub fn habitual_bursts(&self) -> bool {
        self.suspect_days.len() >= PROMOTE_DAYS as usize
    }

    /// The busiest hour of the window for a counter: the principal's demonstrated capacity
    /// (flagged hours count when they recur at their hour of the day, or are a habit).
    pub fn any_hour_p99(&self, f: impl Fn(&HourStat) -> f64) -> f64 {
        let habit = self.habitual_bursts();
        self.hours
            .iter()
            .filter(|h| {
                !h.suspect || habit || self.recurring_suspect(h.hour.rem_euclid(24) as usize)
            })
            .map(|h| f(&h.stat))
            .fold(0.0, f64::max)
    }

    /// Hours of the day at which the principal was active in the window. Many (12 or more)
    /// mean it keeps no schedule, so the hour of the day tells little about it.
    pub fn active_hours_of_day(&self) -> usize {
        (0..24)
            .filter(|&h| self.active_at(h) + self.suspect_at(h) > 0)
            .count()
    }

    /// Daily bytes of closed days in the window (active days only; flagged days count once
    /// they are a habit).
    pub fn daily_bytes(&self) -> Vec<f64> {
        let habit = self.days.iter().filter(|d| d.2).count() >= PROMOTE_DAYS as usize;
        self.days
            .iter()
            .filter(|d| (!d.2 || habit) && d.1 > 0)
            .map(|d| d.1 as f64)
            .collect()
    }
}

/// For each day of a history of hourly `(hour, value)` figures, the largest value at the
/// same hour of the day as `hour` or the hours either side (so a job that drifts by an hour
/// stays normal); at least `days` values, days without any counting as 0.
pub fn same_hour_per_day(
    history: impl Iterator<Item = (i64, f64)>,
    hour: i64,
    days: usize,
) -> Vec<f64> {
    let hod = hour.rem_euclid(24);
    let mut per_day: FastMap<i64, f64> = Default::default();
    for (h, value) in history {
        let d = (h.rem_euclid(24) - hod + 24) % 24;
        if d <= 1 || d == 23 {
            let e = per_day.entry(h.div_euclid(24)).or_insert(0.0);
            *e = e.max(value);
        }
    }
    let mut v: Vec<f64> = per_day.into_values().collect();
    v.resize(v.len().max(days), 0.0);
    v
}

/// An hour of the day's count summed over the seven days of hour-of-week counts.
fn sum_over_week(counts: &[u16], hod: usize) -> u16 {
    counts
        .iter()
        .skip(hod)
        .step_by(24)
        .fold(0u16, |a, &n| a.saturating_add(n))
}

/// Hour of the week (UTC) of an hour since the epoch: 0 is Monday 00:00, 167 Sunday 23:00.
pub fn hour_of_week(hour: i64) -> usize {
    // 1970-01-01 was a Thursday (weekday 3).
    ((hour.div_euclid(24) + 3).rem_euclid(7) * 24 + hour.rem_euclid(24)) as usize
}

/// A time in hour-of-week `slot` (the first such hour after the epoch): 1970-01-05 was a
/// Monday, and slot `s` is `s` hours after it.
pub fn hour_of_week_time(slot: usize) -> i64 {
    (4 * 24 + slot as i64) * NANOS_PER_HOUR
}

/// Median and MAD (median absolute deviation) of a sample.
pub fn median_mad(values: &[f64]) -> (f64, f64) {
    if values.is_empty() {
        return (0.0, 0.0);
    }
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let med = quantile_sorted(&v, 0.5);
    let mut dev: Vec<f64> = v.iter().map(|x| (x - med).abs()).collect();
    dev.sort_by(f64::total_cmp);
    (med, quantile_sorted(&dev, 0.5))
}

/// The q-quantile of a sample.
pub fn quantile(values: &[f64], q: f64) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    quantile_sorted(&v, q)
}

fn quantile_sorted(v: &[f64], q: f64) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    let pos = q.clamp(0.0, 1.0) * (v.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    v[lo] + (v[hi] - v[lo]) * (pos - lo as f64)
}

/// The upper edge of "normal" for a sample of hourly or daily values: the largest of
/// median + 6 MAD (1.4826-scaled), 1.5 × the 95th percentile and 2 × the median.
/// For a principal that is usually idle at that hour, this is 0.
pub fn band_upper(values: &[f64]) -> f64 {
    let (med, mad) = median_mad(values);
    let p95 = quantile(values, 0.95);
    (med + 6.0 * 1.4826 * mad).max(1.5 * p95).max(2.0 * med)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::access::agent_family;

    #[test]
    fn a_set_keeps_its_most_recent_keys_within_the_bound() {
        let mut s: SeenSet<u64> = SeenSet::default();
        let n = MAX_KEYS_PER_SET as u64 * 3;
        for k in 0..n {
            s.observe(k, k as i64, i64::MAX);
        }
        assert!(s.len() <= MAX_KEYS_PER_SET, "{}", s.len());
        assert!(s.len() >= MAX_KEYS_PER_SET / 2);
        assert!(s.get(&(n - 1)).is_some(), "the latest stays");
        assert!(s.get(&0).is_none(), "the oldest went");
        for k in n..n + 10 {
            s.absorb(k, k as i64, false);
        }
        assert!(s.len() <= MAX_KEYS_PER_SET);
    }

    #[test]
    fn robust_stats() {
        let (m, d) = median_mad(&[1.0, 2.0, 3.0, 4.0, 100.0]);
        assert_eq!((m, d), (3.0, 1.0));
        assert_eq!(quantile(&[0.0, 10.0], 0.5), 5.0);
        // A nightly job reading ~5000 objects: 6000 is inside its band, 20000 is not.
        let nightly: Vec<f64> = (0..30).map(|i| 5000.0 + (i % 7) as f64 * 40.0).collect();
        let up = band_upper(&nightly);
        assert!(up > 6000.0 && up < 20000.0, "{up}");
        // Usually idle at that hour: anything is above.
        assert_eq!(band_upper(&[0.0; 30]), 0.0);
    }

    #[test]
    fn agent_families_ignore_versions() {
        assert_eq!(
            crate::detect::access::agent_family("aws-cli/2.15.0 Python/3.11"),
            crate::detect::access::agent_family("aws-cli/2.16.1 Python/3.12")
        );
        assert_eq!(
            agent_family("[Boto3/1.34.11 md/Botocore]"),
            agent_family("Boto3/1.28 Python/3.9")
        );
        assert_ne!(agent_family("aws-cli/2.15.0"), agent_family("curl/8.0"));
    }

    #[test]
    fn flagged_novelty_needs_recurrence() {
        let mut s: SeenSet<u32> = SeenSet::default();
        let day = NANOS_PER_DAY;
        s.absorb(7, 0, true);
        assert!(!s.get(&7).unwrap().known(0, 30 * day));
        s.absorb(7, day + 1, true);
        assert!(!s.get(&7).unwrap().known(day, 30 * day));
        s.absorb(7, 2 * day + 1, true);
        assert!(
            s.get(&7).unwrap().known(2 * day, 30 * day),
            "promoted after 3 distinct days"
        );
        s.prune(40 * day, 30 * day);
        assert!(s.is_empty());
        // Observed and held on each of three days (a flagged call that recurs): promoted too.
        let mut s: SeenSet<u32> = SeenSet::default();
        for d in 0..3 {
            let t = d * day + 5;
            let known = s.observe(9, t, 30 * day);
            assert!(!known, "day {d}");
            s.hold(&9);
        }
        assert!(
            s.observe(9, 3 * day + 5, 30 * day),
            "a habit by the fourth day"
        );
    }

    #[test]
    fn hours_roll_into_history() {
        let mut p = Profile::new(0);
        p.cur.requests = 10;
        p.cur.reads = 9;
        p.close_hour(30 * NANOS_PER_DAY);
        assert_eq!(p.hours.len(), 1);
        assert_eq!(p.active_at(0), 1);
        let v = p.same_hour_values(24, |s| s.reads as f64);
        assert_eq!(v, vec![9.0]);
        // 1970-01-01 00:00 was a Thursday: hour 72 of the week.
        assert_eq!(hour_of_week(0), 72);
        for slot in [0, 72, 167] {
            assert_eq!(hour_of_week(hour_of_week_time(slot) / NANOS_PER_HOUR), slot);
        }
        assert_eq!(p.active_days_by_hour_of_week()[72], 1);
        assert!(p.keeps_hour_of_week(7 * 24) && p.keeps_hour_of_week(7 * 24 + 1));
        assert!(
            !p.keeps_hour_of_week(24),
            "Friday 00:00 is another hour of the week"
        );
        assert_eq!(
            network_of("10.1.2.3".parse().unwrap()),
            network_of("10.1.2.200".parse().unwrap())
        );
        assert_ne!(
            network_of("10.1.2.3".parse().unwrap()),
            network_of("10.1.3.3".parse().unwrap())
        );
    }
}
