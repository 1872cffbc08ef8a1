//! `generate`: what it writes is read back whole by trailhound's own parsers, has the fields
//! the clouds document (real corpus samples as the reference), and depends only on the seed.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::{Path, PathBuf};

use serde_json::Value;
use trailhound::eval::parse_labels;
use trailhound::generate::{generate, Options};

use crate::common::{corpus_dir, read};

fn small(out: &Path, seed: u64) -> trailhound::generate::Report {
    generate(&Options {
        out: out.to_path_buf(),
        days: 21,
        seed,
        scale: 0.05,
    })
    .unwrap()
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn text(p: &Path) -> String {
    let bytes = std::fs::read(p).unwrap();
    if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut s = String::new();
        flate2::read::GzDecoder::new(&bytes[..])
            .read_to_string(&mut s)
            .unwrap();
        s
    } else {
        String::from_utf8(bytes).unwrap()
    }
}

#[test]
fn generated_world_reads_back_without_skips_and_labels_name_real_principals() {
    let dir = tempfile::tempdir().unwrap();
    let report = small(dir.path(), 7);
    let mut by_format: BTreeMap<&str, u64> = BTreeMap::new();
    // principal → times (ns) of its events
    let mut times: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for f in files(dir.path()) {
        if f.file_name().unwrap() == "labels.json" {
            continue;
        }
        let (rep, events, skips) = read(&f);
        assert_eq!(rep.problem(), None, "{}", f.display());
        assert_eq!(skips.total(), 0, "{}: {:?}", f.display(), skips);
        assert!(!events.is_empty(), "{} holds no events", f.display());
        for e in events {
            *by_format.entry(e.source_format).or_default() += 1;
            let t = trailhound::time::parse_rfc3339(e.time.as_bytes()).unwrap();
            times.entry(e.principal).or_default().push(t);
        }
    }
    for id in [
        "aws_cloudtrail",
        "s3_access",
        "gcs_audit",
        "azure_blob_logs",
        "azure_activity",
        "azure_storage_analytics",
    ] {
        assert!(
            by_format.get(id).copied().unwrap_or(0) > 0,
            "no {id} events: {by_format:?}"
        );
    }
    let read_back: u64 = by_format.values().sum();
    let written: u64 = report.records.values().sum();
    assert_eq!(
        read_back, written,
        "every written record is read back as one event"
    );
    assert!(
        times.len() >= 30,
        "dozens of principals, got {}",
        times.len()
    );

    let labels =
        parse_labels(&std::fs::read_to_string(dir.path().join("labels.json")).unwrap()).unwrap();
    assert_eq!(labels.len(), report.labels.len());
    assert!(labels.len() >= 12);
    for t in &labels {
        let events = times
            .get(&t.label.principal)
            .unwrap_or_else(|| panic!("label {}: no events of {}", t.label.id, t.label.principal));
        assert!(
            events.iter().any(|&x| x >= t.start && x <= t.end),
            "label {}: no event of {} in [{}, {}]",
            t.label.id,
            t.label.principal,
            t.label.start,
            t.label.end
        );
    }
}

/// Every key path of a JSON value, arrays as `[]`.
fn paths(v: &Value, prefix: &str, out: &mut BTreeSet<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                let p = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                out.insert(p.clone());
                paths(x, &p, out);
            }
        }
        Value::Array(a) => {
            for x in a {
                paths(x, &format!("{prefix}[]"), out);
            }
        }
        _ => {}
    }
}

fn json_lines(files: &[PathBuf], part: &str) -> Vec<Value> {
    files
        .iter()
        .filter(|f| f.to_string_lossy().contains(part))
        .flat_map(|f| {
            text(f)
                .lines()
                .map(|l| serde_json::from_str::<Value>(l).unwrap())
                .collect::<Vec<_>>()
        })
        .collect()
}

fn key_paths<'a>(records: impl IntoIterator<Item = &'a Value>) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for r in records {
        paths(r, "", &mut out);
    }
    out
}

fn set(xs: &[&str]) -> BTreeSet<String> {
    xs.iter().map(|s| s.to_string()).collect()
}

fn corpus_json(rel: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(corpus_dir().join(rel)).unwrap()).unwrap()
}

/// Splits a line on `sep` outside double quotes and brackets (`[06/Feb/2019:00:00:38 +0000]`).
fn split_quoted(line: &str, sep: char) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut quoted = false;
    let mut bracket = false;
    for c in line.trim_end().chars() {
        match c {
            '"' if !bracket => quoted = !quoted,
            '[' if !quoted => bracket = true,
            ']' if !quoted => bracket = false,
            _ => {}
        }
        if c == sep && !quoted && !bracket {
            out.push(String::new());
        } else {
            out.last_mut().unwrap().push(c);
        }
    }
    out
}

#[test]
fn generated_records_have_the_documented_fields() {
    let dir = tempfile::tempdir().unwrap();
    small(dir.path(), 3);
    let all = files(dir.path());

    // GCS: the Loki sample is a complete data_access LogEntry. Ours has the same fields,
    // except the delegation chain and VPC network that only some callers have.
    let reference = key_paths([&corpus_json(
        "gcs_audit/loki-promtail-gcplog-objects-get-sa-delegation.json",
    )]);
    let gcs = json_lines(&all, "data_access");
    let get = gcs
        .iter()
        .find(|r| r["protoPayload"]["methodName"] == "storage.objects.get")
        .unwrap();
    let ours = key_paths([get]);
    let only_some_callers = set(&[
        "protoPayload.authenticationInfo.serviceAccountDelegationInfo",
        "protoPayload.authenticationInfo.serviceAccountDelegationInfo[].firstPartyPrincipal",
        "protoPayload.authenticationInfo.serviceAccountDelegationInfo[].firstPartyPrincipal.principalEmail",
        "protoPayload.requestMetadata.callerNetwork",
    ]);
    let expected: BTreeSet<String> = reference.difference(&only_some_callers).cloned().collect();
    assert_eq!(ours, expected, "gcs data_access objects.get");
    // Admin Activity setIamPermissions adds the documented policy delta.
    let activity = json_lines(&all, "cloudaudit.googleapis.com/activity");
    let iam = key_paths(activity.iter());
    for p in [
        "protoPayload.serviceData.@type",
        "protoPayload.serviceData.policyDelta.bindingDeltas[].action",
        "protoPayload.serviceData.policyDelta.bindingDeltas[].role",
        "protoPayload.serviceData.policyDelta.bindingDeltas[].member",
    ] {
        assert!(iam.contains(p), "{p}");
    }
    assert!(activity.iter().all(|r| r["logName"]
        .as_str()
        .unwrap()
        .ends_with("cloudaudit.googleapis.com%2Factivity")));

    // StorageBlobLogs: the OTel record is complete; ours adds only documented columns
    // (requester upn/appId/audience/tokenIssuer for OAuth; etag and body sizes).
    let reference =
        key_paths([
            &corpus_json("azure_blob_logs/otel-contrib-storage-read-delegationsas.json")["records"]
                [0],
        ]);
    let blob = json_lines(&all, "insights-logs-storage");
    let ours = key_paths(blob.iter());
    let documented_extra = set(&[
        "identity.requester.appId",
        "identity.requester.audience",
        "identity.requester.tokenIssuer",
        "identity.requester.upn",
        "properties.contentLengthHeader",
        "properties.etag",
        "properties.requestBodySize",
        "properties.responseBodySize",
    ]);
    let missing: Vec<_> = reference.difference(&ours).collect();
    assert!(missing.is_empty(), "blob logs lack {missing:?}");
    let extra: BTreeSet<String> = ours.difference(&reference).cloned().collect();
    assert_eq!(extra, documented_extra, "blob logs");
    for t in ["OAuth", "SAS", "AccountKey", "Anonymous"] {
        assert!(blob.iter().any(|r| r["identity"]["type"] == t), "{t}");
    }

    // Activity: every field occurs in the corpus' Activity records, apart from standard
    // Entra token claims those (anonymised) samples dropped.
    let mut reference = BTreeSet::new();
    for f in [
        "azure_blob_logs/panther-activity-storage-accounts.jsonl",
        "azure_blob_logs/dynatrace-activity-listaccountsas-failure.jsonl",
    ] {
        for l in std::fs::read_to_string(corpus_dir().join(f))
            .unwrap()
            .lines()
        {
            paths(&serde_json::from_str(l).unwrap(), "", &mut reference);
        }
    }
    let act = json_lines(&all, "insights-activity-logs");
    let ours = key_paths(act.iter());
    let claims = set(&[
        "identity.claims.http://schemas.microsoft.com/claims/authnclassreference",
        "identity.claims.http://schemas.microsoft.com/claims/authnmethodsreferences",
        "identity.claims.http://schemas.microsoft.com/identity/claims/objectidentifier",
        "identity.claims.http://schemas.microsoft.com/identity/claims/tenantid",
        "identity.claims.puid",
    ]);
    let extra: BTreeSet<String> = ours.difference(&reference).cloned().collect();
    assert_eq!(extra, claims, "activity");
    assert!(act
        .iter()
        .any(|r| r["properties"]["requestbody"].is_string()));

    // CloudTrail: envelope, identity, additionalEventData and TLS fields all occur in real
    // records of the corpus; request parameters differ by API and are not compared.
    let mut reference = BTreeSet::new();
    for f in [
        "aws_cloudtrail/panther-s3-events.jsonl",
        "aws_cloudtrail/panther-cloudtrail-tamper-events.jsonl",
        "aws_cloudtrail/panther-signin-sts-events.jsonl",
        "aws_cloudtrail/awsdocs-s3-outposts-and-batchops-events.jsonl",
    ] {
        for l in std::fs::read_to_string(corpus_dir().join(f))
            .unwrap()
            .lines()
        {
            paths(&serde_json::from_str(l).unwrap(), "", &mut reference);
        }
    }
    let mut ct = Vec::new();
    for f in all
        .iter()
        .filter(|f| f.to_string_lossy().ends_with(".json.gz"))
    {
        let v: Value = serde_json::from_str(&text(f)).unwrap();
        ct.extend(v["Records"].as_array().unwrap().iter().cloned());
    }
    let ours: BTreeSet<String> = key_paths(ct.iter())
        .into_iter()
        .filter(|p| {
            !p.starts_with("requestParameters.")
                && !p.starts_with("responseElements.")
                && !p.starts_with("eventTimes")
        })
        .collect();
    let extra: Vec<_> = ours.difference(&reference).collect();
    assert!(
        extra.is_empty(),
        "CloudTrail fields not seen in real records: {extra:?}"
    );
    for name in [
        "GetObject",
        "PutObject",
        "HeadObject",
        "ListObjects",
        "DeleteObject",
        "DeleteObjects",
        "CopyObject",
        "PutBucketLogging",
        "PutBucketPolicy",
        "PutPublicAccessBlock",
        "DeletePublicAccessBlock",
        "PutBucketVersioning",
        "PutBucketLifecycleConfiguration",
        "PutBucketReplication",
        "DeleteBucketEncryption",
        "GetBucketAcl",
        "StopLogging",
        "AssumeRole",
        "ConsoleLogin",
        "Decrypt",
    ] {
        assert!(ct.iter().any(|r| r["eventName"] == name), "{name}");
    }
    for t in ["IAMUser", "AssumedRole", "Root", "AWSService", "AWSAccount"] {
        assert!(ct.iter().any(|r| r["userIdentity"]["type"] == t), "{t}");
    }

    // S3 server access logs: 26 fields, like AWS's 2023 example.
    let reference =
        std::fs::read_to_string(corpus_dir().join("s3_access/awsdocs-userguide-2023-26fields.log"))
            .unwrap();
    let n_ref = split_quoted(reference.lines().next().unwrap(), ' ').len();
    assert_eq!(n_ref, 26);
    let access: Vec<_> = all
        .iter()
        .filter(|f| f.to_string_lossy().contains("s3-access-logs/"))
        .collect();
    assert!(!access.is_empty());
    for f in access {
        for l in text(f).lines() {
            assert_eq!(split_quoted(l, ' ').len(), n_ref, "{l}");
        }
    }

    // Storage Analytics 2.0: 38 fields like the AzCopy sample.
    let reference = std::fs::read_to_string(
        corpus_dir().join("azure_storage_analytics/avere-azcopysync-v2.0-sas.log"),
    )
    .unwrap();
    let n_ref = split_quoted(reference.lines().next().unwrap(), ';').len();
    assert_eq!(n_ref, 38);
    let mut auth = BTreeSet::new();
    for f in all
        .iter()
        .filter(|f| f.to_string_lossy().contains("$logs/blob/"))
    {
        for l in text(f).lines() {
            let fields = split_quoted(l, ';');
            assert_eq!(fields.len(), n_ref, "{l}");
            assert_eq!(fields[0], "2.0");
            auth.insert(fields[7].clone());
        }
    }
    assert_eq!(auth, set(&["anonymous", "authenticated", "bearer", "sas"]));
}

#[test]
fn same_seed_same_bytes_other_seed_other_bytes() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let c = tempfile::tempdir().unwrap();
    small(a.path(), 11);
    small(b.path(), 11);
    small(c.path(), 12);
    let rel = |d: &Path| -> Vec<PathBuf> {
        files(d)
            .into_iter()
            .map(|f| f.strip_prefix(d).unwrap().to_path_buf())
            .collect()
    };
    let (fa, fb) = (rel(a.path()), rel(b.path()));
    assert_eq!(fa, fb, "same file names");
    for f in &fa {
        assert!(
            std::fs::read(a.path().join(f)).unwrap() == std::fs::read(b.path().join(f)).unwrap(),
            "{} differs between two runs with one seed",
            f.display()
        );
    }
    let fc = rel(c.path());
    let differs = fa != fc
        || fa.iter().any(|f| {
            std::fs::read(a.path().join(f)).unwrap() != std::fs::read(c.path().join(f)).unwrap()
        });
    assert!(differs, "another seed gives another world");
}

#[test]
fn refuses_a_non_empty_directory_and_too_few_days() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("x"), b"keep me").unwrap();
    let opts = Options {
        out: dir.path().to_path_buf(),
        ..Options::default()
    };
    assert!(generate(&opts).is_err());
    assert_eq!(std::fs::read(dir.path().join("x")).unwrap(), b"keep me");
    let opts = Options {
        out: dir.path().join("new"),
        days: 7,
        ..Options::default()
    };
    assert!(generate(&opts).is_err());
    for scale in [0.0, -1.0, 21.0, f64::NAN] {
        let opts = Options {
            out: dir.path().join("new"),
            scale,
            ..Options::default()
        };
        assert!(generate(&opts).is_err(), "{scale}");
    }
    assert!(
        !dir.path().join("new").exists(),
        "nothing written on a refused run"
    );
}

/// One finding per label, built from the label itself: what a perfect detector would say.
fn perfect_findings(labels: &[trailhound::generate::Label]) -> Vec<String> {
    labels
        .iter()
        .enumerate()
        .map(|(i, l)| {
            serde_json::json!({
                "type": "finding", "id": format!("f{i}"), "rule": l.expected_rules[0],
                "title": "t", "severity": "critical", "score": 90, "provider": l.provider,
                "principal": l.principal, "first_seen": l.start, "last_seen": l.end,
                "mitre": [l.mitre[0]], "source_ips": [], "resources": [], "event_count": 1,
                "evidence": {}, "incident": "i1"
            })
            .to_string()
        })
        .collect()
}

#[test]
fn eval_cli_scores_findings_and_fails_below_min_recall() {
    use std::process::Command;
    let dir = tempfile::tempdir().unwrap();
    let report = small(&dir.path().join("world"), 5);
    let labels = dir.path().join("world/labels.json");
    let mut lines = perfect_findings(&report.labels);
    lines.push(r#"{"type":"summary","events":1}"#.to_string());
    let all = dir.path().join("all.jsonl");
    std::fs::write(&all, lines.join("\n")).unwrap();
    let out = Command::new(crate::common::bin())
        .args(["eval", "--labels"])
        .arg(&labels)
        .arg(&all)
        .args(["--min-recall", "1", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["recall"], 1.0);
    assert_eq!(v["precision"], 1.0);
    assert_eq!(v["false_positives"], 0);

    // Drop one finding, add a false alarm about someone else.
    let mut lines = perfect_findings(&report.labels);
    let missed = report.labels[0].id.clone();
    lines.remove(0);
    lines.push(
        serde_json::json!({"type":"finding","id":"fp","rule":"baseline.off_hours","severity":"high",
            "principal":"arn:aws:iam::111122223333:role/etl-nightly","first_seen":report.labels[1].start,
            "last_seen":report.labels[1].end,"mitre":["T1078.004"]})
        .to_string(),
    );
    let some = dir.path().join("some.jsonl");
    std::fs::write(&some, lines.join("\n")).unwrap();
    let out = Command::new(crate::common::bin())
        .args(["eval", "--labels"])
        .arg(&labels)
        .arg(&some)
        .args(["--min-recall", "1"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let table = String::from_utf8(out.stdout).unwrap();
    let row = table.lines().find(|l| l.starts_with(&missed)).unwrap();
    assert!(row.contains("NO"), "{table}");
    assert!(table.contains("baseline.off_hours"), "{table}");
    let broken = dir.path().join("broken.jsonl");
    std::fs::write(&broken, "not json\n").unwrap();
    let out = Command::new(crate::common::bin())
        .args(["eval", "--labels"])
        .arg(&labels)
        .arg(&broken)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("line 1"));
}
