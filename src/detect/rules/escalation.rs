//! Privilege escalation that opens storage (AWS IAM): broad policies attached or written to an
//! identity (above all to one's own), access keys and console passwords made for someone else,
//! role trust opened to everyone or to another account. Judged by their effect: a policy that
//! grants `s3:*` or `*` on every resource opens every bucket, whatever its name.

use serde_json::Value;

use super::{arn_account, get_ci, one_or_many, parse_embedded, text, Input, RuleHit};
use crate::catalogue::{rule, Case, Catalogue};
use crate::event::{PrincipalType, Provider};

pub const RULE_IDS: &[&str] = &[
    rule::AWS_IAM_BROAD_POLICY_GRANTED,
    rule::AWS_IAM_ACCESS_KEY_FOR_OTHER,
    rule::AWS_IAM_LOGIN_PROFILE_FOR_OTHER,
    rule::AWS_IAM_ROLE_TRUST_OPENED,
];

/// AWS managed policies that open every bucket (or the way to every bucket).
const BROAD_MANAGED: &[&str] = &[
    "AdministratorAccess",
    "PowerUserAccess",
    "IAMFullAccess",
    "AmazonS3FullAccess",
    "AmazonS3ReadOnlyAccess",
];

pub(super) fn check(i: &Input) -> Option<RuleHit> {
    if i.provider() != Provider::Aws || !i.source.starts_with("iam.") {
        return None;
    }
    match i.action {
        "AttachUserPolicy" | "AttachRolePolicy" | "AttachGroupPolicy" => managed_policy(i),
        "PutUserPolicy" | "PutRolePolicy" | "PutGroupPolicy" => inline_policy(i),
        "CreateAccessKey" => for_other(i, rule::AWS_IAM_ACCESS_KEY_FOR_OTHER, "access key created"),
        "CreateLoginProfile" | "UpdateLoginProfile" => for_other(
            i,
            rule::AWS_IAM_LOGIN_PROFILE_FOR_OTHER,
            "console password set",
        ),
        "UpdateAssumeRolePolicy" | "CreateRole" => role_trust(i),
        _ => None,
    }
}

/// The caller's own name: an IAM user's user name, an assumed role's session name (which
/// SSO and SAML set to the person), and the role's name.
fn caller_names<'a>(i: &'a Input) -> (Option<&'a str>, Option<&'a str>) {
    let principal = i.b.str(i.ev.principal);
    let last = principal.rsplit('/').next().filter(|s| !s.is_empty());
    match i.ev.principal_type {
        PrincipalType::User => (last, None),
        PrincipalType::Role => {
            let session = i.b.str(i.ev.principal_detail);
            ((!session.is_empty()).then_some(session), last)
        }
        _ => (None, None),
    }
}

/// The identity the call changes: (kind, name).
fn target(req: &Value) -> Option<(&'static str, &str)> {
    [
        ("user", "userName"),
        ("role", "roleName"),
        ("group", "groupName"),
    ]
    .into_iter()
    .find_map(|(kind, key)| text(get_ci(req, key)).map(|n| (kind, n)))
}

/// Whether the change is to the caller's own identity: self-escalation.
fn is_self(i: &Input, kind: &str, name: &str) -> bool {
    let (person, role) = caller_names(i);
    match kind {
        "user" => person.is_some_and(|p| p.eq_ignore_ascii_case(name)),
        "role" => role.is_some_and(|r| r == name),
        _ => false,
    }
}

fn broad_hit(i: &Input, kind: &str, name: &str, grant: String) -> RuleHit {
    let own = is_self(i, kind, name);
    let mut h = i.hit(
        rule::AWS_IAM_BROAD_POLICY_GRANTED,
        if own {
            format!("{grant} granted to the caller's own {kind} {name}")
        } else {
            format!("{grant} granted to {kind} {name}")
        },
    );
    h.resources.push(format!("{kind}/{name}"));
    h.evidence.push(("target", format!("{kind}/{name}")));
    if own {
        h.severity = Catalogue::get().level(h.rule, Case::SelfGrant, h.severity);
        h.evidence.push(("self_grant", "true".to_string()));
    }
    h
}

fn managed_policy(i: &Input) -> Option<RuleHit> {
    let req = i.request()?;
    let arn = text(get_ci(req, "policyArn"))?;
    let name = arn.strip_prefix("arn:aws:iam::aws:policy/")?;
    let name = name.rsplit('/').next().unwrap_or(name);
    if !BROAD_MANAGED.contains(&name) {
        return None;
    }
    let (kind, who) = target(req)?;
    let mut h = broad_hit(i, kind, who, format!("managed policy {name}"));
    h.evidence.push(("policy", arn.to_string()));
    Some(h)
}

fn inline_policy(i: &Input) -> Option<RuleHit> {
    let req = i.request()?;
    let doc = get_ci(req, "policyDocument").and_then(parse_embedded)?;
    let grant = broad_grant(&doc)?;
    let (kind, who) = target(req)?;
    let policy = text(get_ci(req, "policyName")).unwrap_or("?");
    let mut h = broad_hit(i, kind, who, format!("inline policy {policy} ({grant})"));
    h.evidence.push(("grant", grant.to_string()));
    Some(h)
}

/// What an Allow statement of a policy document grants on every resource, if it opens every
/// bucket: `*`, `s3:*`, or reading all objects (`s3:Get*`, `s3:GetObject`).
fn broad_grant(doc: &Value) -> Option<&'static str> {
    let statements = get_ci(doc, "Statement")?;
    let mut best: Option<&'static str> = None;
    for s in one_or_many(statements) {
        let allow = text(get_ci(s, "Effect")).is_some_and(|e| e.eq_ignore_ascii_case("Allow"));
        if !allow {
            continue;
        }
        let every_resource = get_ci(s, "Resource").is_some_and(|r| {
            one_or_many(r).iter().any(|r| {
                r.as_str()
                    .is_some_and(|r| r == "*" || r == "arn:aws:s3:::*" || r == "arn:aws:s3:::*/*")
            })
        });
        if !every_resource {
            continue;
        }
        // NotAction with Allow grants everything but the listed actions.
        if get_ci(s, "NotAction").is_some() {
            return Some("everything but a few actions on every resource");
        }
        let actions = get_ci(s, "Action").map(one_or_many).unwrap_or_default();
        for a in actions.iter().filter_map(|a| a.as_str()) {
            let a = a.to_ascii_lowercase();
            let grant = match a.as_str() {
                "*" | "*:*" => "every action on every resource",
                "s3:*" => "every S3 action on every bucket",
                "s3:get*" | "s3:getobject" | "s3:getobject*" => "reading every object",
                _ => continue,
            };
            if grant.starts_with("every action") {
                return Some(grant);
            }
            best = best.or(Some(grant));
        }
    }
    best
}

/// An access key or console password made for an IAM user other than the caller: a second
/// way in, under someone else's name.
fn for_other(i: &Input, id: &'static str, what: &str) -> Option<RuleHit> {
    let req = i.request();
    // Without a userName the call is for the caller itself.
    let user = req.and_then(|r| text(get_ci(r, "userName")))?;
    if is_self(i, "user", user) {
        return None;
    }
    let mut h = i.hit(id, format!("{what} for IAM user {user}"));
    h.resources.push(format!("user/{user}"));
    h.evidence.push(("target", format!("user/{user}")));
    Some(h)
}

/// A role's trust policy that lets anyone (`*`) or another account assume it: a door in that
/// survives every credential rotation.
fn role_trust(i: &Input) -> Option<RuleHit> {
    let req = i.request()?;
    let doc = get_ci(req, "policyDocument")
        .or_else(|| get_ci(req, "assumeRolePolicyDocument"))
        .and_then(parse_embedded)?;
    let role = text(get_ci(req, "roleName")).unwrap_or("?");
    let mut opened: Option<String> = None;
    for s in one_or_many(get_ci(&doc, "Statement")?) {
        let allow = text(get_ci(s, "Effect")).is_some_and(|e| e.eq_ignore_ascii_case("Allow"));
        let Some(p) = get_ci(s, "Principal").filter(|_| allow) else {
            continue;
        };
        let aws: Vec<&str> = match p {
            Value::String(s) => vec![s.as_str()],
            other => get_ci(other, "AWS")
                .map(one_or_many)
                .unwrap_or_default()
                .into_iter()
                .filter_map(Value::as_str)
                .collect(),
        };
        for who in aws {
            if who == "*" {
                opened = Some("anyone (Principal *)".to_string());
                break;
            }
            let acct = arn_account(who).or_else(|| {
                (who.len() == 12 && who.bytes().all(|c| c.is_ascii_digit())).then_some(who)
            });
            if let Some(a) = acct.filter(|a| !i.is_known_account(a)) {
                opened.get_or_insert_with(|| format!("account {a}"));
            }
        }
    }
    let who = opened?;
    let mut h = i.hit(
        rule::AWS_IAM_ROLE_TRUST_OPENED,
        format!("role {role} may now be assumed by {who}"),
    );
    h.resources.push(format!("role/{role}"));
    h.evidence.push(("trusted", who));
    Some(h)
}

#[cfg(test)]
mod tests {
    use super::super::test_util::{hits, rule_of};
    use super::super::RuleSet;
    use crate::catalogue::Severity;

    /// An IAM call as CloudTrail writes it, by IAM user `mallory` of account 111122223333.
    fn iam(name: &str, params: &str) -> String {
        format!(
            r#"{{"eventVersion":"1.09","userIdentity":{{"type":"IAMUser","principalId":"AIDAEXAMPLE","arn":"arn:aws:iam::111122223333:user/mallory","accountId":"111122223333","accessKeyId":"AKIAEXAMPLE","userName":"mallory"}},"eventTime":"2024-03-01T02:45:00Z","eventSource":"iam.amazonaws.com","eventName":"{name}","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.7","userAgent":"aws-cli/2.15.0","requestParameters":{params},"responseElements":null,"requestID":"R1","eventID":"E1","readOnly":false,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111122223333"}}"#
        )
    }

    fn severity(text: &str) -> Option<(&'static str, Severity)> {
        hits(text, &RuleSet::default())
            .into_iter()
            .find_map(|(_, h)| h)
            .map(|h| (h.rule, h.severity))
    }

    #[test]
    fn broad_policies() {
        let star = r#"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"}]}"#;
        let own = iam(
            "PutUserPolicy",
            &format!(r#"{{"userName":"mallory","policyName":"x","policyDocument":"{star}"}}"#),
        );
        assert_eq!(
            severity(&own),
            Some(("aws.iam.broad_policy_granted", Severity::Critical)),
            "Action * Resource * on oneself"
        );
        let other = own.replace(r#""userName":"mallory""#, r#""userName":"bob""#);
        assert_eq!(
            severity(&other),
            Some(("aws.iam.broad_policy_granted", Severity::High))
        );
        let s3 = own.replace(r#"\"Action\":\"*\""#, r#"\"Action\":[\"s3:*\"]"#);
        assert_eq!(rule_of(&s3), Some("aws.iam.broad_policy_granted"));
        let narrow = own.replace(
            r#"\"Resource\":\"*\""#,
            r#"\"Resource\":\"arn:aws:s3:::team-bucket/*\""#,
        );
        assert_eq!(rule_of(&narrow), None, "one bucket is not every bucket");
        let deny = own.replace(r#"\"Effect\":\"Allow\""#, r#"\"Effect\":\"Deny\""#);
        assert_eq!(rule_of(&deny), None);
        let admin = iam(
            "AttachRolePolicy",
            r#"{"roleName":"ci","policyArn":"arn:aws:iam::aws:policy/AdministratorAccess"}"#,
        );
        assert_eq!(rule_of(&admin), Some("aws.iam.broad_policy_granted"));
        let readonly = admin.replace("AdministratorAccess", "ReadOnlyAccess");
        assert_eq!(rule_of(&readonly), None);
        let customer = admin.replace("aws:policy/", "111122223333:policy/");
        assert_eq!(
            rule_of(&customer),
            None,
            "a customer policy's content is unknown"
        );
    }

    #[test]
    fn keys_and_passwords_for_someone_else() {
        let key = |user: &str| iam("CreateAccessKey", &format!(r#"{{"userName":"{user}"}}"#));
        assert_eq!(rule_of(&key("bob")), Some("aws.iam.access_key_for_other"));
        assert_eq!(rule_of(&key("mallory")), None, "one's own key");
        assert_eq!(rule_of(&iam("CreateAccessKey", "null")), None);
        let pw = iam("UpdateLoginProfile", r#"{"userName":"bob"}"#);
        assert_eq!(rule_of(&pw), Some("aws.iam.login_profile_for_other"));
    }

    #[test]
    fn role_trust() {
        let trust = |principal: &str| {
            iam(
                "UpdateAssumeRolePolicy",
                &format!(
                    r#"{{"roleName":"deploy","policyDocument":"{{\"Version\":\"2012-10-17\",\"Statement\":[{{\"Effect\":\"Allow\",\"Principal\":{principal},\"Action\":\"sts:AssumeRole\"}}]}}"}}"#
                ),
            )
        };
        assert_eq!(
            rule_of(&trust(r#"\"*\""#)),
            Some("aws.iam.role_trust_opened")
        );
        assert_eq!(
            rule_of(&trust(r#"{\"AWS\":\"arn:aws:iam::999988887777:root\"}"#)),
            Some("aws.iam.role_trust_opened")
        );
        assert_eq!(
            rule_of(&trust(r#"{\"AWS\":\"arn:aws:iam::111122223333:root\"}"#)),
            None,
            "the own account"
        );
        assert_eq!(
            rule_of(&trust(r#"{\"Service\":\"ec2.amazonaws.com\"}"#)),
            None
        );
    }
}
