//! An incident's next steps: containment for the principal's cloud and kind, then the rules'.

use std::collections::BTreeSet;

use crate::catalogue::{Catalogue, Severity};
use crate::detect::finding::Finding;

/// What to do, first to last: contain the principal (the command for its cloud and kind), then
/// each rule's own steps.
pub(super) fn next_steps(
    members: &[&Finding],
    provider: &str,
    lead: &str,
    cat: &Catalogue,
) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let contain = match (provider, lead) {
        (_, crate::detect::cardinality::GROUP_PRINCIPAL) => "Decide whether the crowd is expected: compare the top buckets with what is meant to be public or shared, and the sample principals with how your identities, sessions and tokens are issued.".to_string(),
        (_, "anonymous") => "Block public access to the resource now (bucket policy / ACL / container access level), then find out who opened it.".to_string(),
        ("aws", p) if p.contains(":role/") => format!("Revoke the role's active sessions (IAM console: Revoke active sessions, or attach an AWSRevokeOlderSessions deny policy) for {p}, and find who assumed it."),
        ("aws", p) if p.contains(":user/") => {
            let user = p.rsplit('/').next().unwrap_or(p);
            format!("Deactivate the user's access keys: aws iam list-access-keys --user-name {user}, then aws iam update-access-key --user-name {user} --access-key-id KEY --status Inactive")
        }
        ("aws", p) if p.ends_with(":root") => "Secure the root user: rotate its password, check its MFA device, delete any root access keys.".to_string(),
        ("gcp", p) if p.ends_with(".gserviceaccount.com") => format!("Disable the service account's keys: gcloud iam service-accounts keys list --iam-account {p}, then gcloud iam service-accounts keys disable KEY_ID --iam-account {p}"),
        ("gcp", p) => format!("Revoke the user's sessions and OAuth tokens in the Google Admin console for {p}."),
        ("azure", p) if p.contains(':') => "Rotate the storage account key the SAS or key use depends on (az storage account keys renew), or revoke user-delegation keys.".to_string(),
        ("azure", p) => format!("Revoke the identity's sessions: az ad user revoke-sign-in-sessions --id {p} (or reset the service principal's credentials)."),
        _ => "Contain the principal's credentials.".to_string(),
    };
    out.push(contain);
    let mut seen = BTreeSet::new();
    for f in members.iter().filter(|f| f.severity >= Severity::Medium) {
        if !seen.insert(f.rule.clone()) {
            continue;
        }
        if let Some(meta) = cat.rule(&f.rule) {
            for s in &meta.next_steps {
                let bucket = f
                    .resources
                    .first()
                    .map(|r| r.split('/').next().unwrap_or(r))
                    .unwrap_or("BUCKET");
                let step = s.replace("BUCKET", bucket);
                if !out.contains(&step) && out.len() < 10 {
                    out.push(step);
                }
            }
        }
    }
    out.push(
        "Run the queries below against your own log store for the full picture of the window."
            .to_string(),
    );
    out
}
