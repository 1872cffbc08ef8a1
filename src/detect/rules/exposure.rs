//! Exposure: data made public or granted to outsiders, and data read anonymously.

use crate::catalogue::rule;
use serde_json::Value;

use super::{
    arn_account, ends_with_ci, get_ci, one_or_many, parse_embedded, path, text, Input, RuleHit,
};
use crate::event::{ActionClass, PrincipalType, Provider};

pub const RULE_IDS: &[&str] = &[
    rule::AWS_S3_PUBLIC_POLICY,
    rule::AWS_S3_PUBLIC_ACL,
    rule::AWS_S3_PUBLIC_ACCESS_BLOCK_REMOVED,
    rule::AWS_S3_ANONYMOUS_READ,
    rule::GCP_GCS_PUBLIC_IAM_BINDING,
    rule::GCP_GCS_FOREIGN_MEMBER_BINDING,
    rule::AZURE_BLOB_PUBLIC_CONTAINER,
    rule::AZURE_BLOB_ANONYMOUS_READ,
    rule::AZURE_STORAGE_SECURITY_WEAKENED,
];

pub(super) fn check(i: &Input) -> Option<RuleHit> {
    let anonymous_read = i.ev.principal_type == PrincipalType::Anonymous
        && !i.ev.error
        && matches!(i.ev.action_class, ActionClass::Read | ActionClass::List);
    match i.provider() {
        Provider::Aws if anonymous_read => Some(i.hit(
            rule::AWS_S3_ANONYMOUS_READ,
            format!("unauthenticated {} on bucket {}", i.action, i.bucket()),
        )),
        Provider::Azure if anonymous_read => Some(i.hit(
            rule::AZURE_BLOB_ANONYMOUS_READ,
            format!("anonymous {} on container {}", i.action, i.bucket()),
        )),
        Provider::Aws => aws(i),
        Provider::Gcp => gcp(i),
        Provider::Azure => azure(i),
    }
}

/// Condition keys that confine a `"*"` principal to a network, organisation or account.
const CONFINING_CONDITIONS: &[&str] = &[
    "aws:sourcevpce",
    "aws:sourcevpc",
    "aws:sourceip",
    "aws:principalorgid",
    "aws:principalorgpaths",
    "aws:principalaccount",
    "aws:sourceaccount",
    "aws:sourcearn",
    "aws:sourceorgid",
    "aws:userid",
    "aws:principalarn",
    "aws:resourceaccount",
];

fn aws(i: &Input) -> Option<RuleHit> {
    if !i.is_s3() {
        return None;
    }
    match i.action {
        "PutBucketPolicy" => bucket_policy(i),
        "PutBucketAcl" | "PutObjectAcl" => acl(i),
        "DeletePublicAccessBlock"
        | "DeleteBucketPublicAccessBlock"
        | "DeleteAccountPublicAccessBlock" => Some(i.hit(
            rule::AWS_S3_PUBLIC_ACCESS_BLOCK_REMOVED,
            format!("Block Public Access removed ({})", scope(i)),
        )),
        "PutPublicAccessBlock" | "PutBucketPublicAccessBlock" | "PutAccountPublicAccessBlock" => {
            let cfg = get_ci(i.request()?, "PublicAccessBlockConfiguration")?;
            let off: Vec<&str> = [
                "BlockPublicAcls",
                "IgnorePublicAcls",
                "BlockPublicPolicy",
                "RestrictPublicBuckets",
            ]
            .into_iter()
            .filter(|k| text(get_ci(cfg, k)).is_some_and(|v| v.eq_ignore_ascii_case("false")))
            .collect();
            (!off.is_empty()).then(|| {
                let mut h = i.hit(
                    rule::AWS_S3_PUBLIC_ACCESS_BLOCK_REMOVED,
                    format!(
                        "Block Public Access weakened ({}): {} off",
                        scope(i),
                        off.join(", ")
                    ),
                );
                h.evidence.push(("settings_off", off.join(",")));
                h
            })
        }
        _ => None,
    }
}

fn scope(i: &Input) -> String {
    if i.bucket().is_empty() {
        format!("account {}", i.account())
    } else {
        format!("bucket {}", i.bucket())
    }
}

fn bucket_policy(i: &Input) -> Option<RuleHit> {
    let req = i.request()?;
    let policy = get_ci(req, "bucketPolicy")
        .and_then(parse_embedded)
        .or_else(|| {
            get_ci(req, "policy")
                .and_then(|p| text(Some(p)))
                .and_then(|s| serde_json::from_str(s).ok())
        })?;
    let statements = get_ci(&policy, "Statement")?;
    let mut public = None;
    let mut foreign = None;
    for st in one_or_many(statements) {
        if !text(get_ci(st, "Effect")).is_some_and(|e| e.eq_ignore_ascii_case("Allow")) {
            continue;
        }
        let Some(principal) = get_ci(st, "Principal") else {
            continue;
        };
        let aws_principals: Vec<&str> = match principal {
            Value::String(s) => vec![s.as_str()],
            Value::Object(_) => get_ci(principal, "AWS")
                .map(|p| {
                    one_or_many(p)
                        .into_iter()
                        .filter_map(Value::as_str)
                        .collect()
                })
                .unwrap_or_default(),
            _ => Vec::new(),
        };
        let confined = get_ci(st, "Condition").is_some_and(|c| {
            let raw = c.to_string().to_ascii_lowercase();
            CONFINING_CONDITIONS.iter().any(|k| raw.contains(k))
        });
        for p in aws_principals {
            if p == "*" {
                if !confined && public.is_none() {
                    public = Some(st);
                }
            } else {
                let acct = arn_account(p).or_else(|| {
                    (p.len() == 12 && p.bytes().all(|c| c.is_ascii_digit())).then_some(p)
                });
                if let Some(a) = acct {
                    if !i.is_known_account(a) && foreign.is_none() {
                        foreign = Some(a.to_string());
                    }
                }
            }
        }
    }
    if let Some(st) = public {
        let actions = get_ci(st, "Action")
            .map(|a| a.to_string())
            .unwrap_or_default();
        let mut h = i.hit(
            rule::AWS_S3_PUBLIC_POLICY,
            format!(
                "bucket policy of {} allows anyone (Principal \"*\")",
                i.bucket()
            ),
        );
        h.evidence
            .push(("actions", crate::text::bounded(&actions, 200)));
        return Some(h);
    }
    foreign.map(|a| {
        let mut h = i.hit(
            rule::AWS_S3_PUBLIC_POLICY,
            format!(
                "bucket policy of {} grants access to account {a}, not a known account",
                i.bucket()
            ),
        );
        h.severity = crate::catalogue::Catalogue::get().level(
            h.rule,
            crate::catalogue::Case::NotPublic,
            h.severity,
        );
        h.evidence.push(("grantee_account", a));
        h
    })
}

const PUBLIC_GROUPS: [&str; 2] = ["AllUsers", "AuthenticatedUsers"];

fn acl(i: &Input) -> Option<RuleHit> {
    let req = i.request()?;
    if let Some(canned) = text(get_ci(req, "x-amz-acl")) {
        if matches!(
            canned,
            "public-read" | "public-read-write" | "authenticated-read"
        ) {
            return Some(acl_hit(i, canned));
        }
    }
    for h in [
        "x-amz-grant-read",
        "x-amz-grant-write",
        "x-amz-grant-read-acp",
        "x-amz-grant-write-acp",
        "x-amz-grant-full-control",
    ] {
        if let Some(v) = text(get_ci(req, h)) {
            if PUBLIC_GROUPS.iter().any(|g| v.contains(g)) {
                return Some(acl_hit(i, &format!("{h}: {v}")));
            }
        }
    }
    let grants = path(req, &["AccessControlPolicy", "AccessControlList"])?;
    let grants = get_ci(grants, "Grant").or_else(|| get_ci(grants, "Grants"))?;
    for g in one_or_many(grants) {
        let uri = path(g, &["Grantee", "URI"])
            .and_then(Value::as_str)
            .unwrap_or("");
        if PUBLIC_GROUPS.iter().any(|p| uri.ends_with(p)) {
            let perm = text(get_ci(g, "Permission")).unwrap_or("?");
            return Some(acl_hit(i, &format!("{perm} to {uri}")));
        }
    }
    None
}

fn acl_hit(i: &Input, what: &str) -> RuleHit {
    let mut h = i.hit(
        rule::AWS_S3_PUBLIC_ACL,
        format!("ACL on {} made public ({what})", scope(i)),
    );
    h.evidence.push(("grant", crate::text::bounded(what, 200)));
    h
}

fn gcp(i: &Input) -> Option<RuleHit> {
    let m = i.action.strip_prefix("google.").unwrap_or(i.action);
    if !(m == "storage.setIamPermissions"
        || m.ends_with("setIamPolicy")
        || m.ends_with("updateAcl")
        || m.ends_with(".update")
        || m.ends_with(".patch"))
    {
        return None;
    }
    let data = i.request()?;
    let deltas = path(data, &["policyDelta", "bindingDeltas"])?;
    let mut foreign = None;
    for d in one_or_many(deltas) {
        if !text(get_ci(d, "action")).is_some_and(|a| a.eq_ignore_ascii_case("ADD")) {
            continue;
        }
        let member = text(get_ci(d, "member")).unwrap_or("");
        let role = text(get_ci(d, "role")).unwrap_or("");
        if member == "allUsers" || member == "allAuthenticatedUsers" {
            let mut h = i.hit(
                rule::GCP_GCS_PUBLIC_IAM_BINDING,
                format!("bucket {} granted {role} to {member}", i.bucket()),
            );
            h.evidence.push(("member", member.to_string()));
            h.evidence.push(("role", role.to_string()));
            return Some(h);
        }
        let domain = member
            .split_once(':')
            .map(|(_, rest)| rest.rsplit('@').next().unwrap_or(rest))
            .unwrap_or("");
        let known = &i.cfg.known_domains;
        let is_person = member.starts_with("user:")
            || member.starts_with("group:")
            || member.starts_with("domain:");
        if is_person
            && !known.is_empty()
            && !known.iter().any(|k| domain.eq_ignore_ascii_case(k))
            && foreign.is_none()
        {
            foreign = Some((member.to_string(), role.to_string()));
        }
    }
    foreign.map(|(member, role)| {
        let mut h = i.hit(
            rule::GCP_GCS_FOREIGN_MEMBER_BINDING,
            format!(
                "bucket {} granted {role} to {member}, outside the known domains",
                i.bucket()
            ),
        );
        h.evidence.push(("member", member));
        h
    })
}

fn azure(i: &Input) -> Option<RuleHit> {
    let op = i.action;
    let container_write = ends_with_ci(op, "/blobservices/containers/write");
    let account_write = op.eq_ignore_ascii_case("microsoft.storage/storageaccounts/write");
    if !container_write && !account_write {
        return None;
    }
    let body = get_ci(i.request()?, "requestbody").and_then(parse_embedded)?;
    let p = get_ci(&body, "properties").unwrap_or(&body);
    if container_write {
        let access = text(get_ci(p, "publicAccess")).unwrap_or("None");
        if access.eq_ignore_ascii_case("Blob") || access.eq_ignore_ascii_case("Container") {
            let mut h = i.hit(
                rule::AZURE_BLOB_PUBLIC_CONTAINER,
                format!(
                    "container public access set to {access} on account {}",
                    i.bucket()
                ),
            );
            h.evidence.push(("public_access", access.to_string()));
            return Some(h);
        }
        return None;
    }
    if get_ci(p, "allowBlobPublicAccess").and_then(Value::as_bool) == Some(true) {
        let mut h = i.hit(
            rule::AZURE_BLOB_PUBLIC_CONTAINER,
            format!(
                "storage account {} now allows public blob access",
                i.bucket()
            ),
        );
        h.severity = crate::catalogue::Catalogue::get().level(
            h.rule,
            crate::catalogue::Case::AccountWide,
            h.severity,
        );
        return Some(h);
    }
    account_weakened(i, p)
}

/// A storage account write that opens its network to everyone, allows shared-key (account
/// key and SAS) authorisation, plain HTTP or old TLS: each widens who can reach the data.
fn account_weakened(i: &Input, p: &Value) -> Option<RuleHit> {
    let is = |v: Option<&Value>, want: &str| {
        v.and_then(|v| {
            v.as_str()
                .map(|s| s.eq_ignore_ascii_case(want))
                .or_else(|| v.as_bool().map(|b| b.to_string() == want))
        })
        .unwrap_or(false)
    };
    let mut what: Vec<&str> = Vec::new();
    if is(path(p, &["networkAcls", "defaultAction"]), "Allow") {
        what.push("network access from all networks (firewall default Allow)");
    }
    if is(get_ci(p, "publicNetworkAccess"), "Enabled") {
        what.push("public network access enabled");
    }
    if is(get_ci(p, "allowSharedKeyAccess"), "true") {
        what.push("shared key (account key and SAS) authorisation allowed");
    }
    if is(get_ci(p, "supportsHttpsTrafficOnly"), "false") {
        what.push("plain HTTP allowed");
    }
    if is(get_ci(p, "minimumTlsVersion"), "TLS1_0") || is(get_ci(p, "minimumTlsVersion"), "TLS1_1")
    {
        what.push("TLS below 1.2 allowed");
    }
    if what.is_empty() {
        return None;
    }
    let mut h = i.hit(
        rule::AZURE_STORAGE_SECURITY_WEAKENED,
        format!("storage account {}: {}", i.bucket(), what.join("; ")),
    );
    h.evidence.push(("changes", what.join("; ")));
    Some(h)
}

#[cfg(test)]
mod tests {
    use super::super::test_util::{ct, rule_of, rule_with};
    use super::super::{RuleSet, RulesConfig};

    #[test]
    fn bucket_policies() {
        // Panther's sample: Principal {"AWS":"*"} is public even for one action.
        let public = ct(
            "s3.amazonaws.com",
            "PutBucketPolicy",
            r#"{"bucketName":"example-bucket","bucketPolicy":{"Statement":[{"Action":"s3:GetBucketAcl","Effect":"Allow","Principal":{"AWS":"*"},"Resource":"arn:aws:s3:::example-bucket","Sid":"Public Access"}],"Version":"2012-10-17"},"host":["s3.us-west-2.amazonaws.com"],"policy":[""]}"#,
        );
        assert_eq!(rule_of(&public), Some("aws.s3.public_policy"));
        // The own account only: not public.
        let own = public.replace(
            r#"{"AWS":"*"}"#,
            r#"{"AWS":"arn:aws:iam::111122223333:root"}"#,
        );
        assert_eq!(rule_of(&own), None);
        // "*" confined to a VPC endpoint: not public.
        let vpce = public.replace(
            r#""Sid":"Public Access""#,
            r#""Sid":"x","Condition":{"StringEquals":{"aws:SourceVpce":"vpce-1"}}"#,
        );
        assert_eq!(rule_of(&vpce), None);
        // Another account: reported unless it is a known one.
        let other = public.replace(
            r#"{"AWS":"*"}"#,
            r#"{"AWS":["arn:aws:iam::444455556666:root"]}"#,
        );
        assert_eq!(rule_of(&other), Some("aws.s3.public_policy"));
        let known = RuleSet::new(RulesConfig {
            known_accounts: vec!["444455556666".into()],
            ..Default::default()
        });
        assert_eq!(rule_with(&other, &known), None);
        // Deny statements never expose.
        let deny = public.replace(r#""Effect":"Allow""#, r#""Effect":"Deny""#);
        assert_eq!(rule_of(&deny), None);
    }

    #[test]
    fn acls_and_public_access_block() {
        let private = ct(
            "s3.amazonaws.com",
            "PutBucketAcl",
            r#"{"host":["bucket.s3.us-west-2.amazonaws.com"],"bucketName":"bucket","acl":[""],"x-amz-acl":["private"]}"#,
        );
        assert_eq!(rule_of(&private), None);
        assert_eq!(
            rule_of(&private.replace("[\"private\"]", "[\"public-read\"]")),
            Some("aws.s3.public_acl")
        );
        let grants = ct(
            "s3.amazonaws.com",
            "PutBucketAcl",
            r#"{"bucketName":"b","AccessControlPolicy":{"AccessControlList":{"Grant":[{"Grantee":{"xsi:type":"Group","URI":"http://acs.amazonaws.com/groups/global/AllUsers"},"Permission":"READ"}]},"Owner":{"ID":"x"}}}"#,
        );
        assert_eq!(rule_of(&grants), Some("aws.s3.public_acl"));
        assert_eq!(
            rule_of(&ct(
                "s3.amazonaws.com",
                "DeleteBucketPublicAccessBlock",
                r#"{"bucketName":"b","publicAccessBlock":""}"#
            )),
            Some("aws.s3.public_access_block_removed")
        );
        let strict = ct(
            "s3.amazonaws.com",
            "PutPublicAccessBlock",
            r#"{"bucketName":"b","PublicAccessBlockConfiguration":{"BlockPublicAcls":true,"IgnorePublicAcls":true,"BlockPublicPolicy":true,"RestrictPublicBuckets":true}}"#,
        );
        assert_eq!(rule_of(&strict), None);
        assert_eq!(
            rule_of(&strict.replace("\"BlockPublicPolicy\":true", "\"BlockPublicPolicy\":false")),
            Some("aws.s3.public_access_block_removed")
        );
    }

    #[test]
    fn anonymous_reads() {
        let anon = r#"79a59df9 bkt [06/Feb/2019:00:00:38 +0000] 192.0.2.3 - 3E57427F3EXAMPLE REST.GET.OBJECT data.csv "GET /bkt/data.csv HTTP/1.1" 200 - 113 113 7 - "-" "curl/8.0" - x= - ECDHE-RSA-AES128-GCM-SHA256 - bkt.s3.us-west-1.amazonaws.com TLSv1.2 - -"#;
        assert_eq!(rule_of(anon), Some("aws.s3.anonymous_read"));
        let denied = anon.replace(" 200 - 113 ", " 403 AccessDenied 113 ");
        assert_eq!(rule_of(&denied), None);
        let signed = anon.replace(" 192.0.2.3 - ", " 192.0.2.3 arn:aws:iam::1:user/a ");
        assert_eq!(rule_of(&signed), None);
    }

    #[test]
    fn gcs_all_users() {
        let rec = r#"{"protoPayload":{"authenticationInfo":{"principalEmail":"user@runpanther.io"},"methodName":"storage.setIamPermissions","resourceName":"projects/_/buckets/b","serviceName":"storage.googleapis.com","serviceData":{"@type":"type.googleapis.com/google.iam.v1.logging.AuditData","policyDelta":{"bindingDeltas":[{"action":"ADD","member":"allUsers","role":"roles/storage.objectViewer"}]}},"status":{}},"resource":{"type":"gcs_bucket","labels":{"bucket_name":"b","project_id":"p"}},"timestamp":"2024-03-01T02:00:00Z"}"#;
        assert_eq!(rule_of(rec), Some("gcp.gcs.public_iam_binding"));
        assert_eq!(rule_of(&rec.replace("\"ADD\"", "\"REMOVE\"")), None);
        let user = rec.replace("allUsers", "user:eve@evil.example");
        assert_eq!(
            rule_of(&user),
            None,
            "no known domains configured: not judged"
        );
        let set = RuleSet::new(RulesConfig {
            known_domains: vec!["runpanther.io".into()],
            ..Default::default()
        });
        assert_eq!(
            rule_with(&user, &set),
            Some("gcp.gcs.foreign_member_binding")
        );
        assert_eq!(
            rule_with(&rec.replace("allUsers", "user:bob@runpanther.io"), &set),
            None
        );
    }

    #[test]
    fn azure_anonymous_reads() {
        let rec = |auth: &str, status: &str, code: &str| {
            format!(
                r#"{{"time":"2024-03-01T02:00:00.1234567Z","resourceId":"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/acct/blobServices/default","category":"StorageRead","operationName":"GetBlob","operationVersion":"2021-08-06","schemaVersion":"1.0","statusCode":{code},"statusText":"{status}","durationMs":5,"callerIpAddress":"198.51.100.4:50123","correlationId":"c","identity":{{"type":"{auth}"}},"location":"eastus","protocol":"HTTPS","uri":"https://acct.blob.core.windows.net/public/price-list.pdf","properties":{{"accountName":"acct","userAgentHeader":"curl/8.4.0","serviceType":"blob","objectKey":"/acct/public/price-list.pdf","responseBodySize":52311}}}}"#
            )
        };
        assert_eq!(
            rule_of(&rec("Anonymous", "Success", "200")),
            Some("azure.blob.anonymous_read")
        );
        assert_eq!(
            rule_of(&rec("Anonymous", "AnonymousAuthorizationError", "404")),
            None,
            "a refused anonymous request read nothing"
        );
        assert_eq!(rule_of(&rec("OAuth", "Success", "200")), None);
    }

    #[test]
    fn azure_public_container() {
        let rec = |access: &str| {
            format!(
                r#"{{"time":"2024-03-01T02:00:00Z","resourceId":"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/acct/blobServices/default/containers/c","operationName":"Microsoft.Storage/storageAccounts/blobServices/containers/write","category":"Administrative","resultType":"Success","properties":{{"requestbody":"{{\"properties\":{{\"publicAccess\":\"{access}\"}}}}"}}}}"#
            )
        };
        assert_eq!(
            rule_of(&rec("Container")),
            Some("azure.blob.public_container")
        );
        assert_eq!(rule_of(&rec("None")), None);
    }

    /// Line `n` (from 1) of Panther's Azure Activity test records in the corpus.
    fn panther_activity(n: usize) -> String {
        let text = include_str!(
            "../../../tests/corpus/azure_blob_logs/panther-activity-storage-accounts.jsonl"
        );
        text.lines().nth(n - 1).unwrap().to_string()
    }

    #[test]
    fn azure_storage_accounts_weakened() {
        // Firewall default Allow (three shapes), shared key access on, HTTP allowed.
        for n in [23, 24, 25, 15, 16, 45] {
            assert_eq!(
                rule_of(&panther_activity(n)),
                Some("azure.storage.security_weakened"),
                "line {n}"
            );
        }
        // HTTPS only switched on, public access off, or no body: nothing weakened.
        for n in [46, 29, 14, 10] {
            assert_eq!(rule_of(&panther_activity(n)), None, "line {n}");
        }
        // Public blob access is its own, stronger finding.
        assert_eq!(
            rule_of(&panther_activity(28)),
            Some("azure.blob.public_container")
        );
    }
}
