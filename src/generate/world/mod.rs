//! The benign world: who works where, when and how much, across AWS, GCP and Azure.
//!
//! Built to be hard for fixed thresholds: a night ETL role reads thousands of objects at
//! 02:00 UTC, Tokyo staff work 00:00–09:00 UTC, analysts read hundreds of objects in an hour,
//! CI lists dozens of prefixes per deploy, travellers appear from new addresses, offices share
//! NAT addresses, and a policy change happens in a change window. Each habit is its own
//! function with its own forked random stream.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::generate::rng::Rng;
use crate::generate::text::{obj_string, DAY, HOUR, MINUTE, NS};
use crate::generate::{
    Addr, AwsEv, AwsId, AwsKind, AwsWho, AzAccount, AzActEv, AzEv, AzWho, Bucket, GcsEv, Options,
    World, START_DAY,
};
use crate::time::days_from_civil;

mod aws;
mod azure;
mod cast;
mod gcp;
pub use aws::*;
pub use azure::*;
pub use cast::*;
pub use gcp::*;

pub fn v4(a: u8, b: u8, c: u8, d: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(a, b, c, d))
}

pub fn v6(segs: [u16; 8]) -> IpAddr {
    IpAddr::V6(Ipv6Addr::from(segs))
}

/// The New York office NAT, shared by everyone there.
pub fn ny_nat() -> IpAddr {
    v4(198, 51, 100, 10)
}
/// The Berlin office NAT.
pub fn berlin_nat() -> IpAddr {
    v4(203, 0, 113, 45)
}
/// The London office NAT: an address MaxMind's test databases place in London, so the demo's
/// GeoIP finds it.
pub fn london_nat() -> IpAddr {
    v4(81, 2, 69, 165)
}

/// Start of day `d` of the world.
pub fn day(w: &World, d: u32) -> i64 {
    w.start + i64::from(d) * DAY
}

/// Day of the week of day `d`: 0 Monday … 6 Sunday (the world starts on a Monday).
pub fn weekday(d: u32) -> u32 {
    d % 7
}

/// `x` events at scale 1, scaled, at least `min`.
pub fn scaled(w: &World, x: f64, min: u64) -> u64 {
    ((x * w.scale).round() as u64).max(min)
}

/// A random time of day in `[from_h, to_h)` hours UTC-shifted by `tz` (local time = UTC + tz).
fn local(rng: &mut Rng, w: &World, d: u32, tz: i64, from_h: f64, to_h: f64) -> i64 {
    let h = from_h + (to_h - from_h) * rng.f64();
    day(w, d) + (h * HOUR as f64) as i64 - tz * HOUR
}

fn jitter(rng: &mut Rng, max_s: u64) -> i64 {
    rng.range(1, max_s.max(2)) as i64 * NS + rng.below(1_000_000_000) as i64
}

/// Nanoseconds of [`START_DAY`] since the epoch.
pub const START_EPOCH_NS: i64 = {
    // days_from_civil is not const; 2026-01-05 is day 20458 since 1970-01-01.
    20_458 * DAY
};

/// Builds the benign world.
pub fn build(opts: &Options, rng: &Rng) -> World {
    let (y, m, d) = START_DAY;
    debug_assert_eq!(days_from_civil(y, m, d) * DAY, START_EPOCH_NS);
    let mut w = World {
        start: START_EPOCH_NS,
        days: opts.days,
        scale: opts.scale,
        aws_ids: aws_ids(),
        buckets: buckets(),
        gcs_project: "acme-analytics-prod",
        gcs_ids: [
            "maria@acme.example",
            "noah@acme.example",
            "yuki@acme.example",
            "lena@acme.example",
            "ops-admin@acme.example",
            "dataflow-etl@acme-analytics-prod.iam.gserviceaccount.com",
            "gcs-backup@acme-analytics-prod.iam.gserviceaccount.com",
            "ci-deployer@acme-analytics-prod.iam.gserviceaccount.com",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect(),
        subscription: "6f1c2d3e-4b5a-4c7d-9e8f-0a1b2c3d4e5f",
        tenant: "72f988bf-86f1-41af-91ab-2d7cd011db47",
        az_ids: Vec::new(),
        az_accounts: vec![
            AzAccount {
                name: "acmeprodblobs",
                group: "rg-prod-storage",
                location: "eastus",
                classic: false,
            },
            AzAccount {
                name: "acmelegacyfiles",
                group: "rg-legacy",
                location: "westeurope",
                classic: true,
            },
        ],
        ..World::default()
    };
    w.az_ids = az_ids(&mut rng.fork("az-ids"));
    office_aws(&mut w, rng);
    automation_aws(&mut w, rng);
    gcs_world(&mut w, rng);
    azure_world(&mut w, rng);
    w
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use super::*;

    fn benign() -> World {
        build(&Options::default(), &Rng::new(1))
    }

    /// Principal name → count per clock hour of events whose API name passes `f`.
    fn per_hour(w: &World, f: impl Fn(&str) -> bool) -> BTreeMap<(String, i64), u32> {
        let mut m = BTreeMap::new();
        for e in &w.aws {
            if let (AwsWho::Id(i), true) = (e.who, f(e.name)) {
                *m.entry((w.aws_ids[i as usize].principal(), e.t / HOUR))
                    .or_default() += 1;
            }
        }
        m
    }

    #[test]
    fn fixed_thresholds_fire_on_benign_traffic() {
        let w = benign();
        let over = |m: BTreeMap<(String, i64), u32>, limit| -> BTreeSet<String> {
            m.into_iter()
                .filter(|(_, n)| *n > limit)
                .map(|((p, _), _)| p)
                .collect()
        };
        let bulk = over(per_hour(&w, |n| n == "GetObject"), 100);
        assert!(
            bulk.iter().any(|p| p.ends_with("role/etl-nightly"))
                && bulk.iter().any(|p| p.ends_with("role/analyst")),
            ">100 GetObject/h: {bulk:?}"
        );
        let lists = over(per_hour(&w, |n| n.starts_with("List")), 20);
        assert!(
            lists.iter().any(|p| p.ends_with("role/github-deploy")),
            ">20 List*/h: {lists:?}"
        );
        // Outside 08:00–18:00 UTC: Tokyo staff, the night jobs.
        let mut after_hours = BTreeSet::new();
        for e in &w.aws {
            let h = (e.t.rem_euclid(DAY) / HOUR) as u32;
            if let (AwsWho::Id(i), false) = (e.who, (8..18).contains(&h)) {
                after_hours.insert(w.aws_ids[i as usize].name.clone());
            }
        }
        for who in ["erin", "frank", "etl-nightly", "backup-agent"] {
            assert!(after_hours.contains(who), "{who} works outside 08–18 UTC");
        }
        // A new source IP after the first week, for people and for CI runners.
        let mut first: BTreeMap<(String, String), i64> = BTreeMap::new();
        for e in &w.aws {
            if let (AwsWho::Id(i), Addr::Ip(ip)) = (e.who, e.src) {
                let k = (w.aws_ids[i as usize].name.clone(), ip.to_string());
                let t = first.entry(k).or_insert(e.t);
                *t = (*t).min(e.t);
            }
        }
        let late: BTreeSet<&str> = first
            .iter()
            .filter(|(_, t)| **t > w.start + 7 * DAY)
            .map(|((who, _), _)| who.as_str())
            .collect();
        assert!(
            late.contains("gina") && late.contains("github-deploy"),
            "{late:?}"
        );
        // IPv6 callers and a shared NAT address.
        assert!(w
            .aws
            .iter()
            .any(|e| matches!(e.src, Addr::Ip(IpAddr::V6(_)))));
        let nat: BTreeSet<u16> = w
            .aws
            .iter()
            .filter(|e| e.src == Addr::Ip(ny_nat()))
            .filter_map(|e| match e.who {
                AwsWho::Id(i) => Some(i),
                AwsWho::Anonymous => None,
            })
            .collect();
        assert!(nat.len() >= 4, "the New York NAT is shared");
    }

    #[test]
    fn weekends_are_quiet_and_new_principals_start_late() {
        let w = benign();
        let alice = w.aws_id("alice");
        let days: Vec<u32> = w
            .aws
            .iter()
            .filter(|e| e.who == AwsWho::Id(alice))
            .map(|e| ((e.t - w.start - 5 * HOUR) / DAY) as u32)
            .collect();
        let weekend = days.iter().filter(|d| weekday(**d) >= 5).count();
        assert!(weekend * 20 < days.len(), "{weekend} of {}", days.len());
        let kate = w.aws_id("kate");
        let first = w
            .aws
            .iter()
            .filter(|e| e.who == AwsWho::Id(kate))
            .map(|e| e.t)
            .min()
            .unwrap();
        assert!(first >= w.end() - 7 * DAY);
    }

    #[test]
    fn scale_multiplies_benign_volume() {
        let small = build(
            &Options {
                scale: 0.5,
                ..Options::default()
            },
            &Rng::new(1),
        );
        let full = benign();
        let (a, b) = (small.aws.len() as f64, full.aws.len() as f64);
        assert!(a > 0.4 * b && a < 0.6 * b, "{a} vs {b}");
        let total = full.aws.len() + full.gcs.len() + full.az.len() + full.az_act.len();
        assert!(
            (150_000..=300_000).contains(&total),
            "{total} events at scale 1"
        );
    }
}
