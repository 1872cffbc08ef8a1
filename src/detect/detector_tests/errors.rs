//! Error and denial rates.

use super::*;

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
