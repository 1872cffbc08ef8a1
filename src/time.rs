//! Time parsing and formatting for the timestamps the clouds write.
//!
//! Hand-written because it is on the hot path (one call per record) and the inputs are few:
//! RFC 3339 with any number of fractional digits and `Z` or an offset, S3 access-log
//! `06/Feb/2019:00:00:38 +0000`, and epoch numbers. Times are `i64` nanoseconds, UTC.

// Every byte here comes from a record: no indexing that can panic.
#![deny(clippy::indexing_slicing)]

use std::fmt::Write as _;

pub const NANOS_PER_SEC: i64 = 1_000_000_000;
pub const NANOS_PER_HOUR: i64 = 3600 * NANOS_PER_SEC;

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = m as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

/// (year, month, day) of a day number since 1970-01-01.
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719468;
    let era = if z >= 0 { z } else { z - 146096 } / 146097;
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn digits(b: &[u8], at: usize, n: usize) -> Option<u32> {
    let s = b.get(at..at + n)?;
    let mut v = 0u32;
    for &c in s {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + (c - b'0') as u32;
    }
    Some(v)
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        _ => 28,
    }
}

/// Years an event may carry. Audit logs begin in 2006; the bounds keep every time far from
/// the ends of `i64` nanoseconds (years 1677 and 2262), so hour, day and window arithmetic on
/// any accepted time cannot overflow. A record dated year 0001 or 9999 is skipped as
/// `missing_or_invalid_time`, not judged at a wrapped-around instant.
pub const YEARS: std::ops::RangeInclusive<i64> = 1970..=2199;

/// The first instant after [`YEARS`] (2200-01-01T00:00:00Z), in nanoseconds.
pub const LATEST: i64 = 7_258_118_400 * NANOS_PER_SEC;

fn checked_instant(y: i64, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> Option<i64> {
    if !YEARS.contains(&y)
        || !(1..=12).contains(&mo)
        || d == 0
        || d > days_in_month(y, mo)
        || h > 23
        || mi > 59
        || s > 60
    {
        return None;
    }
    let days = days_from_civil(y, mo, d);
    let secs = days * 86400 + (h * 3600 + mi * 60 + s.min(59)) as i64;
    secs.checked_mul(NANOS_PER_SEC)
}

/// Parses RFC 3339 / ISO 8601 date-times: `2019-11-14T00:51:00Z`, `2014-06-19T22:59:23.1967767Z`,
/// `2021-01-01T02:17:10.655982344Z`, `2019-03-06T12:21:15-08:00`, `...+00:00`.
/// Strict about the shape: a `T` between date and time and a zone (`Z` or an offset) are
/// required. Re-formatted times such as Panther's `2024-11-25 22:00:58.000000000` (no zone:
/// local or UTC?) or damaged ones such as `2020-08-08T00: 11: 44Z` are `None`: a wrong time is
/// worse than a skipped record, which is counted and reported.
pub fn parse_rfc3339(s: &[u8]) -> Option<i64> {
    if s.len() < 19 {
        return None;
    }
    let y = digits(s, 0, 4)? as i64;
    let at = |i: usize| s.get(i).copied().unwrap_or(0);
    if at(4) != b'-' || at(7) != b'-' || !(at(10) == b'T' || at(10) == b't') {
        return None;
    }
    if at(13) != b':' || at(16) != b':' {
        return None;
    }
    let mo = digits(s, 5, 2)?;
    let d = digits(s, 8, 2)?;
    let h = digits(s, 11, 2)?;
    let mi = digits(s, 14, 2)?;
    let sec = digits(s, 17, 2)?;
    let mut i = 19;
    let mut frac: i64 = 0;
    if matches!(s.get(i), Some(b'.' | b',')) {
        i += 1;
        let start = i;
        let mut scale = 100_000_000i64;
        while let Some(&d) = s.get(i).filter(|d| d.is_ascii_digit()) {
            frac += (d - b'0') as i64 * scale;
            scale /= 10;
            i += 1;
        }
        if i == start {
            return None;
        }
    }
    let offset_secs: i64 = match s.get(i) {
        None => return None,
        Some(b'Z') | Some(b'z') if i + 1 == s.len() => 0,
        Some(&c @ (b'+' | b'-')) => {
            let oh = digits(s, i + 1, 2)? as i64;
            let (om, end) = if s.get(i + 3) == Some(&b':') {
                (digits(s, i + 4, 2)? as i64, i + 6)
            } else {
                (digits(s, i + 3, 2)? as i64, i + 5)
            };
            if end != s.len() || oh > 23 || om > 59 {
                return None;
            }
            let o = oh * 3600 + om * 60;
            if c == b'+' {
                o
            } else {
                -o
            }
        }
        _ => return None,
    };
    let base = checked_instant(y, mo, d, h, mi, sec)?;
    base.checked_add(frac)?
        .checked_sub(offset_secs * NANOS_PER_SEC)
}

fn month_from_abbrev(m: &[u8]) -> Option<u32> {
    const MONTHS: [&[u8; 3]; 12] = [
        b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov",
        b"Dec",
    ];
    MONTHS
        .iter()
        .position(|x| x.eq_ignore_ascii_case(m))
        .map(|p| p as u32 + 1)
}

/// Parses the S3 access-log time `06/Feb/2019:00:00:38 +0000` (without brackets).
pub fn parse_clf(s: &[u8]) -> Option<i64> {
    if s.len() < 20 {
        return None;
    }
    let d = digits(s, 0, 2)?;
    let at = |i: usize| s.get(i).copied().unwrap_or(0);
    if at(2) != b'/' || at(6) != b'/' || at(11) != b':' || at(14) != b':' || at(17) != b':' {
        return None;
    }
    let mo = month_from_abbrev(s.get(3..6)?)?;
    let y = digits(s, 7, 4)? as i64;
    let h = digits(s, 12, 2)?;
    let mi = digits(s, 15, 2)?;
    let sec = digits(s, 18, 2)?;
    let mut offset = 0i64;
    if s.len() > 20 {
        let z = s.get(20..).unwrap_or_default();
        let z = z.strip_prefix(b" ").unwrap_or(z);
        if z.len() != 5 {
            return None;
        }
        let oh = digits(z, 1, 2)? as i64;
        let om = digits(z, 3, 2)? as i64;
        offset = oh * 3600 + om * 60;
        match z.first() {
            Some(b'+') => {}
            Some(b'-') => offset = -offset,
            _ => return None,
        }
    }
    checked_instant(y, mo, d, h, mi, sec)?.checked_sub(offset * NANOS_PER_SEC)
}

/// Parses epoch seconds written as a number, possibly with a fraction (`1551901275.0`).
pub fn parse_epoch_seconds(s: &[u8]) -> Option<i64> {
    let text = std::str::from_utf8(s).ok()?;
    let v: f64 = text.trim().parse().ok()?;
    if !v.is_finite() || !(0.0..(LATEST / NANOS_PER_SEC) as f64).contains(&v) {
        return None;
    }
    Some((v * 1e9) as i64)
}

/// Formats as RFC 3339 UTC with millisecond precision: `2019-11-14T00:51:00.000Z`.
pub fn format_rfc3339(nanos: i64, out: &mut String) {
    let secs = nanos.div_euclid(NANOS_PER_SEC);
    let sub = nanos.rem_euclid(NANOS_PER_SEC);
    let days = secs.div_euclid(86400);
    let tod = secs.rem_euclid(86400);
    let (y, m, d) = civil_from_days(days);
    let _ = write!(
        out,
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        y,
        m,
        d,
        tod / 3600,
        (tod / 60) % 60,
        tod % 60,
        sub / 1_000_000
    );
}

/// [`format_rfc3339`] into a new string (for reports, not the hot path).
pub fn rfc3339(nanos: i64) -> String {
    let mut s = String::with_capacity(24);
    format_rfc3339(nanos, &mut s);
    s
}

/// Short weekday names, Monday first (the order of hour-of-week slots).
pub const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_variants() {
        let base = parse_rfc3339(b"2019-11-14T00:51:00Z").unwrap();
        assert_eq!(rfc3339(base), "2019-11-14T00:51:00.000Z");
        assert_eq!(
            parse_rfc3339(b"2019-11-14T00:51:00.5Z").unwrap(),
            base + 500_000_000
        );
        assert_eq!(
            parse_rfc3339(b"2021-01-01T02:17:10.655982344Z").unwrap() % NANOS_PER_SEC,
            655_982_344
        );
        assert_eq!(
            parse_rfc3339(b"2019-11-13T16:51:00-08:00").unwrap(),
            base,
            "offset converted to UTC"
        );
        assert_eq!(parse_rfc3339(b"2019-11-14T00:51:00+00:00").unwrap(), base);
        assert_eq!(parse_rfc3339(b"2019-11-14 00:51:00"), None, "no T, no zone");
        assert_eq!(parse_rfc3339(b"2024-11-25 22:00:58.000000000"), None);
        assert_eq!(parse_rfc3339(b"2019-11-14T00:51:00"), None, "no zone");
        assert_eq!(parse_rfc3339(b"2020-08-08T00: 11: 44Z"), None);
        assert_eq!(parse_rfc3339(b"2019-02-30T00:00:00Z"), None);
        assert_eq!(parse_rfc3339(b"2019-11-14T00:51:00Zjunk"), None);
        assert_eq!(parse_rfc3339(b""), None);
    }

    #[test]
    fn hostile_times_are_refused_or_exact() {
        // Out of range: refused, never wrapped.
        for t in [
            &b"0001-01-01T00:00:00Z"[..],
            b"9999-12-31T23:59:59.999999999Z",
            b"1969-12-31T23:59:59Z",
            b"2200-01-01T00:00:00Z",
            b"2019-11-14T00:51:00+24:00",
            b"2019-11-14T00:51:00.Z",
        ] {
            assert_eq!(parse_rfc3339(t), None, "{}", String::from_utf8_lossy(t));
        }
        assert_eq!(parse_clf(b"01/Jan/0001:00:00:00 +0000"), None);
        assert_eq!(parse_clf(b"31/Dec/9999:23:59:59 -1400"), None);
        assert_eq!(parse_epoch_seconds(b"18446744073709551616"), None);
        assert_eq!(parse_epoch_seconds(b"-1"), None);
        assert_eq!(parse_epoch_seconds(b"1e300"), None);
        // Offsets of ±14:00 and a leap second are real and read exactly.
        let utc = parse_rfc3339(b"2024-12-31T10:00:00Z").unwrap();
        assert_eq!(parse_rfc3339(b"2025-01-01T00:00:00+14:00"), Some(utc));
        assert_eq!(parse_rfc3339(b"2024-12-30T20:00:00-14:00"), Some(utc));
        let leap = parse_rfc3339(b"2016-12-31T23:59:60Z").unwrap();
        assert_eq!(rfc3339(leap), "2016-12-31T23:59:59.000Z");
        // The edges of the range: an offset moves the instant by less than a day.
        let edge = parse_rfc3339(b"2199-12-31T23:59:59.999999999-23:59").unwrap();
        assert!(edge > LATEST && edge < LATEST + 24 * NANOS_PER_HOUR);
        assert!(parse_rfc3339(b"2199-12-31T23:59:59.999999999Z").unwrap() < LATEST);
        assert_eq!(parse_rfc3339(b"1970-01-01T00:00:00Z"), Some(0));
        // Many fraction digits do not overflow.
        let long = format!("2024-01-01T00:00:00.{}Z", "9".repeat(400));
        assert!(parse_rfc3339(long.as_bytes()).is_some());
    }

    #[test]
    fn clf_with_offsets() {
        let t = parse_clf(b"06/Feb/2019:00:00:38 +0000").unwrap();
        assert_eq!(rfc3339(t), "2019-02-06T00:00:38.000Z");
        let t = parse_clf(b"10/Feb/2012:16:42:07 -0500").unwrap();
        assert_eq!(rfc3339(t), "2012-02-10T21:42:07.000Z");
        assert_eq!(parse_clf(b"10/Foo/2012:16:42:07 -0500"), None);
    }

    #[test]
    fn civil_round_trip() {
        for days in [-800_000i64, -1, 0, 1, 11_000, 20_000, 2_000_000] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }

    #[test]
    fn epoch_seconds() {
        assert_eq!(
            parse_epoch_seconds(b"1551901275.0"),
            Some(1_551_901_275 * NANOS_PER_SEC)
        );
        assert_eq!(parse_epoch_seconds(b"nan"), None);
    }
}
