//! From the collected events to an [`Investigation`]: identity and authentication, addresses,
//! agents, APIs, buckets and objects, the hourly timeline against the principal's own earlier
//! hours, and its findings.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::correlate::queries_for;
use crate::detect::finding::Finding;
use crate::time::{rfc3339, NANOS_PER_HOUR};

use super::collect::{Rec, Store};
use super::*;

fn counted(m: BTreeMap<String, u64>, max: usize) -> Vec<Counted> {
    let mut v: Vec<Counted> = m
        .into_iter()
        .filter(|(k, _)| !k.is_empty())
        .map(|(value, count)| Counted { value, count })
        .collect();
    v.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
    v.truncate(max);
    v
}

/// count, first, last, seen before the window.
type SeenAcc = (u64, i64, i64, bool);

fn seen(m: BTreeMap<String, SeenAcc>, max: usize) -> Vec<Seen> {
    let mut v: Vec<Seen> = m
        .into_iter()
        .filter(|(_, a)| a.0 > 0)
        .map(|(value, (count, first, last, before))| Seen {
            value,
            count,
            first_seen: rfc3339(first),
            last_seen: rfc3339(last),
            new: !before,
            network: None,
            country: None,
            asn: None,
            as_org: None,
        })
        .collect();
    // New ones first: they are what an analyst checks first.
    v.sort_by(|a, b| {
        b.new
            .cmp(&a.new)
            .then(b.count.cmp(&a.count))
            .then_with(|| a.value.cmp(&b.value))
    });
    v.truncate(max);
    v
}

fn note_seen(m: &mut BTreeMap<String, SeenAcc>, key: String, t: i64, in_window: bool) {
    let e = m.entry(key).or_insert((0, i64::MAX, i64::MIN, false));
    if in_window {
        e.0 += 1;
        e.1 = e.1.min(t);
        e.2 = e.2.max(t);
    } else {
        e.3 = true;
    }
}

pub(super) fn investigate(
    store: &Store,
    findings: &[Finding],
    q: &Query,
) -> Result<Investigation, Error> {
    // The collector keeps substring matches already; filtering again keeps this honest for
    // any store.
    let all: BTreeSet<&str> = store
        .recs
        .iter()
        .map(|r| store.text(r.principal))
        .filter(|p| p.contains(q.principal.as_str()))
        .collect();
    let (matched, chosen): (&'static str, BTreeSet<&str>) = if all.contains(q.principal.as_str()) {
        ("exact", [q.principal.as_str()].into())
    } else {
        ("substring", all)
    };
    if chosen.is_empty() {
        return Err(Error::NoSuchPrincipal(q.principal.clone()));
    }
    let recs: Vec<&Rec> = store
        .recs
        .iter()
        .filter(|r| chosen.contains(store.text(r.principal)))
        .collect();
    let findings: Vec<&Finding> = findings
        .iter()
        .filter(|f| chosen.contains(f.principal.as_str()))
        .collect();
    let first = recs.iter().map(|r| r.time).min().unwrap_or(0);
    let last = recs.iter().map(|r| r.time).max().unwrap_or(0);

    let (since, until, chosen_by) = window(q, &findings, first, last)?;
    let in_window = |t: i64| t >= since && t < until;
    let findings: Vec<&Finding> = findings
        .into_iter()
        .filter(|f| f.first_ns < until && f.last_ns >= since)
        .collect();

    let mut providers = BTreeMap::new();
    let mut formats = BTreeMap::new();
    let mut types = BTreeMap::new();
    let mut auths = BTreeMap::new();
    let mut details = BTreeMap::new();
    let mut credentials = BTreeMap::new();
    let mut accounts = BTreeMap::new();
    let mut mfa = 0;
    let mut actions = BTreeMap::new();
    let mut errors = BTreeMap::new();
    let mut ips: BTreeMap<String, SeenAcc> = BTreeMap::new();
    let mut agents: BTreeMap<String, SeenAcc> = BTreeMap::new();
    let mut buckets: BTreeMap<u32, (u64, BTreeSet<u32>, u64)> = BTreeMap::new();
    let mut objects: BTreeMap<(u32, u32), u64> = BTreeMap::new();
    let mut hours: BTreeMap<i64, (u64, u64, u64)> = BTreeMap::new();
    // Events per (day, hour of day) before the window, for the baseline.
    let baseline_from = (since - BASELINE_DAYS * NANOS_PER_DAY)
        .max(first.div_euclid(NANOS_PER_DAY) * NANOS_PER_DAY)
        .min(since);
    let baseline_days = ((since - baseline_from) / NANOS_PER_DAY).max(0);
    let mut base: HashMap<(i64, i64), u64> = HashMap::new();
    let mut events_in_window = 0u64;

    for r in &recs {
        let w = in_window(r.time);
        let ip = match r.ip {
            Some(ip) => ip.to_string(),
            None => store.text(r.host).to_string(),
        };
        if !ip.is_empty() {
            note_seen(&mut ips, ip, r.time, w);
        }
        let agent = store.text(r.agent);
        if !agent.is_empty() {
            note_seen(
                &mut agents,
                crate::text::bounded(agent, MAX_TEXT),
                r.time,
                w,
            );
        }
        if !w {
            if r.time < since && r.time >= baseline_from {
                let day = (r.time - baseline_from).div_euclid(NANOS_PER_DAY);
                let hod = r.time.rem_euclid(NANOS_PER_DAY) / NANOS_PER_HOUR;
                *base.entry((day, hod)).or_default() += 1;
            }
            continue;
        }
        events_in_window += 1;
        *providers
            .entry(r.format.provider().as_str().to_string())
            .or_default() += 1;
        *formats.entry(r.format.id().to_string()).or_default() += 1;
        *types
            .entry(r.principal_type.as_str().to_string())
            .or_default() += 1;
        *auths.entry(r.auth.as_str().to_string()).or_default() += 1;
        *details
            .entry(crate::text::bounded(store.text(r.detail), MAX_TEXT))
            .or_default() += 1;
        *credentials
            .entry(store.text(r.credential).to_string())
            .or_default() += 1;
        *accounts
            .entry(store.text(r.account).to_string())
            .or_default() += 1;
        if r.mfa == Some(true) {
            mfa += 1;
        }
        *actions
            .entry(format!("{} ({})", store.text(r.action), r.class.as_str()))
            .or_default() += 1;
        if r.error {
            let status = store.text(r.status);
            let status = if status.is_empty() { "error" } else { status };
            *errors.entry(status.to_string()).or_default() += 1;
        }
        if r.bucket != 0 {
            let b = buckets.entry(r.bucket).or_default();
            b.0 += 1;
            b.2 = b.2.saturating_add(r.bytes_out);
            if r.object != 0 {
                b.1.insert(r.object);
                *objects.entry((r.bucket, r.object)).or_default() += 1;
            }
        }
        let h = hours
            .entry(r.time.div_euclid(NANOS_PER_HOUR) * NANOS_PER_HOUR)
            .or_default();
        h.0 += 1;
        h.1 += r.error as u64;
        h.2 = h.2.saturating_add(r.bytes_out);
    }

    // Hours with activity or with a finding, each against the same hour of day before.
    let mut marked: BTreeSet<i64> = hours.keys().copied().collect();
    for f in &findings {
        let mut h = f.first_ns.max(since).div_euclid(NANOS_PER_HOUR) * NANOS_PER_HOUR;
        while h <= f.last_ns.min(until - 1) && marked.len() < MAX_HOURS * 2 {
            marked.insert(h);
            h += NANOS_PER_HOUR;
        }
    }
    let timeline: Vec<Hour> = marked
        .into_iter()
        .take(MAX_HOURS)
        .map(|h| {
            let (events, errs, bytes) = hours.get(&h).copied().unwrap_or_default();
            let hod = h.rem_euclid(NANOS_PER_DAY) / NANOS_PER_HOUR;
            let per_day: Vec<u64> = (0..baseline_days)
                .map(|d| base.get(&(d, hod)).copied().unwrap_or(0))
                .collect();
            let baseline_max = per_day.iter().copied().max().unwrap_or(0);
            let baseline_mean = if per_day.is_empty() {
                0.0
            } else {
                (per_day.iter().sum::<u64>() as f64 / per_day.len() as f64 * 100.0).round() / 100.0
            };
            Hour {
                hour: rfc3339(h),
                events,
                errors: errs,
                bytes_out: bytes,
                baseline_mean,
                baseline_max,
                unusual: events > baseline_max,
                findings: findings
                    .iter()
                    .filter(|f| f.first_ns < h + NANOS_PER_HOUR && f.last_ns >= h)
                    .map(|f| f.id.clone())
                    .collect(),
            }
        })
        .collect();

    let mut bucket_list: Vec<BucketUse> = buckets
        .iter()
        .map(|(b, (n, objs, bytes))| BucketUse {
            bucket: crate::text::bounded(store.text(*b), MAX_TEXT),
            events: *n,
            distinct_objects: objs.len() as u64,
            bytes_out: *bytes,
        })
        .collect();
    bucket_list.sort_by(|a, b| {
        b.events
            .cmp(&a.events)
            .then_with(|| a.bucket.cmp(&b.bucket))
    });
    bucket_list.truncate(MAX_LIST);
    let objects_distinct = objects.len() as u64;
    let objects = counted(
        objects
            .into_iter()
            .map(|((b, o), n)| {
                let key = format!("{}/{}", store.text(b), store.text(o));
                (crate::text::bounded(&key, MAX_TEXT), n)
            })
            .collect(),
        MAX_OBJECTS,
    );

    let queries = chosen
        .iter()
        .map(|p| {
            let provs: BTreeSet<&str> = recs
                .iter()
                .filter(|r| store.text(r.principal) == *p)
                .map(|r| r.format.provider().as_str())
                .collect();
            PrincipalQueries {
                principal: p.to_string(),
                // The builders widen by an hour on each side; the window already has margin.
                queries: queries_for(&provs, p, since + NANOS_PER_HOUR, until - NANOS_PER_HOUR),
            }
        })
        .collect();

    let ips_distinct = ips.values().filter(|a| a.0 > 0).count() as u64;
    let agents_distinct = agents.values().filter(|a| a.0 > 0).count() as u64;
    Ok(Investigation {
        query: q.principal.clone(),
        matched,
        principals: chosen.iter().map(|s| s.to_string()).collect(),
        window: Window {
            since: rfc3339(since),
            until: rfc3339(until),
            chosen_by,
            baseline_from: rfc3339(baseline_from),
            baseline_days: baseline_days as u64,
        },
        events_total: recs.len() as u64,
        events_in_window,
        first_seen: rfc3339(first),
        last_seen: rfc3339(last),
        events_not_kept: store.dropped,
        identity: Identity {
            providers: counted(providers, MAX_LIST),
            formats: counted(formats, MAX_LIST),
            principal_types: counted(types, MAX_LIST),
            auth_methods: counted(auths, MAX_LIST),
            details: counted(details, 20),
            credentials: counted(credentials, 20),
            accounts: counted(accounts, 20),
            mfa: Counted {
                value: "mfa".into(),
                count: mfa,
            },
        },
        source_ips: seen(ips, MAX_LIST),
        source_ips_distinct: ips_distinct,
        user_agents: seen(agents, 30),
        user_agents_distinct: agents_distinct,
        actions: counted(actions, MAX_LIST),
        errors: counted(errors, 20),
        buckets: bucket_list,
        objects,
        objects_distinct,
        timeline,
        findings: findings.into_iter().cloned().collect(),
        queries,
    })
}

/// The window: as given; else around the principal's findings (medium or above when there
/// are any); else its last day of activity. Hour-aligned, so timeline rows are whole hours.
fn window(
    q: &Query,
    findings: &[&Finding],
    first: i64,
    last: i64,
) -> Result<(i64, i64, &'static str), Error> {
    let floor = |t: i64| t.div_euclid(NANOS_PER_HOUR) * NANOS_PER_HOUR;
    let ceil = |t: i64| floor(t) + NANOS_PER_HOUR;
    let (since, until, how) = if q.since.is_some() || q.until.is_some() {
        (
            q.since.unwrap_or(floor(first)),
            q.until.unwrap_or(ceil(last)),
            "given",
        )
    } else {
        let serious: Vec<&&Finding> = findings
            .iter()
            .filter(|f| f.severity >= crate::catalogue::Severity::Medium)
            .collect();
        let pick: Vec<&&Finding> = if serious.is_empty() {
            findings.iter().collect()
        } else {
            serious
        };
        match (
            pick.iter().map(|f| f.first_ns).min(),
            pick.iter().map(|f| f.last_ns).max(),
        ) {
            (Some(a), Some(b)) => (
                floor(a - WINDOW_MARGIN),
                ceil(b + WINDOW_MARGIN),
                "findings",
            ),
            _ => (floor(last - NANOS_PER_DAY), ceil(last), "recent"),
        }
    };
    if since >= until {
        return Err(Error::EmptyWindow);
    }
    Ok((since, until, how))
}
