//! Novelty: a new source network, user agent, API, bucket; a dormant principal back; a
//! principal never seen before. Judged against the profile before the event is absorbed, and
//! only once the principal has a baseline (its first days are quiet).

use crate::catalogue::rule;
use crate::catalogue::{Case, Catalogue, Severity};
use crate::detect::access::Access;
use crate::detect::baseline::{network_of, NewKeys, Profile, NANOS_PER_DAY};
use crate::detect::emit::{Ctx, Emitter};
use crate::detect::techniques::activity_techniques;
use crate::event::PrincipalType;

pub const RULE_IDS: &[&str] = &[
    rule::BASELINE_NEW_PRINCIPAL,
    rule::BASELINE_DORMANT_PRINCIPAL,
    rule::BASELINE_NEW_SOURCE_IP,
    rule::AZURE_STORAGE_KEY_NEW_PLACE,
    rule::GCP_GCS_HMAC_KEY_NEW_PLACE,
    rule::BASELINE_NEW_USER_AGENT,
    rule::BASELINE_FIRST_TIME_API,
    rule::BASELINE_NEW_EVENT_SOURCE,
    rule::BASELINE_NEW_BUCKET,
    rule::BASELINE_NEW_COUNTRY,
    rule::BASELINE_IMPOSSIBLE_TRAVEL,
];

const PLACE_NEW_NETWORK: u32 = 1;
const PLACE_ODD_HOUR: u32 = 2;
const PLACE_NEW_CLIENT: u32 = 4;
const PLACE_NEW_API: u32 = 8;
const PLACE_DATA: u32 = 16;
const PLACE_NEW_ASN: u32 = 32;

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
        (
            PLACE_NEW_ASN,
            "autonomous system (network operator) not used in the history window",
        ),
    ]
    .iter()
    .filter(|(b, _)| bits & b != 0)
    .map(|(_, s)| *s)
    .collect()
}

/// Principals that use this many networks or more roam (mobile staff, CI runners): a new one
/// is low.
const ROAMING_NETWORKS: usize = 8;

/// Events from one new network before a request from a new place can rise above low.
const PLACE_MIN_EVENTS: u32 = 5;
/// New places a principal keeps on probation at once (the oldest gives way).
const PROBATION_PLACES: usize = 8;

fn judged(a: &Access) -> bool {
    !matches!(
        a.principal_type,
        PrincipalType::Service | PrincipalType::Account | PrincipalType::Anonymous
    )
}

/// The first event of a principal (after the run's first days, when everything is new).
pub(crate) fn new_principal(_p: &mut Profile, out: &mut Emitter, ctx: &Ctx, a: &Access) {
    if !judged(a) || a.time - ctx.data_start < ctx.warm_up() {
        return;
    }
    out.emit(
        ctx,
        rule::BASELINE_NEW_PRINCIPAL,
        a,
        || "first activity of a principal not seen before".to_string(),
        |_| {},
    );
}

/// An S3 SDK or tool talking to Cloud Storage's XML API: such requests are signed with an
/// HMAC key (the only credential S3-compatible clients have for GCS).
pub(crate) fn s3_compatible_client(ua: &str) -> bool {
    let l = ua.to_ascii_lowercase();
    [
        "aws-cli/",
        "boto3/",
        "botocore/",
        "aws-sdk-",
        "s3cmd/",
        "minio (",
        "minio-go/",
        "rclone/",
    ]
    .iter()
    .any(|m| l.contains(m))
}

/// Where the event came from by the GeoIP databases, and its AS organisation.
pub(crate) type Geo<'g> = Option<(crate::geo::Place, Option<&'g str>)>;

/// Judges the event against the profile and absorbs it in the same step. Returns whether a
/// finding of medium or above was raised, and which keys were new.
pub(crate) fn judge(
    p: &mut Profile,
    out: &mut Emitter,
    ctx: &Ctx,
    a: &Access,
    geo: Geo,
) -> (bool, NewKeys) {
    let now = a.time;
    let window = ctx.cfg.window();
    let mut new = NewKeys::default();
    if !judged(a) {
        return (false, new);
    }
    let mut flagged = false;
    let dormant_days = ctx.dormant_days;
    let idle = (now - p.last_seen) as f64 / NANOS_PER_DAY as f64;
    if p.last_seen < now && idle >= dormant_days {
        let last = p.last_seen;
        let sev = out.emit(
            ctx,
            rule::BASELINE_DORMANT_PRINCIPAL,
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
    // Through the memos: a principal's consecutive events mostly share address, client and
    // service, and a repeat on the same day costs a comparison instead of a lookup.
    let m = &mut p.memos;
    let net = a.source_ip.map(network_of);
    let ip_known = a
        .source_ip
        .map(|ip| p.ips.observe_memo(&mut m.ip, ip, now, window));
    let net_known = net.map(|n| p.networks.observe_memo(&mut m.network, n, now, window));
    let agent_known = (a.agent_family != 0).then(|| {
        p.agents
            .observe_memo(&mut m.agent, a.agent_family, now, window)
    });
    let api_known = (a.action != 0).then(|| p.apis.observe_memo(&mut m.api, a.action, now, window));
    let bucket_known =
        (a.bucket != 0).then(|| p.buckets.observe_memo(&mut m.bucket, a.bucket, now, window));
    let source_known = (a.event_source != 0).then(|| {
        p.sources
            .observe_memo(&mut m.source, a.event_source, now, window)
    });
    new.ip = ip_known == Some(false) || net_known == Some(false);
    new.agent = agent_known == Some(false);
    new.api = api_known == Some(false);
    new.bucket = bucket_known == Some(false);
    new.source = source_known == Some(false);
    let place = geo.map(|g| g.0);
    let m = &mut p.memos;
    let country_known = place.filter(|pl| pl.has_country()).map(|pl| {
        p.countries
            .observe_memo(&mut m.country, pl.country_key(), now, window)
    });
    let asn_known = place
        .filter(|pl| pl.asn != 0)
        .map(|pl| p.asns.observe_memo(&mut m.asn, pl.asn, now, window));
    new.country = place
        .filter(|_| country_known == Some(false))
        .map(|pl| pl.country_key());
    new.asn = place.filter(|_| asn_known == Some(false)).map(|pl| pl.asn);
    let previous_place = p.last_place;
    if let (Some(pl), Some(ip)) = (place, a.source_ip) {
        if let Some((lat, lon, radius_km)) = pl.location {
            if previous_place.is_none_or(|l| l.time <= now) {
                p.last_place = Some(crate::detect::baseline::LastPlace {
                    time: now,
                    ip,
                    country: pl.country_key(),
                    lat,
                    lon,
                    radius_km,
                });
            }
        }
    }
    if !baseline {
        return (flagged, new);
    }
    if let Some((pl, org)) = geo {
        flagged |= judge_place(p, out, ctx, a, (pl, org), previous_place, new, net_known);
    }
    // A request from a network the principal has not used. On its own that is how a
    // traveller looks (low); each further sign of someone else at the keyboard raises it: an
    // hour the principal never works, a client it never used, APIs it never called, data
    // taken from the new place.
    // (Only a network not known as normal can be pending: no second lookup for the others.)
    let from_pending_place = net_known == Some(false)
        && net.is_some_and(|n| p.networks.get(&n).is_some_and(|s| s.pending));
    let on_probation = net.is_some_and(|n| {
        p.place_probation
            .iter()
            .any(|&(pn, until)| pn == n && now <= until)
    });
    let new_place =
        (ip_known == Some(false) && net_known == Some(false)) || from_pending_place || on_probation;
    if let (Some(ip), Some(net), true) = (a.source_ip, net, new_place) {
        let networks = p.networks.known_count(now, window);
        let roaming = networks >= ROAMING_NETWORKS;
        let mut features = PLACE_NEW_NETWORK;
        // Counted when the place's first request comes at such an hour: someone else starting
        // work at 03:00, not a traveller whose day from a hotel runs into the evening.
        let odd_hour = !ctx.business(p, now) && !crate::detect::habits::hour_is_normal(p, ctx, now);
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
        if new.asn.is_some() {
            features |= PLACE_NEW_ASN;
        }
        let whereabouts = geo
            .map(|(pl, org)| describe_place(pl, org))
            .filter(|w| !w.is_empty());
        // An Azure account key or SAS token is a bearer secret, not a person: whoever holds
        // it is the principal. From a network it never came from, it is the secret that moved.
        use crate::event::AuthMethod;
        // Likewise a GCS HMAC key: S3-compatible clients can only reach Cloud Storage with one.
        // The floor of the place's severity: the credential rules' own (an account key),
        // their `sas_token` level; a person's new network has none (its signs decide).
        let cat = Catalogue::get();
        let (rule, floor, credential) = match a.auth {
            AuthMethod::AccountKey => (
                rule::AZURE_STORAGE_KEY_NEW_PLACE,
                cat.severity(rule::AZURE_STORAGE_KEY_NEW_PLACE),
                "account key",
            ),
            AuthMethod::Sas => (
                rule::AZURE_STORAGE_KEY_NEW_PLACE,
                cat.level(
                    rule::AZURE_STORAGE_KEY_NEW_PLACE,
                    Case::SasToken,
                    Severity::Info,
                ),
                "SAS token",
            ),
            _ if a.format == crate::event::Format::GcsAudit
                && s3_compatible_client(&ctx.syms.text(a.user_agent)) =>
            {
                (
                    rule::GCP_GCS_HMAC_KEY_NEW_PLACE,
                    cat.severity(rule::GCP_GCS_HMAC_KEY_NEW_PLACE),
                    "HMAC key",
                )
            }
            _ => (rule::BASELINE_NEW_SOURCE_IP, Severity::Low, ""),
        };
        // Below PLACE_MIN_EVENTS the place is on probation for a day: its next requests are
        // still counted here (and weighed with its first), though it joins the baseline.
        let mut probation = false;
        let sev = out.emit_with(
            ctx,
            rule,
            a,
            || {
                let at = whereabouts
                    .as_deref()
                    .map(|w| format!(" ({w})"))
                    .unwrap_or_default();
                if credential.is_empty() {
                    format!(
                        "request from {ip}{at}, a network this principal has not used in {} days",
                        ctx.cfg.history_days
                    )
                } else {
                    format!(
                        "{credential} used from {ip}{at}, a network it has not been used from in {} days",
                        ctx.cfg.history_days
                    )
                }
            },
            |f| {
                if let Some((pl, org)) = geo {
                    set_place(f, "", pl, org);
                }
                f.set("known_networks", networks as u64);
                f.set("known_addresses", p.ips.known_count(now, window) as u64);
                f.set("roaming_principal", roaming);
            },
            |f| {
                // The signs of this place's own requests: another place's one-off request
                // earlier in the day does not add to them.
                let first = if odd_hour { PLACE_ODD_HOUR } else { 0 };
                let (from_here, place) = f.count_network(net, features, first);
                f.features |= place;
                f.extra_mitre.extend(techniques.iter().flatten().copied());
                let signs = place.count_ones();
                let sev = match signs {
                    0..=2 => Severity::Low,
                    3 => Severity::Medium,
                    _ => Severity::High,
                };
                // A person's one request through a hotel or phone network now and then is
                // how requests from new places mostly look; someone else at the keyboard
                // keeps working from theirs. The same goes for SAS tokens and HMAC keys,
                // handed to clients that come from many places; an account key is an
                // administrator's secret, and from a new network it is high at once.
                probation = from_here < PLACE_MIN_EVENTS;
                let sev = match (probation, a.auth) {
                    (true, AuthMethod::AccountKey) => floor,
                    (true, _) => cat.level(rule, Case::Probation, sev),
                    (false, _) => sev.max(floor),
                };
                let sev = if roaming {
                    cat.level(rule, Case::Roaming, sev.min(Severity::Medium))
                } else {
                    sev
                };
                if sev > f.severity || f.event_count <= 1 {
                    f.severity = sev;
                    f.score = sev.base_score() + 3 * signs.max(f.features.count_ones());
                    f.evidence
                        .insert("features".into(), place_features(f.features).into());
                }
            },
        );
        flagged |= sev >= Severity::Medium;
        if probation {
            let until = now + NANOS_PER_DAY;
            p.place_probation.retain(|&(n, u)| n != net && u >= now);
            if p.place_probation.len() >= PROBATION_PLACES {
                p.place_probation.remove(0);
            }
            p.place_probation.push((net, until));
        }
    }
    if agent_known == Some(false) {
        let ua = ctx.syms.text(a.user_agent);
        out.emit(
            ctx,
            rule::BASELINE_NEW_USER_AGENT,
            a,
            || format!("new user agent: {}", crate::text::bounded(&ua, 120)),
            |f| f.set("user_agent", crate::text::bounded(&ua, 200)),
        );
    }
    if api_known == Some(false) {
        let api = ctx.syms.text(a.action);
        out.emit_with(
            ctx,
            rule::BASELINE_FIRST_TIME_API,
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
            rule::BASELINE_NEW_EVENT_SOURCE,
            a,
            || {
                format!(
                    "first use of {} by this principal",
                    crate::text::bounded(&source, 120)
                )
            },
            |f| f.set("event_source", crate::text::bounded(&source, 200)),
        );
    }
    if bucket_known == Some(false) {
        let bucket = ctx.syms.text(a.bucket);
        out.emit(
            ctx,
            rule::BASELINE_NEW_BUCKET,
            a,
            || format!("first access to bucket {bucket} by this principal"),
            |_| {},
        );
    }
    (flagged, new)
}

/// "London, GB, AS7018 AT&T Services" — what the databases say about an address.
fn describe_place(pl: crate::geo::Place, org: Option<&str>) -> String {
    let mut parts: Vec<String> = Vec::new();
    if let Some(c) = pl.country_code() {
        parts.push(c.to_string());
    }
    if pl.asn != 0 {
        parts.push(match org {
            Some(o) => format!("AS{} {}", pl.asn, crate::text::bounded(o, 60)),
            None => format!("AS{}", pl.asn),
        });
    }
    parts.join(", ")
}

/// Puts the place of an address into a finding's evidence (`prefix` tells two places apart).
fn set_place(
    f: &mut crate::detect::finding::FindingAcc,
    prefix: &str,
    pl: crate::geo::Place,
    org: Option<&str>,
) {
    if let Some(c) = pl.country_code() {
        f.set(&format!("{prefix}country"), c);
    }
    if pl.asn != 0 {
        f.set(&format!("{prefix}asn"), pl.asn);
        if let Some(o) = org {
            f.set(&format!("{prefix}as_org"), crate::text::bounded(o, 80));
        }
    }
}

/// New country and impossible travel, from the GeoIP place of the event.
#[allow(clippy::too_many_arguments)]
fn judge_place(
    p: &Profile,
    out: &mut Emitter,
    ctx: &Ctx,
    a: &Access,
    (pl, org): (crate::geo::Place, Option<&str>),
    previous: Option<crate::detect::baseline::LastPlace>,
    new: NewKeys,
    net_known: Option<bool>,
) -> bool {
    let now = a.time;
    let window = ctx.cfg.window();
    let mut flagged = false;
    if let Some(country) = new.country {
        let known = p.countries.known_count(now, window);
        let roaming =
            known as f64 >= ctx.threshold(rule::BASELINE_NEW_COUNTRY, "roaming_countries", 4.0);
        let code = crate::geo::country_text(country);
        let sev = out.emit_with(
            ctx,
            rule::BASELINE_NEW_COUNTRY,
            a,
            || {
                format!(
                    "request from {} ({code}), a country this principal has not worked from in {} days",
                    a.source_ip.map(|ip| ip.to_string()).unwrap_or_default(),
                    ctx.cfg.history_days
                )
            },
            |f| {
                set_place(f, "", pl, org);
                f.set("known_countries", known as u64);
                if roaming {
                    f.severity =
                        Catalogue::get().level(rule::BASELINE_NEW_COUNTRY, Case::Roaming, f.severity);
                    f.set("roaming_principal", true);
                }
            },
            |f| {
                let list = f
                    .evidence
                    .entry("new_countries")
                    .or_insert_with(|| serde_json::json!([]));
                if let Some(v) = list.as_array_mut() {
                    if v.len() < 20 && !v.iter().any(|x| x.as_str() == Some(code.as_str())) {
                        v.push(code.clone().into());
                    }
                }
            },
        );
        flagged |= sev >= Severity::Medium;
    }
    // Impossible travel: the previous located request was too far away, too recently.
    let (Some(prev), Some((lat, lon, radius)), Some(ip)) = (previous, pl.location, a.source_ip)
    else {
        return flagged;
    };
    if net_known == Some(true) || prev.ip == ip || prev.time > now {
        return flagged;
    }
    let raw_km = crate::geo::distance_km((prev.lat, prev.lon), (lat, lon));
    // Locations are estimates: only the distance beyond both accuracy radii counts.
    let km = raw_km - f64::from(prev.radius_km.min(500)) - f64::from(radius.min(500));
    let min_km = ctx.threshold(rule::BASELINE_IMPOSSIBLE_TRAVEL, "min_km", 500.0);
    let max_kmh = ctx.threshold(rule::BASELINE_IMPOSSIBLE_TRAVEL, "max_kmh", 1000.0);
    let hours = ((now - prev.time) as f64 / crate::time::NANOS_PER_HOUR as f64).max(1.0 / 60.0);
    let kmh = km / hours;
    if km < min_km || kmh <= max_kmh {
        return flagged;
    }
    let cat = Catalogue::get();
    let base = cat.severity(rule::BASELINE_IMPOSSIBLE_TRAVEL);
    let sev = if new.country.is_some() {
        base
    } else if p.networks.known_count(now, window) >= ROAMING_NETWORKS {
        cat.level(rule::BASELINE_IMPOSSIBLE_TRAVEL, Case::Roaming, base)
    } else {
        cat.level(rule::BASELINE_IMPOSSIBLE_TRAVEL, Case::KnownCountry, base)
    };
    let from_country = crate::geo::country_text(prev.country);
    let minutes = (now - prev.time) as f64 / 60e9;
    let sev = out.emit(
        ctx,
        rule::BASELINE_IMPOSSIBLE_TRAVEL,
        a,
        || {
            format!(
                "{ip} ({}) {:.0} min after {} ({from_country}), {:.0} km apart: {:.0} km/h",
                pl.country_code().unwrap_or("?"),
                minutes,
                prev.ip,
                raw_km,
                kmh
            )
        },
        |f| {
            f.severity = sev;
            set_place(f, "", pl, org);
            f.set("previous_ip", prev.ip.to_string());
            f.set("previous_country", from_country.clone());
            f.set("previous_time", crate::time::rfc3339(prev.time));
            f.set("distance_km", raw_km.round());
            f.set("minutes_between", (minutes * 10.0).round() / 10.0);
            f.set("speed_kmh", kmh.round());
            f.set("max_kmh", max_kmh);
            f.source_ips.insert(prev.ip);
        },
    );
    flagged | (sev >= Severity::Medium)
}

/// New principals, networks, places, agents, APIs, buckets and services, against the
/// principal's history. Owns the GeoIP lookups (when databases are given).
pub(crate) struct Novelty {
    geo: Option<crate::geo::GeoCache>,
}

impl Novelty {
    pub(crate) fn new(cfg: &crate::detect::config::DetectConfig) -> Self {
        Novelty {
            geo: cfg.geoip.clone().map(crate::geo::GeoCache::new),
        }
    }
}

impl crate::detect::detector::Detector for Novelty {
    fn name(&self) -> &'static str {
        "novelty"
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
        if j.first {
            new_principal(p, out, ctx, a);
        }
        if a.principal_type == PrincipalType::Anonymous {
            return;
        }
        let place = match (&mut self.geo, a.source_ip) {
            (Some(g), Some(ip)) => Some(g.lookup(ip)),
            _ => None,
        };
        let geo = place.map(|pl| (pl, self.geo.as_ref().and_then(|g| g.org(pl.asn))));
        let (flagged, keys) = judge(p, out, ctx, a, geo);
        j.flagged |= flagged;
        j.new_keys = keys;
    }
}
