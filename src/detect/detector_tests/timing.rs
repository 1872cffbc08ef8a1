//! Time of day and week: after-hours access against the principal's own hours.

use super::*;

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
