//! Credentials that open storage without naming a person: Azure account keys and SAS,
//! GCS HMAC keys.

use super::{ends_with_ci, Input, RuleHit};
use crate::catalogue::rule;
use crate::event::Provider;

pub const RULE_IDS: &[&str] = &[
    rule::AZURE_STORAGE_KEYS_LISTED,
    rule::AZURE_STORAGE_KEY_REGENERATED,
    rule::GCP_GCS_HMAC_KEY_CREATED,
];

pub(super) fn check(i: &Input) -> Option<RuleHit> {
    match i.provider() {
        Provider::Azure => {
            let op = i.action;
            if [
                "/listkeys/action",
                "/listaccountsas/action",
                "/listservicesas/action",
            ]
            .iter()
            .any(|s| ends_with_ci(op, s))
            {
                Some(i.hit(
                    rule::AZURE_STORAGE_KEYS_LISTED,
                    format!(
                        "keys or SAS of storage account {} obtained ({})",
                        i.bucket(),
                        i.action
                    ),
                ))
            } else if ends_with_ci(op, "/regeneratekey/action") {
                Some(i.hit(
                    rule::AZURE_STORAGE_KEY_REGENERATED,
                    format!("a key of storage account {} regenerated", i.bucket()),
                ))
            } else {
                None
            }
        }
        Provider::Gcp if i.action.ends_with("storage.hmacKeys.create") => Some(i.hit(
            rule::GCP_GCS_HMAC_KEY_CREATED,
            "HMAC key created for the S3-compatible XML API",
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_util::rule_of;

    #[test]
    fn gcs_hmac_keys() {
        let rec = |method: &str| {
            format!(
                r#"{{"protoPayload":{{"@type":"type.googleapis.com/google.cloud.audit.AuditLog","authenticationInfo":{{"principalEmail":"dev@example.com"}},"methodName":"{method}","resourceName":"projects/p/hmacKeys/GOOG1EXAMPLE","serviceName":"storage.googleapis.com","status":{{}}}},"resource":{{"type":"gcs_bucket","labels":{{"bucket_name":"","project_id":"p"}}}},"logName":"projects/p/logs/cloudaudit.googleapis.com%2Factivity","timestamp":"2024-03-01T02:00:00Z"}}"#
            )
        };
        assert_eq!(
            rule_of(&rec("storage.hmacKeys.create")),
            Some("gcp.gcs.hmac_key_created")
        );
        assert_eq!(rule_of(&rec("storage.hmacKeys.list")), None);
    }

    #[test]
    fn azure_keys() {
        let rec = |op: &str| {
            format!(
                r#"{{"time":"2024-03-01T02:00:00Z","resourceId":"/SUBSCRIPTIONS/S/RESOURCEGROUPS/RG/PROVIDERS/MICROSOFT.STORAGE/STORAGEACCOUNTS/ACCT","operationName":"{op}","category":"Administrative","resultType":"Success"}}"#
            )
        };
        assert_eq!(
            rule_of(&rec("MICROSOFT.STORAGE/STORAGEACCOUNTS/LISTKEYS/ACTION")),
            Some("azure.storage.keys_listed")
        );
        assert_eq!(
            rule_of(&rec(
                "Microsoft.Storage/storageAccounts/regenerateKey/action"
            )),
            Some("azure.storage.key_regenerated")
        );
        assert_eq!(
            rule_of(&rec("Microsoft.Storage/storageAccounts/read")),
            None
        );
    }
}
