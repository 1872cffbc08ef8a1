//! generate → scan → eval through the CLI, on a world with known attacks.

use crate::common::{ct_record, run, scan_records};

/// MaxMind's test databases in the repository.
fn geoip(name: &str) -> String {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/geoip")
        .join(name)
        .display()
        .to_string()
}

#[test]
fn generated_world_every_attack_found_few_false_alarms() {
    let dir = tempfile::tempdir().unwrap();
    let world = dir.path().join("world");
    let w = world.to_str().unwrap();
    let out = run(&["generate", "--out", w, "--seed", "11", "--scale", "0.5"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let config = dir.path().join("trailhound.toml");
    std::fs::write(
        &config,
        format!(
            "[known]\naccounts = [\"111122223333\", \"444455556666\"]\n\n[[change_window]]\nprincipals = [\"arn:aws:iam::111122223333:user/pat-admin\", \"3f6a2b1c-8d4e-4f5a-9b6c-7d8e9f0a1b2c\"]\nweekday = \"tue\"\nfrom = \"14:00\"\nto = \"16:00\"\n\n[geoip]\ndatabases = [{:?}, {:?}]\n",
            geoip("GeoLite2-City-Test.mmdb"),
            geoip("GeoLite2-ASN-Test.mmdb")
        ),
    )
    .unwrap();
    let findings = dir.path().join("findings.jsonl");
    let out = run(&[
        "scan",
        w,
        "--config",
        config.to_str().unwrap(),
        "--format",
        "jsonl",
        "-o",
        findings.to_str().unwrap(),
        "--strict",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "no skips, no unreadable file: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let labels = world.join("labels.json");
    let out = run(&[
        "eval",
        "--labels",
        labels.to_str().unwrap(),
        findings.to_str().unwrap(),
        "--format",
        "json",
        "--min-recall",
        "1.0",
    ]);
    let e: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(e["recall"], 1.0, "{e:#}");
    assert!(e["false_positives"].as_u64().unwrap() <= 2, "{e:#}");
    assert_eq!(out.status.code(), Some(0));

    // The seed scenario — logging disabled, list, bulk download, delete, by a dormant
    // account at 02:45 — is one critical incident, not four alerts.
    let text = std::fs::read_to_string(&findings).unwrap();
    let incident = text
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|v| {
            v["type"] == "incident"
                && v["principal"]
                    .as_str()
                    .unwrap_or("")
                    .ends_with("user/backup-maint")
        })
        .expect("an incident for backup-maint");
    assert_eq!(incident["severity"], "critical", "{incident:#}");
    let tactics: Vec<&str> = incident["tactics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    for t in ["defense-evasion", "discovery", "collection", "impact"] {
        assert!(tactics.contains(&t), "{t} missing from {tactics:?}");
    }
    assert!(incident["findings"].as_array().unwrap().len() >= 4);
    assert!(incident["narrative"].as_str().unwrap().contains("02:4"));
    assert!(incident["queries"]["athena_sql"]
        .as_str()
        .unwrap()
        .contains("backup-maint"));

    // No findings: recall 0, below --min-recall, exit 1.
    let empty = dir.path().join("empty.jsonl");
    std::fs::write(&empty, "").unwrap();
    let out = run(&[
        "eval",
        "--labels",
        labels.to_str().unwrap(),
        empty.to_str().unwrap(),
        "--min-recall",
        "0.5",
    ]);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn demo_runs_offline_and_writes_its_report() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("demo");
    let out = run(&["demo", "--out", out_dir.to_str().unwrap(), "--scale", "0.3"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("Incidents"), "{stdout}");
    assert!(stdout.contains("report.html"));
    // The demo's GeoIP databases place the impossible-travel attacker in China.
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out_dir.join("report.json")).unwrap())
            .unwrap();
    let cn = report["anomalous_ips"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["ip"] == "175.16.199.23")
        .unwrap_or_else(|| panic!("{:#}", report["anomalous_ips"]));
    assert_eq!(cn["country"], "CN");
    let html = std::fs::read_to_string(out_dir.join("report.html")).unwrap();
    assert!(html.starts_with("<!doctype html>") && html.contains("backup-maint"));
    assert!(!html.contains("<script"), "self-contained, no script");
    // Each incident's principal with its habit: a 7 x 24 hour-of-week heat map with the
    // incident's hours outlined, and its last week's hourly requests against its band, with
    // new places marked.
    assert!(html.contains("Usual hours of this principal"));
    assert!(html.contains("Sat 02:00 UTC: active on "));
    assert!(html.contains(r##"stroke="#b00020""##));
    assert!(html.contains("hourly requests against the baseline band"));
    assert!(html.contains("usual band (upper edge)"));
    assert!(
        html.contains("impossible travel")
            || html.contains("a network this principal has not used")
    );
}

/// Blind spots end to end: the same world scanned whole, then with twelve daytime hours of
/// its CloudTrail files taken away (as a StopLogging / StartLogging pair would).
#[test]
fn a_silenced_trail_is_a_blind_spot() {
    let dir = tempfile::tempdir().unwrap();
    let world = dir.path().join("world");
    let w = world.to_str().unwrap();
    let out = run(&["generate", "--out", w, "--seed", "5", "--scale", "0.3"]);
    assert_eq!(out.status.code(), Some(0));
    let gaps = |dir: &std::path::Path| -> Vec<serde_json::Value> {
        let out = run(&["scan", dir.to_str().unwrap(), "--format", "jsonl", "-q"]);
        assert_eq!(out.status.code(), Some(0));
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
            .filter(|v| v["rule"] == "baseline.log_gap")
            .collect()
    };
    let whole = gaps(&world);
    assert!(
        !whole
            .iter()
            .any(|g| g["severity"] != "low" && g["severity"] != "info"),
        "a healthy world has no blind spot of medium or above: {whole:#?}"
    );
    // Take away Tuesday 2026-02-03 08:00-20:00 UTC from every CloudTrail region.
    let mut removed = 0;
    for entry in walk(&world.join("AWSLogs")) {
        let name = entry.file_name().unwrap().to_string_lossy().to_string();
        let Some(at) = name.find("_20260203T") else {
            continue;
        };
        let hour: u32 = name[at + 10..at + 12].parse().unwrap();
        if (8..20).contains(&hour) {
            std::fs::remove_file(&entry).unwrap();
            removed += 1;
        }
    }
    assert!(removed > 50, "{removed} files removed");
    let silenced = gaps(&world);
    let trail: Vec<_> = silenced
        .iter()
        .filter(|g| {
            g["principal"]
                .as_str()
                .is_some_and(|p| p.starts_with("log-stream:aws_cloudtrail"))
        })
        .collect();
    assert!(!trail.is_empty(), "{silenced:#?}");
    for g in &trail {
        let start = g["evidence"]["gap_start"].as_str().unwrap();
        let end = g["evidence"]["gap_end"].as_str().unwrap();
        assert!(
            // (Files overlap by minutes: the last hour's events also sit in the next file.)
            start <= "2026-02-03T08:00:00.000Z" && end >= "2026-02-03T19:00:00.000Z",
            "{g:#?}"
        );
        assert!(g["evidence"]["gap_hours"].as_i64().unwrap() >= 11);
        // The sample record is the last one before the silence.
        let file = g["evidence"]["raw_records"][0]["file"].as_str().unwrap();
        assert!(file.contains("_20260203T0"), "{file}");
    }
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// On real captures of attack simulations without S3 object-level events, the storage
/// volume rules fired on KMS decryptions, SSM deletions and EC2 descriptions (issue 14, 9).
/// Through the CLI, from CloudTrail records: only the object store's calls are counted, and
/// the finding says which.
#[test]
fn storage_volume_rules_count_storage_calls_only() {
    let at = |i: u32| format!("2026-11-01T10:{:02}:{:02}Z", i / 60 % 60, i % 60);
    let object = |i: u32| serde_json::json!({"bucketName": "b", "key": format!("k{i}")});
    let mut records = Vec::new();
    for (who, n, source, name) in [
        ("terraform", 300, "kms.amazonaws.com", "Decrypt"),
        ("terraform", 150, "ssm.amazonaws.com", "DeleteParameter"),
        ("terraform", 120, "ec2.amazonaws.com", "DescribeInstances"),
        ("thief", 300, "s3.amazonaws.com", "GetObject"),
    ] {
        for i in 0..n {
            records.push(ct_record(who, &at(i), source, name, object(i), false));
        }
    }
    let findings = scan_records(records);
    let storage_volume = |who: &str| -> Vec<&serde_json::Value> {
        findings
            .iter()
            .filter(|f| {
                f["principal"].as_str().is_some_and(|p| p.ends_with(who))
                    && matches!(
                        f["rule"].as_str(),
                        Some("aws.s3.bulk_download" | "aws.s3.mass_delete" | "aws.s3.enumeration")
                    )
            })
            .collect()
    };
    assert!(
        storage_volume("terraform").is_empty(),
        "{:#?}",
        storage_volume("terraform")
    );
    let thief = storage_volume("thief");
    assert_eq!(thief.len(), 1, "{findings:#?}");
    assert_eq!(thief[0]["rule"], "aws.s3.bulk_download");
    assert!(
        thief[0]["evidence"]["counted_calls"]["GetObject"]
            .as_u64()
            .unwrap()
            > 100
    );
}

/// A failed tampering call changed nothing: its own finding, apart from the change that
/// worked, low by itself, medium when repeated or beside discovery by the same principal,
/// never the high or critical of the change (issue 14, 2). From CloudTrail records.
#[test]
fn failed_tampering_is_not_the_change() {
    let trail = || serde_json::json!({"name": "main"});
    let public = || {
        serde_json::json!({"bucketName": "b", "bucketPolicy": {"Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}]}})
    };
    let (ct, kms, s3) = (
        "cloudtrail.amazonaws.com",
        "kms.amazonaws.com",
        "s3.amazonaws.com",
    );
    let mut records = vec![
        // An administrator stops logging: the change worked.
        ct_record(
            "admin",
            "2026-11-01T10:00:00Z",
            ct,
            "StopLogging",
            trail(),
            false,
        ),
        // One failed attempt each: low.
        ct_record(
            "admin",
            "2026-11-01T10:01:00Z",
            ct,
            "StopLogging",
            trail(),
            true,
        ),
        ct_record(
            "probe",
            "2026-11-01T10:02:00Z",
            ct,
            "StopLogging",
            trail(),
            true,
        ),
        ct_record(
            "probe",
            "2026-11-01T10:03:00Z",
            kms,
            "DisableKey",
            serde_json::json!({"keyId": "k1"}),
            true,
        ),
        ct_record(
            "probe",
            "2026-11-01T10:04:00Z",
            s3,
            "PutBucketPolicy",
            public(),
            true,
        ),
    ];
    // Three failed DeleteTrail: medium.
    for m in 10..13 {
        records.push(ct_record(
            "persist",
            &format!("2026-11-01T10:{m}:00Z"),
            ct,
            "DeleteTrail",
            trail(),
            true,
        ));
    }
    // Listing across buckets (discovery), then one failed public policy: medium.
    for i in 0..60 {
        let params = serde_json::json!({"bucketName": format!("bucket-{}", i % 6)});
        records.push(ct_record(
            "scout",
            &format!("2026-11-01T10:20:{i:02}Z"),
            s3,
            "ListObjects",
            params,
            false,
        ));
    }
    records.push(ct_record(
        "scout",
        "2026-11-01T10:40:00Z",
        s3,
        "PutBucketPolicy",
        public(),
        true,
    ));
    let findings = scan_records(records);
    let of = |who: &str, rule: &str| -> Vec<(String, String)> {
        let mut v: Vec<(String, String)> = findings
            .iter()
            .filter(|f| {
                f["principal"]
                    .as_str()
                    .is_some_and(|p| p.ends_with(&format!("/{who}")))
                    && f["rule"] == rule
            })
            .map(|f| {
                let outcome = f["evidence"]["outcome"].as_str().unwrap_or("succeeded");
                (
                    f["severity"].as_str().unwrap_or("").to_string(),
                    outcome.to_string(),
                )
            })
            .collect();
        v.sort();
        v
    };
    let one = |sev: &str, outcome: &str| vec![(sev.to_string(), outcome.to_string())];
    let mut admin = one("critical", "succeeded");
    admin.extend(one("low", "failed"));
    assert_eq!(
        of("admin", "aws.cloudtrail.stop_logging"),
        admin,
        "{findings:#?}"
    );
    assert_eq!(
        of("probe", "aws.cloudtrail.stop_logging"),
        one("low", "failed")
    );
    assert_eq!(
        of("probe", "aws.kms.key_deletion_scheduled"),
        one("low", "failed")
    );
    assert_eq!(of("probe", "aws.s3.public_policy"), one("low", "failed"));
    assert_eq!(
        of("persist", "aws.cloudtrail.trail_deleted"),
        one("medium", "failed")
    );
    assert_eq!(
        of("scout", "aws.s3.public_policy"),
        one("medium", "failed"),
        "{findings:#?}"
    );
}

/// Google writes no Data Access audit log for `allUsers`: after a bucket is made public, its
/// usage logs show the exposure being used. Reads from addresses new to the bucket are
/// findings that join the grant's incident; its usual reader is not (issue 14, 7).
#[test]
fn gcs_public_reads_in_usage_logs_join_the_grant() {
    let dir = tempfile::tempdir().unwrap();
    let grant = r#"{"insertId":"g1","logName":"projects/acme/logs/cloudaudit.googleapis.com%2Factivity","protoPayload":{"@type":"type.googleapis.com/google.cloud.audit.AuditLog","status":{},"authenticationInfo":{"principalEmail":"noah@acme.example"},"requestMetadata":{"callerIp":"102.129.143.9","callerSuppliedUserAgent":"gsutil/5.27","requestAttributes":{"time":"2026-11-01T10:00:00Z","auth":{}},"destinationAttributes":{}},"serviceName":"storage.googleapis.com","methodName":"storage.setIamPermissions","authorizationInfo":[{"resource":"projects/_/buckets/ml-models","permission":"storage.buckets.setIamPolicy","granted":true,"resourceAttributes":{}}],"resourceName":"projects/_/buckets/ml-models","serviceData":{"@type":"type.googleapis.com/google.iam.v1.logging.AuditData","policyDelta":{"bindingDeltas":[{"action":"ADD","role":"roles/storage.objectViewer","member":"allUsers"}]}},"resourceLocation":{"currentLocations":["us-central1"]}},"receiveTimestamp":"2026-11-01T10:00:00.1Z","resource":{"type":"gcs_bucket","labels":{"bucket_name":"ml-models","location":"us-central1","project_id":"acme"}},"severity":"NOTICE","timestamp":"2026-11-01T10:00:00Z"}"#;
    std::fs::write(dir.path().join("activity.json"), format!("{grant}\n")).unwrap();
    let t0: i64 = 1_793_527_200_000_000; // 2026-11-01T10:00:00Z in microseconds
    let mut usage = String::from("\"time_micros\",\"c_ip\",\"c_ip_type\",\"c_ip_region\",\"cs_method\",\"cs_uri\",\"sc_status\",\"cs_bytes\",\"sc_bytes\",\"time_taken_micros\",\"cs_host\",\"cs_referer\",\"cs_user_agent\",\"s_request_id\",\"cs_operation\",\"cs_bucket\",\"cs_object\"\n");
    let mut row = |minutes: i64, ip: &str, n: u32| {
        let t = t0 + minutes * 60_000_000;
        usage.push_str(&format!("\"{t}\",\"{ip}\",\"1\",\"\",\"GET\",\"/ml-models/m{n}.bin\",\"200\",\"0\",\"5000\",\"1000\",\"storage.googleapis.com\",\"\",\"curl/8.5.0\",\"R{minutes}{n}\",\"GET_Object\",\"ml-models\",\"m{n}.bin\"\n"));
    };
    row(-60, "10.0.0.5", 1); // its usual reader, before the grant
    row(20, "10.0.0.5", 2);
    for n in 0..3 {
        row(30 + i64::from(n), "198.51.100.7", n);
    }
    row(40, "203.0.113.9", 9);
    std::fs::write(
        dir.path().join("ml-models_usage_2026_11_01_10_00_00_v0"),
        usage,
    )
    .unwrap();
    let out = run(&["scan", dir.path().to_str().unwrap(), "--format", "jsonl"]);
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let reads: Vec<&serde_json::Value> = lines
        .iter()
        .filter(|v| v["type"] == "finding" && v["rule"] == "gcp.gcs.public_read")
        .collect();
    let mut who: Vec<&str> = reads
        .iter()
        .map(|f| f["principal"].as_str().unwrap())
        .collect();
    who.sort();
    assert_eq!(who, ["ip:198.51.100.7", "ip:203.0.113.9"], "{lines:#?}");
    assert_eq!(
        reads
            .iter()
            .find(|f| f["principal"] == "ip:198.51.100.7")
            .unwrap()["event_count"],
        3
    );
    let grant = lines
        .iter()
        .find(|v| v["type"] == "finding" && v["rule"] == "gcp.gcs.public_iam_binding")
        .expect("the grant");
    assert!(grant["incident"].is_string(), "{grant:#?}");
    assert!(
        reads.iter().all(|f| f["incident"] == grant["incident"]),
        "the reads join the grant's incident: {lines:#?}"
    );
}
