//! Exfiltration: data replicated to an account that is not ours.

use super::{arn_account, get_ci, one_or_many, path, text, Input, RuleHit};
use crate::event::Provider;

pub const RULE_IDS: &[&str] = &["aws.s3.replication_foreign_account"];

pub(super) fn check(i: &Input) -> Option<RuleHit> {
    if i.provider() != Provider::Aws || i.action != "PutBucketReplication" {
        return None;
    }
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
                    "aws.s3.replication_foreign_account",
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
                    "aws.s3.replication_foreign_account",
                    format!(
                        "bucket {} replicates to {bucket}; the destination account is not stated",
                        i.bucket()
                    ),
                );
                h.severity = h.severity.lower().lower();
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
}
