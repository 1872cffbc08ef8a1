//! Rules on single events: tampering, exposure, exfiltration, credentials, reputation.
//!
//! They run on the worker thread, on the parsed event and its batch, because they need the
//! request detail (a policy document, a lifecycle rule) that the compact event does not keep.
//! The right fields decide, not names alone: a bucket policy that grants only the own account
//! is not public, a replication rule to a known account is not exfiltration. A failed call is
//! still reported (an attempt tells something), one severity lower.

pub mod cidr_table;
mod credentials;
mod escalation;
mod exfiltration;
mod exposure;
mod network;
mod ransom;
mod reputation;
mod tampering;

use std::cell::OnceCell;
use std::net::IpAddr;

use serde_json::Value;

use crate::catalogue::{Catalogue, Severity};
use crate::event::{AccessEvent, ActionClass, Batch, PrincipalType, Provider};

/// Every rule id this module can emit (checked against the catalogue by a test).
pub const RULE_IDS: &[&[&str]] = &[
    tampering::RULE_IDS,
    exposure::RULE_IDS,
    exfiltration::RULE_IDS,
    credentials::RULE_IDS,
    reputation::RULE_IDS,
    network::RULE_IDS,
    ransom::RULE_IDS,
    escalation::RULE_IDS,
];

/// What a rule found in one event.
#[derive(Clone, Debug, PartialEq)]
pub struct RuleHit {
    pub rule: &'static str,
    pub severity: Severity,
    /// One line saying what happened, for the finding's title.
    pub detail: String,
    /// Named evidence values (bounded strings).
    pub evidence: Vec<(&'static str, String)>,
    /// Buckets, objects, trails, keys concerned.
    pub resources: Vec<String>,
}

/// An IPv4/IPv6 network.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cidr {
    pub addr: IpAddr,
    pub prefix: u8,
}

impl Cidr {
    pub fn parse(s: &str) -> Option<Cidr> {
        let (a, p) = match s.split_once('/') {
            Some((a, p)) => (a, p.parse().ok()?),
            None => (s, if s.contains(':') { 128 } else { 32 }),
        };
        let addr: IpAddr = a.trim().parse().ok()?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        (p <= max).then_some(Cidr { addr, prefix: p })
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                let mask = if self.prefix == 0 {
                    0
                } else {
                    u32::MAX << (32 - self.prefix)
                };
                u32::from(n) & mask == u32::from(a) & mask
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                let mask = if self.prefix == 0 {
                    0
                } else {
                    u128::MAX << (128 - self.prefix)
                };
                u128::from(n) & mask == u128::from(a) & mask
            }
            _ => false,
        }
    }
}

/// Settings the single-event rules use (from `trailhound.toml`).
#[derive(Clone, Debug, Default)]
pub struct RulesConfig {
    /// AWS account ids that are ours or trusted (replication, policy grants).
    pub known_accounts: Vec<String>,
    /// Buckets that may receive S3 server access logs.
    pub known_log_buckets: Vec<String>,
    /// GCP domains that may be granted access (`example.com`).
    pub known_domains: Vec<String>,
    /// Listed source networks (Tor exits, threat intel), with the list's name.
    pub ip_lists: Vec<(String, Cidr)>,
    /// Extra pentest / scanner user-agent markers (lower case).
    pub extra_tool_agents: Vec<String>,
    /// Ransom-note names beyond the built-in list (`rules/ransom_notes.txt` syntax).
    pub ransom_note_names: Vec<String>,
}

/// The rules, ready to run.
pub struct RuleSet {
    pub config: RulesConfig,
    /// The listed networks of `config.ip_lists`, for a lookup per event.
    ip_table: cidr_table::CidrTable,
    notes: ransom::NoteNames,
}

impl Default for RuleSet {
    fn default() -> Self {
        RuleSet::new(RulesConfig::default())
    }
}

impl RuleSet {
    pub fn new(config: RulesConfig) -> Self {
        let ip_table = cidr_table::CidrTable::new(config.ip_lists.iter().map(|(_, c)| c));
        let notes = ransom::NoteNames::new(&config.ransom_note_names);
        RuleSet {
            config,
            ip_table,
            notes,
        }
    }

    /// The first rule that matches the event, if any.
    pub fn check(&self, ev: &AccessEvent, b: &Batch) -> Option<RuleHit> {
        let input = Input {
            ev,
            b,
            action: b.str(ev.action),
            source: b.str(ev.event_source),
            request: OnceCell::new(),
            cfg: &self.config,
            ip_table: &self.ip_table,
            notes: &self.notes,
        };
        // Successful authenticated object reads and lists (most of the volume) can only match
        // the reputation rules: skip the other families' name comparisons for them. (A failed
        // read can still tell of re-encryption, so errors take the full path.)
        let data_only = !ev.insight
            && !ev.error
            && matches!(ev.action_class, ActionClass::Read | ActionClass::List)
            && ev.principal_type != PrincipalType::Anonymous;
        // A network activity event repeats a call logged on its own (management or data
        // event): only the rules about the network path judge it.
        let hit = if ev.network_activity {
            network::check(&input)?
        } else if data_only {
            reputation::check(&input).or_else(|| network::plain_http(&input))?
        } else {
            tampering::check(&input)
                .or_else(|| exposure::check(&input))
                .or_else(|| exfiltration::check(&input))
                .or_else(|| credentials::check(&input))
                .or_else(|| escalation::check(&input))
                .or_else(|| ransom::check(&input))
                .or_else(|| reputation::check(&input))
                .or_else(|| network::check(&input))?
        };
        Some(if ev.error {
            RuleHit {
                // Never the severity of the change that worked: low by itself; the engine
                // raises repeated attempts and attempts beside discovery.
                severity: crate::catalogue::Catalogue::get().level(
                    hit.rule,
                    crate::catalogue::Case::Failed,
                    hit.severity,
                ),
                detail: format!("attempt failed ({}): {}", b.str(ev.status), hit.detail),
                ..hit
            }
        } else {
            hit
        })
    }
}

/// What a rule sees.
pub(crate) struct Input<'a> {
    pub ev: &'a AccessEvent,
    pub b: &'a Batch,
    pub action: &'a str,
    pub source: &'a str,
    request: OnceCell<Option<Value>>,
    pub cfg: &'a RulesConfig,
    pub ip_table: &'a cidr_table::CidrTable,
    pub notes: &'a ransom::NoteNames,
}

impl Input<'_> {
    pub fn provider(&self) -> Provider {
        self.ev.provider()
    }

    /// The request detail as JSON (parsed on first use; `None` when absent or not JSON).
    /// JSON strings holding JSON (Azure `requestbody`, policy documents) are left as strings:
    /// see [`parse_embedded`].
    pub fn request(&self) -> Option<&Value> {
        self.request
            .get_or_init(|| {
                let text = self.b.str(self.ev.request);
                if text.is_empty() || text.len() > (4 << 20) {
                    return None;
                }
                serde_json::from_str(text).ok()
            })
            .as_ref()
    }

    /// The raw JSON of the resources the record names, if any.
    pub fn resources_json(&self) -> Option<&str> {
        let text = self.b.str(self.ev.resources);
        (!text.is_empty() && text.len() <= (1 << 20)).then_some(text)
    }

    /// The call was made to S3 (`s3.amazonaws.com`, or S3 Control for account-level
    /// settings): the same API name on another service is not an S3 change.
    pub fn is_s3(&self) -> bool {
        self.source.starts_with("s3.") || self.source.starts_with("s3-control.")
    }

    pub fn account(&self) -> &str {
        self.b.str(self.ev.account)
    }

    pub fn bucket(&self) -> &str {
        self.b.str(self.ev.bucket)
    }

    pub fn object(&self) -> &str {
        self.b.str(self.ev.object)
    }

    /// The account that owns this event's resource (AWS: recipient account id).
    pub fn is_known_account(&self, acct: &str) -> bool {
        acct == self.account() || self.cfg.known_accounts.iter().any(|k| k == acct)
    }

    /// A hit with the catalogue's default severity.
    pub fn hit(&self, rule: &'static str, detail: impl Into<String>) -> RuleHit {
        let severity = Catalogue::get().severity(rule);
        let mut resources = Vec::new();
        let bucket = self.bucket();
        if !bucket.is_empty() {
            let object = self.object();
            if object.is_empty() {
                resources.push(bucket.to_string());
            } else {
                resources.push(crate::text::bounded(&format!("{bucket}/{object}"), 300));
            }
        }
        RuleHit {
            rule,
            severity,
            detail: detail.into(),
            evidence: vec![("action", self.action.to_string())],
            resources,
        }
    }
}

/// A value that may be JSON written as a string (Azure `requestbody`, CloudTrail `policy`).
pub(crate) fn parse_embedded(v: &Value) -> Option<Value> {
    match v {
        Value::String(s) => serde_json::from_str(s).ok(),
        Value::Null => None,
        other => Some(other.clone()),
    }
}

/// A value that is one item or an array of them, as a list.
pub(crate) fn one_or_many(v: &Value) -> Vec<&Value> {
    match v {
        Value::Array(a) => a.iter().collect(),
        Value::Null => Vec::new(),
        other => vec![other],
    }
}

/// Looks a key up case-insensitively (CloudTrail and Azure differ in key casing).
pub(crate) fn get_ci<'v>(v: &'v Value, key: &str) -> Option<&'v Value> {
    v.as_object()?
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v)
}

/// Follows a path of keys, case-insensitively.
pub(crate) fn path<'v>(v: &'v Value, keys: &[&str]) -> Option<&'v Value> {
    keys.iter().try_fold(v, |v, k| get_ci(v, k))
}

/// A string value, or the first string of an array value (CloudTrail writes headers as
/// arrays: `"x-amz-acl": ["public-read"]`).
pub(crate) fn text(v: Option<&Value>) -> Option<&str> {
    match v? {
        Value::String(s) => Some(s),
        Value::Array(a) => a.first().and_then(Value::as_str),
        Value::Bool(true) => Some("true"),
        Value::Bool(false) => Some("false"),
        _ => None,
    }
}

/// `s` ends with `suffix`, ignoring ASCII case (no allocation: runs on every event).
pub(crate) fn ends_with_ci(s: &str, suffix: &str) -> bool {
    s.len() >= suffix.len()
        && s.as_bytes()[s.len() - suffix.len()..].eq_ignore_ascii_case(suffix.as_bytes())
}

/// `s` contains `needle` (ASCII lower case), ignoring ASCII case, without allocating.
pub(crate) fn find_ci(s: &str, needle: &str) -> Option<usize> {
    let (h, n) = (s.as_bytes(), needle.as_bytes());
    if n.is_empty() || h.len() < n.len() {
        return None;
    }
    (0..=h.len() - n.len()).find(|&at| h[at..at + n.len()].eq_ignore_ascii_case(n))
}

/// The account id in an ARN (`arn:aws:iam::123456789012:root` → `123456789012`).
pub(crate) fn arn_account(arn: &str) -> Option<&str> {
    let acct = arn.split(':').nth(4)?;
    (acct.len() == 12 && acct.bytes().all(|c| c.is_ascii_digit())).then_some(acct)
}

#[cfg(test)]
pub(crate) mod test_util {
    //! Builds events the way the parsers do, from real record shapes.

    use crate::event::{Batch, OwnedEvent};
    use crate::ingest::decode::{Compression, Decoded};
    use crate::skip::SkipLog;

    /// Parses `text` (any supported format) and runs the rules on every event.
    pub fn hits(text: &str, set: &super::RuleSet) -> Vec<(OwnedEvent, Option<super::RuleHit>)> {
        let mut batches: Vec<Batch> = Vec::new();
        let mut skips = SkipLog::default();
        let mut sink = |b: Batch| batches.push(b);
        crate::ingest::read_decoded(
            0,
            "test",
            Decoded::Whole(text.as_bytes().to_vec()),
            Compression::None,
            &mut sink,
            &mut skips,
        );
        assert_eq!(
            skips.total(),
            0,
            "test input must parse: {:?}",
            skips.samples()
        );
        batches
            .iter()
            .flat_map(|b| {
                b.events
                    .iter()
                    .map(move |e| (e.to_owned_event(b), set.check(e, b)))
            })
            .collect()
    }

    /// The rule id that fired on the single event in `text`, if any.
    pub fn rule_of(text: &str) -> Option<&'static str> {
        rule_with(text, &super::RuleSet::default())
    }

    pub fn rule_with(text: &str, set: &super::RuleSet) -> Option<&'static str> {
        let h = hits(text, set);
        assert_eq!(h.len(), 1, "one event expected");
        h[0].1.as_ref().map(|h| h.rule)
    }

    /// A CloudTrail record with the given name, source and request parameters.
    pub fn ct(source: &str, name: &str, params: &str) -> String {
        format!(
            r#"{{"eventVersion":"1.09","userIdentity":{{"type":"IAMUser","principalId":"AIDAEXAMPLE","arn":"arn:aws:iam::111122223333:user/mallory","accountId":"111122223333","accessKeyId":"AKIAEXAMPLE","userName":"mallory"}},"eventTime":"2024-03-01T02:45:00Z","eventSource":"{source}","eventName":"{name}","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.7","userAgent":"aws-cli/2.15.0","requestParameters":{params},"responseElements":null,"requestID":"R1","eventID":"E1","readOnly":false,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111122223333"}}"#
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_id_is_in_the_catalogue() {
        let cat = Catalogue::get();
        for id in RULE_IDS.iter().flat_map(|f| f.iter()) {
            let r = cat
                .rule(id)
                .unwrap_or_else(|| panic!("{id} is not in rules/catalogue.toml"));
            assert!(
                matches!(
                    r.family.as_str(),
                    "tampering"
                        | "exposure"
                        | "exfiltration"
                        | "credentials"
                        | "reputation"
                        | "statistics"
                ),
                "{id}: family {}",
                r.family
            );
        }
    }

    #[test]
    fn cidr() {
        let c = Cidr::parse("10.1.0.0/16").unwrap();
        assert!(c.contains("10.1.200.3".parse().unwrap()));
        assert!(!c.contains("10.2.0.1".parse().unwrap()));
        let c6 = Cidr::parse("2001:db8::/32").unwrap();
        assert!(c6.contains("2001:db8:1::5".parse().unwrap()));
        assert!(Cidr::parse("10.0.0.0/33").is_none());
        assert!(Cidr::parse("203.0.113.9")
            .unwrap()
            .contains("203.0.113.9".parse().unwrap()));
    }

    #[test]
    fn failed_calls_are_low() {
        let mut rec = test_util::ct(
            "cloudtrail.amazonaws.com",
            "StopLogging",
            r#"{"name":"main"}"#,
        );
        let set = RuleSet::default();
        let ok = test_util::hits(&rec, &set).remove(0).1.unwrap();
        assert_eq!(ok.severity, Severity::Critical);
        rec = rec.replace(
            "\"readOnly\"",
            "\"errorCode\":\"AccessDenied\",\"readOnly\"",
        );
        let failed = test_util::hits(&rec, &set).remove(0).1.unwrap();
        assert_eq!(failed.severity, Severity::Low);
        assert!(failed.detail.starts_with("attempt failed (AccessDenied)"));
    }
}
