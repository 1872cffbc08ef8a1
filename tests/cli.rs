//! The binary end to end: exit codes, output formats, bad input.

use std::process::{Command, Output};

use crate::common::{bin, corpus_dir, run};

fn summary_of(out: &Output) -> serde_json::Value {
    crate::common::summary_line(&out.stdout)
}

#[test]
fn scan_corpus_jsonl_summary() {
    let dir = corpus_dir();
    let out = run(&["scan", dir.to_str().unwrap(), "--format", "jsonl"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let s = summary_of(&out);
    assert_eq!(s["events"], 471);
    assert_eq!(s["skipped"], 36);
    assert_eq!(s["skipped_by_reason"]["missing_or_invalid_time"], 36);
    assert_eq!(s["by_format"]["aws_cloudtrail"], 333);
    assert_eq!(s["by_format"]["s3_access"], 40);
    assert_eq!(s["by_format"]["gcs_audit"], 6);
    assert_eq!(s["by_format"]["gcs_usage"], 5);
    assert_eq!(s["by_format"]["azure_blob_logs"], 20);
    assert_eq!(s["by_format"]["azure_activity"], 52);
    assert_eq!(s["by_format"]["azure_storage_analytics"], 15);
    assert_eq!(s["files"], 57);
    // SOURCES.md and expected.tsv are named as files not read.
    let errs = s["file_errors"].as_array().unwrap();
    assert_eq!(errs.len(), 2, "{errs:?}");
    assert!(errs
        .iter()
        .any(|e| e["file"].as_str().unwrap().ends_with("SOURCES.md")));
    let samples = s["skipped_samples"].as_array().unwrap();
    assert!(!samples.is_empty() && samples.len() <= 20);
    for x in samples {
        assert!(x["file"].as_str().unwrap().contains("corpus"));
        assert!(x["line"].as_u64().unwrap() >= 1);
        assert_eq!(x["reason"], "missing_or_invalid_time");
    }
    assert_eq!(s["time_range"][0], "2006-10-06T01:42:14.000Z");
}

#[test]
fn strict_turns_skips_into_exit_1() {
    let f = corpus_dir().join("aws_cloudtrail/panther-s3-events.jsonl");
    let out = run(&["scan", f.to_str().unwrap(), "--strict", "--format", "jsonl"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--strict"));
    let f = corpus_dir().join("s3_access/awsdocs-userguide-2023-26fields.log");
    let out = run(&["scan", f.to_str().unwrap(), "--strict", "--format", "jsonl"]);
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn dash_output_is_standard_output() {
    let dir = tempfile::tempdir().unwrap();
    let f = corpus_dir().join("s3_access/awsdocs-userguide-2023-26fields.log");
    let out = Command::new(bin())
        .current_dir(dir.path())
        .args(["scan", f.to_str().unwrap(), "--format", "jsonl", "-o", "-"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(summary_of(&out)["events"].as_u64().unwrap() > 0);
    assert!(!dir.path().join("-").exists(), "no file named -");
}

#[test]
fn no_readable_input_is_exit_2() {
    let out = run(&["scan", "/nonexistent/trailhound/path"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/trailhound/path"));
    let out = run(&["scan", "--format", "nope", "x"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn stdin_and_json_report() {
    let data =
        std::fs::read(corpus_dir().join("aws_cloudtrail/loki-lambda-promtail-cloudtrail.json.gz"))
            .unwrap();
    let mut child = Command::new(bin())
        .args(["scan", "-", "--format", "json"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(&data).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["summary"]["events"], 2);
    assert_eq!(doc["summary"]["by_format"]["aws_cloudtrail"], 2);
}

#[test]
fn table_colour_only_when_asked_or_on_a_terminal() {
    let file = corpus_dir().join("aws_cloudtrail/panther-s3-events.jsonl");
    let file = file.to_str().unwrap();
    let table = |extra: &[&str]| {
        let mut args = vec!["scan", "-q", "--format", "table", file];
        args.extend_from_slice(extra);
        let out = run(&args);
        assert_eq!(out.status.code(), Some(0), "{out:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    let always = table(&["--color", "always"]);
    assert!(
        always.contains("\u{1b}[1;31mCRITICAL\u{1b}[0m"),
        "severity not coloured:\n{always}"
    );
    // Colour wraps the padded cell: the columns after it stay aligned.
    let plain = table(&["--color", "never"]);
    assert!(!plain.contains('\u{1b}'), "{plain}");
    let stripped = always
        .replace("\u{1b}[1;31m", "")
        .replace("\u{1b}[31m", "")
        .replace("\u{1b}[33m", "")
        .replace("\u{1b}[36m", "")
        .replace("\u{1b}[2m", "")
        .replace("\u{1b}[0m", "");
    // (The throughput line differs from run to run.)
    let steady = |t: &str| {
        t.lines()
            .filter(|l| !l.contains("events/s"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(steady(&stripped), steady(&plain));
    // Not a terminal: no colour by default.
    assert!(!table(&[]).contains('\u{1b}'));
}

#[test]
fn html_report_escapes_what_attackers_write() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("trail.json");
    // A public-policy change by a principal, on a bucket, with an agent that carry markup.
    let rec = serde_json::json!({"Records": [{
        "eventVersion": "1.09",
        "userIdentity": {"type": "IAMUser", "principalId": "AIDAX", "arn": "arn:aws:iam::111122223333:user/<img src=x onerror=alert(1)>", "accountId": "111122223333", "userName": "x"},
        "eventTime": "2024-03-01T02:45:00Z", "eventSource": "s3.amazonaws.com", "eventName": "PutBucketPolicy",
        "awsRegion": "us-east-1", "sourceIPAddress": "203.0.113.7", "userAgent": "</pre><script>alert(2)</script>",
        "requestParameters": {"bucketName": "b<svg onload=alert(3)>", "bucketPolicy": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}]}},
        "responseElements": null, "requestID": "R1", "eventID": "E1", "readOnly": false,
        "eventType": "AwsApiCall", "managementEvent": true, "recipientAccountId": "111122223333"
    }]});
    std::fs::write(&file, rec.to_string()).unwrap();
    let out = run(&["scan", "-q", "--format", "html", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let html = String::from_utf8(out.stdout).unwrap();
    assert!(
        html.contains("aws.s3.public_policy"),
        "the finding is there"
    );
    // (The page draws its own <svg> timelines; the hostile ones carry their attributes.)
    for raw in ["<img", "<script", "<svg onload"] {
        assert!(!html.contains(raw), "{raw} reached the page unescaped");
    }
    assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;"));
}

#[test]
fn anonymous_reads_after_a_bucket_is_made_public_are_findings_from_the_start() {
    let dir = tempfile::tempdir().unwrap();
    let rules = |exposed: bool| -> Vec<String> {
        let trail = crate::common::hostile_trail(dir.path(), exposed);
        let out = run(&["scan", "-q", "--format", "jsonl", trail.to_str().unwrap()]);
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter(|v| v["type"] == "finding")
            .map(|v| v["rule"].as_str().unwrap_or("").to_string())
            .collect()
    };
    // Read anonymously since the data began: a public bucket by all we know.
    assert!(!rules(false).contains(&"aws.s3.anonymous_read".to_string()));
    // Made public minutes before: those reads are what the change was for.
    let with = rules(true);
    assert!(
        with.contains(&"aws.s3.anonymous_read".to_string()),
        "{with:?}"
    );
}
