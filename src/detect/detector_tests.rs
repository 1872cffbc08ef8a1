//! The stateful detectors on synthetic histories: each family positive and negative, and the
//! traps a fixed threshold falls into (night-shift ETL, staff in other time zones, a
//! traveller's new address, a new principal's modest workload, deploy bursts).

use std::net::IpAddr;

use crate::catalogue::Severity;
use crate::detect::access::{flag, Access, Symbols};
use crate::detect::engine::{DetectConfig, Engine};
use crate::detect::finding::Finding;
use crate::event::{ActionClass, Format, PrincipalType};
use crate::time::{parse_rfc3339, NANOS_PER_HOUR};

const DAY: i64 = 24 * NANOS_PER_HOUR;
const MIN: i64 = 60_000_000_000;

/// Builds events for one run of the engine.
struct Run {
    syms: Symbols,
    events: Vec<Access>,
    /// Monday 2026-01-05 00:00 UTC.
    t0: i64,
}

struct Ev<'a> {
    who: &'a str,
    t: i64,
    class: ActionClass,
    action: &'a str,
    bucket: &'a str,
    ip: &'a str,
    ua: &'a str,
    bytes: u64,
    error: Option<&'a str>,
    object: u64,
}

impl Run {
    fn new() -> Self {
        Run {
            syms: Symbols::default(),
            events: Vec::new(),
            t0: parse_rfc3339(b"2026-01-05T00:00:00Z").unwrap(),
        }
    }

    fn push(&mut self, e: Ev) {
        let s = &self.syms;
        let mut flags = 0;
        if e.error.is_some() {
            flags |= flag::ERROR;
        }
        self.events.push(Access {
            time: e.t,
            principal: s.intern(e.who),
            account: s.intern("111122223333"),
            principal_type: PrincipalType::User,
            format: Format::AwsCloudtrail,
            class: e.class,
            action: s.intern(e.action),
            event_source: s.intern("s3.amazonaws.com"),
            bucket: s.intern(e.bucket),
            object_hash: e.object,
            user_agent: s.intern(e.ua),
            agent_family: crate::detect::access::agent_family(e.ua),
            source_ip: e.ip.parse::<IpAddr>().ok(),
            bytes_out: e.bytes,
            status: e.error.map(|c| s.intern(c)).unwrap_or(0),
            flags,
            ..Default::default()
        });
    }

    /// `n` reads by `who` starting at `t`, one every `gap`. (A test builder: positional
    /// arguments read like a row of a log.)
    #[allow(clippy::too_many_arguments)]
    fn reads(&mut self, who: &str, t: i64, n: u64, gap: i64, ip: &str, ua: &str, bytes: u64) {
        for i in 0..n {
            self.push(Ev {
                who,
                t: t + i as i64 * gap,
                class: ActionClass::Read,
                action: "GetObject",
                bucket: "data",
                ip,
                ua,
                bytes,
                error: None,
                object: i + 1,
            });
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn one(
        &mut self,
        who: &str,
        t: i64,
        class: ActionClass,
        action: &str,
        bucket: &str,
        ip: &str,
        ua: &str,
    ) {
        self.push(Ev {
            who,
            t,
            class,
            action,
            bucket,
            ip,
            ua,
            bytes: 0,
            error: None,
            object: 0,
        });
    }

    fn findings(mut self, cfg: &DetectConfig) -> Vec<Finding> {
        self.events.sort_by_key(|a| a.time);
        let mut engine = Engine::new(&self.syms, cfg);
        for a in &self.events {
            engine.process(a);
        }
        engine.finish(&[])
    }
}

fn alerts<'a>(fs: &'a [Finding], who: &str) -> Vec<&'a Finding> {
    fs.iter()
        .filter(|f| f.principal == who && f.severity >= Severity::Medium)
        .collect()
}

fn has(fs: &[Finding], who: &str, rule: &str, min: Severity) -> bool {
    fs.iter()
        .any(|f| f.principal == who && f.rule == rule && f.severity >= min)
}

const UA: &str = "aws-cli/2.15.0 Python/3.11";
const OFFICE: &str = "198.51.100.20";

/// An office worker (UTC business hours) with a steady routine, days 0..days.
fn office(r: &mut Run, who: &str, days: i64) {
    office_at(r, who, days, OFFICE);
}

/// The same routine from another address.
fn office_at(r: &mut Run, who: &str, days: i64, ip: &str) {
    for d in 0..days {
        if d % 7 >= 5 {
            continue;
        }
        for h in [9, 11, 14, 16] {
            r.reads(
                who,
                r.t0 + d * DAY + h * NANOS_PER_HOUR,
                5,
                MIN,
                ip,
                UA,
                1000,
            );
        }
    }
}

#[test]
fn night_shift_etl_is_learned_and_the_same_volume_at_a_new_hour_is_not() {
    let cfg = DetectConfig::default();
    let mut r = Run::new();
    let etl = "arn:aws:iam::1:role/etl-nightly";
    for d in 0..21 {
        r.reads(
            etl,
            r.t0 + d * DAY + 2 * NANOS_PER_HOUR,
            3000,
            1_000_000_000,
            "10.0.0.5",
            "Boto3/1.34",
            50_000,
        );
    }
    let quiet = r.findings(&cfg);
    assert!(
        alerts(&quiet, etl).is_empty(),
        "nightly job: {:#?}",
        alerts(&quiet, etl)
    );

    let mut r = Run::new();
    for d in 0..21 {
        r.reads(
            etl,
            r.t0 + d * DAY + 2 * NANOS_PER_HOUR,
            3000,
            1_000_000_000,
            "10.0.0.5",
            "Boto3/1.34",
            50_000,
        );
    }
    r.reads(
        etl,
        r.t0 + 21 * DAY + 14 * NANOS_PER_HOUR,
        3000,
        1_000_000_000,
        "10.0.0.5",
        "Boto3/1.34",
        50_000,
    );
    let fs = r.findings(&cfg);
    assert!(
        has(&fs, etl, "aws.s3.bulk_download", Severity::High),
        "{:#?}",
        alerts(&fs, etl)
    );
}

#[test]
fn staff_in_other_time_zones_are_quiet_at_their_hours() {
    let cfg = DetectConfig::default();
    let mut r = Run::new();
    let tokyo = "ken@acme.co.jp";
    for d in 0..20 {
        if d % 7 >= 5 {
            continue;
        }
        for h in [0, 2, 4, 6, 8] {
            r.reads(
                tokyo,
                r.t0 + d * DAY + h * NANOS_PER_HOUR,
                3,
                MIN,
                "203.0.113.80",
                UA,
                500,
            );
        }
    }
    // Night in UTC, morning in Tokyo, on a workday.
    r.reads(
        tokyo,
        r.t0 + 21 * DAY + 3 * NANOS_PER_HOUR,
        3,
        MIN,
        "203.0.113.80",
        UA,
        500,
    );
    let fs = r.findings(&cfg);
    assert!(alerts(&fs, tokyo).is_empty(), "{:#?}", alerts(&fs, tokyo));

    // A UTC office worker at 03:00 is another matter.
    let mut r = Run::new();
    let alice = "alice";
    office(&mut r, alice, 21);
    r.reads(
        alice,
        r.t0 + 21 * DAY + 3 * NANOS_PER_HOUR,
        3,
        MIN,
        OFFICE,
        UA,
        500,
    );
    let fs = r.findings(&cfg);
    assert!(
        has(&fs, alice, "baseline.after_hours_access", Severity::Medium),
        "{fs:#?}"
    );
}

#[test]
fn a_travellers_new_address_is_low_a_thiefs_is_high() {
    let cfg = DetectConfig::default();
    let mut r = Run::new();
    let bob = "bob";
    office(&mut r, bob, 21);
    // Business hours, usual client, usual API, from a hotel.
    r.reads(
        bob,
        r.t0 + 22 * DAY + 10 * NANOS_PER_HOUR,
        3,
        MIN,
        "192.0.2.77",
        UA,
        500,
    );
    let fs = r.findings(&cfg);
    assert!(has(&fs, bob, "baseline.new_source_ip", Severity::Low));
    assert!(alerts(&fs, bob).is_empty(), "{:#?}", alerts(&fs, bob));

    // 02:00, new network, new client, first GetCallerIdentity, then data.
    let mut r = Run::new();
    office(&mut r, bob, 21);
    let t = r.t0 + 22 * DAY + 2 * NANOS_PER_HOUR;
    r.one(
        bob,
        t,
        ActionClass::Auth,
        "GetCallerIdentity",
        "",
        "45.155.205.12",
        "python-requests/2.31",
    );
    r.reads(
        bob,
        t + MIN,
        20,
        MIN,
        "45.155.205.12",
        "python-requests/2.31",
        500,
    );
    let fs = r.findings(&cfg);
    assert!(
        has(&fs, bob, "baseline.new_source_ip", Severity::High),
        "{fs:#?}"
    );
}

#[test]
fn a_new_principals_modest_workload_is_low_a_raid_is_not() {
    let cfg = DetectConfig::default();
    let mut r = Run::new();
    office(&mut r, "someone", 20);
    let new = "arn:aws:iam::1:role/ml-training";
    r.reads(
        new,
        r.t0 + 15 * DAY + 13 * NANOS_PER_HOUR,
        150,
        10_000_000_000,
        "10.1.1.1",
        "Boto3/1.34",
        1000,
    );
    let fs = r.findings(&cfg);
    assert!(alerts(&fs, new).is_empty(), "{:#?}", alerts(&fs, new));
    assert!(has(&fs, new, "aws.s3.bulk_download", Severity::Low));

    let mut r = Run::new();
    office(&mut r, "someone", 20);
    r.reads(
        new,
        r.t0 + 15 * DAY + 13 * NANOS_PER_HOUR,
        400,
        5_000_000_000,
        "10.1.1.1",
        "Boto3/1.34",
        1000,
    );
    // The next day at the same hour, the same again: a new daily job settling in.
    r.reads(
        new,
        r.t0 + 16 * DAY + 13 * NANOS_PER_HOUR + 10 * MIN,
        400,
        5_000_000_000,
        "10.1.1.1",
        "Boto3/1.34",
        1000,
    );
    let fs = r.findings(&cfg);
    let bulk: Vec<Severity> = fs
        .iter()
        .filter(|f| f.principal == new && f.rule == "aws.s3.bulk_download")
        .map(|f| f.severity)
        .collect();
    assert_eq!(bulk, vec![Severity::Critical, Severity::Low], "{fs:#?}");
}

#[test]
fn dormant_principals_and_first_week_learning() {
    let cfg = DetectConfig::default();
    let mut r = Run::new();
    let maint = "arn:aws:iam::1:user/backup-maint";
    office(&mut r, "someone", 45);
    r.reads(
        maint,
        r.t0 + 2 * DAY + 10 * NANOS_PER_HOUR,
        3,
        MIN,
        OFFICE,
        UA,
        100,
    );
    r.reads(
        maint,
        r.t0 + 40 * DAY + 10 * NANOS_PER_HOUR,
        3,
        MIN,
        OFFICE,
        UA,
        100,
    );
    let fs = r.findings(&cfg);
    assert!(
        has(&fs, maint, "baseline.dormant_principal", Severity::High),
        "{fs:#?}"
    );

    // Present from the start and busy in the first week: learning notes, not alerts.
    let mut r = Run::new();
    r.reads(
        "busy",
        r.t0 + 9 * NANOS_PER_HOUR,
        300,
        10_000_000_000,
        OFFICE,
        UA,
        100,
    );
    let fs = r.findings(&cfg);
    assert!(alerts(&fs, "busy").is_empty(), "{fs:#?}");
    assert!(fs
        .iter()
        .any(|f| f.evidence.get("learning_period").is_some()));
}

#[test]
fn enumeration_is_listing_across_buckets() {
    let cfg = DetectConfig::default();
    let mut r = Run::new();
    office(&mut r, "eve", 14);
    let t = r.t0 + 15 * DAY + 11 * NANOS_PER_HOUR;
    // 50 lists: above twice the threshold, which is what a known principal at its usual
    // place and hour is allowed.
    for i in 0..50 {
        let bucket = ["a", "b", "c", "d", "e"][i % 5];
        r.one(
            "eve",
            t + i as i64 * MIN,
            ActionClass::List,
            "ListObjects",
            bucket,
            OFFICE,
            UA,
        );
    }
    let fs = r.findings(&cfg);
    assert!(
        has(&fs, "eve", "aws.s3.enumeration", Severity::High),
        "{fs:#?}"
    );

    // The same count, all in one bucket (a deploy job syncing its prefix): no enumeration.
    let mut r = Run::new();
    office(&mut r, "eve", 14);
    for i in 0..50 {
        r.one(
            "eve",
            t + i as i64 * MIN,
            ActionClass::List,
            "ListObjects",
            "deploy",
            OFFICE,
            UA,
        );
    }
    let fs = r.findings(&cfg);
    assert!(
        !has(&fs, "eve", "aws.s3.enumeration", Severity::Low),
        "{fs:#?}"
    );

    // A CI role syncing its deploy bucket at any hour from a new runner each time, 40 to 70
    // lists a deploy: a burst of 130 at 21:00 in that bucket is within twice its busiest
    // hours; the same 130 across five buckets is discovery.
    let ci = "arn:aws:iam::1:role/github-deploy";
    let lists = |r: &mut Run, t: i64, n: usize, buckets: &[&str], ip: &str| {
        for i in 0..n {
            let b = buckets[i % buckets.len()];
            r.one(
                ci,
                t + i as i64 * 20_000_000_000,
                ActionClass::List,
                "ListObjects",
                b,
                ip,
                UA,
            );
        }
    };
    for wide in [false, true] {
        let mut r = Run::new();
        for d in 0..14 {
            let ip = format!("20.{}.7.9", 10 + d);
            let t = r.t0 + d * DAY + (9 + d % 6) * NANOS_PER_HOUR;
            lists(&mut r, t, 40 + (d as usize * 7) % 31, &["deploy"], &ip);
        }
        let buckets: &[&str] = if wide {
            &["a", "b", "c", "d", "e"]
        } else {
            &["deploy"]
        };
        let t = r.t0 + 15 * DAY + 21 * NANOS_PER_HOUR;
        lists(&mut r, t, 130, buckets, "20.99.7.9");
        let fs = r.findings(&cfg);
        assert_eq!(
            has(&fs, ci, "aws.s3.enumeration", Severity::Medium),
            wide,
            "{fs:#?}"
        );
    }
}

/// Requests from places a principal never used, now and then, one at a time — a phone
/// network, a hotel, a VPN exit — are low however odd the hour, even several in a day from
/// different places; a place that keeps being used at such an hour is not.
#[test]
fn one_off_requests_from_new_places_are_low_a_session_from_one_is_not() {
    let cfg = DetectConfig::default();
    let mut r = Run::new();
    let sue = "sue";
    office(&mut r, sue, 21);
    let night = r.t0 + 22 * DAY + 3 * NANOS_PER_HOUR;
    for (i, ip) in ["192.0.2.1", "198.18.7.2", "203.0.113.3", "100.64.9.4"]
        .iter()
        .enumerate()
    {
        r.reads(sue, night + i as i64 * 20 * MIN, 1, MIN, ip, UA, 500);
    }
    let fs = r.findings(&cfg);
    assert!(has(&fs, sue, "baseline.new_source_ip", Severity::Low));
    // (The hour itself is the after-hours detector's to judge.)
    assert!(
        !has(&fs, sue, "baseline.new_source_ip", Severity::Medium),
        "{fs:#?}"
    );

    let mut r = Run::new();
    office(&mut r, sue, 21);
    r.reads(sue, night, 6, MIN, "203.0.113.3", UA, 500);
    let fs = r.findings(&cfg);
    let f = fs
        .iter()
        .find(|f| f.rule == "baseline.new_source_ip")
        .unwrap();
    assert_eq!(f.severity, Severity::Medium, "{f:#?}");
    assert_eq!(f.event_count, 6, "every request from the place counted");
}

/// Someone who now and then works an odd hour (three in the window) is not alarming at the
/// next odd hour; a strict office routine broken at 03:00 is.
#[test]
fn an_odd_hour_is_low_for_someone_who_keeps_odd_hours_now_and_then() {
    let cfg = DetectConfig::default();
    for (who, habit) in [("strict", false), ("owl", true)] {
        let mut r = Run::new();
        office(&mut r, who, 21);
        // (day, hour, requests) from the office
        let mut odd = vec![
            // A session at 03:00.
            (22, 3, 4),
            // One file fetched late in the evening of another day: a note, not a session.
            (17, 22, 1),
        ];
        if habit {
            odd.extend([(3, 21, 2), (8, 22, 2), (15, 23, 2)]);
        }
        for (d, h, n) in odd {
            r.reads(
                who,
                r.t0 + d * DAY + h * NANOS_PER_HOUR,
                n,
                MIN,
                OFFICE,
                UA,
                500,
            );
        }
        let fs = r.findings(&cfg);
        let evening = fs
            .iter()
            .find(|f| {
                f.rule == "baseline.after_hours_access" && f.first_seen.starts_with("2026-01-22")
            })
            .map(|f| f.severity);
        assert_eq!(evening, Some(Severity::Low), "{who}: {fs:#?}");
        let after = fs
            .iter()
            .filter(|f| {
                f.rule == "baseline.after_hours_access" && f.first_seen.starts_with("2026-01-27")
            })
            .map(|f| f.severity)
            .max();
        let want = if habit {
            Severity::Low
        } else {
            Severity::Medium
        };
        assert_eq!(after, Some(want), "{who}: {fs:#?}");
    }
}

/// A traveller's day from a hotel that runs into the evening is not someone else starting
/// work at night: the hour counts when the place's first request comes.
#[test]
fn a_day_from_a_hotel_running_late_is_not_a_night_session() {
    let cfg = DetectConfig::default();
    let mut r = Run::new();
    let bob = "bob";
    office(&mut r, bob, 21);
    for h in [13, 15, 17, 19, 20] {
        r.reads(
            bob,
            r.t0 + 22 * DAY + h * NANOS_PER_HOUR,
            3,
            MIN,
            "192.0.2.77",
            UA,
            500,
        );
    }
    let fs = r.findings(&cfg);
    let f = fs
        .iter()
        .find(|f| f.rule == "baseline.new_source_ip")
        .unwrap();
    assert_eq!(f.event_count, 15);
    assert!(alerts(&fs, bob).is_empty(), "{:#?}", alerts(&fs, bob));
}

/// A reporting service's weekdays and weekends alike: `per_hour(day)` reads of 8 MB in each
/// hour from 08:00 to 18:00 for 24 days, `gap` apart.
fn reporting_days(r: &mut Run, svc: &str, per_hour: impl Fn(i64) -> u64, gap: i64) {
    for d in 0..24 {
        for h in 8..18 {
            let t = r.t0 + d * DAY + h * NANOS_PER_HOUR;
            r.reads(svc, t, per_hour(d), gap, "34.201.17.80", UA, 8_000_000);
        }
    }
}

/// Object sizes are heavy-tailed: a day that is big because of one large object is not data
/// drained away.
#[test]
fn one_large_object_is_not_a_daily_bytes_anomaly() {
    let cfg = DetectConfig::default();
    let mut r = Run::new();
    let svc = "arn:aws:iam::1:user/reporting-svc";
    reporting_days(&mut r, svc, |_| 4, 10 * MIN);
    r.reads(
        svc,
        r.t0 + 22 * DAY + 12 * NANOS_PER_HOUR + 5 * MIN,
        1,
        MIN,
        "34.201.17.80",
        UA,
        2_000_000_000,
    );
    let fs = r.findings(&cfg);
    assert!(
        !has(&fs, svc, "baseline.daily_bytes_anomaly", Severity::Info),
        "{fs:#?}"
    );
}

/// CloudTrail data events and the server access log report the same S3 request under the
/// same id: it is judged once (80 reads reported twice are not 160, over the bulk threshold),
/// unless a rule matched the second report (only CloudTrail carries request parameters).
#[test]
fn an_s3_request_in_both_cloudtrail_and_the_access_log_counts_once() {
    let cfg = DetectConfig::default();
    let who = "arn:aws:iam::1:user/newcomer";
    let both = |dedup: bool| {
        let mut r = Run::new();
        office(&mut r, "someone", 20);
        let t = r.t0 + 15 * DAY + 13 * NANOS_PER_HOUR;
        r.reads(who, t, 80, 20_000_000_000, "10.1.1.1", UA, 1000);
        let n = r.events.len();
        for i in n - 80..n {
            let mut copy = r.events[i].clone();
            copy.format = Format::S3Access;
            copy.offset += 1;
            let id = if dedup { 1000 + i as u64 } else { 0 };
            r.events[i].request = id;
            copy.request = id;
            r.events.push(copy);
        }
        r.findings(&cfg)
    };
    assert!(!has(
        &both(true),
        who,
        "aws.s3.bulk_download",
        Severity::Info
    ));
    assert!(
        has(&both(false), who, "aws.s3.bulk_download", Severity::Info),
        "without ids, 160 reads"
    );
    // A rule hit on the second report is judged all the same.
    let mut r = Run::new();
    office(&mut r, "admin", 20);
    // Both sources already seen (judging pairs starts then).
    for (i, format) in [Format::AwsCloudtrail, Format::S3Access]
        .into_iter()
        .enumerate()
    {
        let e = &mut r.events[i];
        e.format = format;
        e.request = 100 + i as u64;
    }
    let t = r.t0 + 15 * DAY + 11 * NANOS_PER_HOUR;
    r.one(
        "admin",
        t,
        ActionClass::Permission,
        "PutBucketPolicy",
        "data",
        OFFICE,
        UA,
    );
    let mut log = r.events.last().unwrap().clone();
    log.format = Format::S3Access;
    log.offset = 0;
    // The access log's copy comes first.
    log.time -= 1;
    let ct = r.events.last_mut().unwrap();
    ct.request = 7;
    ct.offset = 1;
    ct.hit = Some(Box::new(crate::detect::rules::RuleHit {
        rule: "aws.s3.public_policy",
        severity: Severity::Critical,
        detail: "bucket policy of data grants s3:GetObject to *".into(),
        evidence: Vec::new(),
        resources: Vec::new(),
    }));
    log.request = 7;
    r.events.push(log);
    let fs = r.findings(&cfg);
    assert!(
        has(&fs, "admin", "aws.s3.public_policy", Severity::Critical),
        "{fs:#?}"
    );
}

#[test]
fn slow_exfiltration_under_every_fixed_threshold() {
    let cfg = DetectConfig::default();
    let svc = "arn:aws:iam::1:user/reporting-svc";
    // 4 reads an hour, 10 hours a day, 8 MB each: 320 MB a day.
    let mut r = Run::new();
    reporting_days(&mut r, svc, |_| 4, 10 * MIN);
    let quiet = r.findings(&cfg);
    assert!(alerts(&quiet, svc).is_empty(), "{:#?}", alerts(&quiet, svc));
    // Three times that over the last three days, spread evenly.
    let mut r = Run::new();
    reporting_days(&mut r, svc, |d| if d >= 21 { 12 } else { 4 }, 4 * MIN);
    let fs = r.findings(&cfg);
    assert!(
        has(&fs, svc, "baseline.daily_bytes_anomaly", Severity::High),
        "{fs:#?}"
    );
    assert!(
        !has(&fs, svc, "aws.s3.bulk_download", Severity::Info),
        "under the fixed threshold"
    );
}

#[test]
fn access_denied_bursts() {
    let cfg = DetectConfig::default();
    let probe = |n: usize| {
        let mut r = Run::new();
        office(&mut r, "jenkins", 14);
        let t = r.t0 + 15 * DAY + 10 * NANOS_PER_HOUR;
        for i in 0..n {
            r.push(Ev {
                who: "jenkins",
                t: t + i as i64 * MIN,
                class: ActionClass::Read,
                action: "GetObject",
                bucket: "secrets",
                ip: OFFICE,
                ua: UA,
                bytes: 0,
                error: Some("AccessDenied"),
                object: 0,
            });
        }
        r.findings(&cfg)
    };
    assert!(has(
        &probe(25),
        "jenkins",
        "baseline.access_denied_burst",
        Severity::Medium
    ));
    assert!(!has(
        &probe(8),
        "jenkins",
        "baseline.access_denied_burst",
        Severity::Info
    ));
}

#[test]
fn first_time_api_and_new_bucket() {
    let cfg = DetectConfig::default();
    let who = "alice";
    let mut r = Run::new();
    office(&mut r, who, 21);
    let t = r.t0 + 21 * DAY + 10 * NANOS_PER_HOUR;
    r.reads(who, t, 5, MIN, OFFICE, UA, 1000);
    let quiet = r.findings(&cfg);
    assert!(
        !has(&quiet, who, "baseline.first_time_api", Severity::Info)
            && !has(&quiet, who, "baseline.new_bucket", Severity::Info),
        "routine reads: {:#?}",
        alerts(&quiet, who)
    );

    let mut r = Run::new();
    office(&mut r, who, 21);
    let t = r.t0 + 21 * DAY + 10 * NANOS_PER_HOUR;
    r.one(
        who,
        t,
        ActionClass::Permission,
        "GetBucketPolicy",
        "data",
        OFFICE,
        UA,
    );
    r.one(
        who,
        t + MIN,
        ActionClass::Read,
        "GetObject",
        "finance-ledger",
        OFFICE,
        UA,
    );
    let fs = r.findings(&cfg);
    let api = fs
        .iter()
        .find(|f| f.principal == who && f.rule == "baseline.first_time_api")
        .expect("first GetBucketPolicy");
    assert!(api.title.contains("GetBucketPolicy"), "{}", api.title);
    let bucket = fs
        .iter()
        .find(|f| f.principal == who && f.rule == "baseline.new_bucket")
        .expect("first read of finance-ledger");
    assert!(bucket.title.contains("finance-ledger"), "{}", bucket.title);
    // Same service as always: no new event source.
    assert!(!has(&fs, who, "baseline.new_event_source", Severity::Info));
}

#[test]
fn first_use_of_an_event_source() {
    let cfg = DetectConfig::default();
    let who = "alice";
    let mut r = Run::new();
    office(&mut r, who, 21);
    let t = r.t0 + 21 * DAY + 10 * NANOS_PER_HOUR;
    r.one(who, t, ActionClass::Logging, "StopLogging", "", OFFICE, UA);
    let at = r.events.len() - 1;
    r.events[at].event_source = r.syms.intern("cloudtrail.amazonaws.com");
    let fs = r.findings(&cfg);
    let f = fs
        .iter()
        .find(|f| f.principal == who && f.rule == "baseline.new_event_source")
        .expect("first CloudTrail call");
    assert!(f.title.contains("cloudtrail.amazonaws.com"), "{}", f.title);
}

#[test]
fn new_principals_after_the_first_days_only() {
    let cfg = DetectConfig::default();
    let mut r = Run::new();
    office(&mut r, "alice", 21);
    office(&mut r, "bob", 3);
    let t = r.t0 + 14 * DAY + 10 * NANOS_PER_HOUR;
    r.reads("carol", t, 5, MIN, OFFICE, UA, 1000);
    let fs = r.findings(&cfg);
    assert!(has(&fs, "carol", "baseline.new_principal", Severity::Info));
    // Present from the start of the data: not new, only unseen before the logs begin.
    assert!(!has(&fs, "alice", "baseline.new_principal", Severity::Info));
    assert!(!has(&fs, "bob", "baseline.new_principal", Severity::Info));
}

#[test]
fn hourly_volume_and_bytes_out_spikes() {
    let cfg = DetectConfig::default();
    let who = "alice";
    // Three weeks of routine, then `n` reads of `bytes` each from 14:00 on day 21, `gap` apart.
    let after_routine = |n: u64, gap: i64, bytes: u64| {
        let mut r = Run::new();
        office(&mut r, who, 21);
        let t = r.t0 + 21 * DAY + 14 * NANOS_PER_HOUR;
        r.reads(who, t, n, gap, OFFICE, UA, bytes);
        r.findings(&cfg)
    };
    // 80 requests in an hour where 5 are usual: above the band, under the bulk threshold.
    let fs = after_routine(80, 30_000_000_000, 1000);
    assert!(
        has(&fs, who, "baseline.hourly_volume_anomaly", Severity::Low),
        "{:#?}",
        fs.iter().filter(|f| f.principal == who).collect::<Vec<_>>()
    );
    // The usual count: nothing.
    let fs = after_routine(5, MIN, 1000);
    let quiet = |fs: &[Finding], rule| !has(fs, who, rule, Severity::Info);
    assert!(quiet(&fs, "baseline.hourly_volume_anomaly"));
    // 1.5 GB in five reads where kilobytes are usual: a bytes spike, not a count anomaly.
    let fs = after_routine(5, MIN, 300_000_000);
    assert!(has(&fs, who, "baseline.bytes_out_spike", Severity::Low));
    assert!(quiet(&fs, "baseline.hourly_volume_anomaly"));
    // 500 MB stays under the 1 GiB floor.
    let fs = after_routine(5, MIN, 100_000_000);
    assert!(quiet(&fs, "baseline.bytes_out_spike"));
    // Many reads of 400 MB: an alert. One object of 4 GB (a VM image), even reported twice
    // (CloudTrail and the server access log): a note.
    let fs = after_routine(10, MIN, 400_000_000);
    assert!(has(&fs, who, "baseline.bytes_out_spike", Severity::High));
    let mut r = Run::new();
    office(&mut r, who, 21);
    let t = r.t0 + 21 * DAY + 14 * NANOS_PER_HOUR;
    r.reads(who, t, 1, MIN, OFFICE, UA, 4_000_000_000);
    r.reads(who, t + 1_000_000, 1, MIN, OFFICE, UA, 4_000_000_000);
    let fs = r.findings(&cfg);
    let spike = fs
        .iter()
        .find(|f| f.rule == "baseline.bytes_out_spike")
        .unwrap();
    assert_eq!(spike.severity, Severity::Low, "{spike:#?}");
    assert!(!has(
        &fs,
        who,
        "baseline.daily_bytes_anomaly",
        Severity::Info
    ));
}

#[test]
fn error_rate_jumps_against_a_clean_history() {
    let cfg = DetectConfig::default();
    let who = "alice";
    let run = |errors: u64| {
        let mut r = Run::new();
        office(&mut r, who, 21);
        let t = r.t0 + 21 * DAY + 14 * NANOS_PER_HOUR;
        for i in 0..40u64 {
            r.push(Ev {
                who,
                t: t + i as i64 * MIN,
                class: ActionClass::Read,
                action: "GetObject",
                bucket: "data",
                ip: OFFICE,
                ua: UA,
                bytes: 1000,
                error: (i < errors).then_some("NoSuchKey"),
                object: i + 1,
            });
        }
        r.findings(&cfg)
    };
    let fs = run(30);
    let f = fs
        .iter()
        .find(|f| f.principal == who && f.rule == "baseline.error_rate_jump")
        .expect("30 of 40 failed");
    assert!(f.title.contains("75 %"), "{}", f.title);
    assert!(!has(
        &run(2),
        who,
        "baseline.error_rate_jump",
        Severity::Info
    ));
}

#[test]
fn after_hours_bulk_is_the_hour_not_the_volume() {
    let cfg = DetectConfig::default();
    let who = "alice";
    let mut r = Run::new();
    office(&mut r, who, 21);
    r.reads(
        who,
        r.t0 + 21 * DAY + 2 * NANOS_PER_HOUR + 45 * MIN,
        600,
        2_000_000_000,
        OFFICE,
        UA,
        1000,
    );
    let fs = r.findings(&cfg);
    assert!(has(&fs, who, "aws.s3.bulk_download", Severity::Medium));
    assert!(has(&fs, who, "baseline.after_hours_bulk", Severity::Medium));

    // A nightly job at its own hour: the volume is its routine, the hour too.
    let mut r = Run::new();
    let etl = "arn:aws:iam::1:role/etl-nightly";
    for d in 0..22 {
        r.reads(
            etl,
            r.t0 + d * DAY + 2 * NANOS_PER_HOUR,
            600,
            2_000_000_000,
            "10.0.0.5",
            "Boto3/1.34",
            1000,
        );
    }
    let fs = r.findings(&cfg);
    assert!(!has(&fs, etl, "baseline.after_hours_bulk", Severity::Info));
}

#[test]
fn volume_findings_are_named_for_their_cloud() {
    use crate::event::Format;
    let cfg = DetectConfig::default();
    let run = |format: Format, class: ActionClass, action: &str, buckets: &[&str]| {
        let mut r = Run::new();
        office(&mut r, "eve", 14);
        let t = r.t0 + 15 * DAY + 11 * NANOS_PER_HOUR;
        for i in 0..300 {
            r.push(Ev {
                who: "eve",
                t: t + i as i64 * 10_000_000_000,
                class,
                action,
                bucket: buckets[i % buckets.len()],
                ip: OFFICE,
                ua: UA,
                bytes: 1000,
                error: None,
                object: i as u64 + 1,
            });
        }
        for a in &mut r.events {
            a.format = format;
        }
        r.findings(&cfg)
    };
    let cases = [
        (
            Format::GcsAudit,
            ActionClass::List,
            "storage.objects.list",
            "gcp.gcs.enumeration",
        ),
        (
            Format::GcsAudit,
            ActionClass::Delete,
            "storage.objects.delete",
            "gcp.gcs.mass_delete",
        ),
        (
            Format::GcsAudit,
            ActionClass::Read,
            "storage.objects.get",
            "gcp.gcs.bulk_download",
        ),
        (
            Format::AzureBlobLogs,
            ActionClass::List,
            "ListBlobs",
            "azure.blob.enumeration",
        ),
        (
            Format::AzureBlobLogs,
            ActionClass::Delete,
            "DeleteBlob",
            "azure.blob.mass_delete",
        ),
        (
            Format::AzureBlobLogs,
            ActionClass::Read,
            "GetBlob",
            "azure.blob.bulk_download",
        ),
    ];
    for (format, class, action, rule) in cases {
        let fs = run(format, class, action, &["a", "b", "c", "d", "e"]);
        assert!(has(&fs, "eve", rule, Severity::Medium), "{rule}: {fs:#?}");
        assert!(
            !fs.iter().any(|f| f.rule.starts_with("aws.s3.")),
            "{rule}: an AWS name on {format:?}"
        );
    }
    // Within the routine (20 an hour): none of them.
    let mut r = Run::new();
    office(&mut r, "eve", 16);
    for a in &mut r.events {
        a.format = Format::AzureBlobLogs;
    }
    let fs = r.findings(&cfg);
    assert!(
        !fs.iter().any(|f| f.rule.starts_with("azure.blob.")),
        "{fs:#?}"
    );
}

#[test]
fn an_anonymous_burst_on_one_bucket_does_not_spill_onto_another() {
    let cfg = DetectConfig::default();
    let mut r = Run::new();
    let t = r.t0 + 15 * DAY + 23 * NANOS_PER_HOUR;
    for i in 0..400u64 {
        r.push(Ev {
            who: "anonymous",
            t: t + i as i64 * 5_000_000_000,
            class: ActionClass::Read,
            action: "GetObject",
            bucket: "customer-exports",
            ip: "203.0.113.50",
            ua: "curl/8.4.0",
            bytes: 1000,
            error: None,
            object: i + 1,
        });
    }
    // The public website's ordinary visitors in the same hour.
    for i in 0..2u64 {
        r.push(Ev {
            who: "anonymous",
            t: t + 40 * MIN + i as i64 * MIN,
            class: ActionClass::Read,
            action: "GetObject",
            bucket: "web-assets",
            ip: "198.51.100.77",
            ua: "Mozilla/5.0",
            bytes: 1000,
            error: None,
            object: 1000 + i,
        });
    }
    for a in &mut r.events {
        a.principal_type = PrincipalType::Anonymous;
    }
    let fs = r.findings(&cfg);
    assert!(
        has(&fs, "anonymous", "aws.s3.bulk_download", Severity::Low),
        "{fs:#?}"
    );
    for f in fs.iter().filter(|f| f.rule == "aws.s3.bulk_download") {
        assert!(!f.title.is_empty(), "a finding without a title: {f:#?}");
        assert!(
            !f.resources.iter().any(|r| r.starts_with("web-assets")),
            "the website's visitors joined the burst: {f:#?}"
        );
    }
}

/// MaxMind's test databases: 81.2.69.142 is London, 89.160.20.120 Linköping (SE),
/// 175.16.199.5 Changchun (CN), 216.160.83.60 Milton (US).
fn geo_config() -> DetectConfig {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/geoip");
    DetectConfig {
        geoip: Some(
            crate::geo::GeoDb::open(&[
                dir.join("GeoLite2-City-Test.mmdb"),
                dir.join("GeoLite2-ASN-Test.mmdb"),
            ])
            .unwrap(),
        ),
        ..Default::default()
    }
}

const LONDON: &str = "81.2.69.142";

#[test]
fn two_places_at_once_is_impossible_travel_and_a_new_country() {
    let cfg = geo_config();
    let mut r = Run::new();
    let alice = "alice";
    office_at(&mut r, alice, 21, LONDON);
    let t = r.t0 + 22 * DAY + 10 * NANOS_PER_HOUR;
    r.reads(alice, t, 3, MIN, LONDON, UA, 500);
    // Twenty minutes later, from China.
    r.reads(alice, t + 20 * MIN, 3, MIN, "175.16.199.5", UA, 500);
    let fs = r.findings(&cfg);
    let travel = fs
        .iter()
        .find(|f| f.rule == "baseline.impossible_travel")
        .unwrap_or_else(|| panic!("{fs:#?}"));
    assert_eq!(travel.severity, Severity::High);
    assert_eq!(travel.evidence["previous_country"], "GB");
    assert_eq!(travel.evidence["country"], "CN");
    assert!(travel.evidence["speed_kmh"].as_f64().unwrap() > 10_000.0);
    assert!(travel.source_ips.contains(&LONDON.to_string()));
    assert!(
        has(&fs, alice, "baseline.new_country", Severity::Medium),
        "{fs:#?}"
    );

    // Without GeoIP databases neither can be told.
    let mut r = Run::new();
    office_at(&mut r, alice, 21, LONDON);
    r.reads(alice, t, 3, MIN, LONDON, UA, 500);
    r.reads(alice, t + 20 * MIN, 3, MIN, "175.16.199.5", UA, 500);
    let fs = r.findings(&DetectConfig::default());
    assert!(!fs
        .iter()
        .any(|f| f.rule == "baseline.impossible_travel" || f.rule == "baseline.new_country"));
}

#[test]
fn a_flight_a_day_later_is_not_impossible_travel() {
    let cfg = geo_config();
    let mut r = Run::new();
    let alice = "alice";
    office_at(&mut r, alice, 21, LONDON);
    let t = r.t0 + 22 * DAY + 10 * NANOS_PER_HOUR;
    r.reads(alice, t, 3, MIN, LONDON, UA, 500);
    // Linköping the next morning: 1,300 km in 24 h.
    r.reads(alice, t + DAY, 3, MIN, "89.160.20.120", UA, 500);
    // Another address of the office network: no travel at all.
    r.reads(alice, t + DAY + 10 * MIN, 3, MIN, "81.2.69.150", UA, 500);
    let fs = r.findings(&cfg);
    assert!(
        !fs.iter().any(|f| f.rule == "baseline.impossible_travel"),
        "{fs:#?}"
    );
    // Sweden is new to her, though: worth a question, not a page.
    let c = fs
        .iter()
        .find(|f| f.rule == "baseline.new_country")
        .unwrap_or_else(|| panic!("{fs:#?}"));
    assert_eq!(c.evidence["country"], "SE");
    assert_eq!(c.severity, Severity::Medium);
}

#[test]
fn geography_is_quiet_for_new_principals_and_lower_for_roamers() {
    let cfg = geo_config();
    // First days: everything is new, nothing is judged.
    let mut r = Run::new();
    office_at(&mut r, "carol", 3, LONDON);
    r.reads(
        "carol",
        r.t0 + 3 * DAY + 10 * NANOS_PER_HOUR,
        3,
        MIN,
        "175.16.199.5",
        UA,
        500,
    );
    let fs = r.findings(&cfg);
    assert!(
        !fs.iter()
            .any(|f| f.rule == "baseline.impossible_travel" || f.rule == "baseline.new_country"),
        "{fs:#?}"
    );
    // A principal that works from four countries: a fifth is low.
    let mut r = Run::new();
    for ip in [LONDON, "89.160.20.120", "216.160.83.60", "2001:218::1"] {
        office_at(&mut r, "dave", 21, ip);
    }
    r.reads(
        "dave",
        r.t0 + 22 * DAY + 3 * NANOS_PER_HOUR,
        3,
        MIN,
        "175.16.199.5",
        UA,
        500,
    );
    let fs = r.findings(&cfg);
    let c = fs
        .iter()
        .find(|f| f.rule == "baseline.new_country")
        .unwrap_or_else(|| panic!("{fs:#?}"));
    assert_eq!(c.severity, Severity::Low, "{c:#?}");
    assert_eq!(c.evidence["roaming_principal"], true);
}

#[test]
fn hour_of_week_a_weekday_job_on_saturday_is_not_its_routine() {
    let cfg = DetectConfig::default();
    // 22:00 UTC every weekday for three weeks (t0 is a Monday).
    let run = |every_day: bool| {
        let mut r = Run::new();
        for d in 0..21 {
            if !every_day && d % 7 >= 5 {
                continue;
            }
            r.reads(
                "job",
                r.t0 + d * DAY + 22 * NANOS_PER_HOUR,
                5,
                MIN,
                OFFICE,
                UA,
                10,
            );
        }
        // Saturday of the fourth week, 22:00.
        r.reads(
            "job",
            r.t0 + 26 * DAY + 22 * NANOS_PER_HOUR,
            5,
            MIN,
            OFFICE,
            UA,
            10,
        );
        r.findings(&cfg)
    };
    // 2026-01-31 is the Saturday.
    let saturday = |f: &&Finding| {
        f.rule == "baseline.after_hours_access" && f.last_seen.starts_with("2026-01-31")
    };
    let fs = run(false);
    let f = fs
        .iter()
        .find(saturday)
        .unwrap_or_else(|| panic!("{fs:#?}"));
    // Low: the hour of the day is its own, only the day is not.
    assert_eq!(f.severity, Severity::Low);
    assert_eq!(f.evidence["active_days_at_this_hour_of_week"], 0);
    // A nightly job, weekends included: Saturday 22:00 is its routine.
    let fs = run(true);
    assert!(!fs.iter().any(|f| saturday(&f)), "{fs:#?}");
}

/// Twelve service principals reading a few objects an hour, every hour, for two weeks.
fn steady_account(r: &mut Run, days: i64) {
    for p in 0..12 {
        let who = format!("svc-{p}");
        for h in 0..days * 24 {
            r.reads(
                &who,
                r.t0 + h * NANOS_PER_HOUR + p * MIN,
                5,
                MIN,
                OFFICE,
                UA,
                100,
            );
        }
    }
}

/// Forty principals taking 25 objects each in the hour from `t`.
fn surge(r: &mut Run, t: i64) {
    for p in 0..40 {
        let who = format!("key-{p}");
        r.reads(
            &who,
            t + p * 10_000_000_000,
            25,
            1_000_000_000,
            OFFICE,
            UA,
            100,
        );
    }
}

#[test]
fn account_call_rate_surge_spread_over_many_principals() {
    let cfg = DetectConfig::default();
    let mut r = Run::new();
    steady_account(&mut r, 14);
    // One hour: forty principals take 25 objects each — none near a per-principal threshold,
    // 1,000 GetObject for the account.
    let t = r.t0 + 14 * DAY + 3 * NANOS_PER_HOUR;
    surge(&mut r, t);
    let fs = r.findings(&cfg);
    let f = fs
        .iter()
        .find(|f| f.rule == "baseline.api_call_rate")
        .unwrap_or_else(|| panic!("{fs:#?}"));
    assert_eq!(f.severity, Severity::Medium);
    assert_eq!(f.evidence["api"], "GetObject");
    assert!(f.evidence["calls"].as_f64().unwrap() >= 1000.0);
    assert!(!fs.iter().any(|f| f.rule == "aws.s3.bulk_download"));

    // One principal behind the whole surge: its own detectors judge it; the account view
    // adds a low note at most.
    let mut r = Run::new();
    steady_account(&mut r, 14);
    let t = r.t0 + 14 * DAY + 3 * NANOS_PER_HOUR;
    r.reads("etl-backfill", t, 1000, 3_000_000_000, OFFICE, UA, 100);
    let fs = r.findings(&cfg);
    let f = fs
        .iter()
        .find(|f| f.rule == "baseline.api_call_rate")
        .unwrap_or_else(|| panic!("{fs:#?}"));
    assert_eq!(f.severity, Severity::Low);
    assert_eq!(f.principal, "etl-backfill");

    // The same load every day at that hour is the account's routine.
    let mut r = Run::new();
    steady_account(&mut r, 15);
    for d in 0..15 {
        let t = r.t0 + d * DAY + 3 * NANOS_PER_HOUR;
        surge(&mut r, t);
    }
    let fs = r.findings(&cfg);
    assert!(
        !fs.iter().any(|f| f.rule == "baseline.api_call_rate"),
        "{fs:#?}"
    );
}

#[test]
fn account_error_rate_surge() {
    let cfg = DetectConfig::default();
    let mut r = Run::new();
    steady_account(&mut r, 14);
    let t = r.t0 + 14 * DAY + 3 * NANOS_PER_HOUR;
    for p in 0..20 {
        for i in 0..6 {
            r.push(Ev {
                who: &format!("probe-{p}"),
                t: t + (p * 6 + i) * 20_000_000_000,
                class: ActionClass::Read,
                action: "GetObject",
                bucket: "data",
                ip: "192.0.2.9",
                ua: UA,
                bytes: 0,
                error: Some("AccessDenied"),
                object: 900 + i as u64,
            });
        }
    }
    let fs = r.findings(&cfg);
    let f = fs
        .iter()
        .find(|f| f.rule == "baseline.api_error_rate")
        .unwrap_or_else(|| panic!("{fs:#?}"));
    assert_eq!(f.evidence["errors"], 120.0);
    // Without the probes: quiet.
    let mut r = Run::new();
    steady_account(&mut r, 15);
    let fs = r.findings(&cfg);
    assert!(
        !fs.iter().any(|f| f.rule.starts_with("baseline.api_")),
        "{fs:#?}"
    );
}

#[test]
fn repeated_events_keep_their_last_seen_exact() {
    // Day 21: a second address used at 09:00 and (when `afternoon`) again at 17:00, the
    // afternoon ones as a run of identical, known keys that novelty skips. Thirty days later
    // at 12:00 the address is within the window only if 17:00 was remembered.
    let run = |afternoon: bool| {
        let mut r = Run::new();
        office(&mut r, "ann", 21);
        // Back at the office from day 22 on (weekdays, as `office`).
        for d in (22..53).filter(|d| d % 7 < 5) {
            r.reads(
                "ann",
                r.t0 + d * DAY + 10 * NANOS_PER_HOUR,
                5,
                MIN,
                OFFICE,
                UA,
                1000,
            );
        }
        let other = "192.0.2.50";
        let d21 = r.t0 + 21 * DAY;
        r.reads("ann", d21 + 9 * NANOS_PER_HOUR, 2, MIN, other, UA, 10);
        if afternoon {
            r.reads("ann", d21 + 17 * NANOS_PER_HOUR, 3, MIN, other, UA, 10);
        }
        r.reads(
            "ann",
            r.t0 + 51 * DAY + 12 * NANOS_PER_HOUR,
            1,
            MIN,
            other,
            UA,
            10,
        );
        r.findings(&DetectConfig::default())
    };
    let late_new_ip = |fs: &[Finding]| {
        fs.iter().any(|f| {
            f.rule == "baseline.new_source_ip"
                && f.first_seen.starts_with("2026-02-25")
                && f.source_ips.contains(&"192.0.2.50".to_string())
        })
    };
    assert!(!late_new_ip(&run(true)), "17:00 was remembered");
    assert!(
        late_new_ip(&run(false)),
        "09:01 alone is more than 30 days before"
    );
}

#[test]
fn log_stream_history_carries_over_in_the_state() {
    // A trail with records every hour for 20 days (one run), then 5 more days (the next)
    // with 12 silent hours on day 22: the second run alone has too little history to judge
    // a gap; with the first run's streams from the state it finds it.
    let cfg = DetectConfig::default();
    let mut r = Run::new();
    let t0 = r.t0;
    let day = |d: i64| t0 + d * DAY;
    let (first, second): (Vec<i64>, Vec<i64>) = (0..25 * 24)
        .map(|h| day(0) + h * NANOS_PER_HOUR + 5 * MIN)
        .filter(|&t| !(t >= day(22) + 6 * NANOS_PER_HOUR && t < day(22) + 18 * NANOS_PER_HOUR))
        .partition(|&t| t < day(20));
    for &t in first.iter().chain(&second) {
        r.one("svc", t, ActionClass::Read, "GetObject", "data", OFFICE, UA);
    }
    r.events.sort_by_key(|a| a.time);
    let split = r.events.iter().position(|a| a.time >= day(20)).unwrap();
    let mut one = Engine::new(&r.syms, &cfg);
    for a in &r.events[..split] {
        one.process(a);
    }
    let (found, state, _) = one.finish_with_state(&[], true);
    assert!(!found.iter().any(|f| f.rule == "baseline.log_gap"));
    assert!(!state.streams.streams.is_empty());
    let gap = |fs: &[Finding]| fs.iter().any(|f| f.rule == "baseline.log_gap");
    let mut two = Engine::new(&r.syms, &cfg);
    two.import(state);
    for a in &r.events[split..] {
        two.process(a);
    }
    assert!(gap(&two.finish(&[])), "with the first run's history");
    let mut alone = Engine::new(&r.syms, &cfg);
    for a in &r.events[split..] {
        alone.process(a);
    }
    assert!(!gap(&alone.finish(&[])), "five days alone say nothing");
}

#[test]
fn an_account_key_or_sas_from_a_new_network_is_the_secret_moving() {
    use crate::event::AuthMethod;
    let cfg = DetectConfig::default();
    let run = |auth: AuthMethod, n: u64| {
        let mut r = Run::new();
        office(&mut r, "acct:key1(ABC)", 21);
        r.reads(
            "acct:key1(ABC)",
            r.t0 + 22 * DAY + 10 * NANOS_PER_HOUR,
            n,
            MIN,
            "192.0.2.77",
            UA,
            500,
        );
        for a in &mut r.events {
            a.auth = auth;
        }
        r.findings(&cfg)
    };
    let sev = |fs: &[Finding], rule: &str| fs.iter().find(|f| f.rule == rule).map(|f| f.severity);
    // An account key: high from the first request.
    let key = run(AuthMethod::AccountKey, 1);
    assert_eq!(
        sev(&key, "azure.storage.key_new_place"),
        Some(Severity::High)
    );
    assert_eq!(
        sev(&key, "baseline.new_source_ip"),
        None,
        "one finding, not two"
    );
    // A SAS token goes to clients: a request or two from a new place is low, a session
    // from it medium.
    let sas = run(AuthMethod::Sas, 2);
    assert_eq!(
        sev(&sas, "azure.storage.key_new_place"),
        Some(Severity::Low)
    );
    let sas = run(AuthMethod::Sas, 6);
    assert_eq!(
        sev(&sas, "azure.storage.key_new_place"),
        Some(Severity::Medium)
    );
    // The same pattern for a person is a traveller: low.
    let user = run(AuthMethod::OAuth, 6);
    assert_eq!(sev(&user, "baseline.new_source_ip"), Some(Severity::Low));
    assert_eq!(sev(&user, "azure.storage.key_new_place"), None);
}

#[test]
fn an_hmac_key_from_a_new_network_on_gcs() {
    let cfg = DetectConfig::default();
    let run = |ua: &str| {
        let mut r = Run::new();
        let sa = "etl@proj.iam.gserviceaccount.com";
        office(&mut r, sa, 21);
        r.reads(
            sa,
            r.t0 + 22 * DAY + 10 * NANOS_PER_HOUR,
            6,
            MIN,
            "192.0.2.77",
            ua,
            500,
        );
        let ua_sym = r.syms.intern(ua);
        for a in &mut r.events {
            a.format = Format::GcsAudit;
            if a.time >= r.t0 + 22 * DAY {
                a.user_agent = ua_sym;
            }
        }
        r.findings(&cfg)
    };
    let fs = run("Boto3/1.34.11 md/Botocore#1.34.11 ua/2.0 os/linux");
    let f = fs
        .iter()
        .find(|f| f.rule == "gcp.gcs.hmac_key_new_place")
        .unwrap_or_else(|| panic!("{fs:#?}"));
    assert!(f.severity >= Severity::Medium);
    // Google's own client from the same new network: OAuth, so a new address, not a key.
    let fs = run(crate::generate::world::UA_GSUTIL);
    assert!(!fs.iter().any(|f| f.rule == "gcp.gcs.hmac_key_new_place"));
    assert!(fs.iter().any(|f| f.rule == "baseline.new_source_ip"));
    assert!(super::novelty::s3_compatible_client(
        "aws-cli/2.15.0 Python/3.11"
    ));
    assert!(!super::novelty::s3_compatible_client(
        "gcloud-golang-storage/1.40.0"
    ));
}

#[test]
fn a_weakening_the_principal_makes_routinely_is_low() {
    let cfg = DetectConfig::default();
    let mut r = Run::new();
    office(&mut r, "infra-deployer", 21);
    let hit = |r: &mut Run, t: i64, ip: &str| {
        r.one(
            "infra-deployer",
            t,
            ActionClass::Config,
            "Microsoft.Storage/storageAccounts/write",
            "acct",
            ip,
            UA,
        );
        r.events.last_mut().unwrap().hit = Some(Box::new(crate::detect::rules::RuleHit {
            rule: "azure.storage.security_weakened",
            severity: Severity::Medium,
            detail: "storage account acct: network access from all networks".into(),
            evidence: Vec::new(),
            resources: Vec::new(),
        }));
    };
    // From a network it never used, at 23:00 (an hour it never works): medium. A call that
    // raised an alert is held apart until it recurs on three days (the poisoning rule); from
    // then on the deployer's weakenings are its routine.
    let t0 = r.t0;
    for d in [10, 12, 14, 16] {
        hit(&mut r, t0 + d * DAY + 23 * NANOS_PER_HOUR, "203.0.113.9");
    }
    let fs = r.findings(&cfg);
    let sev: Vec<Severity> = fs
        .iter()
        .filter(|f| f.rule == "azure.storage.security_weakened")
        .map(|f| f.severity)
        .collect();
    assert_eq!(
        sev,
        vec![
            Severity::Medium,
            Severity::Medium,
            Severity::Medium,
            Severity::Low
        ],
        "{fs:#?}"
    );
}

/// A medium-weight change (a bucket policy deleted) is weighed by how it was made: the
/// principal's usual network, client and hours (an administrator at work) is low, and so is
/// one difference alone; two or more (a new network at night) keep it medium. A call that
/// failed, and one in the data's first days, are low.
#[test]
fn a_change_made_the_usual_way_is_low_and_from_a_new_place_at_night_medium() {
    let cfg = DetectConfig::default();
    let mut r = Run::new();
    for who in ["admin-a", "admin-b", "admin-c", "admin-d", "admin-e"] {
        office(&mut r, who, 21);
    }
    let t0 = r.t0;
    let delete = |r: &mut Run, who: &str, t: i64, ip: &str, failed: bool| {
        r.one(
            who,
            t,
            ActionClass::Permission,
            "DeleteBucketPolicy",
            "data",
            ip,
            UA,
        );
        let a = r.events.last_mut().unwrap();
        if failed {
            a.flags |= flag::ERROR;
        }
        a.hit = Some(Box::new(crate::detect::rules::RuleHit {
            rule: "aws.s3.bucket_policy_deleted",
            severity: Severity::Medium,
            detail: "bucket policy of data deleted".into(),
            evidence: Vec::new(),
            resources: Vec::new(),
        }));
    };
    let day15 = t0 + 15 * DAY;
    delete(
        &mut r,
        "admin-a",
        day15 + 11 * NANOS_PER_HOUR,
        OFFICE,
        false,
    );
    delete(
        &mut r,
        "admin-b",
        day15 + 11 * NANOS_PER_HOUR,
        "203.0.113.9",
        false,
    );
    delete(
        &mut r,
        "admin-c",
        day15 + 2 * NANOS_PER_HOUR,
        "203.0.113.9",
        false,
    );
    delete(
        &mut r,
        "admin-d",
        day15 + 2 * NANOS_PER_HOUR,
        "203.0.113.9",
        true,
    );
    delete(
        &mut r,
        "admin-e",
        t0 + 2 * DAY + 2 * NANOS_PER_HOUR,
        "203.0.113.9",
        false,
    );
    let fs = r.findings(&cfg);
    let sev = |who: &str| {
        fs.iter()
            .find(|f| f.principal == who && f.rule == "aws.s3.bucket_policy_deleted")
            .map(|f| (f.severity, f.evidence.get("history").cloned()))
    };
    assert_eq!(
        sev("admin-a").map(|s| s.0),
        Some(Severity::Low),
        "the usual way"
    );
    assert_eq!(
        sev("admin-b").map(|s| s.0),
        Some(Severity::Low),
        "a new network only"
    );
    assert_eq!(
        sev("admin-c"),
        Some((Severity::Medium, None)),
        "a new network at 02:00"
    );
    let failed = sev("admin-d").unwrap();
    assert_eq!(failed.0, Severity::Low, "failed");
    assert!(failed.1.unwrap().as_str().unwrap().contains("failed"));
    assert_eq!(
        sev("admin-e").map(|s| s.0),
        Some(Severity::Low),
        "first days"
    );
}

#[test]
fn a_batch_delete_is_reported_the_first_time_only() {
    let cfg = DetectConfig::default();
    let mut r = Run::new();
    office(&mut r, "cleanup", 21);
    let t0 = r.t0;
    for d in [10, 11, 15] {
        r.one(
            "cleanup",
            t0 + d * DAY + 23 * NANOS_PER_HOUR,
            ActionClass::Delete,
            "DeleteObjects",
            "data",
            OFFICE,
            UA,
        );
        r.events.last_mut().unwrap().hit = Some(Box::new(crate::detect::rules::RuleHit {
            rule: "aws.s3.batch_delete",
            severity: Severity::Low,
            detail: "DeleteObjects on bucket data".into(),
            evidence: Vec::new(),
            resources: Vec::new(),
        }));
    }
    let fs = r.findings(&cfg);
    let n = fs
        .iter()
        .filter(|f| f.rule == "aws.s3.batch_delete")
        .count();
    assert_eq!(n, 1, "{fs:#?}");
}

// ---------------------------------------------------------------- cardinality

/// `n` principals reading once each, on Sunday 2026-01-18 between 10:00 and 11:00 (outside
/// business hours: alone, each would be a low after-hours finding).
fn one_shots(r: &mut Run, n: usize, prefix: &str) {
    one_shots_on(r, n, prefix, 13);
}

fn one_shots_on(r: &mut Run, n: usize, prefix: &str, day: i64) {
    let sunday = r.t0 + day * DAY + 10 * NANOS_PER_HOUR;
    for i in 0..n {
        let who = format!("arn:aws:iam::111122223333:user/{prefix}-{i}");
        let ip = format!("203.0.{}.{}", i / 250, i % 250);
        let ua = format!("client-{i}/1.0");
        r.reads(
            &who,
            sunday + (i as i64 * MIN) / n as i64,
            1,
            MIN,
            &ip,
            &ua,
            100,
        );
    }
}

#[test]
fn principals_seen_once_are_one_digest_not_a_finding_each() {
    let mut r = Run::new();
    office(&mut r, "alice", 14);
    one_shots(&mut r, 1500, "svc");
    let fs = r.findings(&DetectConfig::default());
    let digests: Vec<&Finding> = fs
        .iter()
        .filter(|f| f.rule == "baseline.one_shot_principals")
        .collect();
    assert_eq!(digests.len(), 1, "one account, one day");
    let d = digests[0];
    assert_eq!(
        d.severity,
        Severity::Medium,
        "1,500 named identities in a day"
    );
    assert_eq!(d.principal, crate::detect::cardinality::GROUP_PRINCIPAL);
    assert_eq!(d.evidence["principals"], 1500);
    assert_eq!(d.evidence["named_principals"], 1500);
    assert_eq!(
        d.evidence["folded_findings"]["baseline.after_hours_access"], 1500,
        "each would have been an after-hours low alone"
    );
    assert_eq!(d.evidence["top_buckets"][0]["bucket"], "data");
    assert_eq!(d.event_count, 1500);
    // The account's call rate still rises (an account insight, not a per-principal finding).
    let own: Vec<&Finding> = fs
        .iter()
        .filter(|f| f.principal.contains("user/svc-") && f.rule != "baseline.api_call_rate")
        .collect();
    assert!(
        own.is_empty(),
        "no finding per one-shot principal: {:?}",
        own.iter()
            .take(3)
            .map(|f| (&f.rule, f.severity))
            .collect::<Vec<_>>()
    );
    assert!(alerts(&fs, "alice").is_empty());

    // In the data's first week every principal is new: the same crowd is low then (it takes
    // ten times as many).
    let mut r = Run::new();
    office(&mut r, "alice", 14);
    one_shots_on(&mut r, 1500, "svc", 6);
    let fs = r.findings(&DetectConfig::default());
    let d = fs
        .iter()
        .find(|f| f.rule == "baseline.one_shot_principals")
        .unwrap();
    assert_eq!(d.severity, Severity::Low);
}

#[test]
fn principals_that_come_back_later_leave_the_digest() {
    let mut r = Run::new();
    office(&mut r, "alice", 14);
    one_shots(&mut r, 1500, "svc");
    // 600 of them come back two days later: 900 stay seen once, below the threshold.
    for i in 0..600 {
        let who = format!("arn:aws:iam::111122223333:user/svc-{i}");
        r.reads(
            &who,
            r.t0 + 15 * DAY + 9 * NANOS_PER_HOUR + i * MIN / 100,
            1,
            MIN,
            OFFICE,
            UA,
            1,
        );
    }
    let fs = r.findings(&DetectConfig::default());
    let d = fs
        .iter()
        .find(|f| f.rule == "baseline.one_shot_principals")
        .unwrap();
    assert_eq!(d.evidence["principals"], 900);
    assert_eq!(d.evidence["came_back_later"], 600);
    assert_eq!(d.severity, Severity::Low);
}

#[test]
fn a_few_principals_seen_once_are_a_low_digest() {
    let mut r = Run::new();
    one_shots(&mut r, 200, "svc");
    let fs = r.findings(&DetectConfig::default());
    let d: Vec<&Finding> = fs
        .iter()
        .filter(|f| f.rule == "baseline.one_shot_principals")
        .collect();
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].severity, Severity::Low);
}

#[test]
fn a_principal_back_within_the_hour_is_judged_as_before() {
    let mut r = Run::new();
    let sunday = r.t0 + 6 * DAY + 10 * NANOS_PER_HOUR;
    // Two reads 20 minutes apart: the first waited, then both were judged in order.
    r.reads("bob", sunday, 2, 20 * MIN, OFFICE, UA, 100);
    one_shots(&mut r, 3, "svc");
    let fs = r.findings(&DetectConfig::default());
    let bob: Vec<&Finding> = fs.iter().filter(|f| f.principal == "bob").collect();
    assert_eq!(bob.len(), 1, "{bob:?}");
    assert_eq!(bob[0].rule, "baseline.after_hours_access");
    assert_eq!(bob[0].event_count, 2, "both events, in one finding");
    let d = fs
        .iter()
        .find(|f| f.rule == "baseline.one_shot_principals")
        .unwrap();
    assert_eq!(d.evidence["principals"], 3, "bob is not one of them");
}

#[test]
fn a_principal_seen_once_then_again_days_later_is_not_new() {
    let mut r = Run::new();
    // Ten days of office work make the data old enough for new-principal findings.
    office(&mut r, "alice", 12);
    let day10 = r.t0 + 10 * DAY + 11 * NANOS_PER_HOUR;
    r.reads(
        "weekly-job",
        r.t0 + 8 * DAY + 11 * NANOS_PER_HOUR,
        1,
        MIN,
        OFFICE,
        UA,
        100,
    );
    r.reads("weekly-job", day10, 1, MIN, OFFICE, UA, 100);
    r.reads("brand-new", day10, 1, MIN, OFFICE, UA, 100);
    r.reads("brand-new", day10 + 5 * MIN, 1, MIN, OFFICE, UA, 100);
    let fs = r.findings(&DetectConfig::default());
    assert!(
        has(&fs, "brand-new", "baseline.new_principal", Severity::Low),
        "the control: a principal never seen is new"
    );
    assert!(
        !fs.iter()
            .any(|f| f.principal == "weekly-job" && f.rule == "baseline.new_principal"),
        "seen once before (a first-seen time was kept): not new"
    );
}

#[test]
fn profiles_beyond_the_budget_are_evicted_coldest_first() {
    let mut r = Run::new();
    // 40 principals, each active for two events on its own day: the early ones go cold.
    for i in 0..40i64 {
        let t = r.t0 + (i / 4) * DAY + 9 * NANOS_PER_HOUR + (i % 4) * MIN;
        r.reads(&format!("p{i}"), t, 2, MIN, OFFICE, UA, 100);
    }
    let mut cfg = DetectConfig::default();
    cfg.limits.max_profiles = 10;
    let mut events = std::mem::take(&mut r.events);
    events.sort_by_key(|a| a.time);
    let mut engine = Engine::new(&r.syms, &cfg);
    for a in &events {
        engine.process(a);
    }
    let figures = engine.state_figures();
    assert!(figures.profiles <= 10, "{figures:?}");
    assert!(figures.evicted_profiles >= 30, "{figures:?}");
    // The coldest went: the last principals are still held in full.
    let last = r.syms.get("p39").unwrap();
    assert!(engine.profile(last).is_some());
    let first = r.syms.get("p0").unwrap();
    assert!(engine.profile(first).is_none());
    let (_, state, _) = engine.finish_with_state(&[], true);
    assert!(state.dropped_profiles.contains(&"p0".to_string()));
    assert!(state.known_before.iter().any(|(p, _)| p == "p0"));
    assert!(state.profiles.len() <= 10);
}
