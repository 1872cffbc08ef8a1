//! Single-event rule hits weighed against the principal's history: an anonymous read of a
//! bucket read anonymously for a week is its normal; a configuration change made the way the
//! principal works is low; one from a new place at night stays medium.

use crate::catalogue::rule;
use hashbrown::HashMap;

use crate::catalogue::{Case, Catalogue, Severity};
use crate::detect::access::{Access, Sym};
use crate::detect::baseline::{Profile, NANOS_PER_DAY};
use crate::detect::emit::{Ctx, Emitter};

type FastMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

/// Rules about changes to storage, logging, keys or access settings.
fn changes_configuration(rule: &str) -> bool {
    Catalogue::get()
        .rule(rule)
        .is_some_and(|r| matches!(r.family.as_str(), "tampering" | "exposure" | "credentials"))
}

/// Why a configuration change is low for this principal, if it is.
///
/// Settings that administrators and infrastructure code change as part of their work: for the
/// routine rules, the same call by the same principal earlier in the window makes it routine
/// (account creation templates set the firewall and shared-key defaults every time). Any
/// change of medium weight (a bucket policy deleted, a key policy or CMEK changed, keys
/// listed) made the way the principal works — from its usual network and client, at an hour
/// it works, by a principal with a history and not waking from dormancy — is how
/// administrators look; so is one that differs in one of these only (a change made from home
/// at night). Two or more differences keep it medium. In the data's first days there is no
/// history to judge against. (A call that failed is judged before this.)
fn routine_change(
    hit: &crate::detect::rules::RuleHit,
    p: &Profile,
    ctx: &Ctx,
    a: &Access,
) -> Option<(Case, &'static str)> {
    const FIRST_DAYS: &str = "first days of the data: the principal's history is not known yet";
    // Nobody's work is to raise their own rights: never routine, whatever the history.
    if hit.evidence.iter().any(|(k, _)| *k == "self_grant") {
        return None;
    }
    let routine_rule = Catalogue::get().is(hit.rule, |r| r.routine_for_admins);
    // Without history, what else the principal did today speaks for or against it: a change
    // by a principal that already raised a finding of medium or above today is not excused
    // for want of a baseline.
    let learning = crate::detect::habits::learning(p, ctx, a.time) && !p.cur_day_suspect;
    if routine_rule {
        if p.apis
            .get(&a.action)
            .is_some_and(|s| s.known(a.time, ctx.cfg.window()))
        {
            return Some((
                Case::Routine,
                "routine for this principal: it made this call before in the history window",
            ));
        }
        if learning {
            return Some((Case::Learning, FIRST_DAYS));
        }
    }
    if hit.severity != Severity::Medium || !changes_configuration(hit.rule) {
        return None;
    }
    if learning {
        return Some((Case::Learning, FIRST_DAYS));
    }
    match unfamiliar_signs(p, ctx, a) {
        0 => Some((
            Case::Routine,
            "made the principal's usual way: its network and client, at an hour it works",
        )),
        1 => Some((
            Case::Routine,
            "one thing unusual about it (network, client, hour or a dormant principal), not more",
        )),
        _ => None,
    }
}

/// How many ways the event differs from how the principal works: a new or dormant principal
/// (no history to speak for it), a network, a client family, an hour it does not keep.
fn unfamiliar_signs(p: &Profile, ctx: &Ctx, a: &Access) -> u32 {
    let window = ctx.cfg.window();
    let t = a.time;
    let settled = p.age_days(t) >= ctx.cfg.novelty_min_days
        && !crate::detect::habits::learning(p, ctx, t)
        && ((t - p.last_seen) as f64) < ctx.dormant_days * NANOS_PER_DAY as f64;
    let network = a.source_ip.is_none_or(|ip| {
        p.networks
            .get(&crate::detect::baseline::network_of(ip))
            .is_some_and(|s| s.known(t, window))
    });
    let client = a.agent_family == 0
        || p.agents
            .get(&a.agent_family)
            .is_some_and(|s| s.known(t, window));
    let hour = ctx.business(p, t) || crate::detect::habits::hour_is_normal(p, ctx, t);
    [settled, network, client, hour]
        .iter()
        .filter(|&&usual| !usual)
        .count() as u32
}

/// Failed attempts of one change, by one principal, that make it medium.
const FAILED_REPEATED: u64 = 3;

/// Single-event rule hits become findings, weighed against history where it matters: an
/// anonymous read of a bucket that has been read anonymously for a week (a public website)
/// is its normal, and key listing by an administrator who does it routinely is low.
pub(crate) fn rule_hit(
    hit: &crate::detect::rules::RuleHit,
    profile: &Profile,
    public_buckets: &mut FastMap<Sym, crate::detect::baseline::Seen>,
    out: &mut Emitter,
    ctx: &Ctx,
    a: &Access,
) -> bool {
    let mut severity = hit.severity;
    let mut note: Option<&'static str> = None;
    let window = ctx.cfg.window();
    let cat = Catalogue::get();
    if cat.is(hit.rule, |r| r.public_read) {
        let warmup = a.time - ctx.data_start < ctx.warm_up();
        let seen = public_buckets
            .entry(a.bucket)
            .or_insert_with(|| crate::detect::baseline::Seen::first(a.time));
        seen.note(a.time);
        // Read anonymously on several days (or since the data began): public on purpose, and
        // its anonymous reads are its normal. Not when the data shows it being made public
        // (held "pending" by the exposure below): those reads are what the change was for.
        let established = seen.days >= crate::detect::baseline::PROMOTE_DAYS && !seen.pending;
        if established || (warmup && !seen.pending && seen.first < ctx.data_start + NANOS_PER_DAY) {
            return false;
        }
    }
    if a.bucket != 0 && cat.is(hit.rule, |r| r.exposes) {
        // A bucket made public in the data: its anonymous reads from now on are not its
        // normal until they recur on several days (a new website) — unless it already was.
        match public_buckets.entry(a.bucket) {
            hashbrown::hash_map::Entry::Occupied(mut e) => {
                if e.get().days < crate::detect::baseline::PROMOTE_DAYS {
                    e.get_mut().hold_from(a.time);
                }
            }
            hashbrown::hash_map::Entry::Vacant(e) => {
                let mut s = crate::detect::baseline::Seen::first(a.time);
                s.hold_from(a.time);
                e.insert(s);
            }
        }
    }
    // A principal's batch deletes are a finding only the first time in the window (a cleanup
    // job calls DeleteObjects every night); the volume detectors judge the rest.
    if hit.rule == rule::AWS_S3_BATCH_DELETE
        && profile
            .apis
            .get(&a.action)
            .is_some_and(|s| s.known(a.time, window))
    {
        return false;
    }
    // A failed attempt changed nothing: its own finding (the emitter scopes it by error code),
    // at the catalogue's `failed` level; repeated, or beside discovery by the same principal
    // within a day, it is medium — never the severity of the change that worked.
    let failed = a.error();
    let case = if failed {
        Some((Case::Failed, "the call failed: nothing was changed"))
    } else {
        routine_change(hit, profile, ctx, a)
    };
    if let Some((case, why)) = case {
        severity = severity.min(Catalogue::get().level(hit.rule, case, severity));
        note = Some(why);
    }
    let beside_discovery = failed && out.shows_discovery(ctx, a.principal, a.time - NANOS_PER_DAY);
    let sev = out.emit_with(
        ctx,
        hit.rule,
        a,
        || hit.detail.clone(),
        |_| {},
        |f| {
            let cat = Catalogue::get();
            let severity = if !failed {
                severity
            } else if f.event_count >= FAILED_REPEATED {
                severity.max(cat.level(hit.rule, Case::FailedRepeated, severity))
            } else if beside_discovery {
                severity.max(cat.level(hit.rule, Case::FailedWithDiscovery, severity))
            } else {
                severity
            };
            if !ctx.cfg.severity.contains_key(hit.rule)
                && (f.event_count <= 1 || f.severity < severity)
            {
                f.severity = severity;
                f.score = severity.base_score();
            }
            if failed {
                f.set("outcome", "failed");
            }
            for (k, v) in &hit.evidence {
                if f.evidence.len() < 24 && !f.evidence.contains_key(*k) {
                    f.set(k, v.as_str());
                }
            }
            for r in &hit.resources {
                if f.resources.len() < 20 {
                    f.resources.insert(r.clone());
                }
            }
            if let Some(n) = note {
                f.set("history", n);
            }
            let details = f
                .evidence
                .entry("details")
                .or_insert_with(|| serde_json::Value::Array(Vec::new()));
            if let Some(arr) = details.as_array_mut() {
                if arr.len() < 10 && !arr.iter().any(|d| d.as_str() == Some(hit.detail.as_str())) {
                    arr.push(hit.detail.clone().into());
                }
            }
        },
    );
    sev >= Severity::Medium
}

/// Single-event rule hits, weighed against the principal's history; owns the buckets read
/// anonymously, and since when.
#[derive(Default)]
pub(crate) struct Triage {
    public_buckets: FastMap<Sym, crate::detect::baseline::Seen>,
}

impl crate::detect::detector::Detector for Triage {
    fn name(&self) -> &'static str {
        "public_buckets"
    }

    /// The single-event rules' ids are theirs ([`crate::detect::rules::RULE_IDS`]).
    fn rule_ids(&self) -> &'static [&'static str] {
        &[]
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
        if let Some(hit) = &a.hit {
            j.flagged |= rule_hit(hit, p, &mut self.public_buckets, out, ctx, a);
        }
    }

    fn snapshot(
        &self,
        _end: Option<i64>,
        syms: &crate::detect::access::Symbols,
    ) -> Option<serde_json::Value> {
        let mut buckets: Vec<(String, crate::detect::baseline::Seen)> = self
            .public_buckets
            .iter()
            .map(|(b, s)| (syms.text(*b), *s))
            .collect();
        buckets.sort_by(|a, b| a.0.cmp(&b.0));
        serde_json::to_value(buckets).ok()
    }

    fn restore(
        &mut self,
        state: serde_json::Value,
        syms: &crate::detect::access::Symbols,
    ) -> anyhow::Result<()> {
        let buckets: Vec<(String, crate::detect::baseline::Seen)> = serde_json::from_value(state)?;
        for (b, s) in buckets {
            self.public_buckets.insert(syms.intern(&b), s);
        }
        Ok(())
    }
}
