//! The incident's narrative: one sentence a responder reads first.

use std::collections::BTreeSet;

use crate::catalogue::Severity;
use crate::detect::finding::Finding;
use crate::time::rfc3339;

/// The incident as a sentence: when it started, who, from where, and what happened in order.
pub(super) fn narrative(
    members: &[&Finding],
    lead: &str,
    tactics: &[String],
    reasons: &[String],
) -> String {
    let first = members.iter().map(|f| f.first_ns).min().unwrap_or(0);
    let when = rfc3339(first);
    let mut s = format!(
        "Starting {} UTC on {}, {}",
        crate::text::slice(&when, 11, 16),
        crate::text::prefix(&when, 10),
        crate::text::bounded(lead, 120)
    );
    let ips: BTreeSet<&String> = members.iter().flat_map(|f| f.source_ips.iter()).collect();
    if !ips.is_empty() {
        let list: Vec<&str> = ips.iter().take(3).map(|s| s.as_str()).collect();
        s.push_str(&format!(" (from {})", list.join(", ")));
    }
    let steps: Vec<String> = members
        .iter()
        .filter(|f| f.severity >= Severity::Medium)
        .take(6)
        .map(|f| {
            let t = rfc3339(f.first_ns);
            format!(
                "{} at {} [{}]",
                crate::text::bounded(&f.title, 160),
                crate::text::slice(&t, 11, 16),
                f.tactic
            )
        })
        .collect();
    if steps.is_empty() {
        s.push_str(" was active in unusual ways.");
    } else {
        s.push_str(": ");
        s.push_str(&steps.join("; then "));
        s.push('.');
    }
    if tactics.len() > 1 {
        s.push_str(&format!(
            " The activity runs through {}.",
            tactics.join(" → ")
        ));
    }
    if !reasons.is_empty() {
        s.push_str(&format!(" Severity raised for {}.", reasons.join(" and ")));
    }
    let more = members.len().saturating_sub(steps.len());
    if more > 0 {
        s.push_str(&format!(
            " {more} related lower-severity finding(s) are attached."
        ));
    }
    s
}
