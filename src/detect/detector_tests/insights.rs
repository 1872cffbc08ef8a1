//! Account insights (API call and error rates) and log streams that go quiet.

use super::*;

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
    assert!(state.detectors.iter().any(|(name, _)| name == "streams"));
    let gap = |fs: &[Finding]| fs.iter().any(|f| f.rule == "baseline.log_gap");
    let mut two = Engine::new(&r.syms, &cfg);
    two.import(state).unwrap();
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
