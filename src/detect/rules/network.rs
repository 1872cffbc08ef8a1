//! The path a request took: plain HTTP to storage, calls seen at a VPC endpoint (CloudTrail
//! network activity events), requests refused by a VPC Service Controls perimeter.

use super::{arn_account, Input, RuleHit};
use crate::catalogue::{rule, Case, Catalogue};
use crate::event::{PrincipalType, Provider, Transport};

pub const RULE_IDS: &[&str] = &[
    rule::AWS_S3_PLAIN_HTTP,
    rule::AZURE_BLOB_PLAIN_HTTP,
    rule::AWS_VPCE_FOREIGN_PRINCIPAL,
    rule::AWS_VPCE_ACCESS_DENIED,
    rule::GCP_VPCSC_DENIED,
];

pub(super) fn check(i: &Input) -> Option<RuleHit> {
    if i.ev.network_activity {
        return vpc_endpoint(i);
    }
    if i.ev.error && i.provider() == Provider::Gcp {
        if let Some(h) = service_perimeter(i) {
            return Some(h);
        }
    }
    plain_http(i)
}

/// A request to storage in the clear: its signature, its data and (for SAS and presigned
/// URLs) its credentials crossed the network unencrypted. The logs say so per request (S3
/// server access logs: no cipher suite and no TLS version; Azure: an `http://` URL); the
/// buckets' and accounts' settings decide whether it is accepted at all.
pub(super) fn plain_http(i: &Input) -> Option<RuleHit> {
    if i.ev.transport != Transport::Plain {
        return None;
    }
    let id = match i.provider() {
        Provider::Aws => rule::AWS_S3_PLAIN_HTTP,
        Provider::Azure => rule::AZURE_BLOB_PLAIN_HTTP,
        Provider::Gcp => return None,
    };
    let mut h = i.hit(
        id,
        format!(
            "{} on {} over plain HTTP (no TLS)",
            crate::text::bounded(i.action, 60),
            i.bucket()
        ),
    );
    h.evidence.push(("transport", "plain HTTP".to_string()));
    Some(h)
}

/// A call as a VPC endpoint saw it. The endpoint's owner is the record's recipient account;
/// the caller's account is in its identity. Credentials of another account used from inside
/// our network are the classic way data leaves it (to the attacker's own bucket), and a call
/// the endpoint policy refused is that attempt stopped.
fn vpc_endpoint(i: &Input) -> Option<RuleHit> {
    if matches!(
        i.ev.principal_type,
        PrincipalType::Anonymous | PrincipalType::Service
    ) {
        return None;
    }
    let endpoint = i.b.str(i.ev.vpc_endpoint);
    let endpoint = if endpoint.is_empty() { "?" } else { endpoint };
    let service = i.source.split('.').next().unwrap_or(i.source);
    let principal = i.b.str(i.ev.principal);
    let caller = arn_account(principal).or_else(|| {
        principal
            .strip_prefix("aws-account:")
            .filter(|a| a.len() == 12 && a.bytes().all(|c| c.is_ascii_digit()))
    });
    let evidence = |h: &mut RuleHit| {
        h.evidence.push(("vpc_endpoint", endpoint.to_string()));
        if let Some(c) = caller {
            h.evidence.push(("caller_account", c.to_string()));
        }
        h.evidence
            .push(("endpoint_account", i.account().to_string()));
    };
    let status = i.b.str(i.ev.status);
    if i.ev.error && status.eq_ignore_ascii_case("VpceAccessDenied") {
        let mut h = i.hit(
            rule::AWS_VPCE_ACCESS_DENIED,
            format!(
                "{service} {} through VPC endpoint {endpoint} refused by the endpoint's policy{}",
                crate::text::bounded(i.action, 60),
                caller
                    .filter(|c| !i.is_known_account(c))
                    .map(|c| format!(" (credentials of account {c})"))
                    .unwrap_or_default()
            ),
        );
        evidence(&mut h);
        return Some(h);
    }
    let foreign = caller.filter(|c| !i.is_known_account(c))?;
    let mut h = i.hit(
        rule::AWS_VPCE_FOREIGN_PRINCIPAL,
        format!(
            "{service} {} through VPC endpoint {endpoint} with credentials of account {foreign}, not a known account",
            crate::text::bounded(i.action, 60)
        ),
    );
    // Without the organisation's accounts (known.accounts), a sister account looks the same.
    if i.cfg.known_accounts.is_empty() {
        h.severity = Catalogue::get().level(h.rule, Case::OrganisationUnknown, h.severity);
    }
    evidence(&mut h);
    Some(h)
}

/// A request refused by a VPC Service Controls perimeter: Cloud Audit Logs write it as a
/// Policy Denied entry whose metadata is `VpcServiceControlAuditMetadata` (with the
/// `violationReason`). Reading or copying data across the perimeter is what the perimeter is
/// for; a refusal is that attempt.
fn service_perimeter(i: &Input) -> Option<RuleHit> {
    let meta = i.request()?;
    let is_vpcsc = super::text(super::get_ci(meta, "@type"))
        .is_some_and(|t| t.ends_with("VpcServiceControlAuditMetadata"))
        || super::get_ci(meta, "vpcServiceControlsUniqueId").is_some();
    if !is_vpcsc {
        return None;
    }
    let reason = super::text(super::get_ci(meta, "violationReason")).unwrap_or("?");
    let service = i.source.split('.').next().unwrap_or(i.source);
    let what = if i.bucket().is_empty() {
        String::new()
    } else {
        format!(" on {}", i.bucket())
    };
    let mut h = i.hit(
        rule::GCP_VPCSC_DENIED,
        format!(
            "{service} {}{what} refused by VPC Service Controls ({})",
            crate::text::bounded(i.action.rsplit('.').next().unwrap_or(i.action), 60),
            crate::text::bounded(reason, 60)
        ),
    );
    h.evidence
        .push(("violation_reason", crate::text::bounded(reason, 80)));
    if let Some(id) = super::text(super::get_ci(meta, "vpcServiceControlsUniqueId")) {
        h.evidence
            .push(("vpc_sc_unique_id", crate::text::bounded(id, 80)));
    }
    Some(h)
}

#[cfg(test)]
mod tests {
    use super::super::test_util::{rule_of, rule_with};
    use super::super::{RuleSet, RulesConfig};

    /// A network activity event as CloudTrail writes it (eventType AwsVpceEvent).
    fn vpce(identity: &str, error: &str) -> String {
        format!(
            r#"{{"Records":[{{"eventVersion":"1.11","userIdentity":{identity},"eventTime":"2025-02-26T16:41:35Z","eventSource":"s3.amazonaws.com","eventName":"PutObject","awsRegion":"us-east-1","sourceIPAddress":"10.0.141.54",{error}"requestID":"QAJA1","eventID":"33980b64-2ce1-471d-856c-376497e887bb","eventType":"AwsVpceEvent","recipientAccountId":"012345678910","sharedEventID":"735fbea7-a934-43f7-a926-355589c59007","vpcEndpointId":"vpce-03f53a4b7c2d1e0f9","vpcEndpointAccountId":"012345678910","eventCategory":"NetworkActivity"}}]}}"#
        )
    }

    const OWN: &str = r#"{"type":"AssumedRole","principalId":"AROAEXAMPLE:etl","arn":"arn:aws:sts::012345678910:assumed-role/etl/i-0abc","accountId":"012345678910","sessionContext":{"sessionIssuer":{"type":"Role","arn":"arn:aws:iam::012345678910:role/etl","accountId":"012345678910","userName":"etl"}}}"#;
    const FOREIGN: &str = r#"{"type":"IAMUser","principalId":"AIDAEXAMPLE","arn":"arn:aws:iam::444455556666:user/drop","accountId":"444455556666","userName":"drop"}"#;
    const DENIED: &str = r#""errorCode":"VpceAccessDenied","errorMessage":"The request was denied due to a VPC endpoint policy","#;

    #[test]
    fn vpc_endpoint_calls() {
        assert_eq!(rule_of(&vpce(OWN, "")), None, "own account, allowed");
        assert_eq!(
            rule_of(&vpce(FOREIGN, "")),
            Some("aws.vpce.foreign_principal")
        );
        assert_eq!(
            rule_of(&vpce(OWN, DENIED)),
            Some("aws.vpce.access_denied"),
            "a refusal by the endpoint policy, whoever asked"
        );
        let foreign_denied = vpce(FOREIGN, DENIED);
        assert_eq!(rule_of(&foreign_denied), Some("aws.vpce.access_denied"));
        // An account of the organisation is not foreign once it is known.
        let org = RuleSet::new(RulesConfig {
            known_accounts: vec!["444455556666".into()],
            ..Default::default()
        });
        assert_eq!(rule_with(&vpce(FOREIGN, ""), &org), None);
        // The same call as a data event (no eventType AwsVpceEvent) is not judged here.
        let data_event = vpce(FOREIGN, "").replace(r#""eventType":"AwsVpceEvent","#, "");
        assert_eq!(rule_of(&data_event), None);
    }

    #[test]
    fn foreign_principal_severity_needs_the_organisation() {
        use crate::catalogue::Severity;
        let hit = |set: &RuleSet| {
            super::super::test_util::hits(&vpce(FOREIGN, ""), set)
                .into_iter()
                .find_map(|(_, h)| h)
                .unwrap()
        };
        let unknown = hit(&RuleSet::default());
        let org = hit(&RuleSet::new(RulesConfig {
            known_accounts: vec!["111122223333".into()],
            ..Default::default()
        }));
        assert_eq!(unknown.severity, Severity::Medium);
        assert_eq!(org.severity, Severity::High);
        assert!(unknown
            .evidence
            .iter()
            .any(|(k, v)| *k == "caller_account" && v == "444455556666"));
    }

    #[test]
    fn vpc_service_controls_denial() {
        // A Policy Denied audit entry as Cloud Audit Logs write it for a VPC-SC violation.
        let rec = |meta_type: &str, code: u32| {
            format!(
                r#"{{"protoPayload":{{"@type":"type.googleapis.com/google.cloud.audit.AuditLog","status":{{"code":{code},"message":"Request is prohibited by organization's policy. vpcServiceControlsUniqueIdentifier: 8ZyCzg8AQVZyeVVoxR8ZvwE","details":[{{"@type":"type.googleapis.com/google.rpc.PreconditionFailure","violations":[{{"type":"VPC_SERVICE_CONTROLS","description":"8ZyCzg8AQVZyeVVoxR8ZvwE"}}]}}]}},"authenticationInfo":{{"principalEmail":"sa@p.iam.gserviceaccount.com"}},"requestMetadata":{{"callerIp":"203.0.113.7"}},"serviceName":"storage.googleapis.com","methodName":"google.storage.objects.get","resourceName":"projects/_/buckets/secret-data/objects/a.csv","metadata":{{"@type":"{meta_type}","violationReason":"RESOURCES_NOT_IN_SAME_SERVICE_PERIMETER","resourceNames":["projects/_/buckets/secret-data/objects/a.csv"],"vpcServiceControlsUniqueId":"8ZyCzg8AQVZyeVVoxR8ZvwE","securityPolicyInfo":{{"servicePerimeterName":"accessPolicies/1/servicePerimeters/prod"}}}}}},"insertId":"x1","resource":{{"type":"gcs_bucket","labels":{{"bucket_name":"secret-data","project_id":"p"}}}},"timestamp":"2026-03-01T02:00:00Z","severity":"ERROR","logName":"projects/p/logs/cloudaudit.googleapis.com%2Fpolicy"}}"#
            )
        };
        let denied = rec(
            "type.googleapis.com/google.cloud.audit.VpcServiceControlAuditMetadata",
            7,
        );
        assert_eq!(rule_of(&denied), Some("gcp.vpcsc.denied"));
        // Another refusal (IAM) is not a perimeter's.
        let iam = rec("type.googleapis.com/google.cloud.audit.OtherMetadata", 7).replace(
            r#""vpcServiceControlsUniqueId":"8ZyCzg8AQVZyeVVoxR8ZvwE","#,
            "",
        );
        assert_eq!(rule_of(&iam), None);
    }

    /// A server access log line with its trailing fields: cipher suite, auth type, host
    /// header and TLS version as given.
    fn access_line(op: &str, cipher: &str, host: &str, tls: &str) -> String {
        format!(
            r#"79a59df9 bkt [06/Feb/2019:00:00:38 +0000] 192.0.2.3 arn:aws:iam::111122223333:user/a 3E57427F3EXAMPLE {op} data.csv "GET /bkt/data.csv HTTP/1.1" 200 - 113 113 7 - "-" "aws-cli/2.15.0" - x= SigV4 {cipher} AuthHeader {host} {tls} - -"#
        )
    }

    #[test]
    fn plain_http_in_server_access_logs() {
        let tls = access_line(
            "REST.GET.OBJECT",
            "ECDHE-RSA-AES128-GCM-SHA256",
            "bkt.s3.us-west-1.amazonaws.com",
            "TLSv1.2",
        );
        assert_eq!(rule_of(&tls), None);
        let plain = access_line(
            "REST.GET.OBJECT",
            "-",
            "bkt.s3.us-west-1.amazonaws.com",
            "-",
        );
        assert_eq!(rule_of(&plain), Some("aws.s3.plain_http"));
        // S3's own work (lifecycle) and website endpoints (HTTP only by design) are not it.
        let lifecycle = access_line("S3.EXPIRE.OBJECT", "-", "-", "-");
        assert_eq!(rule_of(&lifecycle), None);
        let website = access_line(
            "REST.GET.OBJECT",
            "-",
            "bkt.s3-website-us-west-1.amazonaws.com",
            "-",
        );
        assert_eq!(rule_of(&website), None);
        // A line from before the TLS fields existed says nothing.
        let old = r#"79a59df9 bkt [06/Feb/2019:00:00:38 +0000] 192.0.2.3 arn:aws:iam::111122223333:user/a 3E57427F3EXAMPLE REST.GET.OBJECT data.csv "GET /bkt/data.csv HTTP/1.1" 200 - 113 113 7 - "-" "aws-cli/2.15.0" -"#;
        assert_eq!(rule_of(old), None);
    }

    #[test]
    fn plain_http_in_blob_logs() {
        let rec = |scheme: &str| {
            format!(
                r#"{{"time":"2024-03-01T02:00:00.1234567Z","resourceId":"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/acct/blobServices/default","category":"StorageRead","operationName":"GetBlob","statusCode":200,"statusText":"Success","callerIpAddress":"198.51.100.4:50123","correlationId":"c","identity":{{"type":"OAuth","requester":{{"objectId":"0b1c2d3e-0000-0000-0000-000000000001","upn":"ana@contoso.example"}}}},"location":"eastus","protocol":"HTTP","uri":"{scheme}://acct.blob.core.windows.net/data/report.csv","properties":{{"accountName":"acct","userAgentHeader":"curl/8.4.0","serviceType":"blob","objectKey":"/acct/data/report.csv","responseBodySize":52311}}}}"#
            )
        };
        assert_eq!(rule_of(&rec("http")), Some("azure.blob.plain_http"));
        assert_eq!(rule_of(&rec("https")), None);
    }

    #[test]
    fn a_plain_request_by_the_own_account_is_still_reported() {
        // The rule is about the transport, not the caller: no account exemption.
        let plain = access_line("REST.PUT.OBJECT", "-", "bkt.s3.amazonaws.com", "-");
        let known = RuleSet::new(RulesConfig {
            known_accounts: vec!["111122223333".into()],
            ..Default::default()
        });
        assert_eq!(rule_with(&plain, &known), Some("aws.s3.plain_http"));
    }
}
