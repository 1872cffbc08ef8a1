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
