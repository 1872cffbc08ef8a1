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

mod cardinality;
mod engine;
mod errors;
mod insights;
mod novelty;
mod timing;
mod triage;
mod volume;

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
        // The kit's events are S3 calls (see `Run::other_service` for the rest).
        let mut flags = flag::STORAGE;
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

    /// `n` calls of another service than storage (KMS, SSM, EC2…) by `who` from `t`, one
    /// every `gap`, classed as `class`.
    #[allow(clippy::too_many_arguments)]
    fn other_service(
        &mut self,
        who: &str,
        t: i64,
        n: u64,
        gap: i64,
        class: ActionClass,
        action: &str,
        source: &str,
    ) {
        for i in 0..n {
            self.one(who, t + i as i64 * gap, class, action, "", OFFICE, UA);
            let a = self.events.last_mut().expect("just pushed");
            a.flags &= !flag::STORAGE;
            a.event_source = self.syms.intern(source);
        }
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
