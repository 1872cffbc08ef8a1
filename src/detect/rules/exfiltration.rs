//! Exfiltration: data replicated or copied to an account that is not ours.

use crate::catalogue::rule;
use serde_json::Value;

use super::{arn_account, get_ci, one_or_many, path, text, Input, RuleHit};
use crate::event::Provider;

pub const RULE_IDS: &[&str] = &[
    rule::AWS_S3_REPLICATION_FOREIGN_ACCOUNT,
    rule::AWS_S3_COPY_TO_EXTERNAL_ACCOUNT,
];

pub(super) fn check(i: &Input) -> Option<RuleHit> {
    if i.provider() != Provider::Aws || !i.is_s3() {
        return None;
    }
    match i.action {
        "PutBucketReplication" => replication(i),
        "CopyObject" | "UploadPartCopy" => copy(i),
        _ => None,
    }
}

/// A server-side copy whose destination bucket belongs to an account that is not ours.
///
/// CloudTrail names the destination bucket's owner in `resources[].accountId`; the copy source
/// is `x-amz-copy-source` (`bucket/key`, optionally with a leading `/` and `?versionId=`).
/// Without an owner in the record nothing decides, so nothing is reported.
fn copy(i: &Input) -> Option<RuleHit> {
    let dest = i.bucket();
    let source = text(get_ci(i.request()?, "x-amz-copy-source"))
        .map(|s| s.trim_start_matches('/'))
        .and_then(|s| s.split(['/', '?']).next())
        .filter(|s| !s.is_empty())?;
    let resources: Value = serde_json::from_str(i.resources_json()?).ok()?;
    let owner_of = |bucket: &str| {
        one_or_many(&resources).into_iter().find_map(|r| {
            let arn = text(get_ci(r, "ARN"))?;
            let is_bucket = text(get_ci(r, "type")) == Some("AWS::S3::Bucket");
            (is_bucket && arn.strip_prefix("arn:aws:s3:::") == Some(bucket))
                .then(|| text(get_ci(r, "accountId")))
                .flatten()
        })
    };
    let dest_owner = owner_of(dest)?;
    if i.is_known_account(dest_owner) {
        return None;
    }
    // A copy between two buckets of the same foreign account is that account's business.
    if source != dest && owner_of(source) == Some(dest_owner) {
        return None;
    }
    let mut h = i.hit(
        rule::AWS_S3_COPY_TO_EXTERNAL_ACCOUNT,
        format!("object copied from bucket {source} to bucket {dest} of account {dest_owner}, not a known account"),
    );
    h.evidence.push(("source_bucket", source.to_string()));
    h.evidence.push(("destination_bucket", dest.to_string()));
    h.evidence
        .push(("destination_account", dest_owner.to_string()));
    Some(h)
}

fn replication(i: &Input) -> Option<RuleHit> {
    let cfg = get_ci(i.request()?, "ReplicationConfiguration")?;
    let rules = get_ci(cfg, "Rule").or_else(|| get_ci(cfg, "Rules"))?;
    for r in one_or_many(rules) {
        let dest = get_ci(r, "Destination")?;
        let bucket = text(get_ci(dest, "Bucket")).unwrap_or("?");
        // The destination account is explicit when ownership is overridden; a bucket ARN
        // carries no account, and the role ARN names the source account.
        let account = text(get_ci(dest, "Account"))
            .or_else(|| {
                path(dest, &["AccessControlTranslation", "Owner"])
                    .and_then(|_| text(get_ci(dest, "Account")))
            })
            .or_else(|| arn_account(bucket));
        match account {
            Some(a) if !i.is_known_account(a) => {
                let mut h = i.hit(
                    rule::AWS_S3_REPLICATION_FOREIGN_ACCOUNT,
                    format!(
                        "bucket {} replicates to {bucket} in account {a}, not a known account",
                        i.bucket()
                    ),
                );
                h.evidence.push(("destination_bucket", bucket.to_string()));
                h.evidence.push(("destination_account", a.to_string()));
                h.resources.push(bucket.to_string());
                return Some(h);
            }
            Some(_) => {}
            None => {
                let mut h = i.hit(
                    rule::AWS_S3_REPLICATION_FOREIGN_ACCOUNT,
                    format!(
                        "bucket {} replicates to {bucket}; the destination account is not stated",
                        i.bucket()
                    ),
                );
                h.severity = crate::catalogue::Catalogue::get().level(
                    h.rule,
                    crate::catalogue::Case::DestinationUnstated,
                    h.severity,
                );
                h.evidence.push(("destination_bucket", bucket.to_string()));
                return Some(h);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::super::test_util::{ct, rule_of, rule_with};
    use super::super::{RuleSet, RulesConfig};

    #[test]
    fn replication_destinations() {
        let foreign = ct(
            "s3.amazonaws.com",
            "PutBucketReplication",
            r#"{"bucketName":"prod-backups","ReplicationConfiguration":{"Role":"arn:aws:iam::111122223333:role/r","Rule":{"Status":"Enabled","Destination":{"Bucket":"arn:aws:s3:::drop-zone","Account":"999900001111"}}}}"#,
        );
        assert_eq!(
            rule_of(&foreign),
            Some("aws.s3.replication_foreign_account")
        );
        let own = foreign.replace("999900001111", "111122223333");
        assert_eq!(rule_of(&own), None);
        let known = RuleSet::new(RulesConfig {
            known_accounts: vec!["999900001111".into()],
            ..Default::default()
        });
        assert_eq!(rule_with(&foreign, &known), None);
        let unstated = ct(
            "s3.amazonaws.com",
            "PutBucketReplication",
            r#"{"bucketName":"b","ReplicationConfiguration":{"Rule":[{"Status":"Enabled","Destination":{"Bucket":"arn:aws:s3:::dr-copy"}}]}}"#,
        );
        let h = super::super::test_util::hits(&unstated, &RuleSet::default())
            .remove(0)
            .1
            .unwrap();
        assert_eq!(h.severity, crate::catalogue::Severity::Medium);
    }

    /// A CopyObject data event as CloudTrail writes it, with the destination bucket's owner.
    fn copy_event(dest_owner: &str) -> String {
        ct(
            "s3.amazonaws.com",
            "CopyObject",
            r#"{"bucketName":"drop-zone","Host":"drop-zone.s3.us-east-1.amazonaws.com","key":"customers.csv","x-amz-copy-source":"prod-data/exports/customers.csv"}"#,
        )
        .replace(
            r#""readOnly":false"#,
            &format!(
                r#""readOnly":false,"resources":[{{"type":"AWS::S3::Object","ARN":"arn:aws:s3:::prod-data/exports/customers.csv"}},{{"accountId":"111122223333","type":"AWS::S3::Bucket","ARN":"arn:aws:s3:::prod-data"}},{{"type":"AWS::S3::Object","ARN":"arn:aws:s3:::drop-zone/customers.csv"}},{{"accountId":"{dest_owner}","type":"AWS::S3::Bucket","ARN":"arn:aws:s3:::drop-zone"}}]"#
            ),
        )
        .replace(r#""managementEvent":true"#, r#""managementEvent":false"#)
    }

    #[test]
    fn copies_to_external_accounts() {
        let foreign = copy_event("444455556666");
        assert_eq!(rule_of(&foreign), Some("aws.s3.copy_to_external_account"));
        let h = super::super::test_util::hits(&foreign, &RuleSet::default())
            .remove(0)
            .1
            .unwrap();
        assert!(h
            .evidence
            .contains(&("destination_account", "444455556666".to_string())));
        assert!(h
            .evidence
            .contains(&("source_bucket", "prod-data".to_string())));
        // Our own bucket, or a partner's bucket we declared, is no exfiltration.
        assert_eq!(rule_of(&copy_event("111122223333")), None);
        let known = RuleSet::new(RulesConfig {
            known_accounts: vec!["444455556666".into()],
            ..Default::default()
        });
        assert_eq!(rule_with(&foreign, &known), None);
        // Without the owner in the record nothing decides.
        let unowned = foreign.replace(r#""accountId":"444455556666","#, "");
        assert_eq!(rule_of(&unowned), None);
        // A leading slash and a version id in the copy source are the same source bucket.
        let versioned = foreign.replace(
            "\"prod-data/exports/customers.csv\"}",
            "\"/prod-data/exports/customers.csv?versionId=3HL4kqtJ\"}",
        );
        assert!(versioned.contains("versionId"));
        assert_eq!(rule_of(&versioned), Some("aws.s3.copy_to_external_account"));
    }
}
