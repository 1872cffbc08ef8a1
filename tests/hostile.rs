//! Hostile record values through the whole CLI: every stage after the parsers.

use crate::common::{run, summary_line};

/// Three ordinary reads whose user agent is `x`, forty `é` and `/1.0`: the agent family was
/// cut at byte 64, inside an `é`, and the scan panicked (issue 12).
#[test]
fn a_multibyte_user_agent_does_not_end_the_scan() {
    let dir = tempfile::tempdir().unwrap();
    let ua = format!("x{}/1.0", "é".repeat(40));
    let records: Vec<_> = (0..3)
        .map(|i| {
            serde_json::json!({
                "eventVersion": "1.09",
                "userIdentity": {"type": "IAMUser", "principalId": "AIDAX", "arn": "arn:aws:iam::111122223333:user/alice", "accountId": "111122223333", "userName": "alice"},
                "eventTime": format!("2026-11-01T10:0{i}:00Z"), "eventSource": "s3.amazonaws.com",
                "eventName": "GetObject", "awsRegion": "us-east-1", "sourceIPAddress": "203.0.113.5",
                "userAgent": ua, "requestParameters": {"bucketName": "b", "key": format!("k{i}")},
                "eventID": format!("e{i}"), "requestID": format!("R{i}"), "readOnly": true,
                "eventType": "AwsApiCall", "managementEvent": false, "eventCategory": "Data",
                "recipientAccountId": "111122223333"
            })
        })
        .collect();
    let file = dir.path().join("ua.json");
    std::fs::write(&file, serde_json::json!({ "Records": records }).to_string()).unwrap();
    let out = run(&["scan", file.to_str().unwrap(), "--format", "jsonl"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary = summary_line(&out.stdout);
    assert_eq!(summary["events"], 3);
    assert_eq!(summary["skipped"], 0);
}

/// Reads by three principals in two files; `evil` reads with the user agent the test makes a
/// stage fail on.
fn two_files(dir: &std::path::Path) -> Vec<String> {
    let rec = |who: &str, i: u32, ua: &str| {
        serde_json::json!({
            "eventVersion": "1.09",
            "userIdentity": {"type": "IAMUser", "principalId": "AIDAX", "arn": format!("arn:aws:iam::111122223333:user/{who}"), "accountId": "111122223333", "userName": who},
            "eventTime": format!("2026-11-01T10:{:02}:00Z", i), "eventSource": "s3.amazonaws.com",
            "eventName": "GetObject", "awsRegion": "us-east-1", "sourceIPAddress": "203.0.113.5",
            "userAgent": ua, "requestParameters": {"bucketName": "b", "key": format!("k{i}")},
            "eventID": format!("e-{who}-{i}"), "requestID": format!("R-{who}-{i}"), "readOnly": true,
            "eventType": "AwsApiCall", "managementEvent": false, "eventCategory": "Data",
            "recipientAccountId": "111122223333"
        })
    };
    let a: Vec<_> = (0..5).map(|i| rec("alice", i, "aws-cli/2.15.0")).collect();
    let mut b: Vec<_> = (0..5).map(|i| rec("bob", i, "Boto3/1.34.0")).collect();
    b.insert(2, rec("mallory", 30, "evil-agent/6.6"));
    let mut names = Vec::new();
    for (name, records) in [("a.json", a), ("b.json", b)] {
        let p = dir.join(name);
        std::fs::write(&p, serde_json::json!({ "Records": records }).to_string()).unwrap();
        names.push(p.to_str().unwrap().to_string());
    }
    names
}

/// A panic in any stage costs the one record: the other records and files are judged, the
/// summary locates the record, the exit status is 3, and `trailhound.self_check` is raised.
#[test]
fn a_panic_in_any_stage_is_contained_to_its_record() {
    let dir = tempfile::tempdir().unwrap();
    let files = two_files(dir.path());
    for stage in ["parse", "compact", "detect"] {
        let out = std::process::Command::new(crate::common::bin())
            .args(["scan", &files[0], &files[1], "--format", "jsonl"])
            .env("TRAILHOUND_INJECT_PANIC", format!("{stage}:evil-agent/6.6"))
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(3), "{stage}: {stderr}");
        assert!(
            !stderr.contains("panicked"),
            "{stage}: the hook kept it quiet: {stderr}"
        );
        let summary = summary_line(&out.stdout);
        // A record that failed parsing is no event; after parsing it was read (counted) and
        // then skipped.
        let events = if stage == "parse" { 10 } else { 11 };
        assert_eq!(summary["events"], events, "{stage}");
        assert_eq!(summary["skipped_by_reason"]["internal_error"], 1, "{stage}");
        let sample = &summary["skipped_samples"][0];
        assert_eq!(sample["reason"], "internal_error", "{stage}");
        assert!(
            sample["file"].as_str().unwrap().ends_with("b.json"),
            "{stage}: {sample}"
        );
        let offset = sample["offset"].as_u64().unwrap();
        let text = std::fs::read_to_string(&files[1]).unwrap();
        let at: serde_json::Value = serde_json::Deserializer::from_str(&text[offset as usize..])
            .into_iter()
            .next()
            .unwrap()
            .unwrap();
        assert_eq!(
            at["userIdentity"]["userName"], "mallory",
            "{stage}: the offset points at the record"
        );
        assert!(
            sample["detail"].as_str().unwrap().contains("injected"),
            "{stage}"
        );
        let text = String::from_utf8_lossy(&out.stdout);
        let check: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
            .filter(|v| v["rule"] == "trailhound.self_check")
            .collect();
        assert_eq!(check.len(), 1, "{stage}: {text}");
        assert_eq!(check[0]["severity"], "high");
        let raw = &check[0]["evidence"]["raw_records"][0];
        assert_eq!(raw["offset"].as_u64(), Some(offset), "{stage}");
        if stage == "detect" {
            assert!(check[0]["principal"]
                .as_str()
                .unwrap()
                .ends_with("user/mallory"));
        }
        // Alice and Bob were still judged: both read on a Sunday, which is a finding each.
        for who in ["user/alice", "user/bob"] {
            assert!(text.contains(who), "{stage}: {who} judged");
        }
    }
    // Without a fault, the same input runs clean.
    let out = run(&["scan", &files[0], &files[1], "--format", "jsonl"]);
    assert_eq!(out.status.code(), Some(0));
}

/// 3,000 principals reading once each (plus one of them making a bucket public): one digest
/// instead of a finding each, the public policy still reported on its own, the figures in the
/// summary, and the first-seen times carried in `--state` (none of them is new the next time).
#[test]
fn a_crowd_of_one_shot_principals_is_one_finding() {
    let dir = tempfile::tempdir().unwrap();
    let read = |i: usize, t: &str| {
        serde_json::json!({
            "eventVersion": "1.09",
            "userIdentity": {"type": "IAMUser", "principalId": format!("AIDA{i}"), "arn": format!("arn:aws:iam::111122223333:user/minted-{i}"), "accountId": "111122223333", "userName": format!("minted-{i}")},
            "eventTime": t, "eventSource": "s3.amazonaws.com", "eventName": "GetObject",
            "awsRegion": "us-east-1", "sourceIPAddress": format!("198.18.{}.{}", i / 250, i % 250),
            "userAgent": format!("agent-{i}/1.0"), "requestParameters": {"bucketName": "exports", "key": format!("k{i}")},
            "eventID": format!("e{i}"), "requestID": format!("R{i}"), "readOnly": true,
            "eventType": "AwsApiCall", "managementEvent": false, "eventCategory": "Data",
            "recipientAccountId": "111122223333"
        })
    };
    let mut records: Vec<serde_json::Value> = (0..3000)
        .map(|i| {
            read(
                i,
                &format!("2026-11-01T03:{:02}:{:02}Z", i / 60 % 60, i % 60),
            )
        })
        .collect();
    let mut policy = read(5000, "2026-11-01T03:59:59Z");
    policy["eventName"] = "PutBucketPolicy".into();
    policy["managementEvent"] = true.into();
    policy["readOnly"] = false.into();
    policy["eventCategory"] = "Management".into();
    policy["requestParameters"] = serde_json::json!({"bucketName": "exports", "bucketPolicy": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::exports/*"}]}});
    records.push(policy);
    let file = dir.path().join("crowd.json");
    std::fs::write(&file, serde_json::json!({ "Records": records }).to_string()).unwrap();
    let state = dir.path().join("state.db");
    let args = [
        "scan",
        file.to_str().unwrap(),
        "--format",
        "jsonl",
        "--state",
        state.to_str().unwrap(),
    ];
    let out = run(&args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let findings: Vec<&serde_json::Value> =
        lines.iter().filter(|v| v["type"] == "finding").collect();
    let digest: Vec<_> = findings
        .iter()
        .filter(|f| f["rule"] == "baseline.one_shot_principals")
        .collect();
    assert_eq!(digest.len(), 1, "{text}");
    assert_eq!(digest[0]["evidence"]["principals"], 3000);
    assert_eq!(digest[0]["event_count"], 3000);
    assert!(
        findings.iter().any(|f| f["rule"] == "aws.s3.public_policy"
            && f["principal"] == "arn:aws:iam::111122223333:user/minted-5000"),
        "a rule hit is judged at once, crowd or not: {text}"
    );
    let per_minted = findings
        .iter()
        .filter(|f| {
            f["principal"]
                .as_str()
                .unwrap_or("")
                .contains("user/minted-")
                && f["rule"] != "aws.s3.public_policy"
        })
        .count();
    assert!(
        per_minted <= 1,
        "no finding per minted principal ({per_minted})"
    );
    let summary = lines.last().unwrap();
    assert_eq!(summary["principals"], 3001);
    assert_eq!(summary["memory"]["one_shot_principals"], 3000);
    assert_eq!(summary["memory"]["evicted_profiles"], 0);

    // The next run: the same principals again, a week later, are not new.
    let again: Vec<serde_json::Value> = (0..50)
        .map(|i| read(i, &format!("2026-11-09T10:00:{:02}Z", i)))
        .collect();
    let file2 = dir.path().join("again.json");
    std::fs::write(&file2, serde_json::json!({ "Records": again }).to_string()).unwrap();
    let out = run(&[
        "scan",
        file2.to_str().unwrap(),
        "--format",
        "jsonl",
        "--state",
        state.to_str().unwrap(),
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains("baseline.new_principal"), "{text}");
    assert!(
        !text.contains("baseline.one_shot_principals"),
        "known from the state file: {text}"
    );
}

/// A GCS usage row dated 9999999999999999 µs (year 2286): its nanoseconds overflowed an i64
/// (found by the values fuzzer). Now an invalid time, skipped and counted.
#[test]
fn a_usage_log_time_past_the_range_is_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let header = r#""time_micros","c_ip","c_ip_type","c_ip_region","cs_method","cs_uri","sc_status","cs_bytes","sc_bytes","time_taken_micros","cs_host","cs_referer","cs_user_agent","s_request_id","cs_operation","cs_bucket","cs_object""#;
    let row = |t: &str| {
        format!(
            r#""{t}","172.71.142.38","1","","GET","/b/o","200","0","277","488000","h","","ua/1.0","R{t}","GET_Object","b","o""#
        )
    };
    let text = [
        header.to_string(),
        row("1693206014339368"),
        row("9999999999999999"),
        row("99999999999999999"),
    ]
    .join("\n");
    let file = dir.path().join("usage.csv");
    std::fs::write(&file, text).unwrap();
    let out = run(&["scan", file.to_str().unwrap(), "--format", "jsonl"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let s = summary_line(&out.stdout);
    assert_eq!(s["events"], 1);
    assert_eq!(s["skipped_by_reason"]["missing_or_invalid_time"], 2);
}

/// At 80 and 110 columns, incident text and findings are wrapped to the window (text wrapped
/// wider than the terminal is wrapped again by it, mid-word): no line is wider than the
/// terminal unless it is one unbreakable word.
#[test]
fn the_table_fits_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let world = dir.path().join("world");
    crate::common::run_ok(&[
        "generate",
        "--out",
        world.to_str().unwrap(),
        "--seed",
        "2",
        "--scale",
        "0.3",
    ]);
    for width in [80usize, 110] {
        let out = std::process::Command::new(crate::common::bin())
            .args([
                "scan",
                world.to_str().unwrap(),
                "--format",
                "table",
                "--color",
                "never",
            ])
            .env("COLUMNS", width.to_string())
            .output()
            .unwrap();
        assert!(out.status.success());
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("next steps:"), "the world has incidents");
        let incidents = text.split("Findings of medium or above").next().unwrap();
        let findings = text
            .split("Findings of medium or above")
            .nth(1)
            .and_then(|t| t.split("Run summary").next())
            .unwrap_or("");
        for line in incidents.lines().chain(findings.lines()) {
            let n = line.chars().count();
            let one_word = line.split_whitespace().count() <= 2;
            assert!(n <= width || one_word, "{width} columns: {n} chars: {line}");
        }
    }
}
