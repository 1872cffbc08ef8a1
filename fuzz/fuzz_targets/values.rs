//! Coverage-guided fuzzing of record *values* through every stage: libFuzzer chooses the
//! principal, agent, address, bucket, key, time, sizes and status of a few records of every
//! format; they are read, compacted, judged, correlated, reported in every format and
//! investigated. A panic anywhere (or a contained one, `internal_error`), JSON Lines that do
//! not parse, live markup in the HTML, or control characters on the terminal is a crash.
#![no_main]

use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;

use trailhound::ingest::{expand_paths, IngestOptions};
use trailhound::pipeline::{scan_with_state, ScanConfig};
use trailhound::report::{html, json, ocsf, table};
use trailhound::summary::Summary;

#[derive(Arbitrary, Debug)]
struct Values {
    principal: String,
    user_agent: String,
    ip: String,
    bucket: String,
    key: String,
    /// Seconds after 2026-11-01T00:00:00Z (also negative, and far out).
    seconds: i64,
    /// A time written as the record writes it, used instead now and then.
    raw_time: Option<String>,
    bytes: u64,
    status: u16,
    error: Option<String>,
    api: u8,
    repeat: u8,
}

const APIS: &[&str] = &[
    "GetObject",
    "ListObjects",
    "DeleteObject",
    "PutBucketPolicy",
    "PutBucketAcl",
    "StopLogging",
    "PutBucketVersioning",
];

fn time(v: &Values, plus: i64) -> String {
    if let Some(t) = &v.raw_time {
        return t.clone();
    }
    let t = 1_793_491_200i64
        .saturating_add(v.seconds % 4_000_000_000)
        .saturating_add(plus);
    let (days, secs) = (t.div_euclid(86_400), t.rem_euclid(86_400));
    let (y, m, d) = trailhound::time::civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// Removes what would break a text log's framing (that is the byte fuzzers' job).
fn field(s: &str, sep: char) -> String {
    let f: String = s
        .chars()
        .filter(|&c| c != sep && c != '"' && c != '\n' && c != '\r' && c != '[' && c != ']')
        .collect();
    if f.is_empty() {
        "-".into()
    } else {
        f
    }
}

fn write(dir: &std::path::Path, v: &Values) {
    let n = 1 + (v.repeat % 4) as i64;
    let api = APIS[v.api as usize % APIS.len()];
    let mut ct = Vec::new();
    let mut s3 = String::new();
    let mut gcs = String::new();
    let mut az = String::new();
    for i in 0..n {
        let t = time(v, i * 60);
        let mut r = serde_json::json!({
            "eventVersion": "1.09",
            "userIdentity": {"type": "IAMUser", "principalId": "AIDAX", "arn": v.principal, "accountId": "111122223333", "userName": v.principal},
            "eventTime": t, "eventSource": "s3.amazonaws.com", "eventName": api,
            "awsRegion": "us-east-1", "sourceIPAddress": v.ip, "userAgent": v.user_agent,
            "requestParameters": {"bucketName": v.bucket, "key": v.key},
            "additionalEventData": {"bytesTransferredOut": v.bytes},
            "eventID": format!("e{i}"), "requestID": format!("R{i}"), "readOnly": api.starts_with("Get"),
            "eventType": "AwsApiCall", "managementEvent": !api.ends_with("Object"), "recipientAccountId": "111122223333"
        });
        if let Some(e) = &v.error {
            r["errorCode"] = e.clone().into();
        }
        ct.push(r);
        s3.push_str(&format!(
            "79a5 {} [01/Nov/2026:00:0{}:00 +0000] {} {} REQ{i} REST.GET.OBJECT {} \"GET /{}/{} HTTP/1.1\" {} - {} {} 10 9 \"-\" \"{}\" - hid SigV4 ECDHE AuthHeader {}.s3.amazonaws.com TLSv1.2 - -\n",
            field(&v.bucket, ' '), i % 10, field(&v.ip, ' '), field(&v.principal, ' '), field(&v.key, ' '),
            field(&v.bucket, ' '), field(&v.key, ' '), v.status, v.bytes, v.bytes, field(&v.user_agent, ' '), field(&v.bucket, ' ')
        ));
        gcs.push_str(&serde_json::json!({
            "protoPayload": {"@type": "type.googleapis.com/google.cloud.audit.AuditLog",
                "status": {"code": v.status % 17},
                "authenticationInfo": {"principalEmail": v.principal},
                "requestMetadata": {"callerIp": v.ip, "callerSuppliedUserAgent": v.user_agent},
                "serviceName": "storage.googleapis.com", "methodName": "storage.objects.get",
                "resourceName": format!("projects/_/buckets/{}/objects/{}", v.bucket, v.key)},
            "insertId": format!("i{i}"), "resource": {"type": "gcs_bucket", "labels": {"bucket_name": v.bucket, "project_id": "p", "location": "us"}},
            "timestamp": t, "severity": "INFO", "logName": "projects/p/logs/cloudaudit.googleapis.com%2Fdata_access"
        }).to_string());
        gcs.push('\n');
        az.push_str(&serde_json::json!({
            "time": t, "resourceId": "/subscriptions/s/resourceGroups/g/providers/Microsoft.Storage/storageAccounts/acct/blobServices/default",
            "category": "StorageRead", "operationName": "GetBlob", "operationVersion": "2021-08-06", "schemaVersion": "1.0",
            "statusCode": v.status, "statusText": v.error.clone().unwrap_or_else(|| "Success".into()), "durationMs": 3,
            "callerIpAddress": format!("{}:443", v.ip), "correlationId": format!("c{i}"),
            "identity": {"type": "OAuth", "tokenHash": "", "requester": {"objectId": v.principal, "upn": v.principal}},
            "location": "eastus",
            "properties": {"accountName": "acct", "userAgentHeader": v.user_agent, "objectKey": format!("/acct/{}/{}", v.bucket, v.key), "responseBodySize": v.bytes},
            "uri": format!("https://acct.blob.core.windows.net/{}/{}", v.bucket, v.key), "protocol": "HTTPS", "resourceType": "Microsoft.Storage/storageAccounts/blobServices"
        }).to_string());
        az.push('\n');
    }
    let put = |name: &str, text: String| std::fs::write(dir.join(name), text).unwrap();
    put(
        "trail.json",
        serde_json::json!({ "Records": ct }).to_string(),
    );
    put("access.log", s3);
    put("gcs.jsonl", gcs);
    put("blob.jsonl", az);
}

fuzz_target!(|v: Values| {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), &v);
    let (files, _) = expand_paths(&[dir.path().display().to_string()]);
    let opts = IngestOptions {
        threads: 1,
        progress: None,
    };
    let cfg = ScanConfig::default();
    let (out, _) = scan_with_state(files.clone(), &opts, &cfg, None, None);
    let summary = Summary::new(&out.stats, &out.ingest, &[]).with_detection(&out);
    assert!(
        !summary.skipped_by_reason.contains_key("internal_error"),
        "{:?}",
        summary.skipped_samples
    );
    for line in json::jsonl(&out, &summary)
        .unwrap()
        .lines()
        .chain(ocsf::lines(&out).unwrap().lines().collect::<Vec<_>>())
    {
        serde_json::from_str::<serde_json::Value>(line).unwrap();
    }
    let page = html::render(&out, &summary);
    assert!(!page.contains("<script>") && !page.contains("<img") && !page.contains("<svg onload"));
    for width in [40, 120] {
        let t = table::detections(&out, width, false);
        assert!(
            !t.chars().any(|c| c.is_control() && c != '\n'),
            "control character on the terminal"
        );
    }
    let q = trailhound::investigate::Query {
        principal: v.principal.clone(),
        since: None,
        until: None,
    };
    if let Ok((inv, _)) = trailhound::investigate::run(files, &opts, &cfg, &q) {
        let t = trailhound::investigate::table(&inv, 80);
        assert!(!t.chars().any(|c| c.is_control() && c != '\n'));
    }
});
