//! Findings: what a detector reports, aggregated while the behaviour lasts, and written as the
//! output contract's `{"type":"finding",…}` object.

use std::collections::BTreeSet;
use std::net::IpAddr;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::catalogue::{Catalogue, Severity};
use crate::detect::access::{Access, Sym, Symbols};
use crate::event::Provider;
use crate::time::rfc3339;

/// Bounds on what a finding keeps (attackers choose object keys and agents).
const MAX_IPS: usize = 20;
const MAX_RESOURCES: usize = 20;
const MAX_SAMPLES: usize = 5;
const MAX_AGENTS: usize = 5;
const MAX_NETWORKS: usize = 32;

/// A finding while it is open: the same rule and principal within the merge gap extend it.
#[derive(Debug, Clone)]
pub struct FindingAcc {
    pub rule: &'static str,
    pub severity: Severity,
    pub score: u32,
    pub title: String,
    pub provider: Provider,
    pub principal: Sym,
    pub first_seen: i64,
    pub last_seen: i64,
    pub event_count: u64,
    pub source_ips: BTreeSet<IpAddr>,
    /// (bucket, object) symbols, resolved when the finding is written.
    pub resource_syms: BTreeSet<(Sym, Sym)>,
    /// Resources given as text (rule hits: trails, keys, destination buckets).
    pub resources: BTreeSet<String>,
    /// The largest per-hour (or per-day) figure seen while the finding was open.
    pub peak: f64,
    /// Detector-specific feature bits gathered while the finding was open.
    pub features: u32,
    /// ATT&CK techniques the evidence adds to the rule's own.
    pub extra_mitre: BTreeSet<&'static str>,
    /// Events and feature bits per source network, for detectors that weigh one place's
    /// activity (the first [`MAX_NETWORKS`] networks).
    pub network_events: Vec<(u128, u32, u32)>,
    /// For a finding carried over from an earlier run: its event count then. Unless this run
    /// extends it, it was reported already and is not reported again.
    pub imported_count: Option<u64>,
    /// (file index, offset) of sample raw records.
    pub samples: Vec<(u32, u64)>,
    /// Distinct user agents of the finding's events (the first few).
    pub user_agents: Vec<Sym>,
    /// The last address and resource counted in (see `add`).
    last_keys: (Option<IpAddr>, (Sym, Sym)),
    /// The account and region of the first event (AWS account, GCP project, Azure
    /// subscription/account; AWS region, GCP / Azure location).
    pub account: Sym,
    pub region: Sym,
    pub evidence: Map<String, Value>,
}

impl FindingAcc {
    pub fn new(rule: &'static str, severity: Severity, title: String, a: &Access) -> Self {
        FindingAcc {
            rule,
            severity,
            score: severity.base_score(),
            title,
            provider: a.provider(),
            principal: a.principal,
            first_seen: a.time,
            last_seen: a.time,
            event_count: 0,
            source_ips: BTreeSet::new(),
            resource_syms: BTreeSet::new(),
            resources: BTreeSet::new(),
            peak: 0.0,
            features: 0,
            extra_mitre: BTreeSet::new(),
            network_events: Vec::new(),
            imported_count: None,
            samples: Vec::new(),
            user_agents: Vec::new(),
            last_keys: (None, (0, 0)),
            account: a.account,
            region: a.region,
            evidence: Map::new(),
        }
    }

    /// Counts an event into the finding (cheap: it runs for every event of a finding).
    pub fn add(&mut self, a: &Access) {
        self.event_count += 1;
        self.first_seen = self.first_seen.min(a.time);
        self.last_seen = self.last_seen.max(a.time);
        // Events of a finding mostly repeat the last one's address and resource: compare
        // before searching the sets.
        if let Some(ip) = a.source_ip {
            if self.source_ips.len() < MAX_IPS && self.last_keys.0 != Some(ip) {
                self.source_ips.insert(ip);
                self.last_keys.0 = Some(ip);
            }
        }
        if self.resource_syms.len() < MAX_RESOURCES
            && a.bucket != 0
            && self.last_keys.1 != (a.bucket, a.object)
        {
            self.resource_syms.insert((a.bucket, a.object));
            self.last_keys.1 = (a.bucket, a.object);
        }
        if self.samples.len() < MAX_SAMPLES {
            self.samples.push((a.file, a.offset));
        }
        if a.user_agent != 0
            && self.user_agents.len() < MAX_AGENTS
            && !self.user_agents.contains(&a.user_agent)
        {
            self.user_agents.push(a.user_agent);
        }
    }

    /// Counts an event from `network` with its feature bits (and `first`, when it is that
    /// network's first event); returns the events and the features of that network so far.
    pub fn count_network(&mut self, network: u128, features: u32, first: u32) -> (u32, u32) {
        if let Some(n) = self.network_events.iter_mut().find(|n| n.0 == network) {
            n.1 += 1;
            n.2 |= features;
            return (n.1, n.2);
        }
        if self.network_events.len() < MAX_NETWORKS {
            self.network_events.push((network, 1, features | first));
        }
        (1, features | first)
    }

    pub fn set(&mut self, key: &str, v: impl Into<Value>) {
        self.evidence.insert(key.to_string(), v.into());
    }
}

/// A finding as it is written (DESIGN.md output contract).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Finding {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub id: String,
    pub rule: String,
    pub title: String,
    pub severity: Severity,
    pub score: u32,
    pub provider: &'static str,
    pub principal: String,
    pub first_seen: String,
    pub last_seen: String,
    pub mitre: Vec<String>,
    pub source_ips: Vec<String>,
    pub resources: Vec<String>,
    pub event_count: u64,
    pub evidence: Map<String, Value>,
    pub incident: Option<String>,
    #[serde(skip)]
    pub first_ns: i64,
    #[serde(skip)]
    pub last_ns: i64,
    #[serde(skip)]
    pub tactic: String,
}

impl FindingAcc {
    /// Resolves symbols and file names into the written form.
    pub fn finish(self, syms: &Symbols, files: &[String]) -> Finding {
        let cat = Catalogue::get();
        let meta = cat.rule(self.rule);
        let principal = syms.text(self.principal);
        let mut evidence = self.evidence;
        if self.peak > 0.0 {
            evidence.entry("observed_peak").or_insert(self.peak.into());
        }
        let mut resources = self.resources;
        for (b, o) in &self.resource_syms {
            if resources.len() >= MAX_RESOURCES {
                break;
            }
            let bucket = syms.text(*b);
            resources.insert(if *o != 0 {
                crate::text::bounded(&format!("{bucket}/{}", syms.text(*o)), 300)
            } else {
                bucket
            });
        }
        // Records of earlier runs (from `--state`) name no file of this run.
        let samples: Vec<Value> = self
            .samples
            .iter()
            .filter(|(f, _)| (*f as usize) < files.len())
            .map(|(f, o)| {
                serde_json::json!({
                    "file": files.get(*f as usize).cloned().unwrap_or_default(),
                    "offset": o,
                })
            })
            .collect();
        evidence.insert("raw_records".into(), Value::Array(samples));
        if self.account != 0 && !evidence.contains_key("account") {
            evidence.insert(
                "account".into(),
                crate::text::bounded(&syms.text(self.account), 120).into(),
            );
        }
        if self.region != 0 && !evidence.contains_key("region") {
            evidence.insert(
                "region".into(),
                crate::text::bounded(&syms.text(self.region), 60).into(),
            );
        }
        if !self.user_agents.is_empty() && !evidence.contains_key("user_agents") {
            let agents: Vec<Value> = self
                .user_agents
                .iter()
                .map(|u| crate::text::bounded(&syms.text(*u), 200).into())
                .collect();
            evidence.insert("user_agents".into(), Value::Array(agents));
        }
        let id = finding_id(self.rule, &principal, self.first_seen);
        Finding {
            kind: "finding",
            id,
            rule: self.rule.to_string(),
            title: self.title,
            severity: self.severity,
            score: self.score.min(100),
            provider: self.provider.as_str(),
            principal,
            first_seen: rfc3339(self.first_seen),
            last_seen: rfc3339(self.last_seen),
            mitre: {
                let mut m: Vec<String> = meta.map(|m| m.mitre.clone()).unwrap_or_default();
                for x in &self.extra_mitre {
                    if !m.iter().any(|y| y == x) {
                        m.push(x.to_string());
                    }
                }
                m
            },
            source_ips: self.source_ips.iter().map(|i| i.to_string()).collect(),
            resources: resources.into_iter().collect(),
            event_count: self.event_count,
            evidence,
            incident: None,
            first_ns: self.first_seen,
            last_ns: self.last_seen,
            tactic: meta.map(|m| m.tactic.clone()).unwrap_or_default(),
        }
    }
}

/// A stable id: the same rule, principal and first hour give the same id in every run, so a
/// SIEM can deduplicate and split runs agree with one run.
pub fn finding_id(rule: &str, principal: &str, first_seen: i64) -> String {
    use std::hash::BuildHasher;
    let hour = first_seen.div_euclid(crate::time::NANOS_PER_HOUR);
    let h = foldhash::quality::FixedState::with_seed(0x5452_4149_4c48_4f55)
        .hash_one((rule, principal, hour));
    format!("f-{h:016x}")
}
