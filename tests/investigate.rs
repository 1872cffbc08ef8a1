//! `trailhound investigate` end to end: on a generated world the labelled principal's attack
//! window shows in its findings, timeline and addresses; hostile strings reach the terminal
//! table only as visible escapes.

use serde_json::Value;

use crate::common::run_ok;
use trailhound::time::{parse_rfc3339, NANOS_PER_HOUR};

fn t(v: &Value) -> i64 {
    parse_rfc3339(v.as_str().unwrap().as_bytes()).unwrap()
}

const BACKUP_MAINT: &str = "arn:aws:iam::111122223333:user/backup-maint";

#[test]
fn investigate_shows_the_labelled_attack_window() {
    let dir = tempfile::tempdir().unwrap();
    let w = dir.path().join("world");
    let ws = w.to_str().unwrap();
    run_ok(&["generate", "--out", ws, "--seed", "5", "--scale", "0.2"]);
    // labels.json is ground truth, not a log: keep it out of the input.
    let labels_path = dir.path().join("labels.json");
    std::fs::rename(w.join("labels.json"), &labels_path).unwrap();
    let labels: Value = serde_json::from_slice(&std::fs::read(&labels_path).unwrap()).unwrap();
    let label = labels
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["principal"] == BACKUP_MAINT)
        .expect("a label for backup-maint");
    let (start, end) = (t(&label["start"]), t(&label["end"]));

    let out = run_ok(&[
        "investigate",
        ws,
        "--principal",
        BACKUP_MAINT,
        "--format",
        "json",
        "-q",
    ]);
    let inv: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(inv["matched"], "exact");
    assert_eq!(inv["principals"], serde_json::json!([BACKUP_MAINT]));
    // The default window is chosen around the findings and covers the attack.
    assert_eq!(inv["window"]["chosen_by"], "findings");
    assert!(t(&inv["window"]["since"]) <= start && t(&inv["window"]["until"]) > end);

    // Findings: serious ones, all about the attack.
    let findings = inv["findings"].as_array().unwrap();
    assert!(findings.iter().any(|f| f["severity"] == "critical"));
    for f in findings {
        assert!(t(&f["first_seen"]) <= end + NANOS_PER_HOUR, "{f}");
        assert!(t(&f["last_seen"]) >= start - NANOS_PER_HOUR, "{f}");
    }
    let rules: Vec<&str> = findings.iter().filter_map(|f| f["rule"].as_str()).collect();
    for r in label["expected_rules"].as_array().unwrap() {
        assert!(rules.contains(&r.as_str().unwrap()), "{r} not in {rules:?}");
    }

    // Timeline: the hours of the attack are there, above the baseline, with findings.
    let timeline = inv["timeline"].as_array().unwrap();
    let hour_of = |x: i64| x.div_euclid(NANOS_PER_HOUR) * NANOS_PER_HOUR;
    for h in [hour_of(start), hour_of(end)] {
        let row = timeline
            .iter()
            .find(|r| t(&r["hour"]) == h)
            .unwrap_or_else(|| panic!("no timeline row for {h}: {timeline:#?}"));
        assert!(row["events"].as_u64().unwrap() > 0);
        assert_eq!(row["unusual"], true, "{row}");
        assert!(!row["findings"].as_array().unwrap().is_empty(), "{row}");
    }
    let busiest = timeline
        .iter()
        .max_by_key(|r| r["events"].as_u64().unwrap())
        .unwrap();
    let b = t(&busiest["hour"]);
    assert!(b >= hour_of(start) && b <= hour_of(end), "{busiest}");

    // Every address behind a finding is listed, and the attacker's is new.
    let ips: Vec<&Value> = inv["source_ips"].as_array().unwrap().iter().collect();
    for f in findings {
        for ip in f["source_ips"].as_array().unwrap() {
            let row = ips
                .iter()
                .find(|r| r["value"] == *ip)
                .unwrap_or_else(|| panic!("{ip} not listed in {ips:?}"));
            assert_eq!(row["new"], true, "{row}");
        }
    }
    assert!(inv["buckets"][0]["bucket"].is_string());
    let athena = inv["queries"][0]["queries"]["athena_sql"].as_str().unwrap();
    assert!(athena.contains(BACKUP_MAINT), "{athena}");

    // The table says the same on a terminal-style report.
    let out = run_ok(&[
        "investigate",
        ws,
        "--principal",
        "user/backup-maint",
        "--format",
        "table",
        "-q",
    ]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("Hourly timeline"), "{text}");
    assert!(text.contains("aws.s3.bulk_download"), "{text}");
    assert!(text.contains("NEW"), "{text}");
}

#[test]
fn hostile_strings_are_escaped_in_the_table() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("trail.json");
    let record = |time: &str| {
        serde_json::json!({
            "eventVersion": "1.10",
            "userIdentity": {
                "type": "IAMUser",
                "principalId": "AIDAEXAMPLE",
                "arn": "arn:aws:iam::123456789012:user/evil\u{1b}[31m",
                "accountId": "123456789012",
                "accessKeyId": "AKIAEXAMPLE"
            },
            "eventTime": time,
            "eventSource": "s3.amazonaws.com",
            "eventName": "GetObject",
            "awsRegion": "us-east-1",
            "sourceIPAddress": "198.51.100.7",
            "userAgent": "curl/8\u{1b}[2J\u{1b}]0;pwned\u{7}\r\u{202e}gpj.exe",
            "requestParameters": {"bucketName": "loot", "key": "a\r\u{1b}[1Akey"},
            "eventType": "AwsApiCall",
            "readOnly": true,
            "recipientAccountId": "123456789012",
            "eventCategory": "Data"
        })
    };
    let records: Vec<Value> = (0..3)
        .map(|i| record(&format!("2026-02-07T02:0{i}:00Z")))
        .collect();
    std::fs::write(
        &file,
        serde_json::to_string(&serde_json::json!({ "Records": records })).unwrap(),
    )
    .unwrap();
    let out = run_ok(&[
        "investigate",
        file.to_str().unwrap(),
        "--principal",
        "user/evil",
        "--format",
        "table",
        "-q",
    ]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("198.51.100.7"), "{text}");
    assert!(
        !text
            .chars()
            .any(|c| (c.is_control() && c != '\n') || c == '\u{202e}'),
        "{text:?}"
    );
    // Visible, so an analyst sees something was there.
    assert!(text.contains("curl/8\\u{1b}[2J"), "{text}");
    assert!(text.contains("user/evil\\u{1b}[31m"), "{text}");
}
