//! The engine itself: what it keeps about repeated events.

use super::*;

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
