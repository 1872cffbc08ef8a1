//! Bounded memory under cardinality: principals seen once, their digest, and eviction.
//!
//! An attacker can mint a million principals (role sessions, SAS tokens, HMAC keys, client
//! addresses in GCS usage logs), and real logs of public buckets carry as many. A full
//! [`crate::detect::baseline::Profile`] costs kilobytes; a principal seen once needs none of it.
//!
//! - A principal's first event waits, unjudged, as a [`Newcomers`] entry (one compact
//!   [`Access`]). If the principal comes back within [`NEWCOMER_WAIT`] of event time, both
//!   events are judged in order, exactly as if nothing had waited.
//! - Otherwise the event is judged alone on a scratch profile. When that raises nothing above
//!   low, the profile is dropped, its low findings are folded into one digest per account and
//!   day ([`OneShot`]: `baseline.one_shot_principals`), and only its first-seen time is kept
//!   ([`KnownBefore`]). A principal with a finding of medium or above keeps its profile.
//! - Full profiles beyond the budget are evicted coldest first (oldest last activity) and
//!   counted; an evicted or once-seen principal that returns starts over on probation (its
//!   novelty detectors quiet for the first days), without a `baseline.new_principal` finding.

use crate::catalogue::rule;
use std::collections::{BTreeMap, VecDeque};

use crate::detect::access::{Access, Sym};
use crate::detect::finding::FindingAcc;
use crate::event::PrincipalType;
use crate::time::NANOS_PER_HOUR;

type FastMap<K, V> = hashbrown::HashMap<K, V, foldhash::fast::RandomState>;
type FastSet<K> = hashbrown::HashSet<K, foldhash::fast::RandomState>;

/// The principal the digest finding names (its members are in the evidence).
pub const GROUP_PRINCIPAL: &str = "(principals seen once)";

/// Rules this module raises.
pub const RULE_IDS: &[&str] = &[rule::BASELINE_ONE_SHOT_PRINCIPALS];

/// How long, in event time, a principal's first event waits for a second one.
pub const NEWCOMER_WAIT: i64 = NANOS_PER_HOUR;

/// Default memory budget of the detection state, MiB.
pub const DEFAULT_BUDGET_MIB: u64 = 2048;

/// What the detection state may hold, derived from a memory budget.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    pub budget_mib: u64,
    /// Full profiles (about 8 KiB each with a month of history).
    pub max_profiles: usize,
    /// First events waiting for a second one (about 200 bytes each).
    pub max_newcomers: usize,
    /// First-seen times of principals not kept in full (about 24 bytes each).
    pub max_known_before: usize,
    /// Bytes of interned text (principal names, agents, buckets).
    pub symbol_bytes: usize,
}

impl Limits {
    /// Half the budget for full profiles, a tenth each for waiting first events, first-seen
    /// times and the symbol table; the rest is for the pipeline's buffers and the findings.
    pub fn from_budget(mib: u64) -> Self {
        let bytes = mib.max(64).saturating_mul(1 << 20) as usize;
        Limits {
            budget_mib: mib.max(64),
            max_profiles: (bytes / 2 / 8192).max(1000),
            max_newcomers: (bytes / 10 / 200).max(1000),
            max_known_before: (bytes / 10 / 24).max(1000),
            symbol_bytes: bytes / 5,
        }
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits::from_budget(DEFAULT_BUDGET_MIB)
    }
}

/// First events of principals seen once so far, waiting for a second one.
#[derive(Default)]
pub struct Newcomers {
    first: FastMap<Sym, Access>,
    /// Arrival order (event time, principal): events arrive nearly sorted, so the front is
    /// the oldest. Entries whose principal has since come back are skipped when popped.
    queue: VecDeque<(i64, Sym)>,
}

impl Newcomers {
    pub fn len(&self) -> usize {
        self.first.len()
    }

    pub fn is_empty(&self) -> bool {
        self.first.is_empty()
    }

    /// The waiting first event of `principal`, taken out.
    pub fn take(&mut self, principal: Sym) -> Option<Access> {
        if self.first.is_empty() {
            return None;
        }
        self.first.remove(&principal)
    }

    /// Holds a principal's first event.
    pub fn hold(&mut self, a: &Access) {
        self.first.insert(a.principal, a.clone());
        self.queue.push_back((a.time, a.principal));
    }

    /// The next first event whose wait is over at `now` (or any, oldest first, while more
    /// than `max` wait).
    pub fn next_due(&mut self, now: i64, max: usize) -> Option<Access> {
        while let Some(&(t, p)) = self.queue.front() {
            if now.saturating_sub(t) < NEWCOMER_WAIT && self.first.len() <= max {
                return None;
            }
            self.queue.pop_front();
            match self.first.get(&p) {
                // The same principal may have come back and gone again: only the entry
                // that matches the waiting event's time is due.
                Some(a) if a.time == t => return self.first.remove(&p),
                _ => continue,
            }
        }
        None
    }

    /// Every waiting first event, oldest first (at the end of a run).
    pub fn drain(&mut self) -> Vec<Access> {
        let mut out = Vec::with_capacity(self.first.len());
        while let Some((t, p)) = self.queue.pop_front() {
            if self.first.get(&p).is_some_and(|a| a.time == t) {
                if let Some(a) = self.first.remove(&p) {
                    out.push(a);
                }
            }
        }
        out
    }
}

/// Principals not kept in full (judged on one event, or evicted), with when they were first
/// seen: a returning one is not reported as new.
#[derive(Default)]
pub struct KnownBefore {
    map: FastMap<Sym, i64>,
    /// Entries forgotten to stay within the budget (oldest first).
    pub forgotten: u64,
}

impl KnownBefore {
    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    pub fn take(&mut self, principal: Sym) -> Option<i64> {
        if self.map.is_empty() {
            return None;
        }
        self.map.remove(&principal)
    }

    pub fn insert(&mut self, principal: Sym, first_seen: i64, max: usize) {
        if self.map.len() >= max {
            // Forget the older half at once: amortised O(1) per insert.
            let cut = crate::detect::baseline::median_time(self.map.values().copied().collect());
            let before = self.map.len();
            self.map.retain(|_, t| *t > cut);
            self.forgotten += (before - self.map.len()) as u64;
        }
        let t = self.map.entry(principal).or_insert(first_seen);
        *t = (*t).min(first_seen);
    }

    pub fn iter(&self) -> impl Iterator<Item = (&Sym, &i64)> {
        self.map.iter()
    }

    pub fn contains(&self, principal: Sym) -> bool {
        self.map.contains_key(&principal)
    }
}

/// Bounds on one digest (attackers choose how many buckets, networks and agents appear).
const DIGEST_BUCKETS: usize = 1000;
const DIGEST_DISTINCT: usize = 100_000;
const DIGEST_SAMPLES: usize = 10;
/// Digests per run (account × day); beyond it, accounts fold into one digest per day.
const MAX_DIGESTS: usize = 10_000;

/// Principals judged on one event and not kept, in one account on one day.
struct Digest {
    /// The finding being built (its first event stands in for the group).
    finding: FindingAcc,
    buckets: FastMap<Sym, u64>,
    networks: FastSet<u128>,
    agents: FastSet<u64>,
    /// Low and info findings the principals raised alone, by rule.
    folded: BTreeMap<&'static str, u64>,
    /// Every member and whether it names a person or workload (not anonymous, an address or
    /// a bearer token): at the end of the run, those that came back are no longer counted as
    /// seen once, and the counts and samples are of the rest.
    members: Vec<(Sym, bool)>,
}

/// The digest of principals judged alone, per (account, day).
#[derive(Default)]
pub struct OneShot {
    digests: FastMap<(Sym, i64), Digest>,
    pub principals: u64,
}

/// Principals that name a person or workload (a million of them in a day is not churn).
fn named(t: PrincipalType) -> bool {
    !matches!(
        t,
        PrincipalType::Anonymous | PrincipalType::Unknown | PrincipalType::Token
    )
}

impl OneShot {
    /// Counts a principal judged on its one event `a`, with the low findings it raised.
    pub fn add(&mut self, a: &Access, folded: &[&'static str]) {
        self.principals += 1;
        let day = a.time.div_euclid(crate::detect::baseline::NANOS_PER_DAY);
        let account =
            if self.digests.len() >= MAX_DIGESTS && !self.digests.contains_key(&(a.account, day)) {
                0
            } else {
                a.account
            };
        let d = self
            .digests
            .entry((account, day))
            .or_insert_with(|| Digest {
                finding: FindingAcc::new(
                    rule::BASELINE_ONE_SHOT_PRINCIPALS,
                    crate::catalogue::Catalogue::get().severity(rule::BASELINE_ONE_SHOT_PRINCIPALS),
                    String::new(),
                    a,
                ),
                buckets: FastMap::default(),
                networks: FastSet::default(),
                agents: FastSet::default(),
                folded: BTreeMap::new(),
                members: Vec::new(),
            });
        d.members.push((a.principal, named(a.principal_type)));
        d.finding.add(a);
        if a.bucket != 0 && (d.buckets.len() < DIGEST_BUCKETS || d.buckets.contains_key(&a.bucket))
        {
            *d.buckets.entry(a.bucket).or_default() += 1;
        }
        if let Some(ip) = a.source_ip {
            if d.networks.len() < DIGEST_DISTINCT {
                d.networks.insert(crate::detect::baseline::network_of(ip));
            }
        }
        if a.agent_family != 0 && d.agents.len() < DIGEST_DISTINCT {
            d.agents.insert(a.agent_family);
        }
        for r in folded {
            *d.folded.entry(r).or_default() += 1;
        }
    }

    /// The digest findings, counting only principals that did not come back later in the run
    /// (`seen_once`): low; medium when `named_medium` or more of them are named identities,
    /// or ten times as many on a day within the data's warm-up (`warm` false: on the first
    /// days of data every principal is new).
    pub fn findings(
        self,
        syms: &crate::detect::access::Symbols,
        named_medium: f64,
        seen_once: impl Fn(Sym) -> bool,
        warm: impl Fn(i64) -> bool,
    ) -> Vec<FindingAcc> {
        let mut keys: Vec<(Sym, i64)> = self.digests.keys().copied().collect();
        keys.sort_unstable_by_key(|&(a, d)| (d, a));
        let mut digests = self.digests;
        let mut out = Vec::with_capacity(keys.len());
        for k in keys {
            let Some(mut d) = digests.remove(&k) else {
                continue;
            };
            let before = d.members.len();
            d.members.retain(|(p, _)| seen_once(*p));
            let returned = (before - d.members.len()) as u64;
            let principals = d.members.len() as u64;
            let named = d.members.iter().filter(|m| m.1).count() as u64;
            if principals == 0 {
                continue;
            }
            let mut f = d.finding;
            // The group, not its first member, is who the finding is about.
            f.principal = syms.intern(GROUP_PRINCIPAL);
            let capped = |n: usize| {
                if n >= DIGEST_DISTINCT {
                    serde_json::json!(format!("{n} or more"))
                } else {
                    serde_json::json!(n)
                }
            };
            f.title = format!(
                "{} principals seen once each ({} named identities); no baseline is possible",
                crate::text::thousands(principals),
                crate::text::thousands(named)
            );
            // In the data's first days every principal is new: ten times as many are needed.
            let needed = if warm(f.first_seen) {
                named_medium
            } else {
                10.0 * named_medium
            };
            if named as f64 >= needed {
                f.severity = crate::catalogue::Catalogue::get().level(
                    rule::BASELINE_ONE_SHOT_PRINCIPALS,
                    crate::catalogue::Case::Crowd,
                    f.severity,
                );
                f.score = f.score.max(f.severity.base_score());
            }
            let mut buckets: Vec<(Sym, u64)> = d.buckets.into_iter().collect();
            buckets.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            f.event_count = principals;
            f.set("principals", principals);
            f.set("came_back_later", returned);
            f.set("named_principals", named);
            f.set("networks", capped(d.networks.len()));
            f.set("agent_families", capped(d.agents.len()));
            f.set(
                "top_buckets",
                buckets
                    .iter()
                    .take(10)
                    .map(|(b, n)| serde_json::json!({"bucket": syms.text(*b), "principals": n}))
                    .collect::<Vec<_>>(),
            );
            f.set(
                "folded_findings",
                serde_json::to_value(&d.folded).unwrap_or_default(),
            );
            f.set(
                "sample_principals",
                d.members
                    .iter()
                    .take(DIGEST_SAMPLES)
                    .map(|(p, _)| syms.text(*p))
                    .collect::<Vec<_>>(),
            );
            out.push(f);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(p: Sym, t: i64) -> Access {
        Access {
            principal: p,
            time: t,
            ..Default::default()
        }
    }

    #[test]
    fn a_newcomer_waits_an_hour_and_comes_back_whole() {
        let mut n = Newcomers::default();
        n.hold(&ev(1, 0));
        n.hold(&ev(2, 10));
        assert!(n.next_due(NEWCOMER_WAIT - 1, 100).is_none());
        assert_eq!(n.take(2).map(|a| a.time), Some(10));
        // 1 is due; 2 came back (taken), so its queue entry is skipped.
        assert_eq!(
            n.next_due(NEWCOMER_WAIT + 20, 100).map(|a| a.principal),
            Some(1)
        );
        assert!(n.next_due(NEWCOMER_WAIT + 20, 100).is_none());
        assert!(n.is_empty());
        // Over the cap, the oldest goes at once, whatever the time.
        for p in 0..5 {
            n.hold(&ev(p + 10, p as i64));
        }
        assert_eq!(n.next_due(5, 3).map(|a| a.principal), Some(10));
        assert_eq!(n.next_due(5, 3).map(|a| a.principal), Some(11));
        assert!(n.next_due(5, 3).is_none());
        assert_eq!(n.drain().len(), 3);
    }

    #[test]
    fn a_returning_newcomer_held_again_is_due_once() {
        let mut n = Newcomers::default();
        n.hold(&ev(1, 0));
        let first = n.take(1).unwrap();
        assert_eq!(first.time, 0);
        n.hold(&ev(1, 5));
        // The stale queue entry (time 0) is skipped; the new one waits its own hour.
        assert!(n.next_due(NEWCOMER_WAIT + 1, 100).is_none());
        assert_eq!(n.next_due(NEWCOMER_WAIT + 5, 100).map(|a| a.time), Some(5));
    }

    #[test]
    fn known_before_forgets_the_older_half_when_full() {
        let mut k = KnownBefore::default();
        for p in 0..10u32 {
            k.insert(p, p as i64, 10);
        }
        assert_eq!(k.len(), 10);
        k.insert(100, 100, 10);
        assert!(k.len() <= 6, "{}", k.len());
        assert!(k.forgotten >= 5);
        assert_eq!(k.take(100), Some(100));
        assert_eq!(k.take(0), None, "the oldest went first");
    }

    #[test]
    fn limits_scale_with_the_budget() {
        let small = Limits::from_budget(256);
        let big = Limits::from_budget(4096);
        assert!(big.max_profiles > small.max_profiles);
        assert_eq!(Limits::from_budget(1).budget_mib, 64);
        assert!(Limits::default().max_profiles >= 100_000);
    }
}
