//! What the detection engine carries from one run to the next, with its symbols written out
//! as text (never this run's symbol numbers), so a snapshot written by one run reads in any
//! other: the profiles in the baseline's own form ([`crate::detect::baseline::state`]), each
//! detector's state under its name, and the findings still open. [`crate::state`] stores it in
//! SQLite; the engine makes and restores it.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use crate::catalogue::Severity;
use crate::detect::access::{Access, Sym, Symbols};
use crate::detect::finding::FindingAcc;
use crate::event::Format;

/// A finding still open when a run ended: the next run extends it instead of opening a new
/// one, as one long run would have.
#[derive(Serialize, Deserialize)]
pub struct OpenFinding {
    pub rule: String,
    pub principal: String,
    pub scope: String,
    severity: Severity,
    score: u32,
    title: String,
    provider: Format,
    first_seen: i64,
    last_seen: i64,
    event_count: u64,
    source_ips: Vec<IpAddr>,
    resources: Vec<String>,
    evidence: serde_json::Map<String, serde_json::Value>,
    peak: f64,
    features: u32,
    extra_mitre: Vec<String>,
    #[serde(default)]
    network_events: Vec<(u128, u32, u32)>,
}

/// Everything the engine carries from one run to the next.
#[derive(Serialize, Deserialize, Default)]
pub struct EngineState {
    pub data_start: Option<i64>,
    pub last_time: Option<i64>,
    pub profiles: Vec<crate::detect::baseline::state::ProfileState>,
    pub open_findings: Vec<OpenFinding>,
    /// Each detector's own state, under its name ([`crate::detect::detector::Detector`]).
    pub detectors: Vec<(String, serde_json::Value)>,
    /// Principals not kept in full (seen once, or evicted), with when first seen.
    #[serde(default)]
    pub known_before: Vec<(String, i64)>,
    /// Principals whose profiles were evicted in this run: removed from the file.
    #[serde(default)]
    pub dropped_profiles: Vec<String>,
}

impl OpenFinding {
    pub fn from_acc(f: &FindingAcc, scope: Sym, syms: &Symbols) -> Self {
        let mut resources: Vec<String> = f.resources.iter().cloned().collect();
        for (b, o) in &f.resource_syms {
            let bucket = syms.text(*b);
            resources.push(if *o != 0 {
                format!("{bucket}/{}", syms.text(*o))
            } else {
                bucket
            });
        }
        resources.sort();
        resources.dedup();
        OpenFinding {
            rule: f.rule.to_string(),
            principal: syms.text(f.principal),
            scope: syms.text(scope),
            severity: f.severity,
            score: f.score,
            title: f.title.clone(),
            provider: match f.provider {
                crate::event::Provider::Aws => Format::AwsCloudtrail,
                crate::event::Provider::Gcp => Format::GcsAudit,
                crate::event::Provider::Azure => Format::AzureBlobLogs,
            },
            first_seen: f.first_seen,
            last_seen: f.last_seen,
            event_count: f.event_count,
            source_ips: f.source_ips.iter().copied().collect(),
            resources,
            evidence: f.evidence.clone(),
            peak: f.peak,
            features: f.features,
            extra_mitre: f.extra_mitre.iter().map(|s| s.to_string()).collect(),
            network_events: f.network_events.clone(),
        }
    }

    /// Rebuilds the finding; `None` when its rule no longer exists.
    pub fn into_acc(self, syms: &Symbols) -> Option<(&'static str, Sym, Sym, FindingAcc)> {
        let rule = crate::detect::all_rule_ids()
            .into_iter()
            .find(|r| *r == self.rule)?;
        let principal = syms.intern(&self.principal);
        let scope = syms.intern(&self.scope);
        let a = Access {
            time: self.first_seen,
            principal,
            format: self.provider,
            ..Default::default()
        };
        let mut f = FindingAcc::new(rule, self.severity, self.title, &a);
        f.score = self.score;
        f.first_seen = self.first_seen;
        f.last_seen = self.last_seen;
        f.event_count = self.event_count;
        f.source_ips = self.source_ips.into_iter().collect();
        f.resources = self.resources.into_iter().collect();
        f.evidence = self.evidence;
        f.peak = self.peak;
        f.features = self.features;
        f.network_events = self.network_events;
        f.extra_mitre = self
            .extra_mitre
            .iter()
            .filter_map(|m| crate::detect::techniques::static_technique(m))
            .collect();
        Some((rule, principal, scope, f))
    }
}
