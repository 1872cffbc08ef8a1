//! Novelty: a new source network, user agent, API, bucket; a dormant principal back; a
//! principal never seen before. Judged against the profile before the event is absorbed, and
//! only once the principal has a baseline (its first days are quiet).

use crate::baseline::{network_of, Profile, NANOS_PER_DAY};
use crate::catalogue::Severity;
use crate::detect::access::Access;
use crate::detect::engine::{Ctx, Emitter};
use crate::event::PrincipalType;

pub const RULE_IDS: &[&str] = &[
    "baseline.new_principal",
    "baseline.dormant_principal",
    "baseline.new_source_ip",
    "baseline.new_user_agent",
    "baseline.first_time_api",
    "baseline.new_event_source",
    "baseline.new_bucket",
];

const PLACE_NEW_NETWORK: u32 = 1;
const PLACE_ODD_HOUR: u32 = 2;
const PLACE_NEW_CLIENT: u32 = 4;
const PLACE_NEW_API: u32 = 8;
const PLACE_DATA: u32 = 16;

fn place_features(bits: u32) -> Vec<&'static str> {
    [
        (
            PLACE_NEW_NETWORK,
            "network (/24, /48) not used in the history window",
        ),
        (
            PLACE_ODD_HOUR,
            "outside business hours, at an hour the principal never works",
        ),
        (
            PLACE_NEW_CLIENT,
            "user agent family not used in the history window",
        ),
        (PLACE_NEW_API, "APIs the principal never called"),
        (
            PLACE_DATA,
            "object data read or deleted from the new network",
        ),
    ]
    .iter()
    .filter(|(b, _)| bits & b != 0)
    .map(|(_, s)| *s)
    .collect()
}

/// The ATT&CK techniques of what an event did: a finding about where or when it happened
/// inherits them (reading data from a new network is also T1530).
pub(crate) fn activity_techniques(a: &Access) -> [Option<&'static str>; 4] {
    use crate::event::ActionClass::*;
    let mut v: [Option<&'static str>; 4] = [None; 4];
    v[0] = match a.class {
        Read => Some("T1530"),
        Delete => Some("T1485"),
        List => Some("T1619"),
        Permission => Some("T1098"),
        Logging => Some("T1562.008"),
        Config => Some("T1490"),
        _ => None,
    };
    if let Some(hit) = &a.hit {
        if let Some(meta) = crate::catalogue::Catalogue::get().rule(hit.rule) {
            let mut n = 1;
            for m in &meta.mitre {
                if let Some(s) = static_technique(m) {
                    if n < v.len() && !v.contains(&Some(s)) {
                        v[n] = Some(s);
                        n += 1;
                    }
                }
            }
        }
    }
    v
}

/// The techniques the catalogue uses, as static strings (findings keep them without
/// allocating).
const STATIC_TECHNIQUES: &[&str] = &[
    "T1530",
    "T1619",
    "T1485",
    "T1486",
    "T1490",
    "T1537",
    "T1098",
    "T1562.008",
    "T1580",
    "T1078.004",
];

/// The static string of a catalogue technique id, if it is one.
pub(crate) fn static_technique(id: &str) -> Option<&'static str> {
    STATIC_TECHNIQUES.iter().find(|t| **t == id).copied()
}

/// Principals that use this many networks or more roam (mobile staff, CI runners): a new one
/// is low.
const ROAMING_NETWORKS: usize = 8;

fn judged(a: &Access) -> bool {
    !matches!(
        a.principal_type,
        PrincipalType::Service | PrincipalType::Account | PrincipalType::Anonymous
    )
}

/// The first event of a principal (after the run's first days, when everything is new).
pub(crate) fn new_principal(_p: &mut Profile, out: &mut Emitter, ctx: &Ctx, a: &Access) {
    if !judged(a)
        || a.time - ctx.data_start < (ctx.cfg.novelty_min_days * NANOS_PER_DAY as f64) as i64
    {
        return;
    }
    out.emit(
        ctx,
        "baseline.new_principal",
        a,
        || "first activity of a principal not seen before".to_string(),
        |_| {},
    );
}

/// Keys an event added to the profile that were not known as normal before it: held apart
/// if the event turns out to be part of a finding of medium or above.
#[derive(Default, Clone, Copy)]
pub(crate) struct NewKeys {
    pub ip: bool,
    pub agent: bool,
    pub api: bool,
    pub bucket: bool,
    pub source: bool,
}

/// Judges the event against the profile and absorbs it in the same step. Returns whether a
/// finding of medium or above was raised, and which keys were new.
pub(crate) fn judge(p: &mut Profile, out: &mut Emitter, ctx: &Ctx, a: &Access) -> (bool, NewKeys) {
    let now = a.time;
    let window = ctx.cfg.window();
    let mut new = NewKeys::default();
    if !judged(a) {
        return (false, new);
    }
    let mut flagged = false;
    let dormant_days = ctx.threshold("baseline.dormant_principal", "dormant_days", 30.0);
    let idle = (now - p.last_seen) as f64 / NANOS_PER_DAY as f64;
    if p.last_seen < now && idle >= dormant_days {
        let last = p.last_seen;
        let sev = out.emit(
            ctx,
            "baseline.dormant_principal",
            a,
            || format!("dormant for {idle:.0} days, active again"),
            |f| {
                f.set("idle_days", idle.round());
                f.set("last_seen_before", crate::time::rfc3339(last));
            },
        );
        flagged |= sev >= Severity::Medium;
    }
    let baseline = p.age_days(now) >= ctx.cfg.novelty_min_days;
    // Observe first (one lookup per set), report after.
    let ip_known = a.source_ip.map(|ip| p.ips.observe(ip, now, window));
    let net_known = a
        .source_ip
        .map(|ip| p.networks.observe(network_of(ip), now, window));
    let agent_known = (a.agent_family != 0).then(|| p.agents.observe(a.agent_family, now, window));
    let api_known = (a.action != 0).then(|| p.apis.observe(a.action, now, window));
    let bucket_known = (a.bucket != 0).then(|| p.buckets.observe(a.bucket, now, window));
    let source_known =
        (a.event_source != 0).then(|| p.sources.observe(a.event_source, now, window));
    new.ip = ip_known == Some(false) || net_known == Some(false);
    new.agent = agent_known == Some(false);
    new.api = api_known == Some(false);
    new.bucket = bucket_known == Some(false);
    new.source = source_known == Some(false);
    if !baseline {
        return (flagged, new);
    }
    // A request from a network the principal has not used. On its own that is how a
    // traveller looks (low); each further sign of someone else at the keyboard raises it: an
    // hour the principal never works, a client it never used, APIs it never called, data
    // taken from the new place.
    let from_pending_place = a
        .source_ip
        .is_some_and(|ip| p.networks.get(&network_of(ip)).is_some_and(|s| s.pending));
    if let Some(ip) = a
        .source_ip
        .filter(|_| (ip_known == Some(false) && net_known == Some(false)) || from_pending_place)
    {
        let networks = p.networks.known_count(now, window);
        let roaming = networks >= ROAMING_NETWORKS;
        let mut features = PLACE_NEW_NETWORK;
        if !ctx.business(p, now) && !crate::detect::timing::hour_is_normal(p, ctx, now) {
            features |= PLACE_ODD_HOUR;
        }
        if new.agent {
            features |= PLACE_NEW_CLIENT;
        }
        if new.api {
            features |= PLACE_NEW_API;
        }
        let techniques = activity_techniques(a);
        if matches!(
            a.class,
            crate::event::ActionClass::Read | crate::event::ActionClass::Delete
        ) {
            features |= PLACE_DATA;
        }
        let sev = out.emit_with(
            ctx,
            "baseline.new_source_ip",
            a,
            || {
                format!(
                    "request from {ip}, a network this principal has not used in {} days",
                    ctx.cfg.history_days
                )
            },
            |f| {
                f.set("known_networks", networks as u64);
                f.set("known_addresses", p.ips.known_count(now, window) as u64);
                f.set("roaming_principal", roaming);
            },
            |f| {
                f.features |= features;
                f.extra_mitre.extend(techniques.iter().flatten().copied());
                let signs = f.features.count_ones();
                let sev = match signs {
                    0..=2 => Severity::Low,
                    3 => Severity::Medium,
                    _ => Severity::High,
                };
                let sev = if roaming {
                    sev.min(Severity::Medium).lower()
                } else {
                    sev
                };
                if sev > f.severity || f.event_count <= 1 {
                    f.severity = sev;
                    f.score = sev.base_score() + 3 * signs;
                    f.evidence
                        .insert("features".into(), place_features(f.features).into());
                }
            },
        );
        flagged |= sev >= Severity::Medium;
    }
    if agent_known == Some(false) {
        let ua = ctx.syms.text(a.user_agent);
        out.emit(
            ctx,
            "baseline.new_user_agent",
            a,
            || {
                format!(
                    "new user agent: {}",
                    crate::report::sanitize::bounded(&ua, 120)
                )
            },
            |f| f.set("user_agent", crate::report::sanitize::bounded(&ua, 200)),
        );
    }
    if api_known == Some(false) {
        let api = ctx.syms.text(a.action);
        out.emit_with(
            ctx,
            "baseline.first_time_api",
            a,
            || format!("first call of {api} by this principal"),
            |_| {},
            |f| {
                let apis = f
                    .evidence
                    .entry("apis")
                    .or_insert_with(|| serde_json::json!([]));
                if let Some(v) = apis.as_array_mut() {
                    if v.len() < 20 && !v.iter().any(|x| x.as_str() == Some(api.as_str())) {
                        v.push(api.clone().into());
                    }
                }
            },
        );
    }
    if source_known == Some(false) {
        // A principal that only ever used S3 now calling CloudTrail or KMS is how a stolen
        // key explores (and how logging gets switched off).
        let source = ctx.syms.text(a.event_source);
        out.emit(
            ctx,
            "baseline.new_event_source",
            a,
            || {
                format!(
                    "first use of {} by this principal",
                    crate::report::sanitize::bounded(&source, 120)
                )
            },
            |f| {
                f.set(
                    "event_source",
                    crate::report::sanitize::bounded(&source, 200),
                )
            },
        );
    }
    if bucket_known == Some(false) {
        let bucket = ctx.syms.text(a.bucket);
        out.emit(
            ctx,
            "baseline.new_bucket",
            a,
            || format!("first access to bucket {bucket} by this principal"),
            |_| {},
        );
    }
    (flagged, new)
}

/// Holds the event's new keys apart from the baseline when it was part of a finding of
/// medium or above.
pub(crate) fn hold(p: &mut Profile, a: &Access, new: NewKeys) {
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
}
