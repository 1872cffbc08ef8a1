//! Novelty and geography: new addresses, networks, clients, APIs, buckets, countries; dormancy; keys moving.

use super::*;

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
    assert!(crate::detect::novelty::s3_compatible_client(
        "aws-cli/2.15.0 Python/3.11"
    ));
    assert!(!crate::detect::novelty::s3_compatible_client(
        "gcloud-golang-storage/1.40.0"
    ));
}
