//! The detection engine: per-principal profiles, the stateful detectors, and findings.
//!
//! Events arrive in time order ([`crate::detect::merge`]). For each one: single-event rule
//! hits become findings; then the principal's profile is rolled forward to the event's hour
//! (closing hours and days runs the statistics detectors); the novelty and time-of-day
//! detectors judge the event against the profile *as it was before it*; the volume and
//! error detectors count it into the open hour; and only then is it absorbed — held apart
//! if it raised a finding of medium or above.

use crate::catalogue::rule;
use hashbrown::HashMap;

use crate::catalogue::Severity;
use crate::detect::access::{Access, Sym, Symbols};
use crate::detect::baseline::{Profile, NANOS_PER_DAY};
pub use crate::detect::config::DetectConfig;
use crate::detect::detector::{Detector, Judged, Stages};
use crate::detect::emit::{Ctx, Emitter};
use crate::detect::finding::{Finding, FindingAcc};
use crate::detect::{cardinality, volume};
use crate::event::Format;
use crate::time::NANOS_PER_HOUR;

type FastMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

/// Rules the engine raises itself.
pub const RULE_IDS: &[&str] = &[rule::TRAILHOUND_SELF_CHECK];

/// A new profile, with the business hours configured for the principal.
fn new_profile(ctx: &Ctx, principal: Sym, t: i64) -> Profile {
    let mut profile = Profile::new(t);
    profile.hours_rule = hours_rule(ctx, principal);
    profile
}

/// The first business-hours rule whose pattern matches the principal, if any.
fn hours_rule(ctx: &Ctx, principal: Sym) -> Option<u16> {
    let rules = &ctx.cfg.hours_rules;
    if rules.is_empty() {
        return None;
    }
    let name = ctx.syms.text(principal);
    rules
        .iter()
        .position(|r| crate::text::glob(&r.pattern, &name))
        .map(|i| i as u16)
}

/// The stateful detection engine.
pub struct Engine<'a> {
    ctx: Ctx<'a>,
    profiles: FastMap<Sym, Profile>,
    out: Emitter,
    /// The stateful detectors ([`crate::detect::registry::detectors`]), in judging order.
    detectors: Vec<Box<dyn Detector>>,
    /// Which detectors take part in each per-event stage ([`Stages`]), in list order.
    record_stage: Vec<usize>,
    request_stage: Vec<usize>,
    judge_stage: Vec<usize>,
    close_hour_stage: Vec<usize>,
    close_day_stage: Vec<usize>,
    last_time: i64,
    /// Events that arrived older than one already judged.
    pub late_events: u64,
    pub events: u64,
    /// S3 requests reported by both CloudTrail and the server access log, judged once.
    pub duplicate_requests: u64,
    requests: RequestDedup,
    /// Records whose conversion or judgement panicked (contained; the first
    /// [`MAX_FAULTS`]), for the run summary.
    pub faults: Vec<crate::contain::Fault>,
    pending_faults: Vec<crate::contain::Fault>,
    /// The user agent of records the detection stage is asked to fail on (tests only; see
    /// [`crate::contain::injected`]).
    inject: Option<Sym>,
    /// Principals seen once so far, their first event waiting (see [`cardinality`]).
    newcomers: cardinality::Newcomers,
    /// Principals not kept in full, with when they were first seen.
    known_before: cardinality::KnownBefore,
    /// The digest of principals judged on their one event.
    one_shot: cardinality::OneShot,
    /// Full profiles evicted (coldest first) to stay within the memory budget.
    pub evicted_profiles: u64,
    /// Evicted principals not yet removed from the state file.
    dropped: Vec<Sym>,
}

/// What the detection state held, for the run summary.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct StateFigures {
    pub budget_mib: u64,
    /// Principals with a full profile at the end of the run.
    pub profiles: u64,
    /// Principals judged on their only event and kept as a first-seen time.
    pub one_shot_principals: u64,
    /// Full profiles evicted, coldest first, to stay within the budget.
    pub evicted_profiles: u64,
    /// First-seen times forgotten to stay within the budget.
    pub forgotten_principals: u64,
    /// Strings (agents and object keys past half the text budget, any past all of it) not
    /// interned for want of budget.
    pub strings_refused: u64,
}

/// Contained faults kept for the summary (all of them raise the self-check finding).
const MAX_FAULTS: usize = 10_000;

/// How long an S3 request id waits for its second report, in event time.
const REQUEST_PAIR_WINDOW: i64 = 5 * 60 * 1_000_000_000;

/// S3 requests that both CloudTrail (data events) and the server access log report: the same
/// request id in both. Judged once, or every volume would count twice. An unmatched id is kept
/// for [`REQUEST_PAIR_WINDOW`] (the two records carry the same second and reach the detectors
/// in time order), which bounds the memory, and only once both sources are in the data
/// (nothing to do, and nothing spent, for a run of one of them).
#[derive(Default)]
struct RequestDedup {
    sources: u8,
    recent: FastMap<u64, (Format, i64)>,
    pruned: i64,
}

impl RequestDedup {
    fn is_duplicate(&mut self, a: &Access) -> bool {
        self.sources |= if a.format == Format::S3Access { 2 } else { 1 };
        if self.sources != 3 {
            return false;
        }
        if a.time - self.pruned > REQUEST_PAIR_WINDOW / 5 {
            self.recent
                .retain(|_, (_, t)| a.time - *t <= REQUEST_PAIR_WINDOW);
            self.pruned = a.time;
        }
        match self.recent.entry(a.request) {
            hashbrown::hash_map::Entry::Occupied(e) if e.get().0 != a.format => {
                e.remove();
                true
            }
            hashbrown::hash_map::Entry::Occupied(_) => false,
            hashbrown::hash_map::Entry::Vacant(e) => {
                e.insert((a.format, a.time));
                false
            }
        }
    }
}

impl<'a> Engine<'a> {
    pub fn new(syms: &'a Symbols, cfg: &'a DetectConfig) -> Self {
        let detectors = crate::detect::registry::detectors(cfg);
        let taking = |stage: Stages| -> Vec<usize> {
            (0..detectors.len())
                .filter(|&i| detectors[i].stages().has(stage))
                .collect()
        };
        Engine {
            record_stage: taking(Stages::RECORD),
            request_stage: taking(Stages::REQUEST),
            judge_stage: taking(Stages::JUDGE),
            close_hour_stage: taking(Stages::CLOSE_HOUR),
            close_day_stage: taking(Stages::CLOSE_DAY),
            ctx: Ctx::new(syms, cfg, volume::thresholds(cfg)),
            profiles: Default::default(),
            out: Emitter::default(),
            detectors,
            last_time: i64::MIN,
            late_events: 0,
            duplicate_requests: 0,
            requests: RequestDedup::default(),
            events: 0,
            faults: Vec::new(),
            pending_faults: Vec::new(),
            newcomers: Default::default(),
            known_before: Default::default(),
            one_shot: Default::default(),
            evicted_profiles: 0,
            dropped: Vec::new(),
            inject: crate::contain::injected(crate::contain::Stage::Detect)
                .map(|ua| syms.intern(ua)),
        }
    }

    /// [`Engine::process`] with a panic contained to the event: the event is lost to the
    /// baselines (what it had changed stays), the run goes on, and the fault is reported.
    pub fn process_contained(&mut self, a: &Access) {
        let inject = self.inject;
        let judged = crate::contain::guard(|| {
            if inject.is_some_and(|ua| ua == a.user_agent && ua != 0) {
                panic!("injected detect fault (TRAILHOUND_INJECT_PANIC)");
            }
            self.process(a)
        });
        if let Err(message) = judged {
            let fault = crate::contain::Fault {
                stage: crate::contain::Stage::Detect,
                file: a.file,
                offset: a.offset,
                message,
            };
            self.fault_at(fault, a.time, a.principal, a.account);
        }
    }

    /// A record that made a worker's stage panic (reading, parsing, converting): raised as
    /// `trailhound.self_check` when the run ends, at its last event time, since faults from
    /// the workers arrive out of order with the events. Its principal is unknown.
    pub fn fault(&mut self, fault: crate::contain::Fault) {
        self.pending_faults.push(fault);
    }

    pub fn raise_pending_faults(&mut self) {
        let time = if self.last_time != i64::MIN {
            self.last_time
        } else {
            // Not one event was read: the time of the run is all there is.
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos().min(i64::MAX as u128) as i64)
        };
        let mut pending = std::mem::take(&mut self.pending_faults);
        pending.sort_by_key(|f| (f.file, f.offset));
        for fault in pending {
            self.fault_at(fault, time, 0, 0);
        }
    }

    fn fault_at(&mut self, fault: crate::contain::Fault, time: i64, principal: Sym, account: Sym) {
        let principal = if principal != 0 {
            principal
        } else {
            self.ctx.syms.intern("unknown")
        };
        let a = Access {
            time,
            file: fault.file,
            offset: fault.offset,
            principal,
            account,
            ..Default::default()
        };
        let stage = fault.stage;
        // Already bounded where the panic was caught.
        let message = fault.message.clone();
        let note = move |f: &mut FindingAcc| {
            let list = f
                .evidence
                .entry("faults")
                .or_insert_with(|| serde_json::Value::Array(Vec::new()));
            if let Some(v) = list.as_array_mut() {
                if v.len() < 10 {
                    v.push(serde_json::json!({"stage": stage.as_str(), "message": message}));
                }
            }
        };
        self.out.emit_with(
            &self.ctx,
            rule::TRAILHOUND_SELF_CHECK,
            &a,
            || {
                format!(
                    "a record made trailhound fail while {}; the failure was contained",
                    stage.doing()
                )
            },
            |_| {},
            note,
        );
        if self.faults.len() < MAX_FAULTS {
            self.faults.push(fault);
        }
    }

    /// Judges one event, then absorbs it.
    pub fn process(&mut self, a: &Access) {
        self.events += 1;
        if a.time < self.last_time {
            self.late_events += 1;
        }
        self.last_time = self.last_time.max(a.time);
        for &i in &self.record_stage {
            self.detectors[i].record(a);
        }
        // A network activity event repeats a call logged on its own (its management or data
        // event): only what the network-path rules found in it is judged.
        if a.network_activity() && a.hit.is_none() {
            return;
        }
        // The second report of an S3 request is dropped, unless a rule matched it: only
        // CloudTrail carries request parameters (the policy a PutBucketPolicy set), and its
        // record may come second.
        if a.request != 0 && self.requests.is_duplicate(a) && a.hit.is_none() {
            self.duplicate_requests += 1;
            return;
        }
        if self.ctx.data_start == i64::MAX {
            self.ctx.data_start = a.time;
        }
        for &i in &self.request_stage {
            self.detectors[i].request(a, &self.ctx, &mut self.out);
        }
        let limits = self.ctx.cfg.limits;
        while let Some(first) = self.newcomers.next_due(a.time, limits.max_newcomers) {
            self.judge_alone(first);
        }
        if !self.profiles.contains_key(&a.principal) {
            if let Some(first) = self.newcomers.take(a.principal) {
                // Back within the wait: both events are judged in order, as if none waited.
                self.judge(&first);
            } else if self.known_before.take(a.principal).is_some() {
                // Seen before but not kept: not new, but without a baseline (probation).
                let profile = new_profile(&self.ctx, a.principal, a.time);
                self.profiles.insert(a.principal, profile);
            } else if a.hit.is_none() {
                self.newcomers.hold(a);
                return;
            }
        }
        self.judge(a);
        if self.profiles.len() > limits.max_profiles {
            self.evict_coldest(limits.max_profiles);
        }
    }

    /// Judges a principal's only event (its wait is over) on a scratch profile. Unless it
    /// raised a finding of medium or above, the profile is dropped, its low findings are
    /// folded into the day's digest, and only when it was first seen is kept.
    fn judge_alone(&mut self, first: Access) {
        let before = self.out.findings.len();
        self.judge(&first);
        let raised = self
            .out
            .findings
            .get(before..)
            .unwrap_or_default()
            .iter()
            .any(|f| f.severity >= Severity::Medium);
        if raised {
            return;
        }
        let mut folded = Vec::new();
        for f in self.out.findings.drain(before..) {
            self.out.open.remove(&Emitter::key(f.rule, &first));
            folded.push(f.rule);
        }
        self.profiles.remove(&first.principal);
        let max = self.ctx.cfg.limits.max_known_before;
        self.known_before.insert(first.principal, first.time, max);
        self.one_shot.add(&first, &folded);
    }

    /// Evicts the coldest tenth of the profiles (oldest last activity) once there are more
    /// than `max`: amortised, one pass per `max / 10` new principals.
    fn evict_coldest(&mut self, max: usize) {
        let n = (self.profiles.len() - max + max / 10).min(self.profiles.len());
        if n == 0 {
            return;
        }
        let mut by_age: Vec<(i64, Sym)> = self
            .profiles
            .iter()
            .map(|(k, p)| (p.last_seen, *k))
            .collect();
        by_age.select_nth_unstable(n - 1);
        let max_known = self.ctx.cfg.limits.max_known_before;
        for &(_, k) in by_age.get(..n).unwrap_or_default() {
            if let Some(p) = self.profiles.remove(&k) {
                self.known_before.insert(k, p.first_seen, max_known);
                self.dropped.push(k);
            }
        }
        self.evicted_profiles += n as u64;
    }

    /// Judges one event against its principal's profile (made if new), then absorbs it.
    fn judge(&mut self, a: &Access) {
        let ctx = &self.ctx;
        let out = &mut self.out;
        let window = ctx.cfg.window();
        let mut judged = Judged::default();
        let profile = match self.profiles.entry(a.principal) {
            hashbrown::hash_map::Entry::Occupied(e) => e.into_mut(),
            hashbrown::hash_map::Entry::Vacant(e) => {
                judged.first = true;
                e.insert(new_profile(ctx, a.principal, a.time))
            }
        };
        // Roll the profile to the event's hour and day: closing them runs the detectors that
        // judge whole hours and days.
        let hour = a.time.div_euclid(NANOS_PER_HOUR);
        if hour > profile.cur_hour {
            for &i in &self.close_hour_stage {
                self.detectors[i].close_hour(profile, out, ctx);
            }
            profile.close_hour(window);
            let day = a.time.div_euclid(NANOS_PER_DAY);
            if day > profile.cur_day {
                for &i in &self.close_day_stage {
                    self.detectors[i].close_day(profile, out, ctx);
                }
                profile.close_day(window);
                profile.cur_day = day;
                profile.flush_memos(window);
                profile.prune(a.time, window);
            }
            profile.cur_hour = hour;
        }
        for &i in &self.judge_stage {
            self.detectors[i].judge(profile, a, &mut judged, out, ctx);
        }
        if judged.flagged {
            profile.cur_suspect = true;
            profile.cur_day_suspect = true;
            profile.hold_new(a, judged.new_keys);
        }
        profile.last_seen = profile.last_seen.max(a.time);
    }

    /// Continues from the state of an earlier run.
    pub fn import(&mut self, st: crate::detect::snapshot::EngineState) -> anyhow::Result<()> {
        let syms = self.ctx.syms;
        if let Some(t) = st.data_start {
            self.ctx.data_start = t;
        }
        if let Some(t) = st.last_time {
            self.last_time = t;
        }
        for ps in st.profiles {
            let (sym, mut p) = ps.into_profile(syms);
            p.hours_rule = hours_rule(&self.ctx, sym);
            self.profiles.insert(sym, p);
        }
        for (name, state) in st.detectors {
            // A detector this version no longer has: its state is dropped.
            if let Some(d) = self.detectors.iter_mut().find(|d| d.name() == name) {
                d.restore(state, syms)
                    .map_err(|e| anyhow::anyhow!("state: {name} is damaged: {e}"))?;
            }
        }
        let max_known = self.ctx.cfg.limits.max_known_before;
        for (p, t) in st.known_before {
            let sym = syms.intern(&p);
            if !self.profiles.contains_key(&sym) {
                self.known_before.insert(sym, t, max_known);
            }
        }
        let max = self.ctx.cfg.limits.max_profiles;
        if self.profiles.len() > max {
            self.evict_coldest(max);
        }
        for of in st.open_findings {
            if let Some((rule, principal, scope, mut f)) = of.into_acc(syms) {
                f.imported_count = Some(f.event_count);
                self.out.findings.push(f);
                self.out
                    .open
                    .insert((rule, principal, scope), self.out.findings.len() - 1);
            }
        }
        Ok(())
    }

    /// Closes every open hour and day and returns the findings, resolved.
    pub fn finish(self, files: &[String]) -> Vec<Finding> {
        self.finish_with_state(files, false).0
    }

    /// The habits (week, last week's hours, band) of principals with findings of medium or
    /// above, for reports.
    fn habits(&self) -> Vec<(String, crate::detect::baseline::Habit)> {
        let mut who: Vec<Sym> = self
            .out
            .findings
            .iter()
            .filter(|f| f.severity >= Severity::Medium)
            .map(|f| f.principal)
            .collect();
        who.sort_unstable();
        who.dedup();
        who.into_iter()
            .filter_map(|p| Some((self.ctx.syms.text(p), self.profiles.get(&p)?.habit())))
            .collect()
    }

    /// [`Engine::finish`], also returning the state to carry into the next run (built only
    /// when `keep`: it costs a pass over every profile).
    pub fn finish_with_state(
        mut self,
        files: &[String],
        keep: bool,
    ) -> (
        Vec<Finding>,
        crate::detect::snapshot::EngineState,
        Vec<(String, crate::detect::baseline::Habit)>,
    ) {
        self.raise_pending_faults();
        for first in self.newcomers.drain() {
            self.judge_alone(first);
        }
        let ctx = &self.ctx;
        let out = &mut self.out;
        let mut principals: Vec<Sym> = self.profiles.keys().copied().collect();
        principals.sort_unstable();
        for p in principals {
            if let Some(profile) = self.profiles.get_mut(&p) {
                profile.flush_memos(ctx.cfg.window());
                for &i in &self.close_hour_stage {
                    self.detectors[i].close_hour(profile, out, ctx);
                }
                profile.close_hour(ctx.cfg.window());
                for &i in &self.close_day_stage {
                    self.detectors[i].close_day(profile, out, ctx);
                }
                profile.day_judged = true;
            }
        }
        let end = (self.last_time != i64::MIN).then_some(self.last_time);
        for d in &mut self.detectors {
            d.finish(end, out, ctx);
        }
        let named_medium =
            ctx.threshold(rule::BASELINE_ONE_SHOT_PRINCIPALS, "named_per_day", 1000.0);
        let known = &self.known_before;
        let warm_after = ctx.data_start.saturating_add(ctx.warm_up());
        let digests = std::mem::take(&mut self.one_shot).findings(
            ctx.syms,
            named_medium,
            |p| known.contains(p),
            |t| t >= warm_after,
        );
        for f in digests {
            out.push_built(ctx, f);
        }
        let habits = self.habits();
        let syms = self.ctx.syms;
        let mut state = crate::detect::snapshot::EngineState {
            data_start: (self.ctx.data_start != i64::MAX).then_some(self.ctx.data_start),
            last_time: (self.last_time != i64::MIN).then_some(self.last_time),
            ..Default::default()
        };
        let mut principals: Vec<(String, &Profile)> = if keep {
            self.profiles
                .iter()
                .map(|(k, p)| (syms.text(*k), p))
                .collect()
        } else {
            Vec::new()
        };
        principals.sort_by(|a, b| a.0.cmp(&b.0));
        state.profiles = principals
            .iter()
            .map(|(name, p)| {
                crate::detect::baseline::state::ProfileState::from_profile(name, p, syms)
            })
            .collect();
        if keep {
            state.detectors = self
                .detectors
                .iter()
                .filter_map(|d| Some((d.name().to_string(), d.snapshot(end, syms)?)))
                .collect();
            state.known_before = self
                .known_before
                .iter()
                .map(|(p, t)| (syms.text(*p), *t))
                .collect();
            state.known_before.sort_unstable();
            state.dropped_profiles = self
                .dropped
                .iter()
                .filter(|p| !self.profiles.contains_key(*p))
                .map(|p| syms.text(*p))
                .collect();
            state.dropped_profiles.sort_unstable();
            state.dropped_profiles.dedup();
        }
        // Findings the next run may still extend (the longest merge gap is a day).
        let horizon = self
            .last_time
            .saturating_sub(NANOS_PER_DAY.max(ctx.cfg.merge_gap));
        let mut open: Vec<(&(&'static str, Sym, Sym), &usize)> = self.out.open.iter().collect();
        open.sort_by_key(|(_, &i)| i);
        for ((_, _, scope), &i) in open {
            let f = &self.out.findings[i];
            if f.last_seen >= horizon {
                state
                    .open_findings
                    .push(crate::detect::snapshot::OpenFinding::from_acc(
                        f, *scope, syms,
                    ));
            }
        }
        let mut findings: Vec<Finding> = std::mem::take(&mut self.out.findings)
            .into_iter()
            .filter(|f| f.imported_count != Some(f.event_count))
            .map(|f| f.finish(self.ctx.syms, files))
            .collect();
        findings.sort_by(|a, b| {
            (a.first_ns, &a.principal, &a.rule).cmp(&(b.first_ns, &b.principal, &b.rule))
        });
        (findings, state, habits)
    }

    /// Principals known: with a profile, waiting, or kept as a first-seen time (seen once,
    /// evicted, or from the state file).
    pub fn principals(&self) -> usize {
        self.profiles.len() + self.newcomers.len() + self.known_before.len()
    }

    /// What the detection state holds (call after [`Engine::raise_pending_faults`] and
    /// before finishing: waiting first events count as one-shot).
    pub fn state_figures(&self) -> StateFigures {
        StateFigures {
            budget_mib: self.ctx.cfg.limits.budget_mib,
            profiles: self.profiles.len() as u64,
            one_shot_principals: self.one_shot.principals + self.newcomers.len() as u64,
            evicted_profiles: self.evicted_profiles,
            forgotten_principals: self.known_before.forgotten,
            strings_refused: self.ctx.syms.refused(),
        }
    }

    /// The profile of a principal (for `investigate` and tests).
    pub fn profile(&self, principal: Sym) -> Option<&Profile> {
        self.profiles.get(&principal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn business_hours_in_a_time_zone() {
        let mut cfg = DetectConfig::default();
        // 2024-03-04 is a Monday.
        let monday_9 = crate::time::parse_rfc3339(b"2024-03-04T09:00:00Z").unwrap();
        assert!(cfg.in_business_hours(monday_9));
        assert!(!cfg.in_business_hours(monday_9 + 10 * NANOS_PER_HOUR));
        assert!(
            !cfg.in_business_hours(monday_9 + 5 * NANOS_PER_DAY),
            "Saturday"
        );
        cfg.tz = crate::detect::config::Zone::Fixed(-5 * 60);
        assert!(!cfg.in_business_hours(monday_9), "04:00 in UTC-5");
        assert!(cfg.in_business_hours(monday_9 + 5 * NANOS_PER_HOUR));
    }
}
