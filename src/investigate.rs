//! `trailhound investigate`: everything about one principal. Runs the normal pipeline (so its
//! findings are exactly those of `scan`) with a [`BatchObserver`] that keeps the matching
//! principal's events in compact form, then summarises them for a window: identity and
//! authentication, source addresses, clients, APIs, buckets and objects, an hourly timeline
//! against the principal's own earlier hours, its findings and ready-to-run queries.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::IpAddr;
use std::sync::Mutex;

use serde::Serialize;

use crate::correlate::{queries_for, Queries};
use crate::detect::finding::Finding;
use crate::event::{AccessEvent, ActionClass, AuthMethod, Batch, Format, PrincipalType};
use crate::ingest::{IngestOptions, InputFile};
use crate::pipeline::{self, BatchObserver, ScanConfig, ScanOutput};
use crate::time::{rfc3339, NANOS_PER_HOUR};

const NANOS_PER_DAY: i64 = 24 * NANOS_PER_HOUR;
/// Events kept for the principal (a substring like `user/` may match half an organisation):
/// beyond this the report says it is truncated rather than exhausting memory.
const MAX_RECORDS: usize = 4_000_000;
/// How far back the hourly baseline looks before the window.
const BASELINE_DAYS: i64 = 28;
/// Without `--since`, the window starts this long before the first finding (and ends as long
/// after the last), so the lead-up and the aftermath are in view.
const WINDOW_MARGIN: i64 = 2 * NANOS_PER_HOUR;
/// Timeline rows at most (three months of hours).
const MAX_HOURS: usize = 24 * 92;
const MAX_LIST: usize = 50;
const MAX_OBJECTS: usize = 100;
/// Attacker-chosen strings (object keys, agents) are cut to this many characters.
const MAX_TEXT: usize = 300;

/// What to investigate.
#[derive(Clone, Debug, Default)]
pub struct Query {
    /// Principal id: matched exactly, else as a substring.
    pub principal: String,
    /// Window start and end (nanoseconds); chosen from the findings when absent.
    pub since: Option<i64>,
    pub until: Option<i64>,
}

/// One event of a matching principal; strings are indexes into [`Store::strings`].
#[derive(Clone, Debug)]
struct Rec {
    time: i64,
    bytes_out: u64,
    ip: Option<IpAddr>,
    principal: u32,
    host: u32,
    agent: u32,
    bucket: u32,
    object: u32,
    action: u32,
    status: u32,
    detail: u32,
    credential: u32,
    account: u32,
    class: ActionClass,
    auth: AuthMethod,
    principal_type: PrincipalType,
    format: Format,
    error: bool,
    mfa: Option<bool>,
}

#[derive(Default)]
struct Store {
    strings: Vec<String>,
    index: HashMap<String, u32>,
    recs: Vec<Rec>,
    dropped: u64,
}

impl Store {
    fn intern(&mut self, s: &str) -> u32 {
        if let Some(&i) = self.index.get(s) {
            return i;
        }
        let i = self.strings.len() as u32;
        self.strings.push(s.to_string());
        self.index.insert(s.to_string(), i);
        i
    }

    fn text(&self, i: u32) -> &str {
        &self.strings[i as usize]
    }
}

/// Keeps the events whose principal contains the needle (exact matches are picked out after
/// the scan, when it is known whether there are any).
pub struct Collector {
    needle: String,
    store: Mutex<Store>,
}

impl Collector {
    pub fn new(needle: &str) -> Self {
        let mut store = Store::default();
        store.intern("");
        Collector {
            needle: needle.to_string(),
            store: Mutex::new(store),
        }
    }
}

impl BatchObserver for Collector {
    fn batch(&self, b: &Batch) {
        let mine: Vec<&AccessEvent> = b
            .events
            .iter()
            .filter(|e| b.str(e.principal).contains(self.needle.as_str()))
            .collect();
        if mine.is_empty() {
            return;
        }
        // One lock per batch, taken only when the batch holds the principal.
        let mut st = self.store.lock().unwrap_or_else(|e| e.into_inner());
        for e in mine {
            if st.recs.len() >= MAX_RECORDS {
                st.dropped += 1;
                continue;
            }
            let rec = Rec {
                time: e.time,
                bytes_out: e.bytes_out.unwrap_or(0),
                ip: e.source_ip,
                principal: st.intern(b.str(e.principal)),
                host: st.intern(b.str(e.source_host)),
                agent: st.intern(b.str(e.user_agent)),
                bucket: st.intern(b.str(e.bucket)),
                object: st.intern(b.str(e.object)),
                action: st.intern(b.str(e.action)),
                status: st.intern(b.str(e.status)),
                detail: st.intern(b.str(e.principal_detail)),
                credential: st.intern(b.str(e.credential)),
                account: st.intern(b.str(e.account)),
                class: e.action_class,
                auth: e.auth,
                principal_type: e.principal_type,
                format: e.format(),
                error: e.error,
                mfa: e.mfa,
            };
            st.recs.push(rec);
        }
    }
}

/// A value and how often it was seen.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Counted {
    pub value: String,
    pub count: u64,
}

/// A source address or client: count, first and last time in the window, and whether the
/// principal had used it before the window.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Seen {
    pub value: String,
    pub count: u64,
    pub first_seen: String,
    pub last_seen: String,
    pub new: bool,
    /// For addresses: the /24 or /48 network, and country and AS when a GeoIP database is
    /// given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub network: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub asn: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub as_org: Option<String>,
}

/// Adds network, country and AS to source addresses.
fn locate(ips: &mut [Seen], geo: Option<&crate::geo::GeoDb>) {
    for s in ips {
        let Ok(ip) = s.value.parse::<IpAddr>() else {
            continue;
        };
        let (net, prefix) = crate::detect::baseline::network_prefix(ip);
        s.network = Some(format!("{net}/{prefix}"));
        if let Some(db) = geo {
            let place = db.address_place(ip);
            s.country = place.country;
            s.asn = place.asn;
            s.as_org = place.as_org;
        }
    }
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct BucketUse {
    pub bucket: String,
    pub events: u64,
    pub distinct_objects: u64,
    pub bytes_out: u64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Identity {
    pub providers: Vec<Counted>,
    pub formats: Vec<Counted>,
    pub principal_types: Vec<Counted>,
    pub auth_methods: Vec<Counted>,
    /// Session names, delegation chains, display names kept aside from the principal id.
    pub details: Vec<Counted>,
    /// Access key ids and token hashes.
    pub credentials: Vec<Counted>,
    pub accounts: Vec<Counted>,
    pub mfa: Counted,
}

/// One hour of the timeline.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Hour {
    pub hour: String,
    pub events: u64,
    pub errors: u64,
    pub bytes_out: u64,
    /// Mean events in this hour of the day over the baseline days (0 without history).
    pub baseline_mean: f64,
    /// Most events in this hour of the day on any baseline day.
    pub baseline_max: u64,
    /// More events than on any baseline day at this hour.
    pub unusual: bool,
    /// Findings whose activity overlaps this hour.
    pub findings: Vec<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Window {
    pub since: String,
    pub until: String,
    /// `given`, `findings` (around the principal's findings) or `recent` (its last day).
    pub chosen_by: &'static str,
    pub baseline_from: String,
    pub baseline_days: u64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PrincipalQueries {
    pub principal: String,
    pub queries: Queries,
}

/// Everything about one principal.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Investigation {
    pub query: String,
    /// `exact` or `substring`.
    pub matched: &'static str,
    pub principals: Vec<String>,
    pub window: Window,
    pub events_total: u64,
    pub events_in_window: u64,
    pub first_seen: String,
    pub last_seen: String,
    /// Events not kept because of the memory bound (the figures undercount when non-zero).
    pub events_not_kept: u64,
    pub identity: Identity,
    pub source_ips: Vec<Seen>,
    pub source_ips_distinct: u64,
    pub user_agents: Vec<Seen>,
    pub user_agents_distinct: u64,
    pub actions: Vec<Counted>,
    pub errors: Vec<Counted>,
    pub buckets: Vec<BucketUse>,
    pub objects: Vec<Counted>,
    pub objects_distinct: u64,
    pub timeline: Vec<Hour>,
    pub findings: Vec<Finding>,
    pub queries: Vec<PrincipalQueries>,
}

/// Why an investigation has nothing to show.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("no events of a principal matching {0:?} were found")]
    NoSuchPrincipal(String),
    #[error("the window is empty: --since is not before --until")]
    EmptyWindow,
}

/// Runs the pipeline over `files` and investigates the principal.
pub fn run(
    files: Vec<InputFile>,
    opts: &IngestOptions,
    cfg: &ScanConfig,
    q: &Query,
) -> Result<(Investigation, ScanOutput), Error> {
    let collector = Collector::new(&q.principal);
    let out = pipeline::scan_observed(files, opts, cfg, Some(&collector));
    let store = collector
        .store
        .into_inner()
        .unwrap_or_else(|e| e.into_inner());
    let mut inv = investigate(&store, &out.findings, q)?;
    locate(&mut inv.source_ips, cfg.detect.geoip.as_deref());
    Ok((inv, out))
}

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

fn investigate(store: &Store, findings: &[Finding], q: &Query) -> Result<Investigation, Error> {
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

/// `--since`/`--until`: RFC 3339, or a date (`2026-02-07`, midnight UTC).
pub fn parse_time(s: &str) -> Option<i64> {
    let s = s.trim();
    if s.len() == 10 {
        return crate::time::parse_rfc3339(format!("{s}T00:00:00Z").as_bytes());
    }
    crate::time::parse_rfc3339(s.as_bytes())
}

/// The investigation as text for a terminal: every log-derived string is sanitized.
pub fn table(inv: &Investigation, width: usize) -> String {
    use crate::report::table::{columns, thousands};
    use std::fmt::Write as _;
    let t = |s: &str, max: usize| crate::text::terminal(s, max);
    let cell = width.saturating_sub(40).clamp(30, 120);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Principal {} ({} match of {})",
        inv.principals
            .iter()
            .map(|p| t(p, 200))
            .collect::<Vec<_>>()
            .join(", "),
        inv.matched,
        t(&inv.query, 200)
    );
    let _ = writeln!(
        out,
        "Window {} .. {} ({}); {} of {} events in it; active {} .. {}",
        inv.window.since,
        inv.window.until,
        inv.window.chosen_by,
        thousands(inv.events_in_window),
        thousands(inv.events_total),
        inv.first_seen,
        inv.last_seen
    );
    if inv.events_not_kept > 0 {
        let _ = writeln!(
            out,
            "  note: {} events beyond the memory bound were not kept; narrow --principal",
            thousands(inv.events_not_kept)
        );
    }
    let list = |v: &[Counted]| {
        v.iter()
            .map(|c| format!("{} ({})", t(&c.value, 80), c.count))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let id = &inv.identity;
    out.push_str("\nIdentity\n");
    let mut rows: Vec<Vec<String>> = vec![vec!["".into(), "seen in the window".into()]];
    for (k, v) in [
        ("clouds", list(&id.providers)),
        ("logs", list(&id.formats)),
        ("type", list(&id.principal_types)),
        ("auth", list(&id.auth_methods)),
        ("sessions/names", list(&id.details)),
        ("credentials", list(&id.credentials)),
        ("accounts", list(&id.accounts)),
        ("mfa events", id.mfa.count.to_string()),
    ] {
        if !v.is_empty() {
            rows.push(vec![k.to_string(), v]);
        }
    }
    columns(&rows, &mut out);

    let seen_rows = |title: &str, v: &[Seen], distinct: u64, out: &mut String| {
        let _ = writeln!(out, "\n{title} ({distinct} distinct)");
        let located = v.iter().any(|s| s.network.is_some());
        let mut header: Vec<String> = vec![
            "".into(),
            "count".into(),
            "first".into(),
            "last".into(),
            "value".into(),
        ];
        if located {
            header.push("network, country, AS".into());
        }
        let mut rows = vec![header];
        for s in v {
            let mut row = vec![
                if s.new { "NEW" } else { "" }.into(),
                thousands(s.count),
                crate::text::head(&s.first_seen, 19).to_string(),
                crate::text::head(&s.last_seen, 19).to_string(),
                t(&s.value, cell),
            ];
            if located {
                let mut place: Vec<String> = s.network.iter().cloned().collect();
                place.extend(s.country.clone());
                if let Some(n) = s.asn {
                    place.push(match &s.as_org {
                        Some(o) => format!("AS{n} {o}"),
                        None => format!("AS{n}"),
                    });
                }
                row.push(t(&place.join(", "), cell));
            }
            rows.push(row);
        }
        columns(&rows, out);
    };
    seen_rows(
        "Source addresses",
        &inv.source_ips,
        inv.source_ips_distinct,
        &mut out,
    );
    seen_rows(
        "User agents",
        &inv.user_agents,
        inv.user_agents_distinct,
        &mut out,
    );

    out.push_str("\nAPIs\n");
    let mut rows = vec![vec!["count".to_string(), "action".to_string()]];
    for c in inv.actions.iter().take(20) {
        rows.push(vec![thousands(c.count), t(&c.value, cell)]);
    }
    columns(&rows, &mut out);
    if !inv.errors.is_empty() {
        let _ = writeln!(out, "  errors: {}", list(&inv.errors));
    }

    out.push_str("\nBuckets\n");
    let mut rows = vec![vec![
        "events".to_string(),
        "objects".into(),
        "bytes out".into(),
        "bucket".into(),
    ]];
    for b in &inv.buckets {
        rows.push(vec![
            thousands(b.events),
            thousands(b.distinct_objects),
            thousands(b.bytes_out),
            t(&b.bucket, cell),
        ]);
    }
    columns(&rows, &mut out);
    if !inv.objects.is_empty() {
        let _ = writeln!(
            out,
            "\nObjects ({} distinct; top {})",
            inv.objects_distinct,
            inv.objects.len().min(20)
        );
        let mut rows = vec![vec!["count".to_string(), "object".to_string()]];
        for c in inv.objects.iter().take(20) {
            rows.push(vec![thousands(c.count), t(&c.value, cell)]);
        }
        columns(&rows, &mut out);
    }

    let _ = writeln!(
        out,
        "\nHourly timeline (UTC; baseline = same hour on the {} days before the window; ! = more than any baseline day, * = finding)",
        inv.window.baseline_days
    );
    let mut rows = vec![vec![
        "hour".to_string(),
        "events".into(),
        "errors".into(),
        "base mean/max".into(),
        "".into(),
        "findings".into(),
    ]];
    const SHOWN: usize = 120;
    for h in inv.timeline.iter().take(SHOWN) {
        let rules: BTreeSet<&str> = h
            .findings
            .iter()
            .filter_map(|id| inv.findings.iter().find(|f| &f.id == id))
            .map(|f| f.rule.as_str())
            .collect();
        rows.push(vec![
            crate::text::head(&h.hour, 16).replace('T', " "),
            thousands(h.events),
            thousands(h.errors),
            format!("{:.1}/{}", h.baseline_mean, h.baseline_max),
            format!(
                "{}{}",
                if h.unusual { "!" } else { "" },
                if h.findings.is_empty() { "" } else { "*" }
            ),
            t(&rules.into_iter().collect::<Vec<_>>().join(", "), cell),
        ]);
    }
    columns(&rows, &mut out);
    if inv.timeline.len() > SHOWN {
        let _ = writeln!(
            out,
            "  … {} more hours (narrow --since/--until, or use --format json)",
            inv.timeline.len() - SHOWN
        );
    }

    let _ = writeln!(out, "\nFindings ({})", inv.findings.len());
    let mut rows = vec![vec![
        "severity".to_string(),
        "first seen".into(),
        "rule".into(),
        "title".into(),
    ]];
    for f in &inv.findings {
        rows.push(vec![
            f.severity.as_str().to_string(),
            crate::text::head(&f.first_seen, 19).to_string(),
            f.rule.clone(),
            t(&f.title, cell),
        ]);
    }
    columns(&rows, &mut out);

    out.push_str("\nQueries for your log store\n");
    for pq in &inv.queries {
        for (name, q) in [
            ("Athena (CloudTrail table)", &pq.queries.athena_sql),
            ("BigQuery (GCS audit sink)", &pq.queries.bigquery_sql),
            ("KQL (StorageBlobLogs)", &pq.queries.kql),
        ] {
            if let Some(q) = q {
                let _ = writeln!(out, "  {name}:\n    {}", t(q, 4000));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(store: &mut Store, principal: &str, time: i64, ip: &str, agent: &str) -> Rec {
        Rec {
            time,
            bytes_out: 10,
            ip: ip.parse().ok(),
            principal: store.intern(principal),
            host: 0,
            agent: store.intern(agent),
            bucket: store.intern("b"),
            object: store.intern("k"),
            action: store.intern("GetObject"),
            status: 0,
            detail: 0,
            credential: 0,
            account: 0,
            class: ActionClass::Read,
            auth: AuthMethod::Signed,
            principal_type: PrincipalType::User,
            format: Format::AwsCloudtrail,
            error: false,
            mfa: None,
        }
    }

    #[test]
    fn exact_match_wins_over_substring_and_new_addresses_are_marked() {
        let mut st = Store::default();
        st.intern("");
        let day = NANOS_PER_DAY;
        // Ten days of one event at 10:00 from the office, then 5 events at 03:00 from elsewhere.
        for d in 0..10 {
            let r = rec(
                &mut st,
                "user/a",
                d * day + 10 * NANOS_PER_HOUR,
                "10.0.0.1",
                "cli",
            );
            st.recs.push(r);
        }
        for i in 0..5 {
            let r = rec(
                &mut st,
                "user/a",
                10 * day + 3 * NANOS_PER_HOUR + i,
                "203.0.113.9",
                "evil",
            );
            st.recs.push(r);
        }
        let r = rec(&mut st, "user/ab", 10 * day, "10.0.0.2", "cli");
        st.recs.push(r);
        let q = Query {
            principal: "user/a".into(),
            since: Some(10 * day),
            until: Some(11 * day),
        };
        let inv = investigate(&st, &[], &q).unwrap();
        assert_eq!(inv.matched, "exact");
        assert_eq!(inv.principals, vec!["user/a".to_string()]);
        assert_eq!(inv.events_in_window, 5);
        assert_eq!(inv.source_ips[0].value, "203.0.113.9");
        assert!(inv.source_ips[0].new);
        assert_eq!(inv.timeline.len(), 1);
        assert_eq!(inv.timeline[0].events, 5);
        assert_eq!(inv.timeline[0].baseline_max, 0);
        assert!(inv.timeline[0].unusual);
        assert_eq!(inv.window.baseline_days, 10);

        let q = Query {
            principal: "user/".into(),
            ..q
        };
        let inv = investigate(&st, &[], &q).unwrap();
        assert_eq!(inv.matched, "substring");
        assert_eq!(inv.principals.len(), 2);
        let q = Query {
            principal: "nobody".into(),
            ..q
        };
        assert!(investigate(&st, &[], &q).is_err());
    }

    #[test]
    fn times_parse_as_dates_or_rfc3339() {
        assert_eq!(parse_time("2026-02-07"), parse_time("2026-02-07T00:00:00Z"));
        assert!(parse_time("yesterday").is_none());
    }

    #[test]
    fn addresses_get_network_country_and_as() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/geoip");
        let db = crate::geo::GeoDb::open(&[
            dir.join("GeoLite2-City-Test.mmdb"),
            dir.join("GeoLite2-ASN-Test.mmdb"),
        ])
        .unwrap();
        let seen = |v: &str| Seen {
            value: v.into(),
            count: 1,
            first_seen: String::new(),
            last_seen: String::new(),
            new: true,
            network: None,
            country: None,
            asn: None,
            as_org: None,
        };
        let mut v = vec![
            seen("81.2.69.142"),
            seen("12.81.92.7"),
            seen("2001:218::5"),
            seen("s3.amazonaws.com"),
        ];
        locate(&mut v, Some(&db));
        assert_eq!(v[0].network.as_deref(), Some("81.2.69.0/24"));
        assert_eq!(v[0].country.as_deref(), Some("GB"));
        assert_eq!(
            (v[1].asn, v[1].as_org.as_deref()),
            (Some(7018), Some("AT&T Services"))
        );
        assert_eq!(v[2].network.as_deref(), Some("2001:218::/48"));
        assert_eq!(v[2].country.as_deref(), Some("JP"));
        // A service host name is not an address: left as it is.
        assert_eq!(v[3].network, None);
        // Without a database: networks only.
        let mut w = vec![seen("81.2.69.142")];
        locate(&mut w, None);
        assert_eq!((w[0].network.is_some(), w[0].country.clone()), (true, None));
    }
}
