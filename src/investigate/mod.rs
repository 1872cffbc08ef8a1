//! `trailhound investigate`: everything about one principal. Runs the normal pipeline (so its
//! findings are exactly those of `scan`) with a [`BatchObserver`] that keeps the matching
//! principal's events in compact form, then summarises them for a window: identity and
//! authentication, source addresses, clients, APIs, buckets and objects, an hourly timeline
//! against the principal's own earlier hours, its findings and ready-to-run queries.

use std::collections::BTreeSet;
use std::net::IpAddr;

use serde::Serialize;

use crate::correlate::Queries;
use crate::detect::finding::Finding;
use crate::ingest::{IngestOptions, InputFile};
use crate::pipeline::{self, ScanConfig, ScanOutput};
use crate::time::NANOS_PER_HOUR;

mod analyse;
mod collect;
mod render;

use analyse::investigate;
pub use collect::Collector;
pub use render::table;

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

/// `--since`/`--until`: RFC 3339, or a date (`2026-02-07`, midnight UTC).
pub fn parse_time(s: &str) -> Option<i64> {
    let s = s.trim();
    if s.len() == 10 {
        return crate::time::parse_rfc3339(format!("{s}T00:00:00Z").as_bytes());
    }
    crate::time::parse_rfc3339(s.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::collect::{Rec, Store};
    use super::*;
    use crate::event::{ActionClass, AuthMethod, Format, PrincipalType};

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
