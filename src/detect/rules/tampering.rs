//! Tampering: logging switched off, encryption, versioning, retention and lifecycle weakened,
//! buckets, keys and accounts deleted — on all three clouds.

use crate::catalogue::rule;
use serde_json::Value;

use super::{
    arn_account, ends_with_ci, find_ci, get_ci, one_or_many, parse_embedded, path, text, Input,
    RuleHit,
};
use crate::event::Provider;

pub const RULE_IDS: &[&str] = &[
    rule::GCP_KMS_KEY_VERSION_DISABLED,
    rule::AWS_S3_LOGGING_DISABLED,
    rule::AWS_CLOUDTRAIL_STOP_LOGGING,
    rule::AWS_CLOUDTRAIL_TRAIL_DELETED,
    rule::AWS_CLOUDTRAIL_TRAIL_UPDATED,
    rule::AWS_CLOUDTRAIL_DATA_EVENTS_DROPPED,
    rule::AWS_S3_ENCRYPTION_REMOVED,
    rule::AWS_S3_VERSIONING_SUSPENDED,
    rule::AWS_S3_MFA_DELETE_DISABLED,
    rule::AWS_S3_REPLICATION_DELETED,
    rule::AWS_S3_LIFECYCLE_EXPIRATION,
    rule::AWS_S3_BUCKET_DELETED,
    rule::AWS_S3_BATCH_DELETE,
    rule::AWS_S3_BUCKET_POLICY_DELETED,
    rule::AWS_S3_OBJECT_LOCK_CHANGED,
    rule::AWS_KMS_KEY_DELETION_SCHEDULED,
    rule::AZURE_STORAGE_LOCK_DELETED,
    rule::AWS_KMS_KEY_POLICY_CHANGED,
    rule::AWS_S3_RANSOMWARE_REENCRYPTION,
    rule::AWS_CLOUDTRAIL_INSIGHT,
    rule::GCP_GCS_RETENTION_REMOVED,
    rule::GCP_LOGGING_AUDIT_CONFIG_CHANGED,
    rule::GCP_GCS_BUCKET_DELETED,
    rule::GCP_GCS_CMEK_CHANGED,
    rule::AZURE_STORAGE_SOFT_DELETE_DISABLED,
    rule::AZURE_STORAGE_IMMUTABILITY_CHANGED,
    rule::AZURE_STORAGE_DIAGNOSTICS_DELETED,
    rule::AZURE_STORAGE_ACCOUNT_DELETED,
    rule::AZURE_BLOB_CPK_REENCRYPTION,
    rule::AZURE_KEYVAULT_KEY_DELETED,
];

pub(super) fn check(i: &Input) -> Option<RuleHit> {
    match i.provider() {
        Provider::Aws => aws(i),
        Provider::Gcp => gcp(i),
        Provider::Azure => azure(i),
    }
}

fn aws(i: &Input) -> Option<RuleHit> {
    if i.ev.insight {
        return Some(i.hit(
            rule::AWS_CLOUDTRAIL_INSIGHT,
            format!("CloudTrail Insights: unusual {} activity", i.action),
        ));
    }
    let service = i.source.split('.').next().unwrap_or("");
    match (service, i.action) {
        ("s3", "PutBucketLogging") => {
            let req = i.request()?;
            // Without the status the record does not say what changed (trimmed or redacted
            // parameters): no conclusion. Present without `LoggingEnabled` is "off".
            let status = get_ci(req, "BucketLoggingStatus")?;
            let enabled = get_ci(status, "LoggingEnabled");
            match enabled {
                None => Some(i.hit(
                    rule::AWS_S3_LOGGING_DISABLED,
                    format!(
                        "server access logging switched off for bucket {}",
                        i.bucket()
                    ),
                )),
                Some(e) => {
                    let target = text(get_ci(e, "TargetBucket")).unwrap_or("");
                    let known = &i.cfg.known_log_buckets;
                    (!known.is_empty() && !known.iter().any(|k| k == target)).then(|| {
                        let mut h = i.hit(
                            rule::AWS_S3_LOGGING_DISABLED,
                            format!(
                                "server access logs of {} redirected to bucket {target}",
                                i.bucket()
                            ),
                        );
                        h.evidence.push(("target_bucket", target.to_string()));
                        h
                    })
                }
            }
        }
        ("cloudtrail", "StopLogging") => Some(trail_hit(
            i,
            rule::AWS_CLOUDTRAIL_STOP_LOGGING,
            "logging stopped",
        )),
        ("cloudtrail", "DeleteTrail") => {
            Some(trail_hit(i, rule::AWS_CLOUDTRAIL_TRAIL_DELETED, "deleted"))
        }
        ("cloudtrail", "UpdateTrail") => {
            Some(trail_hit(i, rule::AWS_CLOUDTRAIL_TRAIL_UPDATED, "changed"))
        }
        ("cloudtrail", "PutEventSelectors" | "PutAdvancedEventSelectors") => event_selectors(i),
        ("s3", "DeleteBucketEncryption") => Some(i.hit(
            rule::AWS_S3_ENCRYPTION_REMOVED,
            format!("default encryption removed from bucket {}", i.bucket()),
        )),
        ("s3", "PutBucketEncryption") => {
            let req = i.request()?;
            let key = find_key(req, "KMSMasterKeyID")?;
            let owner = arn_account(key)?;
            (!i.is_known_account(owner)).then(|| {
                let mut h = i.hit(
                    rule::AWS_S3_ENCRYPTION_REMOVED,
                    format!(
                        "bucket {} now encrypted with a KMS key of account {owner}",
                        i.bucket()
                    ),
                );
                h.evidence.push(("kms_key", key.to_string()));
                h
            })
        }
        ("s3", "PutBucketVersioning") => {
            let cfg = get_ci(i.request()?, "VersioningConfiguration")?;
            let status = text(get_ci(cfg, "Status")).unwrap_or("");
            let mfa = text(get_ci(cfg, "MfaDelete")).unwrap_or("");
            let mfa_off = mfa.eq_ignore_ascii_case("Disabled");
            // Anything but Enabled leaves deletions unrecoverable (Suspended is what the API
            // takes; other values are written by tools and attackers alike).
            if !status.is_empty() && !status.eq_ignore_ascii_case("Enabled") {
                let detail = if status.eq_ignore_ascii_case("Suspended") {
                    format!("versioning suspended on bucket {}", i.bucket())
                } else {
                    format!(
                        "versioning set to {} on bucket {}",
                        crate::text::bounded(status, 40),
                        i.bucket()
                    )
                };
                let mut h = i.hit(rule::AWS_S3_VERSIONING_SUSPENDED, detail);
                if mfa_off {
                    h.evidence.push(("mfa_delete", "Disabled".to_string()));
                }
                Some(h)
            } else if mfa_off {
                Some(i.hit(
                    rule::AWS_S3_MFA_DELETE_DISABLED,
                    format!("MFA delete disabled on bucket {}", i.bucket()),
                ))
            } else {
                None
            }
        }
        ("s3", "DeleteBucketReplication") => Some(i.hit(
            rule::AWS_S3_REPLICATION_DELETED,
            format!("replication configuration of bucket {} deleted", i.bucket()),
        )),
        ("s3", "PutBucketLifecycle" | "PutBucketLifecycleConfiguration") => lifecycle(i),
        ("s3", "DeleteBucket") => Some(i.hit(
            rule::AWS_S3_BUCKET_DELETED,
            format!("bucket {} deleted", i.bucket()),
        )),
        // One call deletes up to 1,000 objects and CloudTrail does not list them, so the
        // hourly deletion count cannot see it. (Server access logs have a line per object.)
        ("s3", "DeleteObjects") if i.ev.format() == crate::event::Format::AwsCloudtrail => {
            Some(i.hit(
                rule::AWS_S3_BATCH_DELETE,
                format!(
                    "DeleteObjects on bucket {}: up to 1,000 objects in one call",
                    i.bucket()
                ),
            ))
        }
        ("s3", "DeleteBucketPolicy") => Some(i.hit(
            rule::AWS_S3_BUCKET_POLICY_DELETED,
            format!("bucket policy of {} deleted", i.bucket()),
        )),
        ("s3", "PutObjectRetention" | "PutObjectLegalHold" | "PutObjectLockConfiguration") => {
            let req = i.request()?;
            let raw = req.to_string().to_ascii_lowercase();
            let weakened = raw.contains("bypass-governance-retention")
                || path(req, &["LegalHold", "Status"]).and_then(Value::as_str) == Some("OFF")
                || path(req, &["ObjectLockConfiguration", "ObjectLockEnabled"])
                    .and_then(Value::as_str)
                    == Some("Disabled");
            weakened.then(|| {
                i.hit(
                    rule::AWS_S3_OBJECT_LOCK_CHANGED,
                    format!("object lock weakened on {}", i.bucket()),
                )
            })
        }
        ("s3", "CopyObject" | "PutObject" | "UploadPartCopy" | "CreateMultipartUpload") => {
            let req = i.request()?;
            if get_ci(req, "x-amz-server-side-encryption-customer-algorithm").is_some() {
                return Some(i.hit(
                    rule::AWS_S3_RANSOMWARE_REENCRYPTION,
                    format!(
                        "object written with a customer-provided key (SSE-C) in {}",
                        i.bucket()
                    ),
                ));
            }
            let key = text(get_ci(req, "x-amz-server-side-encryption-aws-kms-key-id"))
                .or_else(|| text(get_ci(req, "SSEKMSKeyId")))?;
            let owner = arn_account(key)?;
            (!i.is_known_account(owner)).then(|| {
                let mut h = i.hit(
                    rule::AWS_S3_RANSOMWARE_REENCRYPTION,
                    format!(
                        "object written with a KMS key of account {owner} in {}",
                        i.bucket()
                    ),
                );
                h.evidence.push(("kms_key", key.to_string()));
                h
            })
        }
        ("kms", "ScheduleKeyDeletion" | "DisableKey" | "PutKeyPolicy") => {
            let key = i
                .request()
                .and_then(|r| text(get_ci(r, "keyId")))
                .unwrap_or("?")
                .to_string();
            let mut h = if i.action == "PutKeyPolicy" {
                i.hit(
                    rule::AWS_KMS_KEY_POLICY_CHANGED,
                    format!("key policy of {key} replaced"),
                )
            } else {
                i.hit(
                    rule::AWS_KMS_KEY_DELETION_SCHEDULED,
                    format!("{} on KMS key {key}", i.action),
                )
            };
            h.resources.push(key);
            Some(h)
        }
        _ => None,
    }
}

fn trail_hit(i: &Input, rule: &'static str, what: &str) -> RuleHit {
    let name = i
        .request()
        .and_then(|r| text(get_ci(r, "name")))
        .unwrap_or("?")
        .to_string();
    let mut h = i.hit(rule, format!("CloudTrail trail {name} {what}"));
    h.resources.push(name);
    h
}

/// Objects expiring within this many days are a time bomb (high); up to
/// [`SHORT_RETENTION_DAYS`] a change worth a look (low); beyond, ordinary retention.
const DESTRUCTIVE_EXPIRY_DAYS: f64 = 7.0;
const SHORT_RETENTION_DAYS: f64 = 90.0;

/// PutBucketLifecycle(Configuration) rules that expire current or noncurrent object versions
/// soon. Ransomware and cover-ups set a day or two; 30, 90 or 730-day retention is ordinary
/// housekeeping and is not reported past [`SHORT_RETENTION_DAYS`].
fn lifecycle(i: &Input) -> Option<RuleHit> {
    let cfg = get_ci(i.request()?, "LifecycleConfiguration")?;
    let rules = get_ci(cfg, "Rule").or_else(|| get_ci(cfg, "Rules"))?;
    let number = |v: Option<&Value>| -> Option<f64> {
        let v = v?;
        v.as_f64()
            .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
    };
    // The soonest expiry among the enabled rules, in days (a date expiry counts from the
    // event's time).
    let mut soonest: Option<f64> = None;
    for r in one_or_many(rules) {
        let enabled = text(get_ci(r, "Status")).is_none_or(|s| s.eq_ignore_ascii_case("Enabled"));
        if !enabled {
            continue;
        }
        let mut days: Vec<f64> = Vec::new();
        if let Some(e) = get_ci(r, "Expiration") {
            days.extend(number(get_ci(e, "Days")));
            if let Some(date) = text(get_ci(e, "Date")) {
                let t = crate::time::parse_rfc3339(date.as_bytes())
                    .or_else(|| crate::time::parse_rfc3339(format!("{date}T00:00:00Z").as_bytes()));
                if let Some(t) = t {
                    days.push(((t - i.ev.time) as f64 / 86_400e9).max(0.0));
                }
            }
        }
        if let Some(e) = get_ci(r, "NoncurrentVersionExpiration") {
            days.extend(number(get_ci(e, "NoncurrentDays")));
        }
        for d in days {
            soonest = Some(soonest.map_or(d, |s: f64| s.min(d)));
        }
    }
    let days = soonest?;
    if days > SHORT_RETENTION_DAYS {
        return None;
    }
    let mut h = i.hit(
        rule::AWS_S3_LIFECYCLE_EXPIRATION,
        format!(
            "lifecycle rule on bucket {} expires objects after {days:.0} day(s)",
            i.bucket()
        ),
    );
    if days > DESTRUCTIVE_EXPIRY_DAYS {
        h.severity = crate::catalogue::Catalogue::get().level(
            h.rule,
            crate::catalogue::Case::LongExpiry,
            h.severity,
        );
    }
    h.evidence.push(("expiration_days", format!("{days:.0}")));
    Some(h)
}

/// What a trail's selectors log: management and S3 object data events, reads and writes.
#[derive(Default, Clone, Copy)]
struct Logged {
    mgmt_read: bool,
    mgmt_write: bool,
    s3_read: bool,
    s3_write: bool,
}

/// `ReadOnly` / `WriteOnly` / `All` (basic selectors) as (reads, writes).
fn read_write(v: Option<&Value>) -> (bool, bool) {
    match text(v) {
        Some(t) if t.eq_ignore_ascii_case("ReadOnly") => (true, false),
        Some(t) if t.eq_ignore_ascii_case("WriteOnly") => (false, true),
        _ => (true, true),
    }
}

fn basic_selectors(sel: &Value) -> Logged {
    let mut l = Logged::default();
    for s in one_or_many(sel) {
        let (r, w) = read_write(get_ci(s, "readWriteType"));
        if get_ci(s, "includeManagementEvents").and_then(Value::as_bool) != Some(false) {
            l.mgmt_read |= r;
            l.mgmt_write |= w;
        }
        let s3 = get_ci(s, "dataResources").is_some_and(|d| {
            one_or_many(d)
                .iter()
                .any(|r| text(get_ci(r, "type")) == Some("AWS::S3::Object"))
        });
        if s3 {
            l.s3_read |= r;
            l.s3_write |= w;
        }
    }
    l
}

/// Advanced selectors: each is an AND of field conditions (`eventCategory`,
/// `resources.type`, `readOnly`, …); the trail logs the union of the selectors.
fn advanced_selectors(sel: &Value) -> Logged {
    let mut l = Logged::default();
    for s in one_or_many(sel) {
        let fields = get_ci(s, "fieldSelectors")
            .map(one_or_many)
            .unwrap_or_default();
        let values = |field: &str, key: &str| -> Option<Vec<String>> {
            fields
                .iter()
                .find(|f| text(get_ci(f, "field")).is_some_and(|x| x.eq_ignore_ascii_case(field)))
                .and_then(|f| get_ci(f, key))
                .map(|v| {
                    one_or_many(v)
                        .iter()
                        .filter_map(|x| x.as_str().map(str::to_string))
                        .collect()
                })
        };
        let has = |v: &Option<Vec<String>>, x: &str| {
            v.as_ref()
                .is_some_and(|v| v.iter().any(|y| y.eq_ignore_ascii_case(x)))
        };
        let category = values("eventCategory", "equals");
        let read_only = values("readOnly", "equals");
        let (r, w) = match (has(&read_only, "true"), has(&read_only, "false")) {
            (true, false) => (true, false),
            (false, true) => (false, true),
            _ => (true, true),
        };
        if has(&category, "Management") {
            l.mgmt_read |= r;
            l.mgmt_write |= w;
        }
        let types = values("resources.type", "equals");
        let not_types = values("resources.type", "notEquals");
        if has(&category, "Data")
            && has(&types, "AWS::S3::Object")
            && !has(&not_types, "AWS::S3::Object")
        {
            l.s3_read |= r;
            l.s3_write |= w;
        }
    }
    l
}

/// PutEventSelectors / PutAdvancedEventSelectors that stop logging management events or S3
/// data events, or keep only their reads or only their writes (a trail that logs S3 reads
/// only no longer sees DeleteObject; writes only, no longer GetObject).
fn event_selectors(i: &Input) -> Option<RuleHit> {
    let req = i.request()?;
    let trail = text(get_ci(req, "trailName")).unwrap_or("?").to_string();
    let l = if let Some(sel) = get_ci(req, "eventSelectors") {
        basic_selectors(sel)
    } else if let Some(sel) = get_ci(req, "advancedEventSelectors") {
        advanced_selectors(sel)
    } else {
        return None;
    };
    let mgmt = match (l.mgmt_read, l.mgmt_write) {
        (false, false) => Some("no management events"),
        (true, false) => Some("management reads only"),
        (false, true) => Some("management writes only"),
        (true, true) => None,
    };
    let s3 = match (l.s3_read, l.s3_write) {
        (false, false) => Some("no S3 data events"),
        (true, false) => Some("S3 data reads only (no PutObject, DeleteObject)"),
        (false, true) => Some("S3 data writes only (no GetObject)"),
        (true, true) => None,
    };
    let what = match (mgmt, s3) {
        (None, None) => return None,
        (Some(m), Some(d)) => format!("{m} and {d}"),
        (Some(x), None) | (None, Some(x)) => x.to_string(),
    };
    let mut h = i.hit(
        rule::AWS_CLOUDTRAIL_DATA_EVENTS_DROPPED,
        format!("event selectors of trail {trail} now log {what}"),
    );
    if mgmt.is_none() {
        // Many trails never logged (all) S3 data events; this is a change to look at, not an
        // alarm.
        h.severity = crate::catalogue::Catalogue::get().level(
            h.rule,
            crate::catalogue::Case::SelectorsOnly,
            h.severity,
        );
    }
    h.resources.push(trail);
    Some(h)
}

fn find_key<'v>(v: &'v Value, key: &str) -> Option<&'v str> {
    match v {
        Value::Object(m) => m.iter().find_map(|(k, x)| {
            if k.eq_ignore_ascii_case(key) {
                x.as_str()
            } else {
                find_key(x, key)
            }
        }),
        Value::Array(a) => a.iter().find_map(|x| find_key(x, key)),
        _ => None,
    }
}

/// The key version a Cloud KMS call names (`projects/…/cryptoKeys/K/cryptoKeyVersions/N`),
/// bounded for the title.
fn kms_key_version(i: &Input) -> String {
    let name = i
        .request()
        .and_then(|r| {
            text(get_ci(r, "name"))
                .or_else(|| get_ci(r, "cryptoKeyVersion").and_then(|v| text(get_ci(v, "name"))))
        })
        .unwrap_or("");
    crate::text::bounded(name, 300)
}

fn gcp(i: &Input) -> Option<RuleHit> {
    let m = i.action.strip_prefix("google.").unwrap_or(i.action);
    match m {
        // A customer-managed key (CMEK) version destroyed or disabled: what it encrypts (buckets
        // with it as default key, objects written with it) can no longer be read.
        // (Audit logs write the full method, `google.cloud.kms.v1.KeyManagementService.…`.)
        _ if m.rsplit('.').next() == Some("DestroyCryptoKeyVersion") => Some(i.hit(
            rule::GCP_KMS_KEY_VERSION_DISABLED,
            format!("key version {} destroyed", kms_key_version(i)),
        )),
        _ if m.rsplit('.').next() == Some("UpdateCryptoKeyVersion") => {
            let req = i.request()?;
            let version = get_ci(req, "cryptoKeyVersion").unwrap_or(req);
            let state = text(get_ci(version, "state")).unwrap_or("");
            state.eq_ignore_ascii_case("DISABLED").then(|| {
                i.hit(
                    rule::GCP_KMS_KEY_VERSION_DISABLED,
                    format!("key version {} disabled", kms_key_version(i)),
                )
            })
        }
        "storage.buckets.delete" => Some(i.hit(
            rule::GCP_GCS_BUCKET_DELETED,
            format!("bucket {} deleted", i.bucket()),
        )),
        "storage.buckets.update" | "storage.buckets.patch" => {
            let req = i.request()?.to_string();
            if req.contains("retentionPolicy")
                && (req.contains("\"retentionPeriod\":null")
                    || req.contains("\"retentionPolicy\":null")
                    || req.contains("\"retentionPolicy\":{}"))
            {
                Some(i.hit(
                    rule::GCP_GCS_RETENTION_REMOVED,
                    format!("retention policy removed from bucket {}", i.bucket()),
                ))
            } else if req.contains("defaultKmsKeyName") || req.contains("\"encryption\"") {
                Some(i.hit(
                    rule::GCP_GCS_CMEK_CHANGED,
                    format!("default encryption key of bucket {} changed", i.bucket()),
                ))
            } else {
                None
            }
        }
        // `m` has lost its `google.` prefix: Cloud Logging names its methods
        // `google.logging.v2.ConfigServiceV2.*`.
        _ if m.starts_with("logging.v2.ConfigServiceV2.") => {
            // Where logs go (sinks), what is dropped (exclusions) and where they are kept
            // (log buckets: deletion, retention): each can blind the audit trail.
            let what = m.rsplit('.').next().unwrap_or(m);
            let blinding = matches!(
                what,
                "DeleteSink"
                    | "UpdateSink"
                    | "CreateExclusion"
                    | "UpdateExclusion"
                    | "DeleteBucket"
                    | "UpdateBucket"
                    | "UpdateBucketAsync"
                    | "UpdateSettings"
                    | "UpdateCmekSettings"
            );
            blinding.then(|| {
                i.hit(
                    rule::GCP_LOGGING_AUDIT_CONFIG_CHANGED,
                    format!("Cloud Logging configuration changed ({what})"),
                )
            })
        }
        _ if m.ends_with("SetIamPolicy") && !m.starts_with("storage.") => audit_config(i),
        _ => None,
    }
}

/// A SetIamPolicy that removes Data Access audit logging. The record's `serviceData`
/// carries the change as `policyDelta.auditConfigDeltas` (action `REMOVE`); without it, a
/// request that replaces `auditConfigs` (its update mask names them) is reported, as what it
/// removed cannot be told.
fn audit_config(i: &Input) -> Option<RuleHit> {
    let req = i.request()?;
    if let Some(deltas) = path(req, &["policyDelta", "auditConfigDeltas"]) {
        let removed: Vec<String> = one_or_many(deltas)
            .into_iter()
            .filter(|d| text(get_ci(d, "action")).is_some_and(|a| a.eq_ignore_ascii_case("REMOVE")))
            .map(|d| {
                format!(
                    "{} {}",
                    text(get_ci(d, "service")).unwrap_or("?"),
                    text(get_ci(d, "logType")).unwrap_or("?")
                )
            })
            .collect();
        if removed.is_empty() {
            return None;
        }
        let mut h = i.hit(
            rule::GCP_LOGGING_AUDIT_CONFIG_CHANGED,
            format!("Data Access audit logging removed: {}", removed.join(", ")),
        );
        h.evidence.push(("removed", removed.join(", ")));
        return Some(h);
    }
    let raw = req.to_string();
    (raw.contains("auditConfigs") && raw.contains("updateMask")).then(|| {
        i.hit(
            rule::GCP_LOGGING_AUDIT_CONFIG_CHANGED,
            "Data Access audit configuration replaced in an IAM policy",
        )
    })
}

fn azure(i: &Input) -> Option<RuleHit> {
    let op = i.action;
    if let Some(h) = key_vault_deletion(i) {
        return Some(h);
    }
    if ends_with_ci(op, "microsoft.insights/diagnosticsettings/delete") {
        // On a storage account, its logs stop; on another resource (a key vault) the same
        // blinding move is worth the same look.
        let on = if i.bucket().is_empty() {
            "a resource that is not a storage account".to_string()
        } else {
            format!("storage account {}", i.bucket())
        };
        return Some(i.hit(
            rule::AZURE_STORAGE_DIAGNOSTICS_DELETED,
            format!("diagnostic settings of {on} deleted"),
        ));
    }
    // A delete lock removed from a storage account: the step before deleting it.
    if ends_with_ci(op, "microsoft.authorization/locks/delete") && !i.bucket().is_empty() {
        return Some(i.hit(
            rule::AZURE_STORAGE_LOCK_DELETED,
            format!("resource lock removed from storage account {}", i.bucket()),
        ));
    }
    if op.eq_ignore_ascii_case("microsoft.storage/storageaccounts/delete") {
        return Some(i.hit(
            rule::AZURE_STORAGE_ACCOUNT_DELETED,
            format!("storage account {} deleted", i.bucket()),
        ));
    }
    if find_ci(op, "/immutabilitypolicies/delete").is_some()
        || ends_with_ci(op, "/clearlegalhold/action")
    {
        return Some(i.hit(
            rule::AZURE_STORAGE_IMMUTABILITY_CHANGED,
            format!("immutability removed ({})", i.action),
        ));
    }
    if ends_with_ci(op, "/blobservices/write") {
        let props = i.request()?;
        let body = get_ci(props, "requestbody").and_then(parse_embedded)?;
        let p = get_ci(&body, "properties").unwrap_or(&body);
        let soft =
            path(p, &["deleteRetentionPolicy", "enabled"]).and_then(Value::as_bool) == Some(false);
        let container_soft = path(p, &["containerDeleteRetentionPolicy", "enabled"])
            .and_then(Value::as_bool)
            == Some(false);
        let versioning = get_ci(p, "isVersioningEnabled").and_then(Value::as_bool) == Some(false);
        if soft || container_soft || versioning {
            let what = [
                (soft, "blob soft delete"),
                (container_soft, "container soft delete"),
                (versioning, "versioning"),
            ]
            .iter()
            .filter(|(on, _)| *on)
            .map(|(_, w)| *w)
            .collect::<Vec<_>>()
            .join(", ");
            return Some(i.hit(
                rule::AZURE_STORAGE_SOFT_DELETE_DISABLED,
                format!("{what} disabled on storage account {}", i.bucket()),
            ));
        }
        return None;
    }
    if i.b
        .str(i.ev.status)
        .eq_ignore_ascii_case("BlobUsesCustomerSpecifiedEncryption")
    {
        return Some(i.hit(
            rule::AZURE_BLOB_CPK_REENCRYPTION,
            format!(
                "blob {}/{} is encrypted with a customer-provided key",
                i.bucket(),
                i.object()
            ),
        ));
    }
    None
}

/// A Key Vault key, or a whole vault, deleted or purged. Storage encrypted with the key (a
/// customer-managed key) cannot be read from that moment: deleted, it can still be recovered
/// within the soft-delete retention (high); purged, never (critical). The Activity log writes
/// vault deletions and purges (`…/vaults/delete`, `…/deletedVaults/purge/action`); the vault's
/// own AuditEvent log writes `KeyDelete`, `KeyPurge`, `VaultDelete` and `VaultPurge`.
fn key_vault_deletion(i: &Input) -> Option<RuleHit> {
    let op = i.action;
    let purged = ends_with_ci(op, "/deletedvaults/purge/action")
        || ends_with_ci(op, "/deletedmanagedhsms/purge/action")
        || op.eq_ignore_ascii_case("VaultPurge")
        || op.eq_ignore_ascii_case("KeyPurge");
    let deleted = op.eq_ignore_ascii_case("microsoft.keyvault/vaults/delete")
        || op.eq_ignore_ascii_case("microsoft.keyvault/managedhsms/delete")
        || op.eq_ignore_ascii_case("VaultDelete")
        || op.eq_ignore_ascii_case("KeyDelete");
    if !purged && !deleted {
        return None;
    }
    let key = op
        .as_bytes()
        .get(..3)
        .is_some_and(|p| p.eq_ignore_ascii_case(b"key"));
    // The AuditEvent names what it acted on in `properties.id`
    // (`https://VAULT.vault.azure.net/keys/KEY`), the portal's form in `properties.entity`.
    let id = i
        .request()
        .and_then(|p| text(get_ci(p, "id")).or_else(|| text(get_ci(p, "entity"))))
        .map(|s| crate::text::bounded(s, 200));
    let what = if key { "key" } else { "key vault" };
    let how = if purged { "purged" } else { "deleted" };
    let mut h = i.hit(
        rule::AZURE_KEYVAULT_KEY_DELETED,
        match &id {
            Some(id) => format!("{what} {id} {how}"),
            None => format!("{what} {how} ({})", crate::text::bounded(op, 80)),
        },
    );
    if !purged {
        h.severity = crate::catalogue::Catalogue::get().level(
            h.rule,
            crate::catalogue::Case::Recoverable,
            h.severity,
        );
    }
    if let Some(id) = id {
        h.resources.push(id);
    }
    Some(h)
}

#[cfg(test)]
mod tests {
    use super::super::test_util::{ct, rule_of};

    #[test]
    fn key_vault_purges() {
        // The vault's AuditEvent log, as Azure Monitor exports it (identity under `claim`).
        let audit = |op: &str| {
            format!(
                r#"{{"time":"2026-03-01T02:40:00.1234567Z","resourceId":"/SUBSCRIPTIONS/361DA5D4-A47A-4C79-AFDD-000000000000/RESOURCEGROUPS/RG/PROVIDERS/MICROSOFT.KEYVAULT/VAULTS/CONTOSO-KV","operationName":"{op}","operationVersion":"7.4","category":"AuditEvent","resultType":"Success","resultSignature":"OK","durationMs":"78","callerIpAddress":"203.0.113.9","correlationId":"","identity":{{"claim":{{"http://schemas.microsoft.com/identity/claims/objectidentifier":"d9da5048-2737-4770-bd64-000000000001","appid":"04b07795-8ddb-461a-bbee-02f9e1bf7b46","http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn":"mallory@contoso.example"}}}},"properties":{{"id":"https://contoso-kv.vault.azure.net/keys/storage-cmk","clientInfo":"AzureCLI/2.60.0","httpStatusCode":200,"requestUri":"https://contoso-kv.vault.azure.net/deletedkeys/storage-cmk?api-version=7.4"}}}}"#
            )
        };
        let hit = |text: &str| {
            super::super::test_util::hits(text, &super::super::RuleSet::default())
                .into_iter()
                .find_map(|(_, h)| h)
                .map(|h| (h.rule, h.severity))
        };
        use crate::catalogue::Severity;
        let id = "azure.keyvault.key_deleted";
        assert_eq!(hit(&audit("KeyPurge")), Some((id, Severity::Critical)));
        assert_eq!(
            hit(&audit("KeyDelete")),
            Some((id, Severity::High)),
            "soft-deleted: unreadable storage, but recoverable"
        );
        assert_eq!(hit(&audit("KeyGet")), None);
        let activity = r#"{"time":"2026-03-01T02:41:00Z","resourceId":"/subscriptions/s/providers/Microsoft.KeyVault/locations/westeurope/deletedVaults/contoso-kv","operationName":"Microsoft.KeyVault/locations/deletedVaults/purge/action","category":"Administrative","resultType":"Success","callerIpAddress":"203.0.113.9","identity":{"claims":{"http://schemas.microsoft.com/identity/claims/objectidentifier":"d9da5048-2737-4770-bd64-000000000001"}},"properties":{}}"#;
        assert_eq!(hit(activity), Some((id, Severity::Critical)));
        // The Activity log as the portal and REST API show it: names wrapped in objects.
        let portal = r#"{"time":"2026-03-01T02:41:00Z","operationName":{"value":"MICROSOFT.KEYVAULT/VAULTS/DELETE","localizedValue":"Delete Key Vault"},"category":{"value":"Administrative"},"resultType":"Success","properties":{"entity":"/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/contoso-kv"}}"#;
        assert_eq!(hit(portal), Some((id, Severity::High)));
    }

    #[test]
    fn s3_logging() {
        // Panther's test event: an empty BucketLoggingStatus switches logging off.
        let off = ct(
            "s3.amazonaws.com",
            "PutBucketLogging",
            r#"{"logging":"","bucketName":"critical-data-bucket","BucketLoggingStatus":{"xmlns":"http://s3.amazonaws.com/doc/2006-03-01/"}}"#,
        );
        assert_eq!(rule_of(&off), Some("aws.s3.logging_disabled"));
        let on = ct(
            "s3.amazonaws.com",
            "PutBucketLogging",
            r#"{"bucketName":"b","BucketLoggingStatus":{"LoggingEnabled":{"TargetBucket":"logs","TargetPrefix":"b/"}}}"#,
        );
        assert_eq!(rule_of(&on), None);
    }

    #[test]
    fn cloudtrail_tampering() {
        assert_eq!(
            rule_of(&ct(
                "cloudtrail.amazonaws.com",
                "StopLogging",
                r#"{"name":"t"}"#
            )),
            Some("aws.cloudtrail.stop_logging")
        );
        assert_eq!(
            rule_of(&ct(
                "cloudtrail.amazonaws.com",
                "DeleteTrail",
                r#"{"name":"t"}"#
            )),
            Some("aws.cloudtrail.trail_deleted")
        );
        assert_eq!(
            rule_of(&ct(
                "cloudtrail.amazonaws.com",
                "StartLogging",
                r#"{"name":"t"}"#
            )),
            None
        );
        let drop = ct(
            "cloudtrail.amazonaws.com",
            "PutEventSelectors",
            r#"{"eventSelectors":[{"dataResources":[],"includeManagementEvents":false,"readWriteType":"All"}],"trailName":"t"}"#,
        );
        assert_eq!(rule_of(&drop), Some("aws.cloudtrail.data_events_dropped"));
        let full = ct(
            "cloudtrail.amazonaws.com",
            "PutEventSelectors",
            r#"{"eventSelectors":[{"dataResources":[{"type":"AWS::S3::Object","values":["arn:aws:s3"]}],"includeManagementEvents":true,"readWriteType":"All"}],"trailName":"t"}"#,
        );
        assert_eq!(rule_of(&full), None);
    }

    /// Cloud KMS key versions destroyed or disabled (CMEK), as Cloud Audit Logs write the
    /// calls; enabling one, or another change, is quiet.
    #[test]
    fn gcp_kms_key_version_destroyed_or_disabled() {
        let call = |method: &str, request: &str| {
            format!(
                r#"{{"protoPayload":{{"@type":"type.googleapis.com/google.cloud.audit.AuditLog","status":{{}},"authenticationInfo":{{"principalEmail":"ops@acme.example"}},"requestMetadata":{{"callerIp":"203.0.113.7"}},"serviceName":"cloudkms.googleapis.com","methodName":"{method}","resourceName":"projects/p/locations/global/keyRings/r/cryptoKeys/k/cryptoKeyVersions/1","request":{request}}},"resource":{{"type":"cloudkms_cryptokeyversion","labels":{{"project_id":"p"}}}},"timestamp":"2026-03-01T02:00:00Z","logName":"projects/p/logs/cloudaudit.googleapis.com%2Factivity"}}"#
            )
        };
        let name = "projects/p/locations/global/keyRings/r/cryptoKeys/k/cryptoKeyVersions/1";
        let destroy = call(
            "DestroyCryptoKeyVersion",
            &format!(
                r#"{{"@type":"type.googleapis.com/google.cloud.kms.v1.DestroyCryptoKeyVersionRequest","name":"{name}"}}"#
            ),
        );
        assert_eq!(rule_of(&destroy), Some("gcp.kms.key_version_disabled"));
        let full = destroy.replace(
            "\"DestroyCryptoKeyVersion\"",
            "\"google.cloud.kms.v1.KeyManagementService.DestroyCryptoKeyVersion\"",
        );
        assert_eq!(rule_of(&full), Some("gcp.kms.key_version_disabled"));
        let disable = call(
            "google.cloud.kms.v1.KeyManagementService.UpdateCryptoKeyVersion",
            &format!(
                r#"{{"cryptoKeyVersion":{{"name":"{name}","state":"DISABLED"}},"updateMask":"state"}}"#
            ),
        );
        assert_eq!(rule_of(&disable), Some("gcp.kms.key_version_disabled"));
        let enable = disable.replace("DISABLED", "ENABLED");
        assert_eq!(rule_of(&enable), None);
    }

    #[test]
    fn versioning_lifecycle_encryption() {
        let versioning = |cfg: &str| {
            ct(
                "s3.amazonaws.com",
                "PutBucketVersioning",
                &format!(r#"{{"bucketName":"b","VersioningConfiguration":{cfg}}}"#),
            )
        };
        let suspend = versioning(r#"{"Status":"Suspended"}"#);
        assert_eq!(rule_of(&suspend), Some("aws.s3.versioning_suspended"));
        let enable = versioning(r#"{"Status":"Enabled","MfaDelete":"Enabled"}"#);
        assert_eq!(rule_of(&enable), None);
        let mfa_off = versioning(r#"{"Status":"Enabled","MfaDelete":"Disabled"}"#);
        assert_eq!(rule_of(&mfa_off), Some("aws.s3.mfa_delete_disabled"));
        let odd = versioning(r#"{"Status":"Disabled"}"#);
        assert_eq!(rule_of(&odd), Some("aws.s3.versioning_suspended"));
        let both = versioning(r#"{"Status":"Suspended","MfaDelete":"Disabled"}"#);
        assert_eq!(rule_of(&both), Some("aws.s3.versioning_suspended"));
        let replication_gone = ct(
            "s3.amazonaws.com",
            "DeleteBucketReplication",
            r#"{"bucketName":"b","replication":""}"#,
        );
        assert_eq!(
            rule_of(&replication_gone),
            Some("aws.s3.replication_deleted")
        );
        let expire = ct(
            "s3.amazonaws.com",
            "PutBucketLifecycle",
            r#"{"bucketName":"b","LifecycleConfiguration":{"Rule":{"Expiration":{"Days":1},"Filter":{"Prefix":"*"},"ID":"nuke","Status":"Enabled"}}}"#,
        );
        assert_eq!(rule_of(&expire), Some("aws.s3.lifecycle_expiration"));
        let transition = ct(
            "s3.amazonaws.com",
            "PutBucketLifecycleConfiguration",
            r#"{"bucketName":"b","LifecycleConfiguration":{"Rule":[{"Transition":{"Days":30,"StorageClass":"GLACIER"},"Status":"Enabled"}]}}"#,
        );
        assert_eq!(rule_of(&transition), None);
        assert_eq!(
            rule_of(&ct(
                "s3.amazonaws.com",
                "DeleteBucketEncryption",
                r#"{"bucketName":"b"}"#
            )),
            Some("aws.s3.encryption_removed")
        );
        let own_key = ct(
            "s3.amazonaws.com",
            "PutBucketEncryption",
            r#"{"bucketName":"b","ServerSideEncryptionConfiguration":{"Rule":{"ApplyServerSideEncryptionByDefault":{"SSEAlgorithm":"aws:kms","KMSMasterKeyID":"arn:aws:kms:us-east-1:111122223333:key/k"}}}}"#,
        );
        assert_eq!(rule_of(&own_key), None);
        let foreign_key = own_key.replace("111122223333:key", "999988887777:key");
        assert_eq!(rule_of(&foreign_key), Some("aws.s3.encryption_removed"));
    }

    #[test]
    fn ransomware_and_kms() {
        let ssec = ct(
            "s3.amazonaws.com",
            "CopyObject",
            r#"{"bucketName":"b","key":"k","x-amz-server-side-encryption-customer-algorithm":"AES256"}"#,
        );
        assert_eq!(rule_of(&ssec), Some("aws.s3.ransomware_reencryption"));
        assert_eq!(
            rule_of(&ct(
                "s3.amazonaws.com",
                "CopyObject",
                r#"{"bucketName":"b","key":"k"}"#
            )),
            None
        );
        assert_eq!(
            rule_of(&ct(
                "kms.amazonaws.com",
                "ScheduleKeyDeletion",
                r#"{"keyId":"k","pendingWindowInDays":7}"#
            )),
            Some("aws.kms.key_deletion_scheduled")
        );
        assert_eq!(
            rule_of(&ct("kms.amazonaws.com", "Decrypt", r#"{"keyId":"k"}"#)),
            None
        );
    }

    fn azure(op: &str, body: &str) -> String {
        format!(
            r#"{{"time":"2024-03-01T02:00:00Z","resourceId":"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/acct","operationName":"{op}","category":"Administrative","resultType":"Success","callerIpAddress":"203.0.113.9","identity":{{"claims":{{"http://schemas.microsoft.com/identity/claims/objectidentifier":"11111111-2222-3333-4444-555555555555"}}}},"properties":{{"requestbody":{body}}}}}"#
        )
    }

    #[test]
    fn azure_tampering() {
        let off = azure(
            "Microsoft.Storage/storageAccounts/blobServices/write",
            r#""{\"properties\":{\"deleteRetentionPolicy\":{\"enabled\":false},\"isVersioningEnabled\":false}}""#,
        );
        assert_eq!(rule_of(&off), Some("azure.storage.soft_delete_disabled"));
        let on = azure(
            "Microsoft.Storage/storageAccounts/blobServices/write",
            r#""{\"properties\":{\"deleteRetentionPolicy\":{\"enabled\":true,\"days\":7}}}""#,
        );
        assert_eq!(rule_of(&on), None);
        assert_eq!(
            rule_of(&azure(
                "MICROSOFT.INSIGHTS/DIAGNOSTICSETTINGS/DELETE",
                "null"
            )),
            Some("azure.storage.diagnostics_deleted")
        );
        assert_eq!(
            rule_of(&azure("Microsoft.Storage/storageAccounts/delete", "null")),
            Some("azure.storage.account_deleted")
        );
        assert_eq!(
            rule_of(&azure("Microsoft.Storage/storageAccounts/read", "null")),
            None
        );
    }

    #[test]
    fn trail_policy_lock_and_key_policy() {
        assert_eq!(
            rule_of(&ct(
                "cloudtrail.amazonaws.com",
                "UpdateTrail",
                r#"{"name":"main","s3BucketName":"elsewhere"}"#
            )),
            Some("aws.cloudtrail.trail_updated")
        );
        assert_eq!(
            rule_of(&ct(
                "cloudtrail.amazonaws.com",
                "DescribeTrails",
                r#"{"trailNameList":[]}"#
            )),
            None
        );
        assert_eq!(
            rule_of(&ct(
                "s3.amazonaws.com",
                "DeleteBucketPolicy",
                r#"{"bucketName":"b","policy":""}"#
            )),
            Some("aws.s3.bucket_policy_deleted")
        );
        assert_eq!(
            rule_of(&ct(
                "s3.amazonaws.com",
                "GetBucketPolicy",
                r#"{"bucketName":"b","policy":""}"#
            )),
            None
        );
        // Object lock: bypassing governance retention or lifting a legal hold weakens it;
        // setting a retention date does not.
        let bypass = ct(
            "s3.amazonaws.com",
            "PutObjectRetention",
            r#"{"bucketName":"vault","key":"k","retention":"","x-amz-bypass-governance-retention":"true","Retention":{"Mode":"GOVERNANCE","RetainUntilDate":"2024-03-02T00:00:00Z"}}"#,
        );
        assert_eq!(rule_of(&bypass), Some("aws.s3.object_lock_changed"));
        let extend = ct(
            "s3.amazonaws.com",
            "PutObjectRetention",
            r#"{"bucketName":"vault","key":"k","retention":"","Retention":{"Mode":"COMPLIANCE","RetainUntilDate":"2030-01-01T00:00:00Z"}}"#,
        );
        assert_eq!(rule_of(&extend), None);
        let hold_off = ct(
            "s3.amazonaws.com",
            "PutObjectLegalHold",
            r#"{"bucketName":"vault","key":"k","legal-hold":"","LegalHold":{"Status":"OFF"}}"#,
        );
        assert_eq!(rule_of(&hold_off), Some("aws.s3.object_lock_changed"));
        assert_eq!(rule_of(&hold_off.replace("\"OFF\"", "\"ON\"")), None);
        let policy = ct(
            "kms.amazonaws.com",
            "PutKeyPolicy",
            r#"{"keyId":"arn:aws:kms:us-east-1:111122223333:key/1234abcd","policyName":"default","policy":"{}"}"#,
        );
        assert_eq!(rule_of(&policy), Some("aws.kms.key_policy_changed"));
        assert_eq!(
            rule_of(&policy.replace("PutKeyPolicy", "GetKeyPolicy")),
            None
        );
    }

    #[test]
    fn insights_events() {
        let insight = r#"{"eventVersion":"1.08","eventTime":"2024-03-01T02:00:00Z","awsRegion":"us-east-1","eventID":"e","eventType":"AwsCloudTrailInsight","recipientAccountId":"111122223333","sharedEventID":"s","insightDetails":{"state":"Start","eventSource":"s3.amazonaws.com","eventName":"GetObject","insightType":"ApiCallRateInsight","insightContext":{"statistics":{"baseline":{"average":1.0},"insight":{"average":90.0}}}},"eventCategory":"Insight"}"#;
        assert_eq!(rule_of(insight), Some("aws.cloudtrail.insight"));
    }

    fn gcs_admin(method: &str, request: &str) -> String {
        format!(
            r#"{{"protoPayload":{{"@type":"type.googleapis.com/google.cloud.audit.AuditLog","authenticationInfo":{{"principalEmail":"ops@example.com"}},"methodName":"{method}","resourceName":"projects/_/buckets/records","serviceName":"storage.googleapis.com","request":{request},"status":{{}}}},"resource":{{"type":"gcs_bucket","labels":{{"bucket_name":"records","project_id":"p","location":"us"}}}},"logName":"projects/p/logs/cloudaudit.googleapis.com%2Factivity","timestamp":"2024-03-01T02:00:00Z"}}"#
        )
    }

    #[test]
    fn gcp_retention_cmek_and_audit_config() {
        let removed = gcs_admin(
            "storage.buckets.update",
            r#"{"@type":"type.googleapis.com/google.storage.v2.UpdateBucketRequest","bucket":{"name":"records","retentionPolicy":null},"updateMask":"retentionPolicy"}"#,
        );
        assert_eq!(rule_of(&removed), Some("gcp.gcs.retention_removed"));
        let set = gcs_admin(
            "storage.buckets.update",
            r#"{"bucket":{"name":"records","retentionPolicy":{"retentionPeriod":"2592000"}}}"#,
        );
        assert_eq!(rule_of(&set), None);
        let cmek = gcs_admin(
            "storage.buckets.patch",
            r#"{"bucket":{"name":"records","encryption":{"defaultKmsKeyName":"projects/other/locations/us/keyRings/r/cryptoKeys/k"}}}"#,
        );
        assert_eq!(rule_of(&cmek), Some("gcp.gcs.cmek_changed"));
        let labels = gcs_admin(
            "storage.buckets.patch",
            r#"{"bucket":{"name":"records","labels":{"team":"data"}}}"#,
        );
        assert_eq!(rule_of(&labels), None);
        let sink = gcs_admin("google.logging.v2.ConfigServiceV2.DeleteSink", "{}")
            .replace("storage.googleapis.com", "logging.googleapis.com")
            .replace("projects/_/buckets/records", "projects/p/sinks/to-siem")
            .replace(r#""type":"gcs_bucket""#, r#""type":"logging_sink""#);
        assert_eq!(rule_of(&sink), Some("gcp.logging.audit_config_changed"));
        assert_eq!(
            rule_of(&gcs_admin(
                "google.logging.v2.ConfigServiceV2.ListSinks",
                "{}"
            )),
            None
        );
        let audit = gcs_admin(
            "SetIamPolicy",
            r#"{"policy":{"auditConfigs":[{"service":"storage.googleapis.com"}]},"updateMask":"auditConfigs"}"#,
        );
        assert_eq!(rule_of(&audit), Some("gcp.logging.audit_config_changed"));
        let bindings = gcs_admin(
            "SetIamPolicy",
            r#"{"policy":{"bindings":[{"role":"roles/viewer","members":["user:a@example.com"]}]}}"#,
        );
        assert_eq!(rule_of(&bindings), None);
    }

    #[test]
    fn azure_immutability_and_customer_keys() {
        assert_eq!(
            rule_of(&azure(
                "Microsoft.Storage/storageAccounts/blobServices/containers/immutabilityPolicies/delete",
                "null"
            )),
            Some("azure.storage.immutability_changed")
        );
        assert_eq!(
            rule_of(&azure(
                "Microsoft.Storage/storageAccounts/blobServices/containers/clearLegalHold/action",
                "null"
            )),
            Some("azure.storage.immutability_changed")
        );
        assert_eq!(
            rule_of(&azure(
                "Microsoft.Storage/storageAccounts/blobServices/containers/immutabilityPolicies/write",
                "null"
            )),
            None
        );
        let blob = |status: &str, code: &str| {
            format!(
                r#"{{"time":"2024-03-01T02:00:00.1234567Z","resourceId":"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/acct/blobServices/default","category":"StorageRead","operationName":"GetBlob","operationVersion":"2021-08-06","schemaVersion":"1.0","statusCode":{code},"statusText":"{status}","durationMs":5,"callerIpAddress":"203.0.113.9:50123","correlationId":"c","identity":{{"type":"AccountKey","tokenHash":"key1(ABCDEF)"}},"location":"eastus","protocol":"HTTPS","uri":"https://acct.blob.core.windows.net/data/report.pdf","properties":{{"accountName":"acct","userAgentHeader":"azsdk-python-storage-blob/12.19.0","serviceType":"blob","objectKey":"/acct/data/report.pdf","responseBodySize":0}}}}"#
            )
        };
        assert_eq!(
            rule_of(&blob("BlobUsesCustomerSpecifiedEncryption", "409")),
            Some("azure.blob.cpk_reencryption")
        );
        assert_eq!(rule_of(&blob("Success", "200")), None);
    }

    #[test]
    fn gcp_bucket_delete() {
        let rec = r#"{"protoPayload":{"authenticationInfo":{"principalEmail":"a@example.com"},"methodName":"storage.buckets.delete","resourceName":"projects/_/buckets/prod-backups","serviceName":"storage.googleapis.com","status":{}},"resource":{"type":"gcs_bucket","labels":{"bucket_name":"prod-backups","project_id":"p"}},"logName":"projects/p/logs/cloudaudit.googleapis.com%2Factivity","timestamp":"2024-03-01T02:00:00Z"}"#;
        assert_eq!(rule_of(rec), Some("gcp.gcs.bucket_deleted"));
        assert_eq!(
            rule_of(&rec.replace("storage.buckets.delete", "storage.buckets.get")),
            None
        );
    }

    fn hit_of(text: &str) -> Option<crate::detect::rules::RuleHit> {
        let mut h = super::super::test_util::hits(text, &super::super::RuleSet::default());
        assert_eq!(h.len(), 1);
        h.pop().and_then(|x| x.1)
    }

    #[test]
    fn lifecycle_expiry_is_judged_by_how_soon() {
        use crate::catalogue::Severity;
        let rule = |days: &str| {
            ct(
                "s3.amazonaws.com",
                "PutBucketLifecycleConfiguration",
                &format!(
                    r#"{{"bucketName":"b","LifecycleConfiguration":{{"Rule":[{{"ID":"r","Status":"Enabled","Filter":{{}},{days}}}]}}}}"#
                ),
            )
        };
        let one = hit_of(&rule(r#""Expiration":{"Days":1}"#)).expect("a day: time bomb");
        assert_eq!(one.severity, Severity::High);
        let month = hit_of(&rule(r#""Expiration":{"Days":30}"#)).expect("short retention");
        assert_eq!(month.severity, Severity::Low);
        // Ordinary retention (Panther's 730-day negative).
        assert!(hit_of(&rule(r#""Expiration":{"Days":730}"#)).is_none());
        // Old versions gone in a day: the backups of a ransomware run.
        let nc = hit_of(&rule(
            r#""NoncurrentVersionExpiration":{"NoncurrentDays":1}"#,
        ))
        .unwrap();
        assert_eq!(nc.severity, Severity::High);
        // A date two days after the call.
        let date = hit_of(&rule(r#""Expiration":{"Date":"2024-03-03T00:00:00Z"}"#)).unwrap();
        assert_eq!(date.severity, Severity::High);
        // Only delete markers: no data expires.
        assert!(hit_of(&rule(r#""Expiration":{"ExpiredObjectDeleteMarker":true}"#)).is_none());
    }

    #[test]
    fn logging_status_missing_is_no_conclusion() {
        let trimmed = ct(
            "s3.amazonaws.com",
            "PutBucketLogging",
            r#"{"bucketName":"b"}"#,
        );
        assert_eq!(rule_of(&trimmed), None);
    }

    #[test]
    fn s3_names_on_other_services_are_not_s3_changes() {
        let block = ct(
            "ec2.amazonaws.com",
            "DeletePublicAccessBlock",
            r#"{"bucketName":"b"}"#,
        );
        assert_eq!(rule_of(&block), None);
        let s3 = ct(
            "s3.amazonaws.com",
            "DeletePublicAccessBlock",
            r#"{"bucketName":"b"}"#,
        );
        assert_eq!(rule_of(&s3), Some("aws.s3.public_access_block_removed"));
        let repl = ct(
            "ec2.amazonaws.com",
            "PutBucketReplication",
            r#"{"bucketName":"b","ReplicationConfiguration":{"Rule":{"Destination":{"Bucket":"arn:aws:s3:::x","Account":"999999999999"},"Status":"Enabled"}}}"#,
        );
        assert_eq!(rule_of(&repl), None);
    }

    #[test]
    fn selectors_that_keep_only_reads_or_writes() {
        let sel = |body: &str| ct("cloudtrail.amazonaws.com", "PutEventSelectors", body);
        let read_only = sel(
            r#"{"trailName":"t","eventSelectors":[{"readWriteType":"ReadOnly","includeManagementEvents":true,"dataResources":[{"type":"AWS::S3::Object","values":["arn:aws:s3"]}]}]}"#,
        );
        let h = hit_of(&read_only).expect("writes dropped");
        assert!(h.detail.contains("reads only"), "{}", h.detail);
        let all = sel(
            r#"{"trailName":"t","eventSelectors":[{"readWriteType":"All","includeManagementEvents":true,"dataResources":[{"type":"AWS::S3::Object","values":["arn:aws:s3"]}]}]}"#,
        );
        assert!(hit_of(&all).is_none());
        let adv = |body: &str| {
            ct(
                "cloudtrail.amazonaws.com",
                "PutAdvancedEventSelectors",
                body,
            )
        };
        let full = adv(
            r#"{"trailName":"t","advancedEventSelectors":[{"name":"m","fieldSelectors":[{"field":"eventCategory","equals":["Management"]}]},{"name":"s3","fieldSelectors":[{"field":"eventCategory","equals":["Data"]},{"field":"resources.type","equals":["AWS::S3::Object"]}]}]}"#,
        );
        assert!(hit_of(&full).is_none());
        let reads = adv(
            r#"{"trailName":"t","advancedEventSelectors":[{"name":"m","fieldSelectors":[{"field":"eventCategory","equals":["Management"]}]},{"name":"s3","fieldSelectors":[{"field":"eventCategory","equals":["Data"]},{"field":"resources.type","equals":["AWS::S3::Object"]},{"field":"readOnly","equals":["true"]}]}]}"#,
        );
        assert!(hit_of(&reads)
            .expect("writes dropped")
            .detail
            .contains("reads only"));
        // Naming S3 objects only to exclude them is not logging them.
        let excluded = adv(
            r#"{"trailName":"t","advancedEventSelectors":[{"name":"m","fieldSelectors":[{"field":"eventCategory","equals":["Management"]}]},{"name":"s3","fieldSelectors":[{"field":"eventCategory","equals":["Data"]},{"field":"resources.type","equals":["AWS::DynamoDB::Table"]},{"field":"resources.type","notEquals":["AWS::S3::Object"]}]}]}"#,
        );
        assert!(hit_of(&excluded)
            .expect("no S3 data")
            .detail
            .contains("no S3 data events"));
    }

    #[test]
    fn cloud_logging_buckets_and_audit_config_deltas() {
        let log_bucket = |m: &str| {
            format!(
                r#"{{"protoPayload":{{"@type":"type.googleapis.com/google.cloud.audit.AuditLog","authenticationInfo":{{"principalEmail":"ops@example.com"}},"methodName":"google.logging.v2.ConfigServiceV2.{m}","resourceName":"projects/p/locations/global/buckets/audit","serviceName":"logging.googleapis.com","request":{{"name":"projects/p/locations/global/buckets/audit"}},"status":{{}}}},"resource":{{"type":"logging_bucket","labels":{{"project_id":"p"}}}},"logName":"projects/p/logs/cloudaudit.googleapis.com%2Factivity","timestamp":"2024-03-01T02:00:00Z"}}"#
            )
        };
        assert_eq!(
            rule_of(&log_bucket("DeleteBucket")),
            Some("gcp.logging.audit_config_changed")
        );
        assert_eq!(
            rule_of(&log_bucket("UpdateExclusion")),
            Some("gcp.logging.audit_config_changed")
        );
        assert_eq!(rule_of(&log_bucket("ListBuckets")), None);
        let set_iam = |delta: &str| {
            format!(
                r#"{{"protoPayload":{{"@type":"type.googleapis.com/google.cloud.audit.AuditLog","authenticationInfo":{{"principalEmail":"ops@example.com"}},"methodName":"SetIamPolicy","resourceName":"projects/p","serviceName":"cloudresourcemanager.googleapis.com","request":{{"@type":"type.googleapis.com/google.iam.v1.SetIamPolicyRequest","policy":{{"bindings":[]}},"resource":"p"}},"serviceData":{{"@type":"type.googleapis.com/google.iam.v1.logging.AuditData","policyDelta":{{"auditConfigDeltas":[{{"action":"{delta}","service":"storage.googleapis.com","logType":"DATA_READ"}}]}}}},"status":{{}}}},"resource":{{"type":"project","labels":{{"project_id":"p"}}}},"logName":"projects/p/logs/cloudaudit.googleapis.com%2Factivity","timestamp":"2024-03-01T02:00:00Z"}}"#
            )
        };
        assert_eq!(
            rule_of(&set_iam("REMOVE")),
            Some("gcp.logging.audit_config_changed")
        );
        assert_eq!(
            rule_of(&set_iam("ADD")),
            None,
            "more logging is not tampering"
        );
    }

    #[test]
    fn azure_lock_removed_from_a_storage_account() {
        let text = include_str!(
            "../../../tests/corpus/azure_blob_logs/panther-activity-storage-accounts.jsonl"
        );
        let lock = text.lines().nth(10).unwrap();
        assert_eq!(rule_of(lock), Some("azure.storage.lock_deleted"));
        // A lock removed from something that is not a storage account.
        let other = lock.replace(
            "/providers/Microsoft.Storage/storageAccounts/criticaldata001",
            "/providers/Microsoft.KeyVault/vaults/kv1",
        );
        assert_eq!(rule_of(&other), None);
    }

    #[test]
    fn batch_deletes_in_cloudtrail() {
        let batch = ct(
            "s3.amazonaws.com",
            "DeleteObjects",
            r#"{"bucketName":"b","delete":""}"#,
        );
        assert_eq!(rule_of(&batch), Some("aws.s3.batch_delete"));
        let single = ct(
            "s3.amazonaws.com",
            "DeleteObject",
            r#"{"bucketName":"b","key":"k"}"#,
        );
        assert_eq!(rule_of(&single), None);
    }
}
