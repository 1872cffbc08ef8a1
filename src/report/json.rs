//! `--format json` (one report document) and `--format jsonl` (the streaming contract:
//! findings, incidents, then the summary, one object per line).

use crate::catalogue::rule;
use std::collections::BTreeMap;

use serde_json::{json, Value};

use crate::catalogue::{Catalogue, Severity};
use crate::pipeline::ScanOutput;
use crate::summary::Summary;

/// JSON Lines: every finding, every incident, then the summary.
pub fn jsonl(out: &ScanOutput, summary: &Summary) -> serde_json::Result<String> {
    let mut s = String::new();
    for f in &out.findings {
        s.push_str(&serde_json::to_string(f)?);
        s.push('\n');
    }
    for i in &out.incidents {
        s.push_str(&serde_json::to_string(i)?);
        s.push('\n');
    }
    s.push_str(&serde_json::to_string(summary)?);
    s.push('\n');
    Ok(s)
}

/// The addresses behind findings of medium or above, most findings first, with where they
/// are when a GeoIP database was given.
pub fn anomalous_ips(out: &ScanOutput) -> Vec<Value> {
    // Addresses behind findings of medium or above.
    let mut ips: BTreeMap<&str, (usize, Severity, std::collections::BTreeSet<&str>)> =
        BTreeMap::new();
    // A crowd's addresses are a sample of thousands, not addresses to block one by one.
    for f in out.findings.iter().filter(|f| {
        f.severity >= Severity::Medium && f.principal != crate::detect::cardinality::GROUP_PRINCIPAL
    }) {
        for ip in &f.source_ips {
            let e = ips
                .entry(ip)
                .or_insert((0, Severity::Info, Default::default()));
            e.0 += 1;
            e.1 = e.1.max(f.severity);
            if e.2.len() < 10 {
                e.2.insert(&f.principal);
            }
        }
    }
    let mut anomalous_ips: Vec<Value> = ips
        .into_iter()
        .map(|(ip, (n, sev, ps))| {
            let mut v = json!({"ip": ip, "findings": n, "highest": sev, "principals": ps});
            // Where it is, when a GeoIP database was given.
            if let Some(p) = out.places.get(ip) {
                v["country"] = json!(p.country);
                v["asn"] = json!(p.asn);
                v["as_org"] = json!(p.as_org);
            }
            v
        })
        .collect();
    anomalous_ips.sort_by(|a, b| b["findings"].as_u64().cmp(&a["findings"].as_u64()));
    anomalous_ips
}

/// The whole report as one JSON document.
pub fn document(out: &ScanOutput, summary: &Summary) -> Value {
    let cat = Catalogue::get();
    let anomalous_ips = anomalous_ips(out);
    let single_event_families = [
        "tampering",
        "exposure",
        "exfiltration",
        "credentials",
        "reputation",
    ];
    let sensitive: Vec<Value> = out
        .findings
        .iter()
        .filter(|f| {
            cat.rule(&f.rule)
                .is_some_and(|r| single_event_families.contains(&r.family.as_str()))
        })
        .map(|f| {
            json!({
                "time": f.first_seen, "principal": f.principal, "rule": f.rule,
                "severity": f.severity, "title": f.title, "resources": f.resources,
                "finding": f.id,
            })
        })
        .collect();
    let errors: Vec<Value> = out
        .findings
        .iter()
        .filter(|f| f.rule == rule::BASELINE_ACCESS_DENIED_BURST || f.rule == rule::BASELINE_ERROR_RATE_JUMP)
        .map(|f| json!({"principal": f.principal, "rule": f.rule, "first_seen": f.first_seen, "title": f.title, "evidence": f.evidence}))
        .collect();
    let actions: Vec<Value> = out
        .incidents
        .iter()
        .take(10)
        .map(|i| json!({"incident": i.id, "severity": i.severity, "principal": i.principal, "next_steps": i.next_steps}))
        .collect();
    json!({
        "summary": summary,
        "incidents": out.incidents,
        "findings": out.findings,
        "top_principals": out.risks.iter().take(20).collect::<Vec<_>>(),
        "anomalous_ips": anomalous_ips,
        "sensitive_api_calls": sensitive,
        "error_rate_analysis": errors,
        "recommended_actions": actions,
    })
}
