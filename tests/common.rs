//! Helpers shared by the integration tests.

use std::path::{Path, PathBuf};

use trailhound::event::{Batch, OwnedEvent};
use trailhound::ingest::decode::ByteCounter;
use trailhound::ingest::{read_file, FileReport, InputFile};
use trailhound::skip::SkipLog;

pub fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus")
}

/// Reads one file through the library and returns its report, events and skips.
pub fn read(path: &Path) -> (FileReport, Vec<OwnedEvent>, SkipLog) {
    let file = InputFile {
        path: Some(path.to_path_buf()),
        display: path.display().to_string(),
        size: std::fs::metadata(path).map(|m| m.len()).unwrap_or(0),
    };
    let mut batches: Vec<Batch> = Vec::new();
    let mut skips = SkipLog::default();
    let mut sink = |b: Batch| batches.push(b);
    let report = read_file(0, &file, &ByteCounter::default(), &mut sink, &mut skips);
    let events = batches
        .iter()
        .flat_map(|b| b.events.iter().map(move |e| e.to_owned_event(b)))
        .collect();
    (report, events, skips)
}

pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_trailhound"))
}

/// Runs the binary; whatever its exit status, it must not have panicked.
pub fn run(args: &[&str]) -> std::process::Output {
    let out = std::process::Command::new(bin())
        .args(args)
        .output()
        .expect("run trailhound");
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("panicked"),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// [`run`], and it must have succeeded.
pub fn run_ok(args: &[&str]) -> std::process::Output {
    let out = run(args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// The `{"type":"summary"}` object of JSON Lines output.
pub fn summary_line(stdout: &[u8]) -> serde_json::Value {
    let text = String::from_utf8_lossy(stdout);
    let line = text
        .lines()
        .find(|l| l.starts_with("{\"type\":\"summary\""))
        .unwrap_or_else(|| {
            panic!(
                "no summary line in output: {}",
                &text[..text.len().min(2000)]
            )
        });
    serde_json::from_str(line).unwrap()
}

/// A CloudTrail record of an IAM user's call, as CloudTrail writes it (`errorCode`
/// AccessDenied when `failed`).
pub fn ct_record(
    who: &str,
    time: &str,
    source: &str,
    name: &str,
    params: serde_json::Value,
    failed: bool,
) -> serde_json::Value {
    let mut r = serde_json::json!({
        "eventVersion": "1.09",
        "userIdentity": {"type": "IAMUser", "principalId": "AIDAX", "arn": format!("arn:aws:iam::111122223333:user/{who}"), "accountId": "111122223333", "userName": who},
        "eventTime": time, "eventSource": source, "eventName": name, "awsRegion": "us-east-1",
        "sourceIPAddress": "203.0.113.5", "userAgent": "aws-cli/2.15.0",
        "requestParameters": params, "eventID": format!("e-{who}-{name}-{time}"),
        "requestID": format!("R-{who}-{name}-{time}"),
        "readOnly": name.starts_with("Get") || name.starts_with("List") || name.starts_with("Describe") || name == "Decrypt",
        "eventType": "AwsApiCall", "recipientAccountId": "111122223333"
    });
    if failed {
        r["errorCode"] = "AccessDenied".into();
        r["errorMessage"] = "User is not authorized to perform this operation".into();
    }
    r
}

/// Scans CloudTrail records written to one file; returns the findings of the JSON Lines.
pub fn scan_records(records: Vec<serde_json::Value>) -> Vec<serde_json::Value> {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("trail.json");
    std::fs::write(&file, serde_json::json!({ "Records": records }).to_string()).unwrap();
    let out = run(&["scan", file.to_str().unwrap(), "--format", "jsonl"]);
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["type"] == "finding")
        .collect()
}

/// A public-policy change (when `exposed`) and anonymous reads whose principal, user agent
/// and object key carry markup.
pub fn hostile_trail(dir: &Path, exposed: bool) -> PathBuf {
    let base = |name: &str, t: &str| {
        serde_json::json!({
            "eventVersion": "1.09",
            "userIdentity": {"type": "IAMUser", "principalId": "AIDAX", "arn": "arn:aws:iam::111122223333:user/<img src=x onerror=alert(1)>", "accountId": "111122223333", "userName": "x"},
            "eventTime": t, "eventSource": "s3.amazonaws.com", "eventName": name,
            "awsRegion": "us-east-1", "sourceIPAddress": "203.0.113.7",
            "userAgent": "<script>alert(2)</script>",
            "requestID": "R1", "eventID": format!("E-{t}"), "readOnly": false,
            "eventType": "AwsApiCall", "recipientAccountId": "111122223333"
        })
    };
    let mut policy = base("PutBucketPolicy", "2024-03-01T02:45:00Z");
    policy["managementEvent"] = true.into();
    policy["requestParameters"] = serde_json::json!({"bucketName": "pub-bucket", "bucketPolicy": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::pub-bucket/*"}]}});
    let mut records = if exposed { vec![policy] } else { Vec::new() };
    for i in 0..3 {
        let mut get = base("GetObject", &format!("2024-03-01T02:5{i}:00Z"));
        get["userIdentity"] = serde_json::json!({"type": "AWSAccount", "principalId": "", "accountId": "ANONYMOUS_PRINCIPAL"});
        get["userAgent"] = "\"><img onerror=alert(3) src=x>".into();
        get["managementEvent"] = false.into();
        get["readOnly"] = true.into();
        get["requestParameters"] = serde_json::json!({"bucketName": "pub-bucket", "key": format!("\"><img onerror=alert(4) src=x>{i}.csv")});
        get["resources"] = serde_json::json!([{"type": "AWS::S3::Object", "ARN": format!("arn:aws:s3:::pub-bucket/\"><img onerror=alert(4) src=x>{i}.csv")}]);
        records.push(get);
    }
    let file = dir.join("trail.json");
    std::fs::write(&file, serde_json::json!({ "Records": records }).to_string()).unwrap();
    file
}
