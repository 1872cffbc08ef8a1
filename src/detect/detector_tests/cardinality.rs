//! Cardinality: principals seen once, their digest, eviction under the memory budget.

use super::*;

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
