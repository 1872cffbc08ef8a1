//! `--format ocsf`: every finding as an OCSF 1.8.0 Detection Finding (class_uid 2004), one JSON
//! object per line, for SIEMs that speak OCSF (Security Lake, Sentinel, Splunk…).
//!
//! Attribute names, required attributes and enum values follow the resolved schema kept in
//! `tests/ocsf/` (copied from the shared workspace); `tests/ocsf.rs` validates every object
//! a scan emits against it. What OCSF has no attribute for (the evidence map, our score and
//! rule id) goes to `unmapped`, as the schema asks.

use serde_json::{json, Map, Value};

use crate::catalogue::{Catalogue, Severity};
use crate::detect::finding::Finding;
use crate::pipeline::ScanOutput;

/// The OCSF schema version the objects follow (`metadata.version`).
pub const OCSF_VERSION: &str = "1.8.0";
/// Detection Finding.
pub const CLASS_UID: i64 = 2004;
/// Findings.
pub const CATEGORY_UID: i64 = 2;
/// Create: every finding of a scan is new to the receiver (ids are stable across runs, so a
/// SIEM can still deduplicate repeated scans of the same logs).
pub const ACTIVITY_CREATE: i64 = 1;

/// ATT&CK names of the techniques the catalogue and detectors use, with a default tactic for
/// techniques a finding inherits from its evidence (the rule's own techniques take the
/// rule's tactic). A unit test checks every technique in the catalogue is here.
const TECHNIQUES: &[(&str, &str, &str)] = &[
    ("T1040", "Network Sniffing", "credential-access"),
    ("T1078", "Valid Accounts", "initial-access"),
    ("T1078.004", "Cloud Accounts", "initial-access"),
    ("T1090", "Proxy", "command-and-control"),
    ("T1090.003", "Multi-hop Proxy", "command-and-control"),
    ("T1098", "Account Manipulation", "persistence"),
    ("T1098.001", "Additional Cloud Credentials", "persistence"),
    ("T1098.003", "Additional Cloud Roles", "persistence"),
    ("T1199", "Trusted Relationship", "initial-access"),
    (
        "T1211",
        "Exploitation for Defense Evasion",
        "defense-evasion",
    ),
    ("T1485", "Data Destruction", "impact"),
    ("T1486", "Data Encrypted for Impact", "impact"),
    ("T1490", "Inhibit System Recovery", "impact"),
    ("T1530", "Data from Cloud Storage", "collection"),
    ("T1537", "Transfer Data to Cloud Account", "exfiltration"),
    (
        "T1550",
        "Use Alternate Authentication Material",
        "lateral-movement",
    ),
    ("T1550.001", "Application Access Token", "lateral-movement"),
    (
        "T1555",
        "Credentials from Password Stores",
        "credential-access",
    ),
    (
        "T1555.006",
        "Cloud Secrets Management Stores",
        "credential-access",
    ),
    ("T1557", "Adversary-in-the-Middle", "credential-access"),
    ("T1562", "Impair Defenses", "defense-evasion"),
    ("T1562.001", "Disable or Modify Tools", "defense-evasion"),
    (
        "T1562.007",
        "Disable or Modify Cloud Firewall",
        "defense-evasion",
    ),
    (
        "T1562.008",
        "Disable or Modify Cloud Logs",
        "defense-evasion",
    ),
    ("T1562.010", "Downgrade Attack", "defense-evasion"),
    ("T1580", "Cloud Infrastructure Discovery", "discovery"),
    ("T1619", "Cloud Storage Object Discovery", "discovery"),
];

/// ATT&CK tactic ids and names for the catalogue's tactic slugs.
const TACTICS: &[(&str, &str, &str)] = &[
    ("reconnaissance", "TA0043", "Reconnaissance"),
    ("initial-access", "TA0001", "Initial Access"),
    ("credential-access", "TA0006", "Credential Access"),
    ("persistence", "TA0003", "Persistence"),
    ("privilege-escalation", "TA0004", "Privilege Escalation"),
    ("defense-evasion", "TA0005", "Defense Evasion"),
    ("discovery", "TA0007", "Discovery"),
    ("lateral-movement", "TA0008", "Lateral Movement"),
    ("collection", "TA0009", "Collection"),
    ("exfiltration", "TA0010", "Exfiltration"),
    ("command-and-control", "TA0011", "Command and Control"),
    ("impact", "TA0040", "Impact"),
];

/// The ATT&CK version the names above were taken from (`attack.version`).
const ATTACK_VERSION: &str = "v16";

fn technique(id: &str) -> Option<(&'static str, &'static str)> {
    TECHNIQUES
        .iter()
        .find(|t| t.0 == id)
        .map(|&(_, name, tactic)| (name, tactic))
}

fn tactic(slug: &str) -> Option<(&'static str, &'static str)> {
    TACTICS
        .iter()
        .find(|t| t.0 == slug)
        .map(|&(_, uid, name)| (uid, name))
}

/// `severity_id` and its caption (schema: 1 Informational … 5 Critical).
fn severity(s: Severity) -> (i64, &'static str) {
    match s {
        Severity::Info => (1, "Informational"),
        Severity::Low => (2, "Low"),
        Severity::Medium => (3, "Medium"),
        Severity::High => (4, "High"),
        Severity::Critical => (5, "Critical"),
    }
}

/// `risk_level_id` and its caption (schema: 0 Info … 4 Critical).
fn risk_level(s: Severity) -> (i64, &'static str) {
    match s {
        Severity::Info => (0, "Info"),
        Severity::Low => (1, "Low"),
        Severity::Medium => (2, "Medium"),
        Severity::High => (3, "High"),
        Severity::Critical => (4, "Critical"),
    }
}

/// `confidence_id` from our 0–100 score: the score already weighs how far the activity is
/// from the principal's normal, which is what a receiver reads confidence as.
fn confidence(score: u32) -> (i64, &'static str) {
    match score {
        0..=39 => (1, "Low"),
        40..=69 => (2, "Medium"),
        _ => (3, "High"),
    }
}

/// `analytic.type_id` by detector family: fixed rules, behaviour against the principal's own
/// history, or statistics over its volumes.
fn analytic_type(family: &str) -> (i64, &'static str) {
    match family {
        "novelty" | "time" => (2, "Behavioral"),
        "statistics" => (3, "Statistical"),
        _ => (1, "Rule"),
    }
}

/// The `cloud` object: the provider, and the account when the finding names one in a form
/// OCSF has a type for (an AWS account id, a GCP project, an Azure subscription).
fn cloud(f: &Finding, provider: &str) -> Value {
    let mut c = json!({ "provider": provider });
    if let Some(region) = f.evidence.get("region").and_then(Value::as_str) {
        c["region"] = json!(region);
    }
    let Some(acct) = f.evidence.get("account").and_then(Value::as_str) else {
        return c;
    };
    let account = match f.provider {
        "aws" if acct.len() == 12 && acct.bytes().all(|b| b.is_ascii_digit()) => {
            Some((acct, 10, "AWS Account"))
        }
        "gcp" if !acct.is_empty() => Some((acct, 11, "GCP Project")),
        // Azure accounts are `subscription/storage-account`.
        "azure" => acct
            .split('/')
            .next()
            .filter(|s| s.len() == 36)
            .map(|s| (s, 13, "Azure Subscription")),
        _ => None,
    };
    if let Some((uid, type_id, type_name)) = account {
        c["account"] = json!({ "uid": uid, "type_id": type_id, "type": type_name });
    }
    c
}

fn cloud_provider(p: &str) -> &'static str {
    match p {
        "aws" => "AWS",
        "gcp" => "GCP",
        "azure" => "Azure",
        _ => "Other",
    }
}

/// Nanoseconds → OCSF `timestamp_t` (milliseconds since the epoch).
fn ms(nanos: i64) -> i64 {
    nanos.div_euclid(1_000_000)
}

/// What kind of resource a finding's resource string names: the rule scope tells trails and
/// keys apart from storage; a `/` after the container separates an object from its bucket.
fn resource_type(rule: &str, provider: &str, r: &str) -> &'static str {
    if let Some(t) = crate::catalogue::Catalogue::get()
        .rule(rule)
        .and_then(|r| r.resource_type.as_deref())
    {
        return t;
    }
    let object = r.contains('/') && !r.starts_with("arn:");
    match (provider, object) {
        ("aws", false) => "AWS::S3::Bucket",
        ("aws", true) => "AWS::S3::Object",
        ("gcp", false) => "storage.googleapis.com/Bucket",
        ("gcp", true) => "storage.googleapis.com/Object",
        ("azure", false) => "Microsoft.Storage/storageAccounts/blobServices/containers",
        ("azure", true) => "Microsoft.Storage/storageAccounts/blobServices/containers/blobs",
        _ => "Other",
    }
}

/// ATT&CK entries: a sub-technique carries its parent technique, as OCSF expects.
fn attacks(f: &Finding, rule_mitre: &[String], rule_tactic: &str) -> Vec<Value> {
    f.mitre
        .iter()
        .map(|id| {
            let own = rule_mitre.iter().any(|m| m == id);
            let (name, default_tactic) = technique(id).unwrap_or(("", ""));
            let slug = if own && !rule_tactic.is_empty() {
                rule_tactic
            } else {
                default_tactic
            };
            let mut a = Map::new();
            a.insert("version".into(), ATTACK_VERSION.into());
            match id.split_once('.') {
                Some((parent, _)) => {
                    let parent_name = technique(parent).map(|t| t.0).unwrap_or("");
                    a.insert("technique".into(), named(parent, parent_name));
                    a.insert("sub_technique".into(), named(id, name));
                }
                None => {
                    a.insert("technique".into(), named(id, name));
                }
            }
            if let Some((uid, tname)) = tactic(slug) {
                a.insert("tactic".into(), json!({"uid": uid, "name": tname}));
            }
            Value::Object(a)
        })
        .collect()
}

/// `{uid, name}` with the name left out when unknown (at least one of them is required).
fn named(uid: &str, name: &str) -> Value {
    if name.is_empty() {
        json!({ "uid": uid })
    } else {
        json!({ "uid": uid, "name": name })
    }
}

/// One finding as an OCSF Detection Finding.
pub fn detection_finding(f: &Finding) -> Value {
    let cat = Catalogue::get();
    let meta = cat.rule(&f.rule);
    let (sev_id, sev) = severity(f.severity);
    let (risk_id, risk) = risk_level(f.severity);
    let (conf_id, conf) = confidence(f.score);
    let family = meta.map(|m| m.family.as_str()).unwrap_or("");
    let (an_id, an) = analytic_type(family);
    let provider = cloud_provider(f.provider);
    let rule_mitre: &[String] = meta.map(|m| m.mitre.as_slice()).unwrap_or(&[]);

    let mut finding_info = json!({
        "uid": f.id,
        "title": f.title,
        "first_seen_time": ms(f.first_ns),
        "last_seen_time": ms(f.last_ns),
        "created_time": ms(f.last_ns),
        "attacks": attacks(f, rule_mitre, &f.tactic),
        "analytic": {
            "uid": f.rule,
            "name": meta.map(|m| m.title.as_str()).unwrap_or(f.rule.as_str()),
            "type_id": an_id,
            "type": an,
            "category": family,
        },
        "product_uid": "trailhound",
    });
    if let Some(m) = meta {
        finding_info["desc"] = m.description.clone().into();
        if !family.is_empty() {
            finding_info["types"] = json!([family]);
        }
    }

    let resources: Vec<Value> = f
        .resources
        .iter()
        .map(|r| {
            json!({
                "name": r,
                "type": resource_type(&f.rule, f.provider, r),
                "provider": provider,
                "role_id": 1,
                "role": "Target",
            })
        })
        .collect();

    let user = json!({ "uid": f.principal, "name": f.principal });
    let mut evidences: Vec<Value> = f
        .source_ips
        .iter()
        .map(|ip| json!({ "src_endpoint": { "ip": ip }, "user": user }))
        .collect();
    if evidences.is_empty() {
        evidences.push(json!({ "user": user }));
    }

    let mut observables = vec![json!({
        "name": "evidences.user.uid",
        "type_id": 31,
        "type": "User Object: uid",
        "value": f.principal,
    })];
    for ip in &f.source_ips {
        observables.push(json!({
            "name": "evidences.src_endpoint.ip",
            "type_id": 2,
            "type": "IP Address",
            "value": ip,
        }));
    }
    for r in &f.resources {
        observables.push(json!({
            "name": "resources.name",
            "type_id": 38,
            "type": "Resource Details Object: name",
            "value": r,
        }));
    }

    let mut unmapped = Map::new();
    unmapped.insert("rule".into(), f.rule.clone().into());
    unmapped.insert("score".into(), f.score.into());
    unmapped.insert("principal".into(), f.principal.clone().into());
    unmapped.insert("mitre".into(), json!(f.mitre));
    if let Some(i) = &f.incident {
        unmapped.insert("incident".into(), i.clone().into());
    }
    unmapped.insert("evidence".into(), Value::Object(f.evidence.clone()));

    let mut metadata = json!({
        "version": OCSF_VERSION,
        "product": {
            "name": "trailhound",
            "uid": "trailhound",
            "vendor_name": "trailhound",
            "version": env!("CARGO_PKG_VERSION"),
        },
        // The cloud profile adds `cloud` (required with it) and the resources' provider.
        "profiles": ["cloud"],
        "uid": f.id,
        "log_name": "trailhound findings",
    });
    if let Some(i) = &f.incident {
        // The incident groups findings of one story: the receiver's correlation key.
        metadata["correlation_uid"] = i.clone().into();
    }

    let mut ev = json!({
        "class_uid": CLASS_UID,
        "class_name": "Detection Finding",
        "category_uid": CATEGORY_UID,
        "category_name": "Findings",
        "activity_id": ACTIVITY_CREATE,
        "activity_name": "Create",
        "type_uid": CLASS_UID * 100 + ACTIVITY_CREATE,
        "type_name": "Detection Finding: Create",
        "severity_id": sev_id,
        "severity": sev,
        "risk_level_id": risk_id,
        "risk_level": risk,
        "risk_score": f.score,
        "confidence_id": conf_id,
        "confidence": conf,
        "confidence_score": f.score,
        "status_id": 1,
        "status": "New",
        "is_alert": f.severity >= Severity::Medium,
        "message": f.title,
        "count": f.event_count,
        // The finding is created when its activity last extended it; both ends are kept.
        "time": ms(f.last_ns),
        "start_time": ms(f.first_ns),
        "end_time": ms(f.last_ns),
        "finding_info": finding_info,
        "metadata": metadata,
        "cloud": cloud(f, provider),
        "evidences": evidences,
        "observables": observables,
        "unmapped": unmapped,
    });
    // Rules about an account or a principal name no resource; an empty list says nothing.
    if !resources.is_empty() {
        ev["resources"] = Value::Array(resources);
    }
    ev
}

/// Every finding, one Detection Finding per line.
pub fn lines(out: &ScanOutput) -> serde_json::Result<String> {
    let mut s = String::new();
    for f in &out.findings {
        s.push_str(&serde_json::to_string(&detection_finding(f))?);
        s.push('\n');
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_catalogue_technique_and_tactic_has_a_name() {
        let cat = Catalogue::get();
        for r in &cat.rules {
            for m in &r.mitre {
                assert!(technique(m).is_some(), "{}: {m} has no name", r.id);
                if let Some((parent, _)) = m.split_once('.') {
                    assert!(technique(parent).is_some(), "{parent}");
                }
            }
        }
        for t in &cat.tactics {
            assert!(tactic(t).is_some(), "tactic {t}");
        }
        for (_, _, t) in TECHNIQUES {
            assert!(tactic(t).is_some(), "tactic {t}");
        }
    }

    #[test]
    fn severity_and_type_uid() {
        assert_eq!(severity(Severity::Critical), (5, "Critical"));
        assert_eq!(severity(Severity::Info), (1, "Informational"));
        assert_eq!(CLASS_UID * 100 + ACTIVITY_CREATE, 200401);
        assert_eq!(ms(1_767_571_200_123_456_789), 1_767_571_200_123);
    }
}
